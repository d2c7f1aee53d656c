"""Alerts, their rules and destinations, and the outbox: each episode stored once, each message sent once."""

from __future__ import annotations

import json

from campaigns.alert_settings import ALERT_KINDS, DEFAULTS, AlertSettings, Destination, Rules
from campaigns.clock import now_iso
from campaigns.errors import ValidationError

ALERT_COLUMNS = ("id", "campaign_id", "kind", "at", "detail", "acknowledged_at", "acknowledged_by", "episode",
                 "figures", "page", "raised_at")
OUTBOX_COLUMNS = ("id", "campaign_id", "destination", "message_key", "alert_id", "volunteer_id", "assignment_id",
                  "kind", "urgent", "mode", "status", "due_at", "attempts", "claimed_at", "sent_at", "last_error",
                  "title", "body", "created_at")


def _rows(cursor, names) -> list[dict]:
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _alert(row: dict) -> dict:
    row["figures"] = json.loads(row["figures"]) if row.get("figures") else {}
    return row


class Alerts:
    """Verbs on alerts, alert_rules, alert_destinations, outbox and outbox_attempts (`store.alerts`)."""

    def __init__(self, store):
        self.store = store

    @property
    def conn(self):
        return self.store.conn

    # -- settings ---------------------------------------------------------------------------

    def settings(self, campaign_id: int) -> AlertSettings | None:
        """A campaign's thresholds and destinations; None when it has neither."""
        rules = self.rules(campaign_id)
        destinations = tuple(self.destinations(campaign_id))
        if rules.is_default() and not destinations:
            return None
        return AlertSettings(rules, destinations)

    def rules(self, campaign_id: int) -> Rules:
        if not self.store.table_exists("alert_rules"):
            return Rules()
        row = self.conn.execute(f"SELECT {', '.join(DEFAULTS)} FROM alert_rules WHERE campaign_id = ?",
                                [campaign_id]).fetchone()
        return Rules(*row) if row else Rules()

    def destinations(self, campaign_id: int) -> list[Destination]:
        if not self.store.table_exists("alert_destinations"):
            return []
        return [Destination(name=name, url=url, kinds=tuple(json.loads(kinds)), urgent=tuple(json.loads(urgent)),
                            quiet_hours=(quiet_start, quiet_end) if quiet_start else None, timezone=timezone,
                            digest=digest, digest_at=digest_at, created_at=created_at)
                for name, url, kinds, urgent, quiet_start, quiet_end, timezone, digest, digest_at, created_at
                in self.conn.execute(
                    "SELECT name, url, kinds, urgent, quiet_start, quiet_end, timezone, digest, digest_at, created_at"
                    " FROM alert_destinations WHERE campaign_id = ? ORDER BY position, id", [campaign_id])]

    def destination(self, campaign_id: int, name: str) -> Destination:
        for found in self.destinations(campaign_id):
            if found.name == name:
                return found
        raise ValidationError(f"no destination '{name}' (see: groundswell alerts destination list)")

    def save_settings(self, campaign_id: int, settings: AlertSettings) -> None:
        """Replace a campaign's thresholds and destinations (a destination kept by name keeps its
        creation time, so alerts raised since it was added still go to it)."""
        with self.conn:
            self._save_rules(campaign_id, settings.rules)
            kept = {d.name: d.created_at for d in self.destinations(campaign_id)}
            self.conn.execute("DELETE FROM alert_destinations WHERE campaign_id = ?", [campaign_id])
            for position, destination in enumerate(settings.destinations):
                self._insert_destination(campaign_id, destination, position, kept.get(destination.name))

    def save_rules(self, campaign_id: int, rules: Rules) -> None:
        with self.conn:
            self._save_rules(campaign_id, rules.validate())

    def _save_rules(self, campaign_id: int, rules: Rules) -> None:
        values = [getattr(rules, name) for name in DEFAULTS]
        self.conn.execute(
            f"INSERT INTO alert_rules (campaign_id, {', '.join(DEFAULTS)}, updated_at)"
            f" VALUES (?, {', '.join('?' * len(DEFAULTS))}, ?) ON CONFLICT(campaign_id) DO UPDATE SET "
            + ", ".join(f"{name} = excluded.{name}" for name in DEFAULTS) + ", updated_at = excluded.updated_at",
            [campaign_id, *values, now_iso()])

    def add_destination(self, campaign_id: int, destination: Destination, *, replace: bool = False) -> Destination:
        destination = destination.validate()
        existing = {d.name: d for d in self.destinations(campaign_id)}
        if destination.name in existing and not replace:
            raise ValidationError(f"destination '{destination.name}' exists; change it with --replace")
        with self.conn:
            if destination.name in existing:
                position = self.conn.execute(
                    "SELECT position FROM alert_destinations WHERE campaign_id = ? AND name = ?",
                    [campaign_id, destination.name]).fetchone()[0]
                self.conn.execute("DELETE FROM alert_destinations WHERE campaign_id = ? AND name = ?",
                                  [campaign_id, destination.name])
            else:
                position = len(existing)
            self._insert_destination(campaign_id, destination, position,
                                     existing[destination.name].created_at if destination.name in existing else None)
        return self.destination(campaign_id, destination.name)

    def _insert_destination(self, campaign_id: int, d: Destination, position: int, created_at: str | None) -> None:
        now = now_iso()
        self.conn.execute(
            "INSERT INTO alert_destinations (campaign_id, name, url, kinds, urgent, quiet_start, quiet_end, timezone,"
            " digest, digest_at, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [campaign_id, d.name, d.url, json.dumps(list(d.kinds)), json.dumps(list(d.urgent)),
             d.quiet_hours[0] if d.quiet_hours else None, d.quiet_hours[1] if d.quiet_hours else None,
             d.timezone, d.digest, d.digest_at, position, created_at or now, now])

    def remove_destination(self, campaign_id: int, name: str) -> None:
        self.destination(campaign_id, name)
        with self.conn:
            self.conn.execute("DELETE FROM alert_destinations WHERE campaign_id = ? AND name = ?", [campaign_id, name])

    # -- alerts -----------------------------------------------------------------------------

    def raise_alert(self, campaign_id: int, kind: str, *, episode: str, at: str, detail: str,
                    figures: dict | None = None, page: str = "") -> tuple[int, bool]:
        """Store an episode once: (id, True) the first time, (id, False) when it was stored already,
        whose figures are brought up to date (a spike that keeps growing keeps one row)."""
        if kind not in ALERT_KINDS:
            raise ValidationError(f"unknown alert kind '{kind}'")
        figures_text = json.dumps(figures or {}, sort_keys=True)
        with self.conn:
            cursor = self.conn.execute(
                "INSERT INTO alerts (campaign_id, kind, at, detail, episode, figures, page, raised_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (campaign_id, kind, episode) WHERE episode IS NOT NULL"
                " DO NOTHING", [campaign_id, kind, at, detail, episode, figures_text, page, now_iso()])
            if cursor.rowcount:
                return cursor.lastrowid, True
            self.conn.execute(
                "UPDATE alerts SET detail = ?, figures = ? WHERE campaign_id = ? AND kind = ? AND episode = ?",
                [detail, figures_text, campaign_id, kind, episode])
            found = self.conn.execute("SELECT id FROM alerts WHERE campaign_id = ? AND kind = ? AND episode = ?",
                                      [campaign_id, kind, episode]).fetchone()
        return found[0], False

    def alert(self, alert_id: int) -> dict:
        rows = _rows(self.conn.execute(f"SELECT {', '.join(ALERT_COLUMNS)} FROM alerts WHERE id = ?", [alert_id]),
                     ALERT_COLUMNS)
        if not rows:
            raise ValidationError(f"no alert with id {alert_id} (see: groundswell alerts list)")
        return _alert(rows[0])

    def list(self, campaign_id: int | None = None, *, open_only: bool = False, since: str | None = None,
             limit: int = 100) -> list[dict]:
        """Alerts newest first (by when they began)."""
        clauses, params = [], []
        if campaign_id is not None:
            clauses.append("campaign_id = ?")
            params.append(campaign_id)
        if open_only:
            clauses.append("acknowledged_at IS NULL")
        if since:
            clauses.append("coalesce(raised_at, at) >= ?")
            params.append(since)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return [_alert(row) for row in _rows(self.conn.execute(
            f"SELECT {', '.join(ALERT_COLUMNS)} FROM alerts{where} ORDER BY at DESC, id DESC LIMIT ?",
            [*params, limit]), ALERT_COLUMNS)]

    def acknowledge(self, alert_id: int, who: str) -> tuple[dict, bool]:
        """Mark an alert seen by `who`, now: (alert, True), or (alert, False) when it was already."""
        who = (who or "").strip()
        if not who:
            raise ValidationError("say who acknowledges the alert")
        with self.conn:
            changed = self.conn.execute(
                "UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ? AND acknowledged_at IS NULL",
                [now_iso(), who[:200], alert_id]).rowcount
        return self.alert(alert_id), bool(changed)

    def author_keys_among(self, campaign_id: int, tokens: set[str]) -> set[str]:
        """Which of these words are authors stored for the campaign (handles or pseudonyms)."""
        found: set[str] = set()
        listed = sorted(t for t in tokens if t)
        for first in range(0, len(listed), 500):
            chunk = listed[first:first + 500]
            found.update(row[0] for row in self.conn.execute(
                f"SELECT DISTINCT author_key FROM mention_matches INDEXED BY mention_matches_authors"
                f" WHERE campaign_id = ? AND author_key IN ({', '.join('?' * len(chunk))})", [campaign_id, *chunk]))
        return found

    # -- what the source-failing rule reads ---------------------------------------------------

    def recent_runs(self, collector: str, campaign_id: int, limit: int) -> list[dict]:
        """A source's last runs for a campaign, newest first; runs still going, and runs a stop cut
        short (they say nothing of the source's health), left out."""
        names = ("id", "started_at", "finished_at", "status", "error")
        return _rows(self.conn.execute(
            "SELECT id, started_at, finished_at, status, error FROM collection_runs"
            " WHERE collector = ? AND campaign_id = ? AND status NOT IN ('running', 'stopped') ORDER BY started_at DESC, id DESC"
            " LIMIT ?", [collector, campaign_id, limit]), names)

    def last_started(self, campaign_id: int) -> dict[str, str]:
        """When each source last started a run for a campaign."""
        return dict(self.conn.execute(
            "SELECT collector, max(started_at) FROM collection_runs WHERE campaign_id = ? GROUP BY collector",
            [campaign_id]).fetchall())

    # -- the outbox --------------------------------------------------------------------------

    def stamp_unseen(self) -> int:
        """Give alerts written without a raised time (by another writer, such as the safety desk)
        the time the outbox first sees them, so destinations added before then receive them."""
        with self.conn:
            return self.conn.execute("UPDATE alerts SET raised_at = ? WHERE raised_at IS NULL", [now_iso()]).rowcount

    def alerts_without_message(self, campaign_id: int, destination: str, since: str) -> list[dict]:
        """Open alerts raised since `since` that have no outbox row for this destination yet."""
        return [_alert(row) for row in _rows(self.conn.execute(
            f"SELECT {', '.join('a.' + c for c in ALERT_COLUMNS)} FROM alerts a WHERE a.campaign_id = ?"
            " AND a.acknowledged_at IS NULL AND coalesce(a.raised_at, a.at) >= ? AND NOT EXISTS"
            " (SELECT 1 FROM outbox o WHERE o.campaign_id = a.campaign_id AND o.destination = ?"
            " AND o.message_key = 'alert:' || a.id) ORDER BY a.at, a.id", [campaign_id, since, destination]),
            ALERT_COLUMNS)]

    def enqueue(self, *, campaign_id: int, destination: str, message_key: str, kind: str, title: str, body: str,
                due_at: str, mode: str = "single", urgent: bool = False, alert_id: int | None = None,
                volunteer_id: int | None = None, assignment_id: int | None = None,
                status: str = "pending", note: str | None = None) -> bool:
        """Add a message for a destination once; False when that (message, destination) is there already."""
        with self.conn:
            cursor = self.conn.execute(
                "INSERT INTO outbox (campaign_id, destination, message_key, alert_id, volunteer_id, assignment_id,"
                " kind, urgent, mode, status, due_at, title, body, last_error, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (campaign_id, destination, message_key) DO NOTHING",
                [campaign_id, destination, message_key, alert_id, volunteer_id, assignment_id, kind, int(urgent),
                 mode, status, due_at, title, body, note, now_iso()])
        return bool(cursor.rowcount)

    def has_message(self, campaign_id: int, destination: str, message_key: str) -> dict | None:
        rows = _rows(self.conn.execute(
            f"SELECT {', '.join(OUTBOX_COLUMNS)} FROM outbox WHERE campaign_id = ? AND destination = ?"
            " AND message_key = ?", [campaign_id, destination, message_key]), OUTBOX_COLUMNS)
        return rows[0] if rows else None

    def due(self, now: str) -> list[dict]:
        """Pending messages whose time has come, oldest first."""
        return _rows(self.conn.execute(
            f"SELECT {', '.join(OUTBOX_COLUMNS)} FROM outbox INDEXED BY outbox_due WHERE status = 'pending'"
            " AND due_at <= ? ORDER BY due_at, id", [now]), OUTBOX_COLUMNS)

    def claim(self, ids: list[int]) -> list[dict]:
        """Take pending messages for sending, in one transaction: a message another process claimed
        first is not returned, and one whose alert was acknowledged meanwhile is skipped."""
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        now = now_iso()
        with self.conn:
            self.conn.execute(
                f"UPDATE outbox SET status = 'skipped', last_error = 'acknowledged before it was sent'"
                f" WHERE id IN ({marks}) AND status = 'pending' AND alert_id IN"
                " (SELECT id FROM alerts WHERE acknowledged_at IS NOT NULL)", ids)
            claimed = self.conn.execute(
                f"UPDATE outbox SET status = 'sending', claimed_at = ?, attempts = attempts + 1"
                f" WHERE id IN ({marks}) AND status = 'pending' RETURNING id", [now, *ids]).fetchall()
            taken = [row[0] for row in claimed]
        if not taken:
            return []
        return _rows(self.conn.execute(
            f"SELECT {', '.join(OUTBOX_COLUMNS)} FROM outbox WHERE id IN ({', '.join('?' * len(taken))})"
            " ORDER BY due_at, id", taken), OUTBOX_COLUMNS)

    def record_attempt(self, ids: list[int], *, ok: bool, error: str | None, status: str,
                       retry_at: str | None = None) -> None:
        """The attempt's result and the messages' new state, in one transaction."""
        now = now_iso()
        marks = ", ".join("?" * len(ids))
        with self.conn:
            self.conn.executemany("INSERT INTO outbox_attempts (outbox_id, at, ok, error) VALUES (?, ?, ?, ?)",
                                  [(i, now, int(ok), error) for i in ids])
            self.conn.execute(
                f"UPDATE outbox SET status = ?, sent_at = CASE WHEN ? THEN ? ELSE sent_at END, last_error = ?,"
                f" due_at = coalesce(?, due_at) WHERE id IN ({marks}) AND status = 'sending'",
                [status, int(ok), now, error, retry_at, *ids])

    def abandon_stale_claims(self, claimed_before: str) -> int:
        """Messages claimed by a process that stopped before recording the result: they may have
        gone out, so they are marked unconfirmed and never sent again by themselves."""
        with self.conn:
            return self.conn.execute(
                "UPDATE outbox SET status = 'unconfirmed', last_error = 'the sending process stopped before it"
                " recorded the result; it may have been delivered (groundswell alerts resend ID sends it again)'"
                " WHERE status = 'sending' AND claimed_at < ?", [claimed_before]).rowcount

    def requeue(self, outbox_id: int) -> dict:
        """Send a failed, unconfirmed or skipped message again: a person's decision, never automatic."""
        with self.conn:
            changed = self.conn.execute(
                "UPDATE outbox SET status = 'pending', due_at = ?, attempts = 0 WHERE id = ?"
                " AND status IN ('failed', 'unconfirmed', 'skipped')", [now_iso(), outbox_id]).rowcount
        row = self.message(outbox_id)
        if not changed:
            raise ValidationError(f"message {outbox_id} is {row['status']}; only a failed, unconfirmed or skipped "
                                  "one is sent again")
        return row

    def message(self, outbox_id: int) -> dict:
        rows = _rows(self.conn.execute(f"SELECT {', '.join(OUTBOX_COLUMNS)} FROM outbox WHERE id = ?", [outbox_id]),
                     OUTBOX_COLUMNS)
        if not rows:
            raise ValidationError(f"no message with id {outbox_id} (see: groundswell alerts outbox)")
        return rows[0]

    def messages(self, *, status: str | None = None, campaign_id: int | None = None, limit: int = 50) -> list[dict]:
        clauses, params = [], []
        if status:
            clauses.append("status = ?")
            params.append(status)
        if campaign_id is not None:
            clauses.append("campaign_id = ?")
            params.append(campaign_id)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return _rows(self.conn.execute(f"SELECT {', '.join(OUTBOX_COLUMNS)} FROM outbox{where}"
                                       " ORDER BY created_at DESC, id DESC LIMIT ?", [*params, limit]), OUTBOX_COLUMNS)

    def attempts(self, outbox_id: int) -> list[dict]:
        return _rows(self.conn.execute("SELECT at, ok, error FROM outbox_attempts WHERE outbox_id = ? ORDER BY at, id",
                                       [outbox_id]), ("at", "ok", "error"))
