"""Query latency: p50 and p95 of every read the dashboard pages make, for one campaign over 7 and 90 days.

The reads and their arguments follow dashboard/app_pages (kpis is drawn several times a page,
for the range, the range before it and the campaign to date; it is timed once here).

The verbs timed are the store's own (`store.reads.*`, `store.plan.*`) that the dashboard's cached
door calls, without Streamlit's cache, so each call reaches SQLite. A verb not in the tree yet is
listed as missing.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from campaigns import safety
from campaigns.metrics import Filters
from campaigns.model import iso_utc, to_datetime
from campaigns.store import Store
from campaigns.stream import PostQuery

try:  # the dashboard draws hours up to this many hours, local days beyond
    from dashboard.selection import HOURLY_UP_TO
except ImportError:
    HOURLY_UP_TO = 72


def _bucket(filters: Filters) -> str:
    hours = (to_datetime(filters.end) - to_datetime(filters.start)).total_seconds() / 3600
    return "hour" if hours <= HOURLY_UP_TO else "day"


# (page, label, family, verb, call) where call(verb, filters, campaign, now) runs it once,
# with the arguments the page passes. Rows whose page is "(no page)" are timed but not targets.
QUERIES: list[tuple[str, str, str, str, Callable]] = [
    ("Overview", "kpis", "reads", "kpis", lambda f, w, k, n: f(w)),
    ("Overview", "series (sparkline)", "reads", "series",
     lambda f, w, k, n: f(w, k.timezone, _bucket(w), ())),
    ("Overview", "open_alerts", "reads", "open_alerts", lambda f, w, k, n: f(k.id)),
    ("Traction", "series by platform", "reads", "series",
     lambda f, w, k, n: f(w, k.timezone, _bucket(w), ("platform",))),
    ("Traction", "series by side", "reads", "series",
     lambda f, w, k, n: f(w, k.timezone, _bucket(w), ("side",))),
    ("Traction", "spikes", "reads", "spikes", lambda f, w, k, n: f(w)),
    ("Traction", "cumulative_potential_reach", "reads", "cumulative_potential_reach",
     lambda f, w, k, n: f(w, k.timezone, _bucket(w))),
    ("Traction", "top_hashtags", "reads", "top_hashtags",
     lambda f, w, k, n: f(w, [t.value for t in k.trackers if t.kind == "hashtag"])),
    ("Traction", "top_amplifiers", "reads", "top_amplifiers", lambda f, w, k, n: f(w)),
    ("Traction", "top_posts", "reads", "top_posts", lambda f, w, k, n: f(w)),
    ("Traction", "planner markers", "plan", "markers",
     lambda f, w, k, n: f(k.id, to_datetime(w.start), to_datetime(w.end))),
    ("Sentiment", "sentiment_histogram", "reads", "sentiment_histogram",
     lambda f, w, k, n: f(w)),
    ("Sentiment", "extreme_posts negative", "reads", "extreme_posts",
     lambda f, w, k, n: f(w, "negative")),
    ("Sentiment", "extreme_posts positive", "reads", "extreme_posts",
     lambda f, w, k, n: f(w, "positive")),
    ("Sources", "source_summary", "reads", "source_summary", lambda f, w, k, n: f(n)),
    ("Sources", "last_runs", "reads", "last_runs", lambda f, w, k, n: f(200)),
    ("Planner", "timeline", "plan", "timeline", lambda f, w, k, n: f(k.id)),
    ("Planner", "actions", "plan", "actions", lambda f, w, k, n: f(k.id)),
    ("Planner", "narratives", "plan", "narratives", lambda f, w, k, n: f(k.id)),
    ("Planner", "events", "plan", "events", lambda f, w, k, n: f(k.id)),
    ("Planner", "volunteers", "plan", "volunteers", lambda f, w, k, n: f()),
    ("Planner", "assignments", "plan", "assignments", lambda f, w, k, n: f(k.id)),
    ("Safety", "aimed_mentions", "safety", "aimed_mentions", lambda f, w, k, n: f(k.id, w.start, w.end)),
    ("Safety", "aimed_totals", "safety", "aimed_totals",
     lambda f, w, k, n: f(k.id, w.start, w.end, safety.threshold_of(k))),
    ("Safety", "support_series", "safety", "support_series",
     lambda f, w, k, n: f(k.id, w.start, w.end, k.timezone, safety.threshold_of(k))),
    ("Safety", "pile_on_alerts", "safety", "pile_on_alerts", lambda f, w, k, n: f(k.id)),
    ("Safety", "audit_view", "safety", "audit_view", lambda f, w, k, n: f(k.id)),
    ("Posts", "page", "posts", "page", lambda f, w, k, n: f(PostQuery(w))),
    ("Posts", "page 3", "posts", "page", lambda f, w, k, n: f(PostQuery(w, page=3))),
    ("Posts", "tone negative", "posts", "page", lambda f, w, k, n: f(PostQuery(w, tone="negative"))),
    ("Posts", "offensive language", "posts", "page", lambda f, w, k, n: f(PostQuery(w, min_offensive=0.5))),
    ("Posts", "originals, opposing side", "posts", "page",
     lambda f, w, k, n: f(PostQuery(Filters(w.campaign_id, w.start, w.end, (), ("opposing",)), kind="original"))),
    ("Posts", "one tracker", "posts", "page",
     lambda f, w, k, n: f(PostQuery(w, tracker_id=next(t.id for t in k.trackers if t.kind == "hashtag")))),
    ("Posts", "language", "posts", "page", lambda f, w, k, n: f(PostQuery(w, lang="en"))),
    ("Posts", "search: a common word", "posts", "page", lambda f, w, k, n: f(PostQuery(w, search="abuse"))),
    ("Posts", "search: a rare word", "posts", "page", lambda f, w, k, n: f(PostQuery(w, search="welfare"))),
    ("Posts", "search: a hashtag", "posts", "page", lambda f, w, k, n: f(PostQuery(w, search="#freespeechsu"))),
    ("Posts", "search: a phrase, left out word", "posts", "page",
     lambda f, w, k, n: f(PostQuery(w, search='"online abuse" -officers'))),
    ("Posts", "search with tone", "posts", "page", lambda f, w, k, n: f(PostQuery(w, search="abuse", tone="negative"))),
    ("(no page)", "distinct_series", "reads", "distinct_series",
     lambda f, w, k, n: f(w, k.timezone, _bucket(w))),
    ("(no page)", "series hourly by platform", "reads", "series",
     lambda f, w, k, n: f(w, k.timezone, "hour", ("platform",))),
]
NO_PAGE = "(no page)"
# The last 7 and 90 days of the data, and the campaign to date (from its start date).
CAMPAIGN_TO_DATE = "campaign to date"
WINDOWS = {"7 days": 7, "90 days": 90, CAMPAIGN_TO_DATE: None}
# A query is timed `runs` times, or fewer once its runs have taken this long (at least MIN_RUNS).
TIME_BUDGET_S = 4.0
MIN_RUNS = 5


@dataclass
class QueryTiming:
    page: str
    label: str
    window: str
    p50_ms: float | None
    p95_ms: float | None
    runs: int
    missing: str = ""


def _function(store: Store, family: str, name: str):
    """The bound verb store.<family>.<name>, or why it is missing."""
    verb = getattr(getattr(store, family, None), name, None)
    return (verb, "") if verb is not None else (None, f"store.{family}.{name} not present")


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of a list of values."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def window_filters(campaign, until: datetime) -> dict[str, Filters]:
    """The Filters of each window for the campaign, ending at `until`."""
    found = {}
    for window, days in WINDOWS.items():
        start = (to_datetime(campaign.starts_at, campaign.timezone) if days is None
                 else until - timedelta(days=days))
        found[window] = Filters(campaign.id, iso_utc(start), iso_utc(until))
    return found


def window_rows(db, campaign_slug: str, until: datetime) -> dict[str, int]:
    """How many campaign matches each window holds: what a distinct count or a top-N has to read."""
    with Store.open(db, readonly=True) as store:
        campaign = store.campaign(campaign_slug)
        return {window: store.reads.kpis(filters).mentions
                for window, filters in window_filters(campaign, until).items()}


def sample(call, runs: int) -> list[float]:
    """Milliseconds of `runs` calls after one untimed warm-up call, fewer once TIME_BUDGET_S is spent."""
    call()
    samples: list[float] = []
    spent = 0.0
    while len(samples) < runs and (len(samples) < MIN_RUNS or spent < TIME_BUDGET_S):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
        spent += samples[-1] / 1000
    return samples


def time_queries(db, campaign_slug: str, until: datetime, runs: int = 20, log=None) -> list[QueryTiming]:
    """Every query in QUERIES over each window, `runs` times after one untimed warm-up call.

    The store is opened read-only, as the dashboard opens it."""
    timings = []
    with Store.open(db, readonly=True) as store:
        campaign = store.campaign(campaign_slug)
        now = iso_utc(until)
        for window, filters in window_filters(campaign, until).items():
            for page, label, module, name, call in QUERIES:
                function, missing = _function(store, module, name)
                if function is None:
                    timings.append(QueryTiming(page, label, window, None, None, 0, missing))
                    continue
                samples = sample(lambda c=call, f=function, w=filters: c(f, w, campaign, now), runs)
                timings.append(QueryTiming(page, label, window, statistics.median(samples),
                                           percentile(samples, 0.95), len(samples)))
                if log:
                    log(f"  {page} {label} over {window}: p95 {timings[-1].p95_ms:.1f} ms")
    return timings
