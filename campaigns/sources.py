"""What collectors keep between runs: monthly usage against budgets, source state, cached profiles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from campaigns.store import Store, now_iso


def this_month() -> str:
    return datetime.now(UTC).strftime("%Y-%m")


def usage(store: Store, collector: str, month: str | None = None) -> int:
    """Units `collector` used in a month (default this one)."""
    row = store.db.conn.execute(
        "SELECT units FROM source_usage WHERE collector = ? AND month = ?", [collector, month or this_month()]
    ).fetchone()
    return row[0] if row else 0


def add_usage(store: Store, collector: str, units: int, month: str | None = None) -> None:
    if units <= 0:
        return
    with store.db.conn:
        store.db.conn.execute(
            "INSERT INTO source_usage (collector, month, units, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(collector, month) DO UPDATE SET units = units + excluded.units, "
            "updated_at = excluded.updated_at",
            [collector, month or this_month(), units, now_iso()],
        )


def set_state(store: Store, collector: str, *, rate_limited_until: str | None = None,
              note: str | None = None) -> None:
    """Record what a source last reported about itself (None clears it)."""
    with store.db.conn:
        store.db.conn.execute(
            "INSERT INTO source_state (collector, rate_limited_until, note, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(collector) DO UPDATE SET rate_limited_until = excluded.rate_limited_until, "
            "note = excluded.note, updated_at = excluded.updated_at",
            [collector, rate_limited_until, note, now_iso()],
        )


def states(store: Store) -> dict[str, dict]:
    return {
        row[0]: {"rate_limited_until": row[1], "note": row[2], "updated_at": row[3]}
        for row in store.db.conn.execute(
            "SELECT collector, rate_limited_until, note, updated_at FROM source_state")
    }


def cached_followers(store: Store, platform: str, author_ids: list[str],
                     max_age: timedelta = timedelta(days=1)) -> dict[str, int | None]:
    """Follower counts fetched within `max_age`, by author id; authors not here need a lookup."""
    if not author_ids:
        return {}
    oldest = (datetime.now(UTC) - max_age).strftime("%Y-%m-%dT%H:%M:%SZ")
    found: dict[str, int | None] = {}
    for start in range(0, len(author_ids), 500):
        chunk = author_ids[start:start + 500]
        marks = ", ".join("?" * len(chunk))
        for author_id, followers in store.db.conn.execute(
            f"SELECT author_id, followers FROM author_profiles WHERE platform = ? AND fetched_at >= ? "
            f"AND author_id IN ({marks})", [platform, oldest, *chunk],
        ):
            found[author_id] = followers
    return found


def save_followers(store: Store, platform: str, profiles: dict[str, tuple[str | None, int | None]]) -> None:
    """Cache (handle, followers) by author id."""
    now = now_iso()
    with store.db.conn:
        store.db.conn.executemany(
            "INSERT INTO author_profiles (platform, author_id, handle, followers, fetched_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(platform, author_id) DO UPDATE SET handle = excluded.handle, "
            "followers = excluded.followers, fetched_at = excluded.fetched_at",
            [(platform, author_id, handle, followers, now) for author_id, (handle, followers) in profiles.items()],
        )


def last_runs(store: Store) -> dict[str, dict]:
    """The latest run of each collector, with its counts."""
    names = ("collector", "started_at", "finished_at", "status", "fetched", "new", "updated", "error")
    rows = store.db.conn.execute(
        "SELECT collector, started_at, finished_at, status, fetched, new, updated, error FROM collection_runs "
        "WHERE id IN (SELECT max(id) FROM collection_runs GROUP BY collector)"
    ).fetchall()
    return {row[0]: dict(zip(names, row, strict=True)) for row in rows}


def mentions_by_platform(store: Store) -> dict[str, int]:
    return dict(store.db.conn.execute("SELECT platform, count(*) FROM mentions GROUP BY platform").fetchall())


def recent_mentions(store: Store, platform: str, hours: int = 48, limit: int = 10_000) -> list[str]:
    """Native ids of a platform's non-repost mentions created in the last `hours`, newest first."""
    since = (datetime.now(UTC) - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [row[0] for row in store.db.conn.execute(
        "SELECT native_id FROM mentions WHERE platform = ? AND created_at >= ? AND is_repost = 0 "
        "AND is_demo = 0 ORDER BY created_at DESC LIMIT ?", [platform, since, limit])]


def close_interrupted_runs(store: Store, collector: str, campaign_id: int | None) -> int:
    """Mark runs left 'running' by a process that was killed as errors; a live run overwrites
    this when it finishes, since it finishes by its own id."""
    with store.db.conn:
        cursor = store.db.conn.execute(
            "UPDATE collection_runs SET status = 'error', finished_at = ?, "
            "error = 'interrupted: the process stopped during the run; its stored pages are kept' "
            "WHERE collector = ? AND campaign_id IS ? AND status = 'running'",
            [now_iso(), collector, campaign_id],
        )
    return cursor.rowcount
