"""The plan's tables: narratives, calls to action, events and needs, volunteers, assignments, demands."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime

import pandas as pd

from campaigns import clock, planner
from campaigns.errors import ValidationError
from campaigns.model import iso_utc, parse_timezone
from campaigns.planner import (
    Action,
    Assignment,
    Completion,
    Demand,
    Event,
    Narrative,
    Need,
    Volunteer,
)

# The tables whose status moves with the clock, and the columns of their window.
WINDOWS = {"actions": ("window_start", "window_end"), "events": ("starts_at", "ends_at")}
LIFECYCLE_NAMES = {"actions": "call to action", "events": "event"}


def _instant(value: datetime | str | None) -> str:
    """A moment as the stored text; None is now, by the one clock."""
    if value is None:
        return clock.now_iso()
    return value if isinstance(value, str) else iso_utc(value)


class Plan:
    """Verbs on the planner's tables (`store.plan`).

    Reads never write: the status they show is planner.status_now of the stored status at the
    clock's now. The stored status moves in advance(), which the scheduler's plan job and every
    lifecycle write call.
    """

    def __init__(self, store):
        self.store = store

    @property
    def conn(self) -> sqlite3.Connection:
        return self.store.conn

    # -- helpers ---------------------------------------------------------------------------

    def _rows(self, sql: str, params: Iterable = ()) -> list[dict]:
        cursor = self.conn.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _one(self, sql: str, params: Iterable, what: str) -> dict:
        rows = self._rows(sql, params)
        if not rows:
            raise ValidationError(f"no {what}")
        return rows[0]

    def _frame(self, sql: str, params: Iterable = ()) -> pd.DataFrame:
        return pd.read_sql_query(sql, self.conn, params=list(params))

    def _require_campaign(self, campaign_id) -> None:
        if self.conn.execute("SELECT 1 FROM campaigns WHERE id = ?", [campaign_id]).fetchone() is None:
            raise ValidationError(f"no campaign with id {campaign_id}")

    def _require_post(self, uid: str) -> None:
        if self.conn.execute("SELECT 1 FROM mentions WHERE uid = ?", [uid]).fetchone() is None:
            raise ValidationError(f"no collected post '{uid}' to use as evidence")

    def _update(self, table: str, row_id: int, values: dict) -> None:
        values = {**values, "updated_at": clock.now_iso()}
        self.conn.execute(f"UPDATE {table} SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                          [*values.values(), row_id])

    def _insert(self, table: str, values: dict) -> int:
        now = clock.now_iso()
        values = {**values, "created_at": now, "updated_at": now}
        cursor = self.conn.execute(
            f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
            list(values.values()))
        return cursor.lastrowid

    @staticmethod
    def _shown(frame: pd.DataFrame, start: str, end: str, now: str, column: str = "status") -> pd.DataFrame:
        """The frame with its status column as planner.status_now gives it at `now`."""
        frame[column] = [planner.status_now(status, begins, ends, now) for status, begins, ends
                         in zip(frame[column], frame[start], frame[end], strict=True)]
        return frame

    # -- the clock -------------------------------------------------------------------------

    def advance(self, now: datetime | str | None = None) -> int:
        """Store the status planner.status_now gives each call to action and event at `now`.

        The one place a stored status moves with the clock (the scheduler's plan job, `groundswell
        planner sync`, and every lifecycle write). Returns how many rows moved.
        """
        with self.conn:
            return self._advance(_instant(now))

    def _advance(self, now: str) -> int:
        moved = 0
        for table, (start, end) in WINDOWS.items():
            # Only work whose window has opened can move; actions_campaign and events_campaign
            # do not lead with the status, but the plan's tables are small.
            rows = self.conn.execute(
                f"SELECT id, status, {start}, {end} FROM {table} WHERE status IN ('scheduled', 'live')"
                f" AND {start} <= ?", [now]).fetchall()
            for row_id, status, begins, ends in rows:
                target = planner.status_now(status, begins, ends, now)
                if target != status:
                    self.conn.execute(f"UPDATE {table} SET status = ?, updated_at = ? WHERE id = ?",
                                      [target, now, row_id])
                    moved += 1
        return moved

    # -- narratives ------------------------------------------------------------------------

    def save_narrative(self, narrative: Narrative, tz: str = "UTC") -> Narrative:
        """Insert or update a narrative and its tracker links."""
        narrative.validate(tz)
        self._require_campaign(narrative.campaign_id)
        known = {row[0] for row in self.conn.execute("SELECT id FROM trackers WHERE campaign_id = ?",
                                                     [narrative.campaign_id])}
        for tracker_id in narrative.tracker_ids:
            if tracker_id not in known:
                raise ValidationError(f"tracker {tracker_id} is not one of this campaign's trackers")
        if narrative.counters_id is not None:
            self._one("SELECT id FROM narratives WHERE id = ? AND campaign_id = ?",
                      [narrative.counters_id, narrative.campaign_id],
                      f"narrative {narrative.counters_id} in this campaign")
        values = {"campaign_id": narrative.campaign_id, "side": narrative.side, "claim": narrative.claim,
                  "frame": narrative.frame or "", "keywords": json.dumps(narrative.keywords),
                  "first_seen": narrative.first_seen, "risk": narrative.risk, "decision": narrative.decision,
                  "counters_id": narrative.counters_id, "notes": narrative.notes or ""}
        with self.conn:
            if narrative.id is None:
                narrative.id = self._insert("narratives", values)
            else:
                self._narrative_row(narrative.id)
                self._update("narratives", narrative.id, values)
            self.conn.execute("DELETE FROM narrative_trackers WHERE narrative_id = ?", [narrative.id])
            self.conn.executemany("INSERT INTO narrative_trackers (narrative_id, tracker_id) VALUES (?, ?)",
                                  [(narrative.id, t) for t in dict.fromkeys(narrative.tracker_ids)])
        return self.get_narrative(narrative.id)

    def _narrative_row(self, narrative_id: int) -> dict:
        return self._one("SELECT * FROM narratives WHERE id = ?", [narrative_id],
                         f"narrative with id {narrative_id}")

    def get_narrative(self, narrative_id: int) -> Narrative:
        row = self._narrative_row(narrative_id)
        trackers = [r[0] for r in self.conn.execute(
            "SELECT tracker_id FROM narrative_trackers WHERE narrative_id = ? ORDER BY tracker_id", [narrative_id])]
        return Narrative(
            id=row["id"], campaign_id=row["campaign_id"], side=row["side"], claim=row["claim"], frame=row["frame"],
            keywords=json.loads(row["keywords"]), first_seen=row["first_seen"], risk=row["risk"],
            decision=row["decision"], counters_id=row["counters_id"], notes=row["notes"], tracker_ids=trackers)

    def narratives(self, campaign_id: int) -> pd.DataFrame:
        """A campaign's narratives with the trackers that measure them."""
        return self._frame(
            "SELECT n.id, n.side, n.claim, n.frame, n.keywords, n.first_seen, n.risk, n.decision, n.counters_id,"
            " (SELECT group_concat(CASE t.kind WHEN 'hashtag' THEN '#' WHEN 'account' THEN '@' ELSE '' END"
            "  || t.value, ' ') FROM narrative_trackers nt JOIN trackers t ON t.id = nt.tracker_id"
            "  WHERE nt.narrative_id = n.id) AS trackers"
            " FROM narratives n WHERE n.campaign_id = ? ORDER BY n.side DESC, n.id", [campaign_id])

    def narrative_traction(self, narrative_id: int, start: str, end: str) -> pd.DataFrame:
        """Mentions per day carrying the narrative's trackers, from the (tracker_id, created_at) index."""
        return self._frame(
            "SELECT substr(mt.created_at, 1, 10) AS day, count(DISTINCT mt.mention_uid) AS mentions"
            " FROM narrative_trackers nt JOIN mention_trackers mt ON mt.tracker_id = nt.tracker_id"
            " WHERE nt.narrative_id = ? AND mt.created_at >= ? AND mt.created_at < ?"
            " GROUP BY day ORDER BY day", [narrative_id, start, end])

    # -- events ----------------------------------------------------------------------------

    def save_event(self, event: Event) -> Event:
        """Insert or update an event and its needs (needs are replaced to match); status moves are checked."""
        event.validate()
        self._require_campaign(event.campaign_id)
        values = {"campaign_id": event.campaign_id, "title": event.title, "description": event.description or "",
                  "starts_at": event.starts_at, "ends_at": event.ends_at, "timezone": event.timezone,
                  "location": event.location or "", "online_url": event.online_url or "",
                  "capacity": event.capacity, "visibility": event.visibility}
        now = clock.now_iso()
        with self.conn:
            self._advance(now)
            if event.id is None:
                values["status"] = event.status
                event.id = self._insert("events", values)
            else:
                current = self._event_row(event.id)
                if event.status != current["status"]:
                    planner.check_move("an event", f"event {event.id}", current["status"], event.status,
                                       planner.LIFECYCLE_MOVES)
                    values["status"] = event.status
                self._update("events", event.id, values)
            self.conn.execute("DELETE FROM event_needs WHERE event_id = ?", [event.id])
            self.conn.executemany(
                "INSERT INTO event_needs (event_id, item, quantity, pledged, delivered, position)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(event.id, n.item, n.quantity, n.pledged, n.delivered, i) for i, n in enumerate(event.needs)])
            self._advance(now)
        return self.get_event(event.id)

    def _event_row(self, event_id: int) -> dict:
        return self._one("SELECT * FROM events WHERE id = ?", [event_id], f"event with id {event_id}")

    def get_event(self, event_id: int) -> Event:
        """An event with its needs, its status as it is now."""
        return self._event_from_row(self._event_row(event_id), clock.now_iso())

    def _event_from_row(self, row: dict, now: str) -> Event:
        needs = [Need(item, quantity, pledged, delivered, need_id) for need_id, item, quantity, pledged, delivered
                 in self.conn.execute("SELECT id, item, quantity, pledged, delivered FROM event_needs"
                                      " WHERE event_id = ? ORDER BY position, id", [row["id"]])]
        return Event(id=row["id"], campaign_id=row["campaign_id"], title=row["title"],
                     description=row["description"], starts_at=row["starts_at"], ends_at=row["ends_at"],
                     timezone=row["timezone"], location=row["location"], online_url=row["online_url"],
                     capacity=row["capacity"], visibility=row["visibility"],
                     status=planner.status_now(row["status"], row["starts_at"], row["ends_at"], now), needs=needs)

    def campaign_events(self, campaign_id: int) -> list[Event]:
        """A campaign's events in time order, as objects, their status as it is now."""
        now = clock.now_iso()
        return [self._event_from_row(row, now) for row in self._rows(
            "SELECT * FROM events WHERE campaign_id = ? ORDER BY starts_at, id", [campaign_id])]

    def pledge(self, event_id: int, item: str, *, pledged: int = 0, delivered: int = 0) -> Need:
        """Add to what is pledged or delivered for one of an event's needs."""
        row = self._one("SELECT id, item, quantity, pledged, delivered FROM event_needs"
                        " WHERE event_id = ? AND lower(item) = lower(?)", [event_id, item],
                        f"need '{item}' at event {event_id}")
        new_pledged, new_delivered = row["pledged"] + int(pledged), row["delivered"] + int(delivered)
        if new_pledged < 0 or new_delivered < 0:
            raise ValidationError(f"'{row['item']}' cannot go below zero")
        with self.conn:
            self.conn.execute("UPDATE event_needs SET pledged = ?, delivered = ? WHERE id = ?",
                              [new_pledged, new_delivered, row["id"]])
        return Need(row["item"], row["quantity"], new_pledged, new_delivered, row["id"])

    def events(self, campaign_id: int) -> pd.DataFrame:
        """A campaign's events in time order, with attendance counts and their status now."""
        frame = self._frame(
            "SELECT e.id, e.title, e.starts_at, e.ends_at, e.timezone, e.location, e.online_url, e.capacity,"
            " e.visibility, e.status,"
            " (SELECT count(*) FROM assignments a WHERE a.event_id = e.id AND a.status IN ('accepted', 'done'))"
            " AS signed_up,"
            " (SELECT group_concat(item || ': ' || pledged || '/' || quantity, '; ') FROM event_needs n"
            "  WHERE n.event_id = e.id) AS needs"
            " FROM events e WHERE e.campaign_id = ? ORDER BY e.starts_at", [campaign_id])
        return self._shown(frame, "starts_at", "ends_at", clock.now_iso())

    # -- calls to action -------------------------------------------------------------------

    def save_action(self, action: Action) -> Action:
        """Insert or update a call to action with its message variants; status moves are checked."""
        action.validate()
        self._require_campaign(action.campaign_id)
        if action.narrative_id is not None:
            self._one("SELECT id FROM narratives WHERE id = ? AND campaign_id = ?",
                      [action.narrative_id, action.campaign_id], f"narrative {action.narrative_id} in this campaign")
        if action.event_id is not None:
            self._one("SELECT id FROM events WHERE id = ? AND campaign_id = ?",
                      [action.event_id, action.campaign_id], f"event {action.event_id} in this campaign")
        values = {"campaign_id": action.campaign_id, "narrative_id": action.narrative_id,
                  "event_id": action.event_id, "kind": action.kind, "title": action.title,
                  "message": action.message or "", "hashtags": json.dumps(action.hashtags),
                  "channel": action.channel or "", "link": action.link or "", "window_start": action.window_start,
                  "window_end": action.window_end, "timezone": action.timezone, "goal_count": action.goal_count}
        now = clock.now_iso()
        with self.conn:
            # The status a person saw is the status now, so the stored one is brought up to it
            # before a move is checked against it.
            self._advance(now)
            if action.id is None:
                values["status"] = action.status
                action.id = self._insert("actions", values)
            else:
                current = self._action_row(action.id)
                if action.status != current["status"]:
                    planner.check_move("a call to action", f"call to action {action.id}", current["status"],
                                       action.status, planner.LIFECYCLE_MOVES)
                    values["status"] = action.status
                self._update("actions", action.id, values)
            self.conn.execute("DELETE FROM action_variants WHERE action_id = ?", [action.id])
            self.conn.executemany("INSERT INTO action_variants (action_id, position, message) VALUES (?, ?, ?)",
                                  [(action.id, i, v) for i, v in enumerate(action.variants)])
            self._advance(now)
        return self.get_action(action.id)

    def _action_row(self, action_id: int) -> dict:
        return self._one("SELECT * FROM actions WHERE id = ?", [action_id], f"call to action with id {action_id}")

    def get_action(self, action_id: int) -> Action:
        """A call to action with its variants, its status as it is now."""
        return self._action_from_row(self._action_row(action_id), clock.now_iso())

    def _action_from_row(self, row: dict, now: str) -> Action:
        variants = [r[0] for r in self.conn.execute(
            "SELECT message FROM action_variants WHERE action_id = ? ORDER BY position", [row["id"]])]
        return Action(id=row["id"], campaign_id=row["campaign_id"], kind=row["kind"], title=row["title"],
                      window_start=row["window_start"], window_end=row["window_end"], timezone=row["timezone"],
                      message=row["message"], variants=variants, hashtags=json.loads(row["hashtags"]),
                      channel=row["channel"], link=row["link"], goal_count=row["goal_count"],
                      narrative_id=row["narrative_id"], event_id=row["event_id"],
                      status=planner.status_now(row["status"], row["window_start"], row["window_end"], now))

    def campaign_actions(self, campaign_id: int) -> list[Action]:
        """A campaign's calls to action in time order, as objects, their status as it is now."""
        now = clock.now_iso()
        return [self._action_from_row(row, now) for row in self._rows(
            "SELECT * FROM actions WHERE campaign_id = ? ORDER BY window_start, id", [campaign_id])]

    def calendar_entries(self, campaign_ids: Iterable[int]) -> list[Action | Event]:
        """Each campaign's calls to action, then its events, for calendar_feed.campaign_calendar."""
        return [entry for campaign_id in campaign_ids
                for entry in (*self.campaign_actions(campaign_id), *self.campaign_events(campaign_id))]

    def transition(self, table: str, row_id: int, target: str) -> str:
        """Move a call to action ('actions') or an event ('events') to `target`, if the lifecycle allows.

        Returns the status after the move, which the clock may have carried on (scheduled work
        whose window has passed is done).
        """
        kind = LIFECYCLE_NAMES.get(table)
        if kind is None:
            raise ValidationError(f"no lifecycle for '{table}'")
        now = clock.now_iso()
        with self.conn:
            self._advance(now)
            current = self._one(f"SELECT status FROM {table} WHERE id = ?", [row_id],
                                f"{kind} with id {row_id}")["status"]
            planner.check_move(f"a {kind}", f"{kind} {row_id}", current, target, planner.LIFECYCLE_MOVES)
            self._update(table, row_id, {"status": target})
            self._advance(now)
        return self._one(f"SELECT status FROM {table} WHERE id = ?", [row_id], kind)["status"]

    def actions(self, campaign_id: int) -> pd.DataFrame:
        """A campaign's calls to action in time order, with progress against the goal and their status now."""
        frame = self._frame(
            "SELECT a.id, a.kind, a.title, a.status, a.window_start, a.window_end, a.timezone, a.hashtags,"
            " a.channel, a.goal_count, a.narrative_id, a.event_id,"
            " (SELECT count(*) FROM assignments s WHERE s.action_id = a.id) AS assigned,"
            " (SELECT count(*) FROM assignments s WHERE s.action_id = a.id AND s.status = 'done') AS volunteers_done"
            " FROM actions a WHERE a.campaign_id = ? ORDER BY a.window_start, a.id", [campaign_id])
        tags = [json.loads(t) for t in frame["hashtags"]]
        frame["posts"] = [self.posts_with_hashtags(campaign_id, t, start, end) for t, start, end
                          in zip(tags, frame["window_start"], frame["window_end"], strict=True)]
        frame["hashtags"] = [" ".join("#" + t for t in action_tags) for action_tags in tags]
        return self._shown(frame, "window_start", "window_end", clock.now_iso())

    # -- completion from the listening data ------------------------------------------------

    def posts_with_hashtags(self, campaign_id: int, tags: Iterable[str], start: str, end: str) -> int:
        """Distinct posts of a campaign carrying any of `tags` in [start, end).

        Read from mention_hashtags through its (campaign_id, created_at, tag) index.
        """
        tags = [t.lstrip("#").lower() for t in tags]
        if not tags:
            return 0
        return self.conn.execute(
            "SELECT count(DISTINCT mention_uid) FROM mention_hashtags WHERE campaign_id = ? AND created_at >= ?"
            f" AND created_at < ? AND tag IN ({', '.join('?' * len(tags))})",
            [campaign_id, start, end, *tags]).fetchone()[0]

    def action_post_count(self, action_id: int) -> int:
        """Distinct posts carrying any of the action's hashtags inside its window [start, end)."""
        row = self._action_row(action_id)
        return self.posts_with_hashtags(row["campaign_id"], json.loads(row["hashtags"]), row["window_start"],
                                        row["window_end"])

    def action_progress(self, action_id: int) -> dict:
        """Posts counted against the goal, and volunteers done out of those assigned."""
        row = self._action_row(action_id)
        posts = self.action_post_count(action_id)
        assigned, done = self.conn.execute(
            "SELECT count(*), coalesce(sum(status = 'done'), 0) FROM assignments WHERE action_id = ?"
            " AND status != 'declined'", [action_id]).fetchone()
        goal = row["goal_count"]
        return {"posts": posts, "goal": goal, "share": (posts / goal) if goal else None,
                "assigned": assigned, "volunteers_done": done}

    def complete_from_mentions(self, campaign_id: int, *,
                               key_of: Callable[[str], str] | None = None) -> Completion:
        """Mark assignments done where the volunteer's own post with the action's hashtag was collected.

        Only volunteers with consent recorded and a handle on the post's platform are matched; the
        earliest such post inside the window is kept as evidence. `key_of` turns a handle into the
        stored author key when authors are pseudonymised. Safe to call after every stored batch:
        an assignment already done is left as it is.
        """
        result = Completion()
        # Scheduled, live and done together: which of them an action is now does not matter here.
        open_actions = self._rows(
            "SELECT id, hashtags, window_start, window_end FROM actions WHERE campaign_id = ?"
            " AND status IN ('scheduled', 'live', 'done') AND hashtags != '[]'", [campaign_id])
        for action in open_actions:
            result.actions_checked += 1
            tags = [t.lower() for t in json.loads(action["hashtags"])]
            waiting = self.conn.execute(
                "SELECT s.id, h.platform, h.handle FROM assignments s"
                " JOIN volunteers v ON v.id = s.volunteer_id"
                " JOIN volunteer_handles h ON h.volunteer_id = v.id"
                " WHERE s.action_id = ? AND s.status IN ('invited', 'accepted', 'no_show')"
                " AND v.consent_at IS NOT NULL", [action["id"]]).fetchall()
            if not waiting:
                continue
            by_author = planner.authors_waiting(waiting, key_of)
            found = self.conn.execute(
                "SELECT m.platform, lower(m.author_key), min(h.created_at), m.uid FROM mention_hashtags h"
                " JOIN mentions m ON m.uid = h.mention_uid"
                " WHERE h.campaign_id = ? AND h.created_at >= ? AND h.created_at < ?"
                f" AND h.tag IN ({', '.join('?' * len(tags))})"
                f" AND lower(m.author_key) IN ({', '.join('?' * len(by_author))})"
                " GROUP BY m.platform, lower(m.author_key)",
                [campaign_id, action["window_start"], action["window_end"], *tags,
                 *{author for _, author in by_author}]).fetchall()
            done = planner.earliest_evidence(by_author, found)
            with self.conn:
                for assignment_id, (created_at, uid) in done.items():
                    self._update("assignments", assignment_id,
                                 {"status": "done", "done_at": created_at, "evidence_uid": uid})
                    result.assignments_done.append((assignment_id, uid))
        return result

    def complete_all(self, *, key_of: Callable[[str], str] | None = None) -> dict[int, Completion]:
        """complete_from_mentions for every campaign that has calls to action."""
        ids = [r[0] for r in self.conn.execute("SELECT DISTINCT campaign_id FROM actions ORDER BY campaign_id")]
        return {campaign_id: self.complete_from_mentions(campaign_id, key_of=key_of) for campaign_id in ids}

    # -- volunteers and assignments --------------------------------------------------------

    def save_volunteer(self, volunteer: Volunteer) -> Volunteer:
        """Insert or update a volunteer; their handles are replaced to match (and kept only with consent)."""
        volunteer.validate()
        values = {"display_name": volunteer.display_name, "contact": volunteer.contact or "",
                  "timezone": volunteer.timezone, "skills": json.dumps(volunteer.skills),
                  "consent_at": volunteer.consent_at}
        clash = self.conn.execute("SELECT id FROM volunteers WHERE lower(display_name) = lower(?) AND id IS NOT ?",
                                  [volunteer.display_name, volunteer.id]).fetchone()
        if clash:
            raise ValidationError(f"a volunteer named '{volunteer.display_name}' exists already")
        with self.conn:
            if volunteer.id is None:
                volunteer.id = self._insert("volunteers", values)
            else:
                self._volunteer_row(volunteer.id)
                self._update("volunteers", volunteer.id, values)
            self.conn.execute("DELETE FROM volunteer_handles WHERE volunteer_id = ?", [volunteer.id])
            self.conn.executemany("INSERT INTO volunteer_handles (volunteer_id, platform, handle) VALUES (?, ?, ?)",
                                  [(volunteer.id, p, h) for p, h in volunteer.handles.items()])
        return self.get_volunteer(volunteer.id)

    def _volunteer_row(self, volunteer_id: int) -> dict:
        return self._one("SELECT * FROM volunteers WHERE id = ?", [volunteer_id],
                         f"volunteer with id {volunteer_id}")

    def get_volunteer(self, volunteer_id: int) -> Volunteer:
        row = self._volunteer_row(volunteer_id)
        handles = dict(self.conn.execute("SELECT platform, handle FROM volunteer_handles WHERE volunteer_id = ?"
                                         " ORDER BY platform", [volunteer_id]).fetchall())
        return Volunteer(id=row["id"], display_name=row["display_name"], contact=row["contact"],
                         timezone=row["timezone"], skills=json.loads(row["skills"]), consent_at=row["consent_at"],
                         handles=handles)

    def volunteer_named(self, name: str) -> Volunteer | None:
        """The volunteer with this display name (any case), or None."""
        row = self.conn.execute("SELECT id FROM volunteers WHERE lower(display_name) = lower(?)",
                                [str(name)]).fetchone()
        return self.get_volunteer(row[0]) if row else None

    def find_volunteer(self, name_or_id) -> Volunteer:
        """A volunteer by display name (any case) or id."""
        found = self.volunteer_named(name_or_id)
        if found is None and str(name_or_id).isdigit():
            row = self.conn.execute("SELECT id FROM volunteers WHERE id = ?", [int(name_or_id)]).fetchone()
            found = self.get_volunteer(row[0]) if row else None
        if found is None:
            raise ValidationError(f"no volunteer named '{name_or_id}' (see: groundswell volunteer list)")
        return found

    def volunteers(self, campaign_id: int | None = None) -> pd.DataFrame:
        """Volunteers (those with assignments in a campaign, when one is given) and their counts."""
        where, params = "", []
        if campaign_id is not None:
            where = (" WHERE v.id IN (SELECT s.volunteer_id FROM assignments s"
                     " LEFT JOIN actions a ON a.id = s.action_id LEFT JOIN events e ON e.id = s.event_id"
                     " WHERE coalesce(a.campaign_id, e.campaign_id) = ?)")
            params = [campaign_id]
        return self._frame(
            "SELECT v.id, v.display_name, v.timezone, v.skills, v.consent_at IS NOT NULL AS consent,"
            " (SELECT group_concat(platform || ':' || handle, ' ') FROM volunteer_handles h"
            "  WHERE h.volunteer_id = v.id) AS handles,"
            " (SELECT count(*) FROM assignments s WHERE s.volunteer_id = v.id) AS assignments,"
            " (SELECT count(*) FROM assignments s WHERE s.volunteer_id = v.id AND s.status = 'done') AS done"
            f" FROM volunteers v{where} ORDER BY v.display_name", params)

    def assign(self, volunteer_id: int, *, action_id: int | None = None, event_id: int | None = None,
               role: str = "", status: str = "invited") -> Assignment:
        """Put a volunteer on a call to action or an event role."""
        planner.check_new_assignment(action_id, event_id, status)
        self._volunteer_row(volunteer_id)
        if action_id is not None:
            self._action_row(action_id)
        else:
            self._event_row(event_id)
        if event_id is not None and status == "accepted":
            self._check_capacity(event_id)
        try:
            with self.conn:
                assignment_id = self._insert("assignments", {
                    "volunteer_id": volunteer_id, "action_id": action_id, "event_id": event_id,
                    "role": role or "", "status": status})
        except sqlite3.IntegrityError:
            raise ValidationError("this volunteer already has that assignment") from None
        return self.get_assignment(assignment_id)

    def _check_capacity(self, event_id: int) -> None:
        capacity = self._event_row(event_id)["capacity"]
        taken = self.conn.execute("SELECT count(*) FROM assignments WHERE event_id = ?"
                                  " AND status IN ('accepted', 'done')", [event_id]).fetchone()[0]
        planner.check_capacity(event_id, taken, capacity)

    def get_assignment(self, assignment_id: int) -> Assignment:
        row = self._one("SELECT * FROM assignments WHERE id = ?", [assignment_id],
                        f"assignment with id {assignment_id}")
        return Assignment(id=row["id"], volunteer_id=row["volunteer_id"], action_id=row["action_id"],
                          event_id=row["event_id"], role=row["role"], status=row["status"], done_at=row["done_at"],
                          evidence_uid=row["evidence_uid"])

    def set_assignment_status(self, assignment_id: int, status: str, *, evidence_uid: str | None = None,
                              at: str | None = None) -> Assignment:
        """Move an assignment (invited -> accepted / declined -> done / no_show), checking the rules."""
        current = self.get_assignment(assignment_id)
        planner.check_move("an assignment", f"assignment {assignment_id}", current.status, status,
                           planner.ASSIGNMENT_MOVES)
        if current.event_id is not None and status == "accepted":
            self._check_capacity(current.event_id)
        values: dict = {"status": status}
        if status == "done":
            values["done_at"] = planner.instant(at) if at else clock.now_iso()
            if evidence_uid:
                self._require_post(evidence_uid)
                values["evidence_uid"] = evidence_uid
        with self.conn:
            self._update("assignments", assignment_id, values)
        return self.get_assignment(assignment_id)

    def assignments(self, campaign_id: int | None = None, *, volunteer_id: int | None = None) -> pd.DataFrame:
        """Assignments with what they are for and when; filter by campaign and/or volunteer."""
        clauses, params = [], []
        if campaign_id is not None:
            clauses.append("coalesce(a.campaign_id, e.campaign_id) = ?")
            params.append(campaign_id)
        if volunteer_id is not None:
            clauses.append("s.volunteer_id = ?")
            params.append(volunteer_id)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        return self._frame(
            "SELECT s.id, v.display_name AS volunteer, s.volunteer_id,"
            " CASE WHEN s.action_id IS NOT NULL THEN 'action' ELSE 'event' END AS kind,"
            " coalesce(s.action_id, s.event_id) AS subject_id, coalesce(a.title, e.title) AS title, s.role,"
            " s.status, coalesce(a.window_start, e.starts_at) AS starts_at,"
            " coalesce(a.window_end, e.ends_at) AS ends_at, s.done_at, s.evidence_uid"
            " FROM assignments s JOIN volunteers v ON v.id = s.volunteer_id"
            " LEFT JOIN actions a ON a.id = s.action_id LEFT JOIN events e ON e.id = s.event_id"
            f"{where} ORDER BY starts_at, s.id", params)

    def volunteer_agenda(self, volunteer_id: int) -> list[dict]:
        """Everything assigned to one volunteer (declined and cancelled left out), in time order and in
        their time zone (see planner.agenda_item)."""
        volunteer = self.get_volunteer(volunteer_id)
        items = []
        for row in self._rows("SELECT id, action_id, event_id, role, status, done_at, evidence_uid FROM assignments"
                              " WHERE volunteer_id = ? AND status != 'declined'", [volunteer_id]):
            subject = (self.get_action(row["action_id"]) if row["action_id"] is not None
                       else self.get_event(row["event_id"]))
            item = planner.agenda_item(row, subject, volunteer)
            if item is not None:
                items.append(item)
        return sorted(items, key=lambda i: (i["starts_at"], i["assignment_id"]))

    # -- demands ---------------------------------------------------------------------------

    def save_demand(self, demand: Demand, tz: str = "UTC", *, raised_at=None) -> Demand:
        """Insert a demand (its first update, dated `raised_at` or now, records its status) or edit
        its text, decision maker and dates.

        Status changes go through add_demand_update, so each one is dated and sourced.
        """
        demand.validate(tz)
        self._require_campaign(demand.campaign_id)
        values = {"campaign_id": demand.campaign_id, "text": demand.text,
                  "decision_maker": demand.decision_maker or "", "due_at": demand.due_at,
                  "review_on": demand.review_on}
        with self.conn:
            if demand.id is None:
                values["status"] = demand.status
                demand.id = self._insert("demands", values)
                self.conn.execute("INSERT INTO demand_updates (demand_id, at, status, note) VALUES (?, ?, ?, ?)",
                                  [demand.id, planner.instant(raised_at, tz) if raised_at else clock.now_iso(),
                                   demand.status, "recorded"])
            else:
                current = self._demand_row(demand.id)
                if demand.status != current["status"]:
                    raise ValidationError("change a demand's status with a dated update (groundswell demand update)")
                self._update("demands", demand.id, values)
        return self.get_demand(demand.id)

    def _demand_row(self, demand_id: int) -> dict:
        return self._one("SELECT * FROM demands WHERE id = ?", [demand_id], f"demand with id {demand_id}")

    def get_demand(self, demand_id: int) -> Demand:
        row = self._demand_row(demand_id)
        return Demand(id=row["id"], campaign_id=row["campaign_id"], text=row["text"],
                      decision_maker=row["decision_maker"], status=row["status"], due_at=row["due_at"],
                      review_on=row["review_on"])

    def add_demand_update(self, demand_id: int, *, status: str | None = None, note: str = "",
                          source_url: str = "", evidence_uid: str | None = None, at=None, tz: str = "UTC") -> dict:
        """A dated update on a demand: a status move (checked), a note, a source link or a collected post."""
        current = self._demand_row(demand_id)
        target = status or current["status"]
        planner.check_demand_update(demand_id, current["status"], target, note=note, source_url=source_url,
                                    evidence_uid=evidence_uid)
        if evidence_uid:
            self._require_post(evidence_uid)
        when = planner.instant(at, parse_timezone(tz)) if at else clock.now_iso()
        with self.conn:
            self.conn.execute("INSERT INTO demand_updates (demand_id, at, status, note, source_url, evidence_uid)"
                              " VALUES (?, ?, ?, ?, ?, ?)",
                              [demand_id, when, target, note or "", source_url or "", evidence_uid])
            # The newest update decides, even one dated in the past: it is checked against the
            # status it moves from.
            self._update("demands", demand_id, {"status": target})
        return {"demand_id": demand_id, "at": when, "status": target, "note": note, "source_url": source_url,
                "evidence_uid": evidence_uid}

    def demands(self, campaign_id: int) -> pd.DataFrame:
        """The ledger of a campaign's demands with their latest update."""
        return self._frame(
            "SELECT d.id, d.text, d.decision_maker, d.status, d.due_at, d.review_on,"
            " (SELECT max(at) FROM demand_updates u WHERE u.demand_id = d.id) AS last_update,"
            " (SELECT count(*) FROM demand_updates u WHERE u.demand_id = d.id) AS updates"
            " FROM demands d WHERE d.campaign_id = ? ORDER BY d.id", [campaign_id])

    def demand_updates(self, demand_id: int) -> pd.DataFrame:
        return self._frame("SELECT at, status, note, source_url, evidence_uid FROM demand_updates"
                           " WHERE demand_id = ? ORDER BY at, id", [demand_id])

    # -- timeline and chart markers --------------------------------------------------------

    def timeline(self, campaign_id: int) -> pd.DataFrame:
        """Calls to action and events as bars (start, end, title, kind, status now) for a calendar view."""
        frame = self._frame(
            "SELECT 'action' AS kind, id, title, status, window_start AS start, window_end AS end, timezone"
            " FROM actions WHERE campaign_id = ?"
            " UNION ALL SELECT 'event', id, title, status, starts_at, ends_at, timezone FROM events"
            " WHERE campaign_id = ? ORDER BY start", [campaign_id, campaign_id])
        return self._shown(frame, "start", "end", clock.now_iso())

    def markers(self, campaign_id: int, start: str | datetime, end: str | datetime) -> pd.DataFrame:
        """Chart markers in [start, end): calls to action and events when they start, opposing
        narratives when first seen. Columns at (UTC), label, kind; cancelled work is left out."""
        start, end = _instant(start), _instant(end)
        frame = self._frame(
            "SELECT window_start AS at, title AS label, 'action' AS kind FROM actions"
            " WHERE campaign_id = ? AND status != 'cancelled' AND window_start >= ? AND window_start < ?"
            " UNION ALL SELECT starts_at, title, 'event' FROM events"
            " WHERE campaign_id = ? AND status != 'cancelled' AND starts_at >= ? AND starts_at < ?"
            " UNION ALL SELECT first_seen, claim, 'opposing' FROM narratives"
            " WHERE campaign_id = ? AND side = 'opposing' AND first_seen >= ? AND first_seen < ?"
            " ORDER BY at", [campaign_id, start, end] * 3)
        frame["at"] = pd.to_datetime(frame["at"], utc=True)
        return frame

    # -- the demo's plan -------------------------------------------------------------------

    def clear(self, campaign_id: int) -> None:
        """Delete a campaign's plan (variants, needs, assignments and updates cascade); volunteers stay."""
        with self.conn:
            for table in ("actions", "events", "demands", "narratives"):
                self.conn.execute(f"DELETE FROM {table} WHERE campaign_id = ?", [campaign_id])

    def top_posting_authors(self, campaign_id: int, windows: list[tuple[str, str, str]], count: int,
                            *, skip_platforms: tuple[str, ...] = ()) -> list[tuple[str, str]]:
        """The (platform, author) pairs of original posts carrying each (tag, start, end) window's tag
        in it most often, each author once, the most active first."""
        if not windows:
            return []
        parts, params = [], []
        for tag, start, end in windows:
            parts.append("(h.tag = ? AND h.created_at >= ? AND h.created_at < ?)")
            params += [tag.lower(), start, end]
        skip = f" AND m.platform NOT IN ({', '.join('?' * len(skip_platforms))})" if skip_platforms else ""
        rows = self.conn.execute(
            "SELECT m.platform, m.author_key, count(*) AS posts FROM mention_hashtags h"
            " JOIN mentions m ON m.uid = h.mention_uid"
            f" WHERE h.campaign_id = ? AND m.is_repost = 0{skip} AND ({' OR '.join(parts)})"
            " GROUP BY m.platform, m.author_key ORDER BY posts DESC, m.author_key, m.platform LIMIT ?",
            [campaign_id, *skip_platforms, *params, count * 3]).fetchall()
        chosen, seen = [], set()
        for platform, author, _ in rows:
            if author not in seen:
                chosen.append((platform, author))
                seen.add(author)
        return chosen[:count]

    def first_post_since(self, campaign_id: int, at: str, side: str = "ours") -> str | None:
        """The uid of a campaign's first post on `side` at or after `at`, or None."""
        row = self.conn.execute("SELECT mention_uid FROM mention_matches WHERE campaign_id = ? AND side = ?"
                                " AND created_at >= ? ORDER BY created_at, mention_uid LIMIT 1",
                                [campaign_id, side, at]).fetchone()
        return row[0] if row else None
