"""The naive peer: the Traction page's data computed the way most Streamlit dashboards compute it, beside Groundswell's reads.

Most dashboards built on a database read the campaign's matched posts into pandas once
(`pd.read_sql` of the matches joined to the posts, from the earliest instant a chart needs) and
group that frame once per chart. This module does exactly that for every number and chart the
Traction page shows (the tiles for the range, the range before it, both sides and since the
start; mentions and engagement by platform; spikes; cumulative potential reach; share of voice;
hashtags; amplifiers; top posts), and, for comparison, makes the same page's calls to the store.
The peer's SQL is here on purpose: it is the peer's way of reading, not the house's.

Run as `python -m bench.peer DB MODE DAYS` (MODE `naive` or `groundswell`) in a fresh process per
mode, so the peak memory it prints is that computation's own. Prints one JSON object.
"""

from __future__ import annotations

import json
import resource
import sys
import threading
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pandas as pd

from bench.build import CAMPAIGN, UNTIL
from campaigns.metrics import NEGATIVE_AT, POSITIVE_AT, SPIKE_BASELINE_HOURS, Filters
from campaigns.model import iso_utc, to_datetime
from campaigns.store import Store

REPEATS = 3


def _rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / 2**20


def _windows(campaign, days: float) -> dict[str, Filters]:
    end = UNTIL
    start = end - timedelta(days=days)
    since = to_datetime(campaign.starts_at, campaign.timezone).replace(minute=0, second=0)
    return {"now": Filters(campaign.id, iso_utc(start), iso_utc(end), (), ("ours",)),
            "before": Filters(campaign.id, iso_utc(start - (end - start)), iso_utc(start), (), ("ours",)),
            "everyone": Filters(campaign.id, iso_utc(start), iso_utc(end)),
            "since": Filters(campaign.id, iso_utc(since), iso_utc(end), (), ("ours",))}


def _tiles(frame: pd.DataFrame) -> dict:
    originals = frame[frame["is_repost"] == 0]
    known = frame.dropna(subset=["reach_key", "reach_value"])
    return {"mentions": len(frame), "reposts": int(frame["is_repost"].sum()),
            "unique_authors": int(frame["author_key"].nunique()),
            "potential_reach": int(known.groupby("reach_key")["reach_value"].max().sum()) if len(known) else None,
            "engagement": int(originals["engagement"].sum()),
            "positive": int((frame["sentiment"] >= POSITIVE_AT).sum()),
            "negative": int((frame["sentiment"] <= NEGATIVE_AT).sum()),
            "ours": int((frame["side"] == "ours").sum()), "opposing": int((frame["side"] == "opposing").sum())}


def naive(store: Store, campaign, days: int) -> dict:
    """Every number and chart of the Traction page from one frame of the campaign's matched posts."""
    windows = _windows(campaign, days)
    tz = campaign.timezone
    earliest = min(min(f.start for f in windows.values()),
                   iso_utc(to_datetime(windows["now"].start) - timedelta(hours=SPIKE_BASELINE_HOURS)))
    conn = store.conn
    frame = pd.read_sql_query(
        "SELECT m.*, mm.side, mm.reach_key, mm.reach_value, mm.engagement AS counted_engagement"
        " FROM mention_matches mm JOIN mentions m ON m.uid = mm.mention_uid"
        " WHERE mm.campaign_id = ? AND mm.created_at >= ? AND mm.created_at < ?",
        conn, params=[campaign.id, earliest, windows["now"].end])
    frame["at"] = pd.to_datetime(frame["created_at"], utc=True)
    frame["engagement"] = frame["counted_engagement"]

    def of(filters: Filters) -> pd.DataFrame:
        chosen = (frame["created_at"] >= filters.start) & (frame["created_at"] < filters.end)
        if filters.sides:
            chosen &= frame["side"].isin(filters.sides)
        return frame[chosen]

    out = {name: _tiles(of(f)) for name, f in windows.items()}
    now = of(windows["now"]).copy()
    now["day"] = now["at"].dt.tz_convert(tz).dt.normalize()
    by_platform = now.groupby(["day", "platform"]).agg(mentions=("uid", "size"), reposts=("is_repost", "sum"),
                                                       engagement=("engagement", "sum")).reset_index()
    hourly = of(windows["now"].shifted(earliest, windows["now"].end)).set_index("at").resample("h").size()
    previous = hourly.shift(1).rolling(SPIKE_BASELINE_HOURS, min_periods=72)
    spikes = hourly[(hourly >= 10) & (hourly > previous.mean() + 3 * previous.std(ddof=0))]
    known = now.dropna(subset=["reach_key", "reach_value"])
    audiences = known.groupby("reach_key").agg(first=("day", "min"), size=("reach_value", "max"))
    reach = audiences.groupby("first")["size"].sum().sort_index().cumsum()
    everyone = of(windows["everyone"]).copy()
    everyone["day"] = everyone["at"].dt.tz_convert(tz).dt.normalize()
    voice = everyone.groupby(["day", "side"]).size().unstack(fill_value=0)
    tags = pd.read_sql_query(
        "SELECT h.tag FROM mention_hashtags h JOIN mention_matches mm"
        " ON mm.mention_uid = h.mention_uid AND mm.campaign_id = h.campaign_id"
        " WHERE h.campaign_id = ? AND h.created_at >= ? AND h.created_at < ? AND mm.side = 'ours'",
        conn, params=[campaign.id, windows["now"].start, windows["now"].end])["tag"].value_counts().head(15)
    own = now[(now["reach_key"] == now["author_key"]) & now["reach_value"].notna()]
    amplifiers = own.groupby(["author_key", "platform"]).agg(posts=("uid", "size"), reach_brought=("reach_value", "max")) \
        .sort_values(["reach_brought", "posts"], ascending=False).head(15)
    top_posts = now[now["is_repost"] == 0].nlargest(10, "engagement")
    out["charts"] = {"platform rows": len(by_platform), "spikes": len(spikes), "reach days": len(reach),
                     "voice days": len(voice), "tags": len(tags), "amplifiers": len(amplifiers),
                     "top posts": len(top_posts)}
    return out


