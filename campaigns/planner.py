"""The plan's rules: narratives, calls to action, events, volunteers, assignments, demands, and their lifecycles.

No SQL here: campaigns.store.plan stores and reads what these dataclasses describe, and calls
these rules to check every write and to say what a status is now.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from campaigns.errors import ValidationError
from campaigns.model import PLATFORMS, iso_utc, parse_timezone, parse_when, to_datetime

NARRATIVE_SIDES = ("ours", "opposing")
RISKS = ("low", "medium", "high")
DECISIONS = ("respond", "monitor", "ignore", "do-not-amplify")
ACTION_KINDS = ("post", "share", "reply", "call", "email", "attend", "bring", "donate")
# Kinds whose completion shows in the listening data: a post carrying the action's hashtag.
POSTING_KINDS = ("post", "share", "reply")
VISIBILITIES = ("public", "members", "private")
HANDLE_PLATFORMS = tuple(p for p in PLATFORMS if p != "rss")

# Calls to action and events share one lifecycle. Scheduled and live move with the clock
# (see status_now); draft waits for a person, and done and cancelled are final.
LIFECYCLE = ("draft", "scheduled", "live", "done", "cancelled")
LIFECYCLE_MOVES = {
    "draft": ("scheduled", "cancelled"),
    "scheduled": ("draft", "live", "cancelled"),
    "live": ("done", "cancelled"),
    "done": (),
    "cancelled": (),
}
ASSIGNMENT_STATUSES = ("invited", "accepted", "declined", "done", "no_show")
ASSIGNMENT_MOVES = {
    "invited": ("accepted", "declined", "done", "no_show"),
    "accepted": ("declined", "done", "no_show"),
    "declined": ("accepted",),
    "no_show": ("done",),
    "done": (),
}
DEMAND_STATUSES = ("raised", "acknowledged", "promised", "partial", "implemented", "reversed", "rejected")
DEMAND_LABELS = {"partial": "partially implemented"}
DEMAND_MOVES = {
    "raised": ("acknowledged", "promised", "partial", "implemented", "rejected"),
    "acknowledged": ("promised", "partial", "implemented", "rejected"),
    "promised": ("partial", "implemented", "reversed", "rejected"),
    "partial": ("implemented", "reversed"),
    "implemented": ("reversed",),
    "reversed": ("raised", "promised", "partial", "implemented"),
    "rejected": ("raised",),
}


def _choice(value: str, allowed: Iterable[str], label: str) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValidationError(f"bad {label} '{value}' (one of: {', '.join(allowed)})")
    return value


def _text(value, label: str) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValidationError(f"{label} is required")
    return text


def instant(value, tz: str = "UTC") -> str:
    """A date or timestamp as a stored UTC instant; a bare date is midnight in `tz`."""
    if value is None or str(value).strip() == "":
        raise ValidationError("a date or time is required")
    stored = parse_when(value, tz)
    return iso_utc(to_datetime(stored, tz))


def _count(value, label: str, *, allow_none: bool = True) -> int | None:
    if value is None or value == "":
        if allow_none:
            return None
        raise ValidationError(f"{label} is required")
    try:
        number = int(str(value).strip()) if not isinstance(value, float) else int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{label} must be a whole number, not {value!r}") from None
    if isinstance(value, float) and number != value:
        raise ValidationError(f"{label} must be a whole number, not {value!r}")
    if number < 0:
        raise ValidationError(f"{label} cannot be negative ({number})")
    return number


def _window(start, end, tz: str, what: str) -> tuple[str, str]:
    tz = parse_timezone(tz)
    start_at, end_at = instant(start, tz), instant(end, tz)
    if end_at < start_at:
        raise ValidationError(f"{what} ends before it starts ({local_text(end_at, tz)} is before "
                              f"{local_text(start_at, tz)})")
    if end_at == start_at:
        raise ValidationError(f"{what} ends when it starts; give it some time")
    return start_at, end_at


def local_text(stored: str, tz: str) -> str:
    """A stored instant as local wall time with its zone, e.g. '2026-03-01 09:00 GMT'."""
    return to_datetime(stored).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


def normalise_tag(tag: str) -> str:
    """'#LoveSUs' or 'LoveSUs' -> 'LoveSUs' (kept in its case for display; matched lower case)."""
    tag = str(tag).strip().lstrip("#")
    if not tag or not all(ch.isalnum() or ch == "_" for ch in tag):
        raise ValidationError(f"bad hashtag '#{tag}' (letters, digits and _ only)")
    return tag


def normalise_handle(handle: str) -> str:
    """A handle as authors are keyed: lower case, without a leading '@'."""
    return str(handle).strip().lstrip("@").lower()


def parse_list(value) -> list[str]:
    """A list from a list, or from text separated by commas or new lines."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.replace("\n", ",").split(",")
    return [str(item).strip() for item in value if str(item).strip()]


