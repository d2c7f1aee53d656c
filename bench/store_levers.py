"""What each change to the store's schema not made would save ingest, measured beside the schema as shipped.

`Store.upsert_mentions` (matching, the rows, their SQL and commit) stores the same scored posts
into copies of the bench database that differ from the shipped one in one respect each; the
copies take turns round by round in one process, so a shared machine's drift (half its speed
within minutes) falls on all alike, and each is reported as its median ratio to the shipped
schema in the same rounds. None of these variants is the product: each gives up something the
product keeps (see VARIANTS), and this says what that would buy.

    python -m bench.store_levers [--size 100000] [--posts 50000] [--rounds 6]
"""

from __future__ import annotations

import argparse
import re
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path

from bench.build import DATA, UNTIL, database
from bench.ingest import BATCH, FIRST_ID, campaign_tags, prepare
from bench.texts import unique_texts, write_jsonl, x_pages
from campaigns.settings import Settings
from campaigns.store import Store
from collectors.enrich import SCORES, enrich
from collectors.importers import READERS, ImportReport, heap_set_aside

SHIPPED = "as shipped"


def _rebuilt(conn: sqlite3.Connection, table: str, key: str | None = None, dropped: str | None = None) -> None:
    """`table` rebuilt WITHOUT ROWID (its primary key, or `key` in place of it, is the table: one
    b-tree a row fewer), its indexes and triggers as they were but the index `dropped`."""
    (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()
    others = [s for (s,) in conn.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL"
        " AND name IS NOT ?", [table, dropped])]
    sql = sql.replace(f"CREATE TABLE {table}", f"CREATE TABLE {table}_new", 1)
    if key is not None:
        sql = re.sub(r"PRIMARY KEY \([^)]*\)", f"PRIMARY KEY ({key})", sql)
    conn.execute(sql + " WITHOUT ROWID")
    conn.execute(f"INSERT INTO {table}_new SELECT * FROM {table}")
    conn.execute(f"DROP TABLE {table}")
    conn.execute(f"ALTER TABLE {table}_new RENAME TO {table}")
    for statement in others:
        conn.execute(statement)


def _without_rowid(conn: sqlite3.Connection) -> None:
    for table in ("mention_trackers", "mention_hashtags"):
        _rebuilt(conn, table)


def _matches_clustered(conn: sqlite3.Connection) -> None:
    """The matches stored in the range index's order, keyed by (campaign_id, created_at,
    mention_uid): the table holds every column, so the range index goes, and a unique index
    keeps a post's match per campaign one."""
    _rebuilt(conn, "mention_matches", key="campaign_id, created_at, mention_uid", dropped="mention_matches_range")
    conn.execute("CREATE UNIQUE INDEX mention_matches_key ON mention_matches (mention_uid, campaign_id)")


def _no_author_indexes(conn: sqlite3.Connection) -> None:
    """The matches' author and audience indexes dropped, with the triggers that keep the spans
    exact when a match is deleted or moved (they walk those indexes)."""
    for trigger in ("mention_matches_rollups_delete", "mention_matches_rollups_authors",
                    "mention_matches_rollups_audiences"):
        conn.execute(f"DROP TRIGGER {trigger}")
    conn.execute("DROP INDEX mention_matches_authors")
    conn.execute("DROP INDEX mention_matches_audiences")


