"""The posts stream: full-text search on real texts, filters, the page, exports, columns, the URL."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from campaigns import clock
from campaigns.exports import to_csv
from campaigns.metrics import Filters
from campaigns.model import Campaign, Mention, Tracker
from campaigns.settings import Settings
from campaigns.store import Store
from campaigns.stream import PostQuery, search_expression
from groundswell.cli import cli

ENTRY = str(Path(__file__).resolve().parents[1] / "dashboard" / "streamlit_app.py")
EVER = Filters(1, "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z")


def test_a_search_becomes_quoted_fts_terms_whatever_is_typed():
    assert search_expression('online "free speech" abus* -troll') == \
        '"online" AND "free speech" AND "abus"* NOT "troll"'
    assert search_expression('#brexit @nusuk') == '"#brexit" AND "@nusuk"'
    assert search_expression('a "stray quote') == '"a" AND "stray quote"'
    assert search_expression('( ) AND OR NEAR') == '"(" AND ")" AND "AND" AND "OR" AND "NEAR"'
    assert search_expression('   ') == ''


@pytest.fixture
def brexit_store(realworld, db_path):
    """The real twarc2 #brexit page, stored for a campaign that takes every post it can see."""
    from collectors.importers import import_file

    store = Store.open(db_path)
    store.save_campaign(Campaign(slug="brexit", name="brexit", starts_at="2021-01-01",
                                 trackers=[Tracker("hashtag", "brexit", "ours"), Tracker("keyword", "the", "monitor"),
                                           Tracker("keyword", "a", "monitor")]))
    import_file(store, realworld / "twarc-csv" / "brexit.jsonl", "x", settings=Settings(db_path=db_path))
    yield store
    store.close()


def matched_texts(store) -> dict[str, str]:
    """Each matched post's words: its own, or for a repost its original's (X cuts a retweet's
    own text short, and the stream finds a repost through the post it repeats)."""
    frame, _ = store.posts.page(PostQuery(EVER, per_page=1000))
    texts = {}
    for uid in frame["uid"]:
        row = store.mention(uid)
        original = store.mention(row["reposted_uid"]) if row["is_repost"] and row["reposted_uid"] else None
        texts[uid] = (original or row)["text"] or ""
    return texts


@pytest.mark.realworld
def test_search_finds_hashtags_handles_phrases_and_prefixes_as_written(brexit_store):
    texts = matched_texts(brexit_store)
    assert len(texts) > 50

    def found(search):
        frame, total = brexit_store.posts.page(PostQuery(EVER, search=search, per_page=1000))
        assert total == len(frame)
        return set(frame["uid"])

    def containing(pattern):
        return {uid for uid, text in texts.items() if re.search(pattern, text, re.IGNORECASE)}

    hashtag = found("#brexit")
    assert hashtag and hashtag == containing(r"(?<![\w#@])#brexit(?![\w#@])")
    handle = re.search(r"@\w+", next(t for t in texts.values() if re.search(r"@\w{4,}", t))).group(0)
    assert found(handle) == containing(rf"(?<![\w#@]){re.escape(handle)}(?![\w#@])")
    words = next(t for t in texts.values() if len(re.findall(r"\b[a-z]{5,}\b", t)) >= 2)
    first, second = re.findall(r"\b[a-z]{5,}\b", words)[:2]
    assert found(f"{first}*") >= containing(rf"(?<![\w#@]){first}")
    assert texts_with_phrase(brexit_store, texts)


def texts_with_phrase(store, texts) -> bool:
    """A two-word phrase from a real text finds exactly the texts holding those words in order."""
    sample = next(t for t in texts.values() if re.search(r"\b([a-z]{4,}) ([a-z]{4,})\b", t))
    one, two = re.search(r"\b([a-z]{4,}) ([a-z]{4,})\b", sample).groups()
    frame, _ = store.posts.page(PostQuery(EVER, search=f'"{one} {two}"', per_page=1000))
    expected = {uid for uid, text in texts.items()
                if re.search(rf"(?<![\w#@]){one}\W+{two}(?![\w#@])", text, re.IGNORECASE)}
    return set(frame["uid"]) == expected and expected


def seeded(store, *texts, **fields):
    campaign = store.save_campaign(Campaign(slug="c", name="C", starts_at="2026-01-01",
                                            trackers=[Tracker("hashtag", "c", "ours"),
                                                      Tracker("hashtag", "other", "opposing")]))
    store.upsert_mentions([
        Mention(platform="mastodon", native_id=str(n), created_at=f"2026-03-0{1 + n % 5}T10:00:00Z", text=text,
                author_key=f"a{n}", sentiment=(0.5 if n % 2 else -0.5), abuse=0.9 if "idiot" in text else 0.1,
                likes=n, reposts=0, replies=0, **fields)
        for n, text in enumerate(texts)])
    return campaign


