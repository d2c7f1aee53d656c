"""Query latency: p50 and p95 of every read the dashboard pages make, for one campaign over 7 and 90 days.

The reads and their arguments follow dashboard/app_pages (kpis is drawn several times a page,
for the range, the range before it and the campaign to date; it is timed once here).

The functions timed are the campaigns-level ones the dashboard's cached wrappers call
(campaigns.metrics, and campaigns.queries where it exists), without Streamlit's cache, so each
call reaches SQLite. A query whose function is not in the tree yet is listed as missing.
"""

from __future__ import annotations

import importlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from campaigns.metrics import Filters
from campaigns.model import iso_utc, to_datetime
from campaigns.store import Store

try:  # the dashboard draws hours up to this many hours, local days beyond
    from dashboard.selection import HOURLY_UP_TO
except ImportError:
    HOURLY_UP_TO = 72


def _bucket(filters: Filters) -> str:
    hours = (to_datetime(filters.end) - to_datetime(filters.start)).total_seconds() / 3600
    return "hour" if hours <= HOURLY_UP_TO else "day"


# (page, label, module, function, call) where call(fn, conn, filters, campaign, now) runs it once,
# with the arguments the page passes. Rows whose page is "(no page)" are timed but not targets.
QUERIES: list[tuple[str, str, str, str, Callable]] = [
    ("Overview", "kpis", "campaigns.metrics", "kpis", lambda f, c, w, k, n: f(c, w)),
    ("Overview", "series (sparkline)", "campaigns.metrics", "series",
     lambda f, c, w, k, n: f(c, w, k.timezone, _bucket(w), ())),
    ("Overview", "open_alerts", "campaigns.queries", "open_alerts", lambda f, c, w, k, n: f(c, k.id)),
    ("Traction", "series by platform", "campaigns.metrics", "series",
     lambda f, c, w, k, n: f(c, w, k.timezone, _bucket(w), ("platform",))),
    ("Traction", "series by side", "campaigns.metrics", "series",
     lambda f, c, w, k, n: f(c, w, k.timezone, _bucket(w), ("side",))),
    ("Traction", "spikes", "campaigns.metrics", "spikes", lambda f, c, w, k, n: f(c, w)),
    ("Traction", "cumulative_potential_reach", "campaigns.queries", "cumulative_potential_reach",
     lambda f, c, w, k, n: f(c, w, k.timezone, _bucket(w))),
    ("Traction", "top_hashtags", "campaigns.queries", "top_hashtags",
     lambda f, c, w, k, n: f(c, w, [t.value for t in k.trackers if t.kind == "hashtag"])),
    ("Traction", "top_amplifiers", "campaigns.queries", "top_amplifiers", lambda f, c, w, k, n: f(c, w)),
    ("Traction", "top_posts", "campaigns.queries", "top_posts", lambda f, c, w, k, n: f(c, w)),
    ("Traction", "planner markers", "campaigns.planner", "markers",
     lambda f, c, w, k, n: f(c, k.id, to_datetime(w.start), to_datetime(w.end))),
    ("Sentiment", "sentiment_histogram", "campaigns.queries", "sentiment_histogram",
     lambda f, c, w, k, n: f(c, w)),
    ("Sentiment", "extreme_posts negative", "campaigns.queries", "extreme_posts",
     lambda f, c, w, k, n: f(c, w, "negative")),
    ("Sentiment", "extreme_posts positive", "campaigns.queries", "extreme_posts",
     lambda f, c, w, k, n: f(c, w, "positive")),
    ("Sources", "source_summary", "campaigns.queries", "source_summary", lambda f, c, w, k, n: f(c, n)),
    ("Sources", "last_runs", "campaigns.queries", "last_runs", lambda f, c, w, k, n: f(c, 200)),
    ("Planner", "timeline", "campaigns.planner", "timeline", lambda f, c, w, k, n: f(c, k.id)),
    ("Planner", "actions", "campaigns.planner", "actions", lambda f, c, w, k, n: f(c, k.id)),
    ("Planner", "narratives", "campaigns.planner", "narratives", lambda f, c, w, k, n: f(c, k.id)),
    ("Planner", "events", "campaigns.planner", "events", lambda f, c, w, k, n: f(c, k.id)),
    ("Planner", "volunteers", "campaigns.planner", "volunteers", lambda f, c, w, k, n: f(c)),
    ("Planner", "assignments", "campaigns.planner", "assignments", lambda f, c, w, k, n: f(c, k.id)),
    ("(no page)", "distinct_series", "campaigns.metrics", "distinct_series",
     lambda f, c, w, k, n: f(c, w, k.timezone, _bucket(w))),
    ("(no page)", "series hourly by platform", "campaigns.metrics", "series",
     lambda f, c, w, k, n: f(c, w, k.timezone, "hour", ("platform",))),
]
NO_PAGE = "(no page)"
WINDOWS = {"7 days": 7, "90 days": 90}


@dataclass
class QueryTiming:
    page: str
    label: str
    window: str
    p50_ms: float | None
    p95_ms: float | None
    runs: int
    missing: str = ""


def _function(module: str, name: str):
    try:
        return getattr(importlib.import_module(module), name), ""
    except ImportError:
        return None, f"{module} not present"
    except AttributeError:
        return None, f"{module}.{name} not present"


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of a list of values."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def window_rows(db, campaign_slug: str, until: datetime) -> dict[str, int]:
    """How many campaign matches each window holds: what a distinct count or a top-N has to read."""
    with Store.open(db) as store:
        campaign = store.campaign(campaign_slug)
        return {window: store.db.conn.execute(
            "SELECT count(*) FROM mention_matches WHERE campaign_id = ? AND created_at >= ? AND created_at < ?",
            [campaign.id, iso_utc(until - timedelta(days=days)), iso_utc(until)]).fetchone()[0]
            for window, days in WINDOWS.items()}


def time_queries(db, campaign_slug: str, until: datetime, runs: int = 20) -> list[QueryTiming]:
    """Every query in QUERIES over each window, `runs` times after one untimed warm-up call."""
    timings = []
    with Store.open(db) as store:
        conn = store.db.conn
        campaign = store.campaign(campaign_slug)
        now = iso_utc(until)
        for window, days in WINDOWS.items():
            filters = Filters(campaign.id, iso_utc(until - timedelta(days=days)), now)
            for page, label, module, name, call in QUERIES:
                function, missing = _function(module, name)
                if function is None:
                    timings.append(QueryTiming(page, label, window, None, None, 0, missing))
                    continue
                call(function, conn, filters, campaign, now)
                samples = []
                for _ in range(runs):
                    started = time.perf_counter()
                    call(function, conn, filters, campaign, now)
                    samples.append((time.perf_counter() - started) * 1000)
                timings.append(QueryTiming(page, label, window, statistics.median(samples),
                                           percentile(samples, 0.95), runs))
    return timings