def _pages_of(size: int):
    def rebuild(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute(f"PRAGMA page_size = {size}")
        conn.execute("VACUUM")
        conn.execute("PRAGMA journal_mode = WAL")
    return rebuild


# name: (what the copy's schema changes, whether foreign keys are off while storing, what it gives up)
VARIANTS = {
    SHIPPED: (None, False, ""),
    "trackers and hashtags WITHOUT ROWID": (_without_rowid, False, "a migration rewriting two tables"),
    "no author and audience indexes": (_no_author_indexes, False,
                                       "exact spans after a deletion, and the reads on those indexes"),
    "matches clustered by campaign and time": (_matches_clustered, False,
                                               "a migration rewriting the matches, and every read re-proved on it"),
    "8 KiB pages": (_pages_of(8192), False, "a VACUUM of every existing database"),
    "foreign keys off while storing": (None, True, "the check that each match's post and campaign exist"),
}


def variant_databases(base: Path, work: Path) -> dict[str, Path]:
    """A copy of `base` per variant, built once and kept beside it; copies of an older base go."""
    for stale in work.glob("*.db"):
        if not stale.name.startswith(base.stem):
            stale.unlink()
    paths = {}
    for name, (change, _, _) in VARIANTS.items():
        if change is None:
            paths[name] = base
            continue
        path = work / f"{base.stem}-{name.replace(' ', '-')}.db"
        if not path.exists():
            partial = path.with_suffix(".partial")
            shutil.copy(base, partial)
            conn = sqlite3.connect(partial, isolation_level=None)
            conn.execute("PRAGMA foreign_keys = OFF")
            conn.execute("PRAGMA legacy_alter_table = ON")   # a rename leaves the triggers' text alone
            change(conn)
            conn.close()
            partial.rename(path)
        paths[name] = path
    return paths


def scored_posts(base: Path, work: Path, count: int) -> list:
    """`count` posts of unique texts as the bench's ingest reads them, scored once."""
    with Store.open(base) as store:
        tags = campaign_tags(store)
    pages = write_jsonl(x_pages(unique_texts(count, tags), first_id=FIRST_ID, until=UNTIL), work / "lever-pages.jsonl")
    posts = [m for mentions in READERS["x"](pages, ImportReport(pages)) for m in mentions]
    SCORES.clear()
    enrich(posts, Settings(db_path=work / "unused.db"), workers=1)
    return posts


def store_once(db: Path, target: Path, posts: list, foreign_keys_off: bool) -> float:
    """CPU µs per post of storing `posts` into a fresh copy of `db`, as an import stores them."""
    prepare(db, target)
    with Store.open(target) as store, heap_set_aside(), store.bulk_load():
        if foreign_keys_off:
            store.conn.execute("PRAGMA foreign_keys = OFF")
        started = time.process_time()
        for start in range(0, len(posts), BATCH):
            store.upsert_mentions(posts[start:start + BATCH])
        return (time.process_time() - started) / len(posts) * 1e6


def measure(size: int, count: int, rounds: int, data: Path, log=print) -> dict[str, list[float]]:
    """Each variant's µs per post in every round, the variants taking turns within each round."""
    base = database(size, data, log=log).path
    work = data / "levers"
    work.mkdir(parents=True, exist_ok=True)
    paths = variant_databases(base, work)
    posts = scored_posts(base, work, count)
    runs: dict[str, list[float]] = {name: [] for name in VARIANTS}
    names = list(VARIANTS)
    for round_ in range(rounds):
        # Each round starts one variant later, so none always runs first or last in a round.
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            runs[name].append(store_once(paths[name], work / "target.db", posts, VARIANTS[name][1]))
        log(f"  round {round_ + 1}: " + ", ".join(f"{name} {values[-1]:.1f}" for name, values in runs.items()))
    return runs


def render(runs: dict[str, list[float]]) -> str:
    shipped = runs[SHIPPED]
    lines = ["| schema | best µs/post | median µs/post | median ratio to shipped | gives up |",
             "|---|---:|---:|---:|---|"]
    for name, values in runs.items():
        ratio = statistics.median(v / s for v, s in zip(values, shipped, strict=True))
        lines.append(f"| {name} | {min(values):.1f} | {statistics.median(values):.1f} | {ratio:.3f} |"
                     f" {VARIANTS[name][2] or 'nothing'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="the bench database's mentions")
    parser.add_argument("--posts", type=int, default=50_000, help="posts stored per round")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--data", type=Path, default=DATA, help="where databases are kept")
    args = parser.parse_args(argv)
    print(f"storing {args.posts:,} posts into copies of the {args.size:,}-mention database, {args.rounds} rounds",
          flush=True)
    print(render(measure(args.size, args.posts, args.rounds, args.data, log=lambda line: print(line, flush=True))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
