"""The reads behind the dashboard and reports: each an indexed query the size of its chart.

Every query here is a range query on an index (mention_matches_range and the window indexes of
0004, mention_hashtags_range, collection_runs_collector) or a lookup by primary key; none reads
the mentions table whole. What each metric means is defined in campaigns.metrics, not here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

import numpy as np
import pandas as pd

from campaigns.metrics import (
    ABUSIVE_THRESHOLD,
    NEGATIVE_AT,
    POSITIVE_AT,
    ROLLUP_SPLITS,
    ROLLUP_SUMS,
    SPIKE_BASELINE_HOURS,
    Filters,
    Kpis,
    local_buckets,
    net_sentiment,
    spike_hours,
)
from campaigns.model import iso_utc, to_datetime
from campaigns.store.mentions import TONE_SLOT_COLUMNS, TONE_SLOTS

POST_COLUMNS = ["created_at", "platform", "side", "author_key", "text", "url", "engagement",
                "sentiment", "abuse", "uid"]
# Measured at 1M mentions: the orders cost the same when a window holds about a fifth to a third
# of the campaign's data.
LONG_WINDOW_SHARE = 0.3
SPANS_PER_STATEMENT = 1000


def _aliased_where(filters: Filters, alias: str) -> tuple[str, list]:
    """Filters.where with every column taken from the table called `alias`."""
    where, params = filters.where()
    for column in ("campaign_id", "created_at", "platform", "side"):
        where = re.sub(rf"\b{column}\b", f"{alias}.{column}", where)
    return where, params


class Reads:
    """The dashboard's reads on one store (`store.reads`); none of them writes."""

    def __init__(self, store):
        self.store = store

    @property
    def conn(self):
        return self.store.conn

    def kpis(self, filters: Filters) -> Kpis:
        """Counts and sums from the hourly roll-up; distinct authors and reach from the covering index."""
        start_hour, end_hour = filters.start[:13] + ":00:00Z", filters.end[:13] + ":00:00Z"
        exact = filters.start == start_hour and filters.end == end_hour
        if exact:
            where, params = filters.shifted(start_hour, end_hour).where("hour")
            row = self.conn.execute(
                "SELECT coalesce(sum(mentions), 0), coalesce(sum(reposts), 0), coalesce(sum(engagement), 0),"
                " coalesce(sum(pos), 0), coalesce(sum(neg), 0), coalesce(sum(neu), 0),"
                " coalesce(sum(abusive), 0), sum(impressions), coalesce(sum(impressions_known), 0),"
                " coalesce(sum(CASE WHEN side = 'ours' THEN mentions END), 0),"
                " coalesce(sum(CASE WHEN side = 'opposing' THEN mentions END), 0),"
                " coalesce(sum(engagement_known), 0)"
                f" FROM hourly WHERE {where}", params,
            ).fetchone()
        else:
            # A window that does not fall on whole hours is counted from the matches themselves.
            where, params = filters.where()
            row = self.conn.execute(
                "SELECT count(*), coalesce(sum(is_repost), 0), coalesce(sum(engagement), 0),"
                f" coalesce(sum(sentiment >= {POSITIVE_AT}), 0), coalesce(sum(sentiment <= {NEGATIVE_AT}), 0),"
                f" coalesce(sum(sentiment > {NEGATIVE_AT} AND sentiment < {POSITIVE_AT}), 0),"
                f" coalesce(sum(abuse >= {ABUSIVE_THRESHOLD}), 0), NULL, 0,"
                " coalesce(sum(side = 'ours'), 0), coalesce(sum(side = 'opposing'), 0), count(engagement)"
                f" FROM mention_matches WHERE {where}", params,
            ).fetchone()
        authors, reach = self.distinct_totals(filters)
        return Kpis(
            # Unknown where the window has posts and none with a known count; no posts, none.
            mentions=row[0], reposts=row[1], engagement=row[2] if row[11] or not row[0] else None,
            positive=row[3], negative=row[4],
            neutral=row[5], abusive=row[6], impressions=row[7] if row[8] else None, ours=row[9],
            opposing=row[10], unique_authors=authors, potential_reach=reach,
        )

    def distinct_totals(self, filters: Filters) -> tuple[int | None, int | None]:
        """(unique authors, potential reach) over the window, each author or audience once.

        An audience's size is its largest value seen in the window (follower counts move).
        Both are None (n/a) for a window reaching into a period whose authors were purged.
        A long window that reaches the first or the last hour of the campaign's data (the last N
        days, the campaign to date) is counted from the spans, one row per author or audience,
        side and platform; any other from its matches.
        """
        if self.purged_into(filters):
            return None, None
        long, reaches_an_end = self._window_shape(filters)
        if long and reaches_an_end:
            return self._distinct_totals_from_spans(filters)
        return self._distinct_totals_from_matches(filters, long)

    def distinct_totals_scan(self, filters: Filters) -> tuple[int | None, int | None]:
        """distinct_totals counted from every match of the window, as before the spans: the
        benchmark holds the two equal."""
        if self.purged_into(filters):
            return None, None
        return self._distinct_totals_from_matches(filters, self.is_long_window(filters))

    def _distinct_totals_from_matches(self, filters: Filters, long: bool) -> tuple[int | None, int | None]:
        where, params = filters.where()
        authors = self.conn.execute(
            f"SELECT count(DISTINCT author_key) FROM mention_matches"
            f" INDEXED BY {'mention_matches_authors' if long else 'mention_matches_range'} WHERE {where}", params,
        ).fetchone()[0]
        reach = self.conn.execute(
            "SELECT sum(size) FROM (SELECT max(reach_value) AS size FROM mention_matches"
            f" INDEXED BY {'mention_matches_audiences' if long else 'mention_matches_range'}"
            f" WHERE {where} AND reach_key IS NOT NULL GROUP BY reach_key)", params,
        ).fetchone()[0]
        return authors, reach

    def _distinct_totals_from_spans(self, filters: Filters) -> tuple[int | None, int | None]:
        """Unique authors and potential reach from one pass over the campaign's spans, in key order.

        A span that starts or ends inside the window was seen in it; one that covers the window
        is looked for in it, one index seek. An audience's largest size counts where it was seen
        inside the window; otherwise its largest size inside the window is looked up.
        """
        scope, params = filters.scope()
        s, e = filters.start, filters.end
        matches = ("FROM mention_matches m INDEXED BY {index} WHERE m.campaign_id = g.campaign_id AND m.{column} = g.key"
                   " AND m.created_at >= ? AND m.created_at < ? AND m.side = g.side AND m.platform = g.platform")
        authors = matches.format(index="mention_matches_authors", column="author_key")
        audiences = matches.format(index="mention_matches_audiences", column="reach_key")
        return tuple(self.conn.execute(
            "SELECT count(CASE WHEN authored THEN 1 END), sum(size) FROM (SELECT"
            "  max(CASE WHEN author_first IS NULL OR author_first >= ? OR author_last < ? THEN 0"
            "   WHEN author_first >= ? OR author_last < ? THEN 1"
            f"   ELSE EXISTS (SELECT 1 {authors}) END) AS authored,"
            "  max(CASE WHEN audience_first IS NULL OR audience_first >= ? OR audience_last < ? THEN NULL"
            "   WHEN max_at >= ? AND max_at < ? THEN max_value"
            f"   ELSE (SELECT max(reach_value) {audiences}) END) AS size"
            f" FROM spans g WHERE {scope} GROUP BY key)",
            [e, s, s, e, s, e, e, s, s, e, s, e, *params],
        ).fetchone())

    def purged_into(self, filters: Filters) -> bool:
        """Whether the window starts before the campaign's retention purge: its authors are gone."""
        row = self.conn.execute("SELECT purged_before FROM campaigns WHERE id = ?", [filters.campaign_id]).fetchone()
        return bool(row and row[0] and filters.start < row[0])

    def is_long_window(self, filters: Filters) -> bool:
        """Whether a window holds so much of a campaign's data that distinct counts are cheaper in
        author or audience order (cost grows with the campaign, no sort) than by time range (cost
        grows with the window, plus a sort).

        SQLite's planner cannot tell the two cases apart without statistics, and guesses wrong in
        one of them either way; the campaign's first and last hour, from the roll-up's primary key,
        give the share at the cost of two index lookups.
        """
        return self._window_shape(filters)[0]

    def _window_shape(self, filters: Filters) -> tuple[bool, bool]:
        """(is_long_window, whether the window reaches the campaign's first or last roll-up hour).

        Over a window reaching either end of the data no author or audience spans the window
        without starting or ending inside it, so the spans answer without looking at matches.
        """
        first, last = self.conn.execute(
            "SELECT min(hour), max(hour) FROM hourly WHERE campaign_id = ?", [filters.campaign_id]
        ).fetchone()
        if first is None:
            return False, False
        first_at, last_at = to_datetime(first), to_datetime(last) + timedelta(hours=1)
        window_start, window_end = to_datetime(filters.start), to_datetime(filters.end)
        start, end = max(window_start, first_at), min(window_end, last_at)
        long = (end - start).total_seconds() >= LONG_WINDOW_SHARE * (last_at - first_at).total_seconds()
        return long, window_start <= first_at or window_end >= last_at

    def hourly_frame(self, filters: Filters, by: Sequence[str] = ROLLUP_SPLITS,
                     sums: Sequence[str] = ROLLUP_SUMS) -> pd.DataFrame:
        """The roll-up in the window summed per hour and the `by` splits: one row per hour that had mentions.

        SQLite sums over the splits not asked for, walking the roll-up's primary key in order, so
        pandas only receives the rows and columns the caller groups (a 90-day window of a busy
        campaign is tens of thousands of roll-up rows, a few thousand once summed).
        """
        unknown = set(by) - set(ROLLUP_SPLITS) | set(sums) - set(ROLLUP_SUMS)
        if unknown:
            raise ValueError(f"not a roll-up column: {', '.join(sorted(unknown))}")
        where, params = filters.shifted(filters.start[:13] + ":00:00Z", filters.end).where("hour")
        keys = ", ".join(["hour", *by])
        frame = pd.read_sql_query(
            f"SELECT {keys}, {', '.join(f'sum({c}) AS {c}' for c in sums)} FROM hourly WHERE {where}"
            f" GROUP BY {keys} ORDER BY {keys}",
            self.conn, params=params,
        )
        frame["hour"] = pd.to_datetime(frame["hour"], utc=True)
        return frame

    def series(self, filters: Filters, tz: str = "UTC", bucket: str = "hour",
               by: Sequence[str] = ("platform",)) -> pd.DataFrame:
        """Counts and sums per local hour or day (column `bucket`), split by platform and/or side."""
        if bucket == "day":
            grouped = self._day_sums(filters, tz, tuple(by))
        else:
            frame = self.hourly_frame(filters, by=tuple(by))
            frame["bucket"] = frame["hour"].dt.tz_convert(tz)
            grouped = frame.groupby(["bucket", *by], as_index=False)[list(ROLLUP_SUMS)].sum()
        grouped["originals"] = grouped["mentions"] - grouped["reposts"]
        grouped["net_sentiment"] = [net_sentiment(p, n) for p, n in zip(grouped["pos"], grouped["neg"], strict=True)]
        return grouped

    def _day_sums(self, filters: Filters, tz: str, by: tuple[str, ...]) -> pd.DataFrame:
        """The roll-up summed per local day by SQLite: the days go in as a table of UTC spans, so
        pandas receives one row per day and split instead of one per hour."""
        unknown = set(by) - set(ROLLUP_SPLITS)
        if unknown:
            raise ValueError(f"not a roll-up column: {', '.join(sorted(unknown))}")
        spans = local_buckets(to_datetime(filters.start[:13] + ":00:00Z"), to_datetime(filters.end), tz, "day")
        # Labelled as before: the local midnight of each day.
        labels = pd.to_datetime(pd.Series([iso_utc(a) for a, _ in spans], dtype=object), utc=True) \
            .dt.tz_convert(tz).dt.floor("D", ambiguous=False, nonexistent="shift_forward") if spans else []
        scope, params = filters.scope()
        keys = "".join(f", {column}" for column in by)
        parts = []
        for first in range(0, len(spans), SPANS_PER_STATEMENT):
            chunk = spans[first:first + SPANS_PER_STATEMENT]
            values = ", ".join(["(?, ?, ?)"] * len(chunk))
            span_params = [v for i, (a, b) in enumerate(chunk, start=first) for v in (i, iso_utc(a), iso_utc(b))]
            parts.append(pd.read_sql_query(
                f"WITH spans(i, span_start, span_end) AS (VALUES {values})"
                f" SELECT i{keys}, {', '.join(f'sum({c}) AS {c}' for c in ROLLUP_SUMS)}"
                " FROM spans JOIN hourly ON hour >= span_start AND hour < span_end"
                f" WHERE {scope} GROUP BY i{keys} ORDER BY i{keys}",
                self.conn, params=span_params + params))
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
            columns=["i", *by, *ROLLUP_SUMS])
        frame.insert(0, "bucket", [labels[i] for i in frame["i"]] if len(frame)
                     else pd.Series(dtype=pd.DatetimeTZDtype("us", tz)))
        return frame.drop(columns=["i"])

    def distinct_series(self, filters: Filters, tz: str = "UTC", bucket: str = "day") -> pd.DataFrame:
        """Unique authors and potential reach per local bucket, each bucket counted on its own.

        The buckets go to SQLite as a table of spans joined to the covering index, so one statement
        counts every bucket instead of two statements per bucket.
        """
        spans = local_buckets(to_datetime(filters.start), to_datetime(filters.end), tz, bucket)
        # The window is the spans' own bounds: a window clause here would make SQLite search the
        # whole window once per span instead of each span's own range.
        where, params = filters.scope()
        authors: dict[int, int] = {}
        reach: dict[int, int] = {}
        for first in range(0, len(spans), SPANS_PER_STATEMENT):
            chunk = spans[first:first + SPANS_PER_STATEMENT]
            values = ", ".join(["(?, ?, ?)"] * len(chunk))
            span_params = [v for i, (a, b) in enumerate(chunk, start=first) for v in (i, iso_utc(a), iso_utc(b))]
            join = (f"WITH spans(i, span_start, span_end) AS (VALUES {values}) SELECT {{}} FROM spans"
                    " JOIN mention_matches ON created_at >= span_start AND created_at < span_end"
                    f" WHERE {where}")
            authors.update(self.conn.execute(
                join.format("i, count(DISTINCT author_key)") + " GROUP BY i", span_params + params).fetchall())
            reach.update(self.conn.execute(
                f"SELECT i, sum(size) FROM ({join.format('i, max(reach_value) AS size')}"
                " AND reach_key IS NOT NULL GROUP BY i, reach_key) GROUP BY i", span_params + params).fetchall())
        rows = [{"bucket": pd.Timestamp(span_start).tz_convert(tz), "unique_authors": authors.get(i, 0),
                 "potential_reach": reach.get(i)} for i, (span_start, _) in enumerate(spans)]
        return pd.DataFrame(rows, columns=["bucket", "unique_authors", "potential_reach"])

    def spikes(self, filters: Filters) -> pd.DataFrame:
        """The spike hours of the window (metrics.spike_hours), from the roll-up's hourly counts."""
        start = to_datetime(filters.start)
        lookback = filters.shifted(iso_utc(start - timedelta(hours=SPIKE_BASELINE_HOURS)), filters.end)
        frame = self.hourly_frame(lookback, by=(), sums=("mentions",))
        counts = frame.set_index("hour")["mentions"]
        full_index = pd.date_range(pd.Timestamp(lookback.start), pd.Timestamp(filters.end), freq="h",
                                   inclusive="left")
        return spike_hours(counts.reindex(full_index, fill_value=0), start)

    def _posts(self, sides: dict[str, str]) -> pd.DataFrame:
        """The stored posts for these uids (uid -> side in the campaign), in the order given."""
        if not sides:
            return pd.DataFrame(columns=POST_COLUMNS)
        marks = ", ".join("?" * len(sides))
        frame = pd.read_sql_query(
            "SELECT created_at, platform, author_key, text, url, engagement, sentiment, abuse, uid FROM mentions"
            f" WHERE uid IN ({marks})", self.conn, params=list(sides),
        )
        frame["side"] = frame["uid"].map(sides)
        frame = frame.set_index("uid", drop=False).loc[[u for u in sides if u in set(frame["uid"])]]
        return frame.reset_index(drop=True)[POST_COLUMNS]

    def top_posts(self, filters: Filters, limit: int = 10) -> pd.DataFrame:
        """The original posts with the most engagement in the window, with their links."""
        where, params = filters.where()
        sides = dict(self.conn.execute(
            f"SELECT mention_uid, side FROM mention_matches WHERE {where} AND is_repost = 0"
            " ORDER BY engagement DESC, created_at DESC LIMIT ?", [*params, limit],
        ).fetchall())
        return self._posts(sides)

    def extreme_posts(self, filters: Filters, most: str = "negative", limit: int = 10) -> pd.DataFrame:
        """The most positive or most negative scored original posts in the window (ties: most engaged)."""
        if most not in ("positive", "negative"):
            raise ValueError("most is 'positive' or 'negative'")
        where, params = filters.where()
        order = "sentiment DESC" if most == "positive" else "sentiment ASC"
        sides = dict(self.conn.execute(
            f"SELECT mention_uid, side FROM mention_matches WHERE {where} AND is_repost = 0 AND sentiment IS NOT NULL"
            f" ORDER BY {order}, engagement DESC LIMIT ?", [*params, limit],
        ).fetchall())
        return self._posts(sides)

    def top_amplifiers(self, filters: Filters, limit: int = 15) -> pd.DataFrame:
        """The authors who brought the largest audience of their own in the window.

        Reach brought is an author's largest follower count seen in the window. Posts whose
        audience is not the author's own (a subreddit's subscribers on Reddit) and unknown
        audiences (RSS) are left out. Ties go to more posts, then to the name.

        The spans of authors' own audiences are walked in descending largest size, which is never
        less than what an author brought to any window: once `limit` authors are counted and the
        next span's largest size is below the last of them, no author further down can enter the
        list or tie with it. Only the authors walked are counted, from their own matches.
        """
        scope, params = filters.scope()
        walk = self.conn.execute(
            "SELECT key, max_value FROM spans INDEXED BY spans_own_size"
            f" WHERE {scope} AND own_posts > 0 AND max_value IS NOT NULL"
            " AND audience_first < ? AND audience_last >= ? ORDER BY max_value DESC",
            [*params, filters.end, filters.start])
        authors: dict[str, None] = {}
        wanted = limit
        pending = walk.fetchone()
        while True:
            while pending is not None and len(authors) < wanted:
                authors.setdefault(pending[0])
                pending = walk.fetchone()
            frame = self._amplifiers(filters, limit, list(authors))
            if pending is None or (len(frame) == limit and pending[1] < frame["reach_brought"].iloc[-1]):
                return frame
            wanted *= 2

    def top_amplifiers_scan(self, filters: Filters, limit: int = 15) -> pd.DataFrame:
        """top_amplifiers from every match of the window, as before the walk: the benchmark and
        the tests hold the two equal."""
        return self._amplifiers(filters, limit)

    def _amplifiers(self, filters: Filters, limit: int, authors: list[str] | None = None) -> pd.DataFrame:
        """The amplifier rows of the window, of these authors only when given (looked up by author)."""
        where, params = filters.where()
        only = ""
        if authors is not None:
            if not authors:
                authors = [None]
            only = f" AND author_key IN ({', '.join('?' * len(authors))})"
            params = [*params, *authors]
        index = "INDEXED BY mention_matches_authors" if authors is not None else ""
        return pd.read_sql_query(
            "SELECT author_key, platform, count(*) AS posts, max(reach_value) AS reach_brought"
            f" FROM mention_matches {index} WHERE {where} AND reach_key = author_key AND reach_value IS NOT NULL{only}"
            " GROUP BY author_key, platform ORDER BY reach_brought DESC, posts DESC, author_key, platform LIMIT ?",
            self.conn, params=[*params, limit],
        )

    def top_hashtags(self, filters: Filters, tracked: list[str] = (), limit: int = 15) -> pd.DataFrame:
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
        frame = pd.read_sql_query(sql, self.conn, params=[*params, limit])
        lowered = {t.lower() for t in tracked}
        frame["tracked"] = frame["tag"].isin(lowered)
        return frame

    def sentiment_histogram(self, filters: Filters, bins: int = TONE_SLOTS) -> pd.DataFrame:
        """Scored posts per slice of -1..1 (from `low` to `high`), split by class at VADER's cut-offs.

        A slice that straddles a cut-off (-0.05 or 0.05) holds posts of two classes; the class
        columns keep them apart, so they add up to the positive, neutral and negative counts.
        The whole hours of the window are summed from the tone roll-up; part-hours at its edges
        are counted from the matches.
        """
        if bins != TONE_SLOTS:
            return self.sentiment_histogram_scan(filters, bins)
        start, end = to_datetime(filters.start), to_datetime(filters.end)
        floor = start.replace(minute=0, second=0, microsecond=0)
        first = floor if floor == start else floor + timedelta(hours=1)
        last = end.replace(minute=0, second=0, microsecond=0)
        if first >= last:
            return self.sentiment_histogram_scan(filters, bins)
        where, params = filters.shifted(iso_utc(first), iso_utc(last)).where("hour")
        sums = self.conn.execute(
            f"SELECT {', '.join(f'coalesce(sum({c}), 0)' for c in TONE_SLOT_COLUMNS)} FROM tone_slots WHERE {where}",
            params).fetchone()
        counts = np.zeros((bins, 3), dtype=np.int64)   # per slot: positive, neutral, negative
        for column, value in zip(TONE_SLOT_COLUMNS, sums, strict=True):
            cls, slot = column.rsplit("_", 1)
            counts[int(slot), ("positive", "neutral", "negative").index(cls)] += value
        for edge_start, edge_end in ((start, first), (last, end)):
            if edge_start < edge_end:
                edge = filters.shifted(iso_utc(edge_start), iso_utc(edge_end))
                for slot, *classes in self._slot_counts(edge, bins).itertuples(index=False):
                    if 0 <= slot < bins:
                        counts[int(slot)] += np.array(classes, dtype=np.int64)
        return self._histogram_frame(counts, bins)

    def sentiment_histogram_scan(self, filters: Filters, bins: int = TONE_SLOTS) -> pd.DataFrame:
        """sentiment_histogram counted from every match of the window, as before the roll-up:
        the benchmark and the tests hold the two equal."""
        return self._histogram(self._slot_counts(filters, bins), bins)

    def _slot_counts(self, filters: Filters, bins: int) -> pd.DataFrame:
        """Scored matches per slice (slot) and class in the window, from the range index."""
        where, params = filters.where()
        width = 2.0 / bins
        return pd.read_sql_query(
            f"SELECT min(CAST((sentiment + 1.0) / {width} AS INTEGER), {bins - 1}) AS slot,"
            f" sum(sentiment >= {POSITIVE_AT}) AS positive,"
            f" sum(sentiment > {NEGATIVE_AT} AND sentiment < {POSITIVE_AT}) AS neutral,"
            f" sum(sentiment <= {NEGATIVE_AT}) AS negative"
            f" FROM mention_matches WHERE {where} AND sentiment IS NOT NULL GROUP BY slot ORDER BY slot",
            self.conn, params=params,
        )

    @staticmethod
    def _histogram(frame: pd.DataFrame, bins: int) -> pd.DataFrame:
        """The histogram's frame from per-slot class counts (slots outside 0..bins-1 are not drawn)."""
        counts = np.zeros((bins, 3), dtype=np.int64)
        for slot, *classes in frame.itertuples(index=False):
            if 0 <= slot < bins:
                counts[int(slot)] = classes
        return Reads._histogram_frame(counts, bins)

    @staticmethod
    def _histogram_frame(counts, bins: int) -> pd.DataFrame:
        width = 2.0 / bins
        low = np.round(-1.0 + np.arange(bins, dtype=np.float64) * width, 3)
        return pd.DataFrame({"low": low, "high": np.round(low + width, 3), "negative": counts[:, 2],
                             "neutral": counts[:, 1], "positive": counts[:, 0], "posts": counts.sum(axis=1)})

    def cumulative_potential_reach(self, filters: Filters, tz: str = "UTC", bucket: str = "day") -> pd.DataFrame:
        """Potential reach from the window's start to the end of each local bucket (never a sum of buckets).

        Each audience counts once, from the bucket it is first seen in, at its largest size seen in
        the window; the last value equals metrics.distinct_totals over the whole window.
        """
        where, params = filters.where()
        index = "mention_matches_audiences" if self.is_long_window(filters) else "mention_matches_range"
        first_seen = pd.read_sql_query(
            f"SELECT min(created_at) AS first_seen, max(reach_value) AS size FROM mention_matches INDEXED BY {index}"
            f" WHERE {where} AND reach_key IS NOT NULL AND reach_value IS NOT NULL GROUP BY reach_key",
            self.conn, params=params,
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

    def data_bounds(self, campaign_id: int) -> tuple[str | None, str | None]:
        """The first and last roll-up hours that hold mentions of a campaign (None, None when none)."""
        return tuple(self.conn.execute(
            "SELECT min(hour), max(hour) FROM hourly WHERE campaign_id = ?", [campaign_id]
        ).fetchone())

    def mentions_by_campaign(self) -> dict[int, int]:
        """Every campaign's matched mentions to date, from the roll-up."""
        return dict(self.conn.execute("SELECT campaign_id, sum(mentions) FROM hourly GROUP BY campaign_id").fetchall())

    def campaign_totals(self, campaign_id: int) -> int:
        """Every mention a campaign has matched, from the roll-up."""
        return self.conn.execute(
            "SELECT coalesce(sum(mentions), 0) FROM hourly WHERE campaign_id = ?", [campaign_id]
        ).fetchone()[0]

    def open_alerts(self, campaign_id: int | None = None, limit: int = 20) -> pd.DataFrame:
        """Alerts not yet acknowledged, newest first."""
        columns = ["at", "campaign_id", "kind", "detail"]
        if not self.store.table_exists("alerts"):
            return pd.DataFrame(columns=columns)
        sql = "SELECT at, campaign_id, kind, detail FROM alerts WHERE acknowledged_at IS NULL"
        params: list = []
        if campaign_id is not None:
            sql += " AND campaign_id = ?"
            params.append(campaign_id)
        return pd.read_sql_query(sql + " ORDER BY at DESC LIMIT ?", self.conn, params=[*params, limit])

    def last_runs(self, limit: int = 50, campaign_id: int | None = None) -> pd.DataFrame:
        """The most recent collection runs, newest first, with how long each took in seconds."""
        sql = ("SELECT id, collector, campaign_id, started_at, finished_at, status, fetched, new, updated,"
               " cost_units, error FROM collection_runs")
        params: list = []
        if campaign_id is not None:
            sql += " WHERE campaign_id = ? OR campaign_id IS NULL"
            params.append(campaign_id)
        frame = pd.read_sql_query(sql + " ORDER BY started_at DESC, id DESC LIMIT ?", self.conn, params=[*params, limit])
        started = pd.to_datetime(frame["started_at"], utc=True)
        finished = pd.to_datetime(frame["finished_at"], utc=True)
        frame.insert(5, "seconds", (finished - started).dt.total_seconds())
        return frame

    def source_summary(self, now: str, days: int = 30) -> pd.DataFrame:
        """Per collector over the last `days`: runs, errors, rate limits, posts fetched, cost units
        (the X budget counts these), and the last run's time and result."""
        since = iso_utc(to_datetime(now) - timedelta(days=days))
        frame = pd.read_sql_query(
            "SELECT collector, count(*) AS runs,"
            " sum(status = 'error') AS errors, sum(status = 'rate_limited') AS rate_limited,"
            " sum(status = 'partial') AS partial, sum(fetched) AS fetched, sum(new) AS new,"
            " sum(cost_units) AS cost_units, max(started_at) AS last_started_at"
            " FROM collection_runs WHERE started_at >= ? GROUP BY collector ORDER BY collector",
            self.conn, params=[since],
        )
        last = {row[0]: (row[1], row[2]) for row in self.conn.execute(
            "SELECT r.collector, r.status, r.error FROM collection_runs r"
            " JOIN (SELECT collector, max(started_at) AS at FROM collection_runs GROUP BY collector) l"
            " ON l.collector = r.collector AND l.at = r.started_at"
        )}
        frame["last_status"] = [last.get(c, (None, None))[0] for c in frame["collector"]]
        frame["last_error"] = [last.get(c, (None, None))[1] for c in frame["collector"]]
        return frame
