"""The one door to the database: Store opens it (writable or read-only) and holds every verb on it.

Every SQL statement of the product lives in this package, one module per table family; the
rest of the house calls verbs and never sees a connection.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from campaigns.clock import now_iso
from campaigns.errors import StoreError
from campaigns.matching import Matcher
from campaigns.settings import DEFAULT_DB, resolve_db_path
from campaigns.store.alerts import Alerts
from campaigns.store.audit import AuditVerbs
from campaigns.store.campaigns import CampaignVerbs
from campaigns.store.corrections import CorrectionVerbs
from campaigns.store.mentions import (
    BULK_BATCH,
    MENTION_COLUMNS,
    MentionVerbs,
    UpsertResult,
    hour_of,
)
from campaigns.store.migrations import migrations
from campaigns.store.plan import Plan
from campaigns.store.posts import Posts
from campaigns.store.reads import Reads
from campaigns.store.reports import Reports
from campaigns.store.retention import ForgetResult, PurgeResult, RetentionVerbs
from campaigns.store.runs import RunVerbs
from campaigns.store.safety import Safety
from campaigns.store.users import UserVerbs

# Raised by SQLite itself; the verbs turn what a user can cause into StoreError, and the command
# line treats anything else under this name as one line too.
DatabaseError = sqlite3.Error
# The page cache of a writable connection (the CLI, the scheduler, an import), in KiB.
WRITER_CACHE_KIB = 65_536
# Pages of WAL a bulk load writes before they are folded into the database (Store.bulk_load):
# 64 MiB at SQLite's 4 KiB page.
BULK_CHECKPOINT_PAGES = 16_384

__all__ = ["BULK_BATCH", "DatabaseError", "ForgetResult", "PurgeResult", "DEFAULT_DB", "MENTION_COLUMNS", "Store", "StoreError", "UpsertResult", "hour_of", "now_iso",
           "resolve_db_path"]


def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
    """A connection to the file, read-only (no write can pass) or not, waiting up to 30 s for a lock."""
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30, check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def _set_writer(conn: sqlite3.Connection) -> None:
    """A writable connection's settings."""
    conn.execute("PRAGMA synchronous = NORMAL")
    # A batch of posts writes into a dozen indexes and the search index at once; in SQLite's
    # default 2 MiB cache their pages push each other out (ingest at 100,000 mentions: about 15%
    # less CPU a post with 64 MiB). Readers keep the default, so the dashboard's memory does not
    # grow with the database.
    conn.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")


