"""Dataclasses for campaigns, trackers and mentions, and the rules that validate them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time
from operator import attrgetter
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from campaigns.errors import ValidationError
from campaigns.metrics import LOWEST_OFFENSIVE_THRESHOLD

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SIDES = ("ours", "opposing", "monitor", "protect")
# When one post meets trackers of several sides in one campaign it takes one side, the first of
# this order. Opposing comes before ours so that share of voice never flatters us.
SIDE_PRECEDENCE = ("opposing", "ours", "protect", "monitor")
STATUSES = ("draft", "active", "paused", "won", "lost", "archived")
PLATFORMS = ("x", "reddit", "mastodon", "bluesky", "rss")
TRACKER_KINDS = ("hashtag", "keyword", "account", "url")
# Which of a post's counts make its engagement (README, "What each number means"): likes +
# reposts + replies + quotes, except on Mastodon, whose definition is favourites + boosts +
# replies. Reddit stores score as likes and comments as replies and has no others.
ENGAGEMENT_DEFAULT = ("likes", "reposts", "replies", "quotes")
ENGAGEMENT_COUNTS = {"mastodon": ("likes", "reposts", "replies")}
# Each platform's counts read in one call (every post's engagement is read at ingest).
_DEFAULT_COUNTS = attrgetter(*ENGAGEMENT_DEFAULT)
_COUNTS_OF = {platform: attrgetter(*names) for platform, names in ENGAGEMENT_COUNTS.items()}
# The one stored form of an instant: UTC, whole seconds, trailing Z (sorts as text).
STORED_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def parse_timezone(name: str) -> str:
    """Return an IANA time zone name, or raise ValidationError."""
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValidationError(f"unknown time zone '{name}' (use an IANA name such as Europe/London)") from None
    return str(name)


def parse_when(value, tz: str = "UTC") -> str:
    """Normalise a date or timestamp to the stored form.

    A bare date stays a date ("2026-03-01"), so that a campaign file round-trips exactly; a
    timestamp becomes UTC ISO ("2026-03-01T09:00:00Z"), read in `tz` when it has no offset.
    """
    if isinstance(value, str):
        fixed = _fixed_shape(value, tz)
        if fixed is not None:
            return fixed
    return _parse_when_general(value, tz)


# The timestamps platforms write in UTC: date, "T" or a space, time, an optional fraction, "Z",
# "+00:00" or nothing. Years before 1000 are left to the general path, whose strftime does not
# pad them.
_PLATFORM_TIME = re.compile(r"([1-9]\d{3}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.\d+)?(Z|\+00:00)?", re.ASCII)


def _fixed_shape(text: str, tz: str) -> str | None:
    """The stored form of a timestamp already in UTC in the shape platforms write
    ("2021-09-22T16:37:29.000Z", "...+00:00", 4CAT's "2021-09-22 16:37:29"), or None for any
    other text, which the general path reads.

    The digits are the answer: the time-zone arithmetic and formatting of the general path
    (most of the cost of mapping a post) are skipped. fromisoformat still checks the ranges,
    so a text the general path refuses is left to it, and refused there.
    """
    shape = _PLATFORM_TIME.fullmatch(text)
    # No offset: read in `tz`, which only UTC leaves as written.
    if shape is None or (shape[3] is None and tz != "UTC"):
        return None
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return None
    return f"{shape[1]}T{shape[2]}Z"


def _parse_when_general(value, tz: str = "UTC") -> str:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return value.isoformat()
    else:
        text = str(value).strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            try:
                return date.fromisoformat(text).isoformat()
            except ValueError:
                raise ValidationError(f"bad date '{text}' (expected YYYY-MM-DD)") from None
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(
                f"bad date or time '{text}' (expected YYYY-MM-DD or an ISO timestamp)"
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return iso_utc(moment)


def parse_instant(value, tz: str = "UTC") -> str:
    """A post's time in the stored form. A bare date is refused: stored as a date it would sort
    before every instant of its day and fall outside every window that holds it."""
    stored = parse_when(value, tz)
    if len(stored) == 10:
        raise ValidationError(f"'{value}' is a date without a time of day; a post needs its time "
                              "(e.g. 2026-03-01T09:00:00Z)")
    return stored


def iso_utc(moment: datetime) -> str:
    """The one stored form of an instant: UTC, seconds, trailing Z."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(STORED_TIME_FORMAT)


def to_datetime(stored: str, tz: str = "UTC", *, end_of_day: bool = False) -> datetime:
    """Read a stored date or instant back as an aware datetime (a date means its start, or its end)."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", stored):
        day = date.fromisoformat(stored)
        moment = datetime.combine(day, time.max if end_of_day else time.min, ZoneInfo(tz))
        return moment.astimezone(UTC)
    return datetime.fromisoformat(stored.replace("Z", "+00:00")).astimezone(UTC)


def classify_term(term: str) -> tuple[str, str]:
    """Turn a tracker term into (kind, value): '#tag' is a hashtag, '@name' an account."""
    term = str(term).strip()
    if not term:
        raise ValidationError("empty tracker term")
    if term.startswith("#"):
        tag = term[1:].strip()
        if not tag or not re.fullmatch(r"\w+", tag):
            raise ValidationError(f"bad hashtag '{term}'")
        return "hashtag", tag
    if term.startswith("@"):
        handle = term[1:].strip()
        if not handle:
            raise ValidationError(f"bad account '{term}'")
        return "account", handle
    if re.match(r"^https?://", term):
        return "url", term
    return "keyword", term


def term_of(kind: str, value: str) -> str:
    """The inverse of classify_term: how a tracker is written in a campaign file."""
    return {"hashtag": "#", "account": "@"}.get(kind, "") + value


@dataclass
class Tracker:
    """One thing a campaign listens for, on one side."""

    kind: str
    value: str
    side: str
    id: int | None = None
    campaign_id: int | None = None

    @property
    def term(self) -> str:
        return term_of(self.kind, self.value)


@dataclass
class SafetySettings:
    """How a campaign's safety desk judges: its offensive-language threshold, its pile-on rule, and
    the signposting text it shows (where to report, who to call). None means the default."""

    offensive_threshold: float | None = None
    pile_on_authors: int | None = None
    pile_on_minutes: int | None = None
    signposting: str = ""

    def validate(self) -> SafetySettings:
        threshold = self.offensive_threshold
        if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, int | float)
                                      or not LOWEST_OFFENSIVE_THRESHOLD <= threshold <= 1.0):
            raise ValidationError(f"offensive-language threshold must be a number from "
                                  f"{LOWEST_OFFENSIVE_THRESHOLD} to 1, not {threshold!r}")
        for number, label, low in ((self.pile_on_authors, "pile-on authors", 2),
                                   (self.pile_on_minutes, "pile-on minutes", 1)):
            if number is not None and (isinstance(number, bool) or not isinstance(number, int) or number < low):
                raise ValidationError(f"{label} must be a whole number of at least {low}, not {number!r}")
        if not isinstance(self.signposting, str):
            raise ValidationError("signposting must be text")
        return self

    def is_default(self) -> bool:
        return self == SafetySettings()


@dataclass
class Campaign:
    """A campaign: what it tracks, when, where, and what it aims for."""

    slug: str
    name: str
    starts_at: str
    description: str = ""
    status: str = "active"
    ends_at: str | None = None
    timezone: str = "UTC"
    goal_mentions: int | None = None
    goal_reach: int | None = None
    retention_days: int | None = None
    platforms: list[str] = field(default_factory=list)  # empty means every platform
    exclude: list[str] = field(default_factory=list)
    trackers: list[Tracker] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)  # RSS / news feed URLs
    is_demo: bool = False  # generated by `groundswell demo load`, labelled as such everywhere
    safety: SafetySettings = field(default_factory=SafetySettings)
    # The campaign file's `alerts:` (thresholds and destinations, read by campaigns.alert_settings);
    # None leaves what is stored as it is.
    alerts: dict | None = None
    id: int | None = None

    def validate(self) -> Campaign:
        if not SLUG_RE.match(self.slug or ""):
            raise ValidationError(f"bad slug '{self.slug}' (use a-z, 0-9 and -)")
        if not str(self.name or "").strip():
            raise ValidationError(f"campaign '{self.slug}' needs a name")
        if self.status not in STATUSES:
            raise ValidationError(f"bad status '{self.status}' (one of: {', '.join(STATUSES)})")
        parse_timezone(self.timezone)
        for platform in self.platforms:
            if platform not in PLATFORMS:
                raise ValidationError(f"unknown platform '{platform}' (one of: {', '.join(PLATFORMS)})")
        for number, label in ((self.goal_mentions, "goal mentions"), (self.goal_reach, "goal reach"),
                              (self.retention_days, "retention_days")):
            if number is not None and (not isinstance(number, int) or number <= 0):
                raise ValidationError(f"{label} must be a positive whole number, not {number!r}")
        if self.ends_at and to_datetime(self.ends_at, self.timezone, end_of_day=True) < to_datetime(
            self.starts_at, self.timezone
        ):
            raise ValidationError(f"campaign '{self.slug}' ends before it starts")
        for tracker in self.trackers:
            if tracker.side not in SIDES:
                raise ValidationError(f"bad side '{tracker.side}' (one of: {', '.join(SIDES)})")
        self.safety.validate()
        return self


@dataclass
class Mention:
    """One post from one platform, as stored; `uid` is `platform:native_id`."""

    platform: str
    native_id: str
    created_at: str
    text: str = ""
    url: str | None = None
    author_key: str | None = None
    author_followers: int | None = None
    lang: str | None = None
    is_repost: bool = False
    reposted_uid: str | None = None
    reply_to_uid: str | None = None
    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    quotes: int | None = None
    impressions: int | None = None
    sentiment: float | None = None
    abuse: float | None = None
    raw_ref: str | None = None
    # The audience a post reaches when it is not the author's followers: a subreddit's
    # subscribers on Reddit ("r/name"). Potential reach counts each key once per window.
    audience_key: str | None = None
    audience_size: int | None = None
    # Used to match trackers, not stored as columns: tags and @-mentions the platform reports
    # (else they are read from the text), the real handle before any pseudonym replaces it, and
    # the text of the post a repost carries.
    hashtags: list[str] = field(default_factory=list)
    mentioned: list[str] = field(default_factory=list)
    author_handle: str | None = None
    context_text: str = ""
    # Set by privacy.pseudonymise: the flag that it was done (never a guess from how a value
    # looks), and what it replaced, kept in memory only so matching reads the post as written.
    pseudonymised: bool = False
    clear: dict | None = field(default=None, repr=False)

    @property
    def uid(self) -> str:
        return f"{self.platform}:{self.native_id}"

    @property
    def written_text(self) -> str:
        """The text as its author wrote it, before any @-name in it was made a pseudonym."""
        return (self.clear["text"] if self.clear else self.text) or ""

    @property
    def written_url(self) -> str | None:
        """The post's own address as the platform gave it, before it was made id-only or sealed."""
        return self.clear["url"] if self.clear else self.url

    @property
    def engagement(self) -> int | None:
        """The platform's engagement counts added up (ENGAGEMENT_COUNTS), those it reports;
        None when it reports none of them. A repost's own counts are the original's, so 0."""
        if self.is_repost:
            return 0
        known = [n for n in _COUNTS_OF.get(self.platform, _DEFAULT_COUNTS)(self) if n is not None]
        return sum(known) if known else None

    def updated_with(self, newer: Mention) -> Mention:
        """The same post seen again: the newer values, and this one's where the newer has none
        (a NULL never overwrites a known count)."""
        values = {}
        for item in fields(self):
            old, new = getattr(self, item.name), getattr(newer, item.name)
            if isinstance(old, list):
                values[item.name] = list(dict.fromkeys([*new, *old]))
            elif item.name == "is_repost":
                values[item.name] = old or new
            else:
                values[item.name] = old if new is None or new == "" else new
        return Mention(**values)
