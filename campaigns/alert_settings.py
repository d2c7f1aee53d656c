"""A campaign's alert settings: thresholds, destinations (Apprise URLs with ${VAR} secrets), quiet hours, digests."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from urllib.parse import parse_qsl, quote, urlsplit
from zoneinfo import ZoneInfo

from campaigns.errors import ValidationError
from campaigns.model import parse_timezone

# What an alert can be about; a destination lists those it takes. `reminder` is the volunteers'
# reminders, sent through a destination whose URL has a {contact} slot for each volunteer.
ALERT_KINDS = ("spike", "overtaking", "tone_drop", "pile_on", "source_failing", "goal_reached")
KINDS = (*ALERT_KINDS, "reminder")
DEFAULT_URGENT = ("pile_on",)
DIGESTS = ("none", "daily", "weekly")
CONTACT_SLOT = "{contact}"
PLACEHOLDER_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# Query parameters that carry a secret in Apprise URLs (tokens, keys, passwords): each must be a
# ${VAR} placeholder, so a secret never reaches the database.
SECRET_PARAMS = {"pass", "password", "pwd", "token", "key", "apikey", "api_key", "secret", "access_token",
                 "bearer", "auth", "webhook"}

# Defaults of the per-campaign thresholds (campaign file `alerts:`, `groundswell alerts rules`).
DEFAULTS = {
    "share_of_voice_below": 0.5,   # our share of (ours + opposing) over 24 hours under this: overtaking
    "opposing_rate_factor": 2.0,   # the opposing side's last 24 hours at this multiple of its daily baseline
    "tone_drop": 0.3,              # our net sentiment over 24 hours this far below the week before
    "failing_runs": 3,             # a source's last N runs all errors
    "budget_warning": 0.9,         # this share of a paid source's monthly post budget used
}


def _fraction(value, label: str, *, above_one: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{label} must be a number, not {value!r}") from None
    if isinstance(value, bool) or number <= 0 or (number > 1 and not above_one):
        raise ValidationError(f"{label} must be {'above 0' if above_one else 'between 0 and 1'}, not {value!r}")
    return number


@dataclass(frozen=True)
class Rules:
    """A campaign's alert thresholds (None: the default)."""

    share_of_voice_below: float | None = None
    opposing_rate_factor: float | None = None
    tone_drop: float | None = None
    failing_runs: int | None = None
    budget_warning: float | None = None

    def value(self, name: str):
        own = getattr(self, name)
        return DEFAULTS[name] if own is None else own

    def validate(self) -> Rules:
        if self.share_of_voice_below is not None:
            _fraction(self.share_of_voice_below, "share_of_voice_below")
        if self.opposing_rate_factor is not None:
            if _fraction(self.opposing_rate_factor, "opposing_rate_factor", above_one=True) <= 1:
                raise ValidationError("opposing_rate_factor must be above 1")
        if self.tone_drop is not None:
            _fraction(self.tone_drop, "tone_drop", above_one=True)
            if self.tone_drop > 2:
                raise ValidationError("tone_drop is in net sentiment points, at most 2")
        if self.failing_runs is not None and (isinstance(self.failing_runs, bool) or not isinstance(
                self.failing_runs, int) or self.failing_runs < 1):
            raise ValidationError(f"failing_runs must be a whole number of at least 1, not {self.failing_runs!r}")
        if self.budget_warning is not None:
            _fraction(self.budget_warning, "budget_warning")
        return self

    def is_default(self) -> bool:
        return self == Rules()


def parse_clock(text: str, label: str) -> time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", str(text).strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValidationError(f"{label} must be a time of day as HH:MM, not {text!r}")
    return time(int(match.group(1)), int(match.group(2)))


