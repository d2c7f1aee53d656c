"""Retention and forgetting: what a purge or a forget removes, what it keeps, and that it stays removed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from campaigns import clock
from campaigns.metrics import Filters
from campaigns.model import Campaign, Mention, Tracker, iso_utc
from campaigns.store import Store
from groundswell.cli import cli

NOW = datetime(2027, 6, 1, 12, tzinfo=UTC)


def campaign(store, slug, tag, retention_days):
    return store.save_campaign(Campaign(slug=slug, name=slug, starts_at="2027-01-01", retention_days=retention_days,
                                        trackers=[Tracker("hashtag", tag, "ours")]))


def post(native_id, text, days_ago, author="alice", **fields):
    return Mention(platform="mastodon", native_id=str(native_id), text=text, author_key=author,
                   author_followers=10, url=f"https://example.social/@{author}/{native_id}",
                   created_at=iso_utc(NOW - timedelta(days=days_ago)), likes=1, reposts=0, replies=0,
                   sentiment=0.5, abuse=0.0, **fields)


def rollup(store):
    return store.conn.execute("SELECT campaign_id, hour, platform, side, mentions, engagement, pos FROM hourly"
                              " ORDER BY 1, 2, 3, 4").fetchall()


def seeded(db_path):
    store = Store.open(db_path)
    short = campaign(store, "short", "short", 30)
    long = campaign(store, "long", "long", 90)
    store.upsert_mentions([
        post(1, "#short old", 40),            # past short's 30 days: purged
        post(2, "#short recent", 10),         # kept
        post(3, "#short #long both", 60),     # past short's, within long's 90: kept
        post(4, "#long very old", 120),       # past long's: purged
        post(5, "#long fresh", 1, author="bob"),
    ])
    return store, short, long


def test_purge_removes_text_author_and_link_past_retention_and_keeps_the_rollup(db_path):
    with clock.pinned(NOW):
        store, short, long = seeded(db_path)
        before_rollup = rollup(store)
        planned = store.purge(dry_run=True)
        assert planned.mentions == 2 and store.mention("mastodon:1")["text"] == "#short old"
        done = store.purge(who="test")
        assert done.mentions == planned.mentions == 2
        for uid in ("mastodon:1", "mastodon:4"):
            row = store.mention(uid)
            assert (row["text"], row["author_key"], row["url"], row["raw_ref"]) == (None, None, None, None)
            assert row["purged_at"] == iso_utc(NOW)
        assert store.mention("mastodon:3")["text"] == "#short #long both"   # the longer retention wins
        assert store.mention("mastodon:2")["author_key"] == "alice"
        assert rollup(store) == before_rollup
        assert store.conn.execute("SELECT count(*) FROM mention_matches WHERE author_key IS NULL").fetchone()[0] == 2
        audit = store.conn.execute("SELECT who, what, detail FROM audit_log").fetchall()
        assert audit[0][:2] == ("test", "purge") and "2 mention(s)" in audit[0][2]
        # A second purge finds nothing more; a purged post seen again stays without its text.
        assert store.purge().mentions == 0
        store.upsert_mentions([post(1, "#short old", 40)])
        assert store.mention("mastodon:1")["text"] is None and store.mention("mastodon:1")["likes"] == 1
        # Distinct counts of a purged period cannot be made any more: n/a, not a smaller number.
        old_window = Filters(short.id, iso_utc(NOW - timedelta(days=45)), iso_utc(NOW))
        assert store.reads.kpis(old_window).unique_authors is None
        recent = Filters(short.id, iso_utc(NOW - timedelta(days=20)), iso_utc(NOW))
        assert store.reads.kpis(recent).unique_authors == 1
        store.close()


def test_purge_gives_the_space_back(db_path):
    with clock.pinned(NOW):
        store = Store.open(db_path)
        campaign(store, "short", "short", 30)
        store.upsert_mentions([post(i, "#short " + "words of a long post " * 40, 40, author=f"a{i}")
                               for i in range(3000)])
        store.checkpoint()
        result = store.purge()
        assert result.mentions == 3000
        assert result.bytes_after < result.bytes_before * 0.7
        assert db_path.stat().st_size == result.bytes_after
        store.close()


def test_forget_removes_one_person_and_keeps_them_out(db_path):
    with clock.pinned(NOW):
        store, short, long = seeded(db_path)
        before = rollup(store)
        result = store.forget_author("bob")
        assert result.mentions == 1 and result.uncounted == 0
        row = store.mention("mastodon:5")
        assert (row["text"], row["author_key"], row["url"]) == (None, None, None)
        assert rollup(store) == before                       # counts made are kept unless asked
        stored = store.upsert_mentions([post(6, "#long again", 0, author="Bob")])
        assert stored.forgotten == 1 and store.mention("mastodon:6") is None
        assert store.conn.execute("SELECT count(*) FROM audit_log WHERE what = 'forget'").fetchone()[0] == 1
        store.close()


def test_forget_from_counts_takes_their_posts_out_of_every_count(db_path):
    with clock.pinned(NOW):
        store, short, long = seeded(db_path)
        window = Filters(long.id, iso_utc(NOW - timedelta(days=200)), iso_utc(NOW + timedelta(hours=1)))
        before = store.reads.kpis(window)
        result = store.forget_author("bob", from_counts=True)
        assert result.uncounted == 1
        after = store.reads.kpis(window)
        assert (after.mentions, after.engagement, after.positive) == (
            before.mentions - 1, before.engagement - 1, before.positive - 1)
        direct = store.conn.execute("SELECT count(*) FROM mention_matches WHERE campaign_id = ?", [long.id]).fetchone()
        assert after.mentions == direct[0]
        store.close()


def test_the_commands(db_path):
    with clock.pinned(NOW):
        store, _, _ = seeded(db_path)
        store.close()
        runner = CliRunner()
        dry = runner.invoke(cli, ["--db", str(db_path), "purge", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "would remove the text, author and link of 2 mention(s)" in dry.output
        done = runner.invoke(cli, ["--db", str(db_path), "purge"])
        assert "removed the text, author and link of 2 mention(s)" in done.output
        forgot = runner.invoke(cli, ["--db", str(db_path), "forget", "--author", "@bob", "--from-counts"])
        assert forgot.exit_code == 0, forgot.output
        assert "1 mention(s)" in forgot.output and "1 campaign match(es)" in forgot.output
