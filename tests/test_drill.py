"""Drill-down: a click on a chart opens the Posts page on exactly the posts behind it, its total equal to the chart's."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

from campaigns.model import to_datetime
from campaigns.store import Store

ENTRY = str(Path(__file__).resolve().parents[1] / "dashboard" / "streamlit_app.py")


def decoded(values):
    """A Plotly 7 array as a list (numeric arrays are packed as base64 `bdata`)."""
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return values


def chart(at: AppTest, key: str):
    return next(e for e in at.get("plotly_chart") if e.proto.id and f"chart_{key}" in e.proto.id)


def spec(at: AppTest, key: str) -> dict:
    figure = json.loads(chart(at, key).proto.spec)
    for trace in figure["data"]:
        for axis in ("x", "y", "customdata"):
            if axis in trace:
                trace[axis] = decoded(trace[axis])
    return figure


def click(at: AppTest, key: str, curve: int, index: int) -> AppTest:
    """What the browser sends when a point of the chart is clicked: the chart's selection state,
    beside every other widget's state, for the next run."""
    states = at._tree.get_widget_states()
    point = {"curve_number": curve, "point_number": index, "point_index": index}
    states.widgets.append(WidgetState(id=chart(at, key).proto.id, string_value=json.dumps(
        {"selection": {"points": [point], "point_indices": [index], "box": [], "lasso": []}})))
    at._run(states)
    assert not at.exception, [e.message for e in at.exception]
    return at


def shown_count(trace: dict, index: int) -> int:
    """The count of posts the chart draws for a point: where its drill-down says it is."""
    where = trace["meta"]["drill"]["count"]
    return int(round(trace[where][index]))


def posts_total(at: AppTest) -> int:
    found = [m.value for m in at.markdown if re.match(r"\*\*[\d,]+ post\(s\)\*\*", m.value)]
    assert found, [m.value for m in at.markdown]
    return int(found[0].split("**")[1].split()[0].replace(",", ""))


def opened(monkeypatch, demo_db, page: str, side: str = "ours") -> AppTest:
    monkeypatch.setenv("GROUNDSWELL_DB", str(demo_db))
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.run()
    at.selectbox(key="range_preset").set_value("Campaign to date").run()
    if side != "ours":
        at.radio(key="side").set_value(side).run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def points_of(figure: dict, *, where=None):
    """(curve, index, trace) of every drillable point with posts behind it."""
    for curve, trace in enumerate(figure["data"]):
        meta = trace.get("meta") or {}
        if "drill" not in meta or not meta["drill"]["count"]:
            continue
        for index in range(len(meta["points"])):
            value = trace[meta["drill"]["count"]][index]
            if value is not None and not (isinstance(value, float) and np.isnan(value)) and value > 0:
                if where is None or where(trace, index):
                    yield curve, index, trace


def drill_and_count(monkeypatch, demo_db, page: str, key: str, pick, side: str = "ours") -> tuple[int, int, AppTest]:
    at = opened(monkeypatch, demo_db, page, side)
    curve, index, trace = pick(list(points_of(spec(at, key))))
    expected = shown_count(trace, index)
    click(at, key, curve, index)
    assert at.title and at.title[0].value == "Posts", "the click did not open the Posts page"
    return expected, posts_total(at), at


def largest(points):
    return max(points, key=lambda p: shown_count(p[2], p[1]))


def smallest(points):
    return min(points, key=lambda p: shown_count(p[2], p[1]))


@pytest.mark.parametrize(("page", "key", "pick", "side"), [
    ("traction", "mentions", largest, "ours"),       # the busiest bucket's bar of one platform, originals
    ("traction", "mentions", smallest, "all"),       # a quiet bucket's bar, every side
    ("traction", "voice", lambda p: [x for x in p if x[2]["type"] == "bar"][-1], "ours"),  # one side, last bucket
    ("traction", "hashtags", largest, "ours"),       # a hashtag, one side
    ("traction", "amplifiers", largest, "ours"),     # an amplifier's posts
    ("sentiment", "by_side", largest, "ours"),       # a tone bar of one side
    ("sentiment", "distribution", largest, "ours"),  # a slice of the tone distribution, one class
    ("sentiment", "by_platform", smallest, "opposing"),  # a tone bar of one platform, the other side
    ("sentiment", "abuse", largest, "opposing"),     # a bucket's offensive posts
    ("sentiment", "net", lambda p: [x for x in p if x[2]["type"] == "scatter"][0], "ours"),  # a net tone point
])
def test_a_click_opens_the_posts_behind_it_and_their_total_is_the_charts(monkeypatch, demo_db, page, key, pick,
                                                                          side):
    expected, total, at = drill_and_count(monkeypatch, demo_db, page, key, pick, side)
    assert expected > 0
    assert total == expected
    # The page says what the chart showed, and the view is in the URL.
    assert any("From the chart" in i.value for i in at.info)
    assert "from" in at.query_params and "campaign" in at.query_params


def test_a_spike_marker_opens_the_episodes_posts(monkeypatch, demo_db):
    at = opened(monkeypatch, demo_db, "traction")
    figure = spec(at, "mentions")
    spikes = [(c, i, t) for c, i, t in points_of(figure) if t.get("name") == "spike episodes"]
    assert spikes, "the demo data set has spike episodes"
    curve, index, trace = spikes[0]
    expected = shown_count(trace, index)
    click(at, "mentions", curve, index)
    assert at.title[0].value == "Posts"
    assert posts_total(at) == expected >= 10


