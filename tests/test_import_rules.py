"""What every import keeps: known counts, one row per post, times, tags, text, replies and definitions."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from campaigns.errors import ValidationError
from campaigns.matching import Matcher, hashtags_in
from campaigns.metrics import Filters
from campaigns.model import (
    Campaign,
    Mention,
    Tracker,
    _parse_when_general,
    parse_instant,
    parse_when,
)
from campaigns.settings import Settings
from campaigns.store import Store
from collectors import mastodon, reddit, x
from collectors.importers import import_file
from groundswell.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"
CLIMATE = Campaign(slug="climate", name="Climate", starts_at="2026-11-01",
                   trackers=[Tracker("hashtag", "ClimateStrike", "ours")])


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def load(db_path, path, fmt="csv"):
    with Store.open(db_path) as store:
        if not store.campaigns():
            store.save_campaign(CLIMATE)
        return import_file(store, path, fmt, settings=Settings(db_path=db_path))


def window(store):
    return Filters(store.campaign("climate").id, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")


# -- counts: NULL is unknown, and never overwrites what is known ------------------------------

def test_storing_a_post_again_without_counts_keeps_its_counts_and_engagement(db_path, tmp_path):
    header = "platform,id,created_at,text,likes,reposts,replies,quotes\n"
    load(db_path, write(tmp_path / "a.csv", header + "x,1,2026-11-20T09:00:00Z,Go #ClimateStrike,10,2,3,1\n"))
    # The same post from a file that has no counts, then one that has only a newer like count.
    load(db_path, write(tmp_path / "b.csv", "platform,id,created_at,text\nx,1,2026-11-20T09:00:00Z,Go #ClimateStrike\n"))
    with Store.open(db_path) as store:
        row = store.mention("x:1")
        assert (row["likes"], row["reposts"], row["replies"], row["quotes"], row["engagement"]) == (10, 2, 3, 1, 16)
        assert store.reads.kpis(window(store)).engagement == 16
        assert store.conn.execute("SELECT sum(engagement), sum(engagement_known) FROM hourly").fetchone() == (16, 1)
    load(db_path, write(tmp_path / "c.csv", header + "x,1,2026-11-20T09:00:00Z,Go #ClimateStrike,12,,,\n"))
    with Store.open(db_path) as store:
        assert store.mention("x:1")["engagement"] == 12 + 2 + 3 + 1
        assert store.reads.kpis(window(store)).engagement == 18
        # The match row the non-hourly reads use moves with it.
        assert store.reads.kpis(Filters(store.campaign("climate").id, "2026-11-20T08:30:00Z",
                                        "2026-11-20T09:30:00Z")).engagement == 18


def test_two_copies_of_a_post_in_one_batch_keep_every_known_value(store):
    first = Mention(platform="x", native_id="7", created_at="2026-11-20T09:00:00Z", text="#ClimateStrike",
                    likes=4, replies=1, author_followers=50, reply_to_uid="x:6")
    second = Mention(platform="x", native_id="7", created_at="2026-11-20T09:00:00Z", text="#ClimateStrike",
                     likes=5, reposts=2)
    store.upsert_mentions([first, second])
    row = store.mention("x:7")
    assert (row["likes"], row["reposts"], row["replies"], row["author_followers"], row["reply_to_uid"]) == (
        5, 2, 1, 50, "x:6")
    assert row["engagement"] == 8


def test_a_file_without_counts_stores_null_and_the_tiles_read_n_a(db_path, tmp_path):
    from streamlit.testing.v1 import AppTest

    load(db_path, write(tmp_path / "news.csv", "platform,id,created_at,text,author\n"
                        "x,11,2026-11-20T09:00:00Z,Strike at noon #ClimateStrike,ana\n"
                        "x,12,2026-11-20T10:00:00Z,Strike again #ClimateStrike,bo\n"))
    with Store.open(db_path) as store:
        assert store.mention("x:11")["engagement"] is None and store.mention("x:11")["likes"] is None
        kpis = store.reads.kpis(window(store))
        assert (kpis.mentions, kpis.engagement) == (2, None)
    entry = str(Path(__file__).resolve().parents[1] / "dashboard" / "streamlit_app.py")
    at = AppTest.from_file(entry, default_timeout=30).run()
    at.selectbox(key="range_preset").set_value("Campaign to date").run()
    for name in ("overview", "traction"):
        at.switch_page(f"app_pages/{name}.py").run()
        assert not at.exception, at.exception
        assert [m.value for m in at.metric if m.label == "Engagement"][0] == "n/a"
        assert [m.value for m in at.metric if m.label == "Mentions"][0] == "2"


# -- one post, one row, whatever the route ---------------------------------------------------

def test_a_bluesky_post_from_a_csv_with_its_at_uri_is_the_api_post(db_path, tmp_path):
    view = json.loads((FIXTURES / "bluesky" / "search_page1.json").read_text())["posts"][0]
    load(db_path, write(tmp_path / "b.csv", f"platform,id,created_at,text\nbluesky,{view['uri']},"
                        f"{view['record']['createdAt']},{view['record']['text']}\n"))
    load(db_path, FIXTURES / "bluesky" / "search_page1.json", "bluesky")
    with Store.open(db_path) as store:
        assert store.count("mentions") == 25
        assert store.mention(f"bluesky:{view['uri'].removeprefix('at://')}") is not None


# -- times ------------------------------------------------------------------------------------

def test_a_date_without_a_time_is_refused_with_its_row(store, db_path, tmp_path):
    path = write(tmp_path / "d.csv", "platform,id,created_at,text\n"
                 "x,21,2026-11-20,Strike #ClimateStrike\nx,22,2026-11-20T09:00:00Z,Strike #ClimateStrike\n")
    result = CliRunner().invoke(cli, ["import", str(path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert f"{path}: row 2: '2026-11-20' is a date without a time of day" in result.output
    with Store.open(db_path) as store:
        assert [r[0] for r in store.conn.execute("SELECT created_at FROM mentions")] == ["2026-11-20T09:00:00Z"]
    with pytest.raises(ValidationError):
        parse_instant("2026-11-20")


SHAPES = {
    "X API v2, Mastodon": "{y}-{mo}-{d}T{h}:{mi}:{s}.000Z",
    "Bluesky": "{y}-{mo}-{d}T{h}:{mi}:{s}.735Z",
    "Bluesky, microseconds": "{y}-{mo}-{d}T{h}:{mi}:{s}.123456Z",
    "Bluesky, offset": "{y}-{mo}-{d}T{h}:{mi}:{s}.735+00:00",
    "stored": "{y}-{mo}-{d}T{h}:{mi}:{s}Z",
    "4CAT": "{y}-{mo}-{d} {h}:{mi}:{s}",
    "no offset, with a fraction": "{y}-{mo}-{d}T{h}:{mi}:{s}.5",
    "another offset": "{y}-{mo}-{d}T{h}:{mi}:{s}+05:30",
    "nine digits": "{y}-{mo}-{d}T{h}:{mi}:{s}.123456789Z",
}


def same_answer(text: str, tz: str) -> None:
    """parse_when answers as its general path does: the same text, or the same error."""
    try:
        expected = _parse_when_general(text, tz)
    except (ValidationError, OverflowError) as error:
        with pytest.raises(type(error)):
            parse_when(text, tz)
        return
    assert parse_when(text, tz) == expected, (text, tz)


@pytest.mark.parametrize("shape", list(SHAPES.values()), ids=list(SHAPES))
def test_parse_when_fast_path_gives_what_the_general_path_gives(shape):
    values = itertools.product(("2021", "2024", "1900", "2000", "0001", "9999"), ("01", "02", "12", "13", "00"),
                               ("01", "28", "29", "30", "31", "32"), ("00", "23", "24"), ("00", "59", "60"),
                               ("00", "59", "60"))
    for y, mo, d, h, mi, s in values:
        text = shape.format(y=y, mo=mo, d=d, h=h, mi=mi, s=s)
        for tz in ("UTC", "Europe/London", "Asia/Kolkata"):
            same_answer(text, tz)
    for odd in ("2021-09-22T16:37:29.Z", "2021-W38-3T16:37:29Z", "2021-09-22T16:37:29.000Z ", " 2021-09-22T16:37:29Z",
                "2021-09-22t16:37:29Z", "2021-09-22T16:37:29-00:00", "٢٠٢١-09-22T16:37:29Z", "2026-03-01"):
        same_answer(odd, "UTC")
    moment = datetime(2026, 3, 1, 9, 0, 7, 999999, tzinfo=UTC)
    assert parse_when(moment) == _parse_when_general(moment) == "2026-03-01T09:00:07Z"


def test_x_web_times_read_as_x_writes_them():
    assert x.web_time("Wed Oct 10 20:19:24 +0000 2018") == "2018-10-10T20:19:24Z"
    assert x.web_time("Wed Oct 10 20:19:24 +0200 2018") == "2018-10-10T18:19:24Z"
    assert x.created_from_id("1440713161355583489") == "2021-09-22T16:22:39Z"  # its page's created_at
    assert x.created_from_id("20") is None  # 2006: no time in the id


# -- hashtags and text ----------------------------------------------------------------------

def test_a_tag_cut_by_an_ellipsis_or_made_of_digits_is_not_a_tag():
    assert hashtags_in("RT @a: Johnson … #JohnsonOut #Brexit #Br…") == ["johnsonout", "brexit"]
    assert hashtags_in("Lisa debuta en el #2 y #1 en #charts #kpop… #2021isOver") == ["charts", "2021isover"]
    matcher = Matcher([Campaign(id=1, slug="b", name="b", starts_at="2021-09-01",
                                trackers=[Tracker("hashtag", "br", "ours", id=1), Tracker("hashtag", "1", "ours", id=2)])])
    cut = Mention(platform="x", native_id="1", created_at="2021-09-22T16:37:29Z",
                  text="RT @Pimlico01: Johnson not at ease with Biden yet on this topic. #Br…")
    assert matcher.match(cut) == ([], [])


def test_a_retweet_is_read_from_its_original_in_full():
    page = {"data": [{"id": "2", "author_id": "u1", "created_at": "2021-09-22T16:37:29.000Z",
                      "text": "RT @ana: AT&amp;T and the long text that X cut at one hundred and forty characters #Br…",
                      "public_metrics": {"retweet_count": 5, "reply_count": 0, "like_count": 0, "quote_count": 0},
                      "entities": {"hashtags": []}, "referenced_tweets": [{"type": "retweeted", "id": "1"}]}],
            "includes": {"users": [{"id": "u1", "username": "bo"}, {"id": "u2", "username": "ana"}],
                         "tweets": [{"id": "1", "author_id": "u2", "created_at": "2021-09-22T10:00:00.000Z",
                                     "text": "AT&amp;T and the long text that X cut at one hundred and forty "
                                             "characters #Brexit #Rejoin",
                                     "public_metrics": {"retweet_count": 5, "reply_count": 2, "like_count": 9,
                                                        "quote_count": 1},
                                     "entities": {"hashtags": [{"tag": "Brexit"}, {"tag": "Rejoin"}]}}]},
            "meta": {}}
    retweet, original = x.map_page(page)
    assert retweet.text == "RT @ana: AT&T and the long text that X cut at one hundred and forty characters #Brexit #Rejoin"
    assert retweet.hashtags == ["Brexit", "Rejoin"] and retweet.context_text == original.text
    assert (retweet.likes, retweet.engagement, original.engagement) == (9, 0, 9 + 5 + 2 + 1)
    matcher = Matcher([Campaign(id=1, slug="a", name="a", starts_at="2021-09-01",
                                trackers=[Tracker("keyword", "AT&T", "ours", id=1)])])
    assert [m.campaign_id for m in matcher.match(original)[0]] == [1]


# -- Mastodon: its own engagement, and replies ------------------------------------------------

def status(**changes) -> dict:
    base = json.loads((FIXTURES / "mastodon" / "tag_page1.json").read_text())[0]
    base = {**base, "reblog": None, "favourites_count": 5, "reblogs_count": 2, "replies_count": 1, "quotes_count": 7}
    return {**base, **changes}


def test_mastodon_engagement_is_favourites_boosts_and_replies():
    assert mastodon.map_item(status()).engagement == 5 + 2 + 1


def test_a_mastodon_reply_points_at_its_parent():
    account = status()["account"]
    local = mastodon.map_item(status(in_reply_to_id="110", in_reply_to_account_id=account["id"]))
    host = account["url"].split("/")[2]
    assert local.reply_to_uid == f"mastodon:{host}/users/{account['username']}/statuses/110"
    remote = mastodon.map_item(status(in_reply_to_id="111", in_reply_to_account_id="999",
                                      mentions=[{"id": "999", "username": "zed", "acct": "zed@elsewhere.example",
                                                 "url": "https://elsewhere.example/@zed"}]))
    assert remote.reply_to_uid == "mastodon:in-reply-to:111"
    assert mastodon.map_item(status()).reply_to_uid is None


# -- Reddit comments -------------------------------------------------------------------------

def test_a_reddit_comment_has_no_replies_of_its_thread_and_an_address_of_its_own():
    comment = {"name": "t1_dgauydy", "id": "dgauydy", "created_utc": 1492410000.0, "body": "kakapo!",
               "author": "morgan", "subreddit": "kakapo", "score": 4, "num_comments": 3, "link_id": "t3_654eqk",
               "parent_id": "t1_dg7dqfd"}
    mention = reddit.map_item(comment)
    assert (mention.replies, mention.likes, mention.engagement) == (None, 4, 4)
    assert mention.url == "https://www.reddit.com/r/kakapo/comments/654eqk/_/dgauydy/"


# -- columns and platforms ---------------------------------------------------------------------

def test_columns_not_understood_are_named_in_the_summary(store, db_path, tmp_path):
    path = write(tmp_path / "p.csv", "platform,id,created_at,text,likes,sentiment_score,Retweets\n"
                 "x,31,2026-11-20T09:00:00Z,#ClimateStrike,1,0.5,3\n")
    result = CliRunner().invoke(cli, ["import", str(path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "columns not understood, so not read: sentiment_score, Retweets" in result.output


def test_a_plain_csv_row_of_an_unknown_platform_is_refused_not_invented(store, db_path, tmp_path):
    path = write(tmp_path / "p.csv", "platform,id,created_at,text\n4cat,41,2026-11-20T09:00:00Z,hi\n"
                 "x,42,2026-11-20T09:00:00Z,hi\n")
    result = CliRunner().invoke(cli, ["import", str(path), "--format", "csv"])
    assert "row 2: platform: '4cat' is not one of x, reddit, mastodon, bluesky, rss" in result.output
    with Store.open(db_path) as store:
        assert [r[0] for r in store.conn.execute("SELECT uid FROM mentions")] == ["x:42"]
