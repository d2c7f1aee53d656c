"""Each alert kind on constructed data: raised once per episode, never again on a re-check, and not just under its threshold."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alert_data import HOUR, NOW, Posts, campaign

from campaigns import alerts, clock
from campaigns.alert_settings import Rules
from campaigns.alerts import SourceFacts

TOP = NOW.replace(minute=0)   # the current hour's start


@pytest.fixture
def pinned():
    with clock.pinned(NOW):
        yield


def kinds(raised, kind, reason=None):
    return [a for a in raised if a["kind"] == kind and (reason is None or a["figures"].get("reason") == reason)]


def check(store, c, now=NOW, facts=None):
    with clock.pinned(now):
        return alerts.check(store, [store.campaign(c.slug)], facts, now=now)


@pytest.mark.parametrize("side", ["ours", "opposing"])
def test_a_spike_is_one_alert_per_episode_and_nine_posts_are_not_a_spike(store, pinned, side):
    c = campaign(store)
    posts = Posts(store)
    posts.steady(NOW - timedelta(days=9), TOP - 6 * HOUR, 1, side)
    posts.add(TOP - 5 * HOUR, 9, side)
    assert kinds(check(store, c), "spike") == []

    posts.add(TOP - 3 * HOUR, 10, side)
    first = kinds(check(store, c), "spike")
    assert len(first) == 1 and first[0]["figures"]["side"] == side and first[0]["figures"]["peak_mentions"] == 10
    assert check(store, c) == []
    # The next hour spikes too: the same episode, still one alert, its figures brought up to date.
    posts.add(TOP - 2 * HOUR, 30, side)
    assert kinds(check(store, c, NOW + HOUR), "spike") == []
    stored = store.alerts.alert(first[0]["id"])
    assert stored["figures"]["hours"] == 2 and stored["figures"]["peak_mentions"] == 30
    # After a quiet hour, a new episode.
    posts.add(TOP + 1 * HOUR, 40, side)
    second = kinds(check(store, c, NOW + 2 * HOUR), "spike")
    assert len(second) == 1 and second[0]["id"] != first[0]["id"]
    assert len([a for a in store.alerts.list(c.id) if a["kind"] == "spike"]) == 2


def test_no_spike_without_a_week_of_history(store, pinned):
    c = campaign(store)
    Posts(store).add(TOP - 2 * HOUR, 200, "ours")
    assert kinds(check(store, c), "spike") == []


def test_share_of_voice_under_the_threshold_is_one_alert_and_just_above_is_none(store, pinned, tmp_path):
    c = campaign(store)
    posts = Posts(store)
    posts.add(TOP - 2 * HOUR, 51, "ours")
    posts.add(TOP - 2 * HOUR, 49, "opposing")
    assert kinds(check(store, c), "overtaking") == []

    posts.add(TOP - 1 * HOUR, 3, "opposing")   # 51 / 103 = 0.495
    raised = kinds(check(store, c), "overtaking", "share_of_voice")
    assert len(raised) == 1 and raised[0]["figures"]["share_of_voice"] == pytest.approx(51 / 103, abs=1e-4)
    for later in (NOW + HOUR, NOW + 5 * HOUR):
        assert kinds(check(store, c, later), "overtaking") == []


def test_the_campaigns_own_threshold_is_used(store, pinned):
    c = campaign(store)
    store.alerts.save_rules(c.id, Rules(share_of_voice_below=0.4))
    posts = Posts(store)
    posts.add(TOP - 2 * HOUR, 41, "ours")
    posts.add(TOP - 2 * HOUR, 59, "opposing")
    assert kinds(check(store, c), "overtaking") == []
    posts.add(TOP - 1 * HOUR, 3, "opposing")   # 41 / 103 = 0.398
    assert len(kinds(check(store, c), "overtaking")) == 1


def test_too_few_posts_make_no_share_of_voice_alert(store, pinned):
    c = campaign(store)
    posts = Posts(store)
    posts.add(TOP - 2 * HOUR, 2, "ours")
    posts.add(TOP - 2 * HOUR, 17, "opposing")
    assert kinds(check(store, c), "overtaking") == []


@pytest.mark.parametrize("burst, raised", [(23, 0), (24, 1)])
def test_the_opposing_rate_doubling_against_its_baseline(store, pinned, burst, raised):
    c = campaign(store)
    posts = Posts(store)
    posts.steady(NOW - timedelta(days=10), TOP + HOUR, 1, "opposing")     # 24 a day
    posts.steady(NOW - timedelta(days=10), TOP + HOUR, 3, "ours")         # share stays 0.6 or more
    posts.add(TOP - 3 * HOUR, burst, "opposing")                          # 24 + 24 = twice the baseline
    found = kinds(check(store, c), "overtaking", "opposing_rate")
    assert len(found) == raised
    if raised:
        assert found[0]["figures"]["opposing_24h"] == 48 and found[0]["figures"]["baseline_per_day"] == 24
        assert kinds(check(store, c, NOW + 3 * HOUR), "overtaking") == []


def test_no_rate_alert_before_a_baseline_week_exists(store, pinned):
    c = campaign(store)
    posts = Posts(store)
    posts.steady(NOW - timedelta(days=3), TOP + HOUR, 1, "opposing")
    posts.steady(NOW - timedelta(days=3), TOP + HOUR, 3, "ours")
    posts.add(TOP - 3 * HOUR, 100, "opposing")
    assert kinds(check(store, c), "overtaking", "opposing_rate") == []


@pytest.mark.parametrize("positive, negative, raised", [(18, 2, 0), (17, 3, 1)])
def test_a_drop_in_our_tone(store, pinned, positive, negative, raised):
    c = campaign(store)
    posts = Posts(store)
    posts.steady(NOW - timedelta(days=9), TOP - 30 * HOUR, 2, "ours", sentiment=0.6)   # net +1.00
    posts.add(TOP - 2 * HOUR, positive, "ours", sentiment=0.6)
    posts.add(TOP - 2 * HOUR, negative, "ours", sentiment=-0.6)                       # net +0.80 or +0.70
    found = kinds(check(store, c), "tone_drop")
    assert len(found) == raised
    if raised:
        assert found[0]["figures"]["net_sentiment"] == pytest.approx(0.7)
        assert found[0]["figures"]["baseline_net_sentiment"] == pytest.approx(1.0)
        assert check(store, c, NOW + 2 * HOUR) == []


def runs(store, c, statuses, start, error="HTTP 502 from the instance"):
    for i, status in enumerate(statuses):
        with clock.pinned(start + timedelta(minutes=15 * i)):
            run_id = store.start_run("mastodon", c.id)
            store.finish_run(run_id, status=status, error=error if status == "error" else None)


def test_errors_on_the_last_three_runs_are_one_alert_per_streak(store, pinned):
    c = campaign(store)
    facts = SourceFacts(intervals={"mastodon": 900})
    runs(store, c, ["ok", "error", "stopped", "error"], NOW - 2 * HOUR)   # a stop is not a failure, nor a success
    assert kinds(check(store, c, facts=facts), "source_failing") == []
    runs(store, c, ["error"], NOW - HOUR)
    first = kinds(check(store, c, facts=facts), "source_failing", "errors")
    assert len(first) == 1 and first[0]["figures"]["failed_runs"] == 3
    runs(store, c, ["error"], NOW - 30 * timedelta(minutes=1))
    assert check(store, c, facts=facts) == []
    runs(store, c, ["ok", "error", "error", "error"], NOW - 20 * timedelta(minutes=1))
    assert len(kinds(check(store, c, NOW + HOUR, facts), "source_failing", "errors")) == 1


def test_a_refused_credential_is_an_alert_at_once(store, pinned):
    c = campaign(store)
    facts = SourceFacts(intervals={"mastodon": 900}, credential_refused=lambda e: "refused" in e)
    runs(store, c, ["ok", "error"], NOW - HOUR, error="Mastodon refused the access token (GROUNDSWELL_MASTODON_ACCESS_TOKEN)")
    found = kinds(check(store, c, facts=facts), "source_failing", "credential")
    assert len(found) == 1 and "refused the access token" in found[0]["detail"]
    runs(store, c, ["error"], NOW - 10 * timedelta(minutes=1), error="Mastodon refused the access token")
    assert check(store, c, facts=facts) == []


@pytest.mark.parametrize("used, raised", [(899, 0), (900, 1)])
def test_a_post_budget_nearly_spent(store, pinned, used, raised):
    c = campaign(store)
    facts = SourceFacts(intervals={"x": 3600}, budgets={"x": (used, 1000)})
    assert len(kinds(check(store, c, facts=facts), "source_failing", "budget")) == raised
    assert kinds(check(store, c, NOW + HOUR, facts), "source_failing", "budget") == []


def test_no_run_for_three_intervals_means_the_scheduler_is_not_running(store, pinned):
    c = campaign(store)
    facts = SourceFacts(intervals={"mastodon": 900, "rss": 3600}, scheduler_used=True)
    runs(store, c, ["ok"], NOW - timedelta(minutes=44))
    with clock.pinned(NOW - timedelta(hours=2)):
        store.finish_run(store.start_run("rss", c.id), status="ok")
    assert kinds(check(store, c, facts=facts), "source_failing") == []
    # Mastodon alone is late: that source has stopped.
    late = kinds(check(store, c, NOW + timedelta(minutes=2), facts), "source_failing")
    assert [a["figures"]["reason"] for a in late] == ["stalled"] and late[0]["figures"]["source"] == "mastodon"
    # Both late: the scheduler itself; one alert however often it is checked.
    whole = kinds(check(store, c, NOW + timedelta(hours=2), facts), "source_failing", "scheduler")
    assert len(whole) == 1
    assert kinds(check(store, c, NOW + timedelta(hours=3), facts), "source_failing", "scheduler") == []
    # Without a scheduler in use (collect from cron), nobody expects runs on intervals.
    facts.scheduler_used = False
    assert kinds(check(store, c, NOW + timedelta(hours=9), facts), "source_failing") == []


@pytest.mark.parametrize("posted, raised", [(99, 0), (100, 1)])
def test_a_goal_reached_is_one_alert(store, pinned, posted, raised):
    c = campaign(store, goal_mentions=100)
    posts = Posts(store)
    posts.add(TOP - 5 * HOUR, posted, "ours")
    posts.add(TOP - 5 * HOUR, 50, "opposing")   # the other side never counts toward our goal
    found = kinds(check(store, c), "goal_reached")
    assert len(found) == raised
    posts.add(TOP - HOUR, 20, "ours")
    assert len(kinds(check(store, c, NOW + HOUR), "goal_reached")) == 1 - raised


def test_paused_and_demo_campaigns(store, pinned):
    paused = campaign(store, slug="paused", status="paused")
    facts = SourceFacts(intervals={"x": 3600}, budgets={"x": (1000, 1000)})
    assert alerts.check(store, [store.campaign(paused.slug)], facts, now=NOW) == []