def test_accents_fold_and_filters_narrow(store):
    campaign = seeded(store, "Café au lait #c", "cafe culture #c", "naïve question #other", "you idiot #c")
    window = Filters(campaign.id, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z")
    assert store.posts.page(PostQuery(window, search="cafe"))[1] == 2
    assert store.posts.page(PostQuery(window, search="café"))[1] == 2
    assert store.posts.page(PostQuery(window, search="naive"))[1] == 1
    assert store.posts.page(PostQuery(window, tone="negative"))[1] == 2
    assert store.posts.page(PostQuery(window, min_offensive=0.5))[1] == 1
    assert store.posts.page(PostQuery(Filters(campaign.id, window.start, window.end, sides=("opposing",))))[1] == 1
    ours = next(t for t in campaign.trackers if t.value == "c")
    assert store.posts.page(PostQuery(window, tracker_id=ours.id))[1] == 3
    frame, total = store.posts.page(PostQuery(window, per_page=2, page=2))
    assert total == 4 and len(frame) == 2


def test_search_follows_purge_and_forget(store):
    with clock.pinned(datetime(2026, 12, 1, tzinfo=UTC)):
        campaign = seeded(store, "remember this #c", "and this #c")
        window = Filters(campaign.id, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z")
        assert store.posts.page(PostQuery(window, search="remember"))[1] == 1
        store.forget_author("a0")
        assert store.posts.page(PostQuery(window, search="remember"))[1] == 0
        assert store.posts.page(PostQuery(window, search="this"))[1] == 1


def test_a_search_reads_its_hits_beside_its_window_sees_what_others_commit_and_leaves_no_thread(db_path):
    """The hits are read on a connection of the search's own thread (Store.read_beside), so the
    search must still see every committed post, from this writer or another, and close cleanly."""
    earlier = set(threading.enumerate())   # stores other tests left open (the dashboard's) keep theirs

    def readers():
        return [t for t in set(threading.enumerate()) - earlier if t.name.startswith("groundswell-read")]

    with Store.open(db_path) as store:
        campaign = seeded(store, "first words #c", "other words #c")
        window = Filters(campaign.id, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z")
        with Store.open(db_path, readonly=True) as dashboard:
            assert dashboard.posts.page(PostQuery(window, search="words"))[1] == 2
            assert len(readers()) == 1
            store.upsert_mentions([Mention(platform="mastodon", native_id="9", created_at="2026-03-04T10:00:00Z",
                                           text="late words #c", author_key="a9")])
            frame, total = dashboard.posts.page(PostQuery(window, search="words"))
            assert total == 3 and frame["text"].iloc[0] == "late words #c"
            assert store.posts.page(PostQuery(window, search="late"))[1] == 1
        assert store.posts.page(PostQuery(window, search="first"))[1] == 1
    assert readers() == []
    with Store.open(":memory:") as memory:
        # No second connection can open an in-memory database: the search reads on its own.
        campaign = seeded(memory, "in memory #c")
        assert memory.posts.page(PostQuery(Filters(campaign.id, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
                                           search="memory"))[1] == 1
    assert readers() == []


def test_every_post_is_indexed_once_whichever_writer_stores_it_and_however_often(db_path):
    """Each batch indexes the posts it stored new (0017_index_by_batch): two writers taking
    turns on one file, a batch stored again and a post seen again with other counts leave each
    post's words in the index exactly once, and its new text replaces the old."""
    one, two = Store.open(db_path), Store.open(db_path)
    campaign = one.save_campaign(Campaign(slug="c", name="C", starts_at="2026-01-01",
                                          trackers=[Tracker("hashtag", "c", "ours")]))

    def batch(first: int, likes: int = 0) -> list[Mention]:
        return [Mention(platform="mastodon", native_id=str(n), created_at="2026-03-01T10:00:00Z",
                        text=f"word{n} shared #c", author_key=f"a{n}", likes=likes) for n in range(first, first + 3)]

    for writer, first in ((one, 0), (two, 3), (one, 6), (two, 0), (one, 3)):
        writer.upsert_mentions(batch(first))
    two.upsert_mentions(batch(6, likes=5))
    one.upsert_mentions([Mention(platform="mastodon", native_id="8", created_at="2026-03-01T10:00:00Z",
                                 text="word8 edited #c", author_key="a8")])
    conn = one.conn
    conn.execute("CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, mentions_fts, row)")
    counts = dict(conn.execute("SELECT term, cnt FROM temp.terms").fetchall())
    assert {term: counts[term] for term in (f"word{n}" for n in range(9))} == {f"word{n}": 1 for n in range(9)}
    assert counts["shared"] == 8 and counts["edited"] == 1
    window = Filters(campaign.id, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z")
    assert one.posts.page(PostQuery(window, search="shared"))[1] == 8
    assert one.posts.page(PostQuery(window, search="word8 edited"))[1] == 1
    conn.execute("INSERT INTO mentions_fts (mentions_fts) VALUES ('integrity-check')")
    one.close()
    two.close()


def test_exports_never_start_a_formula_and_say_what_they_hold(store):
    campaign = seeded(store, '=HYPERLINK("http://evil.example","click") #c', "+1 agreed #c", "@everyone look #c")
    query = PostQuery(Filters(campaign.id, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"), search="#c")
    body = to_csv(store.posts.all(query), [("campaign", "c"), *query.describe()]).decode()
    about = [line for line in body.splitlines() if line.startswith("# ")]
    assert "# search: #c" in about and "# campaign: c" in about
    rows = list(csv.DictReader(io.StringIO("\n".join(line for line in body.splitlines() if not line.startswith("# ")))))
    assert sorted(r["text"][:2] for r in rows) == ["'+", "'=", "'@"]


def test_the_command_line_searches_and_exports(db_path, tmp_path):
    with Store.open(db_path) as store:
        seeded(store, "first post #c", "second post #c")
    runner = CliRunner()
    listed = runner.invoke(cli, ["--db", str(db_path), "posts", "--campaign", "c", "--since", "2026-01-01",
                                 "--search", "second"])
    assert listed.exit_code == 0, listed.output
    assert "1 post(s)" in listed.output and "second post" in listed.output
    tagged = runner.invoke(cli, ["--db", str(db_path), "posts", "--campaign", "c", "--since", "2026-01-01",
                                 "--tag", "#C", "--author", "a1"])
    assert tagged.exit_code == 0 and "1 post(s)" in tagged.output and "second post" in tagged.output, tagged.output
    out = tmp_path / "posts.jsonl"
    exported = runner.invoke(cli, ["--db", str(db_path), "posts", "--campaign", "c", "--since", "2026-01-01",
                                   "--format", "jsonl", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["about"]["campaign"] == "c" and len(lines) == 3
    with Store.open(db_path) as store:
        assert store.conn.execute("SELECT count(*) FROM audit_log WHERE what = 'export posts'").fetchone()[0] == 1


def posts_page(monkeypatch, db, params=None) -> AppTest:
    monkeypatch.setenv("GROUNDSWELL_DB", str(db))
    monkeypatch.setenv("GROUNDSWELL_NOW", "2026-03-06T00:00:00Z")
    at = AppTest.from_file(ENTRY, default_timeout=30)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    at.selectbox(key="range_preset").set_value("Last 7 days").run()
    at.switch_page("app_pages/posts.py").run()
    assert not at.exception, at.exception
    return at


def test_the_page_lists_the_total_hides_offensive_text_and_keeps_the_view_in_the_url(db_path, monkeypatch):
    with Store.open(db_path) as store:
        seeded(store, "one #c", "two #c", "you idiot #c", "four #other")
    at = posts_page(monkeypatch, db_path, {"q": "#c"})
    assert any("**3 post(s)**" in m.value for m in at.markdown)
    table = at.dataframe[0].value
    assert len(table) == 3 and not any("idiot" in t for t in table["text"])
    assert at.text_input(key="posts_q").value == "#c"
    at.text_input(key="posts_q").set_value("two")
    at.button(key="FormSubmitter:posts_filters-Show posts").click().run()
    assert at.query_params["q"] == ["two"] or at.query_params["q"] == "two"
    assert any("**1 post(s)**" in m.value for m in at.markdown)


def test_columns_count_posts_stored_after_the_page_opened(db_path, monkeypatch):
    with Store.open(db_path) as store:
        seeded(store, "one #c", "two #c")
    at = posts_page(monkeypatch, db_path)
    assert not any("new since" in c.value for c in at.caption)
    with Store.open(db_path) as store:
        store.upsert_mentions([Mention(platform="mastodon", native_id="99", created_at="2026-03-05T10:00:00Z",
                                       text="late arrival #c", author_key="z", sentiment=0.1, abuse=0.0)])
    at.run()
    assert any("1 new since you last looked" in c.value for c in at.caption)
