"""4CAT's exports (CSV and NDJSON, X and Bluesky) and Zeeschuimer's X items import with nothing lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fourcat_export import (
    bsky_items,
    map_bsky,
    map_tweet,
    stored_bsky,
    write_csv,
    write_ndjson,
    x_items,
)

from campaigns.model import Campaign, Tracker
from campaigns.settings import Settings
from campaigns.store import Store
from collectors import bluesky
from collectors.importers import import_file
from groundswell.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"


def load(db_path, path, fmt="4cat", campaign=None):
    with Store.open(db_path) as store:
        if campaign:
            store.save_campaign(campaign)
        return import_file(store, path, fmt, settings=Settings(db_path=db_path))


def rows(db_path, sql="SELECT * FROM mentions"):
    with Store.open(db_path) as store:
        conn = store.db.conn
        names = [d[0] for d in conn.execute(f"{sql} LIMIT 0").description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in conn.execute(sql)}


def test_a_4cat_x_csv_keeps_counts_reposts_links_and_languages(db_path):
    result = load(db_path, FIXTURES / "import" / "fourcat_twitterv2.csv")
    assert result.report.unknown_columns == [] and result.report.skipped == 0
    stored = rows(db_path)
    retweet, post, reply = stored["x:1003"], stored["x:1002"], stored["x:1000"]
    assert (retweet["is_repost"], retweet["engagement"]) == (1, 0)
    assert retweet["text"].startswith("RT @su_president: Proud of our officers")
    assert (post["likes"], post["reposts"], post["replies"], post["quotes"], post["engagement"]) == (5, 1, 1, 0, 7)
    assert post["url"] == "https://x.com/campus_critic/status/1002"
    assert (post["lang"], post["created_at"], post["author_key"]) == ("en", "2026-03-02T10:03:00Z", "campus_critic")
    assert reply["replies"] == 3
    # 4CAT writes 0 for the impressions X did not report; "und" is no language (it is detected).
    assert post["impressions"] is None and stored["x:998"]["lang"] == "en"


def test_a_4cat_bsky_csv_and_the_api_store_one_row_per_post(db_path):
    load(db_path, FIXTURES / "import" / "fourcat_bsky.csv")
    from_csv = rows(db_path)
    assert len(from_csv) == 5 and all(uid.startswith("bluesky:did:plc:") for uid in from_csv)
    load(db_path, FIXTURES / "bluesky" / "search_page1.json", "bluesky")
    both = rows(db_path)
    assert len(both) == 25  # the five posts of the CSV are five of the page's 25
    answer = json.loads((FIXTURES / "bluesky" / "search_page1.json").read_text())["posts"]
    for view in answer[:5]:
        mapped = bluesky.map_item(view)
        row = from_csv[mapped.uid]
        assert (row["likes"], row["reposts"], row["replies"], row["quotes"]) == (
            mapped.likes, mapped.reposts, mapped.replies, mapped.quotes)
        assert (row["url"], row["author_key"], row["lang"], row["created_at"]) == (
            mapped.url, mapped.author_key, mapped.lang, mapped.created_at)
        assert row["engagement"] == mapped.engagement


def test_4cat_bsky_ndjson_of_atproto_model_dumps_reads_as_the_api_answer(db_path, tmp_path):
    dumped = write_ndjson(tmp_path / "bsky.ndjson", bsky_items(FIXTURES / "bluesky" / "search_page1.json"))
    assert "indexed_at" in dumped.read_text() and "indexedAt" not in dumped.read_text()
    result = load(db_path, dumped)
    assert result.report.skipped == 0 and result.totals.new == 25
    from_dump = rows(db_path)
    other = tmp_path / "api.db"
    load(other, FIXTURES / "bluesky" / "search_page1.json", "bluesky")
    from_api = rows(other)
    keep = ("created_at", "text", "url", "author_key", "lang", "reply_to_uid", "likes", "reposts", "replies", "quotes",
            "engagement")
    assert {uid: [r[k] for k in keep] for uid, r in from_dump.items()} == {
        uid: [r[k] for k in keep] for uid, r in from_api.items()}


@pytest.mark.realworld
def test_a_recorded_bluesky_post_dumped_by_atproto_imports_as_collected(realworld, db_path, tmp_path):
    thread = json.loads((realworld / "atproto" / "thread_view_post_with_embed_media.json").read_text())
    view = thread["thread"]["post"]
    path = write_ndjson(tmp_path / "bsky.ndjson", [stored_bsky(view)])
    load(db_path, path)
    collected = bluesky.map_item(view)
    row = rows(db_path)[collected.uid]
    assert collected.uid == "bluesky:did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3kaheyt6vpc22"
    assert (row["created_at"], row["url"], row["author_key"], row["lang"], row["likes"], row["reposts"]) == (
        "2023-09-28T12:49:36Z", "https://bsky.app/profile/test.marshal.dev/post/3kaheyt6vpc22", "test.marshal.dev",
        "en", 0, 0)
    # And its 4CAT CSV row is the same row.
    write_csv(tmp_path / "bsky.csv", [map_bsky(stored_bsky(view))])
    load(db_path, tmp_path / "bsky.csv")
    assert list(rows(db_path)) == [collected.uid]


@pytest.fixture
def brexit_campaign():
    return Campaign(slug="brexit", name="Brexit", starts_at="2021-09-01", trackers=[Tracker("hashtag", "brexit", "ours")])


@pytest.mark.realworld
def test_4cat_x_ndjson_retweets_match_through_their_referenced_originals(realworld, db_path, tmp_path, brexit_campaign):
    tweets = x_items(realworld / "twarc-csv" / "brexit.jsonl")  # what 4CAT stores of the #brexit search
    assert len(tweets) == 100
    result = load(db_path, write_ndjson(tmp_path / "brexit.ndjson", tweets), campaign=brexit_campaign)
    assert result.report.skipped == 0
    matched = rows(db_path, "SELECT mention_uid FROM mention_matches")
    # Every post of the search carries its hashtag, the retweets through their originals.
    assert {f"x:{t['id']}" for t in tweets} <= set(matched)
    stored = rows(db_path)
    retweets = [t for t in tweets if any(r["type"] == "retweeted" for r in t.get("referenced_tweets", []))]
    assert len(retweets) == 67
    for tweet in retweets:
        original = next(r for r in tweet["referenced_tweets"] if r["type"] == "retweeted")
        if "text" not in original:
            continue
        row = stored[f"x:{original['id']}"]
        assert (row["likes"], row["author_followers"]) == (
            original["public_metrics"]["like_count"], original["author_user"]["public_metrics"]["followers_count"])
        assert stored[f"x:{tweet['id']}"]["reposted_uid"] == f"x:{original['id']}"
    # The same figures as the pages 4CAT collected them from.
    other = tmp_path / "pages.db"
    load(other, realworld / "twarc-csv" / "brexit.jsonl", "x", campaign=brexit_campaign)
    keep = ("created_at", "text", "author_key", "author_followers", "is_repost", "reposted_uid", "likes",
            "engagement")
    assert {u: [r[k] for k in keep] for u, r in stored.items()} == {
        u: [r[k] for k in keep] for u, r in rows(other).items()}


@pytest.mark.realworld
def test_a_4cat_x_csv_of_real_tweets_reads_every_count_and_unescapes_text(realworld, db_path, tmp_path):
    tweets = x_items(realworld / "twarc-csv" / "brexit.jsonl")
    path = write_csv(tmp_path / "brexit.csv", [map_tweet(t) for t in tweets])
    result = load(db_path, path)
    assert result.report.skipped == 0 and result.report.unknown_columns == []
    stored = rows(db_path)
    assert len(stored) == 100 and sum(r["is_repost"] for r in stored.values()) == 67
    escaped = [t for t in tweets if "&amp;" in t["text"]]
    assert escaped
    for tweet in tweets:
        row = stored[f"x:{tweet['id']}"]
        metrics = tweet["public_metrics"]
        assert (row["likes"], row["reposts"], row["replies"], row["quotes"]) == (
            metrics["like_count"], metrics["retweet_count"], metrics["reply_count"], metrics["quote_count"])
        assert row["url"] == f"https://x.com/{tweet['author_user']['username']}/status/{tweet['id']}"
        assert "&amp;" not in row["text"] and "&gt;" not in row["text"]
    assert "&" in stored[f"x:{escaped[0]['id']}"]["text"]


def test_zeeschuimer_x_items_import_with_their_originals(db_path):
    result = load(db_path, FIXTURES / "import" / "zeeschuimer_x.ndjson")
    stored = rows(db_path)
    assert set(stored) == {"x:1003", "x:1001", "x:1002", "x:1000"}
    retweet, original, post, reply = (stored[u] for u in ("x:1003", "x:1001", "x:1002", "x:1000"))
    assert (retweet["is_repost"], retweet["reposted_uid"], retweet["engagement"]) == (1, "x:1001", 0)
    assert (retweet["author_key"], retweet["author_followers"], retweet["created_at"]) == (
        "studentvoice", 1200, "2026-03-02T10:05:00Z")
    # The original's full text comes from its note_tweet, its author from the newer `core` shape.
    assert original["text"].endswith("free speech. #AntiSocialMedia") and "&amp;" not in original["text"]
    assert retweet["text"] == "RT @su_president: " + original["text"]
    assert (original["author_key"], original["author_followers"], original["impressions"]) == (
        "su_president", 4000, 5400)
    assert (original["likes"], original["reposts"], original["replies"], original["quotes"]) == (30, 4, 2, 1)
    assert post["text"] == "This is just an excuse to silence critics & AT&T #FreeSpeechSU"
    assert post["url"] == "https://x.com/campus_critic/status/1002"
    assert reply["reply_to_uid"] == "x:999"
    # The TikTok item of the same file is one line, not an import stopped.
    assert result.report.skipped == 1
    assert result.report.problems[0].endswith("line 4: a tiktok.com item: Groundswell reads X, Bluesky, Reddit and "
                                              "Mastodon items (expected a 4CAT item)")


def test_a_4cat_csv_from_a_source_of_no_known_platform_is_refused_row_by_row(store, db_path, tmp_path):
    path = tmp_path / "telegram.csv"
    path.write_text("id,thread_id,timestamp,body,author,url\n"
                    "5,5,2026-11-20 08:00:00,hello,chan,https://t.me/chan/5\n"
                    "6,6,2026-11-20 08:01:00,hello,eve,https://x.com/eve/status/6\n")
    result = CliRunner().invoke(cli, ["import", str(path), "--format", "4cat"])
    assert result.exit_code == 0, result.output
    assert "imported 1 post(s)" in result.output
    assert "row 2: cannot tell which platform the post comes from (link 'https://t.me/chan/5')" in result.output
    assert set(rows(db_path)) == {"x:6"}  # never an invented platform
