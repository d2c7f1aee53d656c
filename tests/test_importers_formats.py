"""`groundswell import` for Reddit, Mastodon and Bluesky pages, 4CAT exports and the plain CSV."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from campaigns.model import Campaign, Tracker
from campaigns.store import Store
from groundswell.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def campaign_db(db_path):
    with Store.open(db_path) as store:
        store.save_campaign(Campaign(slug="climate", name="Climate", starts_at="2026-11-01",
                                     trackers=[Tracker("hashtag", "ClimateStrike", "ours"),
                                               Tracker("keyword", "climate strike", "ours")]))
    return db_path


def run_import(path, fmt, *extra):
    result = CliRunner().invoke(cli, ["import", str(path), "--format", fmt, *extra])
    return result


@pytest.mark.parametrize(("path", "fmt", "count"), [
    (FIXTURES / "reddit" / "search_page1.json", "reddit", 25),
    (FIXTURES / "mastodon" / "tag_page1.json", "mastodon", 41),  # 40 + the original of a reblog
    (FIXTURES / "bluesky" / "search_page1.json", "bluesky", 25),
    (FIXTURES / "import" / "fourcat.ndjson", "4cat", 4),
    (FIXTURES / "import" / "fourcat_twitterv2.csv", "4cat", 4),
    (FIXTURES / "import" / "fourcat_bsky.csv", "4cat", 5),
    (FIXTURES / "import" / "plain.csv", "csv", 3),
])
def test_each_format_imports_and_a_rerun_duplicates_nothing(campaign_db, path, fmt, count):
    first = run_import(path, fmt)
    assert first.exit_code == 0, first.output
    assert f"imported {count:,} post(s)" in first.output and f"{count:,} new" in first.output
    second = run_import(path, fmt)
    assert f"0 new, {count:,} updated" in second.output
    with Store.open(campaign_db) as store:
        assert store.count("mentions") == count


def test_reddit_import_uses_the_collector_mapping(campaign_db):
    run_import(FIXTURES / "reddit" / "search_page1.json", "reddit")
    with Store.open(campaign_db) as store:
        row = store.mention("reddit:t3_1q0160")
    assert (row["audience_key"], row["audience_size"], row["likes"], row["replies"]) == (
        "r/unitedkingdom", 4100000, 160 % 11, 160 % 4)


def test_plain_csv_columns_land_where_documented(campaign_db):
    run_import(FIXTURES / "import" / "plain.csv", "csv")
    with Store.open(campaign_db) as store:
        retweet = store.mention("x:1860000000000009001")
        post = store.mention("reddit:t3_abc123")
        toot = store.mention("mastodon:social.example/users/ana/statuses/1")
    assert retweet["is_repost"] == 1 and retweet["reposted_uid"] == "x:1860000000000009000"
    assert retweet["engagement"] == 0 and retweet["author_followers"] == 35
    assert (post["created_at"], post["audience_size"], post["engagement"]) == ("2026-11-20T09:10:00Z", 120345, 24)
    assert (toot["likes"], toot["reposts"], toot["replies"], toot["engagement"]) == (4, 2, 1, 7)


def test_4cat_ndjson_routes_each_item_to_its_platform(campaign_db):
    run_import(FIXTURES / "import" / "fourcat.ndjson", "4cat")
    with Store.open(campaign_db) as store:
        platforms = dict(store.db.conn.execute(
            "SELECT platform, count(*) FROM mentions GROUP BY platform").fetchall())
    assert platforms == {"mastodon": 1, "bluesky": 1, "reddit": 1, "x": 1}


def test_a_csv_without_required_columns_is_one_line(campaign_db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text\n1,hello\n")
    result = run_import(bad, "csv")
    assert result.exit_code == 1
    assert "the CSV header lacks platform, created_at" in result.output


def test_a_bad_row_costs_itself_and_is_named_with_its_row_and_column(campaign_db, tmp_path):
    rows = (FIXTURES / "import" / "plain.csv").read_text().splitlines()
    bad = tmp_path / "cut.csv"
    bad.write_text("\n".join([*rows[:2], "x,1860000000000009999,2026-11-20T10:00:00Z,hi,,,,lots,,,,,,,,,",
                              *rows[2:]]) + "\n")
    result = run_import(bad, "csv")
    assert result.exit_code == 0, result.output
    assert "imported 3 post(s)" in result.output
    assert f"{bad}: row 3: likes: 'lots' is not a number" in result.output
    with Store.open(campaign_db) as store:
        assert store.count("mentions") == 3


def test_a_file_of_which_no_record_can_be_read_is_an_error(campaign_db, tmp_path):
    bad = tmp_path / "dates.csv"
    bad.write_text("platform,id,created_at\nx,1,2026-11-20\nx,2,2026-11-21\n")
    result = run_import(bad, "csv")
    assert result.exit_code == 1
    assert "row 2: '2026-11-20' is a date without a time of day" in result.output
    assert "no record of the file could be read: 2 refused" in result.output


def test_a_mastodon_file_of_another_shape_is_one_line(campaign_db, tmp_path):
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"hello": "world"}))
    result = run_import(wrong, "mastodon")
    assert result.exit_code == 1 and "expected Mastodon statuses" in result.output


@pytest.mark.realworld
def test_recorded_twarc_pages_import_with_their_metrics(realworld, campaign_db):
    result = run_import(realworld / "twarc-csv" / "brexit.jsonl", "twarc")
    assert result.exit_code == 0, result.output
    page = json.loads((realworld / "twarc-csv" / "brexit.jsonl").read_text().splitlines()[0])
    included = {t["id"]: t for t in page["includes"]["tweets"]}
    with Store.open(campaign_db) as store:
        for tweet in page["data"]:
            row = store.mention(f"x:{tweet['id']}")
            retweeted = [r["id"] for r in tweet.get("referenced_tweets", []) if r["type"] == "retweeted"]
            # A retweet carries its original's counts (X reports its own likes as 0).
            counted = included[retweeted[0]] if retweeted and retweeted[0] in included else tweet
            assert row["likes"] == counted["public_metrics"]["like_count"]
            assert row["reposts"] == counted["public_metrics"]["retweet_count"]
