"""The counter-narrative planner: narratives, calls to action, events, volunteers, assignments, demands."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd

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
# (see advance_with_clock); draft waits for a person, and done and cancelled are final.
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


def _conn(source) -> sqlite3.Connection:
    """Accept a Store, a sqlite-utils Database or a sqlite3 connection."""
    if isinstance(source, sqlite3.Connection):
        return source
    if hasattr(source, "db"):
        return source.db.conn
    return source.conn


def _now() -> str:
    return iso_utc(datetime.now(UTC))


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


def _row_dicts(cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _one(conn, sql: str, params, what: str) -> dict:
    rows = _row_dicts(conn.execute(sql, params))
    if not rows:
        raise ValidationError(f"no {what}")
    return rows[0]


def _require_campaign(conn, campaign_id) -> None:
    if conn.execute("SELECT 1 FROM campaigns WHERE id = ?", [campaign_id]).fetchone() is None:
        raise ValidationError(f"no campaign with id {campaign_id}")


def _update(conn, table: str, row_id: int, values: dict) -> None:
    values = {**values, "updated_at": _now()}
    conn.execute(f"UPDATE {table} SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                 [*values.values(), row_id])


def _insert(conn, table: str, values: dict) -> int:
    now = _now()
    values = {**values, "created_at": now, "updated_at": now}
    cursor = conn.execute(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                          list(values.values()))
    return cursor.lastrowid


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


def save_narrative(source, narrative: Narrative, tz: str = "UTC") -> Narrative:
    """Insert or update a narrative and its tracker links."""
    conn = _conn(source)
    narrative.validate(tz)
    _require_campaign(conn, narrative.campaign_id)
    known = {row[0] for row in conn.execute("SELECT id FROM trackers WHERE campaign_id = ?",
                                            [narrative.campaign_id])}
    for tracker_id in narrative.tracker_ids:
        if tracker_id not in known:
            raise ValidationError(f"tracker {tracker_id} is not one of this campaign's trackers")
    if narrative.counters_id is not None:
        _one(conn, "SELECT id FROM narratives WHERE id = ? AND campaign_id = ?",
             [narrative.counters_id, narrative.campaign_id], f"narrative {narrative.counters_id} in this campaign")
    values = {"campaign_id": narrative.campaign_id, "side": narrative.side, "claim": narrative.claim,
              "frame": narrative.frame or "", "keywords": json.dumps(narrative.keywords),
              "first_seen": narrative.first_seen, "risk": narrative.risk, "decision": narrative.decision,
              "counters_id": narrative.counters_id, "notes": narrative.notes or ""}
    with conn:
        if narrative.id is None:
            narrative.id = _insert(conn, "narratives", values)
        else:
            narrative_row(conn, narrative.id)
            _update(conn, "narratives", narrative.id, values)
        conn.execute("DELETE FROM narrative_trackers WHERE narrative_id = ?", [narrative.id])
        conn.executemany("INSERT INTO narrative_trackers (narrative_id, tracker_id) VALUES (?, ?)",
                         [(narrative.id, t) for t in dict.fromkeys(narrative.tracker_ids)])
    return get_narrative(conn, narrative.id)


def narrative_row(conn, narrative_id: int) -> dict:
    return _one(conn, "SELECT * FROM narratives WHERE id = ?", [narrative_id], f"narrative with id {narrative_id}")


def get_narrative(source, narrative_id: int) -> Narrative:
    conn = _conn(source)
    row = narrative_row(conn, narrative_id)
    trackers = [r[0] for r in conn.execute(
        "SELECT tracker_id FROM narrative_trackers WHERE narrative_id = ? ORDER BY tracker_id", [narrative_id])]
    return Narrative(
        id=row["id"], campaign_id=row["campaign_id"], side=row["side"], claim=row["claim"], frame=row["frame"],
        keywords=json.loads(row["keywords"]), first_seen=row["first_seen"], risk=row["risk"],
        decision=row["decision"], counters_id=row["counters_id"], notes=row["notes"], tracker_ids=trackers)


def narratives(source, campaign_id: int) -> pd.DataFrame:
    """A campaign's narratives with the trackers that measure them."""
    conn = _conn(source)
    return pd.read_sql_query(
        "SELECT n.id, n.side, n.claim, n.frame, n.keywords, n.first_seen, n.risk, n.decision, n.counters_id,"
        " (SELECT group_concat(CASE t.kind WHEN 'hashtag' THEN '#' WHEN 'account' THEN '@' ELSE '' END"
        "  || t.value, ' ') FROM narrative_trackers nt JOIN trackers t ON t.id = nt.tracker_id"
        "  WHERE nt.narrative_id = n.id) AS trackers"
        " FROM narratives n WHERE n.campaign_id = ? ORDER BY n.side DESC, n.id", conn, params=[campaign_id])


