"""Reddit collector through praw against recorded listings served by `responses`: paging, cursor, faults."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from fake_api import fixture_json

from campaigns.model import Campaign, Tracker
from collectors.reddit import RedditCollector, build_queries, map_listing
from collectors.runner import run_source

TOKEN = "https://www.reddit.com/api/v1/access_token"
SEARCH = "https://oauth.reddit.com/r/all/search"
PAGES = {None: "search_page1.json", "t3_1q0136": "search_page2.json", "t3_1q0111": "search_page3.json"}


def search_api(request, first="search_page1.json"):
    query = {k: v[0] for k, v in parse_qs(urlparse(request.url).query).items()}
    after = query.get("after")
    name = first if after is None else PAGES[after]
    return 200, {"x-ratelimit-remaining": "99.0", "x-ratelimit-reset": "300", "x-ratelimit-used": "1"}, \
        json.dumps(fixture_json("reddit", name))


@pytest.fixture
def campaign(store):
    return store.save_campaign(Campaign(
        slug="climate", name="Climate", starts_at="2026-11-01", exclude=["giveaway"],
        trackers=[Tracker("keyword", "climate strike", "ours"), Tracker("hashtag", "ClimateStrike", "ours")]))


@pytest.fixture(autouse=True)
def no_real_sleep(monkeypatch):
    slept = []
    monkeypatch.setattr("time.sleep", slept.append)  # prawcore's own retry pauses
    return slept


def collect(store, settings, campaign, sleeps=None):
    settings.reddit_client_id, settings.reddit_client_secret = "<CLIENT_ID>", "<CLIENT_SECRET>"
    settings.reddit_user_agent = "groundswell tests"
    collector = RedditCollector(settings, sleep=(sleeps.append if sleeps is not None else None))
    return run_source(store, settings, "reddit", campaign, collector=collector)


def test_query_quotes_phrases_and_excludes_with_not(campaign):
    assert build_queries(campaign) == ['("climate strike" OR ClimateStrike) NOT giveaway']
    campaign.trackers = [Tracker("keyword", f"long phrase number {n}", "ours") for n in range(40)]
    queries = build_queries(campaign)
    assert len(queries) > 1 and all(len(q) <= 512 for q in queries)


@responses.activate
def test_pages_with_after_and_keeps_subreddit_subscribers_for_reach(store, settings, campaign):
    responses.post(TOKEN, json=fixture_json("reddit", "access_token.json"))
    responses.add_callback(responses.GET, SEARCH, callback=search_api)
    result = collect(store, settings, campaign)
    assert result.status == "ok", result.errors
    assert (result.fetched, result.new) == (60, 60)
    searches = [parse_qs(urlparse(c.request.url).query) for c in responses.calls if "/search" in c.request.url]
    assert [s.get("after") for s in searches] == [None, ["t3_1q0136"], ["t3_1q0111"]]
    assert searches[0]["sort"] == ["new"] and searches[0]["q"] == ['("climate strike" OR ClimateStrike) NOT giveaway']
    row = store.mention("reddit:t3_1q0159")
    assert (row["audience_key"], row["audience_size"], row["author_followers"]) == ("r/climate", 120345, None)
    assert (row["likes"], row["replies"], row["engagement"]) == (159 % 11, 159 % 4, 159 % 11 + 159 % 4)


@responses.activate
def test_next_run_stops_at_what_it_already_has(store, settings, campaign):
    responses.post(TOKEN, json=fixture_json("reddit", "access_token.json"))
    responses.add_callback(responses.GET, SEARCH, callback=search_api)
    collect(store, settings, campaign)
    responses.reset()
    responses.post(TOKEN, json=fixture_json("reddit", "access_token.json"))
    responses.add_callback(responses.GET, SEARCH, callback=lambda r: search_api(r, "search_newer.json"))
    result = collect(store, settings, campaign)
    assert (result.fetched, result.new) == (2, 2)
    assert len([c for c in responses.calls if "/search" in c.request.url]) == 1


@responses.activate
def test_429_waits_then_continues(store, settings, campaign):
    responses.post(TOKEN, json=fixture_json("reddit", "access_token.json"))
    responses.get(SEARCH, status=429, headers={"x-ratelimit-reset": "42", "x-ratelimit-remaining": "0", "x-ratelimit-used": "100"}, body="")
    responses.add_callback(responses.GET, SEARCH, callback=search_api)
    sleeps = []
    result = collect(store, settings, campaign, sleeps)
    assert result.status == "ok" and result.new == 60
    assert 42 <= sleeps[0] <= 45


@responses.activate
def test_500_then_success(store, settings, campaign, no_real_sleep):
    responses.post(TOKEN, json=fixture_json("reddit", "access_token.json"))
    responses.get(SEARCH, status=500, body="")
    responses.add_callback(responses.GET, SEARCH, callback=search_api)
    result = collect(store, settings, campaign, [])
    assert result.status == "ok" and result.new == 60


@responses.activate
def test_malformed_body(store, settings, campaign):
    responses.post(TOKEN, json=fixture_json("reddit", "access_token.json"))
    responses.get(SEARCH, json={"kind": "Listing", "data": {"children": {"kind": "t3"}}})
    result = collect(store, settings, campaign)
    assert result.status == "error" and "not a Reddit search listing" in result.errors[0]


@responses.activate
def test_a_post_that_cannot_be_read_is_quarantined_not_fatal(store, settings, campaign):
    responses.post(TOKEN, json=fixture_json("reddit", "access_token.json"))
    responses.get(SEARCH, json={"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {"title": "x"}}]}})
    result = collect(store, settings, campaign)
    assert result.status == "partial" and result.quarantined == 1
    total, rows = store.quarantined()
    assert total == 1 and rows[0]["field"] == "id" and rows[0]["source"] == "reddit"


@responses.activate
def test_wrong_credentials_are_one_clear_line(store, settings, campaign):
    responses.post(TOKEN, status=401, json={"message": "Unauthorized", "error": 401})
    result = collect(store, settings, campaign)
    assert result.status == "error" and "Reddit refused the app credentials" in result.errors[0]


def test_missing_credentials_name_the_variables(store, settings, campaign):
    result = run_source(store, settings, "reddit", campaign)
    assert result.skipped == ("GROUNDSWELL_REDDIT_CLIENT_ID, GROUNDSWELL_REDDIT_CLIENT_SECRET, "
                              "GROUNDSWELL_REDDIT_USER_AGENT")


@pytest.mark.realworld
def test_recorded_praw_listings_map_every_submission_and_comment(realworld, store):
    expected = {}
    for name in ("TestSubreddit.test_search.json", "TestSubmission.test_hide_multiple_in_batches.json",
                 "TestSubredditStreams.test_submissions.json", "TestSubredditStreams.test_comments__with_pause.json"):
        cassette = json.loads((realworld / "praw" / name).read_text())
        for interaction in cassette["interactions"]:
            if interaction["request"]["method"] != "GET":
                continue
            body = json.loads(interaction["response"]["body"]["string"] or "null")
            if not isinstance(body, dict) or body.get("kind") != "Listing":
                continue
            store.upsert_mentions(map_listing(body))
            for child in body["data"]["children"]:
                expected[child["data"]["name"]] = child["data"]
    assert len(expected) >= 6 + 100 + 100 + 17  # distinct posts and comments across the recordings
    assert store.count("mentions") == len(expected)
    for name, item in expected.items():
        row = store.mention(f"reddit:{name}")
        assert row["likes"] == item["score"]
        # A comment's num_comments is its thread's: never its own replies.
        assert row["replies"] == (None if name.startswith("t1_") else item.get("num_comments"))
        # Comment listings carry no permalink: the address is built from the thread and the id.
        if name.startswith("t1_"):
            assert row["url"] == f"{item['link_permalink'].rstrip('/')}/{item['id']}/"
        else:
            assert row["url"] == f"https://www.reddit.com{item['permalink']}"
        assert row["audience_size"] == item.get("subreddit_subscribers")
