"""The store's dashboard reads on the seeded demo database: right answers, from index range scans only."""

from __future__ import annotations

import pytest

from campaigns.metrics import Filters
from campaigns.store import Store

START, END = "2026-10-21T00:00:00Z", "2026-11-21T00:00:00Z"


@pytest.fixture
def demo(demo_db):
    with Store.open(demo_db) as opened:
        yield opened


def campaign_id(conn, slug: str) -> int:
    return conn.execute("SELECT id FROM campaigns WHERE slug = ?", [slug]).fetchone()[0]


def plan(conn, sql: str, params) -> str:
    return " | ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))


def test_cumulative_reach_ends_at_the_windows_potential_reach(demo):
    filters = Filters(campaign_id(demo.conn, "antisocial"), START, END)
    frame = demo.reads.cumulative_potential_reach(filters, "Europe/London", "day")
    assert frame["potential_reach"].is_monotonic_increasing
    assert frame["potential_reach"].iloc[-1] == demo.reads.distinct_totals(filters)[1]
    # Never a sum of daily values: that would count an audience again each day it posts.
    assert len(frame) == 31  # local days 21 Oct (from 01:00 BST) to 20 Nov


def test_top_amplifiers_rank_authors_by_their_own_followers(demo):
    filters = Filters(campaign_id(demo.conn, "save-our-libraries"), START, END, ("x", "bluesky"))
    frame = demo.reads.top_amplifiers(filters, limit=5)
    expected = demo.conn.execute(
        "SELECT author_key, max(reach_value) FROM mention_matches WHERE campaign_id = ? AND created_at >= ?"
        " AND created_at < ? AND platform IN ('x', 'bluesky') AND reach_key = author_key"
        " GROUP BY author_key, platform ORDER BY 2 DESC LIMIT 5", [filters.campaign_id, START, END]).fetchall()
    assert list(frame["reach_brought"]) == [row[1] for row in expected]
    everyone = demo.reads.top_amplifiers(Filters(filters.campaign_id, START, END), limit=50)
    assert "reddit" not in set(everyone["platform"]), "a subreddit's audience is not the author's"


def test_top_hashtags_with_and_without_filters(demo):
    cid = campaign_id(demo.conn, "antisocial")
    tags = demo.reads.top_hashtags(Filters(cid, START, END), tracked=["antisocialmedia", "lovesus"])
    assert dict(zip(tags["tag"], tags["tracked"], strict=True))["antisocialmedia"]
    assert not dict(zip(tags["tag"], tags["tracked"], strict=True))["students"]
    ours_on_x = demo.reads.top_hashtags(Filters(cid, START, END, ("x",), ("ours",)))
    count = demo.conn.execute(
        "SELECT count(*) FROM mention_hashtags h JOIN mention_matches m ON m.mention_uid = h.mention_uid"
        " AND m.campaign_id = h.campaign_id WHERE h.campaign_id = ? AND h.tag = 'lovesus' AND m.platform = 'x'"
        " AND m.side = 'ours' AND m.created_at >= ? AND m.created_at < ?", [cid, START, END]).fetchone()[0]
    assert dict(zip(ours_on_x["tag"], ours_on_x["posts"], strict=True))["lovesus"] == count


def test_sentiment_histogram_adds_up_to_the_classes(demo):
    filters = Filters(campaign_id(demo.conn, "councillor-watch"), START, END)
    frame = demo.reads.sentiment_histogram(filters)
    assert len(frame) == 20 and frame["low"].iloc[0] == -1.0 and frame["high"].iloc[-1] == 1.0
    positive, negative, scored = demo.conn.execute(
        "SELECT sum(sentiment >= 0.05), sum(sentiment <= -0.05), count(sentiment) FROM mention_matches"
        " WHERE campaign_id = ? AND created_at >= ? AND created_at < ?", [filters.campaign_id, START, END]).fetchone()
    assert (frame["positive"].sum(), frame["negative"].sum(), frame["posts"].sum()) == (positive, negative, scored)


def test_top_and_extreme_posts_come_with_text_and_links(demo):
    filters = Filters(campaign_id(demo.conn, "antisocial"), START, END, sides=("opposing",))
    top = demo.reads.top_posts(filters, limit=3)
    assert list(top["engagement"]) == sorted(top["engagement"], reverse=True)
    assert set(top["side"]) == {"opposing"} and top["url"].str.startswith("https://example.org/").all()
    worst = demo.reads.extreme_posts(filters, "negative", limit=3)
    assert worst["sentiment"].is_monotonic_increasing and worst["text"].str.len().gt(0).all()
    with pytest.raises(ValueError):
        demo.reads.extreme_posts(filters, "sideways")


def test_reads_stay_on_the_indexes(demo):
    """Amplifiers, reach and hashtags read only indexes; post lists walk the campaign's range index."""
    where, params = Filters(1, START, END).where()
    assert "COVERING INDEX mention_matches_range" in plan(
        demo.conn, f"SELECT author_key, max(reach_value) FROM mention_matches WHERE {where} AND reach_key = author_key"
        " GROUP BY author_key, platform", params)
    assert "COVERING INDEX mention_hashtags_range" in plan(
        demo.conn, f"SELECT tag, count(*) FROM mention_hashtags WHERE {where} GROUP BY tag", params)
    assert "INDEX mention_matches_range" in plan(
        demo.conn, f"SELECT mention_uid FROM mention_matches WHERE {where} AND is_repost = 0 ORDER BY engagement DESC"
        " LIMIT 10", params)


def test_runs_and_alerts(store):
    run = store.start_run("bluesky", None)
    store.finish_run(run, status="error", error="401 bad app password")
    runs = store.reads.last_runs()
    assert list(runs["status"]) == ["error"] and runs["seconds"].iloc[0] >= 0
    summary = store.reads.source_summary("2099-01-01T00:00:00Z", days=365 * 100)
    assert summary.iloc[0]["errors"] == 1 and summary.iloc[0]["last_error"] == "401 bad app password"
    assert store.reads.open_alerts().empty
    assert store.table_exists("alerts") and not store.table_exists("nope")
