"""Every dashboard page under AppTest against seeded databases: tiles and charts equal what SQL says."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from campaigns.metrics import OFFENSIVE_THRESHOLD, Filters, net_sentiment
from campaigns.model import Campaign, Mention
from campaigns.store import Store
from dashboard import charts

ENTRY = str(Path(__file__).resolve().parents[1] / "dashboard" / "streamlit_app.py")


def app(*, preset: str | None = "Campaign to date") -> AppTest:
    """The app run once on its default page; with a preset, run again with that time range."""
    at = AppTest.from_file(ENTRY, default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    if preset:
        at.selectbox(key="range_preset").set_value(preset).run()
        assert not at.exception, at.exception
    return at


def page(at: AppTest, name: str) -> AppTest:
    at.switch_page(f"app_pages/{name}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metric(at: AppTest, label: str, nth: int = 0) -> str:
    return [m for m in at.metric if m.label == label][nth].value


def figure(at: AppTest, key: str) -> dict:
    """The Plotly spec of the chart with this key, numeric arrays decoded from Plotly 7's bdata."""
    element = next(e for e in at.get("plotly_chart") if e.proto.id and f"chart_{key}" in e.proto.id)
    spec = json.loads(element.proto.spec)
    for trace in spec["data"]:
        for axis in ("x", "y"):
            values = trace.get(axis)
            if isinstance(values, dict) and "bdata" in values:
                trace[axis] = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return spec


def sql_one(path: Path, sql: str, params=()):
    with Store.open(path) as opened:
        return opened.db.conn.execute(sql, params).fetchone()


def window(at: AppTest) -> tuple[int, str, str]:
    chosen = at.session_state["selection"]
    filters = chosen.filters()
    return filters.campaign_id, filters.start, filters.end