def narrative_traction(source, narrative_id: int, start: str, end: str) -> pd.DataFrame:
    """Mentions per day carrying the narrative's trackers, from the (tracker_id, created_at) index."""
    conn = _conn(source)
    frame = pd.read_sql_query(
        "SELECT substr(mt.created_at, 1, 10) AS day, count(DISTINCT mt.mention_uid) AS mentions"
        " FROM narrative_trackers nt JOIN mention_trackers mt ON mt.tracker_id = nt.tracker_id"
        " WHERE nt.narrative_id = ? AND mt.created_at >= ? AND mt.created_at < ?"
        " GROUP BY day ORDER BY day", conn, params=[narrative_id, start, end])
    return frame


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


def save_event(source, event: Event) -> Event:
    """Insert or update an event and its needs (needs are replaced to match)."""
    conn = _conn(source)
    event.validate()
    _require_campaign(conn, event.campaign_id)
    values = {"campaign_id": event.campaign_id, "title": event.title, "description": event.description or "",
              "starts_at": event.starts_at, "ends_at": event.ends_at, "timezone": event.timezone,
              "location": event.location or "", "online_url": event.online_url or "",
              "capacity": event.capacity, "visibility": event.visibility}
    with conn:
        if event.id is None:
            values["status"] = event.status
            event.id = _insert(conn, "events", values)
        else:
            current = event_row(conn, event.id)
            if event.status != current["status"]:
                check_move("an event", f"event {event.id}", current["status"], event.status, LIFECYCLE_MOVES)
                values["status"] = event.status
            _update(conn, "events", event.id, values)
        conn.execute("DELETE FROM event_needs WHERE event_id = ?", [event.id])
        conn.executemany(
            "INSERT INTO event_needs (event_id, item, quantity, pledged, delivered, position) VALUES (?, ?, ?, ?, ?, ?)",
            [(event.id, n.item, n.quantity, n.pledged, n.delivered, i) for i, n in enumerate(event.needs)])
    advance_with_clock(conn)
    return get_event(conn, event.id)


def event_row(conn, event_id: int) -> dict:
    return _one(conn, "SELECT * FROM events WHERE id = ?", [event_id], f"event with id {event_id}")


def get_event(source, event_id: int) -> Event:
    conn = _conn(source)
    row = event_row(conn, event_id)
    needs = [Need(item, quantity, pledged, delivered, need_id) for need_id, item, quantity, pledged, delivered
             in conn.execute("SELECT id, item, quantity, pledged, delivered FROM event_needs WHERE event_id = ?"
                             " ORDER BY position, id", [event_id])]
    return Event(id=row["id"], campaign_id=row["campaign_id"], title=row["title"], description=row["description"],
                 starts_at=row["starts_at"], ends_at=row["ends_at"], timezone=row["timezone"],
                 location=row["location"], online_url=row["online_url"], capacity=row["capacity"],
                 visibility=row["visibility"], status=row["status"], needs=needs)


def pledge(source, event_id: int, item: str, *, pledged: int = 0, delivered: int = 0) -> Need:
    """Add to what is pledged or delivered for one of an event's needs."""
    conn = _conn(source)
    row = _one(conn, "SELECT id, item, quantity, pledged, delivered FROM event_needs"
                     " WHERE event_id = ? AND lower(item) = lower(?)", [event_id, item],
               f"need '{item}' at event {event_id}")
    new_pledged, new_delivered = row["pledged"] + int(pledged), row["delivered"] + int(delivered)
    if new_pledged < 0 or new_delivered < 0:
        raise ValidationError(f"'{row['item']}' cannot go below zero")
    with conn:
        conn.execute("UPDATE event_needs SET pledged = ?, delivered = ? WHERE id = ?",
                     [new_pledged, new_delivered, row["id"]])
    return Need(row["item"], row["quantity"], new_pledged, new_delivered, row["id"])


