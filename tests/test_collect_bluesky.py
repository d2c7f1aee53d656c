"""Bluesky collector through atproto against a local XRPC server serving recorded searchPosts pages."""

from __future__ import annotations

import json
import time

import pytest
from fake_api import FakeAPI, fixture_json

from campaigns.model import Campaign, Tracker
from collectors.bluesky import BlueskyCollector, build_queries, map_posts
from collectors.runner import run_source

SEARCH = "/xrpc/app.bsky.feed.searchPosts"
PROFILES = "/xrpc/app.bsky.actor.getProfiles"
SESSION = "/xrpc/com.atproto.server.createSession"
PAGES = {None: "search_page1.json", "25": "search_page2.json", "50": "search_page3.json"}


def search(request, newer=False):
    if "since" in request["query"]:
        return 200, {}, fixture_json("bluesky", "search_newer.json" if newer else "search_page3.json")
    return 200, {"ratelimit-limit": "3000", "ratelimit-remaining": "2999"}, \
        fixture_json("bluesky", PAGES[request["query"].get("cursor")])


def profiles(request):
    wanted = set(request["query_all"]["actors"])
    return 200, {}, {"profiles": [p for p in fixture_json("bluesky", "profiles.json")["profiles"] if p["did"] in wanted]}


def bluesky_api(*search_responses):
    api = FakeAPI()
    api.route("POST", SESSION, (200, {}, fixture_json("bluesky", "create_session.json")))
    api.route("GET", SEARCH, *(search_responses or (search,)))
    api.route("GET", PROFILES, profiles)
    return api


@pytest.fixture
def campaign(store):
    return store.save_campaign(Campaign(slug="climate", name="Climate", starts_at="2026-11-01",
                                        trackers=[Tracker("hashtag", "ClimateStrike", "ours")]))


def collect(store, settings, campaign, url, sleeps=None):
    settings.bluesky_handle, settings.bluesky_app_password = "organiser.bsky.social", "<APP_PASSWORD>"
    settings.bluesky_service = url
    collector = BlueskyCollector(settings, store, sleep=(sleeps.append if sleeps is not None else None))
    return run_source(store, settings, "bluesky", campaign, collector=collector)


def test_queries_one_per_tracker():
    campaign = Campaign(slug="c", name="c", starts_at="2026-01-01", trackers=[
        Tracker("hashtag", "ClimateStrike", "ours"), Tracker("keyword", "climate justice", "ours"),
        Tracker("keyword", "walkout", "monitor"), Tracker("account", "cityhall.bsky.social", "protect")])
    assert build_queries(campaign) == ["#ClimateStrike", '"climate justice"', "walkout",
                                       "mentions:cityhall.bsky.social"]


def test_pages_with_the_cursor_and_fills_followers_from_get_profiles_once(store, settings, campaign):
    with bluesky_api() as api:
        result = collect(store, settings, campaign, api.url)
        assert result.status == "ok", result.errors
        assert (result.fetched, result.new) == (60, 60)
        assert [r["query"].get("cursor") for r in api.hits(SEARCH)] == [None, "25", "50"]
        assert api.hits(SEARCH)[0]["query"]["sort"] == "latest"
        assert len(api.hits(PROFILES)) == 1  # six authors, asked once, then cached
    post = fixture_json("bluesky", "search_page1.json")["posts"][0]
    row = store.mention("bluesky:" + post["uri"][5:])
    assert row["author_followers"] == 1000 * (260 % 6) + 7
    assert (row["likes"], row["reposts"], row["replies"], row["quotes"]) == (0, 0, 2, 0)
    assert row["url"] == "https://bsky.app/profile/person2.bsky.social/post/3lc00260xyz2k"


def test_second_run_asks_since_the_newest_post_and_uses_cached_profiles(store, settings, campaign):
    with bluesky_api() as api:
        collect(store, settings, campaign, api.url)
        api.route("GET", SEARCH, lambda r: search(r, newer=True))
        result = collect(store, settings, campaign, api.url)
        assert (result.fetched, result.new) == (2, 2)
        assert api.hits(SEARCH)[-1]["query"]["since"] == "2026-11-20T11:20:00Z"
        assert len(api.hits(PROFILES)) == 1


def test_429_waits_until_ratelimit_reset(store, settings, campaign):
    reset = str(int(time.time()) + 20)
    with bluesky_api((429, {"ratelimit-reset": reset, "ratelimit-remaining": "0"},
                      {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}), search) as api:
        sleeps = []
        result = collect(store, settings, campaign, api.url, sleeps)
    assert result.status == "ok" and result.new == 60
    assert 15 <= sleeps[0] <= 22


def test_500_then_success(store, settings, campaign):
    with bluesky_api((500, {}, {"error": "InternalServerError"}), search) as api:
        sleeps = []
        result = collect(store, settings, campaign, api.url, sleeps)
    assert result.status == "ok" and sleeps == [2]


def test_malformed_body(store, settings, campaign):
    with bluesky_api((200, {}, {"posts": [{"uri": "at://x", "record": "not a record"}]})) as api:
        result = collect(store, settings, campaign, api.url)
    assert result.status == "error", result.errors
    assert "unexpected shape" in result.errors[0] or "searchPosts" in result.errors[0]


def test_wrong_app_password_is_one_line(store, settings, campaign):
    api = bluesky_api()
    api.route("POST", SESSION, (401, {}, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}))
    with api:
        result = collect(store, settings, campaign, api.url)
    assert result.status == "error" and result.errors[0].startswith("Bluesky refused the handle or app password")


def test_missing_credentials_name_the_variables(store, settings, campaign):
    assert run_source(store, settings, "bluesky", campaign).skipped == \
        "GROUNDSWELL_BLUESKY_HANDLE, GROUNDSWELL_BLUESKY_APP_PASSWORD"


@pytest.mark.realworld
def test_recorded_post_view_maps_with_its_counts(realworld, store):
    document = json.loads((realworld / "atproto" / "thread_view_post_with_embed_media.json").read_text())
    mentions = map_posts(document)
    store.upsert_mentions(mentions)
    post = document["thread"]["post"]
    row = store.mention("bluesky:" + post["uri"][5:])
    assert store.count("mentions") == 1
    assert (row["likes"], row["reposts"], row["replies"], row["quotes"]) == (
        post.get("likeCount"), post.get("repostCount"), post.get("replyCount"), post.get("quoteCount"))
    assert row["created_at"] == "2023-09-28T12:49:36Z" and row["lang"] == "en"
