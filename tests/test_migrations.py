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
