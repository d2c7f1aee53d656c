"""The one definition of each metric, and the indexed queries that compute them over a window.

Definitions (the README says the same):

- Mentions: distinct posts matched in the window; reposts are counted and shown apart.
- Unique authors: distinct author keys in the window (never a sum of hourly values).
- Potential reach: the sum of followers over distinct authors in the window, each counted once
  (Reddit: the subreddit's subscribers, each subreddit once); None ("n/a") when no post in the
  window has a known audience, as with RSS.
- Engagement: likes + reposts + replies + quotes of original posts (a repost carries the
  original's counts, so it adds none of its own).
- Sentiment: VADER compound per post; positive >= 0.05, negative <= -0.05, else neutral. Net
  sentiment = (P - N) / (P + N), None when P + N = 0; always shown with the count it rests on.
- Share of voice: our mentions / (ours + opposing) in the window.
- Abusive: an abuse score >= ABUSIVE_THRESHOLD.
- Spike: an hour whose mentions exceed mean + 3 sd of the previous 7 days' hours, with at
  least SPIKE_MIN_MENTIONS mentions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from campaigns.model import iso_utc, to_datetime

POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
ABUSIVE_THRESHOLD = 0.5
SPIKE_MIN_MENTIONS = 10
SPIKE_SIGMAS = 3.0
SPIKE_BASELINE_HOURS = 7 * 24


def sentiment_class(score: float | None) -> str | None:
    """'positive', 'negative' or 'neutral' by VADER's own cut-offs; None when unscored."""
    if score is None:
        return None
    if score >= POSITIVE_AT:
        return "positive"
    if score <= NEGATIVE_AT:
        return "negative"
    return "neutral"


def is_abusive(abuse: float | None) -> bool:
    return abuse is not None and abuse >= ABUSIVE_THRESHOLD


def net_sentiment(positive: int, negative: int) -> float | None:
    """(P - N) / (P + N); None when there is nothing to rest it on."""
    if positive + negative == 0:
        return None
    return (positive - negative) / (positive + negative)


def share_of_voice(ours: int, opposing: int) -> float | None:
    """ours / (ours + opposing); None when neither side was heard."""
    if ours + opposing == 0:
        return None
    return ours / (ours + opposing)


@dataclass(frozen=True)
class Filters:
    """A campaign, a half-open UTC window [start, end) in stored ISO form, optional platforms and sides."""

    campaign_id: int
    start: str
    end: str
    platforms: tuple[str, ...] = ()
    sides: tuple[str, ...] = ()

    def where(self, time_column: str = "created_at") -> tuple[str, list]:
        return self._clauses(time_column)

    def scope(self) -> tuple[str, list]:
        """The campaign, platform and side clauses, without the window."""
        return self._clauses(None)

    def _clauses(self, time_column: str | None) -> tuple[str, list]:
        clauses = ["campaign_id = ?"]
        params: list = [self.campaign_id]
        if time_column:
            clauses += [f"{time_column} >= ?", f"{time_column} < ?"]
            params += [self.start, self.end]
        if self.platforms:
            clauses.append(f"platform IN ({', '.join('?' * len(self.platforms))})")
            params.extend(self.platforms)
        if self.sides:
            clauses.append(f"side IN ({', '.join('?' * len(self.sides))})")
            params.extend(self.sides)
        return " AND ".join(clauses), params

    def shifted(self, start: str, end: str) -> Filters:
        return Filters(self.campaign_id, start, end, self.platforms, self.sides)


@dataclass(frozen=True)
class Kpis:
    """The headline numbers of one campaign over one window."""

    mentions: int
    reposts: int
    unique_authors: int
    potential_reach: int | None
    engagement: int
    positive: int
    negative: int
    neutral: int
    abusive: int
    impressions: int | None
    ours: int
    opposing: int

    @property
    def originals(self) -> int:
        return self.mentions - self.reposts

    @property
    def net_sentiment(self) -> float | None:
        return net_sentiment(self.positive, self.negative)

    @property
    def sentiment_basis(self) -> int:
        return self.positive + self.negative + self.neutral

    @property
    def share_of_voice(self) -> float | None:
        return share_of_voice(self.ours, self.opposing)