class Store(CampaignVerbs, MentionVerbs, RunVerbs, RetentionVerbs, UserVerbs, AuditVerbs, CorrectionVerbs):
    """One SQLite database holding every campaign, mention and plan.

    Verbs on campaigns, mentions, runs, corrections and the audit log are methods; the plan's
    are on `store.plan`, the dashboard's reads on `store.reads`, the posts stream's on
    `store.posts`, the safety desk's on `store.safety`, post-action reports on `store.reports`.
    """

    def __init__(self, db: sqlite_utils.Database, path: Path | None = None, *, readonly: bool = False):
        self.db = db
        self.conn: sqlite3.Connection = db.conn
        self.path = path
        self.readonly = readonly
        self._matcher: Matcher | None = None
        self._matcher_version: tuple | None = None
        self._protected = None
        self.applied_migrations: list[str] = []
        self._forgotten: set[str] | None = None
        self._search_index: bool | None = None   # whether the file has its full-text index
        self._beside: ThreadPoolExecutor | None = None   # read_beside's thread, once it is used
        self._beside_conn: sqlite3.Connection | None = None   # that thread's own connection
        self.plan = Plan(self)
        self.reads = Reads(self)
        self.posts = Posts(self)
        self.safety = Safety(self)
        self.reports = Reports(self)
        self.alerts = Alerts(self)

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike | None = None, *, migrate: bool = True, create: bool = True,
             readonly: bool = False) -> Store:
        """Open the database; WAL mode, foreign keys on.

        Writable (the default): created when `create` and migrated when `migrate`. Read-only
        (`readonly=True`, the dashboard's way): the file must exist with a current schema,
        nothing is migrated, and any write fails.
        """
        db_path = resolve_db_path(path)
        memory = str(db_path) == ":memory:"
        if not memory:
            if db_path.is_dir():
                raise StoreError(f"cannot open database {db_path}: it is a folder")
            if not db_path.parent.exists():
                raise StoreError(f"cannot open database {db_path}: folder {db_path.parent} does not exist")
            if db_path.exists() and not os.access(db_path, os.R_OK):
                raise StoreError(f"cannot open database {db_path}: permission denied")
            if not db_path.exists() and (readonly or not create):
                raise StoreError(
                    f"no database at {db_path.resolve()}: create one with `groundswell init` "
                    "(or `groundswell demo load` for demo data), or point --db / GROUNDSWELL_DB at yours")
        try:
            conn = _connect(db_path, readonly)
            db = sqlite_utils.Database(conn)
            if not readonly and not conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                # A new file: freed pages can go back to the file system after a purge without
                # rewriting the whole database (this must be set before the first table).
                conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            if not memory and not readonly:
                db.enable_wal()
            conn.execute("PRAGMA foreign_keys = ON")
            if not readonly:
                _set_writer(conn)
            store = cls(db, db_path, readonly=readonly)
            if readonly:
                pending = [m.name for m in migrations.pending(db)]
                if pending:
                    raise StoreError(
                        f"database {db_path} needs its schema brought up to date: run `groundswell init` "
                        f"(pending: {', '.join(pending)})")
            elif migrate:
                store.applied_migrations = store.migrate()
            else:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as error:
            raise StoreError(f"cannot open database {db_path}: {error}") from None
        return store

    def migrate(self) -> list[str]:
        """Apply pending migrations; returns the names applied (none on a current database)."""
        pending = [m.name for m in migrations.pending(self.db)]
        if pending:
            try:
                migrations.apply(self.db)
            except sqlite3.OperationalError as error:
                raise StoreError(f"cannot migrate database {self.path}: {error}") from None
        return pending

    def close(self) -> None:
        if self._beside is not None:
            self._beside.shutdown(wait=True)
        if self._beside_conn is not None:
            self._beside_conn.close()
        self.conn.close()

    def read_beside(self, sql: str, params: list) -> Future:
        """The rows of one read, run on a second, read-only connection in a thread of its own, so
        it goes on while this connection answers another (SQLite lets go of Python's lock while
        it reads): the posts search reads its hits beside its window's matches. One such thread:
        the machines this is built for have two cores. The second connection sees what is
        committed; an in-memory database has none, and reads here, now."""
        if self.path is None or str(self.path) == ":memory:":
            future: Future = Future()
            try:
                future.set_result(self.conn.execute(sql, params).fetchall())
            except sqlite3.Error as error:
                future.set_exception(error)
            return future
        if self._beside is None:
            self._beside = ThreadPoolExecutor(max_workers=1, thread_name_prefix="groundswell-read")
        return self._beside.submit(self._read_beside, sql, list(params))

    def _read_beside(self, sql: str, params: list) -> list[tuple]:
        if self._beside_conn is None:
            # Only the one thread uses it; close() closes it once that thread has stopped.
            self._beside_conn = _connect(self.path, readonly=True)
        return self._beside_conn.execute(sql, params).fetchall()

    def _writer_connection(self) -> sqlite3.Connection | None:
        """A second writable connection to the file, set as this one is (foreign keys, the WAL's
        checkpoints); None for an in-memory database, which has no second, and while this one is
        in a transaction (the second would wait for its lock)."""
        if self.readonly or self.path is None or str(self.path) == ":memory:" or self.conn.in_transaction:
            return None
        conn = _connect(self.path, readonly=False)
        conn.execute("PRAGMA foreign_keys = ON")
        _set_writer(conn)
        (pages,) = self.conn.execute("PRAGMA wal_autocheckpoint").fetchone()
        conn.execute(f"PRAGMA wal_autocheckpoint = {int(pages)}")
        return conn

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def checkpoint(self) -> None:
        """Fold the WAL into the database file (before copying it, or after a bulk load)."""
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """For the length of a bulk load (an import), the WAL is folded into the database every
        BULK_CHECKPOINT_PAGES pages written rather than SQLite's 1,000: a batch of 5,000 posts
        writes about that many, so each batch paid a checkpoint and its two syncs, and a page
        written by several batches (an index's last, the roll-up's) was copied each time."""
        (before,) = self.conn.execute("PRAGMA wal_autocheckpoint").fetchone()
        self.conn.execute(f"PRAGMA wal_autocheckpoint = {BULK_CHECKPOINT_PAGES}")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA wal_autocheckpoint = {before}")

    def drop_search_index(self) -> None:
        """Drop the full-text index (0011_search) and what keeps it: only for measuring what
        keeping it costs on a scratch copy, as the benchmark does; the Posts page's search
        fails there."""
        with self.conn:
            for name in ("mentions_fts_insert", "mentions_fts_update", "mentions_fts_delete"):
                self.conn.execute(f"DROP TRIGGER IF EXISTS {name}")
            self.conn.execute("DROP TABLE IF EXISTS mentions_fts")
        self._search_index = False

    def table_exists(self, name: str) -> bool:
        return self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]).fetchone() is not None
