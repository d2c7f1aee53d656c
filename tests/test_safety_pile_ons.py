"""Pile-on detection on constructed posts: one alert per episode, at the threshold and not under it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from campaigns import safety
from campaigns.model import Campaign, Mention, SafetySettings, Tracker, iso_utc

START = datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.fixture
def campaign(store):
    return store.save_campaign(Campaign(
        slug="council", name="Council", starts_at="2026-03-01",
        trackers=[Tracker("hashtag", "RespectOurCouncillors", "ours"), Tracker("account", "cllr_khan", "protect"),
                  Tracker("account", "cllr_reid", "protect")],
        safety=SafetySettings(pile_on_authors=5, pile_on_minutes=60)))


def abusive(store, minutes_after: list[float], authors: list[str], account="cllr_khan", first_id=1):
    """Offensive replies to the account from these authors, at these minutes after START."""
    store.upsert_mentions([
        Mention(platform="x", native_id=str(first_id + i), created_at=iso_utc(START + timedelta(minutes=m)),
                text=f"@{account} you are a pathetic disgrace, resign", author_key=author, sentiment=-0.8, abuse=0.93)
        for i, (m, author) in enumerate(zip(minutes_after, authors, strict=True))])


def alerts(store, campaign):
    return store.safety.pile_on_alerts(campaign.id)


def test_five_authors_within_the_hour_raise_one_alert(store, campaign):
    abusive(store, [0, 10, 25, 40, 60], ["a", "b", "c", "d", "e"])
    found = safety.check_pile_ons(store, campaign, everything=True)
    assert len(found) == 1 and found[0]["author_count"] == 5 and found[0]["mentions"] == 5
    shown = alerts(store, campaign)
    assert len(shown) == 1
    assert shown.iloc[0]["account"] == "@cllr_khan" and shown.iloc[0]["authors"] == 5
    detail = json.loads(store.conn.execute("SELECT detail FROM alerts").fetchone()[0])
    assert detail["authors"] == ["a", "b", "c", "d", "e"]
    assert (detail["first"], detail["last"]) == ("2026-03-02T12:00:00Z", "2026-03-02T13:00:00Z")
    # On the Overview too, until acknowledged.
    assert store.reads.open_alerts(campaign.id)["kind"].tolist() == ["pile_on"]


def test_just_under_the_rule_raises_none(store, campaign):
    # Five authors, but a minute more than the window holds; and four authors within it.
    abusive(store, [0, 10, 25, 40, 61], ["a", "b", "c", "d", "e"])
    abusive(store, [300, 301, 302, 303, 304, 305], ["f", "g", "h", "i", "f", "g"], first_id=100)
    assert safety.check_pile_ons(store, campaign, everything=True) == []
    assert alerts(store, campaign).empty


def test_posts_that_are_not_offensive_are_no_pile_on(store, campaign):
    store.upsert_mentions([
        Mention(platform="x", native_id=str(i), created_at=iso_utc(START + timedelta(minutes=i)),
                text="@cllr_khan thank you for the surgery today", author_key=f"fan{i}", sentiment=0.6, abuse=0.01)
        for i in range(20)])
    assert safety.check_pile_ons(store, campaign, everything=True) == []


def test_a_long_episode_is_one_alert_and_checking_again_adds_none(store, campaign):
    # Six hours of abuse from a rotating crowd: every hour holds five or more authors.
    minutes = [i * 8 for i in range(46)]
    abusive(store, minutes, [f"troll{i % 9}" for i in range(46)])
    safety.check_pile_ons(store, campaign, everything=True)
    safety.check_pile_ons(store, campaign, everything=True)
    shown = alerts(store, campaign)
    assert len(shown) == 1
    assert (shown.iloc[0]["mentions"], shown.iloc[0]["authors"]) == (46, 9)
    assert store.count("alerts") == 1


def test_an_episode_that_grows_between_checks_stays_one_alert(store, campaign):
    abusive(store, [0, 5, 10, 15, 20], ["a", "b", "c", "d", "e"])
    safety.check_pile_ons(store, campaign, everything=True)
    abusive(store, [30, 45, 70], ["f", "g", "a"], first_id=50)
    grown = safety.check_pile_ons(store, campaign, everything=True)
    assert len(grown) == 1 and grown[0]["mentions"] == 8 and grown[0]["author_count"] == 7
    assert store.count("alerts") == 1


def test_a_second_episode_after_a_quiet_gap_raises_a_second_alert(store, campaign):
    abusive(store, [0, 10, 20, 30, 40], ["a", "b", "c", "d", "e"])
    abusive(store, [200, 210, 220, 230, 240], ["v", "w", "x", "y", "z"], first_id=100)
    safety.check_pile_ons(store, campaign, everything=True)
    shown = alerts(store, campaign).sort_values("first")
    assert len(shown) == 2
    assert shown["first"].tolist() == ["2026-03-02T12:00:00Z", "2026-03-02T15:20:00Z"]


def test_each_account_has_its_own_episodes(store, campaign):
    abusive(store, [0, 10, 20, 30, 40], ["a", "b", "c", "d", "e"])
    abusive(store, [0, 10, 20, 30, 40], ["a", "b", "c", "d", "e"], account="cllr_reid", first_id=100)
    safety.check_pile_ons(store, campaign, everything=True)
    assert sorted(alerts(store, campaign)["account"]) == ["@cllr_khan", "@cllr_reid"]


def test_acknowledged_alerts_leave_the_open_list_and_the_act_is_recorded(store, campaign):
    abusive(store, [0, 10, 20, 30, 40], ["a", "b", "c", "d", "e"])
    safety.check_pile_ons(store, campaign, everything=True)
    alert_id = int(alerts(store, campaign).iloc[0]["id"])
    store.safety.acknowledge(alert_id, "Sam (safety lead)")
    assert alerts(store, campaign).empty and store.reads.open_alerts(campaign.id).empty
    assert store.safety.audit_view(campaign.id)[["who", "what"]].values.tolist() == [
        ["Sam (safety lead)", "acknowledge alert"]]
    # The episode goes on: its alert grows but stays acknowledged, so it does not return.
    abusive(store, [50], ["f"], first_id=60)
    safety.check_pile_ons(store, campaign, everything=True)
    assert store.count("alerts") == 1 and alerts(store, campaign).empty


def test_a_reviewer_clearing_the_posts_means_no_pile_on(store, campaign):
    abusive(store, [0, 10, 20, 30, 40], ["a", "b", "c", "d", "e"])
    store.correct("x:1", campaign.id, "verdict", "not abusive", "Sam")
    assert safety.check_pile_ons(store, campaign, everything=True) == []


def test_the_rule_is_set_per_campaign(store, campaign):
    abusive(store, [0, 10, 20], ["a", "b", "c"])
    assert safety.check_pile_ons(store, campaign, everything=True) == []
    store.safety.set_settings("council", "Sam", pile_on_authors=3, pile_on_minutes=30)
    assert len(safety.check_pile_ons(store, store.campaign("council"), everything=True)) == 1


def test_pile_on_episodes_rule_directly():
    rows = [(7, iso_utc(START + timedelta(minutes=m)), author, f"x:{i}")
            for i, (m, author) in enumerate([(0, "a"), (1, "a"), (2, "b"), (3, "c")])]
    assert safety.pile_on_episodes(rows, authors=3, minutes=10)[0].authors == ["a", "b", "c"]
    assert safety.pile_on_episodes(rows, authors=4, minutes=10) == []