def kpis(conn, filters: Filters) -> Kpis:
    """Counts and sums from the hourly roll-up; distinct authors and reach from the covering index."""
    start_hour, end_hour = filters.start[:13] + ":00:00Z", filters.end[:13] + ":00:00Z"
    exact = filters.start == start_hour and filters.end == end_hour
    if exact:
        where, params = filters.shifted(start_hour, end_hour).where("hour")
        row = conn.execute(
            "SELECT coalesce(sum(mentions), 0), coalesce(sum(reposts), 0), coalesce(sum(engagement), 0),"
            " coalesce(sum(pos), 0), coalesce(sum(neg), 0), coalesce(sum(neu), 0),"
            " coalesce(sum(abusive), 0), sum(impressions), coalesce(sum(impressions_known), 0),"
            " coalesce(sum(CASE WHEN side = 'ours' THEN mentions END), 0),"
            " coalesce(sum(CASE WHEN side = 'opposing' THEN mentions END), 0)"
            f" FROM hourly WHERE {where}", params,
        ).fetchone()
    else:
        # A window that does not fall on whole hours is counted from the matches themselves.
        where, params = filters.where()
        row = conn.execute(
            "SELECT count(*), coalesce(sum(is_repost), 0), coalesce(sum(engagement), 0),"
            f" coalesce(sum(sentiment >= {POSITIVE_AT}), 0), coalesce(sum(sentiment <= {NEGATIVE_AT}), 0),"
            f" coalesce(sum(sentiment > {NEGATIVE_AT} AND sentiment < {POSITIVE_AT}), 0),"
            f" coalesce(sum(abuse >= {ABUSIVE_THRESHOLD}), 0), NULL, 0,"
            " coalesce(sum(side = 'ours'), 0), coalesce(sum(side = 'opposing'), 0)"
            f" FROM mention_matches WHERE {where}", params,
        ).fetchone()
    authors, reach = distinct_totals(conn, filters)
    return Kpis(
        mentions=row[0], reposts=row[1], engagement=row[2], positive=row[3], negative=row[4],
        neutral=row[5], abusive=row[6], impressions=row[7] if row[8] else None, ours=row[9],
        opposing=row[10], unique_authors=authors, potential_reach=reach,
    )


def distinct_totals(conn, filters: Filters) -> tuple[int, int | None]:
    """(unique authors, potential reach) over the window, each author or audience once.

    An audience's size is its largest value seen in the window (follower counts move).
    """
    where, params = filters.where()
    long = is_long_window(conn, filters)
    authors = conn.execute(
        f"SELECT count(DISTINCT author_key) FROM mention_matches"
        f" INDEXED BY {'mention_matches_authors' if long else 'mention_matches_range'} WHERE {where}", params,
    ).fetchone()[0]
    reach = conn.execute(
        "SELECT sum(size) FROM (SELECT max(reach_value) AS size FROM mention_matches"
        f" INDEXED BY {'mention_matches_audiences' if long else 'mention_matches_range'}"
        f" WHERE {where} AND reach_key IS NOT NULL GROUP BY reach_key)", params,
    ).fetchone()[0]
    return authors, reach


# Measured at 1M mentions: the orders cost the same when a window holds about a fifth to a third
# of the campaign's data.
LONG_WINDOW_SHARE = 0.3


def is_long_window(conn, filters: Filters) -> bool:
    """Whether a window holds so much of a campaign's data that distinct counts are cheaper in
    author or audience order (cost grows with the campaign, no sort) than by time range (cost
    grows with the window, plus a sort).

    SQLite's planner cannot tell the two cases apart without statistics, and guesses wrong in
    one of them either way; the campaign's first and last hour, from the roll-up's primary key,
    give the share at the cost of two index lookups.
    """
    first, last = conn.execute(
        "SELECT min(hour), max(hour) FROM hourly WHERE campaign_id = ?", [filters.campaign_id]
    ).fetchone()
    if first is None:
        return False
    first_at, last_at = to_datetime(first), to_datetime(last) + timedelta(hours=1)
    start, end = max(to_datetime(filters.start), first_at), min(to_datetime(filters.end), last_at)
    return (end - start).total_seconds() >= LONG_WINDOW_SHARE * (last_at - first_at).total_seconds()


def local_buckets(start: datetime, end: datetime, tz: str, bucket: str) -> list[tuple[datetime, datetime]]:
    """Consecutive [from, to) spans covering start..end, cut at local hours or local midnights."""
    zone = ZoneInfo(tz)
    local = start.astimezone(zone)
    if bucket == "day":
        cut = local.replace(hour=0, minute=0, second=0, microsecond=0)
        step = timedelta(days=1)
    else:
        cut = local.replace(minute=0, second=0, microsecond=0)
        step = timedelta(hours=1)
    spans = []
    while cut.astimezone(ZoneInfo("UTC")) < end:
        # Step in local wall time for days (a DST day is 23 or 25 hours), in real time for hours.
        following = (cut.replace(tzinfo=None) + step).replace(tzinfo=zone) if bucket == "day" else (
            cut.astimezone(ZoneInfo("UTC")) + step).astimezone(zone)
        spans.append((max(cut.astimezone(ZoneInfo("UTC")), start), min(following.astimezone(ZoneInfo("UTC")), end)))
        cut = following
    return spans


