"""Batches written in a thread beside the next one's planning give the database of storing them one by one."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from bench.ingest import stored
from campaigns.clock import pinned
from campaigns.store import Store
from campaigns.store.mentions import many_rows
from tests.test_store import make_campaign, mention

# A post of the protected account, replies to it and posts seen again in the next batch (each
# waits for the batch before), reposts before and after their originals, and batches that share
# nothing with the one before (planned while it is written).
BATCHES = [
    [mention(1, "#AntiSocialMedia first", likes=2),
     mention(2, "our officers deserve better online abuse", sentiment=-0.2),
     mention(100, "Statement from the union #AntiSocialMedia", author_key="nusuk", author_handle="nusuk"),
     mention(3, "RT @a: coming soon", is_repost=True, reposted_uid="x:60", context_text="#AntiSocialMedia soon",
             hashtags=["AntiSocialMedia"])],
    [mention(1, "#AntiSocialMedia first", likes=9, replies=4),
     mention(4, "you are pathetic, resign", reply_to_uid="x:100", abuse=0.8, sentiment=-0.7),
     *[mention(n, f"#FreeSpeechSU post {n}", created_at="2026-03-02T11:00:00Z", sentiment=0.1 * (n % 5))
       for n in range(5, 40)]],
    [mention(60, "#AntiSocialMedia soon", created_at="2026-03-01T09:00:00Z"),
     *[mention(n, f"#AntiSocialMedia online abuse {n}", created_at="2026-03-03T08:30:00Z", author_key="same")
       for n in range(40, 59)]],
    [mention(61, "nothing tracked here"), mention(2, "our officers deserve better online abuse", sentiment=0.4)],
]


def contents(path) -> dict[str, list]:
    """Every table's rows (bench.ingest.stored), by table, the search index's for 'antisocialmedia'."""
    found: dict[str, list] = {}
    for table, row in stored(path, "antisocialmedia"):
        found.setdefault(table, []).append(row)
    return found


@pytest.fixture
def base(tmp_path):
    path = tmp_path / "base.db"
    with Store.open(path) as store:
        make_campaign(store)
        make_campaign(store, "libraries", ours=["#FreeSpeechSU", "online abuse"])
        # The first batch's write takes a third of a second (x:1's match counts 16 million rows),
        # so the second batch, which shares x:1 and replies to x:100, is taken while it is written.
        store.conn.execute(
            "CREATE TRIGGER slow_write AFTER INSERT ON mention_matches WHEN new.mention_uid = 'x:1' BEGIN"
            " SELECT count(*) FROM sqlite_master a, sqlite_master b, sqlite_master c,"
            " (SELECT 1 FROM sqlite_master LIMIT 10) d; END")
    return path


def stored_by(how, base, target) -> dict[str, list]:
    shutil.copy(base, target)
    results = []
    with pinned("2026-03-04T12:00:00Z"), Store.open(target) as store:
        if how == "one by one":
            for batch in BATCHES:
                results.append(store.upsert_mentions(batch))
        else:
            store.upsert_batches(iter(BATCHES), on_batch=results.append)
    return {"results": [vars(r) for r in results], **contents(target)}


def test_batches_written_beside_the_next_store_what_one_by_one_stores(base, tmp_path):
    one_by_one = stored_by("one by one", base, tmp_path / "one.db")
    beside = stored_by("beside", base, tmp_path / "beside.db")
    assert beside == one_by_one
    # What the batches were meant to exercise is there: a post seen again, the reply aimed at
    # the protected account, the repost that came before its original pointed at it.
    assert one_by_one["results"][1]["updated"] == 1 and one_by_one["results"][3]["updated"] == 1
    assert ("x:4",) in {row[:1] for row in one_by_one["protected_mentions"]}
    with sqlite3.connect(tmp_path / "beside.db") as conn:
        (repost_rowid,) = conn.execute(
            "SELECT DISTINCT text_rowid FROM mention_matches WHERE mention_uid = 'x:3'").fetchone()
        assert repost_rowid == conn.execute("SELECT rowid FROM mentions WHERE uid = 'x:60'").fetchone()[0]


def test_a_failed_write_keeps_the_batches_before_and_stores_none_after(base, tmp_path):
    target = tmp_path / "failing.db"
    shutil.copy(base, target)
    with sqlite3.connect(target) as conn:
        # The database refuses one post of the third batch, as a full disk or a broken file would.
        conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON mentions WHEN new.native_id = '45'"
                     " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
    heard = []
    with Store.open(target) as store:
        with pytest.raises(sqlite3.IntegrityError, match="refused by the test"):
            store.upsert_batches(iter(BATCHES), on_batch=heard.append)
        assert len(heard) == 2
        uids = {uid for (uid,) in store.conn.execute("SELECT uid FROM mentions")}
    assert "x:39" in uids and "x:40" not in uids and "x:61" not in uids


def test_a_batch_planned_in_memory_is_stored_one_by_one(tmp_path):
    with Store.open(":memory:") as store:
        make_campaign(store)
        total = store.upsert_batches(iter(BATCHES))
        assert total.received == sum(len({m.uid for m in batch}) for batch in BATCHES)
        assert store.count("mentions") == len({m.uid for batch in BATCHES for m in batch})


def test_many_rows_writes_what_executemany_writes_in_the_same_order():
    rows = [(n % 7, f"tag{n % 3}", n) for n in range(2_500)]
    sql = ("INSERT INTO t (k, tag, n) VALUES (?, ?, ?)"
           " ON CONFLICT (k, tag) DO UPDATE SET n = n + excluded.n")
    results = []
    for write in ("executemany", "many_rows"):
        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE TABLE t (k, tag, n, PRIMARY KEY (k, tag))")
        if write == "executemany":
            conn.executemany(sql, rows)
        else:
            statements = many_rows(sql, [value for row in rows for value in row], variables=999)
            assert len(statements) == 8     # 333 rows a statement at 999 variables
            for text, params in statements:
                conn.execute(text, params)
        results.append(conn.execute("SELECT rowid, * FROM t ORDER BY rowid").fetchall())
    assert results[0] == results[1]


def test_batches_stored_inside_an_open_transaction_are_stored_one_by_one(base, tmp_path):
    target = tmp_path / "open.db"
    shutil.copy(base, target)
    with Store.open(target) as store:
        with store.conn:
            store.conn.execute("UPDATE campaigns SET name = name")   # this connection holds the write lock
            total = store.upsert_batches(iter(BATCHES))
        assert total.received == sum(len({m.uid for m in batch}) for batch in BATCHES)
        assert store.count("mentions") == len({m.uid for batch in BATCHES for m in batch})
