"""Corrections of tone, side and verdict: every number moves exactly, and storing the post again keeps them."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from campaigns import metrics
from campaigns.errors import StoreError, ValidationError
from campaigns.metrics import Filters
from campaigns.model import Campaign, Mention, Tracker, classify_term
from groundswell.cli import cli

WINDOW = ("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z")
# Not on whole hours: kpis count these from the matches themselves, not from the roll-up.
ODD_WINDOW = ("2026-03-02T09:30:00Z", "2026-03-02T11:45:00Z")


@pytest.fixture
def campaign(store):
    trackers = [Tracker(*classify_term(t), side=side) for side, terms in
                {"ours": ["#LoveSUs"], "opposing": ["#FreeSpeechSU"], "protect": ["@su_president"]}.items()
                for t in terms]
    return store.save_campaign(Campaign(slug="antisocial", name="A", starts_at="2026-03-01", trackers=trackers))


def post(native_id, text, sentiment, abuse=0.05, created_at="2026-03-02T10:15:00Z", likes=2):
    return Mention(platform="x", native_id=str(native_id), created_at=created_at, text=text,
                   author_key=f"user{native_id}", author_followers=10, likes=likes, sentiment=sentiment, abuse=abuse)


def rollup(store):
    return store.conn.execute(
        "SELECT side, sum(mentions), sum(pos), sum(neg), sum(neu), sum(abusive), round(sum(sentiment_sum), 6)"
        " FROM hourly GROUP BY side HAVING sum(mentions) > 0 ORDER BY side").fetchall()


def direct(store, threshold=metrics.OFFENSIVE_THRESHOLD):
    """The roll-up counted again from the matches, which hold what every metric counts."""
    return store.conn.execute(
        "SELECT side, count(*), sum(sentiment >= 0.05), sum(sentiment <= -0.05),"
        " sum(sentiment > -0.05 AND sentiment < 0.05), sum(abuse >= ?), round(sum(sentiment), 6)"
        " FROM mention_matches GROUP BY side ORDER BY side", [threshold]).fetchall()


def load(store):
    store.upsert_mentions([
        post(1, "Online abuse is not free speech #LoveSUs", sentiment=-0.6),
        post(2, "What a brilliant day #LoveSUs", sentiment=0.8),
        post(3, "Free speech matters more #FreeSpeechSU", sentiment=0.3),
        post(4, "@su_president thanks for the update", sentiment=0.4, created_at="2026-03-02T11:05:00Z"),
    ])


def test_a_tone_correction_moves_kpis_and_the_rollup_exactly(store, campaign):
    load(store)
    filters = Filters(campaign.id, *WINDOW, sides=("ours",))
    before = store.reads.kpis(filters)
    assert (before.positive, before.negative) == (1, 1)
    done = store.correct("x:1", campaign.id, "tone", "positive", "Priya", note="anti-abuse message, not negative")
    assert (done["old_value"], done["new_value"], done["scorer_value"]) == ("negative", "positive", "negative")
    after = store.reads.kpis(filters)
    assert (after.positive, after.negative, after.neutral) == (2, 0, 0)
    assert after.net_sentiment == 1.0
    assert after.mentions == before.mentions
    assert rollup(store) == direct(store)
    odd = store.reads.kpis(Filters(campaign.id, *ODD_WINDOW, sides=("ours",)))
    assert (odd.positive, odd.negative) == (2, 0)
    # The machine's score stays where it was, in its own column.
    assert store.mention("x:1")["sentiment"] == -0.6


def test_a_correction_survives_the_post_being_stored_again(store, campaign):
    load(store)
    store.correct("x:1", campaign.id, "tone", "positive", "Priya")
    store.correct("x:3", campaign.id, "side", "ours", "Priya")
    store.correct("x:4", campaign.id, "verdict", "abusive", "Sam")
    expected = rollup(store)
    # Collected again with new counts and a fresh score from the scorer, then rematched.
    store.upsert_mentions([post(1, "Online abuse is not free speech #LoveSUs", sentiment=-0.7, likes=9),
                           post(3, "Free speech matters more #FreeSpeechSU", sentiment=0.3),
                           post(4, "@su_president thanks for the update", sentiment=0.4, abuse=0.01,
                                created_at="2026-03-02T11:05:00Z")])
    store.rematch("antisocial")
    assert rollup(store) == direct(store)
    sides = dict(store.conn.execute("SELECT mention_uid, side FROM mention_matches").fetchall())
    assert sides["x:3"] == "ours"
    kpis = store.reads.kpis(Filters(campaign.id, *WINDOW, sides=("ours",)))
    assert (kpis.positive, kpis.negative, kpis.mentions) == (3, 0, 3)
    assert store.reads.kpis(Filters(campaign.id, *WINDOW)).abusive == 1
    assert [row[:5] for row in rollup(store)] == [row[:5] for row in expected]
    assert store.mention("x:1")["sentiment"] == -0.7


def test_a_side_correction_moves_share_of_voice(store, campaign):
    load(store)
    everything = Filters(campaign.id, *WINDOW)
    assert store.reads.kpis(everything).share_of_voice == pytest.approx(2 / 3)
    store.correct("x:3", campaign.id, "side", "ours", "Priya")
    kpis = store.reads.kpis(everything)
    assert (kpis.ours, kpis.opposing, kpis.share_of_voice) == (3, 0, 1.0)
    assert store.reads.distinct_totals(Filters(campaign.id, *WINDOW, sides=("opposing",))) == (0, None)
    assert rollup(store) == direct(store)


def test_a_verdict_overrides_the_score_in_every_count(store, campaign):
    store.upsert_mentions([post(5, "@su_president you fucking idiot", sentiment=-0.8, abuse=0.98),
                           post(6, "@su_president you should know better", sentiment=-0.1, abuse=0.05)])
    filters = Filters(campaign.id, *WINDOW)
    assert store.reads.kpis(filters).abusive == 1
    store.correct("x:5", campaign.id, "verdict", "not-abusive", "Sam")
    store.correct("x:6", campaign.id, "verdict", "abusive", "Sam")
    assert store.reads.kpis(filters).abusive == 1
    scores = dict(store.conn.execute("SELECT mention_uid, abuse FROM mention_matches").fetchall())
    assert scores == {"x:5": 0.0, "x:6": 1.0}
    assert rollup(store) == direct(store)
    assert store.mention("x:5")["abuse"] == 0.98


def test_overruled_counts_say_how_often_the_scorer_lost(store, campaign):
    load(store)
    store.correct("x:1", campaign.id, "tone", "positive", "Priya")   # overrules negative
    store.correct("x:2", campaign.id, "tone", "positive", "Priya")   # agrees
    store.correct("x:3", campaign.id, "side", "ours", "Priya")
    store.correct("x:3", campaign.id, "side", "opposing", "Priya")   # back to what the trackers said
    counts = {row.field: (row.corrected, row.overruled) for row in store.overruled(campaign.id).itertuples()}
    assert counts == {"tone": (2, 1), "side": (1, 0), "verdict": (0, 0)}
    assert len(store.corrections(campaign.id)) == 4


def test_a_threshold_change_recounts_the_rollup(store, campaign):
    store.upsert_mentions([post(7, "#LoveSUs damn good day", sentiment=0.5, abuse=0.35)])
    assert store.reads.kpis(Filters(campaign.id, *WINDOW)).abusive == 1
    store.safety.set_settings("antisocial", "Sam", offensive_threshold=0.5)
    assert store.reads.kpis(Filters(campaign.id, *WINDOW)).abusive == 0
    assert rollup(store) == direct(store, 0.5)


def test_bad_corrections_are_refused_in_one_line(store, campaign):
    load(store)
    with pytest.raises(ValidationError, match="bad tone"):
        store.correct("x:1", campaign.id, "tone", "angry", "Priya")
    with pytest.raises(StoreError, match="not in campaign"):
        store.correct("x:99", campaign.id, "tone", "positive", "Priya")
    with pytest.raises(StoreError, match="who"):
        store.correct("x:1", campaign.id, "tone", "positive", " ")


def test_the_correct_command(db_path, store, campaign):
    load(store)
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", str(db_path), "correct", "x:1", "--tone", "positive", "--who", "Priya"])
    assert result.exit_code == 0, result.output
    assert "tone of x:1 in antisocial: negative -> positive (overrules the scorer" in result.output
    result = runner.invoke(cli, ["--db", str(db_path), "correct", "x:404", "--side", "ours"])
    assert result.exit_code == 1 and "is in no campaign" in result.output
    result = runner.invoke(cli, ["--db", str(db_path), "correct", "x:1"])
    assert result.exit_code == 1 and "--tone, --side or --verdict" in result.output


def test_the_reviewed_matches_are_the_ones_given_a_verdict(store, campaign):
    load(store)
    store.upsert_mentions([post(5, "@su_president you fucking idiot", sentiment=-0.8, abuse=0.98)])
    assert store.safety.reviews(campaign.id) == []
    store.correct("x:5", campaign.id, "verdict", "not-abusive", "Sam")
    store.correct("x:2", campaign.id, "tone", "negative", "Sam")
    reviews = store.safety.reviews(campaign.id)
    assert [(score, text) for score, text, *_ in reviews] == [(0.98, "@su_president you fucking idiot")]
    assert "mention_matches_reviewed" in store.conn.execute(
        "EXPLAIN QUERY PLAN SELECT mention_uid FROM mention_matches WHERE campaign_id = ? AND verdict IS NOT NULL",
        [campaign.id]).fetchall()[0][3]