def check_move(kind: str, subject: str, current: str, target: str, moves: dict) -> None:
    """Raise ValidationError unless `current -> target` is allowed."""
    if target not in moves:
        raise ValidationError(f"bad status '{target}' for {kind} (one of: {', '.join(moves)})")
    if target not in moves[current]:
        allowed = ", ".join(moves[current]) or "none, it is final"
        raise ValidationError(f"cannot move {subject} from {current} to {target} "
                              f"(from {current}: {allowed})")


def status_now(status: str, start: str, end: str, now: str) -> str:
    """The status a call to action or an event has at `now` (stored UTC instants, compared as text).

    Scheduled work is live once its window opens and done once it closes; live work is done
    once it closes. Draft waits for a person, and done and cancelled are final. Every list shows
    this, and the scheduler's plan job stores it, so a read never has to write.
    """
    if status in ("scheduled", "live") and end <= now:
        return "done"
    if status == "scheduled" and start <= now:
        return "live"
    return status


def check_capacity(event_id: int, taken: int, capacity: int | None) -> None:
    """Raise ValidationError when an event with `taken` places of `capacity` can take no one else."""
    if capacity is not None and taken >= capacity:
        raise ValidationError(f"event {event_id} is full ({taken} of {capacity} places taken)")


# -- narratives ------------------------------------------------------------------------------

@dataclass
class Narrative:
    """A narrative seen (opposing) or told (ours), how risky it is and what we decided to do."""

    campaign_id: int
    side: str
    claim: str
    frame: str = ""
    keywords: list[str] = field(default_factory=list)
    first_seen: str | None = None
    risk: str = "medium"
    decision: str = "monitor"
    counters_id: int | None = None
    notes: str = ""
    tracker_ids: list[int] = field(default_factory=list)
    id: int | None = None

    def validate(self, tz: str = "UTC") -> Narrative:
        _choice(self.side, NARRATIVE_SIDES, "side")
        self.claim = _text(self.claim, "a narrative's claim")
        _choice(self.risk, RISKS, "risk")
        _choice(self.decision, DECISIONS, "decision")
        self.keywords = parse_list(self.keywords)
        if self.first_seen:
            self.first_seen = instant(self.first_seen, tz)
        return self


# -- events ----------------------------------------------------------------------------------

@dataclass
class Need:
    """Something an event needs: 'bring water: 50', with how much is pledged and delivered."""

    item: str
    quantity: int
    pledged: int = 0
    delivered: int = 0
    id: int | None = None

    def validate(self) -> Need:
        self.item = _text(self.item, "a need's item")
        self.quantity = _count(self.quantity, f"quantity of '{self.item}'", allow_none=False)
        self.pledged = _count(self.pledged, f"pledged '{self.item}'") or 0
        self.delivered = _count(self.delivered, f"delivered '{self.item}'") or 0
        return self


def parse_need(text: str) -> Need:
    """'bring water: 50' -> Need('bring water', 50); also 'item: quantity/pledged/delivered'."""
    item, sep, amounts = str(text).rpartition(":")
    if not sep or not item.strip():
        raise ValidationError(f"bad need '{text}' (write it as 'item: quantity', e.g. 'bring water: 50')")
    parts = [p.strip() for p in amounts.split("/")]
    if len(parts) > 3 or not all(parts):
        raise ValidationError(f"bad need '{text}' (write it as 'item: quantity[/pledged[/delivered]]')")
    numbers = [_count(p, f"'{item.strip()}'", allow_none=False) for p in parts] + [0, 0]
    return Need(item.strip(), numbers[0], numbers[1], numbers[2]).validate()


