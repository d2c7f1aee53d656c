"""The demo data set: deterministic, labelled, and shaped like a living campaign."""

from datetime import UTC, datetime

from click.testing import CliRunner

from campaigns import metrics
from campaigns.store import Store
from groundswell.cli import cli

UNTIL = "2026-11-20T12:00:00"


def load(db, seed=5):
    result = CliRunner().invoke(cli, ["--db", str(db), "demo", "load", "--seed", str(seed), "--mentions", "3000",
                                      "--days", "20", "--until", UNTIL])
    assert result.exit_code == 0, result.output
    return Store.open(db)


def fingerprint(store):
    return store.db.conn.execute(
        "SELECT count(*), sum(likes), group_concat(uid), sum(author_followers), round(sum(sentiment), 4) "
        "FROM (SELECT * FROM mentions ORDER BY uid)").fetchone()


def test_the_same_seed_gives_the_same_data(tmp_path):
    assert fingerprint(load(tmp_path / "a.db")) == fingerprint(load(tmp_path / "b.db"))
    assert fingerprint(load(tmp_path / "c.db", seed=6)) != fingerprint(load(tmp_path / "a.db"))


def test_the_demo_is_labelled_and_complete(demo_db):
    store = Store.open(demo_db)
    campaigns = store.campaigns()
    assert [c.slug for c in campaigns] == ["antisocial", "save-our-libraries", "councillor-watch"]
    assert all(c.is_demo and c.description.startswith("Demo data") for c in campaigns)
    assert store.db.conn.execute("SELECT count(*), min(is_demo) FROM mentions").fetchone() == (6000, 1)
    platforms = {r[0] for r in store.db.conn.execute("SELECT DISTINCT platform FROM mentions")}
    assert platforms == {"x", "reddit", "mastodon", "bluesky"}
    unmatched = store.db.conn.execute(
        "SELECT count(*) FROM mentions WHERE uid NOT IN (SELECT mention_uid FROM mention_matches)").fetchone()[0]
    assert unmatched == 0


def test_the_demo_has_bursts_an_opposing_side_and_abuse_at_protected_accounts(demo_db):
    store = Store.open(demo_db)
    antisocial = store.campaign("antisocial")
    window = metrics.Filters(antisocial.id, "2026-10-21T12:00:00Z", "2026-11-20T12:00:00Z")
    kpis = store.reads.kpis(window)
    assert kpis.ours > kpis.opposing > 0
    assert store.reads.spikes(window).shape[0] > 0
    abusive_at_protected = store.db.conn.execute(
        "SELECT count(*) FROM mention_matches WHERE campaign_id = ? AND side = 'protect' AND abuse >= 0.5",
        [antisocial.id]).fetchone()[0]
    assert abusive_at_protected > 0
    followers = sorted(r[0] for r in store.db.conn.execute(
        "SELECT author_followers FROM mentions WHERE author_followers IS NOT NULL"))
    median, top = followers[len(followers) // 2], followers[-1]
    assert top > 50 * median  # heavy-tailed


def test_demo_runs_until_now_by_default(tmp_path):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "now.db"), "demo", "load", "--mentions", "200",
                                      "--days", "3"])
    assert result.exit_code == 0, result.output
    last = Store.open(tmp_path / "now.db").db.conn.execute("SELECT max(created_at) FROM mentions").fetchone()[0]
    assert last <= datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
