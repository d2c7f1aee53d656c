"""The reads behind the dashboard and reports: each an indexed query the size of its chart.

Every query here is a range query on an index (mention_matches_range and the window indexes of
0004, mention_hashtags_range, collection_runs_collector) or a lookup by primary key; none reads
the mentions table whole. What each metric means is defined in campaigns.metrics, not here.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from datetime import timedelta

import numpy as np
import pandas as pd

from campaigns import metrics
from campaigns.errors import StoreError
from campaigns.metrics import (
    NEGATIVE_AT,
    POSITIVE_AT,
    ROLLUP_SPLITS,
    ROLLUP_SUMS,
    SPIKE_BASELINE_HOURS,
    Filters,
    Kpis,
    buckets,
    local_buckets,
    net_sentiment,
    spike_episodes,
    spike_hours,
)
from campaigns.model import SIDES, iso_utc, to_datetime
from campaigns.store.mentions import TONE_SLOT_COLUMNS, TONE_SLOTS
from campaigns.store.migrations import CANDIDATE_INDEXES

POST_COLUMNS = ["created_at", "platform", "side", "author_key", "text", "url", "engagement",
                "sentiment", "abuse", "uid"]
SPANS_PER_STATEMENT = 1000
# How many of a campaign's candidates for top or extreme posts a read walks before leaving the
# window to its plain read, which then costs this walk more (about 1 ms at 1M mentions; 10,000
# cost 5 to 10 ms). A window and filter holding under one in 200 of the campaign's candidates
# is usually small, and so is its plain read.
CANDIDATE_WALK = 2_000
# The roll-up's sums counted from the matches themselves, for the part-hours at a span's edges;
# impressions are only on the post's own row, one primary-key lookup each.
_MATCH_SUMS = {
    "mentions": "count(*)",
    "reposts": "coalesce(sum(is_repost), 0)",
    "engagement": "coalesce(sum(engagement), 0)",
    "sentiment_sum": "coalesce(sum(sentiment), 0.0)",
    "scored": "count(sentiment)",
    "pos": f"coalesce(sum(sentiment >= {POSITIVE_AT}), 0)",
    "neg": f"coalesce(sum(sentiment <= {NEGATIVE_AT}), 0)",
    "neu": f"coalesce(sum(sentiment > {NEGATIVE_AT} AND sentiment < {POSITIVE_AT}), 0)",
    # At the campaign's own threshold, as the roll-up counted it at ingest (a parameter, bound after the edges).
    "abusive": "coalesce(sum(abuse >= ?), 0)",
    "impressions": "coalesce(sum(impressions), 0)",
    "impressions_known": "count(impressions)",
    "engagement_known": "count(engagement)",
}
assert tuple(_MATCH_SUMS) == ROLLUP_SUMS
# Every stored instant has this one width (model.iso_utc): a column of them read as one string
# is cut into numpy's fixed-width bytes, which order as the strings do.
_TIME_WIDTH = len(iso_utc(to_datetime("2026-01-01T00:00:00Z")))


def _whole_hours(start, end) -> tuple:
    """The first and last whole UTC hour inside [start, end): (ceil(start), floor(end))."""
    floor_start = start.replace(minute=0, second=0, microsecond=0)
    first = floor_start if floor_start == start else floor_start + timedelta(hours=1)
    return first, end.replace(minute=0, second=0, microsecond=0)


def _whole_days(start, end) -> tuple:
    """The first and last whole UTC day inside [start, end): (ceil(start), floor(end)) to midnight."""
    floor_start = start.replace(hour=0, minute=0, second=0, microsecond=0)
    first = floor_start if floor_start == start else floor_start + timedelta(days=1)
    return first, end.replace(hour=0, minute=0, second=0, microsecond=0)


@functools.lru_cache(maxsize=128)
def _bucket_spans(start, end, tz: str, bucket: str) -> tuple[list[tuple], pd.Series]:
    """metrics.buckets as spans and their labels, kept for the next call: every campaign on the
    Overview in one zone asks for the same buckets. Neither is changed by its callers."""
    found = buckets(start, end, tz, bucket)
    return [(b.start, b.end) for b in found], pd.Series([b.label for b in found], dtype=pd.DatetimeTZDtype("us", tz))


def _day_parts(first, last) -> list[tuple]:
    """[first, last) on whole UTC hours as (table, sign, from, to) parts of the roll-ups to add.

    Whole UTC days come from the daily roll-up, the hours either side from the hourly one; where
    more than half a day of hours lies beside a day (a local day a few hours off UTC), that day
    less the hours outside the span is fewer rows than the hours themselves.
    """
    day = timedelta(days=1)

    def midnight(moment):
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)

    def hours(a, b) -> list[tuple]:
        if a >= b:
            return []
        if b - a <= timedelta(hours=12):
            return [("hourly", 1, a, b)]
        whole_day = midnight(a)
        if b > whole_day + day:   # only within one UTC day
            return [("hourly", 1, a, b)]
        return [("daily", 1, whole_day, whole_day + day), *[
            ("hourly", -1, x, y) for x, y in ((whole_day, a), (b, whole_day + day)) if x < y]]

    day_first = midnight(first) if midnight(first) == first else midnight(first) + day
    day_last = midnight(last)
    if day_first > day_last:
        return hours(first, last)
    parts = [("daily", 1, day_first, day_last)] if day_first < day_last else []
    return parts + hours(first, day_first) + hours(day_last, last)


@functools.lru_cache(maxsize=256)
def _span_parts(spans: tuple[tuple, ...]) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Spans as the parts of the roll-ups and the edges of matches that sum to them:
    (i, sign, from, to) of the daily and the hourly roll-up, (i, from, to) of the matches. Kept
    for the next call, as _bucket_spans is: the Overview's campaigns ask for the same spans, and
    building a 90-day window's was most of a sparkline's time. Neither list is changed by callers."""
    days, whole, edges = [], [], []
    for i, (start, end) in enumerate(spans):
        first, last = _whole_hours(start, end)
        if first < last:
            for table, sign, a, b in _day_parts(first, last):
                (days if table == "daily" else whole).append((i, sign, iso_utc(a), iso_utc(b)))
            edges += [(i, iso_utc(a), iso_utc(b)) for a, b in ((start, first), (last, end)) if a < b]
        elif start < end:
            edges.append((i, iso_utc(start), iso_utc(end)))
    return days, whole, edges


