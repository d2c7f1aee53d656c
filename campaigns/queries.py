"""Read queries for the dashboard: top posts, amplifiers, hashtags, runs; each the size of its table.

Every query here is a range query on an index of 0001 (mention_matches_range,
mention_hashtags_range, collection_runs_collector) or a lookup by primary key; none reads the
mentions table whole. Metrics themselves are defined in campaigns.metrics, not here.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pandas as pd

from campaigns.metrics import Filters, is_long_window
from campaigns.model import iso_utc, to_datetime

POST_COLUMNS = ["created_at", "platform", "side", "author_key", "text", "url", "engagement",
                "sentiment", "abuse", "uid"]


def table_exists(conn, name: str) -> bool:
    """True when the table is in the schema (the planner's and reports' tables come later)."""
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]).fetchone() is not None


def _aliased_where(filters: Filters, alias: str) -> tuple[str, list]:
    """Filters.where with every column taken from the table called `alias`."""
    where, params = filters.where()
    for column in ("campaign_id", "created_at", "platform", "side"):
        where = re.sub(rf"\b{column}\b", f"{alias}.{column}", where)
    return where, params


def _posts(conn, sides: dict[str, str]) -> pd.DataFrame:
    """The stored posts for these uids (uid -> side in the campaign), in the order given."""
    if not sides:
        return pd.DataFrame(columns=POST_COLUMNS)
    marks = ", ".join("?" * len(sides))
    frame = pd.read_sql_query(
        "SELECT created_at, platform, author_key, text, url, engagement, sentiment, abuse, uid FROM mentions"
        f" WHERE uid IN ({marks})", conn, params=list(sides),
    )
    frame["side"] = frame["uid"].map(sides)
    frame = frame.set_index("uid", drop=False).loc[[u for u in sides if u in set(frame["uid"])]]
    return frame.reset_index(drop=True)[POST_COLUMNS]


def top_posts(conn, filters: Filters, limit: int = 10) -> pd.DataFrame:
    """The original posts with the most engagement in the window, with their links."""
    where, params = filters.where()
    sides = dict(conn.execute(
        f"SELECT mention_uid, side FROM mention_matches WHERE {where} AND is_repost = 0"
        " ORDER BY engagement DESC, created_at DESC LIMIT ?", [*params, limit],
    ).fetchall())
    return _posts(conn, sides)


def extreme_posts(conn, filters: Filters, most: str = "negative", limit: int = 10) -> pd.DataFrame:
    """The most positive or most negative scored original posts in the window (ties: most engaged)."""
    if most not in ("positive", "negative"):
        raise ValueError("most is 'positive' or 'negative'")
    where, params = filters.where()
    order = "sentiment DESC" if most == "positive" else "sentiment ASC"
    sides = dict(conn.execute(
        f"SELECT mention_uid, side FROM mention_matches WHERE {where} AND is_repost = 0 AND sentiment IS NOT NULL"
        f" ORDER BY {order}, engagement DESC LIMIT ?", [*params, limit],
    ).fetchall())
    return _posts(conn, sides)


def top_amplifiers(conn, filters: Filters, limit: int = 15) -> pd.DataFrame:
    """The authors who brought the largest audience of their own in the window.

    Reach brought is an author's largest follower count seen in the window. Posts whose
    audience is not the author's own (a subreddit's subscribers on Reddit) and unknown
    audiences (RSS) are left out. Served by the covering index, so it never reads post rows.
    """
    where, params = filters.where()
    frame = pd.read_sql_query(
        "SELECT author_key, platform, count(*) AS posts, max(reach_value) AS reach_brought"
        f" FROM mention_matches WHERE {where} AND reach_key = author_key AND reach_value IS NOT NULL"
        " GROUP BY author_key, platform ORDER BY reach_brought DESC, posts DESC LIMIT ?",
        conn, params=[*params, limit],
    )
    return frame


def top_hashtags(conn, filters: Filters, tracked: list[str] = (), limit: int = 15) -> pd.DataFrame:
    """The hashtags used most often on the campaign's posts in the window, tracked ones flagged.

    Without platform or side filters this reads only the (campaign, time, tag) index; with them
    each tag row is checked against its match by primary key.
    """
    if filters.platforms or filters.sides:
        where, params = _aliased_where(filters, "mm")
        sql = (
            "SELECT h.tag AS tag, count(*) AS posts FROM mention_matches mm"
            " JOIN mention_hashtags h ON h.campaign_id = mm.campaign_id AND h.mention_uid = mm.mention_uid"
            f" WHERE {where} GROUP BY h.tag ORDER BY posts DESC, tag LIMIT ?"
        )
    else:
        where, params = filters.where()
        sql = f"SELECT tag, count(*) AS posts FROM mention_hashtags WHERE {where} GROUP BY tag" \
              " ORDER BY posts DESC, tag LIMIT ?"
    frame = pd.read_sql_query(sql, conn, params=[*params, limit])
    lowered = {t.lower() for t in tracked}
    frame["tracked"] = frame["tag"].isin(lowered)
    return frame


def sentiment_histogram(conn, filters: Filters, bins: int = 20) -> pd.DataFrame:
    """Scored posts per slice of -1..1 (from `low` to `high`), split by class at VADER's cut-offs.

    A slice that straddles a cut-off (-0.05 or 0.05) holds posts of two classes; the class
    columns keep them apart, so they add up to the positive, neutral and negative counts.
    """
    from campaigns.metrics import NEGATIVE_AT, POSITIVE_AT

    where, params = filters.where()
    width = 2.0 / bins
    frame = pd.read_sql_query(
        f"SELECT min(CAST((sentiment + 1.0) / {width} AS INTEGER), {bins - 1}) AS slot,"
        f" sum(sentiment >= {POSITIVE_AT}) AS positive,"
        f" sum(sentiment > {NEGATIVE_AT} AND sentiment < {POSITIVE_AT}) AS neutral,"
        f" sum(sentiment <= {NEGATIVE_AT}) AS negative"
        f" FROM mention_matches WHERE {where} AND sentiment IS NOT NULL GROUP BY slot ORDER BY slot",
        conn, params=params,
    )
    full = pd.DataFrame({"slot": range(bins)})
    frame = full.merge(frame, on="slot", how="left").fillna(0)
    frame["low"] = (-1.0 + frame["slot"] * width).round(3)
    frame["high"] = (frame["low"] + width).round(3)
    for column in ("positive", "neutral", "negative"):
        frame[column] = frame[column].astype(int)
    frame["posts"] = frame["positive"] + frame["neutral"] + frame["negative"]
    return frame[["low", "high", "negative", "neutral", "positive", "posts"]]


def cumulative_potential_reach(conn, filters: Filters, tz: str = "UTC", bucket: str = "day") -> pd.DataFrame:
    """Potential reach from the window's start to the end of each local bucket (never a sum of buckets).

    Each audience counts once, from the bucket it is first seen in, at its largest size seen in
    the window; the last value equals metrics.distinct_totals over the whole window.
    """
    from campaigns.metrics import local_buckets

    where, params = filters.where()
    index = "mention_matches_audiences" if is_long_window(conn, filters) else "mention_matches_range"
    first_seen = pd.read_sql_query(
        f"SELECT min(created_at) AS first_seen, max(reach_value) AS size FROM mention_matches INDEXED BY {index}"
        f" WHERE {where} AND reach_key IS NOT NULL AND reach_value IS NOT NULL GROUP BY reach_key",
        conn, params=params,
    )
    spans = local_buckets(to_datetime(filters.start), to_datetime(filters.end), tz, bucket)
    if not spans:
        return pd.DataFrame(columns=["bucket", "potential_reach"])
    ends = [iso_utc(span_end) for _, span_end in spans]
    ordered = first_seen.sort_values("first_seen")
    cumulative = ordered["size"].cumsum().to_numpy()
    positions = ordered["first_seen"].searchsorted(ends, side="left")
    reach = [int(cumulative[p - 1]) if p > 0 else None for p in positions]
    return pd.DataFrame({"bucket": [pd.Timestamp(start).tz_convert(tz) for start, _ in spans],
                         "potential_reach": reach})


def data_bounds(conn, campaign_id: int) -> tuple[str | None, str | None]:
    """The first and last roll-up hours that hold mentions of a campaign (None, None when none)."""
    return tuple(conn.execute(
        "SELECT min(hour), max(hour) FROM hourly WHERE campaign_id = ?", [campaign_id]
    ).fetchone())


def campaign_totals(conn, campaign_id: int) -> int:
    """Every mention a campaign has matched, from the roll-up."""
    return conn.execute(
        "SELECT coalesce(sum(mentions), 0) FROM hourly WHERE campaign_id = ?", [campaign_id]
    ).fetchone()[0]


def open_alerts(conn, campaign_id: int | None = None, limit: int = 20) -> pd.DataFrame:
    """Alerts not yet acknowledged, newest first."""
    columns = ["at", "campaign_id", "kind", "detail"]
    if not table_exists(conn, "alerts"):
        return pd.DataFrame(columns=columns)
    sql = "SELECT at, campaign_id, kind, detail FROM alerts WHERE acknowledged_at IS NULL"
    params: list = []
    if campaign_id is not None:
        sql += " AND campaign_id = ?"
        params.append(campaign_id)
    return pd.read_sql_query(sql + " ORDER BY at DESC LIMIT ?", conn, params=[*params, limit])


def last_runs(conn, limit: int = 50, campaign_id: int | None = None) -> pd.DataFrame:
    """The most recent collection runs, newest first, with how long each took in seconds."""
    sql = ("SELECT id, collector, campaign_id, started_at, finished_at, status, fetched, new, updated,"
           " cost_units, error FROM collection_runs")
    params: list = []
    if campaign_id is not None:
        sql += " WHERE campaign_id = ? OR campaign_id IS NULL"
        params.append(campaign_id)
    frame = pd.read_sql_query(sql + " ORDER BY started_at DESC, id DESC LIMIT ?", conn, params=[*params, limit])
    started = pd.to_datetime(frame["started_at"], utc=True)
    finished = pd.to_datetime(frame["finished_at"], utc=True)
    frame.insert(5, "seconds", (finished - started).dt.total_seconds())
    return frame


def source_summary(conn, now: str, days: int = 30) -> pd.DataFrame:
    """Per collector over the last `days`: runs, errors, rate limits, posts fetched, cost units
    (the X budget counts these), and the last run's time and result."""
    since = iso_utc(to_datetime(now) - timedelta(days=days))
    frame = pd.read_sql_query(
        "SELECT collector, count(*) AS runs,"
        " sum(status = 'error') AS errors, sum(status = 'rate_limited') AS rate_limited,"
        " sum(status = 'partial') AS partial, sum(fetched) AS fetched, sum(new) AS new,"
        " sum(cost_units) AS cost_units, max(started_at) AS last_started_at"
        " FROM collection_runs WHERE started_at >= ? GROUP BY collector ORDER BY collector",
        conn, params=[since],
    )
    last = {row[0]: (row[1], row[2]) for row in conn.execute(
        "SELECT r.collector, r.status, r.error FROM collection_runs r"
        " JOIN (SELECT collector, max(started_at) AS at FROM collection_runs GROUP BY collector) l"
        " ON l.collector = r.collector AND l.at = r.started_at"
    )}
    frame["last_status"] = [last.get(c, (None, None))[0] for c in frame["collector"]]
    frame["last_error"] = [last.get(c, (None, None))[1] for c in frame["collector"]]
    return frame