@dataclass
class Event:
    """Something people come to, in a place or online, with its needs."""

    campaign_id: int
    title: str
    starts_at: str
    ends_at: str
    timezone: str = "UTC"
    description: str = ""
    location: str = ""
    online_url: str = ""
    capacity: int | None = None
    visibility: str = "public"
    status: str = "draft"
    needs: list[Need] = field(default_factory=list)
    id: int | None = None

    def validate(self) -> Event:
        self.title = _text(self.title, "an event's title")
        self.timezone = parse_timezone(self.timezone)
        self.starts_at, self.ends_at = _window(self.starts_at, self.ends_at, self.timezone,
                                               f"event '{self.title}'")
        self.capacity = _count(self.capacity, "capacity")
        _choice(self.visibility, VISIBILITIES, "visibility")
        _choice(self.status, LIFECYCLE, "event status")
        items = set()
        for need in self.needs:
            need.validate()
            if need.item.lower() in items:
                raise ValidationError(f"need '{need.item}' is listed twice")
            items.add(need.item.lower())
        return self


# -- calls to action -------------------------------------------------------------------------

@dataclass
class Action:
    """A call to action: what to do, where, when, and how many of us should do it."""

    campaign_id: int
    kind: str
    title: str
    window_start: str
    window_end: str
    timezone: str = "UTC"
    message: str = ""
    variants: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    channel: str = ""
    link: str = ""
    goal_count: int | None = None
    narrative_id: int | None = None
    event_id: int | None = None
    status: str = "draft"
    id: int | None = None

    def validate(self) -> Action:
        _choice(self.kind, ACTION_KINDS, "kind")
        self.title = _text(self.title, "a call to action's title")
        self.timezone = parse_timezone(self.timezone)
        self.window_start, self.window_end = _window(self.window_start, self.window_end, self.timezone,
                                                     f"call to action '{self.title}'")
        self.hashtags = list(dict.fromkeys(normalise_tag(t) for t in parse_list(
            self.hashtags.split() if isinstance(self.hashtags, str) else self.hashtags)))
        self.variants = [v.strip() for v in self.variants if v and v.strip()]
        self.goal_count = _count(self.goal_count, "goal count")
        if self.kind in POSTING_KINDS and not (self.message or "").strip() and self.kind != "share":
            raise ValidationError(f"a '{self.kind}' call to action needs a message to post")
        if self.link and not str(self.link).startswith(("http://", "https://")):
            raise ValidationError(f"link must start with http:// or https://, not '{self.link}'")
        _choice(self.status, LIFECYCLE, "call to action status")
        return self

    @property
    def messages(self) -> list[str]:
        """The message and its variants, in order."""
        return [m for m in [self.message, *self.variants] if m]

    def message_for(self, volunteer_id: int | None) -> str:
        """One wording per volunteer, spread over the variants so posts are not identical."""
        messages = self.messages
        if not messages:
            return ""
        return messages[(volunteer_id or 0) % len(messages)]


# -- volunteers and assignments ---------------------------------------------------------------

@dataclass
class Volunteer:
    """A person who takes calls to action; handles are kept only once consent is recorded."""

    display_name: str
    timezone: str = "UTC"
    contact: str = ""
    skills: list[str] = field(default_factory=list)
    consent_at: str | None = None
    handles: dict[str, str] = field(default_factory=dict)  # platform -> handle
    id: int | None = None

    def validate(self) -> Volunteer:
        self.display_name = _text(self.display_name, "a volunteer's display name")
        self.timezone = parse_timezone(self.timezone)
        self.skills = parse_list(self.skills)
        if self.consent_at:
            self.consent_at = instant(self.consent_at, self.timezone)
        cleaned = {}
        for platform, handle in self.handles.items():
            if not str(handle or "").strip():
                continue
            _choice(platform, HANDLE_PLATFORMS, "platform")
            cleaned[platform] = str(handle).strip().lstrip("@")
            if platform == "mastodon" and "@" not in cleaned[platform]:
                raise ValidationError(f"a Mastodon handle needs its instance: 'name@instance', not '{handle}'")
        if cleaned and not self.consent_at:
            raise ValidationError(f"record {self.display_name}'s consent before storing their handles")
        self.handles = cleaned
        return self

    @property
    def mastodon_instance(self) -> str | None:
        handle = self.handles.get("mastodon")
        return handle.rsplit("@", 1)[1] if handle and "@" in handle else None


@dataclass
class Assignment:
    """A volunteer on a call to action or in an event role."""

    volunteer_id: int
    action_id: int | None = None
    event_id: int | None = None
    role: str = ""
    status: str = "invited"
    done_at: str | None = None
    evidence_uid: str | None = None
    id: int | None = None


