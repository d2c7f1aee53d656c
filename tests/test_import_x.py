"""Importing X API v2 search pages: posts, authors, reposts credited to the original once."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from campaigns import metrics
from campaigns.store import Store
from collectors import x
from groundswell.cli import cli

FIXTURES = Path(__file__).parent / "fixtures" / "x"
CAMPAIGN = """\
campaigns:
  - slug: antisocial
    name: "#AntiSocialMedia"
    starts: 2026-03-01
    track:
      ours: ["#AntiSocialMedia", "online abuse"]
      opposing: ["#FreeSpeechSU"]
      protect: ["@su_president"]
"""


def invoke(db, *args):
    return CliRunner().invoke(cli, ["--db", str(db), *args])


@pytest.fixture
def campaign_db(db_path, tmp_path):
    Store.open(db_path).close()  # only init and demo create a database
    (tmp_path / "c.yaml").write_text(CAMPAIGN)
    assert invoke(db_path, "campaign", "import", str(tmp_path / "c.yaml")).exit_code == 0
    return db_path


def test_map_page_reads_posts_authors_and_reposts():
    page = json.loads((FIXTURES / "search_pages.jsonl").read_text().splitlines()[0])
    mentions = {m.uid: m for m in x.map_page(page)}
    assert set(mentions) == {"x:1003", "x:1002", "x:1001"}  # the retweeted original comes from includes
    retweet, original = mentions["x:1003"], mentions["x:1001"]
    assert retweet.is_repost and retweet.reposted_uid == "x:1001"
    assert retweet.engagement == 0 and original.engagement == 4 + 2 + 30 + 1
    assert (retweet.author_key, retweet.author_followers) == ("studentvoice", 1200)
    assert (original.author_key, original.author_followers) == ("su_president", 4000)
    assert original.url == "https://x.com/su_president/status/1001"
    assert retweet.created_at == "2026-03-02T10:05:00Z"
    assert retweet.context_text.startswith("Proud of our officers")


def test_import_stores_and_matches(campaign_db):
    result = invoke(campaign_db, "import", str(FIXTURES / "search_pages.jsonl"), "--format", "x",
                    "--campaign", "antisocial")
    assert result.exit_code == 0, result.output
    assert "imported 5 post(s)" in result.output and "5 new" in result.output
    store = Store.open(campaign_db)
    sides = dict(store.db.conn.execute("SELECT mention_uid, side FROM mention_matches").fetchall())
    assert sides == {"x:1001": "ours", "x:1003": "ours", "x:1002": "opposing", "x:1000": "protect", "x:998": "ours"}
    reply = store.mention("x:1000")
    assert reply["reply_to_uid"] == "x:999" and reply["abuse"] >= metrics.ABUSIVE_THRESHOLD
    # "und" is no language: it was detected from the text.
    assert store.mention("x:998")["lang"] == "en"
    campaign = store.campaign("antisocial")
    kpis = store.reads.kpis(metrics.Filters(campaign.id, "2026-03-01T00:00:00Z", "2026-03-03T00:00:00Z"))
    assert (kpis.mentions, kpis.reposts, kpis.unique_authors) == (5, 1, 3)
    assert kpis.engagement == 37 + 7 + 3 + 12
    assert kpis.potential_reach == 1200 + 90 + 4000


def test_import_twice_duplicates_nothing(campaign_db):
    for _ in range(2):
        assert invoke(campaign_db, "import", str(FIXTURES / "search_pages.jsonl"), "--format", "x").exit_code == 0
    store = Store.open(campaign_db)
    assert store.count("mentions") == 5
    assert store.db.conn.execute("SELECT sum(mentions) FROM hourly").fetchone()[0] == 5


def test_a_single_pretty_printed_page(campaign_db):
    result = invoke(campaign_db, "import", str(FIXTURES / "single_page.json"), "--format", "x")
    assert result.exit_code == 0, result.output
    assert Store.open(campaign_db).count("mentions") == 3


def test_a_file_cut_short_keeps_whole_batches_and_a_rerun_completes_it(campaign_db, tmp_path):
    lines = (FIXTURES / "search_pages.jsonl").read_text().splitlines()
    cut = tmp_path / "cut.jsonl"
    cut.write_text(lines[0] + "\n" + lines[1][: len(lines[1]) // 2])
    result = invoke(campaign_db, "import", str(cut), "--format", "x", "--batch-size", "1")
    assert result.exit_code == 1
    assert "line 2 is not valid JSON" in result.output and "3 post(s) before it are stored" in result.output
    assert Store.open(campaign_db).count("mentions") == 3
    shutil.copy(FIXTURES / "search_pages.jsonl", cut)
    assert invoke(campaign_db, "import", str(cut), "--format", "x").exit_code == 0
    store = Store.open(campaign_db)
    assert store.count("mentions") == 5
    assert store.db.conn.execute("SELECT sum(mentions) FROM hourly").fetchone()[0] == 5


def expected_from_file(path: Path):
    """What a twarc2 file holds, counted straight from the JSON: posts, reposts, distinct authors."""
    originals, reposts, authors = set(), set(), set()
    for line in path.read_text().splitlines():
        page = json.loads(line)
        users = {u["id"]: u["username"].lower() for u in page["includes"]["users"]}
        included = {t["id"]: t for t in page["includes"].get("tweets", [])}
        for tweet in page["data"]:
            retweeted = [r["id"] for r in tweet.get("referenced_tweets", []) if r["type"] == "retweeted"]
            (reposts if retweeted else originals).add(tweet["id"])
            authors.add(users[tweet["author_id"]])
            for original_id in retweeted:
                if original_id in included:
                    originals.add(original_id)
                    authors.add(users[included[original_id]["author_id"]])
    return len(originals), len(reposts), len(authors)


@pytest.mark.realworld
@pytest.mark.parametrize("name,tag", [("brexit", "brexit"), ("kpop", "kpop")])
def test_real_twarc_pages(realworld, store, db_path, tmp_path, name, tag):
    path = realworld / "twarc-csv" / f"{name}.jsonl"
    (tmp_path / "c.yaml").write_text(f"campaigns:\n  - {{slug: {name}, name: {name}, starts: 2021-09-01, "
                                     f"track: {{ours: ['#{tag}']}}}}\n")
    assert invoke(db_path, "campaign", "import", str(tmp_path / "c.yaml")).exit_code == 0
    result = invoke(db_path, "import", str(path), "--format", "x", "--campaign", name)
    assert result.exit_code == 0, result.output
    originals, reposts, authors = expected_from_file(path)
    store = Store.open(db_path)
    stored = store.db.conn.execute(
        "SELECT sum(is_repost = 0), sum(is_repost), count(DISTINCT author_key) FROM mentions").fetchone()
    assert stored == (originals, reposts, authors)
    assert reposts == {"brexit": 67, "kpop": 78}[name]
    # Every retweet carries the original's counts but adds no engagement of its own.
    assert store.db.conn.execute("SELECT sum(engagement) FROM mentions WHERE is_repost = 1").fetchone()[0] == 0
    # Each retweet points at an original that is stored, so its engagement is counted once, there.
    dangling = store.db.conn.execute(
        "SELECT count(*) FROM mentions r LEFT JOIN mentions o ON o.uid = r.reposted_uid "
        "WHERE r.is_repost = 1 AND o.uid IS NULL").fetchone()[0]
    assert dangling == 0
    # Followers come from includes.users.
    assert store.db.conn.execute("SELECT count(*) FROM mentions WHERE author_followers IS NULL").fetchone()[0] == 0


def _page_lines(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().splitlines() if line.strip()]


def test_a_page_is_decoded_into_what_a_mention_stores_and_maps_as_the_whole_page_does():
    for line in _page_lines(FIXTURES / "search_pages.jsonl"):
        whole = json.loads(line)
        decoded = x.decode_page(line)
        assert x.map_page(decoded) == x.map_page(whole)
    page = json.loads(_page_lines(FIXTURES / "search_pages.jsonl")[0])
    page["data"][0]["context_annotations"] = [{"domain": {"id": "46", "name": "Business Taxonomy"}}]
    page["includes"]["places"] = [{"id": "p1", "full_name": "Leeds"}]
    decoded = x.decode_page(json.dumps(page).encode())
    assert "context_annotations" not in decoded["data"][0] and "places" not in decoded["includes"]
    # Not a page, or not in a page's shape: left for the caller to read whole.
    assert x.decode_page(json.dumps(page["data"][0]).encode()) is None
    assert x.decode_page(b'{"data": "none"}') is None and x.decode_page(b"{cut") is None


@pytest.mark.realworld
@pytest.mark.parametrize("name", ["brexit", "kpop"])
def test_real_pages_decoded_map_as_the_whole_pages_do(realworld, name):
    for line in _page_lines(realworld / "twarc-csv" / f"{name}.jsonl"):
        assert x.map_page(x.decode_page(line)) == x.map_page(json.loads(line))


def test_a_tweet_of_another_shape_costs_that_tweet_only(campaign_db, tmp_path):
    page = json.loads(_page_lines(FIXTURES / "search_pages.jsonl")[0])
    page["data"][0]["entities"] = "#AntiSocialMedia"
    path = tmp_path / "odd.jsonl"
    path.write_text(json.dumps(page) + "\n")
    result = invoke(campaign_db, "import", str(path), "--format", "x", "--campaign", "antisocial")
    assert "tweet 1003: entities: expected an object, found text" in result.output, result.output
    stored = {uid for (uid,) in Store.open(campaign_db).db.conn.execute("SELECT uid FROM mentions")}
    assert stored == {"x:1002"}


def test_an_import_sets_the_heap_aside_while_it_runs_and_hands_it_back_however_it_ends(campaign_db, tmp_path):
    import gc

    from campaigns.errors import ImportFormatError
    from campaigns.settings import Settings
    from collectors.importers import IMPORT_GC_YOUNG, heap_set_aside, import_file

    before = gc.get_threshold()
    during = []
    lines = _page_lines(FIXTURES / "search_pages.jsonl")
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(lines[0] + b"\n" + lines[1][: len(lines[1]) // 2] + b"\n")
    with Store.open(campaign_db) as store:
        settings = Settings.from_env(campaign_db)
        import_file(store, FIXTURES / "search_pages.jsonl", "x", settings=settings, batch_size=1,
                    on_batch=lambda result: during.append((gc.get_freeze_count(), gc.get_threshold())))
        assert during and all(count > 0 and threshold == (IMPORT_GC_YOUNG, *before[1:])
                              for count, threshold in during)
        assert (gc.get_freeze_count(), gc.get_threshold()) == (0, before)
        with pytest.raises(ImportFormatError):
            import_file(store, cut, "x", settings=settings)
        assert (gc.get_freeze_count(), gc.get_threshold()) == (0, before)
        # Two imports under way at once (threads of one process): the first to end hands back nothing.
        with heap_set_aside():
            import_file(store, FIXTURES / "search_pages.jsonl", "x", settings=settings)
            assert gc.get_freeze_count() > 0 and gc.get_threshold()[0] == IMPORT_GC_YOUNG
        assert (gc.get_freeze_count(), gc.get_threshold()) == (0, before)


def test_an_import_folds_the_wal_in_less_often_while_it_runs_and_as_before_after(campaign_db):
    from campaigns.settings import Settings
    from campaigns.store import BULK_CHECKPOINT_PAGES
    from collectors.importers import import_file

    with Store.open(campaign_db) as store:
        def pages() -> int:
            return store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        before, during = pages(), []
        import_file(store, FIXTURES / "search_pages.jsonl", "x", settings=Settings.from_env(campaign_db),
                    batch_size=1, on_batch=lambda result: during.append(pages()))
        assert during and set(during) == {BULK_CHECKPOINT_PAGES} != {before}
        assert pages() == before