def events(source, campaign_id: int) -> pd.DataFrame:
    """A campaign's events in time order, with attendance counts."""
    conn = _conn(source)
    advance_with_clock(conn)
    return pd.read_sql_query(
        "SELECT e.id, e.title, e.starts_at, e.ends_at, e.timezone, e.location, e.online_url, e.capacity,"
        " e.visibility, e.status,"
        " (SELECT count(*) FROM assignments a WHERE a.event_id = e.id AND a.status IN ('accepted', 'done'))"
        " AS signed_up,"
        " (SELECT group_concat(item || ': ' || pledged || '/' || quantity, '; ') FROM event_needs n"
        "  WHERE n.event_id = e.id) AS needs"
        " FROM events e WHERE e.campaign_id = ? ORDER BY e.starts_at", conn, params=[campaign_id])


def event_needs(source, event_id: int) -> pd.DataFrame:
    return pd.read_sql_query("SELECT item, quantity, pledged, delivered FROM event_needs WHERE event_id = ?"
                             " ORDER BY position, id", _conn(source), params=[event_id])


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


def save_action(source, action: Action) -> Action:
    """Insert or update a call to action with its message variants; status moves are checked."""
    conn = _conn(source)
    action.validate()
    _require_campaign(conn, action.campaign_id)
    if action.narrative_id is not None:
        _one(conn, "SELECT id FROM narratives WHERE id = ? AND campaign_id = ?",
             [action.narrative_id, action.campaign_id], f"narrative {action.narrative_id} in this campaign")
    if action.event_id is not None:
        _one(conn, "SELECT id FROM events WHERE id = ? AND campaign_id = ?",
             [action.event_id, action.campaign_id], f"event {action.event_id} in this campaign")
    values = {"campaign_id": action.campaign_id, "narrative_id": action.narrative_id,
              "event_id": action.event_id, "kind": action.kind, "title": action.title,
              "message": action.message or "", "hashtags": json.dumps(action.hashtags),
              "channel": action.channel or "", "link": action.link or "", "window_start": action.window_start,
              "window_end": action.window_end, "timezone": action.timezone, "goal_count": action.goal_count}
    with conn:
        if action.id is None:
            values["status"] = action.status
            action.id = _insert(conn, "actions", values)
        else:
            current = action_row(conn, action.id)
            if action.status != current["status"]:
                check_move("a call to action", f"call to action {action.id}", current["status"], action.status,
                           LIFECYCLE_MOVES)
                values["status"] = action.status
            _update(conn, "actions", action.id, values)
        conn.execute("DELETE FROM action_variants WHERE action_id = ?", [action.id])
        conn.executemany("INSERT INTO action_variants (action_id, position, message) VALUES (?, ?, ?)",
                         [(action.id, i, v) for i, v in enumerate(action.variants)])
    advance_with_clock(conn)
    return get_action(conn, action.id)


def action_row(conn, action_id: int) -> dict:
    return _one(conn, "SELECT * FROM actions WHERE id = ?", [action_id], f"call to action with id {action_id}")


def get_action(source, action_id: int) -> Action:
    conn = _conn(source)
    row = action_row(conn, action_id)
    variants = [r[0] for r in conn.execute("SELECT message FROM action_variants WHERE action_id = ? ORDER BY position",
                                           [action_id])]
    return Action(id=row["id"], campaign_id=row["campaign_id"], kind=row["kind"], title=row["title"],
                  window_start=row["window_start"], window_end=row["window_end"], timezone=row["timezone"],
                  message=row["message"], variants=variants, hashtags=json.loads(row["hashtags"]),
                  channel=row["channel"], link=row["link"], goal_count=row["goal_count"],
                  narrative_id=row["narrative_id"], event_id=row["event_id"], status=row["status"])


def transition(source, table: str, row_id: int, target: str) -> str:
    """Move a call to action ('actions') or an event ('events') to `target`, if the lifecycle allows."""
    conn = _conn(source)
    kind = {"actions": "call to action", "events": "event"}.get(table)
    if kind is None:
        raise ValidationError(f"no lifecycle for '{table}'")
    current = _one(conn, f"SELECT status FROM {table} WHERE id = ?", [row_id], f"{kind} with id {row_id}")["status"]
    check_move(f"a {kind}", f"{kind} {row_id}", current, target, LIFECYCLE_MOVES)
    with conn:
        _update(conn, table, row_id, {"status": target})
    advance_with_clock(conn)
    return _one(conn, f"SELECT status FROM {table} WHERE id = ?", [row_id], kind)["status"]


