"""The one definition of each metric: its rule, its thresholds and its text (the store's reads compute them)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

# Each metric's definition, word for word as the README's table "What each number means" has it
# (a test compares them) and as the dashboard shows it beside every chart.
DEFINITIONS: tuple[tuple[str, str], ...] = (
    ('Mentions',
     'Distinct posts matched in the window. Reposts are counted and shown apart ("original" and "reposts").'),
    ('Unique authors',
     'Distinct authors in the window. Never the sum of hourly or daily values: an author active in ten hours is one author.'),
    ('Potential reach',
     'The sum of followers over the distinct authors in the window, each counted once, with their largest follower count seen in the window. On Reddit, the subscribers of each subreddit, each subreddit once. It is the audience that *could* have seen a post, not the number who did, and it is always labelled potential. Where no post in the window has a known audience (RSS and news) it is "n/a", never 0.'),
    ('Measured impressions',
     'Impressions as a platform reports them (X, for the posts where it does), shown apart from reach; "n/a" where none are reported.'),
    ('Engagement',
     "Likes + reposts + replies + quotes of original posts (Reddit: score + comments; Mastodon: favourites + boosts + replies; Bluesky: likes + reposts + replies + quotes). A repost carries the original's counts, so it adds none of its own and the original is credited once. \"n/a\" where no post in the window reports any of its counts (a file without them, news)."),
    ('Sentiment',
     "VADER's compound score per post, -1..1: positive at 0.05 or more, negative at -0.05 or less, neutral in between."),
    ('Net sentiment',
     '(positive − negative) / (positive + negative), shown with the number of posts it rests on; "n/a" when there are none.'),
    ('Share of voice',
     'Our mentions / (ours + opposing) in the window.'),
    ('Abusive',
     "A post whose abuse score (alt-profanity-check's packaged model, 0..1) is 0.5 or more. The model flags profanity and slurs; it misses politely worded hostility and can flag reclaimed words, so treat it as a pointer, not a verdict."),
    ('Spike',
     "An hour whose mentions exceed the mean + 3 standard deviations of the previous 7 days' hours (quiet hours count as 0), with at least 10 mentions."),
)

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
    unique_authors: int | None       # None: the window reaches into a purged period
    potential_reach: int | None
    engagement: int | None           # None: no post in the window has a known count
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



# Measured at 1M mentions: the orders cost the same when a window holds about a fifth to a third
# of the campaign's data.
LONG_WINDOW_SHARE = 0.3


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


# `engagement` sums the posts whose engagement is known, `engagement_known` counts them.
ROLLUP_SUMS = ("mentions", "reposts", "engagement", "sentiment_sum", "scored", "pos", "neg", "neu",
               "abusive", "impressions", "impressions_known", "engagement_known")
ROLLUP_SPLITS = ("platform", "side")


def pct_change(current: float | None, previous: float | None) -> float | None:
    """Relative change, None where it has no meaning (unknown, or from zero)."""
    if current is None or previous is None or previous == 0 or (isinstance(previous, float) and math.isnan(previous)):
        return None
    return (current - previous) / previous


def spike_hours(counts: pd.Series, start) -> pd.DataFrame:
    """The spike rule over hourly mention counts (every hour present, zeros included) that begin
    SPIKE_BASELINE_HOURS before `start`: hours from `start` on whose count exceeds mean + 3 sd of
    the previous 7 days' hours, with at least SPIKE_MIN_MENTIONS mentions.

    Hours with no mentions count as zeros in the baseline, so a quiet week makes a low bar.
    """
    previous = counts.shift(1).rolling(SPIKE_BASELINE_HOURS, min_periods=72)
    threshold = previous.mean() + SPIKE_SIGMAS * previous.std(ddof=0)
    found = counts[(counts >= SPIKE_MIN_MENTIONS) & (counts > threshold) & (counts.index >= pd.Timestamp(start))]
    return pd.DataFrame({"hour": found.index, "mentions": found.values,
                         "threshold": threshold[found.index].round(1).values})
