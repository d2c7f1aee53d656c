"""Mastodon collector against a local instance serving recorded timelines: paging, cursors, faults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fake_api import fixture_json
from mastodon_server import TAG_PATH, mastodon_api, recorded_statuses

from campaigns.model import Campaign, Tracker
from collectors import mastodon
from collectors.runner import run_source


@pytest.fixture
def campaign(store):
    return store.save_campaign(Campaign(
        slug="climate", name="Climate", starts_at="2026-11-01",
        trackers=[Tracker("hashtag", "ClimateStrike", "ours"), Tracker("keyword", "climate justice", "ours")]))


def collect(store, settings, campaign, url, sleeps=None):
    settings.mastodon_instances = [url]
    collector = mastodon.MastodonCollector(settings, sleep=(sleeps.append if sleeps is not None else None))
    return run_source(store, settings, "mastodon", campaign, collector=collector)


def test_pages_through_the_timeline_and_stores_every_status_once(store, settings, campaign):
    api, _ = mastodon_api()
    with api:
        result = collect(store, settings, campaign, api.url)
    assert result.status == "ok", result.errors
    assert (result.fetched, result.new) == (86, 85)  # 85 statuses + the original a reblog carries
    pages = api.hits(TAG_PATH)
    assert [p["query"].get("max_id") for p in pages] == [None, recorded_statuses()[39]["id"],
                                                          recorded_statuses()[79]["id"]]
    assert store.count("mentions") == 85
    assert store.cursor("mastodon", f"{api.url[7:]}#climatestrike")["since_id"] == recorded_statuses()[0]["id"]
    assert any("not collectable" in note for note in result.notes)


def test_maps_counts_authors_and_reblogs(store, settings, campaign):
    api, _ = mastodon_api()
    with api:
        collect(store, settings, campaign, api.url)
    status = recorded_statuses()[10]
    row = store.mention("mastodon:" + status["uri"].split("://", 1)[1])
    assert (row["likes"], row["reposts"], row["replies"]) == (
        status["favourites_count"], status["reblogs_count"], status["replies_count"])
    assert row["engagement"] == status["favourites_count"] + status["reblogs_count"] + status["replies_count"]
    assert row["author_followers"] == status["account"]["followers_count"]
    assert row["text"].startswith("Post 75 about #ClimateStrike & friends")
    reblog = next(s for s in recorded_statuses() if s["reblog"])
    stored = store.mention("mastodon:" + reblog["uri"].split("://", 1)[1])
    assert stored["is_repost"] == 1 and stored["engagement"] == 0
    assert stored["reposted_uid"] == "mastodon:" + reblog["reblog"]["uri"].split("://", 1)[1]


def test_second_run_asks_only_for_newer_statuses(store, settings, campaign):
    api, timeline = mastodon_api()
    with api:
        collect(store, settings, campaign, api.url)
        newest = recorded_statuses()[0]["id"]
        timeline.statuses = fixture_json("mastodon", "tag_newer.json") + timeline.statuses
        result = collect(store, settings, campaign, api.url)
    assert (result.fetched, result.new, result.updated) == (2, 2, 0)
    assert api.hits(TAG_PATH)[-1]["query"]["since_id"] == newest
    assert store.count("mentions") == 87


def test_rate_limit_waits_for_the_announced_reset_then_continues(store, settings, campaign):
    api, timeline = mastodon_api()
    reset = (datetime.now(UTC) + timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    api.route("GET", TAG_PATH, (429, {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                                      "X-RateLimit-Reset": reset}, {"error": "Too many requests"}), timeline)
    sleeps = []
    with api:
        result = collect(store, settings, campaign, api.url, sleeps)
    assert result.status == "ok" and result.new == 85
    assert len(sleeps) == 1 and 20 <= sleeps[0] <= 40


def test_rate_limit_beyond_the_bound_stops_the_source_and_says_until_when(store, settings, campaign):
    api, timeline = mastodon_api()
    reset = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    api.route("GET", TAG_PATH, (429, {"X-RateLimit-Reset": reset}, {"error": "Too many requests"}))
    with api:
        result = collect(store, settings, campaign, api.url, [])
    assert result.status == "rate_limited"
    assert store.source_states()["mastodon"]["rate_limited_until"][:13] == reset[:13]


def test_server_error_is_retried_with_backoff(store, settings, campaign):
    api, timeline = mastodon_api()
    api.route("GET", TAG_PATH, (500, {}, {"error": "boom"}), (502, {}, "bad gateway"), timeline)
    sleeps = []
    with api:
        result = collect(store, settings, campaign, api.url, sleeps)
    assert result.status == "ok" and result.new == 85
    assert sleeps == [2, 4]


def test_malformed_body_is_an_error_on_the_run_and_other_queries_go_on(store, settings, campaign):
    campaign.trackers.append(Tracker("hashtag", "FridaysForFuture", "ours"))
    campaign = store.save_campaign(campaign)
    api, timeline = mastodon_api()
    api.route("GET", "/api/v1/timelines/tag/fridaysforfuture", (200, {"Content-Type": "application/json"},
                                                                "<html>maintenance</html>"))
    with api:
        result = collect(store, settings, campaign, api.url)
    assert result.status == "partial"
    assert any("fridaysforfuture" in e and "not JSON" in e for e in result.errors)
    assert store.count("mentions") == 85
    run = store.db.conn.execute("SELECT status, error, new FROM collection_runs").fetchone()
    assert run[0] == "partial" and "not JSON" in run[1] and run[2] == 85


def test_no_instances_configured_is_skipped_naming_the_variable(store, settings, campaign):
    settings.mastodon_instances = []
    result = run_source(store, settings, "mastodon", campaign)
    assert result.skipped == "GROUNDSWELL_MASTODON_INSTANCES"
    assert store.count("collection_runs") == 0


def test_a_run_that_fails_after_two_pages_keeps_them_and_the_rerun_stores_the_rest(store, settings, campaign):
    api, timeline = mastodon_api()
    third_page_fails = (500, {}, {"error": "down"})
    api.route("GET", TAG_PATH, timeline, timeline, *[third_page_fails] * 5, timeline)
    with api:
        first = collect(store, settings, campaign, api.url, [])
        # Two pages of 40, plus the original of a reblog on page 2 (itself on page 3).
        assert first.status == "partial" and first.new == 81
        assert store.count("mentions") == 81
        second = collect(store, settings, campaign, api.url, [])
    assert second.status == "ok"
    assert (second.new, second.updated, store.count("mentions")) == (4, 1, 85)
    resumed = api.hits(TAG_PATH)[-2]["query"]
    assert resumed["max_id"] == recorded_statuses()[79]["id"]
    hourly = store.db.conn.execute("SELECT sum(mentions) FROM hourly").fetchone()[0]
    assert hourly == 85


@pytest.mark.realworld
def test_recorded_mastodon_timelines_map_to_what_they_hold(realworld, store, settings):
    import json

    import yaml

    store.save_campaign(Campaign(slug="all", name="All", starts_at="2020-01-01",
                                 trackers=[Tracker("hashtag", "hoot", "ours")]))
    expected = {}
    for name in ("test_fetch_remaining.yaml", "test_hashtag_tl.yaml", "test_public_tl_anonymous.yaml"):
        cassette = yaml.safe_load((realworld / "mastodon" / name).read_text())
        for interaction in cassette["interactions"]:
            request, response = interaction["request"], interaction["response"]
            if request["method"] != "GET" or "/timelines/" not in request["uri"]:
                continue
            statuses = json.loads(response["body"]["string"])
            mentions = mastodon.map_statuses(statuses)
            for status in statuses:
                expected[status["uri"].split("://", 1)[1]] = status
            from collectors.enrich import enrich
            store.upsert_mentions(enrich(mentions, settings))
    assert len(expected) >= 30
    assert store.count("mentions") == len(expected)
    for native_id, status in expected.items():
        row = store.mention("mastodon:" + native_id)
        assert (row["likes"], row["reposts"], row["replies"]) == (
            status["favourites_count"], status["reblogs_count"], status["replies_count"])
        assert row["author_followers"] == status["account"]["followers_count"]
        assert row["created_at"] == status["created_at"][:19] + "Z"


@pytest.mark.realworld
def test_recorded_reblog_maps_to_a_repost_of_the_original_with_its_latest_counts(realworld, store):
    import json

    import yaml

    cassette = yaml.safe_load((realworld / "mastodon" / "test_status_reblog_unreblog.yaml").read_text())
    seen = []
    for interaction in cassette["interactions"]:
        status = json.loads(interaction["response"]["body"]["string"])
        mentions = mastodon.map_statuses([status])
        store.upsert_mentions(mentions)
        seen.append(status)
    original, reblog, last = seen[0], seen[1], seen[-1]
    assert store.count("mentions") == 2
    stored = store.mention("mastodon:" + reblog["uri"].split("://", 1)[1])
    assert stored["is_repost"] == 1 and stored["engagement"] == 0
    assert stored["reposted_uid"] == "mastodon:" + original["uri"].split("://", 1)[1]
    kept = store.mention("mastodon:" + original["uri"].split("://", 1)[1])
    assert kept["reposts"] == last["reblogs_count"] and kept["likes"] == last["favourites_count"]


def test_keyword_trackers_use_search_with_an_access_token(store, settings, campaign):
    api, _ = mastodon_api()
    found = [s for s in recorded_statuses()[:5]]
    api.route("GET", "/api/v2/search", (200, {}, {"accounts": [], "hashtags": [], "statuses": found}))
    settings.mastodon_access_token = "<ACCESS_TOKEN>"
    with api:
        result = collect(store, settings, campaign, api.url)
        searches = api.hits("/api/v2/search")
    assert result.status == "ok", result.errors
    assert searches[0]["query"]["q"] == "climate justice" and searches[0]["query"]["type"] == "statuses"
    assert searches[0]["headers"]["Authorization"] == "Bearer <ACCESS_TOKEN>"
    assert not result.notes


def test_an_instance_that_refuses_search_is_an_error_on_the_run_not_a_crash(store, settings, campaign):
    api, _ = mastodon_api()
    api.route("GET", "/api/v2/search", (401, {}, {"error": "The access token is invalid"}))
    settings.mastodon_access_token = "<EXPIRED_TOKEN>"
    with api:
        result = collect(store, settings, campaign, api.url)
    assert result.status == "error"
    assert "Mastodon refused the access token" in result.errors[0]


def test_the_pass_stops_at_the_campaign_start_but_keeps_an_old_original_a_reblog_carries(store, settings):
    statuses = recorded_statuses()
    # The campaign starts between the first and the second page; page 1 reblogs an older post.
    start = statuses[45]["created_at"][:19] + "Z"
    campaign = store.save_campaign(Campaign(slug="late", name="Late", starts_at=start,
                                            trackers=[Tracker("hashtag", "ClimateStrike", "ours")]))
    api, _ = mastodon_api()
    with api:
        result = collect(store, settings, campaign, api.url)
        assert len(api.hits(TAG_PATH)) == 2
    assert result.status == "ok"
    reblogged = next(s for s in statuses if s["reblog"])["reblog"]
    assert store.mention("mastodon:" + reblogged["uri"].split("://", 1)[1]) is not None
    assert store.count("mentions") == 40 + 6 + 1  # page 1, page 2 down to the start, the old original