def check_new_assignment(action_id: int | None, event_id: int | None, status: str) -> None:
    """A new assignment is on one call to action or one event, and starts invited or accepted."""
    if (action_id is None) == (event_id is None):
        raise ValidationError("assign a volunteer to one call to action or one event")
    _choice(status, ASSIGNMENT_STATUSES, "assignment status")
    if status == "done":
        raise ValidationError("a new assignment starts as invited or accepted; mark it done afterwards")


def agenda_item(assignment: dict, subject: Action | Event, volunteer: Volunteer) -> dict | None:
    """One line of a volunteer's agenda: an assignment with what it is for, in their time zone.

    `assignment` holds the assignment's id, role, status, done_at and evidence_uid; `subject` is
    its call to action or event as shown now. Cancelled work is left out (None). The message is
    the wording meant for this volunteer, so their view and their calendar agree.
    """
    if subject.status == "cancelled":
        return None
    zone = ZoneInfo(volunteer.timezone)
    if isinstance(subject, Action):
        start, end, where = subject.window_start, subject.window_end, subject.channel
        item = {"kind": "action", "action": subject, "message": subject.message_for(volunteer.id),
                "hashtags": subject.hashtags, "link": subject.link}
    else:
        start, end, where = subject.starts_at, subject.ends_at, subject.location or subject.online_url
        item = {"kind": "event", "event": subject, "message": "", "hashtags": [], "link": subject.online_url}
    item.update({
        "subject_status": subject.status, "assignment_id": assignment["id"], "title": subject.title,
        "role": assignment["role"], "status": assignment["status"], "where": where, "starts_at": start,
        "ends_at": end, "local_start": to_datetime(start).astimezone(zone),
        "local_end": to_datetime(end).astimezone(zone), "done_at": assignment["done_at"],
        "evidence_uid": assignment["evidence_uid"]})
    return item


# -- demands ---------------------------------------------------------------------------------

@dataclass
class Demand:
    """What the campaign asks of a decision maker, and where that stands."""

    campaign_id: int
    text: str
    decision_maker: str = ""
    status: str = "raised"
    due_at: str | None = None
    review_on: str | None = None
    id: int | None = None

    def validate(self, tz: str = "UTC") -> Demand:
        self.text = _text(self.text, "a demand's text")
        _choice(self.status, DEMAND_STATUSES, "demand status")
        for name in ("due_at", "review_on"):
            value = getattr(self, name)
            setattr(self, name, parse_when(value, tz) if value else None)
        return self


def check_demand_update(demand_id: int, current: str, target: str, *, note: str = "", source_url: str = "",
                        evidence_uid: str | None = None) -> None:
    """A dated update moves the status along DEMAND_MOVES, or says something: a note, a link, a post."""
    if target != current:
        check_move("a demand", f"demand {demand_id}", current, target, DEMAND_MOVES)
    if not (note or "").strip() and not source_url and not evidence_uid and target == current:
        raise ValidationError("an update needs a new status, a note, a source link or evidence")
    if source_url and not source_url.startswith(("http://", "https://")):
        raise ValidationError(f"source link must start with http:// or https://, not '{source_url}'")


# -- completion from the listening data -------------------------------------------------------

@dataclass
class Completion:
    """What one pass of complete_from_mentions found."""

    actions_checked: int = 0
    assignments_done: list[tuple[int, str]] = field(default_factory=list)  # (assignment id, post uid)


def authors_waiting(waiting: Iterable[tuple[int, str, str]],
                    key_of: Callable[[str], str] | None = None) -> dict[tuple[str, str], list[int]]:
    """(assignment id, platform, handle) -> {(platform, stored author key): [assignment ids]}.

    `key_of` turns a handle into the stored author key when authors are pseudonymised; the
    handle itself is looked for too, since a consenting volunteer's handle is stored readable.
    """
    by_author: dict[tuple[str, str], list[int]] = {}
    for assignment_id, platform, handle in waiting:
        handle = normalise_handle(handle)
        for author in dict.fromkeys([handle, *([key_of(handle)] if key_of else [])]):
            by_author.setdefault((platform, author.lower()), []).append(assignment_id)
    return by_author


def earliest_evidence(by_author: dict[tuple[str, str], list[int]],
                      found: Iterable[tuple[str, str, str, str]]) -> dict[int, tuple[str, str]]:
    """Each assignment's earliest post: found rows are (platform, author key, created_at, uid)."""
    done: dict[int, tuple[str, str]] = {}
    for platform, author, created_at, uid in found:
        for assignment_id in by_author.get((platform, author), []):
            if assignment_id not in done or created_at < done[assignment_id][0]:
                done[assignment_id] = (created_at, uid)
    return done
