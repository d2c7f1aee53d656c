"""Migrations build the expected schema on an empty database and change nothing the second time."""

import sqlite_utils

from campaigns.store import Store
from campaigns.store.migrations import migrations


def test_migrations_on_empty_database_then_again(tmp_path):
    path = tmp_path / "m.db"
    store = Store.open(path)
    assert store.applied_migrations[0] == "0001_core"
    schema = store.db.conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    store.close()

    again = Store.open(path)
    assert again.applied_migrations == []
    assert again.db.conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == schema
    assert migrations.pending(again.db) == []
    again.close()


def test_schema_has_the_tables_and_indexes_the_design_names(store):
    tables = set(store.db.table_names())
    assert {"campaigns", "trackers", "mentions", "mention_matches", "mention_hashtags", "mention_trackers",
            "hourly", "raw_items", "collection_runs", "cursors", "alerts", "audit_log"} <= tables
    assert store.db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    mention_columns = {c.name for c in store.db["mentions"].columns}
    assert {"uid", "platform", "native_id", "url", "created_at", "collected_at", "author_key",
            "author_followers", "text", "lang", "is_repost", "reposted_uid", "reply_to_uid", "likes",
            "reposts", "replies", "quotes", "impressions", "sentiment", "abuse", "raw_ref"} <= mention_columns
    indexes = {i.name: i.columns for i in store.db["mention_matches"].indexes}
    assert indexes["mention_matches_range"][:2] == ["campaign_id", "created_at"]
    assert {"author_key", "reach_key", "reach_value"} <= set(indexes["mention_matches_range"])


def test_a_database_made_without_migrations_is_adopted(tmp_path):
    path = tmp_path / "plain.db"
    sqlite_utils.Database(path)["notes"].insert({"text": "kept"})
    store = Store.open(path)
    assert "campaigns" in store.db.table_names()
    assert store.db.conn.execute("SELECT text FROM notes").fetchone() == ("kept",)
    store.close()


def test_0006_fills_the_safety_tables_for_posts_stored_before_it(tmp_path):
    """A database of 0004 with posts in it: 0006 finds those aimed at protected accounts, scores
    them in context and recounts the roll-up at the new default threshold."""
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    migrations.apply(db, stop_before="0006_safety_and_corrections")
    at = "2026-03-02T10:00:00Z"
    db.executescript(f"""
        INSERT INTO campaigns (id, slug, name, starts_at, created_at, updated_at) VALUES (1, 'c', 'C', '2026-03-01', '{at}', '{at}');
        INSERT INTO trackers (id, campaign_id, kind, value, side) VALUES (1, 1, 'hashtag', 'LoveSUs', 'ours'), (2, 1, 'account', 'cllr_khan', 'protect');
    """)
    posts = [  # uid, author, text, reply_to, side, tracker, offensive-language score
        ("x:1", "cllr_khan", "Surgery at 10 today", None, "protect", 2, 0.0),
        ("x:2", "troll", "@cllr_khan you are scum", "x:1", "protect", 2, 0.3),
        ("x:3", "friend", 'someone wrote "you are vermin" to our officer, report it #LoveSUs', None, "ours", 1, 0.6),
        ("x:4", "fan", "#LoveSUs damn good day", None, "ours", 1, 0.35),
    ]
    for uid, author, text, reply_to, side, tracker, abuse in posts:
        db.execute("INSERT INTO mentions (uid, platform, native_id, created_at, collected_at, author_key, text,"
                   " reply_to_uid, sentiment, abuse) VALUES (?, 'x', ?, ?, ?, ?, ?, ?, 0.0, ?)",
                   [uid, uid[2:], at, at, author, text, reply_to, abuse])
        db.execute("INSERT INTO mention_matches (mention_uid, campaign_id, side, platform, created_at, author_key,"
                   " sentiment, abuse) VALUES (?, 1, ?, 'x', ?, ?, 0.0, ?)", [uid, side, at, author, abuse])
        db.execute("INSERT INTO mention_trackers VALUES (?, ?, 1, ?)", [tracker, uid, at])
    db.execute("INSERT INTO hourly (campaign_id, hour, platform, side, mentions, abusive) VALUES"
               " (1, ?, 'x', 'protect', 2, 0), (1, ?, 'x', 'ours', 2, 1)", [at, at])
    db.conn.commit()
    db.close()

    store = Store.open(path)
    assert store.applied_migrations[0] == "0006_safety_and_corrections"  # the later ones follow it
    assert store.conn.execute("SELECT mention_uid, via FROM protected_mentions ORDER BY 1").fetchall() == [
        ("x:1", "own"), ("x:2", "reply")]
    scores = dict(store.conn.execute("SELECT mention_uid, abuse FROM mention_matches"))
    assert scores["x:2"] >= 0.8 and scores["x:3"] < 0.2 and scores["x:4"] == 0.35
    assert store.conn.execute("SELECT side, abusive FROM hourly ORDER BY side").fetchall() == [
        ("ours", 1), ("protect", 1)]
    assert store.campaign("c").safety.offensive_threshold is None
    store.close()
