"""campaigns.queries on the seeded demo database: right answers, from index range scans only."""

from __future__ import annotations

import pytest

from campaigns import queries
from campaigns.metrics import Filters, distinct_totals
from campaigns.store import Store

START, END = "2026-10-21T00:00:00Z", "2026-11-21T00:00:00Z"


@pytest.fixture
def conn(demo_db):
    with Store.open(demo_db) as opened:
        yield opened.db.conn


def campaign_id(conn, slug: str) -> int:
    return conn.execute("SELECT id FROM campaigns WHERE slug = ?", [slug]).fetchone()[0]


def plan(conn, sql: str, params) -> str:
    return " | ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))


def test_cumulative_reach_ends_at_the_windows_potential_reach(conn):
    filters = Filters(campaign_id(conn, "antisocial"), START, END)
    frame = queries.cumulative_potential_reach(conn, filters, "Europe/London", "day")
    assert frame["potential_reach"].is_monotonic_increasing
    assert frame["potential_reach"].iloc[-1] == distinct_totals(conn, filters)[1]
    # Never a sum of daily values: that would count an audience again each day it posts.
    assert len(frame) == 31  # local days 21 Oct (from 01:00 BST) to 20 Nov


def test_top_amplifiers_rank_authors_by_their_own_followers(conn):
    filters = Filters(campaign_id(conn, "save-our-libraries"), START, END, ("x", "bluesky"))
    frame = queries.top_amplifiers(conn, filters, limit=5)
    expected = conn.execute(
        "SELECT author_key, max(reach_value) FROM mention_matches WHERE campaign_id = ? AND created_at >= ?"
        " AND created_at < ? AND platform IN ('x', 'bluesky') AND reach_key = author_key"
        " GROUP BY author_key, platform ORDER BY 2 DESC LIMIT 5", [filters.campaign_id, START, END]).fetchall()
    assert list(frame["reach_brought"]) == [row[1] for row in expected]
    everyone = queries.top_amplifiers(conn, Filters(filters.campaign_id, START, END), limit=50)
    assert "reddit" not in set(everyone["platform"]), "a subreddit's audience is not the author's"


def test_top_hashtags_with_and_without_filters(conn):
    cid = campaign_id(conn, "antisocial")
    tags = queries.top_hashtags(conn, Filters(cid, START, END), tracked=["antisocialmedia", "lovesus"])
    assert dict(zip(tags["tag"], tags["tracked"], strict=True))["antisocialmedia"]
    assert not dict(zip(tags["tag"], tags["tracked"], strict=True))["students"]
    ours_on_x = queries.top_hashtags(conn, Filters(cid, START, END, ("x",), ("ours",)))
    count = conn.execute(
        "SELECT count(*) FROM mention_hashtags h JOIN mention_matches m ON m.mention_uid = h.mention_uid"
        " AND m.campaign_id = h.campaign_id WHERE h.campaign_id = ? AND h.tag = 'lovesus' AND m.platform = 'x'"
        " AND m.side = 'ours' AND m.created_at >= ? AND m.created_at < ?", [cid, START, END]).fetchone()[0]
    assert dict(zip(ours_on_x["tag"], ours_on_x["posts"], strict=True))["lovesus"] == count


def test_sentiment_histogram_adds_up_to_the_classes(conn):
    filters = Filters(campaign_id(conn, "councillor-watch"), START, END)
    frame = queries.sentiment_histogram(conn, filters)
    assert len(frame) == 20 and frame["low"].iloc[0] == -1.0 and frame["high"].iloc[-1] == 1.0
    positive, negative, scored = conn.execute(
        "SELECT sum(sentiment >= 0.05), sum(sentiment <= -0.05), count(sentiment) FROM mention_matches"
        " WHERE campaign_id = ? AND created_at >= ? AND created_at < ?", [filters.campaign_id, START, END]).fetchone()
    assert (frame["positive"].sum(), frame["negative"].sum(), frame["posts"].sum()) == (positive, negative, scored)


def test_top_and_extreme_posts_come_with_text_and_links(conn):
    filters = Filters(campaign_id(conn, "antisocial"), START, END, sides=("opposing",))
    top = queries.top_posts(conn, filters, limit=3)
    assert list(top["engagement"]) == sorted(top["engagement"], reverse=True)
    assert set(top["side"]) == {"opposing"} and top["url"].str.startswith("https://example.org/").all()
    worst = queries.extreme_posts(conn, filters, "negative", limit=3)
    assert worst["sentiment"].is_monotonic_increasing and worst["text"].str.len().gt(0).all()
    with pytest.raises(ValueError):
        queries.extreme_posts(conn, filters, "sideways")


def test_reads_stay_on_the_indexes(conn):
    """Amplifiers, reach and hashtags read only indexes; post lists walk the campaign's range index."""
    where, params = Filters(1, START, END).where()
    assert "COVERING INDEX mention_matches_range" in plan(
        conn, f"SELECT author_key, max(reach_value) FROM mention_matches WHERE {where} AND reach_key = author_key"
        " GROUP BY author_key, platform", params)
    assert "COVERING INDEX mention_hashtags_range" in plan(
        conn, f"SELECT tag, count(*) FROM mention_hashtags WHERE {where} GROUP BY tag", params)
    assert "INDEX mention_matches_range" in plan(
        conn, f"SELECT mention_uid FROM mention_matches WHERE {where} AND is_repost = 0 ORDER BY engagement DESC"
        " LIMIT 10", params)


def test_runs_and_alerts(store):
    run = store.start_run("bluesky", None)
    store.finish_run(run, status="error", error="401 bad app password")
    runs = queries.last_runs(store.db.conn)
    assert list(runs["status"]) == ["error"] and runs["seconds"].iloc[0] >= 0
    summary = queries.source_summary(store.db.conn, "2099-01-01T00:00:00Z", days=365 * 100)
    assert summary.iloc[0]["errors"] == 1 and summary.iloc[0]["last_error"] == "401 bad app password"
    assert queries.open_alerts(store.db.conn).empty
    assert queries.table_exists(store.db.conn, "alerts") and not queries.table_exists(store.db.conn, "nope")
