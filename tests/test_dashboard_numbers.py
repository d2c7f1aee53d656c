"""Numbers an organiser can trust, page by page under AppTest: sides kept apart, honest spikes and
trends, an empty range that says where the data is, one time convention, tone that says it is tone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import streamlit as st
from conftest import DEMO_UNTIL
from test_dashboard_pages import app, figure, metric, page, sql_one, window

from campaigns import clock
from campaigns.metrics import Filters
from campaigns.model import Campaign, Mention, Tracker, iso_utc
from campaigns.store import Store
from dashboard import charts


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test builds its own database at the same path: cached reads must not carry over."""
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def post(n: int, at: datetime, text: str, **fields) -> Mention:
    values = dict(platform="x", author_key=f"author{n % 50}", author_followers=100 + n, likes=n % 4, reposts=0,
                  replies=0, quotes=0, sentiment=0.6 if n % 3 else -0.6, abuse=0.0)
    values.update(fields)
    return Mention(native_id=str(n), created_at=iso_utc(at), text=text, **values)


def campaign_db(path, posts: list[Mention], timezone: str = "Asia/Kolkata", starts: str = "2021-01-01") -> None:
    with Store.open(path) as store:
        store.save_campaign(Campaign(slug="libs", name="Save Our Libraries", starts_at=starts, timezone=timezone,
                                     trackers=[Tracker("hashtag", "saveourlibraries", "ours"),
                                               Tracker("hashtag", "wastefulcouncil", "opposing"),
                                               Tracker("keyword", "council budget", "monitor"),
                                               Tracker("account", "cllr_amina", "protect")]))
        store.upsert_mentions(posts)


def test_an_import_from_long_ago_says_where_its_posts_are_and_offers_that_range(db_path):
    # Posts from March 2021 (as an archive imported today would be), in a half-hour zone.
    base = datetime(2021, 3, 1, 18, 45, tzinfo=UTC)  # 00:15 on 2 March in Kolkata
    campaign_db(db_path, [post(i, base + timedelta(hours=5 * i), "#SaveOurLibraries now") for i in range(40)])
    with clock.pinned("2026-11-20T12:00:00Z"):
        at = app(preset=None)
        message = " ".join(i.value for i in at.info)
        assert "No posts of Save Our Libraries in this range" in message
        assert "02 Mar 2021 to 10 Mar 2021 (Asia/Kolkata)" in message
        mentions = figure(page(at, "traction"), "mentions")
        assert mentions["layout"]["xaxis"]["visible"] is False, "an empty chart is a message, not axes"
        assert [a["text"] for a in mentions["layout"]["annotations"]] == [charts.EMPTY_TEXT]
        at.button(key="range_hint").click().run()
        assert not at.exception
        chosen = at.session_state["selection"]
        assert chosen.preset == "Custom dates"
        assert (chosen.start, chosen.end) == (datetime(2021, 3, 1, 18, 30, tzinfo=UTC),
                                              datetime(2021, 3, 10, 18, 30, tzinfo=UTC))
        assert metric(at, "Mentions") == "40"
        assert not any("No posts of" in i.value for i in at.info)