def test_overview_tiles_equal_sql_for_every_campaign(demo_db, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_DB", str(demo_db))
    at = app()
    _, start, end = window(at)
    with Store.open(demo_db) as opened:
        campaigns = [c for c in opened.campaigns() if c.status != "archived"]
        for nth, campaign in enumerate(campaigns):
            # Headlines count our side by default.
            mentions, authors = opened.db.conn.execute(
                "SELECT count(*), count(DISTINCT author_key) FROM mention_matches"
                " WHERE campaign_id = ? AND created_at >= ? AND created_at < ? AND side = 'ours'",
                [campaign.id, start, end],
            ).fetchone()
            assert mentions > 0
            assert metric(at, "Mentions", nth) == f"{mentions:,}"
            assert metric(at, "Unique authors", nth) == f"{authors:,}"
            _, reach = opened.reads.distinct_totals(Filters(campaign.id, start, end, sides=("ours",)))
            assert metric(at, "Potential reach", nth) == f"{reach:,}"
    assert "demo data" in " ".join(s.value for s in at.subheader)
    assert at.warning[0].value.startswith("Demo data")
    assert at.get("download_button"), "the overview offers its numbers as CSV"


def test_traction_tiles_and_charts_match_the_store(demo_db, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_DB", str(demo_db))
    at = page(app(), "traction")
    campaign_id, start, end = window(at)
    mentions, engagement = sql_one(
        demo_db, "SELECT count(*), sum(engagement) FROM mention_matches WHERE campaign_id = ?"
        " AND created_at >= ? AND created_at < ? AND side = 'ours'", [campaign_id, start, end])
    assert metric(at, "Mentions") == f"{mentions:,}"
    assert metric(at, "Engagement") == f"{engagement:,}"
    ours, opposing = sql_one(
        demo_db, "SELECT sum(side = 'ours'), sum(side = 'opposing') FROM mention_matches WHERE campaign_id = ?"
        " AND created_at >= ? AND created_at < ?", [campaign_id, start, end])
    assert metric(at, "Share of voice") == f"{ours / (ours + opposing):.0%}"

    spec = figure(at, "mentions")
    drawn = {trace["name"]: sum(trace["y"]) for trace in spec["data"]}
    for platform, originals, reposts in Store.open(demo_db).db.conn.execute(
        "SELECT platform, sum(is_repost = 0), sum(is_repost) FROM mention_matches WHERE campaign_id = ?"
        " AND created_at >= ? AND created_at < ? AND side = 'ours' GROUP BY platform", [campaign_id, start, end]):
        assert drawn[f"{platform} original"] == originals
        assert drawn[f"{platform} reposts"] == reposts
    assert "Time (Europe/London)" in spec["layout"]["xaxis"]["title"]["text"]

    found = Store.open(demo_db).reads.spike_episodes(Filters(campaign_id, start, end, sides=("ours",)))
    assert len(found) > 0, "the demo data has bursts"
    # Spike markers; the planner's actions, events and opposing pushes are marked beside them.
    marker_lines = [s for s in spec["layout"].get("shapes", [])
                    if s.get("type") == "line" and s.get("name", "").startswith("spike")]
    assert len(marker_lines) == len(charts.spike_markers(found)) > 0

    top = at.dataframe[0].value
    best = sql_one(demo_db, "SELECT max(engagement) FROM mention_matches WHERE campaign_id = ? AND is_repost = 0"
                   " AND created_at >= ? AND created_at < ? AND side = 'ours'", [campaign_id, start, end])[0]
    assert top.iloc[0]["engagement"] == best
    assert top.iloc[0]["url"].startswith("https://example.org/demo/")

    tags = figure(at, "hashtags")["data"][0]
    top_tag, count = sql_one(demo_db, "SELECT h.tag, count(*) AS n FROM mention_hashtags h JOIN mention_matches mm"
                             " ON mm.mention_uid = h.mention_uid AND mm.campaign_id = h.campaign_id"
                             " WHERE h.campaign_id = ? AND h.created_at >= ? AND h.created_at < ? AND mm.side = 'ours'"
                             " GROUP BY h.tag ORDER BY n DESC, h.tag LIMIT 1", [campaign_id, start, end])
    assert tags["name"] == "ours" and tags["y"][-1] == f"#{top_tag}" and tags["x"][-1] == count

    reach = figure(at, "reach")["data"][0]["y"]
    _, total_reach = Store.open(demo_db).reads.distinct_totals(Filters(campaign_id, start, end, sides=("ours",)))
    assert reach[-1] == total_reach
    assert metric(at, "Potential reach") == f"{total_reach:,}"
    assert len(at.get("download_button")) >= 7


def test_filters_change_what_every_tile_counts(demo_db, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_DB", str(demo_db))
    at = page(app(), "traction")
    at.multiselect(key="platforms").set_value(["mastodon"]).run()
    at.radio(key="side").set_value("ours").run()
    assert not at.exception
    campaign_id, start, end = window(at)
    assert at.session_state["selection"].filters().platforms == ("mastodon",)
    mentions = sql_one(demo_db, "SELECT count(*) FROM mention_matches WHERE campaign_id = ? AND created_at >= ?"
                       " AND created_at < ? AND platform = 'mastodon' AND side = 'ours'",
                       [campaign_id, start, end])[0]
    assert metric(at, "Mentions") == f"{mentions:,}"
    assert {t["name"] for t in figure(at, "mentions")["data"]} == {"mastodon original", "mastodon reposts"}

    at.selectbox(key="campaign").set_value("save-our-libraries").run()
    campaign_id, start, end = window(at)
    assert campaign_id == sql_one(demo_db, "SELECT id FROM campaigns WHERE slug = 'save-our-libraries'")[0]
    mentions = sql_one(demo_db, "SELECT count(*) FROM mention_matches WHERE campaign_id = ? AND created_at >= ?"
                       " AND created_at < ? AND platform = 'mastodon' AND side = 'ours'",
                       [campaign_id, start, end])[0]
    assert metric(at, "Mentions") == f"{mentions:,}"

    at.selectbox(key="range_preset").set_value("Custom dates").run()
    from datetime import date

    at.date_input(key="range_custom").set_value((date(2026, 11, 1), date(2026, 11, 7))).run()
    assert not at.exception
    campaign_id, start, end = window(at)
    assert (start, end) == ("2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z")  # GMT by then
    mentions = sql_one(demo_db, "SELECT count(*) FROM mention_matches WHERE campaign_id = ? AND created_at >= ?"
                       " AND created_at < ? AND platform = 'mastodon' AND side = 'ours'",
                       [campaign_id, start, end])[0]
    assert metric(at, "Mentions") == f"{mentions:,}"


def test_sentiment_page_tiles_and_extremes_match_sql(demo_db, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_DB", str(demo_db))
    at = page(app(), "sentiment")
    campaign_id, start, end = window(at)
    where = "campaign_id = ? AND created_at >= ? AND created_at < ? AND side = 'ours'"
    params = [campaign_id, start, end]
    positive, negative, scored, abusive, mentions = sql_one(
        demo_db, "SELECT sum(sentiment >= 0.05), sum(sentiment <= -0.05), count(sentiment),"
        f" sum(abuse >= {OFFENSIVE_THRESHOLD}),"
        f" count(*) FROM mention_matches WHERE {where}", params)
    assert metric(at, "Net tone, ours") == f"{net_sentiment(positive, negative):+.2f}"
    assert f"rests on {scored:,} scored posts" in [c.value for c in at.caption]
    assert metric(at, "Positive") == f"{positive:,}"
    assert metric(at, "Negative") == f"{negative:,}"
    assert metric(at, "Offensive language") == f"{abusive / mentions:.0%}"
    lowest = sql_one(demo_db, f"SELECT min(sentiment) FROM mention_matches WHERE {where} AND is_repost = 0", params)[0]
    highest = sql_one(demo_db, f"SELECT max(sentiment) FROM mention_matches WHERE {where} AND is_repost = 0", params)[0]
    tables = [frame.value for frame in at.dataframe]
    assert tables[0].iloc[0]["sentiment"] == pytest.approx(lowest)
    assert tables[1].iloc[0]["sentiment"] == pytest.approx(highest)
    distribution = figure(at, "distribution")["data"]
    assert [trace["name"] for trace in distribution] == ["negative", "neutral", "positive"]
    assert [sum(trace["y"]) for trace in distribution] == [negative, scored - positive - negative, positive]
    by_side = figure(at, "by_side")
    assert {trace["name"] for trace in by_side["data"]} == {"positive", "neutral", "negative"}


def test_post_text_is_shown_as_text_never_as_markup(demo_copy):
    hostile = "<img src=x onerror=alert(1)> **not bold** [link](https://example.com) #AntiSocialMedia"
    with Store.open(demo_copy) as opened:
        opened.upsert_mentions([Mention(platform="x", native_id="999", created_at="2026-11-19T10:00:00Z",
                                        text=hostile, author_key="someone", author_followers=5, likes=100000,
                                        sentiment=0.9, abuse=0.0, url="https://example.org/demo/x/999")],
                                is_demo=True)
    at = page(app(), "traction")
    top = at.dataframe[0].value
    assert top.iloc[0]["text"] == hostile
    rendered = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "onerror" not in rendered and "not bold" not in rendered


def test_campaign_with_no_mentions_shows_zeros_and_na(demo_copy):
    with Store.open(demo_copy) as opened:
        opened.save_campaign(Campaign(slug="quiet", name="Quiet campaign", starts_at="2026-11-01",
                                      timezone="America/New_York", goal_mentions=100))
    at = app()
    at.selectbox(key="campaign").set_value("quiet").run()
    assert "(America/New_York)" in at.session_state["selection"].label()
    for name in ("overview", "traction", "sentiment", "sources"):
        page(at, name)
        if name == "traction":
            assert metric(at, "Mentions") == "0"
            assert metric(at, "Potential reach") == "n/a"
            assert metric(at, "Share of voice") == "n/a"
        if name == "sentiment":
            assert metric(at, "Net tone, ours") == "n/a"
            assert "rests on 0 scored posts" in [c.value for c in at.caption]


def test_a_missing_database_is_named_with_how_to_create_it(db_path):
    at = AppTest.from_file(ENTRY, default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    assert not db_path.exists(), "the dashboard must never create a database"
    message = " ".join(e.value for e in at.error)
    assert str(db_path) in message and "groundswell init" in message


def test_every_page_works_on_an_empty_database(db_path):
    Store.open(db_path).close()
    at = app(preset=None)
    for name in ("overview", "traction", "sentiment", "sources"):
        page(at, name)
        assert any("groundswell" in i.value for i in at.info), name


def test_overview_lists_open_alerts_and_copes_without_the_alerts_table(demo_copy):
    with Store.open(demo_copy) as opened, opened.db.conn:
        # The demo's own pile-on alerts, seen already, so only the one below is open.
        opened.db.conn.execute("UPDATE alerts SET acknowledged_at = '2026-11-20T00:00:00Z'")
        opened.db.conn.execute("INSERT INTO alerts (campaign_id, kind, at, detail) VALUES"
                               " (2, 'spike', '2026-11-19T10:00:00Z', '84 mentions in an hour')")
        opened.db.conn.execute("INSERT INTO alerts (campaign_id, kind, at, detail, acknowledged_at) VALUES"
                               " (2, 'spike', '2026-11-18T10:00:00Z', 'seen', '2026-11-18T11:00:00Z')")
    at = app(preset=None)
    alerts = at.dataframe[0].value
    assert list(alerts["detail"]) == ["84 mentions in an hour"]
    assert list(alerts["campaign"]) == ["save-our-libraries"]
    assert any("1 open alert(s)" in c.value for c in at.caption)
    # Pages read no table a later migration adds; an older database without alerts still works.
    with Store.open(demo_copy) as opened:
        opened.db.conn.execute("DROP TABLE alerts")
    st.cache_data.clear()  # cached reads live a minute; this database changed under them
    at = app(preset="Last 90 days")
    assert any(c.value == "No open alerts." for c in at.caption)


def test_sources_lists_runs_errors_and_budget(demo_copy):
    with Store.open(demo_copy) as opened:
        first = opened.start_run("mastodon", None)
        opened.finish_run(first, status="ok", fetched=40, new=35, updated=5)
        second = opened.start_run("x", 1)
        opened.finish_run(second, status="rate_limited", fetched=100, new=100, error="429 until 12:15",
                          cost_units=100)
    at = page(app(preset=None), "sources")
    summary = at.dataframe[0].value.set_index("collector")
    assert summary.loc["x", "cost_units"] == 100 and summary.loc["x", "rate_limited"] == 1
    assert summary.loc["mastodon", "fetched"] == 40 and summary.loc["mastodon", "last_status"] == "ok"
    errors = at.dataframe[1].value
    assert list(errors["error"]) == ["429 until 12:15"]
    assert len(figure(at, "runs")["data"]) == 2


def test_sources_says_how_to_collect_when_nothing_ran(demo_db, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_DB", str(demo_db))
    at = page(app(preset=None), "sources")
    assert any("groundswell collect" in i.value for i in at.info)


def test_password_gate(demo_copy, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_DASHBOARD_PASSWORD", "correct horse")
    at = AppTest.from_file(ENTRY, default_timeout=30).run()
    assert not at.metric and not at.sidebar.selectbox
    at.text_input(key="password").set_value("wrong").run()
    assert at.error and not at.metric
    at.text_input(key="password").set_value("correct horse").run()
    assert not at.exception
    assert at.metric and at.sidebar.selectbox


def test_no_script_relies_on_magic_and_every_launch_says_the_same_settings():
    """Magic (a bare value written to the page) is off however the app starts, so no script may
    name a value alone expecting it shown: it would vanish without an error."""
    import ast
    import tomllib

    from groundswell.context import STREAMLIT_SETTINGS

    dashboard = Path(__file__).resolve().parents[1] / "dashboard"
    bare = []
    for script in sorted(dashboard.rglob("*.py")):
        for node in ast.walk(ast.parse(script.read_text())):
            if isinstance(node, ast.Expr) and not isinstance(node.value, ast.Call | ast.Await | ast.Yield) \
                    and not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
                bare.append(f"{script.name}:{node.lineno}")
    assert bare == []
    config = tomllib.loads((dashboard / ".streamlit" / "config.toml").read_text())
    for name, value in STREAMLIT_SETTINGS.items():
        section, option = name.split(".")
        assert str(config[section][option]).lower() == value, name