def groundswell(store: Store, campaign, days: int) -> dict:
    """The Traction page's own calls to the store, as dashboard/app_pages/traction.py makes them."""
    windows = _windows(campaign, days)
    reads, tz = store.reads, campaign.timezone
    out = {}
    for name, filters in windows.items():
        k = reads.kpis(filters)
        out[name] = {"mentions": k.mentions, "reposts": k.reposts, "unique_authors": k.unique_authors,
                     "potential_reach": k.potential_reach, "engagement": k.engagement, "positive": k.positive,
                     "negative": k.negative, "ours": k.ours, "opposing": k.opposing}
    now = windows["now"]
    by_platform = reads.series(now, tz, "day", ("platform",))
    store.plan.markers(campaign.id, to_datetime(now.start), to_datetime(now.end))
    spikes = reads.spikes(now)
    reach = reads.cumulative_potential_reach(now, tz, "day")
    by_side = reads.series(windows["everyone"], tz, "day", ("side",))
    tags = reads.top_hashtags(now, [t.value for t in campaign.trackers if t.kind == "hashtag"])
    amplifiers = reads.top_amplifiers(now)
    top_posts = reads.top_posts(now)
    out["charts"] = {"platform rows": len(by_platform), "spikes": len(spikes), "reach days": len(reach),
                     "voice days": len(by_side), "tags": len(tags), "amplifiers": len(amplifiers),
                     "top posts": len(top_posts)}
    return out


class _PeakRss:
    """The largest resident set seen while it runs, sampled every few milliseconds: the process's
    own peak (ru_maxrss) is set by start-up, before anything is measured."""

    def __init__(self):
        self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self):
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, _rss_mb())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())


def measure(db: Path, mode: str, days: int) -> dict:
    """The best of REPEATS runs (wall and CPU), the resident memory they added at most, and the
    Python allocations (pandas' and numpy's included) of one more run at their peak."""
    with Store.open(db, readonly=True) as store:
        campaign = store.campaign(CAMPAIGN)
        compute = naive if mode == "naive" else groundswell
        # Once over an hour first, so what the libraries load on first use is not counted.
        compute(store, campaign, 1 / 24)
        base = _rss_mb()
        seconds, cpu, result = [], [], None
        with _PeakRss() as rss:
            for _ in range(REPEATS):
                started, cpu_started = time.perf_counter(), time.process_time()
                result = compute(store, campaign, days)
                seconds.append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu_started)
        tracemalloc.start()
        compute(store, campaign, days)
        allocated = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return {"mode": mode, "seconds": min(seconds), "cpu_seconds": min(cpu), "base_rss_mb": base,
            "peak_rss_mb": rss.peak, "added_mb": max(rss.peak - base, 0.0), "allocated_mb": allocated,
            "tiles": {name: result[name] for name in ("now", "before", "everyone", "since")}}


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]))))