def advance_with_clock(source, now: datetime | str | None = None) -> int:
    """Move scheduled work to live when its window opens and live work to done when it closes.

    Draft, done and cancelled never move with the clock: a draft waits for someone to schedule
    it. Returns how many rows moved.
    """
    conn = _conn(source)
    at = now if isinstance(now, str) else iso_utc(now or datetime.now(UTC))
    moved = 0
    with conn:
        for table, start, end in (("actions", "window_start", "window_end"), ("events", "starts_at", "ends_at")):
            moved += conn.execute(
                f"UPDATE {table} SET status = 'done', updated_at = ? WHERE status IN ('scheduled', 'live')"
                f" AND {end} <= ?", [at, at]).rowcount
            moved += conn.execute(
                f"UPDATE {table} SET status = 'live', updated_at = ? WHERE status = 'scheduled'"
                f" AND {start} <= ? AND {end} > ?", [at, at, at]).rowcount
    return moved


def actions(source, campaign_id: int) -> pd.DataFrame:
    """A campaign's calls to action in time order, with progress against the goal."""
    conn = _conn(source)
    advance_with_clock(conn)
    frame = pd.read_sql_query(
        "SELECT a.id, a.kind, a.title, a.status, a.window_start, a.window_end, a.timezone, a.hashtags,"
        " a.channel, a.goal_count, a.narrative_id, a.event_id,"
        " (SELECT count(*) FROM assignments s WHERE s.action_id = a.id) AS assigned,"
        " (SELECT count(*) FROM assignments s WHERE s.action_id = a.id AND s.status = 'done') AS volunteers_done"
        " FROM actions a WHERE a.campaign_id = ? ORDER BY a.window_start, a.id", conn, params=[campaign_id])
    frame["hashtags"] = [" ".join("#" + t for t in json.loads(tags)) for tags in frame["hashtags"]]
    frame["posts"] = [action_post_count(conn, int(i)) for i in frame["id"]]
    return frame


# -- completion from the listening data -------------------------------------------------------

def action_post_count(source, action_id: int) -> int:
    """Distinct posts carrying any of the action's hashtags inside its window [start, end).

    Read from mention_hashtags through its (campaign_id, created_at, tag) index.
    """
    conn = _conn(source)
    row = action_row(conn, action_id)
    tags = [t.lower() for t in json.loads(row["hashtags"])]
    if not tags:
        return 0
    return conn.execute(
        "SELECT count(DISTINCT mention_uid) FROM mention_hashtags WHERE campaign_id = ? AND created_at >= ?"
        f" AND created_at < ? AND tag IN ({', '.join('?' * len(tags))})",
        [row["campaign_id"], row["window_start"], row["window_end"], *tags]).fetchone()[0]


def action_progress(source, action_id: int) -> dict:
    """Posts counted against the goal, and volunteers done out of those assigned."""
    conn = _conn(source)
    row = action_row(conn, action_id)
    posts = action_post_count(conn, action_id)
    assigned, done = conn.execute(
        "SELECT count(*), coalesce(sum(status = 'done'), 0) FROM assignments WHERE action_id = ?"
        " AND status != 'declined'", [action_id]).fetchone()
    goal = row["goal_count"]
    return {"posts": posts, "goal": goal, "share": (posts / goal) if goal else None,
            "assigned": assigned, "volunteers_done": done}


@dataclass
class Completion:
    """What one pass of complete_from_mentions found."""

    actions_checked: int = 0
    assignments_done: list[tuple[int, str]] = field(default_factory=list)  # (assignment id, post uid)


