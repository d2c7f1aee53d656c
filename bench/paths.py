"""Every fast read against the plain read it replaced: the same answer, and both timed side by side in one process.

A fast path earns its place only by giving what the plain read gives. Each pair runs over every
window, for the campaign as a whole and with side and platform filters, and the answers are
compared exactly (frames by value and dtype). The timings alternate the two reads call by call,
so whatever else the machine is doing falls on both alike; CPU time is reported beside the wall
clock, since other work on a shared machine slows the clock, not the CPU a read costs.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from bench.queries import percentile, window_filters
from campaigns.metrics import Filters
from campaigns.store import Store
from campaigns.stream import PostQuery

# (read, family, fast verb, plain verb, call(verb, filters, campaign))
PAIRS: list[tuple[str, str, str, str, Callable]] = [
    ("unique authors and potential reach", "reads", "distinct_totals", "distinct_totals_scan", lambda f, w, k: f(w)),
    ("sentiment histogram", "reads", "sentiment_histogram", "sentiment_histogram_scan", lambda f, w, k: f(w)),
    ("top amplifiers", "reads", "top_amplifiers", "top_amplifiers_scan", lambda f, w, k: f(w)),
    ("top posts", "reads", "top_posts", "top_posts_scan", lambda f, w, k: f(w)),
    ("most negative posts", "reads", "extreme_posts", "extreme_posts_scan", lambda f, w, k: f(w, "negative")),
    ("most positive posts", "reads", "extreme_posts", "extreme_posts_scan", lambda f, w, k: f(w, "positive")),
    ("top hashtags", "reads", "top_hashtags", "top_hashtags_scan",
     lambda f, w, k: f(w, [t.value for t in k.trackers if t.kind == "hashtag"])),
    ("cumulative potential reach", "reads", "cumulative_potential_reach", "cumulative_potential_reach_scan",
     lambda f, w, k: f(w, k.timezone, "day")),
    ("posts page", "posts", "page", "page_scan", lambda f, w, k: f(PostQuery(w))),
    ("posts page, negative tone", "posts", "page", "page_scan", lambda f, w, k: f(PostQuery(w, tone="negative"))),
    ("posts page, one tracker", "posts", "page", "page_scan",
     lambda f, w, k: f(PostQuery(w, tracker_id=next(t.id for t in k.trackers if t.kind == "hashtag")))),
    ("posts search, a common word", "posts", "page", "page_scan", lambda f, w, k: f(PostQuery(w, search="abuse"))),
    ("posts search, a hashtag", "posts", "page", "page_scan",
     lambda f, w, k: f(PostQuery(w, search="#freespeechsu"))),
]


@dataclass
class PathTiming:
    read: str
    window: str
    fast_ms: tuple[float, float]          # p50, p95 wall clock
    plain_ms: tuple[float, float]
    fast_cpu_ms: float                    # median CPU time
    plain_cpu_ms: float
    same: bool
    checked: int                          # filter sets compared
    differences: list[str] = field(default_factory=list)

    @property
    def speedup(self) -> float:
        return self.plain_cpu_ms / self.fast_cpu_ms if self.fast_cpu_ms else float("inf")


def same_answer(a, b) -> bool:
    """Exactly equal: frames by value, order and dtype; tuples and pairs element by element."""
    if isinstance(a, pd.DataFrame) or isinstance(b, pd.DataFrame):
        return (isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame) and a.equals(b)
                and list(a.columns) == list(b.columns) and list(a.dtypes) == list(b.dtypes))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same_answer(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def filter_sets(filters: Filters) -> list[Filters]:
    """The window as a whole, one side, and one platform with one side."""
    return [filters, Filters(filters.campaign_id, filters.start, filters.end, (), ("ours",)),
            Filters(filters.campaign_id, filters.start, filters.end, ("x",), ("opposing",))]


def time_paths(db, campaign_slug: str, until: datetime, runs: int = 10, budget_s: float = 6.0,
               log=None) -> list[PathTiming]:
    """Each pair over each window: answers compared on every filter set, then both timed in turn."""
    results = []
    with Store.open(db, readonly=True) as store:
        campaign = store.campaign(campaign_slug)
        for window, filters in window_filters(campaign, until).items():
            for read, family, fast_name, plain_name, call in PAIRS:
                fast = getattr(getattr(store, family), fast_name)
                plain = getattr(getattr(store, family), plain_name)
                differences = [f"{f.platforms or 'all platforms'}, {f.sides or 'all sides'}"
                               for f in filter_sets(filters)
                               if not same_answer(call(fast, f, campaign), call(plain, f, campaign))]
                walls: dict[str, list[float]] = {"fast": [], "plain": []}
                cpus: dict[str, list[float]] = {"fast": [], "plain": []}
                spent = 0.0
                while len(walls["fast"]) < runs and (len(walls["fast"]) < 3 or spent < budget_s):
                    for name, verb in (("fast", fast), ("plain", plain)):
                        started, cpu = time.perf_counter(), time.process_time()
                        call(verb, filters, campaign)
                        cpus[name].append((time.process_time() - cpu) * 1000)
                        walls[name].append((time.perf_counter() - started) * 1000)
                        spent += walls[name][-1] / 1000
                results.append(PathTiming(
                    read, window,
                    (statistics.median(walls["fast"]), percentile(walls["fast"], 0.95)),
                    (statistics.median(walls["plain"]), percentile(walls["plain"], 0.95)),
                    statistics.median(cpus["fast"]), statistics.median(cpus["plain"]),
                    not differences, len(filter_sets(filters)), differences))
                if log:
                    r = results[-1]
                    log(f"  {read} over {window}: {r.plain_cpu_ms:.1f} -> {r.fast_cpu_ms:.1f} ms CPU"
                        f" ({r.speedup:.1f}x), {'same answer' if r.same else 'DIFFERENT: ' + '; '.join(differences)}")
    return results