def test_headlines_count_our_side_with_the_others_beside_them(demo_db, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_DB", str(demo_db))
    monkeypatch.setenv("GROUNDSWELL_NOW", iso_utc(DEMO_UNTIL))  # the demo's last week
    at = app(preset="Last 7 days")
    assert at.radio(key="side").value == "ours"
    assert at.radio(key="side").options == ["ours", "opposing", "monitor", "protect", "all"]
    _, start, end = window(at)
    with Store.open(demo_db) as opened:
        libraries = opened.campaign("save-our-libraries")
        nth = [c.slug for c in opened.campaigns() if c.status != "archived"].index("save-our-libraries")
        length = pd.Timestamp(end) - pd.Timestamp(start)
        before = iso_utc(pd.Timestamp(start) - length)
        count = {(side, when): n for side, when, n in opened.db.conn.execute(
            "SELECT side, created_at >= ?, count(*) FROM mention_matches WHERE campaign_id = ? AND created_at >= ?"
            " AND created_at < ? GROUP BY 1, 2", [start, libraries.id, before, end])}
    ours, opposing = count[("ours", 1)], count[("opposing", 1)]
    assert metric(at, "Mentions", nth) == f"{ours:,}"
    share, previous = ours / (ours + opposing), count[("ours", 0)] / (count[("ours", 0)] + count[("opposing", 0)])
    voice = [m for m in at.metric if m.label == "Share of voice"][nth]
    assert voice.value == f"{share:.0%}" and voice.delta == f"{(share - previous) * 100:+.0f} pts"
    change = (opposing - count[("opposing", 0)]) / count[("opposing", 0)]
    beside = [c.value for c in at.caption if c.value.startswith("Tiles count our side")][nth]
    assert f"opposing {opposing:,} ({change:+.0%})" in beside

    at.radio(key="side").set_value("all").run()
    assert metric(at, "Mentions", nth) == f"{sum(n for (side, now), n in count.items() if now):,}"
    assert [c.value for c in at.caption if c.value.startswith("Tiles count every side")]


def test_the_side_filter_selects_protected_accounts_and_monitored_terms(demo_db, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_DB", str(demo_db))
    at = page(app(), "traction")
    at.selectbox(key="campaign").set_value("councillor-watch").run()
    for side in ("protect", "monitor"):
        at.radio(key="side").set_value(side).run()
        assert not at.exception
        campaign_id, start, end = window(at)
        (mentions,) = sql_one(demo_db, "SELECT count(*) FROM mention_matches WHERE campaign_id = ? AND side = ?"
                              " AND created_at >= ? AND created_at < ?", [campaign_id, side, start, end])
        assert mentions > 0 and metric(at, "Mentions") == f"{mentions:,}"


def test_hashtags_and_amplifiers_are_coloured_by_side(demo_db, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_DB", str(demo_db))
    at = page(app(), "traction")
    at.selectbox(key="campaign").set_value("save-our-libraries").run()
    at.radio(key="side").set_value("all").run()
    campaign_id, start, end = window(at)
    tags = figure(at, "hashtags")
    by_side = {trace["name"]: dict(zip(trace["y"], trace["x"], strict=True)) for trace in tags["data"]}
    assert {"ours", "opposing"} <= set(by_side)
    assert all(trace["marker"]["color"] == charts.SIDE_COLOURS[trace["name"]] for trace in tags["data"])
    assert tags["layout"]["barmode"] == "stack" and tags["layout"].get("showlegend", True)
    # The opposing narrative's tag is drawn in the opposing side's colour, not the campaign's own.
    assert by_side["opposing"]["#wastefulcouncil"] > 0 and by_side["ours"]["#wastefulcouncil"] == 0
    for side, counts in by_side.items():
        for tag, drawn in counts.items():
            (stored,) = sql_one(demo_db, "SELECT count(*) FROM mention_hashtags h JOIN mention_matches mm"
                                " ON mm.mention_uid = h.mention_uid AND mm.campaign_id = h.campaign_id"
                                " WHERE h.campaign_id = ? AND h.tag = ? AND mm.side = ? AND h.created_at >= ?"
                                " AND h.created_at < ?", [campaign_id, tag[1:], side, start, end])
            assert drawn == stored, (side, tag)
    amplifiers = figure(at, "amplifiers")
    drawn = {name: trace["name"] for trace in amplifiers["data"] for name in trace["y"]}
    assert set(drawn.values()) >= {"ours", "opposing"}
    assert all(trace["marker"]["color"] == charts.SIDE_COLOURS[trace["name"]] for trace in amplifiers["data"])
    for author, platform in sql_rows(demo_db, "SELECT DISTINCT author_key, platform FROM mention_matches WHERE"
                                     " campaign_id = ? AND created_at >= ? AND created_at < ?",
                                     [campaign_id, start, end]):
        label = f"{author} ({platform})"
        if label in drawn:
            (main_side,) = sql_one(demo_db, "SELECT side FROM mention_matches WHERE campaign_id = ? AND author_key = ?"
                                   " AND platform = ? AND created_at >= ? AND created_at < ? GROUP BY side"
                                   " ORDER BY count(*) DESC LIMIT 1", [campaign_id, author, platform, start, end])
            assert drawn[label] == main_side, label


def sql_rows(path, sql: str, params=()):
    with Store.open(path) as opened:
        return opened.db.conn.execute(sql, params).fetchall()


def test_no_spike_before_a_week_of_history_and_episodes_largest_first(db_path):
    start = datetime(2026, 3, 1, tzinfo=UTC)
    posts, n = [], 0
    for hour in range(16 * 24):
        at = start + timedelta(hours=hour)
        # A steady trickle, a burst on day 2 (no baseline yet), two bursts later (a real spike).
        count = 1 + (hour % 3 == 0) + (40 if hour == 30 else 0) + (25 if hour in (9 * 24 + 14, 9 * 24 + 15) else 0) \
            + (60 if hour == 13 * 24 + 10 else 0)
        for _ in range(count):
            posts.append(post(n, at + timedelta(minutes=n % 50), "#SaveOurLibraries"))
            n += 1
    campaign_db(db_path, posts, timezone="Europe/London", starts="2026-03-01")
    with clock.pinned("2026-03-17T00:00:00Z"):
        at = page(app(preset="Campaign to date"), "traction")
        spec = figure(at, "mentions")
        lines = [s for s in spec["layout"]["shapes"] if s.get("name", "").startswith("spike")]
        assert [pd.Timestamp(s["x0"]) for s in lines] == [pd.Timestamp("2026-03-10 14:00"),
                                                          pd.Timestamp("2026-03-14 10:00")]
        assert any("baseline needs 7 days of history" in a["text"] for a in spec["layout"]["annotations"])
        episodes = [t for t in at.dataframe if "peak mentions" in t.value.columns][0].value
        assert list(episodes["mentions"]) == [61, 53]  # the single 61-post hour first, then the two-hour 26 + 27
        assert list(episodes["hours"]) == [1, 2]
        assert list(episodes["from"]) == ["2026-03-14 10:00", "2026-03-10 14:00"]  # GMT until 29 March
        assert any("2 spike episode(s)" in c.value for c in at.caption)


def test_every_time_on_a_page_is_in_the_campaigns_zone(db_path):
    at_noon = datetime(2026, 3, 5, 6, 40, tzinfo=UTC)  # 12:10 in Kolkata
    campaign_db(db_path, [post(1, at_noon, "#SaveOurLibraries read-in", likes=90)], starts="2026-03-01")
    with clock.pinned("2026-03-07T00:00:00Z"):
        at = page(app(preset="Last 7 days"), "traction")
        top = at.dataframe[0].value
        assert list(top["created_at"]) == ["2026-03-05 12:10"]
        header = " ".join(c.value for c in at.caption)
        assert "every time on this page in Asia/Kolkata" in header and "UTC" not in header
        at = page(at, "sentiment")
        assert at.dataframe[1].value.iloc[0]["created_at"] == "2026-03-05 12:10"


def test_the_tone_page_says_it_is_tone_and_keeps_sides_apart(demo_db, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_DB", str(demo_db))
    at = page(app(), "sentiment")
    assert any("Tone, not stance" in i.value for i in at.info)
    campaign_id, start, end = window(at)
    for side in ("ours", "opposing"):
        positive, negative = sql_one(demo_db, "SELECT sum(sentiment >= 0.05), sum(sentiment <= -0.05) FROM"
                                     " mention_matches WHERE campaign_id = ? AND side = ? AND created_at >= ?"
                                     " AND created_at < ?", [campaign_id, side, start, end])
        assert metric(at, f"Net tone, {side}", -1) == f"{(positive - negative) / (positive + negative):+.2f}"
    lines = {t["name"] for t in figure(at, "net")["data"] if t["type"] == "scatter"}
    assert {"net tone, ours", "net tone, opposing"} <= lines and "net tone" not in lines
    assert not [m for m in at.metric if "sentiment" in m.label.lower()]


def test_a_change_from_a_tiny_base_says_so(db_path):
    now = datetime(2026, 3, 15, 12, tzinfo=UTC)
    posts = [post(i, now - timedelta(days=10, hours=i), "#SaveOurLibraries") for i in range(6)]
    posts += [post(100 + i, now - timedelta(hours=1 + i % 100), "#SaveOurLibraries") for i in range(126)]
    campaign_db(db_path, posts, timezone="UTC", starts="2026-03-01")
    with clock.pinned(now):
        at = page(app(preset="Last 7 days"), "traction")
        mentions = next(m for m in at.metric if m.label == "Mentions")
        assert (mentions.value, mentions.delta) == ("126", "+2000% (from 6)")


def test_filters_scope_spike_history_to_the_chosen_side(demo_db):
    with Store.open(demo_db, readonly=True) as store:
        campaign = store.campaign("antisocial")
        first_all = store.reads.first_hour(Filters(campaign.id, "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"))
        first_protect = store.reads.first_hour(Filters(campaign.id, "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z",
                                                       sides=("protect",)))
        (expected,) = store.db.conn.execute("SELECT min(hour) FROM hourly WHERE campaign_id = ? AND side = 'protect'",
                                            [campaign.id]).fetchone()
    assert first_protect == pd.Timestamp(expected) >= first_all
