"""RSS collector against recorded feeds served through `responses`: matching, cursor, faults."""

from __future__ import annotations

from pathlib import Path

import pytest
import responses

from campaigns.model import Campaign, Tracker
from collectors.rss import RssCollector
from collectors.runner import run_source

FEED = "https://herald.example/rss.xml"
XML = (Path(__file__).parent / "fixtures" / "rss" / "news.xml").read_bytes()


@pytest.fixture
def campaign(store):
    return store.save_campaign(Campaign(
        slug="climate", name="Climate", starts_at="2026-11-01", feeds=[FEED],
        trackers=[Tracker("hashtag", "ClimateStrike", "ours"), Tracker("keyword", "climate strike", "ours")]))


def collect(store, settings, campaign, sleeps=None):
    collector = RssCollector(settings, sleep=(sleeps.append if sleeps is not None else None))
    return run_source(store, settings, "rss", campaign, collector=collector)


@responses.activate
def test_stores_matching_entries_only_with_reach_unknown(store, settings, campaign):
    responses.get(FEED, body=XML, content_type="application/rss+xml")
    result = collect(store, settings, campaign)
    assert (result.status, result.fetched, result.new) == ("ok", 2, 2)
    rows = store.db.conn.execute("SELECT author_key, author_followers, audience_size, url FROM mentions").fetchall()
    assert {r[0] for r in rows} == {"herald.example"}
    assert all(r[1] is None and r[2] is None for r in rows)
    assert store.cursor("rss", FEED)["since_id"] == "2026-11-20T10:15:00Z"


@responses.activate
def test_second_run_skips_entries_already_seen(store, settings, campaign):
    responses.get(FEED, body=XML)
    collect(store, settings, campaign)
    result = collect(store, settings, campaign)
    assert (result.fetched, result.new, result.updated) == (0, 0, 0)


@responses.activate
def test_429_waits_for_retry_after_and_500_backs_off(store, settings, campaign):
    responses.get(FEED, status=429, headers={"Retry-After": "7"})
    responses.get(FEED, status=503)
    responses.get(FEED, body=XML)
    sleeps = []
    result = collect(store, settings, campaign, sleeps)
    assert result.status == "ok" and result.new == 2
    assert 7 <= sleeps[0] <= 9 and sleeps[1] == 2


@responses.activate
def test_a_page_that_is_not_a_feed_is_an_error_on_the_run(store, settings, campaign):
    responses.get(FEED, body=b"\x00\x01 not xml at all {")
    result = collect(store, settings, campaign)
    assert result.status == "error" and "not an RSS or Atom feed" in result.errors[0]
    assert store.db.conn.execute("SELECT status FROM collection_runs").fetchone()[0] == "error"


def test_needs_no_credentials(settings):
    assert RssCollector(settings).missing() is None
