"""The refresh job: counts of the last 48 hours' posts are read again and the roll-up moves with them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import responses
from fake_api import FakeAPI, fixture_json

from campaigns.model import Campaign, Tracker
from collectors import mastodon, reddit
from collectors.enrich import enrich
from collectors.refresh import refresh_recent
from collectors.runner import run_source


@pytest.fixture
def campaign(store):
    return store.save_campaign(Campaign(slug="climate", name="Climate", starts_at="2020-01-01",
                                        trackers=[Tracker("hashtag", "ClimateStrike", "ours")]))


def engagement_total(store):
    return store.db.conn.execute("SELECT sum(engagement) FROM hourly").fetchone()[0]


def test_mastodon_statuses_are_reread_from_a_configured_home_server(store, settings, campaign):
    api = FakeAPI()
    host = api.url.removeprefix("http://")
    template = fixture_json("mastodon", "tag_page3.json")[0]
    now = datetime.now(UTC)
    statuses = []
    for n, age in enumerate((timedelta(hours=1), timedelta(hours=5), timedelta(hours=30), timedelta(days=3))):
        local_id = str(114000000000000000 + n)
        statuses.append({**template, "id": local_id, "uri": f"http://{host}/users/ana/statuses/{local_id}",
                         "created_at": (now - age).strftime("%Y-%m-%dT%H:%M:%S.000Z"), "favourites_count": 1,
                         "reblogs_count": 0, "replies_count": 0, "reblog": None})
    api.route("GET", "/api/v1/timelines/tag/climatestrike", (200, {}, statuses))
    for status in statuses:
        api.route("GET", f"/api/v1/statuses/{status['id']}", (200, {}, {**status, "favourites_count": 11}))
    settings.mastodon_instances = [api.url]
    with api:
        run_source(store, settings, "mastodon", campaign, collector=mastodon.MastodonCollector(settings))
        before = engagement_total(store)
        lines = list(refresh_recent(store, settings))
        asked = [r["path"] for r in api.requests if r["path"].startswith("/api/v1/statuses/")]
    assert lines == ["refresh mastodon: ok, 3 of 3 recent post(s) updated"]
    assert sorted(asked) == sorted(f"/api/v1/statuses/{s['id']}" for s in statuses[:3])
    assert engagement_total(store) == before + 30
    assert store.mention(f"mastodon:{host}/users/ana/statuses/{statuses[0]['id']}")["likes"] == 11
    assert store.mention(f"mastodon:{host}/users/ana/statuses/{statuses[3]['id']}")["likes"] == 1
    run = store.db.conn.execute(
        "SELECT status, fetched, updated FROM collection_runs WHERE collector = 'refresh-mastodon'").fetchone()
    assert run == ("ok", 3, 3)


@responses.activate
def test_reddit_counts_are_reread_through_api_info(store, settings, campaign):
    listing = fixture_json("reddit", "search_page3.json")
    now = datetime.now(UTC).timestamp()
    for child in listing["data"]["children"]:
        child["data"]["created_utc"] = now - 3600
        child["data"]["title"] += " #ClimateStrike"
    store.upsert_mentions(enrich(reddit.map_listing(listing), settings))
    before = engagement_total(store)
    for child in listing["data"]["children"]:
        child["data"]["score"] += 100
    responses.post("https://www.reddit.com/api/v1/access_token", json=fixture_json("reddit", "access_token.json"))
    responses.get("https://oauth.reddit.com/api/info", body=json.dumps(listing),
                  headers={"x-ratelimit-remaining": "99", "x-ratelimit-reset": "300", "x-ratelimit-used": "1"})
    settings.reddit_client_id, settings.reddit_client_secret, settings.reddit_user_agent = "<ID>", "<SECRET>", "tests"
    settings.mastodon_instances = []
    lines = list(refresh_recent(store, settings))
    assert lines == ["refresh reddit: ok, 10 of 10 recent post(s) updated"]
    asked = responses.calls[-1].request.url
    assert "t3_1q0110" in asked and "t3_1q0101" in asked
    assert engagement_total(store) == before + 1000