def complete_from_mentions(source, campaign_id: int, *, key_of: Callable[[str], str] | None = None,
                           now: datetime | None = None) -> Completion:
    """Mark assignments done where the volunteer's own post with the action's hashtag was collected.

    Only volunteers with consent recorded and a handle on the post's platform are matched; the
    earliest such post inside the window is kept as evidence. `key_of` turns a handle into the
    stored author key when authors are pseudonymised. Safe to call after every stored batch:
    an assignment already done is left as it is.
    """
    conn = _conn(source)
    advance_with_clock(conn, now)
    result = Completion()
    open_actions = _row_dicts(conn.execute(
        "SELECT id, hashtags, window_start, window_end FROM actions WHERE campaign_id = ?"
        " AND status IN ('scheduled', 'live', 'done') AND hashtags != '[]'", [campaign_id]))
    for action in open_actions:
        result.actions_checked += 1
        tags = [t.lower() for t in json.loads(action["hashtags"])]
        waiting = _row_dicts(conn.execute(
            "SELECT s.id AS assignment_id, h.platform, h.handle FROM assignments s"
            " JOIN volunteers v ON v.id = s.volunteer_id"
            " JOIN volunteer_handles h ON h.volunteer_id = v.id"
            " WHERE s.action_id = ? AND s.status IN ('invited', 'accepted', 'no_show')"
            " AND v.consent_at IS NOT NULL", [action["id"]]))
        if not waiting:
            continue
        by_author: dict[tuple[str, str], list[int]] = {}
        for item in waiting:
            handle = normalise_handle(item["handle"])
            author = key_of(handle) if key_of else handle
            by_author.setdefault((item["platform"], author.lower()), []).append(item["assignment_id"])
        found = conn.execute(
            "SELECT m.platform, lower(m.author_key), min(h.created_at), m.uid FROM mention_hashtags h"
            " JOIN mentions m ON m.uid = h.mention_uid"
            " WHERE h.campaign_id = ? AND h.created_at >= ? AND h.created_at < ?"
            f" AND h.tag IN ({', '.join('?' * len(tags))})"
            f" AND lower(m.author_key) IN ({', '.join('?' * len(by_author))})"
            " GROUP BY m.platform, lower(m.author_key)",
            [campaign_id, action["window_start"], action["window_end"], *tags,
             *{author for _, author in by_author}]).fetchall()
        done: dict[int, tuple[str, str]] = {}
        for platform, author, created_at, uid in found:
            for assignment_id in by_author.get((platform, author), []):
                if assignment_id not in done or created_at < done[assignment_id][0]:
                    done[assignment_id] = (created_at, uid)
        with conn:
            for assignment_id, (created_at, uid) in done.items():
                _update(conn, "assignments", assignment_id,
                        {"status": "done", "done_at": created_at, "evidence_uid": uid})
                result.assignments_done.append((assignment_id, uid))
    return result


def complete_all(source, *, key_of: Callable[[str], str] | None = None) -> dict[int, Completion]:
    """complete_from_mentions for every campaign that has calls to action."""
    conn = _conn(source)
    ids = [r[0] for r in conn.execute("SELECT DISTINCT campaign_id FROM actions ORDER BY campaign_id")]
    return {campaign_id: complete_from_mentions(conn, campaign_id, key_of=key_of) for campaign_id in ids}


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


def save_volunteer(source, volunteer: Volunteer) -> Volunteer:
    conn = _conn(source)
    volunteer.validate()
    values = {"display_name": volunteer.display_name, "contact": volunteer.contact or "",
              "timezone": volunteer.timezone, "skills": json.dumps(volunteer.skills),
              "consent_at": volunteer.consent_at}
    clash = conn.execute("SELECT id FROM volunteers WHERE lower(display_name) = lower(?) AND id IS NOT ?",
                         [volunteer.display_name, volunteer.id]).fetchone()
    if clash:
        raise ValidationError(f"a volunteer named '{volunteer.display_name}' exists already")
    with conn:
        if volunteer.id is None:
            volunteer.id = _insert(conn, "volunteers", values)
        else:
            volunteer_row(conn, volunteer.id)
            _update(conn, "volunteers", volunteer.id, values)
        conn.execute("DELETE FROM volunteer_handles WHERE volunteer_id = ?", [volunteer.id])
        conn.executemany("INSERT INTO volunteer_handles (volunteer_id, platform, handle) VALUES (?, ?, ?)",
                         [(volunteer.id, p, h) for p, h in volunteer.handles.items()])
    return get_volunteer(conn, volunteer.id)


def volunteer_row(conn, volunteer_id: int) -> dict:
    return _one(conn, "SELECT * FROM volunteers WHERE id = ?", [volunteer_id], f"volunteer with id {volunteer_id}")


def get_volunteer(source, volunteer_id: int) -> Volunteer:
    conn = _conn(source)
    row = volunteer_row(conn, volunteer_id)
    handles = dict(conn.execute("SELECT platform, handle FROM volunteer_handles WHERE volunteer_id = ?"
                                " ORDER BY platform", [volunteer_id]).fetchall())
    return Volunteer(id=row["id"], display_name=row["display_name"], contact=row["contact"],
                     timezone=row["timezone"], skills=json.loads(row["skills"]), consent_at=row["consent_at"],
                     handles=handles)


def find_volunteer(source, name_or_id) -> Volunteer:
    """A volunteer by display name (any case) or id."""
    conn = _conn(source)
    row = conn.execute("SELECT id FROM volunteers WHERE lower(display_name) = lower(?)", [str(name_or_id)]).fetchone()
    if row is None and str(name_or_id).isdigit():
        row = conn.execute("SELECT id FROM volunteers WHERE id = ?", [int(name_or_id)]).fetchone()
    if row is None:
        raise ValidationError(f"no volunteer named '{name_or_id}' (see: groundswell volunteer list)")
    return get_volunteer(conn, row[0])