ROLLUP_SUMS = ("mentions", "reposts", "engagement", "sentiment_sum", "scored", "pos", "neg", "neu",
               "abusive", "impressions", "impressions_known")
ROLLUP_SPLITS = ("platform", "side")


SPANS_PER_STATEMENT = 1000


def hourly_frame(conn, filters: Filters, by: Sequence[str] = ROLLUP_SPLITS,
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
        conn, params=params,
    )
    frame["hour"] = pd.to_datetime(frame["hour"], utc=True)
    return frame


def series(conn, filters: Filters, tz: str = "UTC", bucket: str = "hour",
           by: Sequence[str] = ("platform",)) -> pd.DataFrame:
    """Counts and sums per local hour or day (column `bucket`), split by platform and/or side."""
    if bucket == "day":
        grouped = _day_sums(conn, filters, tz, tuple(by))
    else:
        frame = hourly_frame(conn, filters, by=tuple(by))
        frame["bucket"] = frame["hour"].dt.tz_convert(tz)
        grouped = frame.groupby(["bucket", *by], as_index=False)[list(ROLLUP_SUMS)].sum()
    grouped["originals"] = grouped["mentions"] - grouped["reposts"]
    grouped["net_sentiment"] = [net_sentiment(p, n) for p, n in zip(grouped["pos"], grouped["neg"], strict=True)]
    return grouped


def _day_sums(conn, filters: Filters, tz: str, by: tuple[str, ...]) -> pd.DataFrame:
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
            conn, params=span_params + params))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["i", *by, *ROLLUP_SUMS])
    frame.insert(0, "bucket", [labels[i] for i in frame["i"]] if len(frame)
                 else pd.Series(dtype=pd.DatetimeTZDtype("us", tz)))
    return frame.drop(columns=["i"])


def distinct_series(conn, filters: Filters, tz: str = "UTC", bucket: str = "day") -> pd.DataFrame:
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
        authors.update(conn.execute(
            join.format("i, count(DISTINCT author_key)") + " GROUP BY i", span_params + params).fetchall())
        reach.update(conn.execute(
            f"SELECT i, sum(size) FROM ({join.format('i, max(reach_value) AS size')}"
            " AND reach_key IS NOT NULL GROUP BY i, reach_key) GROUP BY i", span_params + params).fetchall())
    rows = [{"bucket": pd.Timestamp(span_start).tz_convert(tz), "unique_authors": authors.get(i, 0),
             "potential_reach": reach.get(i)} for i, (span_start, _) in enumerate(spans)]
    return pd.DataFrame(rows, columns=["bucket", "unique_authors", "potential_reach"])


def spikes(conn, filters: Filters) -> pd.DataFrame:
    """Hours whose mentions exceed mean + 3 sd of the previous 7 days' hours (at least 10 mentions).

    Hours with no mentions count as zeros in the baseline, so a quiet week makes a low bar.
    """
    start = to_datetime(filters.start)
    lookback = filters.shifted(iso_utc(start - timedelta(hours=SPIKE_BASELINE_HOURS)), filters.end)
    frame = hourly_frame(conn, lookback, by=(), sums=("mentions",))
    counts = frame.set_index("hour")["mentions"]
    full_index = pd.date_range(pd.Timestamp(lookback.start), pd.Timestamp(filters.end), freq="h",
                               inclusive="left")
    counts = counts.reindex(full_index, fill_value=0)
    previous = counts.shift(1).rolling(SPIKE_BASELINE_HOURS, min_periods=72)
    threshold = previous.mean() + SPIKE_SIGMAS * previous.std(ddof=0)
    found = counts[(counts >= SPIKE_MIN_MENTIONS) & (counts > threshold) & (counts.index >= pd.Timestamp(start))]
    return pd.DataFrame({"hour": found.index, "mentions": found.values,
                         "threshold": threshold[found.index].round(1).values})


def pct_change(current: float | None, previous: float | None) -> float | None:
    """Relative change, None where it has no meaning (unknown, or from zero)."""
    if current is None or previous is None or previous == 0 or (isinstance(previous, float) and math.isnan(previous)):
        return None
    return (current - previous) / previous