def parse_quiet_hours(text: str | None) -> tuple[str, str] | None:
    """'22:00-07:00' -> ('22:00', '07:00'); None or '' -> no quiet hours."""
    if text in (None, "", "none"):
        return None
    parts = str(text).split("-")
    if len(parts) != 2:
        raise ValidationError(f"quiet hours are written HH:MM-HH:MM (e.g. 22:00-07:00), not {text!r}")
    start, end = (parse_clock(p, "quiet hours") for p in parts)
    if start == end:
        raise ValidationError("quiet hours must start and end at different times")
    return f"{start:%H:%M}", f"{end:%H:%M}"


@dataclass(frozen=True)
class Destination:
    """Where some of a campaign's alerts go, and when."""

    name: str
    url: str
    kinds: tuple[str, ...] = ALERT_KINDS
    urgent: tuple[str, ...] = DEFAULT_URGENT
    quiet_hours: tuple[str, str] | None = None
    timezone: str = "UTC"
    digest: str = "none"
    digest_at: str = "08:00"
    created_at: str | None = None

    def validate(self) -> Destination:
        if not NAME_RE.match(self.name or ""):
            raise ValidationError(f"bad destination name '{self.name}' (use a-z, 0-9, - and _)")
        if "://" not in (self.url or "") and not PLACEHOLDER_RE.fullmatch(self.url or ""):
            raise ValidationError(f"destination '{self.name}': not an Apprise URL ({self.url!r}); "
                                  "e.g. mailtos://user:${SMTP_PASSWORD}@smtp.example.org?to=team@example.org")
        check_no_secrets(self.url, self.name)
        kinds = tuple(dict.fromkeys(self.kinds))
        unknown = [k for k in (*kinds, *self.urgent) if k not in KINDS]
        if unknown:
            raise ValidationError(f"destination '{self.name}': unknown kind(s) {', '.join(unknown)} "
                                  f"(one of: {', '.join(KINDS)})")
        if not kinds:
            raise ValidationError(f"destination '{self.name}' takes no kinds")
        if ("reminder" in kinds) != (CONTACT_SLOT in self.url):
            raise ValidationError(
                f"destination '{self.name}': a destination for reminders has {CONTACT_SLOT} in its URL, where "
                "each volunteer's address goes (e.g. mailtos://bot:${SMTP_PASSWORD}@smtp.example.org?to={contact}), "
                "and only such a destination takes the kind 'reminder'")
        if "reminder" in kinds and len(kinds) > 1:
            raise ValidationError(f"destination '{self.name}' sends reminders to volunteers; give alerts their own")
        parse_timezone(self.timezone)
        if self.digest not in DIGESTS:
            raise ValidationError(f"destination '{self.name}': digest is one of {', '.join(DIGESTS)}")
        parse_clock(self.digest_at, "digest_at")
        quiet = parse_quiet_hours("-".join(self.quiet_hours)) if self.quiet_hours else None
        return replace(self, kinds=kinds, urgent=tuple(dict.fromkeys(self.urgent)), quiet_hours=quiet)

    @property
    def for_reminders(self) -> bool:
        return "reminder" in self.kinds

    @property
    def scheme(self) -> str:
        return self.url.split("://", 1)[0].lower()

    def takes(self, kind: str) -> bool:
        return kind in self.kinds

    def is_urgent(self, kind: str) -> bool:
        return kind in self.urgent

    # -- when a message may go ------------------------------------------------------------------

    def in_quiet_hours(self, moment: datetime) -> bool:
        if not self.quiet_hours:
            return False
        local = moment.astimezone(ZoneInfo(self.timezone)).time()
        start, end = (parse_clock(t, "quiet hours") for t in self.quiet_hours)
        if start < end:
            return start <= local < end
        return local >= start or local < end  # over midnight: 22:00-07:00

    def quiet_end(self, moment: datetime) -> datetime:
        """The first instant at or after `moment` outside quiet hours (moment itself when not quiet)."""
        if not self.in_quiet_hours(moment):
            return moment
        zone = ZoneInfo(self.timezone)
        end = parse_clock(self.quiet_hours[1], "quiet hours")
        local = moment.astimezone(zone)
        candidate = datetime.combine(local.date(), end, zone)
        if candidate <= local:
            candidate = datetime.combine(local.date() + timedelta(days=1), end, zone)
        return candidate.astimezone(ZoneInfo("UTC"))

    def next_digest(self, moment: datetime) -> datetime:
        """When the daily (each day at digest_at) or weekly (Mondays) digest after `moment` goes, in the
        destination's zone; moved past quiet hours."""
        zone = ZoneInfo(self.timezone)
        at = parse_clock(self.digest_at, "digest_at")
        local = moment.astimezone(zone)
        candidate = datetime.combine(local.date(), at, zone)
        while candidate <= local or (self.digest == "weekly" and candidate.weekday() != 0):
            candidate = datetime.combine(candidate.date() + timedelta(days=1), at, zone)
        return self.quiet_end(candidate.astimezone(ZoneInfo("UTC")))

    def schedule(self, kind: str, moment: datetime) -> tuple[str, datetime]:
        """('single', now) for an urgent kind or outside quiet hours; ('digest', when) for what waits."""
        if self.is_urgent(kind) or self.for_reminders:
            return "single", moment
        if self.digest != "none":
            return "digest", self.next_digest(moment)
        if self.in_quiet_hours(moment):
            return "digest", self.quiet_end(moment)
        return "single", moment

    # -- file form -----------------------------------------------------------------------------

    def to_dict(self) -> dict:
        entry: dict = {"name": self.name, "url": self.url}
        if self.kinds != ALERT_KINDS:
            entry["kinds"] = list(self.kinds)
        if self.urgent != DEFAULT_URGENT:
            entry["urgent"] = list(self.urgent)
        if self.quiet_hours:
            entry["quiet_hours"] = "-".join(self.quiet_hours)
        if self.timezone != "UTC":
            entry["timezone"] = self.timezone
        if self.digest != "none":
            entry["digest"] = self.digest
        if self.digest_at != "08:00":
            entry["digest_at"] = self.digest_at
        return entry

    @classmethod
    def from_dict(cls, entry) -> Destination:
        if not isinstance(entry, dict):
            raise ValidationError("each destination is a mapping with name and url")
        unknown = set(entry) - {"name", "url", "kinds", "urgent", "quiet_hours", "timezone", "digest", "digest_at"}
        if unknown:
            raise ValidationError(f"unknown destination field(s): {', '.join(sorted(unknown))}")
        for required in ("name", "url"):
            if not entry.get(required):
                raise ValidationError(f"a destination needs '{required}'")
        kinds = _names(entry.get("kinds"), "kinds")
        urgent = _names(entry.get("urgent"), "urgent")
        return cls(
            name=str(entry["name"]), url=str(entry["url"]),
            kinds=tuple(kinds) if kinds is not None else ALERT_KINDS,
            urgent=tuple(urgent) if urgent is not None else DEFAULT_URGENT,
            quiet_hours=parse_quiet_hours(entry.get("quiet_hours")),
            timezone=str(entry.get("timezone") or "UTC"), digest=str(entry.get("digest") or "none"),
            digest_at=str(entry.get("digest_at") or "08:00"),
        ).validate()