def volunteers(source, campaign_id: int | None = None) -> pd.DataFrame:
    """Volunteers (those with assignments in a campaign, when one is given) and their counts."""
    conn = _conn(source)
    where, params = "", []
    if campaign_id is not None:
        where = (" WHERE v.id IN (SELECT s.volunteer_id FROM assignments s LEFT JOIN actions a ON a.id = s.action_id"
                 " LEFT JOIN events e ON e.id = s.event_id WHERE coalesce(a.campaign_id, e.campaign_id) = ?)")
        params = [campaign_id]
    return pd.read_sql_query(
        "SELECT v.id, v.display_name, v.timezone, v.skills, v.consent_at IS NOT NULL AS consent,"
        " (SELECT group_concat(platform || ':' || handle, ' ') FROM volunteer_handles h WHERE h.volunteer_id = v.id)"
        " AS handles,"
        " (SELECT count(*) FROM assignments s WHERE s.volunteer_id = v.id) AS assignments,"
        " (SELECT count(*) FROM assignments s WHERE s.volunteer_id = v.id AND s.status = 'done') AS done"
        f" FROM volunteers v{where} ORDER BY v.display_name", conn, params=params)


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


def assign(source, volunteer_id: int, *, action_id: int | None = None, event_id: int | None = None,
           role: str = "", status: str = "invited") -> Assignment:
    """Put a volunteer on a call to action or an event role."""
    conn = _conn(source)
    if (action_id is None) == (event_id is None):
        raise ValidationError("assign a volunteer to one call to action or one event")
    volunteer_row(conn, volunteer_id)
    if action_id is not None:
        action_row(conn, action_id)
    else:
        event_row(conn, event_id)
    _choice(status, ASSIGNMENT_STATUSES, "assignment status")
    if status == "done":
        raise ValidationError("a new assignment starts as invited or accepted; mark it done afterwards")
    if event_id is not None and status == "accepted":
        _check_capacity(conn, event_id)
    try:
        with conn:
            assignment_id = _insert(conn, "assignments", {"volunteer_id": volunteer_id, "action_id": action_id,
                                                          "event_id": event_id, "role": role or "", "status": status})
    except sqlite3.IntegrityError:
        raise ValidationError("this volunteer already has that assignment") from None
    return get_assignment(conn, assignment_id)


def _check_capacity(conn, event_id: int) -> None:
    capacity = event_row(conn, event_id)["capacity"]
    if capacity is None:
        return
    taken = conn.execute("SELECT count(*) FROM assignments WHERE event_id = ? AND status IN ('accepted', 'done')",
                         [event_id]).fetchone()[0]
    if taken >= capacity:
        raise ValidationError(f"event {event_id} is full ({taken} of {capacity} places taken)")


def get_assignment(source, assignment_id: int) -> Assignment:
    row = _one(_conn(source), "SELECT * FROM assignments WHERE id = ?", [assignment_id],
               f"assignment with id {assignment_id}")
    return Assignment(id=row["id"], volunteer_id=row["volunteer_id"], action_id=row["action_id"],
                      event_id=row["event_id"], role=row["role"], status=row["status"], done_at=row["done_at"],
                      evidence_uid=row["evidence_uid"])


def set_assignment_status(source, assignment_id: int, status: str, *, evidence_uid: str | None = None,
                          at: str | None = None) -> Assignment:
    """Move an assignment (invited -> accepted / declined -> done / no_show), checking the rules."""
    conn = _conn(source)
    current = get_assignment(conn, assignment_id)
    check_move("an assignment", f"assignment {assignment_id}", current.status, status, ASSIGNMENT_MOVES)
    if current.event_id is not None and status == "accepted":
        _check_capacity(conn, current.event_id)
    values: dict = {"status": status}
    if status == "done":
        values["done_at"] = instant(at) if at else _now()
        if evidence_uid:
            if conn.execute("SELECT 1 FROM mentions WHERE uid = ?", [evidence_uid]).fetchone() is None:
                raise ValidationError(f"no collected post '{evidence_uid}' to use as evidence")
            values["evidence_uid"] = evidence_uid
    with conn:
        _update(conn, "assignments", assignment_id, values)
    return get_assignment(conn, assignment_id)


