"""The one definition of each metric: its rule, its thresholds and its text (the store's reads compute them)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
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
    ('Tone',
     "VADER's compound score per post, -1..1: positive at 0.05 or more, negative at -0.05 or less, neutral in between. It is the tone of the text, not its stance: a post against abuse that quotes the abuse reads negative. Shown per side, never mixed across sides unless *all* is chosen."),
    ('Net tone',
     '(positive − negative) / (positive + negative), shown with the number of posts it rests on; "n/a" when there are none. On a chart, a point resting on fewer than 10 positive and negative posts is a hollow dot off the line, and a bucket with none is a gap.'),
    ('Share of voice',
     'Our mentions / (ours + opposing) in the window, whatever side is chosen; its change is in percentage points. On a chart, a point resting on fewer than 10 posts of the two sides is a hollow dot off the line, and a bucket with none is a gap.'),
    ('Headlines',
     "The tiles count our side unless another side (opposing, monitor, protect, or all of them) is chosen in the sidebar; the other sides' mentions are shown beside them."),
    ('Change',
     'Against the range of the same length just before. A change from fewer than 20 says what it is from ("+2000% (from 6)"); from 0, or from an unknown, none is shown.'),
    ('Offensive language',
     "A post's offensive-language score, 0..1: the probability from alt-profanity-check's packaged model, a profanity detector. In a campaign, a post aimed at a protected account (a reply to it, an @-mention, a quote of its post) scores at least the strength of any threat, wish of death, insult or dehumanising word it says to a person, with or without swear words, and a post that quotes or reports abuse to condemn it keeps a fifth of its score. A post counts as offensive at the campaign's threshold (0.2 unless set); a reviewer's verdict overrides the score. It is a pointer for review, not a finding of hate or abuse."),
    ('Spike',
     "An hour whose mentions exceed the mean + 3 standard deviations of the previous 7 days' hours (quiet hours count as 0), with at least 10 mentions, once 7 days of history follow the first hour with mentions (before that there is no baseline, and the chart says so). Consecutive spike hours are one episode; episodes are listed largest (most mentions) first."),
    ('Pile-on',
     'Offensive mentions aimed at one protected account from at least 5 distinct authors within 60 minutes (both set per campaign). Such windows less than 60 minutes apart are one episode, and each episode raises one alert.'),
    ('Support against abuse',
     'For each protected account and local day: the mentions aimed at it that are on our side or positive in tone and not offensive, against the offensive ones.'),
    ('Corrections',
     "A person's correction of a post's tone, side or offensive-language verdict counts in every number in place of what the scorer or the trackers said. The scorer's value is kept beside it; how often it was overruled is shown on the Safety page."),
)

POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
# The offensive-language score at which a post counts as offensive, unless a campaign sets its
# own. Chosen for a review queue, where a missed threat costs more than a second look: on OLID
# (OffensEval 2019 tweets) the model has P 0.72 / R 0.61 at 0.2 against P 0.89 / R 0.43 at 0.5,
# and on HateCheck P 0.68 / R 0.61 at 0.2 against P 0.65 / R 0.39 at 0.5.
OFFENSIVE_THRESHOLD = 0.2
# The name it had before it was a campaign's default rather than the one cut-off.
ABUSIVE_THRESHOLD = OFFENSIVE_THRESHOLD
# The lowest threshold a campaign may set: under it the score says little but noise.
LOWEST_OFFENSIVE_THRESHOLD = 0.1
# A pile-on, unless a campaign sets its own: this many distinct authors within this many minutes.
# Small enough to raise the alert while a pile-on is starting, large enough that one or two
# persistent accounts (which the review queue shows anyway) do not.
PILE_ON_AUTHORS = 5
PILE_ON_MINUTES = 60
SPIKE_MIN_MENTIONS = 10
SPIKE_SIGMAS = 3.0
SPIKE_BASELINE_HOURS = 7 * 24
# A point of a ratio line (net tone, share of voice) resting on fewer posts than this is drawn
# thin: one post more or less would swing it across the chart.
TREND_POINT_MIN = 10
# A change from a base smaller than this says what it is from.
CHANGE_BASE_MIN = 20


def sentiment_class(score: float | None) -> str | None:
    """'positive', 'negative' or 'neutral' by VADER's own cut-offs; None when unscored."""
    if score is None:
        return None
    if score >= POSITIVE_AT:
        return "positive"
    if score <= NEGATIVE_AT:
        return "negative"
    return "neutral"


def is_offensive(score: float | None, threshold: float = OFFENSIVE_THRESHOLD) -> bool:
    """Whether an offensive-language score counts as offensive at a campaign's threshold."""
    return score is not None and score >= threshold


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


@dataclass(frozen=True)
class Bucket:
    """One bucket of a chart: its [start, end) in UTC and its label, the local time it stands for."""

    label: pd.Timestamp
    start: datetime
    end: datetime


def buckets(start: datetime, end: datetime, tz: str, bucket: str) -> list[Bucket]:
    """Consecutive buckets covering [start, end), cut at real hours or at local midnights.

    A day is labelled with its local midnight (its first instant where midnight does not exist),
    even when the window starts later that day; an hour with the local time it starts at. Hours
    are cut on the hour in UTC, where the roll-up is cut: in a zone whose offset is not whole hours
    (Asia/Kolkata, Asia/Kathmandu) an hour reads 10:30 to 11:30, never half of two roll-up hours.
    """
    zone = ZoneInfo(tz)
    found: list[Bucket] = []
    if bucket == "day":
        # Step in local dates (a DST day is 23 or 25 hours long).
        day = start.astimezone(zone).date()
        cut = _day_start(day, zone)
        if cut > start:  # inside a repeated midnight's first hour: still the day before
            day -= timedelta(days=1)
            cut = _day_start(day, zone)
        while cut < end:
            day += timedelta(days=1)
            following = _day_start(day, zone)
            found.append(Bucket(pd.Timestamp(cut).tz_convert(tz), max(cut, start), min(following, end)))
            cut = following
        return found
    cut = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    while cut < end:
        following = cut + timedelta(hours=1)
        first = max(cut, start)
        found.append(Bucket(pd.Timestamp(first).tz_convert(tz), first, min(following, end)))
        cut = following
    return found


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    """The instant (UTC) a local date begins: its midnight; where midnight is skipped, the first
    instant after the gap; where it happens twice, the second (the first still reads the day before)."""
    wall = datetime.combine(day, time.min)
    return max(wall.replace(tzinfo=zone, fold=0).astimezone(UTC), wall.replace(tzinfo=zone, fold=1).astimezone(UTC))


def local_buckets(start: datetime, end: datetime, tz: str, bucket: str) -> list[tuple[datetime, datetime]]:
    """The [from, to) UTC spans of buckets(): local days, or real hours."""
    return [(b.start, b.end) for b in buckets(start, end, tz, bucket)]


# `engagement` sums the posts whose engagement is known, `engagement_known` counts them.
ROLLUP_SUMS = ("mentions", "reposts", "engagement", "sentiment_sum", "scored", "pos", "neg", "neu",
               "abusive", "impressions", "impressions_known", "engagement_known")
ROLLUP_SPLITS = ("platform", "side")


def pct_change(current: float | None, previous: float | None) -> float | None:
    """Relative change, None where it has no meaning (unknown, or from zero)."""
    if current is None or previous is None or previous == 0 or (isinstance(previous, float) and math.isnan(previous)):
        return None
    return (current - previous) / previous


def spikes_from(first_hour) -> pd.Timestamp | None:
    """The first hour that can be a spike: once SPIKE_BASELINE_HOURS of history follow the first
    hour with mentions (None: no history at all). Before it the baseline would rest on hours
    before anything was collected, and every burst of a campaign's first week would be a spike."""
    return None if first_hour is None else pd.Timestamp(first_hour) + pd.Timedelta(hours=SPIKE_BASELINE_HOURS)


def spike_hours(counts: pd.Series, start, first_hour) -> pd.DataFrame:
    """The spike rule over hourly mention counts (every hour present, zeros included) that begin
    SPIKE_BASELINE_HOURS before `start`: hours from `start` on, and from spikes_from(first_hour)
    on, whose count exceeds mean + 3 sd of the previous 7 days' hours, with at least
    SPIKE_MIN_MENTIONS mentions.

    Hours with no mentions count as zeros in the baseline, so a quiet week makes a low bar.
    """
    previous = counts.shift(1).rolling(SPIKE_BASELINE_HOURS, min_periods=SPIKE_BASELINE_HOURS)
    threshold = previous.mean() + SPIKE_SIGMAS * previous.std(ddof=0)
    ready = spikes_from(first_hour)
    eligible = counts.index >= pd.Timestamp(start)
    eligible &= counts.index >= ready if ready is not None else False
    found = counts[(counts >= SPIKE_MIN_MENTIONS) & (counts > threshold) & eligible]
    return pd.DataFrame({"hour": found.index, "mentions": found.values,
                         "threshold": threshold[found.index].round(1).values})


EPISODE_COLUMNS = ["start", "end", "hours", "peak_hour", "peak", "mentions"]


def spike_episodes(spikes: pd.DataFrame) -> pd.DataFrame:
    """spike_hours rows as episodes: consecutive spike hours are one episode, from its first hour
    to the end of its last (`end`, exclusive), with its peak hour and count and its mentions in all.

    Largest first: most mentions in the episode, then the highest peak, then the earliest.
    """
    if spikes.empty:
        return pd.DataFrame({"start": pd.Series(dtype="datetime64[ns, UTC]"),
                             "end": pd.Series(dtype="datetime64[ns, UTC]"), "hours": pd.Series(dtype=int),
                             "peak_hour": pd.Series(dtype="datetime64[ns, UTC]"), "peak": pd.Series(dtype=int),
                             "mentions": pd.Series(dtype=int)})
    hours = pd.to_datetime(spikes["hour"], utc=True).reset_index(drop=True)
    counts = spikes["mentions"].reset_index(drop=True)
    episode = (hours.diff() != pd.Timedelta(hours=1)).cumsum()
    rows = []
    for _, members in counts.groupby(episode):
        first, last = members.index[0], members.index[-1]
        peak = members.idxmax()
        rows.append({"start": hours[first], "end": hours[last] + pd.Timedelta(hours=1), "hours": len(members),
                     "peak_hour": hours[peak], "peak": int(members[peak]), "mentions": int(members.sum())})
    frame = pd.DataFrame(rows, columns=EPISODE_COLUMNS)
    return frame.sort_values(["mentions", "peak", "start"], ascending=[False, False, True], ignore_index=True)