def test_the_engagement_point_says_it_is_not_a_count(monkeypatch, demo_db):
    at = opened(monkeypatch, demo_db, "traction")
    figure = spec(at, "engagement")
    curve, trace = next((c, t) for c, t in enumerate(figure["data"]) if (t.get("meta") or {}).get("drill"))
    index = max(range(len(trace["y"])), key=lambda i: trace["y"][i] or 0)
    click(at, "engagement", curve, index)
    assert at.title[0].value == "Posts"
    note = next(i.value for i in at.info if "From the chart" in i.value)
    assert "engagement" in note and "original posts" in note
    assert at.query_params["kind"] in ("original", ["original"])


def test_sql_agrees_with_a_drilled_window(monkeypatch, demo_db):
    """The Posts total after a click counts the matches of the window, platform and side as SQL does."""
    expected, total, at = drill_and_count(
        monkeypatch, demo_db, "traction", "mentions",
        lambda points: largest([p for p in points if p[2].get("name") != "spike episodes"]))
    params = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    # The sidebar's view came through the switch of page whole.
    assert at.session_state["range_preset"] == "Campaign to date" and params["range"] == "campaign"
    chosen = at.session_state["selection"]
    with Store.open(demo_db) as opened_store:
        counted = opened_store.db.conn.execute(
            "SELECT count(*) FROM mention_matches WHERE campaign_id = ? AND created_at >= ? AND created_at < ?"
            " AND platform = ? AND side = ? AND is_repost = ?",
            [chosen.campaign.id, params["from"], params["to"], params["post_platforms"], params["post_sides"],
             1 if params["kind"] == "repost" else 0]).fetchone()[0]
    # A day's bar holds its local day, midnight to midnight in the campaign's zone (23 or 25 hours
    # across a change of the clocks), cut at the range's end.
    zone = ZoneInfo(chosen.tz)
    first, last = (to_datetime(params[k]).astimezone(zone) for k in ("from", "to"))
    assert (first.hour, first.minute) == (0, 0) and first.date() + timedelta(days=1) == last.date()
    assert (last.hour, last.minute) == (0, 0) or to_datetime(params["to"]) == chosen.end
    assert counted == total == expected


def test_a_forged_or_stray_selection_opens_nothing():
    from datetime import UTC, datetime

    from campaigns.model import Campaign
    from dashboard.drill import target
    from dashboard.selection import Selection

    campaign = Campaign(slug="c", name="C", starts_at="2026-01-01")
    campaign.id = 1
    chosen = Selection("x.db", [campaign], campaign, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC))
    figure = {"data": [{"type": "bar", "y": [3], "meta": {"drill": {"what": "posts", "count": "y"},
                                                         "points": [{"bucket": "2026-01-01T05:00:00+00:00"}]}}]}
    assert target(figure, {"curve_number": 0, "point_index": 0}, chosen, 0.2).count == 3
    for forged in ({"curve_number": "0", "point_index": 0}, {"curve_number": 0, "point_index": 7},
                   {"curve_number": True, "point_index": 0}, {"curve_number": 5, "point_index": 0}, [], "x"):
        assert target(figure, forged, chosen, 0.2) is None
    outside = {"data": [{**figure["data"][0], "meta": {**figure["data"][0]["meta"],
                                                       "points": [{"bucket": "2025-06-01T00:00:00+00:00"}]}}]}
    assert target(outside, {"curve_number": 0, "point_index": 0}, chosen, 0.2) is None


def test_a_row_of_the_spike_episodes_table_opens_the_episodes_posts(monkeypatch, demo_db):
    at = opened(monkeypatch, demo_db, "traction")
    table = next(e for e in at.dataframe if e.proto.id and "spikes_table" in e.proto.id)
    rows = table.value
    assert len(rows) >= 2
    states = at._tree.get_widget_states()
    states.widgets.append(WidgetState(id=table.proto.id, string_value=json.dumps(
        {"selection": {"rows": [1], "columns": [], "cells": []}})))
    at._run(states)
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "Posts"
    assert posts_total(at) == int(rows["mentions"].iloc[1])
    assert any("From the spike episodes" in i.value for i in at.info)


def test_every_hashtag_amplifier_and_tone_slice_counts_the_same_posts_in_the_stream(demo_db):
    """Each bar of the hashtag, amplifier and tone-distribution charts against the stream's total
    for the filters a click on it sets, over the whole demo range."""
    from campaigns.metrics import Filters
    from campaigns.model import SIDES
    from campaigns.stream import TONES, PostQuery

    with Store.open(demo_db, readonly=True) as store:
        for campaign in store.campaigns():
            first, last = store.reads.post_bounds(campaign.id)
            if first is None:
                continue
            window = Filters(campaign.id, "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z", sides=("ours", "opposing"))
            tags = store.reads.top_hashtags(window, limit=50)
            assert len(tags)
            for row in tags.itertuples():
                for side in ("ours", "opposing"):
                    one_side = Filters(campaign.id, window.start, window.end, sides=(side,))
                    assert store.posts.page(PostQuery(one_side, tag=row.tag))[1] == getattr(row, side), row.tag
            for row in store.reads.top_amplifiers(window, limit=30).itertuples():
                narrowed = Filters(campaign.id, window.start, window.end, (row.platform,), window.sides)
                assert store.posts.page(PostQuery(narrowed, author=row.author_key, own_audience=True))[1] == row.posts
                assert sum(getattr(row, f"{side}_posts") for side in SIDES) == row.posts
            histogram = store.reads.sentiment_histogram(window)
            for slot, row in enumerate(histogram.itertuples()):
                for tone in TONES:
                    assert store.posts.page(PostQuery(window, tone=tone, tone_slot=slot))[1] == getattr(row, tone)
            kpis = store.reads.kpis(window)
            assert store.posts.page(PostQuery(window, tone="positive,negative"))[1] == kpis.positive + kpis.negative