def _names(value, label: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [v for v in re.split(r"[,\s]+", value) if v]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"'{label}' must be a list of kinds")
    return value


@dataclass(frozen=True)
class AlertSettings:
    """A campaign's thresholds and destinations, as the campaign file's `alerts:` holds them."""

    rules: Rules = field(default_factory=Rules)
    destinations: tuple[Destination, ...] = ()

    def to_dict(self) -> dict:
        entry = {name: getattr(self.rules, name) for name in DEFAULTS if getattr(self.rules, name) is not None}
        if self.destinations:
            entry["destinations"] = [d.to_dict() for d in self.destinations]
        return entry

    @classmethod
    def from_dict(cls, entry) -> AlertSettings:
        if entry is None:
            return cls()
        if not isinstance(entry, dict):
            raise ValidationError("'alerts' takes thresholds and a 'destinations' list")
        unknown = set(entry) - set(DEFAULTS) - {"destinations"}
        if unknown:
            raise ValidationError(f"unknown alerts field(s): {', '.join(sorted(unknown))} "
                                  f"(one of: {', '.join([*DEFAULTS, 'destinations'])})")
        rules = Rules(**{name: entry.get(name) for name in DEFAULTS}).validate()
        listed = entry.get("destinations") or []
        if not isinstance(listed, list):
            raise ValidationError("'alerts.destinations' must be a list")
        destinations = tuple(Destination.from_dict(d) for d in listed)
        names = [d.name for d in destinations]
        if len(set(names)) != len(names):
            raise ValidationError("two destinations have the same name")
        return cls(rules, destinations)


# -- secrets stay in the environment -----------------------------------------------------------

def check_no_secrets(url: str, name: str = "") -> None:
    """Refuse a URL that carries a secret as it is rather than as a ${VAR} placeholder."""
    label = f"destination '{name}'" if name else "the URL"
    parts = urlsplit(url.replace(CONTACT_SLOT, "contact"))
    password = parts.password if "@" in parts.netloc else None
    if password and not PLACEHOLDER_RE.fullmatch(_unquote(password)):
        raise ValidationError(f"{label}: write the password as a placeholder such as ${{SMTP_PASSWORD}} and set "
                              "it in the environment or .env; credentials are never stored in the database")
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.lower() in SECRET_PARAMS and value and not PLACEHOLDER_RE.fullmatch(value):
            raise ValidationError(f"{label}: write '{key}' as a placeholder such as ${{MY_TOKEN}}; credentials "
                                  "are never stored in the database")
    if not PLACEHOLDER_RE.search(url):
        # Without placeholders, Apprise itself says whether the URL holds a secret: its private
        # form masks every token, key and password the service's URL carries.
        import apprise

        plugin = apprise.Apprise.instantiate(url.replace(CONTACT_SLOT, "someone@example.org"))
        if plugin is not None and plugin.url(privacy=True) != plugin.url(privacy=False):
            raise ValidationError(f"{label}: the URL holds a secret ({plugin.url(privacy=True)}); write each "
                                  "token as a placeholder such as ${MY_TOKEN}; credentials are never stored")


def _unquote(text: str) -> str:
    from urllib.parse import unquote

    return unquote(text)


def placeholders(url: str) -> list[str]:
    return list(dict.fromkeys(PLACEHOLDER_RE.findall(url)))


def resolve(url: str, environ=None, *, contact: str | None = None) -> str:
    """The URL with each ${VAR} read from the environment (and .env, already loaded) and the
    volunteer's address in {contact}; a missing variable is one clear error."""
    environ = os.environ if environ is None else environ
    missing = [name for name in placeholders(url) if not environ.get(name)]
    if missing:
        raise ValidationError(f"set {', '.join(missing)} in the environment or .env (the destination's URL needs it)")
    if PLACEHOLDER_RE.fullmatch(url):
        resolved = environ[placeholders(url)[0]]  # the whole URL kept in one variable
    else:
        # A secret inside a URL is quoted, so a '/' or '@' in a password cannot change its shape.
        resolved = PLACEHOLDER_RE.sub(lambda m: quote(environ[m.group(1)], safe=""), url)
    if CONTACT_SLOT in resolved:
        if not contact:
            raise ValidationError("this destination needs a volunteer's contact")
        resolved = resolved.replace(CONTACT_SLOT, quote(contact, safe="@+"))
    return resolved


def redact(text: str, url: str, environ=None) -> str:
    """`text` with the values of the URL's variables replaced by their ${VAR} names (for errors kept)."""
    environ = os.environ if environ is None else environ
    for name in placeholders(url):
        value = environ.get(name)
        if value:
            for form in {value, quote(value, safe="")}:
                text = text.replace(form, f"${{{name}}}")
    return text