def assignments(source, campaign_id: int | None = None, *, volunteer_id: int | None = None) -> pd.DataFrame:
    """Assignments with what they are for and when; filter by campaign and/or volunteer."""
    conn = _conn(source)
    clauses, params = [], []
    if campaign_id is not None:
        clauses.append("coalesce(a.campaign_id, e.campaign_id) = ?")
        params.append(campaign_id)
    if volunteer_id is not None:
        clauses.append("s.volunteer_id = ?")
        params.append(volunteer_id)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    return pd.read_sql_query(
        "SELECT s.id, v.display_name AS volunteer, s.volunteer_id,"
        " CASE WHEN s.action_id IS NOT NULL THEN 'action' ELSE 'event' END AS kind,"
        " coalesce(s.action_id, s.event_id) AS subject_id, coalesce(a.title, e.title) AS title, s.role, s.status,"
        " coalesce(a.window_start, e.starts_at) AS starts_at, coalesce(a.window_end, e.ends_at) AS ends_at,"
        " s.done_at, s.evidence_uid"
        " FROM assignments s JOIN volunteers v ON v.id = s.volunteer_id"
        " LEFT JOIN actions a ON a.id = s.action_id LEFT JOIN events e ON e.id = s.event_id"
        f"{where} ORDER BY starts_at, s.id", conn, params=params)


def volunteer_agenda(source, volunteer_id: int) -> list[dict]:
    """Everything assigned to one volunteer (declined left out), in time order and in their time zone.

    Each item carries the message meant for this volunteer, so their view and calendar agree.
    """
    conn = _conn(source)
    advance_with_clock(conn)
    volunteer = get_volunteer(conn, volunteer_id)
    zone = ZoneInfo(volunteer.timezone)
    items = []
    for row in _row_dicts(conn.execute(
            "SELECT id, action_id, event_id, role, status, done_at, evidence_uid FROM assignments"
            " WHERE volunteer_id = ? AND status != 'declined'", [volunteer_id])):
        if row["action_id"] is not None:
            action = get_action(conn, row["action_id"])
            if action.status == "cancelled":
                continue
            start, end, title, where = action.window_start, action.window_end, action.title, action.channel
            item = {"kind": "action", "action": action, "message": action.message_for(volunteer_id),
                    "hashtags": action.hashtags, "link": action.link, "subject_status": action.status}
        else:
            event = get_event(conn, row["event_id"])
            if event.status == "cancelled":
                continue
            start, end, title = event.starts_at, event.ends_at, event.title
            where = event.location or event.online_url
            item = {"kind": "event", "event": event, "message": "", "hashtags": [], "link": event.online_url,
                    "subject_status": event.status}
        item.update({
            "assignment_id": row["id"], "title": title, "role": row["role"], "status": row["status"],
            "where": where, "starts_at": start, "ends_at": end,
            "local_start": to_datetime(start).astimezone(zone), "local_end": to_datetime(end).astimezone(zone),
            "done_at": row["done_at"], "evidence_uid": row["evidence_uid"]})
        items.append(item)
    return sorted(items, key=lambda i: (i["starts_at"], i["assignment_id"]))


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


def save_demand(source, demand: Demand, tz: str = "UTC", *, raised_at=None) -> Demand:
    """Insert a demand (its first update, dated `raised_at` or now, records its status) or edit
    its text, decision maker and dates.

    Status changes go through add_demand_update, so each one is dated and sourced.
    """
    conn = _conn(source)
    demand.validate(tz)
    _require_campaign(conn, demand.campaign_id)
    values = {"campaign_id": demand.campaign_id, "text": demand.text, "decision_maker": demand.decision_maker or "",
              "due_at": demand.due_at, "review_on": demand.review_on}
    with conn:
        if demand.id is None:
            values["status"] = demand.status
            demand.id = _insert(conn, "demands", values)
            conn.execute("INSERT INTO demand_updates (demand_id, at, status, note) VALUES (?, ?, ?, ?)",
                         [demand.id, instant(raised_at, tz) if raised_at else _now(), demand.status, "recorded"])
        else:
            current = demand_row(conn, demand.id)
            if demand.status != current["status"]:
                raise ValidationError("change a demand's status with a dated update (groundswell demand update)")
            _update(conn, "demands", demand.id, values)
    return get_demand(conn, demand.id)


def demand_row(conn, demand_id: int) -> dict:
    return _one(conn, "SELECT * FROM demands WHERE id = ?", [demand_id], f"demand with id {demand_id}")