def _values(rows: list[tuple]) -> tuple[str, list]:
    """A VALUES list for a CTE and its parameters."""
    width = len(rows[0])
    return ", ".join(["(" + ", ".join("?" * width) + ")"] * len(rows)), [v for row in rows for v in row]


def _alert_summary(detail: str) -> str:
    try:
        data = json.loads(detail)
    except (TypeError, ValueError):
        return detail
    return data.get("summary", detail) if isinstance(data, dict) else detail


def _spans_scope(filters: Filters) -> tuple[str, list]:
    """The campaign and side clauses on `spans`, which hold no platform (a platform filter is
    applied where the matches are read)."""
    return Filters(filters.campaign_id, filters.start, filters.end, (), filters.sides).scope()


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
        """Counts and sums over the window, exact on any bounds (span_sums); distinct authors and
        reach from the covering index."""
        per_side = self._span_totals(filters, [(to_datetime(filters.start), to_datetime(filters.end))], ("side",))
        totals = {column: sum(sums[position] for sums in per_side.values())
                  for position, column in enumerate(ROLLUP_SUMS)}
        mentions = {side: sums[0] for (_, side), sums in per_side.items()}
        authors, reach = self.distinct_totals(filters)
        return Kpis(
            # Engagement is unknown where the window has posts and none with a known count; no posts, none.
            mentions=int(totals["mentions"]), reposts=int(totals["reposts"]),
            engagement=int(totals["engagement"]) if totals["engagement_known"] or not totals["mentions"] else None,
            positive=int(totals["pos"]), negative=int(totals["neg"]), neutral=int(totals["neu"]),
            abusive=int(totals["abusive"]), impressions=int(totals["impressions"]) if totals["impressions_known"] else None,
            ours=int(mentions.get("ours", 0)), opposing=int(mentions.get("opposing", 0)),
            unique_authors=authors, potential_reach=reach,
        )

    def span_sums(self, filters: Filters, spans: Sequence[tuple], by: Sequence[str] = ()) -> pd.DataFrame:
        """The roll-up's sums per span (column `i`, its position in `spans`) and `by` split, exact
        for spans on any bounds: whole UTC hours from the roll-up, and the part-hours at a span's
        edges (a local midnight at :30 or :45, a custom window) counted from the matches themselves.

        Spans on whole hours (every preset, every day of a whole-hour zone) never read the matches.
        Only spans with data have rows, in span order. The filters' own window is not applied: the
        spans are it.
        """
        by = tuple(by)
        totals = self._span_totals(filters, spans, by)
        keys = sorted(totals)
        columns = {"i": np.array([key[0] for key in keys], dtype=np.int64)}
        for position, column in enumerate(by, start=1):
            columns[column] = pd.Series([key[position] for key in keys], dtype=object)
        # One array for all the sums, cut into columns: the Overview asks this for 20 campaigns.
        sums = np.array([totals[key] for key in keys], dtype=np.float64).reshape(len(keys), len(ROLLUP_SUMS))
        for position, column in enumerate(ROLLUP_SUMS):
            columns[column] = sums[:, position] if column == "sentiment_sum" else sums[:, position].astype(np.int64)
        return pd.DataFrame(columns)

    def _span_totals(self, filters: Filters, spans: Sequence[tuple], by: tuple[str, ...]) -> dict[tuple, list]:
        """span_sums as {(i, *split values): [sums in ROLLUP_SUMS order]}, without pandas: the
        headline tiles call this three times per campaign on the Overview."""
        unknown = set(by) - set(ROLLUP_SPLITS)
        if unknown:
            raise ValueError(f"not a roll-up column: {', '.join(sorted(unknown))}")
        days, whole, edges = _span_parts(tuple(spans))
        scope, params = filters.scope()
        threshold = self.store.protected_accounts().threshold(filters.campaign_id)
        keys = "".join(f", {column}" for column in by)
        statements = []
        for table, column, parts in (("daily", "day", days), ("hourly", "hour", whole)):
            for first in range(0, len(parts), SPANS_PER_STATEMENT):
                values, span_params = _values(parts[first:first + SPANS_PER_STATEMENT])
                statements.append((
                    f"WITH spans(i, sign, span_start, span_end) AS (VALUES {values})"
                    f" SELECT i{keys}, {', '.join(f'sum(sign * {c})' for c in ROLLUP_SUMS)}"
                    f" FROM spans JOIN {table} ON {column} >= span_start AND {column} < span_end"
                    f" WHERE {scope} GROUP BY i{keys}", span_params + params))
        for first in range(0, len(edges), SPANS_PER_STATEMENT):
            values, span_params = _values(edges[first:first + SPANS_PER_STATEMENT])
            statements.append((
                f"WITH edges(i, edge_start, edge_end) AS (VALUES {values})"
                f" SELECT i{keys}, {', '.join(_MATCH_SUMS.values())} FROM"
                f" (SELECT i{keys}, is_repost, engagement, sentiment, abuse,"
                "  (SELECT impressions FROM mentions WHERE uid = mention_uid) AS impressions"
                "  FROM edges JOIN mention_matches ON created_at >= edge_start AND created_at < edge_end"
                f"  WHERE {scope}) GROUP BY i{keys}", [*span_params, threshold, *params]))
        totals: dict[tuple, list] = {}
        width = 1 + len(by)
        for sql, statement_params in statements:
            for row in self.conn.execute(sql, statement_params):
                key, sums = row[:width], row[width:]
                if key in totals:
                    totals[key] = [a + b for a, b in zip(totals[key], sums, strict=True)]
                else:
                    totals[key] = list(sums)
        # A day less its hours outside the span leaves rows of nothing (to a float's rounding).
        return {key: sums for key, sums in totals.items() if any(abs(value) > 1e-9 for value in sums)}

    def mentions_by_side(self, filters: Filters) -> dict[str, int]:
        """Mentions in the window per side, whatever sides the filters name (share of voice and the
        sides shown beside a headline read every side)."""
        every_side = Filters(filters.campaign_id, filters.start, filters.end, filters.platforms)
        per_side = self._span_totals(every_side, [(to_datetime(filters.start), to_datetime(filters.end))], ("side",))
        return {side: int(sums[0]) for (_, side), sums in per_side.items()}

    def distinct_totals(self, filters: Filters) -> tuple[int | None, int | None]:
        """(unique authors, potential reach) over the window, each author or audience once.

        An audience's size is its largest value seen in the window (follower counts move).
        Both are None (n/a) for a window reaching into a period whose authors were purged.
        A long window that reaches the first or the last hour of the campaign's data (the last N
        days, the campaign to date) on every platform is counted from the spans, one row per
        author or audience and side; any other from its matches.
        """
        if self.purged_into(filters):
            return None, None
        long, reaches_an_end = self._window_shape(filters)
        if long and reaches_an_end and not filters.platforms:
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
        inside the window; otherwise its largest size inside the window is looked up. On one side
        each key is one row; over several the rows of a key are taken together.
        """
        scope, params = _spans_scope(filters)
        s, e = filters.start, filters.end
        matches = ("FROM mention_matches m INDEXED BY {index} WHERE m.campaign_id = g.campaign_id AND m.{column} = g.key"
                   " AND m.created_at >= ? AND m.created_at < ? AND m.side = g.side")
        authored = ("CASE WHEN author_first IS NULL OR author_first >= ? OR author_last < ? THEN 0"
                    " WHEN author_first >= ? OR author_last < ? THEN 1"
                    f" ELSE EXISTS (SELECT 1 {matches.format(index='mention_matches_authors', column='author_key')}) END")
        size = ("CASE WHEN audience_first IS NULL OR audience_first >= ? OR audience_last < ? THEN NULL"
                " WHEN max_at >= ? AND max_at < ? THEN max_value"
                f" ELSE (SELECT max(reach_value) {matches.format(index='mention_matches_audiences', column='reach_key')})"
                " END")
        window = [e, s, s, e, s, e, e, s, s, e, s, e]
        if len(filters.sides) == 1:
            return tuple(self.conn.execute(
                f"SELECT coalesce(sum({authored}), 0), sum({size}) FROM spans g WHERE {scope}",
                [*window, *params]).fetchone())
        return tuple(self.conn.execute(
            f"SELECT count(CASE WHEN authored THEN 1 END), sum(size) FROM (SELECT max({authored}) AS authored,"
            f" max({size}) AS size FROM spans g WHERE {scope} GROUP BY key)", [*window, *params]).fetchone())

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
        first, last = self.data_bounds(filters.campaign_id)
        if first is None:
            return False, False
        first_at, last_at = to_datetime(first), to_datetime(last) + timedelta(hours=1)
        window_start, window_end = to_datetime(filters.start), to_datetime(filters.end)
        start, end = max(window_start, first_at), min(window_end, last_at)
        long = (end - start).total_seconds() >= metrics.LONG_WINDOW_SHARE * (last_at - first_at).total_seconds()
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
        """Counts and sums per local hour or day (column `bucket`, as metrics.buckets labels it),
        split by platform and/or side; buckets without mentions have no row."""
        by = tuple(by)
        start, end = to_datetime(filters.start), to_datetime(filters.end)
        if bucket == "hour" and _whole_hours(start, end) == (start, end):
            frame = self.hourly_frame(filters, by=by)
            frame["bucket"] = frame["hour"].dt.tz_convert(tz)
            grouped = frame.groupby(["bucket", *by], as_index=False)[list(ROLLUP_SUMS)].sum()
        else:
            spans, labels = _bucket_spans(start, end, tz, bucket)
            grouped = self.span_sums(filters, spans, by)
            grouped.insert(0, "bucket", labels.iloc[grouped["i"]].reset_index(drop=True) if len(grouped)
                           else pd.Series(dtype=pd.DatetimeTZDtype("us", tz)))
            grouped = grouped.drop(columns=["i"])
        grouped["originals"] = grouped["mentions"] - grouped["reposts"]
        grouped["net_sentiment"] = [net_sentiment(p, n) for p, n in zip(grouped["pos"], grouped["neg"], strict=True)]
        return grouped

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
        return spike_hours(counts.reindex(full_index, fill_value=0), start, self.first_hour(filters))

    def spike_episodes(self, filters: Filters) -> pd.DataFrame:
        """The window's spike episodes (metrics.spike_episodes), largest first."""
        return spike_episodes(self.spikes(filters))

    def first_hour(self, filters: Filters) -> pd.Timestamp | None:
        """The first roll-up hour holding mentions in the filters' scope (campaign, platforms,
        sides), whatever the window: where the campaign's history begins."""
        scope, params = filters.scope()
        found = self.conn.execute(f"SELECT min(hour) FROM hourly WHERE {scope}", params).fetchone()[0]
        return None if found is None else pd.Timestamp(found)

    def _posts(self, campaign_id: int, sides: dict[str, str]) -> pd.DataFrame:
        """The stored posts for these uids (uid -> side in the campaign), in the order given, with
        the sentiment and offensive-language score the campaign counts (corrections applied)."""
        if not sides:
            return pd.DataFrame(columns=POST_COLUMNS)
        marks = ", ".join("?" * len(sides))
        frame = pd.read_sql_query(
            "SELECT m.created_at, m.platform, m.author_key, m.text, m.url, mm.engagement, mm.sentiment, mm.abuse,"
            # From each post to its match by primary key: left to choose, SQLite walks the campaign's
            # whole range index for ten posts (58 ms at 1M mentions against 0.1 ms).
            " m.uid FROM mentions m CROSS JOIN mention_matches mm ON mm.mention_uid = m.uid AND mm.campaign_id = ?"
            f" WHERE m.uid IN ({marks})", self.conn, params=[campaign_id, *sides],
        )
        frame["side"] = frame["uid"].map(sides)
        frame = frame.set_index("uid", drop=False).loc[[u for u in sides if u in set(frame["uid"])]]
        return frame.reset_index(drop=True)[POST_COLUMNS]

    def top_posts(self, filters: Filters, limit: int = 10) -> pd.DataFrame:
        """The original posts with the most engagement in the window (ties: the newest, then by
        uid), with their links: from the campaign's most engaged posts (_candidates), or from the
        window's matches where too few of those are in it."""
        sides = self._candidates(filters, "mention_matches_engaged", limit)
        return self._posts(filters.campaign_id, self._top_post_sides(filters, limit) if sides is None else sides)

    def top_posts_scan(self, filters: Filters, limit: int = 10) -> pd.DataFrame:
        """top_posts sorted from every original of the window, as before the candidates: the
        benchmark and the tests hold the two equal."""
        return self._posts(filters.campaign_id, self._top_post_sides(filters, limit))

    def _top_post_sides(self, filters: Filters, limit: int) -> dict[str, str]:
        where, params = filters.where()
        return dict(self.conn.execute(
            f"SELECT mention_uid, side FROM mention_matches WHERE {where} AND is_repost = 0"
            f" ORDER BY {CANDIDATE_INDEXES['mention_matches_engaged'][1]} LIMIT ?", [*params, limit],
        ).fetchall())

    def extreme_posts(self, filters: Filters, most: str = "negative", limit: int = 10) -> pd.DataFrame:
        """The most positive or most negative scored original posts in the window (ties: the most
        engaged, the newest, then by uid): from the campaign's posts of a strong tone that way
        (_candidates), or from the window's matches where too few of those are in it."""
        index = self._extreme_index(most)
        sides = self._candidates(filters, index, limit)
        return self._posts(filters.campaign_id, self._extreme_sides(filters, index, limit) if sides is None else sides)

    def extreme_posts_scan(self, filters: Filters, most: str = "negative", limit: int = 10) -> pd.DataFrame:
        """extreme_posts sorted from every scored original of the window, as before the
        candidates: the benchmark and the tests hold the two equal."""
        return self._posts(filters.campaign_id, self._extreme_sides(filters, self._extreme_index(most), limit))

    @staticmethod
    def _extreme_index(most: str) -> str:
        if most not in ("positive", "negative"):
            raise ValueError("most is 'positive' or 'negative'")
        return f"mention_matches_{most}"

    def _extreme_sides(self, filters: Filters, index: str, limit: int) -> dict[str, str]:
        where, params = filters.where()
        return dict(self.conn.execute(
            f"SELECT mention_uid, side FROM mention_matches WHERE {where} AND is_repost = 0 AND sentiment IS NOT NULL"
            f" ORDER BY {CANDIDATE_INDEXES[index][1]} LIMIT ?", [*params, limit],
        ).fetchall())

    def _candidates(self, filters: Filters, index: str, limit: int) -> dict[str, str] | None:
        """The window's first `limit` originals in the order of a candidate index (uid -> side),
        walking the campaign's candidates from the top; None when fewer than `limit` of the first
        CANDIDATE_WALK are in the window.

        A post outside the index (a milder tone, less engagement) sorts after every post in it,
        so `limit` candidates in the window are the window's first `limit`, ties and all, in the
        order the plain read gives. With fewer, the window's list may reach outside the index.
        The walk is a co-routine read in index order and filtered by the window, which stops at
        the `limit`-th post inside it: no sort.
        """
        condition, order = CANDIDATE_INDEXES[index]
        where, params = filters.where()
        rows = self.conn.execute(
            "SELECT mention_uid, side FROM (SELECT campaign_id, created_at, side, platform, mention_uid"
            f" FROM mention_matches INDEXED BY {index} WHERE campaign_id = ? AND {condition}"
            f" ORDER BY {order} LIMIT ?) WHERE {where} LIMIT ?",
            [filters.campaign_id, CANDIDATE_WALK, *params, limit]).fetchall()
        return dict(rows) if len(rows) == limit else None

    def top_amplifiers(self, filters: Filters, limit: int = 15) -> pd.DataFrame:
        """The authors who brought the largest audience of their own in the window, with their posts
        on each side and `side`, the side most of them were on (ties: the first of model.SIDES).

        Reach brought is an author's largest follower count seen in the window. Posts whose
        audience is not the author's own (a subreddit's subscribers on Reddit) and unknown
        audiences (RSS) are left out. Ties go to more posts, then to the name.

        The spans of authors' own audiences are taken in descending largest size, which is never
        less than what an author brought to any window: once `limit` authors are counted and the
        next span's largest size is below the last of them, no author further down can enter the
        list or tie with it. Only the authors taken are counted, from their own matches.
        """
        scope, params = _spans_scope(filters)
        wanted = limit
        while True:
            spans = self.conn.execute(
                f"SELECT key, max_value FROM spans WHERE {scope} AND own_posts > 0 AND max_value IS NOT NULL"
                " AND audience_first < ? AND audience_last >= ? ORDER BY max_value DESC LIMIT ?",
                [*params, filters.end, filters.start, wanted + 1]).fetchall()
            authors = list(dict.fromkeys(key for key, _ in spans[:wanted]))
            frame = self._amplifiers(filters, limit, authors)
            if len(spans) <= wanted or (len(frame) == limit and spans[wanted][1] < frame["reach_brought"].iloc[-1]):
                return frame
            wanted *= 4

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
        per_side = ", ".join(f"sum(side = '{side}') AS {side}_posts" for side in SIDES)
        frame = pd.read_sql_query(
            f"SELECT author_key, platform, count(*) AS posts, max(reach_value) AS reach_brought, {per_side}"
            f" FROM mention_matches {index} WHERE {where} AND reach_key = author_key AND reach_value IS NOT NULL{only}"
            " GROUP BY author_key, platform ORDER BY reach_brought DESC, posts DESC, author_key, platform LIMIT ?",
            self.conn, params=[*params, limit],
        )
        counts = frame[[f"{side}_posts" for side in SIDES]].to_numpy()
        frame.insert(2, "side", [SIDES[row.argmax()] for row in counts] if len(frame) else pd.Series(dtype=str))
        return frame

    def top_hashtags(self, filters: Filters, tracked: list[str] = (), limit: int = 15) -> pd.DataFrame:
        """The hashtags used most often on the campaign's posts in the window: `posts` in all and
        per side (a tag both sides use is counted on each), tracked ones flagged.

        Whole UTC days come from the hashtag roll-up (0014_hashtag_days), the part-days at the
        window's edges from the matches joined to their tags.
        """
        start, end = to_datetime(filters.start), to_datetime(filters.end)
        first, last = _whole_days(start, end)
        counts: dict[str, dict[str, int]] = {}
        edges = [(start, end)]
        if first < last:
            edges = [(a, b) for a, b in ((start, first), (last, end)) if a < b]
            scope, params = filters.scope()
            for tag, side, posts in self.conn.execute(
                    f"SELECT tag, side, sum(posts) FROM hashtag_days WHERE {scope} AND day >= ? AND day < ?"
                    " GROUP BY tag, side", [*params, iso_utc(first), iso_utc(last)]):
                if posts:
                    counts.setdefault(tag, {})[side] = posts
        for a, b in edges:
            self._add_hashtag_counts(filters.shifted(iso_utc(a), iso_utc(b)), counts)
        return self._hashtag_frame(counts, tracked, limit)

    def top_hashtags_scan(self, filters: Filters, tracked: list[str] = (), limit: int = 15) -> pd.DataFrame:
        """top_hashtags from every match of the window joined to its tags, as before the roll-up:
        the benchmark and the tests hold the two equal."""
        counts: dict[str, dict[str, int]] = {}
        self._add_hashtag_counts(filters, counts)
        return self._hashtag_frame(counts, tracked, limit)

    def _add_hashtag_counts(self, filters: Filters, counts: dict[str, dict[str, int]]) -> None:
        """Add the window's posts per tag and side to `counts`, from its matches (by the covering
        index, which holds each post's side and platform), each looking up its tags by
        mention_hashtags' primary key."""
        where, params = _aliased_where(filters, "mm")
        for tag, side, posts in self.conn.execute(
                "SELECT h.tag, mm.side, count(*) FROM mention_matches mm"
                " CROSS JOIN mention_hashtags h ON h.campaign_id = mm.campaign_id AND h.mention_uid = mm.mention_uid"
                f" WHERE {where} GROUP BY h.tag, mm.side", params):
            by_side = counts.setdefault(tag, {})
            by_side[side] = by_side.get(side, 0) + posts

    @staticmethod
    def _hashtag_frame(counts: dict[str, dict[str, int]], tracked, limit: int) -> pd.DataFrame:
        top = sorted(counts, key=lambda tag: (-sum(counts[tag].values()), tag))[:limit]
        lowered = {t.lower() for t in tracked}
        return pd.DataFrame({
            "tag": pd.Series(top, dtype=object),
            "posts": pd.Series([sum(counts[tag].values()) for tag in top], dtype="int64"),
            **{side: pd.Series([counts[tag].get(side, 0) for tag in top], dtype="int64") for side in SIDES},
            "tracked": pd.Series([tag in lowered for tag in top], dtype=bool),
        })

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
        return self._cumulative_potential_reach(filters, tz, bucket, spans_allowed=True)

    def cumulative_potential_reach_scan(self, filters: Filters, tz: str = "UTC", bucket: str = "day") -> pd.DataFrame:
        """cumulative_potential_reach from every match of the window, as before the spans: the
        benchmark and the tests hold the two equal."""
        return self._cumulative_potential_reach(filters, tz, bucket, spans_allowed=False)

    def _cumulative_potential_reach(self, filters: Filters, tz: str, bucket: str, spans_allowed: bool) -> pd.DataFrame:
        long, reaches_an_end = self._window_shape(filters)
        if spans_allowed and long and reaches_an_end and not filters.platforms:
            seen, sizes = self._first_seen_from_spans(filters)
        else:
            where, params = filters.where()
            index = "mention_matches_audiences" if long else "mention_matches_range"
            first_seen = pd.read_sql_query(
                f"SELECT min(created_at) AS first_seen, max(reach_value) AS size FROM mention_matches INDEXED BY {index}"
                f" WHERE {where} AND reach_key IS NOT NULL AND reach_value IS NOT NULL GROUP BY reach_key",
                self.conn, params=params,
            )
            seen = first_seen["first_seen"].to_numpy(dtype=str).astype(bytes)
            sizes = first_seen["size"].to_numpy(dtype=np.int64)
        spans = _bucket_spans(to_datetime(filters.start), to_datetime(filters.end), tz, bucket)[0]
        if not spans:
            return pd.DataFrame(columns=["bucket", "potential_reach"])
        ends = np.array([iso_utc(span_end).encode("ascii") for _, span_end in spans])
        # Sorted and searched as plain arrays of bytes: tens of thousands of audiences over a long window.
        order = np.argsort(seen, kind="stable")
        cumulative = np.cumsum(sizes[order])
        positions = np.searchsorted(seen[order], ends, side="left")
        reach = [int(cumulative[p - 1]) if p > 0 else None for p in positions]
        return pd.DataFrame({"bucket": [pd.Timestamp(start).tz_convert(tz) for start, _ in spans],
                             "potential_reach": reach})

    def _first_seen_from_spans(self, filters: Filters) -> tuple[np.ndarray, np.ndarray]:
        """Each audience's first instant (bytes) and largest size inside the window, from its
        spans: an audience first seen before the window is looked for from the window's start,
        one index seek; its largest size is looked up only where it was not seen inside the window.

        Read as strings, one of every instant (each of the one stored width), one of every size
        and one of every key, cut up in numpy: a row per audience through Python cost half the
        read. An audience on several sides has a span per side, next to each other in key order;
        they are taken together here, since SQLite's GROUP BY over the spans cost more than the
        rest of the read (10 to 13 ms of 28 at 1M mentions over 90 days)."""
        scope, params = _spans_scope(filters)
        s, e = filters.start, filters.end
        matches = ("FROM mention_matches m INDEXED BY mention_matches_audiences WHERE m.campaign_id = g.campaign_id"
                   " AND m.reach_key = g.key AND m.side = g.side AND m.created_at >= ? AND m.created_at < ?"
                   " AND m.reach_value IS NOT NULL")
        spans = (
            "SELECT key,"
            f"  CASE WHEN audience_first >= ? THEN audience_first ELSE (SELECT created_at {matches}"
            "   ORDER BY created_at LIMIT 1) END AS first_seen,"
            f"  CASE WHEN max_at >= ? AND max_at < ? THEN max_value ELSE (SELECT max(reach_value) {matches}) END AS size"
            f" FROM spans g WHERE {scope} AND audience_first < ? AND audience_last >= ?")
        span_params = [s, s, e, s, e, s, e, *params, e, s]
        one_side = len(filters.sides) == 1
        count, seen, sizes, keys = self.conn.execute(
            "SELECT count(*), group_concat(first_seen, ''), group_concat(coalesce(size, 0)),"
            f" {'NULL' if one_side else 'group_concat(key, char(31))'} FROM ({spans}) WHERE first_seen IS NOT NULL",
            span_params).fetchone()
        if not count:
            return np.array([], dtype="S1"), np.array([], dtype=np.int64)
        seen, sizes = self._seen_and_sizes(count, seen, sizes)
        if one_side:
            return seen, sizes
        keys = keys.split("\x1f")
        if len(keys) != count or any(a > b for a, b in zip(keys, keys[1:], strict=False)):
            # A key holding the separator, or rows not in key order: SQLite groups them.
            count, seen, sizes = self.conn.execute(
                "SELECT count(*), group_concat(first_seen, ''), group_concat(coalesce(size, 0)) FROM ("
                f"SELECT min(first_seen) AS first_seen, max(size) AS size FROM ({spans})"
                " WHERE first_seen IS NOT NULL GROUP BY key)", span_params).fetchone()
            return self._seen_and_sizes(count, seen, sizes)
        repeats = [i for i in range(1, count) if keys[i] == keys[i - 1]]
        if not repeats:
            return seen, sizes
        seen, first = seen.copy(), 0
        for i in repeats:   # onto the key's first span
            if keys[first] != keys[i]:
                first = i - 1
            seen[first] = min(seen[first], seen[i])
            sizes[first] = max(sizes[first], sizes[i])
        keep = np.ones(count, dtype=bool)
        keep[repeats] = False
        return seen[keep], sizes[keep]

    @staticmethod
    def _seen_and_sizes(count: int, seen: str, sizes: str) -> tuple[np.ndarray, np.ndarray]:
        if len(seen) != count * _TIME_WIDTH:
            raise StoreError("a stored instant is not in its one stored form")
        seen = np.frombuffer(seen.encode("ascii"), dtype=f"S{_TIME_WIDTH}")
        sizes = np.fromstring(sizes, dtype=np.int64, sep=",")
        if len(sizes) != count:
            raise StoreError("an audience size is not a number")
        return seen, sizes

    def data_bounds(self, campaign_id: int) -> tuple[str | None, str | None]:
        """The first and last roll-up hours that hold mentions of a campaign (None, None when none).

        Two subqueries, because SQLite answers a lone min() or max() from the primary key's first
        or last entry but scans every row of the campaign for both in one (15 ms at 1M mentions).
        """
        return tuple(self.conn.execute(
            "SELECT (SELECT min(hour) FROM hourly WHERE campaign_id = ?), (SELECT max(hour) FROM hourly"
            " WHERE campaign_id = ?)", [campaign_id, campaign_id]
        ).fetchone())

    def post_bounds(self, campaign_id: int) -> tuple[str | None, str | None]:
        """The first and last instants a campaign has posts at (None, None when none), to the second:
        where its data is, in any zone (roll-up hours would put a post at 00:15 in Kolkata on the day before)."""
        return tuple(self.conn.execute(
            "SELECT min(created_at), max(created_at) FROM mention_matches WHERE campaign_id = ?", [campaign_id]
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
        """Alerts not yet acknowledged, newest first; a detail that carries a summary (a pile-on's
        JSON) is shown as that sentence."""
        columns = ["id", "at", "campaign_id", "kind", "detail", "figures", "page"]
        if not self.store.table_exists("alerts"):
            return pd.DataFrame(columns=columns)
        sql = f"SELECT {', '.join(columns)} FROM alerts WHERE acknowledged_at IS NULL"
        params: list = []
        if campaign_id is not None:
            sql += " AND campaign_id = ?"
            params.append(campaign_id)
        frame = pd.read_sql_query(sql + " ORDER BY at DESC LIMIT ?", self.conn, params=[*params, limit])
        frame["detail"] = [_alert_summary(detail) for detail in frame["detail"]]
        return frame

    def last_runs(self, limit: int = 50, campaign_id: int | None = None) -> pd.DataFrame:
        """The most recent collection runs, newest first, with how long each took in seconds."""
        sql = ("SELECT id, collector, campaign_id, started_at, finished_at, status, fetched, new, updated,"
               " quarantined, cost_units, error FROM collection_runs")
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
        """Per collector over the last `days`: runs, errors, rate limits, stops, records quarantined,
        posts fetched, cost units (the X budget counts these), and the last run's time and result."""
        since = iso_utc(to_datetime(now) - timedelta(days=days))
        frame = pd.read_sql_query(
            "SELECT collector, count(*) AS runs,"
            " sum(status = 'error') AS errors, sum(status = 'rate_limited') AS rate_limited,"
            " sum(status = 'partial') AS partial, sum(status = 'stopped') AS stopped,"
            " sum(quarantined) AS quarantined, sum(fetched) AS fetched, sum(new) AS new,"
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

    def quarantined(self, limit: int = 50) -> pd.DataFrame:
        """The records most recently quarantined (not mappable), with where they were and why."""
        return pd.read_sql_query(
            "SELECT last_seen_at, source, location, field, value, reason, times, run_id FROM quarantine"
            " ORDER BY last_seen_at DESC, id DESC LIMIT ?", self.conn, params=[limit])
