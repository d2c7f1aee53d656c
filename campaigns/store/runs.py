"""Collection runs, cursors and source state: what each source did, spent and cached, and where it resumes."""

from __future__ import annotations

from datetime import timedelta

from campaigns import clock
from campaigns.clock import now_iso
from campaigns.model import iso_utc
from campaigns.privacy import ProfileKeys


def _this_month() -> str:
    return clock.now().strftime("%Y-%m")


class RunVerbs:
    """Verbs on collection_runs, cursors, source_usage, source_state and author_profiles (mixed into Store)."""

    def start_run(self, collector: str, campaign_id: int | None = None) -> int:
        with self.conn:
            cursor = self.conn.execute(
                "INSERT INTO collection_runs (collector, campaign_id, started_at) VALUES (?, ?, ?)",
                [collector, campaign_id, now_iso()],
            )
        return cursor.lastrowid

    def finish_run(self, run_id: int, *, status: str, fetched: int = 0, new: int = 0, updated: int = 0,
                   error: str | None = None, cost_units: int = 0, quarantined: int = 0) -> None:
        with self.conn:
            self.conn.execute(
                "UPDATE collection_runs SET finished_at = ?, status = ?, fetched = ?, new = ?, "
                "updated = ?, error = ?, cost_units = ?, quarantined = ? WHERE id = ?",
                [now_iso(), status, fetched, new, updated, error, cost_units, quarantined, run_id],
            )

    def cursor(self, collector: str, scope: str) -> dict | None:
        """Where the last run of `collector` for `scope` (a tracker, query or feed) stopped."""
        row = self.conn.execute(
            "SELECT since_id, cursor, last_seen_at FROM cursors WHERE collector = ? AND scope = ?",
            [collector, scope],
        ).fetchone()
        return None if row is None else {"since_id": row[0], "cursor": row[1], "last_seen_at": row[2]}

    def save_cursor(self, collector: str, scope: str, values: dict) -> None:
        with self.conn:
            self._save_cursor(collector, scope, values)

    def _save_cursor(self, collector: str, scope: str, values: dict, conn=None) -> None:
        (conn or self.conn).execute(
            "INSERT INTO cursors (collector, scope, since_id, cursor, last_seen_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(collector, scope) DO UPDATE SET "
            "since_id = excluded.since_id, cursor = excluded.cursor, "
            "last_seen_at = excluded.last_seen_at, updated_at = excluded.updated_at",
            [collector, scope, values.get("since_id"), values.get("cursor"), values.get("last_seen_at"),
             now_iso()],
        )

    def source_usage(self, collector: str, month: str | None = None) -> int:
        """Units `collector` used in a month (default this one)."""
        row = self.conn.execute(
            "SELECT units FROM source_usage WHERE collector = ? AND month = ?", [collector, month or _this_month()]
        ).fetchone()
        return row[0] if row else 0


    def add_source_usage(self, collector: str, units: int, month: str | None = None) -> None:
        if units <= 0:
            return
        with self.conn:
            self.conn.execute(
                "INSERT INTO source_usage (collector, month, units, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(collector, month) DO UPDATE SET units = units + excluded.units, "
                "updated_at = excluded.updated_at",
                [collector, month or _this_month(), units, now_iso()],
            )


    def set_source_state(self, collector: str, *, rate_limited_until: str | None = None,
                  note: str | None = None) -> None:
        """Record what a source last reported about itself (None clears it)."""
        with self.conn:
            self.conn.execute(
                "INSERT INTO source_state (collector, rate_limited_until, note, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(collector) DO UPDATE SET rate_limited_until = excluded.rate_limited_until, "
                "note = excluded.note, updated_at = excluded.updated_at",
                [collector, rate_limited_until, note, now_iso()],
            )


    def set_source_waiting(self, collector: str, *, until: str | None, reason: str | None) -> None:
        """Record that a source waits until `until` and why (a rate limit, a backoff); None clears it."""
        with self.conn:
            self.conn.execute(
                "INSERT INTO source_state (collector, waiting_until, waiting_reason, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(collector) DO UPDATE SET "
                "waiting_until = excluded.waiting_until, waiting_reason = excluded.waiting_reason, "
                "updated_at = excluded.updated_at",
                [collector, until, reason, now_iso()],
            )

    def source_states(self) -> dict[str, dict]:
        names = ("rate_limited_until", "note", "updated_at", "waiting_until", "waiting_reason")
        return {
            row[0]: dict(zip(names, row[1:], strict=True))
            for row in self.conn.execute(
                "SELECT collector, rate_limited_until, note, updated_at, waiting_until, waiting_reason "
                "FROM source_state")
        }

    def quarantine(self, source: str, records: list[dict], *, run_id: int | None = None) -> None:
        """Keep records that could not be mapped, with where they were and why.

        Each record is one row however often it is seen (by source and digest); seeing it
        again counts it and moves its last sighting.
        """
        if not records:
            return
        now = now_iso()
        with self.conn:
            self.conn.executemany(
                "INSERT INTO quarantine (source, run_id, location, field, value, reason, digest, first_seen_at,"
                " last_seen_at, times) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)"
                " ON CONFLICT(source, digest) DO UPDATE SET run_id = excluded.run_id,"
                " location = excluded.location, reason = excluded.reason, last_seen_at = excluded.last_seen_at,"
                " times = times + 1",
                [(source, run_id, r["location"], r.get("field"), r.get("value"), r["reason"], r["digest"], now, now)
                 for r in records],
            )

    def quarantined(self, limit: int = 20) -> tuple[int, list[dict]]:
        """How many records are in quarantine, and the latest `limit` of them."""
        total = self.conn.execute("SELECT count(*) FROM quarantine").fetchone()[0]
        names = ("source", "run_id", "location", "field", "value", "reason", "last_seen_at", "times")
        rows = self.conn.execute(
            f"SELECT {', '.join(names)} FROM quarantine ORDER BY last_seen_at DESC, id DESC LIMIT ?", [limit]
        ).fetchall()
        return total, [dict(zip(names, row, strict=True)) for row in rows]


    def cached_followers(self, platform: str, author_ids: list[str], max_age: timedelta = timedelta(days=1),
                         keys: ProfileKeys | None = None) -> dict[str, int | None]:
        """Follower counts fetched within `max_age`, by author id; authors not here need a lookup.

        `keys` (privacy.profile_keys) says how ids are stored: sealed when pseudonyms are on."""
        if not author_ids:
            return {}
        stored = {keys.author_id(a) if keys else a: a for a in author_ids}
        oldest = iso_utc(clock.now() - max_age)
        found: dict[str, int | None] = {}
        wanted = list(stored)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            for author_id, followers in self.conn.execute(
                f"SELECT author_id, followers FROM author_profiles WHERE platform = ? AND fetched_at >= ? "
                f"AND author_id IN ({marks})", [platform, oldest, *chunk],
            ):
                found[stored[author_id]] = followers
        return found


    def save_followers(self, platform: str, profiles: dict[str, tuple[str | None, int | None]],
                       keys: ProfileKeys | None = None) -> None:
        """Cache (handle, followers) by author id, stored as `keys` says (privacy.profile_keys)."""
        now = now_iso()
        rows = [(platform, keys.author_id(author_id) if keys else author_id, keys.handle(handle) if keys else handle,
                 followers, now) for author_id, (handle, followers) in profiles.items()]
        with self.conn:
            self.conn.executemany(
                "INSERT INTO author_profiles (platform, author_id, handle, followers, fetched_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(platform, author_id) DO UPDATE SET handle = excluded.handle, "
                "followers = excluded.followers, fetched_at = excluded.fetched_at", rows,
            )


    def last_run_by_collector(self) -> dict[str, dict]:
        """The latest run of each collector, with its counts."""
        names = ("collector", "started_at", "finished_at", "status", "fetched", "new", "updated", "error")
        rows = self.conn.execute(
            "SELECT collector, started_at, finished_at, status, fetched, new, updated, error FROM collection_runs "
            "WHERE id IN (SELECT max(id) FROM collection_runs GROUP BY collector)"
        ).fetchall()
        return {row[0]: dict(zip(names, row, strict=True)) for row in rows}


    def mention_counts_by_platform(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT platform, count(*) FROM mentions GROUP BY platform").fetchall())


    def recent_native_ids(self, platform: str, hours: int = 48, limit: int = 10_000) -> list[str]:
        """Native ids of a platform's non-repost mentions created in the last `hours`, newest first."""
        since = iso_utc(clock.now() - timedelta(hours=hours))
        return [row[0] for row in self.conn.execute(
            "SELECT native_id FROM mentions WHERE platform = ? AND created_at >= ? AND is_repost = 0 "
            "AND is_demo = 0 ORDER BY created_at DESC LIMIT ?", [platform, since, limit])]


    def close_interrupted_runs(self, collector: str, campaign_id: int | None) -> int:
        """Mark runs left 'running' by a process that was killed as errors; a live run overwrites
        this when it finishes, since it finishes by its own id."""
        with self.conn:
            cursor = self.conn.execute(
                "UPDATE collection_runs SET status = 'error', finished_at = ?, "
                "error = 'interrupted: the process stopped during the run; its stored pages are kept' "
                "WHERE collector = ? AND campaign_id IS ? AND status = 'running'",
                [now_iso(), collector, campaign_id],
            )
        return cursor.rowcount

    def stop_running_runs(self, since: str, reason: str) -> int:
        """Mark runs started since `since` and still 'running' as stopped: their process was
        ended before it could say so itself (a scheduler killed after its stop timeout)."""
        with self.conn:
            cursor = self.conn.execute(
                "UPDATE collection_runs SET status = 'stopped', finished_at = ?, error = ? "
                "WHERE status = 'running' AND started_at >= ?",
                [now_iso(), reason, since],
            )
        return cursor.rowcount