def get_demand(source, demand_id: int) -> Demand:
    row = demand_row(_conn(source), demand_id)
    return Demand(id=row["id"], campaign_id=row["campaign_id"], text=row["text"],
                  decision_maker=row["decision_maker"], status=row["status"], due_at=row["due_at"],
                  review_on=row["review_on"])


def add_demand_update(source, demand_id: int, *, status: str | None = None, note: str = "",
                      source_url: str = "", evidence_uid: str | None = None, at=None, tz: str = "UTC") -> dict:
    """A dated update on a demand: a status move (checked), a note, a source link or a collected post."""
    conn = _conn(source)
    current = demand_row(conn, demand_id)
    target = status or current["status"]
    if target != current["status"]:
        check_move("a demand", f"demand {demand_id}", current["status"], target, DEMAND_MOVES)
    if not (note or "").strip() and not source_url and not evidence_uid and target == current["status"]:
        raise ValidationError("an update needs a new status, a note, a source link or evidence")
    if source_url and not source_url.startswith(("http://", "https://")):
        raise ValidationError(f"source link must start with http:// or https://, not '{source_url}'")
    if evidence_uid and conn.execute("SELECT 1 FROM mentions WHERE uid = ?", [evidence_uid]).fetchone() is None:
        raise ValidationError(f"no collected post '{evidence_uid}' to use as evidence")
    when = instant(at, parse_timezone(tz)) if at else _now()
    with conn:
        conn.execute("INSERT INTO demand_updates (demand_id, at, status, note, source_url, evidence_uid)"
                     " VALUES (?, ?, ?, ?, ?, ?)", [demand_id, when, target, note or "", source_url or "",
                                                    evidence_uid])
        # The newest update decides, even one dated in the past: it is checked against the
        # status it moves from.
        _update(conn, "demands", demand_id, {"status": target})
    return {"demand_id": demand_id, "at": when, "status": target, "note": note, "source_url": source_url,
            "evidence_uid": evidence_uid}


def demands(source, campaign_id: int) -> pd.DataFrame:
    """The ledger of a campaign's demands with their latest update."""
    conn = _conn(source)
    return pd.read_sql_query(
        "SELECT d.id, d.text, d.decision_maker, d.status, d.due_at, d.review_on,"
        " (SELECT max(at) FROM demand_updates u WHERE u.demand_id = d.id) AS last_update,"
        " (SELECT count(*) FROM demand_updates u WHERE u.demand_id = d.id) AS updates"
        " FROM demands d WHERE d.campaign_id = ? ORDER BY d.id", conn, params=[campaign_id])


def demand_updates(source, demand_id: int) -> pd.DataFrame:
    return pd.read_sql_query(
        "SELECT at, status, note, source_url, evidence_uid FROM demand_updates WHERE demand_id = ?"
        " ORDER BY at, id", _conn(source), params=[demand_id])


# -- timeline and chart markers ----------------------------------------------------------------

def timeline(source, campaign_id: int) -> pd.DataFrame:
    """Calls to action and events as bars (start, end, title, kind, status) for a calendar view."""
    conn = _conn(source)
    advance_with_clock(conn)
    return pd.read_sql_query(
        "SELECT 'action' AS kind, id, title, status, window_start AS start, window_end AS end, timezone"
        " FROM actions WHERE campaign_id = ?"
        " UNION ALL SELECT 'event', id, title, status, starts_at, ends_at, timezone FROM events WHERE campaign_id = ?"
        " ORDER BY start", conn, params=[campaign_id, campaign_id])


def markers(source, campaign_id: int, start: str | datetime, end: str | datetime) -> pd.DataFrame:
    """Chart markers in [start, end): calls to action and events when they start, opposing
    narratives when first seen. Columns at (UTC), label, kind; cancelled work is left out."""
    conn = _conn(source)
    start = start if isinstance(start, str) else iso_utc(start)
    end = end if isinstance(end, str) else iso_utc(end)
    frame = pd.read_sql_query(
        "SELECT window_start AS at, title AS label, 'action' AS kind FROM actions"
        " WHERE campaign_id = ? AND status != 'cancelled' AND window_start >= ? AND window_start < ?"
        " UNION ALL SELECT starts_at, title, 'event' FROM events"
        " WHERE campaign_id = ? AND status != 'cancelled' AND starts_at >= ? AND starts_at < ?"
        " UNION ALL SELECT first_seen, claim, 'opposing' FROM narratives"
        " WHERE campaign_id = ? AND side = 'opposing' AND first_seen >= ? AND first_seen < ?"
        " ORDER BY at", conn, params=[campaign_id, start, end] * 3)
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame
