"""X collector against recorded v2 search pages served through `responses`: queries, paging, budget, faults."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from fake_api import fixture_json

from campaigns.model import Campaign, Tracker
from collectors.runner import run_source
from collectors.x import MAX_QUERY, XCollector, build_queries

SEARCH = "https://api.twitter.com/2/tweets/search/recent"
PAGES = {None: "search_page1.json", "b26v89c19zqg8o3fpdv5h0jf3cy2": "search_page2.json",
         "b26v89c19zqg8o3fpdv5h0jf3cy3": "search_page3.json"}


def search_api(request, newer=False):
    """Answer like X: next_token pages; since_id returns only newer posts."""
    query = {k: v[0] for k, v in parse_qs(urlparse(request.url).query).items()}
    headers = {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "449",
               "x-rate-limit-reset": str(int(time.time()) + 900)}
    if "since_id" in query:
        body = fixture_json("x", "search_newer.json") if newer else fixture_json("x", "search_empty.json")
    else:
        body = fixture_json("x", PAGES[query.get("pagination_token") or query.get("next_token")])
    return 200, headers, json.dumps(body)


@pytest.fixture
def campaign(store):
    return store.save_campaign(Campaign(
        slug="climate", name="Climate", starts_at="2026-11-01", exclude=["giveaway", "free stuff"],
        trackers=[Tracker("hashtag", "ClimateStrike", "ours"), Tracker("keyword", "climate justice", "ours"),
                  Tracker("account", "cityhall", "protect")]))


def collect(store, settings, campaign, sleeps=None):
    settings.x_bearer_token = "<BEARER_TOKEN>"
    collector = XCollector(settings, store, sleep=(sleeps.append if sleeps is not None else None))
    return run_source(store, settings, "x", campaign, collector=collector)


def test_query_has_phrases_accounts_and_exclusions(campaign):
    assert build_queries(campaign) == [
        '(#ClimateStrike OR "climate justice" OR (@cityhall OR from:cityhall)) -giveaway -"free stuff"']
    assert build_queries(campaign, lang="en")[0].endswith(" lang:en")


@responses.activate
def test_the_language_setting_reaches_the_query(store, settings, campaign):
    responses.add_callback(responses.GET, SEARCH, callback=search_api)
    settings.x_lang = "cy"
    collect(store, settings, campaign)
    assert parse_qs(urlparse(responses.calls[0].request.url).query)["query"][0].endswith(" lang:cy")


def test_long_tracker_lists_are_split_below_512_characters(campaign):
    campaign.trackers = [Tracker("hashtag", f"LongCampaignTag{n:03d}", "ours") for n in range(80)]
    queries = build_queries(campaign)
    assert len(queries) > 1
    assert all(len(q) <= MAX_QUERY and q.endswith('-giveaway -"free stuff"') for q in queries)
    found = [t for q in queries for t in q.split(" -")[0].strip("()").split(" OR ")]
    assert found == [f"#LongCampaignTag{n:03d}" for n in range(80)]


@responses.activate
def test_pages_through_next_tokens_and_counts_posts_against_the_budget(store, settings, campaign):
    responses.add_callback(responses.GET, SEARCH, callback=search_api)
    result = collect(store, settings, campaign)
    assert result.status == "ok", result.errors
    assert (result.fetched, result.new) == (31, 31)  # 30 posts + the original of one retweet
    sent = [parse_qs(urlparse(call.request.url).query) for call in responses.calls]
    assert "next_token" not in sent[0] and sent[1]["next_token"] == ["b26v89c19zqg8o3fpdv5h0jf3cy2"]
    assert sent[0]["expansions"] == ["author_id,referenced_tweets.id,referenced_tweets.id.author_id"]
    assert store.source_usage("x") == 31
    row = store.mention("x:1860000000000000125")
    assert (row["author_followers"], row["impressions"], row["likes"]) == (1, 165, 6)
    retweet = store.mention("x:1860000000000000130")
    assert retweet["is_repost"] == 1 and retweet["reposted_uid"] == "x:1860000000000000005"


@responses.activate
def test_since_id_is_kept_per_query_and_the_next_run_asks_for_newer_posts(store, settings, campaign):
    responses.add_callback(responses.GET, SEARCH, callback=search_api)
    collect(store, settings, campaign)
    responses.reset()
    responses.add_callback(responses.GET, SEARCH, callback=lambda r: search_api(r, newer=True))
    result = collect(store, settings, campaign)
    assert (result.fetched, result.new) == (2, 2)
    last = parse_qs(urlparse(responses.calls[-1].request.url).query)
    assert last["since_id"] == ["1860000000000000130"]


@responses.activate
def test_budget_stops_collection_before_it_is_passed(store, settings, campaign):
    responses.add_callback(responses.GET, SEARCH, callback=search_api)
    settings.x_monthly_post_budget = 25
    result = collect(store, settings, campaign)
    assert result.status == "partial" and "budget reached" in result.errors[0]
    assert len(responses.calls) == 2  # 11 + 10 read; 4 left is below a page
    assert parse_qs(urlparse(responses.calls[1].request.url).query)["max_results"] == ["14"]
    assert "budget reached" in store.source_states()["x"]["note"]


@responses.activate
def test_429_waits_until_the_announced_reset(store, settings, campaign):
    reset = int(time.time()) + 60
    responses.get(SEARCH, status=429, headers={"x-rate-limit-reset": str(reset), "x-rate-limit-remaining": "0"},
                  json={"title": "Too Many Requests", "status": 429})
    responses.add_callback(responses.GET, SEARCH, callback=search_api)
    sleeps = []
    result = collect(store, settings, campaign, sleeps)
    assert result.status == "ok" and result.new == 31
    assert len(sleeps) == 1 and 55 <= sleeps[0] <= 62


@responses.activate
def test_500_then_success(store, settings, campaign):
    responses.get(SEARCH, status=503, json={"title": "Service Unavailable"})
    responses.add_callback(responses.GET, SEARCH, callback=search_api)
    sleeps = []
    result = collect(store, settings, campaign, sleeps)
    assert result.status == "ok" and sleeps == [2]


@responses.activate
def test_malformed_body_is_an_error_on_the_run(store, settings, campaign):
    responses.get(SEARCH, body="<html>upstream timeout</html>", content_type="text/html")
    result = collect(store, settings, campaign)
    assert result.status == "error" and "not JSON" in result.errors[0]


@responses.activate
def test_wrong_token_is_one_clear_line(store, settings, campaign):
    responses.get(SEARCH, status=401, json={"title": "Unauthorized", "detail": "Unauthorized", "status": 401})
    result = collect(store, settings, campaign)
    assert result.status == "error"
    assert result.errors == ["X refused the bearer token (GROUNDSWELL_X_BEARER_TOKEN): expired, revoked or mistyped"]


def test_missing_token_is_skipped_naming_the_variable(store, settings, campaign):
    settings.x_bearer_token = None
    assert run_source(store, settings, "x", campaign).skipped == "GROUNDSWELL_X_BEARER_TOKEN"


@responses.activate
def test_failure_after_two_pages_keeps_them_and_the_rerun_finishes(store, settings, campaign):
    def third_page_fails(request):
        if "b26v89c19zqg8o3fpdv5h0jf3cy3" in request.url:
            return 500, {}, json.dumps({"title": "Internal Server Error"})
        return search_api(request)

    responses.add_callback(responses.GET, SEARCH, callback=third_page_fails)
    first = collect(store, settings, campaign, [])
    assert first.status == "partial" and store.count("mentions") == 21
    responses.reset()
    responses.add_callback(responses.GET, SEARCH, callback=search_api)
    second = collect(store, settings, campaign, [])
    assert second.status == "ok" and second.new == 10 and store.count("mentions") == 31
    assert store.db.conn.execute("SELECT sum(mentions) FROM hourly").fetchone()[0] == 31


@pytest.mark.realworld
@pytest.mark.parametrize("name", ["test_client_search_recent_tweets.yaml",
                                  "test_asyncclient_search_recent_tweets.yaml"])
def test_recorded_tweepy_search_maps_every_tweet(realworld, store, name):
    import base64
    import gzip

    import yaml

    from collectors.x import map_page

    cassette = yaml.safe_load((realworld / "tweepy" / name).read_text())
    body = cassette["interactions"][0]["response"]["body"]["string"]
    raw = body if isinstance(body, bytes) else body.encode() if body.lstrip().startswith("{") else base64.b64decode(body)
    page = json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
    for tweet in page["data"]:
        tweet.setdefault("created_at", "2022-10-07T00:00:00Z")  # the default fields carry no date
    mentions = map_page(page)
    assert len(mentions) == page["meta"]["result_count"] == 10
    store.upsert_mentions(mentions)
    assert store.count("mentions") == 10
    assert {m.native_id for m in mentions} == {t["id"] for t in page["data"]}
    assert all(m.text == t["text"] for m, t in zip(mentions, page["data"], strict=True))
