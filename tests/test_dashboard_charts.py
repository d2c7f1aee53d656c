"""The Plotly figure builders and the sidebar's time windows, on small hand-made frames."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from campaigns import metrics
from campaigns.metrics import TREND_POINT_MIN, Filters
from campaigns.model import Campaign
from dashboard import charts
from dashboard.selection import (
    Selection,
    format_basis,
    format_change,
    format_count,
    format_net,
    format_points,
    window,
)

LONDON = "Europe/London"


def _hours(*stamps: str) -> pd.Series:
    return pd.to_datetime(pd.Series(stamps), utc=True).dt.tz_convert(LONDON)


def _platform_series() -> pd.DataFrame:
    return pd.DataFrame({
        "bucket": _hours("2026-07-01T00:00Z", "2026-07-02T00:00Z", "2026-07-01T00:00Z"),
        "platform": ["x", "x", "reddit"],
        "mentions": [10, 4, 3], "reposts": [2, 0, 0], "originals": [8, 4, 3], "engagement": [50, 7, 9],
    })


def _every_title(fig) -> str:
    return fig.layout.title.text + " | " + str(fig.layout.xaxis.title.text) + " | " + str(fig.layout.yaxis.title.text)


def test_mentions_over_time_stacks_originals_and_reposts_per_platform_in_local_time():
    fig = charts.mentions_over_time(_platform_series(), LONDON, "day")
    names = [trace.name for trace in fig.data]
    assert names == ["reddit original", "reddit reposts", "x original", "x reposts"]
    x_original = fig.data[2]
    assert list(x_original.y) == [8, 4]
    assert list(fig.data[3].y) == [2, 0]
    # Midnight UTC is 01:00 in London in summer: drawn as wall-clock time, the zone on the axis.
    assert pd.Timestamp(x_original.x[0]) - pd.Timedelta(hours=12) == pd.Timestamp("2026-07-01 01:00")
    assert "Time (Europe/London)" in _every_title(fig)
    assert "mentions (posts)" in _every_title(fig)
    assert fig.layout.barmode == "stack"
    assert fig.data[3].marker.pattern.shape == "/"
    assert fig.data[2].marker.color == charts.PLATFORM_COLOURS["x"]


def test_a_daily_bar_spans_its_local_day_so_a_noon_action_is_inside_it():
    days = pd.DataFrame({"bucket": _hours("2026-06-30T23:00Z", "2026-07-01T23:00Z"), "platform": ["x", "x"],
                         "mentions": [10, 4], "reposts": [0, 0], "originals": [10, 4], "engagement": [1, 1]})
    fig = charts.mentions_over_time(days, LONDON, "day")
    bar = fig.data[0]
    starts = [pd.Timestamp(x) + pd.Timedelta(milliseconds=bar.offset) for x in bar.x]
    assert starts == [pd.Timestamp("2026-07-01 00:00"), pd.Timestamp("2026-07-02 00:00")]
    assert bar.width == pd.Timedelta(days=1).total_seconds() * 1000
    noon = charts.local_time(pd.to_datetime(["2026-07-01T11:00:00Z"], utc=True), LONDON).iloc[0]
    assert starts[0] <= noon < starts[0] + pd.Timedelta(days=1)
    hours = charts.mentions_over_time(days.assign(bucket=_hours("2026-07-01T09:00Z", "2026-07-01T10:00Z")),
                                      LONDON, "hour").data[0]
    assert [pd.Timestamp(x) for x in hours.x] == [pd.Timestamp("2026-07-01 10:00"), pd.Timestamp("2026-07-01 11:00")]
    assert hours.offset == 0 and list(hours.width) == [3_600_000, 3_600_000]


def test_every_builder_titles_its_axes_and_survives_an_empty_frame():
    tz = "America/New_York"
    empty_series = _platform_series().iloc[0:0]
    builders = [
        charts.mentions_over_time(empty_series, tz),
        charts.engagement_over_time(empty_series, tz),
        charts.reach_over_time(pd.DataFrame(columns=["bucket", "potential_reach"]), tz, goal=1000),
        charts.cumulative_mentions(pd.DataFrame(columns=["bucket", "mentions"]), tz),
        charts.share_of_voice_over_time(pd.DataFrame(columns=["bucket", "ours", "opposing", "share_of_voice"]), tz),
        charts.net_sentiment_over_time(pd.DataFrame(columns=["bucket", "pos", "neg", "neu", "net_sentiment"]), tz),
        charts.abuse_share_over_time(pd.DataFrame(columns=["bucket", "mentions", "abusive"]), tz),
        charts.runs_over_time(pd.DataFrame(columns=["started_at", "collector", "fetched", "status"]), tz),
    ]
    for fig in builders:
        assert fig.layout.title.text
        assert f"Time ({tz})" in _every_title(fig)
        assert any(charts.EMPTY_TEXT in a.text for a in fig.layout.annotations)
    window_text = "01 Jul 2026 00:00 to 08 Jul 2026 00:00 (UTC)"
    for fig in (charts.hashtags_bar(pd.DataFrame(columns=["tag", "posts", "tracked"]), window_text),
                charts.amplifiers_bar(pd.DataFrame(columns=["author_key", "platform", "reach_brought"]), window_text),
                charts.sentiment_distribution(pd.DataFrame(columns=["low", "high", "negative", "neutral",
                                                                   "positive", "posts"]), window_text),
                charts.sentiment_by_group(pd.DataFrame(columns=["platform", "pos", "neu", "neg"]), "platform",
                                          window_text)):
        assert window_text in fig.layout.title.text
        assert any(charts.EMPTY_TEXT in a.text for a in fig.layout.annotations)


def test_reach_is_labelled_potential_and_gaps_stay_gaps():
    frame = pd.DataFrame({"bucket": _hours("2026-01-01T00:00Z", "2026-01-02T00:00Z"),
                          "potential_reach": [None, 1200]})
    fig = charts.reach_over_time(frame, LONDON, goal=5000)
    assert "Potential reach" in fig.layout.title.text
    assert "potential" in fig.layout.yaxis.title.text
    assert pd.isna(fig.data[0].y[0]) and fig.data[0].y[1] == 1200
    assert any(shape.y0 == 5000 for shape in fig.layout.shapes)


def test_share_of_voice_is_drawn_in_percent():
    frame = pd.DataFrame({"bucket": _hours("2026-01-01T00:00Z"), "ours": [30], "opposing": [10],
                          "share_of_voice": [0.75]})
    fig = charts.share_of_voice_over_time(frame, "UTC")
    line = next(trace for trace in fig.data if trace.type == "scatter")
    assert list(line.y) == [75.0]
    assert "%" in fig.layout.yaxis.title.text


def test_ratio_lines_are_thin_on_few_posts_and_gaps_where_there_are_none():
    grid = list(_hours("2026-01-01T00:00Z", "2026-01-02T00:00Z", "2026-01-03T00:00Z", "2026-01-04T00:00Z"))
    frame = pd.DataFrame({"bucket": _hours("2026-01-01T00:00Z", "2026-01-02T00:00Z", "2026-01-04T00:00Z"),
                          "pos": [30, 1, 20], "neg": [10, 0, 20], "neu": [5, 0, 5],
                          "net_sentiment": [0.5, 1.0, 0.0]})
    fig = charts.net_sentiment_over_time(charts.on_grid(frame, grid), "UTC")
    line = next(t for t in fig.data if t.type == "scatter" and t.mode == "lines+markers")
    thin = next(t for t in fig.data if t.type == "scatter" and t.mode == "markers")
    # One post (+1.0) is not on the line; 3 January had none: a gap, not a line across it.
    assert [None if pd.isna(v) else v for v in line.y] == [0.5, None, None, 0.0]
    assert [None if pd.isna(v) else v for v in thin.y] == [None, 1.0, None, None]
    assert line.connectgaps is False and thin.marker.symbol == "circle-open"
    assert f"under {TREND_POINT_MIN} posts" in thin.name
    voice = pd.DataFrame({"bucket": grid[:2], "ours": [6, 40], "opposing": [0, 40], "share_of_voice": [1.0, 0.5]})
    lines = [t for t in charts.share_of_voice_over_time(voice, "UTC").data if t.type == "scatter"]
    assert [None if pd.isna(v) else v for v in lines[0].y] == [None, 50.0]
    assert [None if pd.isna(v) else v for v in lines[1].y] == [100.0, None]


def test_net_tone_draws_one_line_per_side_never_mixed():
    frame = pd.DataFrame({"bucket": _hours("2026-01-01T00:00Z", "2026-01-01T00:00Z"), "side": ["opposing", "ours"],
                          "pos": [5, 30], "neg": [25, 10], "neu": [0, 0], "net_sentiment": [-2 / 3, 0.5]})
    fig = charts.net_sentiment_over_time(frame, "UTC")
    lines = {t.name: list(t.y) for t in fig.data if t.type == "scatter"}
    assert lines == {"net tone, ours": [0.5], "net tone, opposing": [pytest.approx(-2 / 3)]}
    assert "Net tone" in fig.layout.title.text


def test_net_sentiment_carries_the_posts_it_rests_on():
    frame = pd.DataFrame({"bucket": _hours("2026-01-01T00:00Z"), "pos": [60], "neg": [20], "neu": [40],
                          "net_sentiment": [0.5]})
    fig = charts.net_sentiment_over_time(frame, "UTC")
    bars, line = fig.data
    assert list(bars.y) == [120] and list(line.y) == [0.5] and list(line.customdata) == [80]
    assert fig.layout.yaxis.range == (-1, 1)


def test_sentiment_by_group_gives_shares_that_add_to_100():
    frame = pd.DataFrame({"platform": ["x", "reddit"], "pos": [1, 0], "neu": [2, 0], "neg": [1, 4]})
    fig = charts.sentiment_by_group(frame, "platform")
    totals = [sum(trace.x[i] for trace in fig.data) for i in range(2)]
    assert totals == pytest.approx([100.0, 100.0])
    assert list(fig.data[0].x) == pytest.approx([25.0, 0.0])


def test_labels_from_data_are_escaped_so_plotly_shows_them_as_text():
    tags = pd.DataFrame({"tag": ["<b>bold</b>"], "posts": [3], "tracked": [False]})
    fig = charts.hashtags_bar(tags)
    assert list(fig.data[0].y) == ["#&lt;b&gt;bold&lt;/b&gt;"]
    people = pd.DataFrame({"author_key": ["<a href='x'>me</a>"], "platform": ["x"], "reach_brought": [10]})
    assert "&lt;a" in charts.amplifiers_bar(people).data[0].y[0]


def test_add_markers_draws_a_labelled_line_at_each_time_in_the_charts_zone():
    fig = charts.mentions_over_time(_platform_series(), LONDON)
    markers = pd.DataFrame({
        "at": pd.to_datetime(["2026-07-01T09:00:00Z", "2026-07-02T10:30:00Z"], utc=True),
        "label": ["Launch <call>", "Read-in"], "kind": ["action", "event"],
    })
    charts.add_markers(fig, markers, LONDON)
    lines = [shape for shape in fig.layout.shapes if shape.type == "line"]
    assert [pd.Timestamp(shape.x0) for shape in lines] == [pd.Timestamp("2026-07-01 10:00"),
                                                          pd.Timestamp("2026-07-02 11:30")]
    assert lines[0].line.color == charts.MARKER_STYLES["action"][0]
    assert lines[1].line.dash == "dashdot"
    assert [a.text for a in fig.layout.annotations] == ["Launch &lt;call&gt;", "Read-in"]
    assert charts.add_markers(fig, markers.iloc[0:0]) is fig


def test_the_axis_shows_the_whole_window_in_whole_days_and_every_marker_in_it_is_drawn():
    fig = charts.mentions_over_time(_platform_series(), LONDON, "day")
    start, end = datetime(2026, 6, 30, 23, tzinfo=UTC), datetime(2026, 7, 3, 13, tzinfo=UTC)
    charts.show_window(fig, start, end, LONDON, "day")
    assert [pd.Timestamp(x) for x in fig.layout.xaxis.range] == [pd.Timestamp("2026-07-01 00:00"),
                                                                 pd.Timestamp("2026-07-04 00:00")]
    # A spike late on the last day, outside any bar, and a long label: both drawn, the label cut.
    markers = pd.DataFrame({"at": pd.to_datetime(["2026-07-01T09:00:00Z", "2026-07-03T12:00:00Z"], utc=True),
                            "label": ["A very long call to action title that goes on and on", "spike: peak 40"],
                            "kind": ["action", "spike"]})
    charts.add_markers(fig, markers, LONDON, label_chars=12)
    assert [a.text for a in fig.layout.annotations] == ["A very long…", "spike: peak…"]
    assert fig.layout.annotations[0].hovertext == "action: A very long call to action title that goes on and on"
    assert len([s for s in fig.layout.shapes if s.type == "line"]) == 2


def test_marker_labels_never_overlap_spikes_and_plan_alike():
    fig = charts.mentions_over_time(_platform_series(), LONDON, "day")
    start, end = datetime(2026, 6, 30, 23, tzinfo=UTC), datetime(2026, 7, 7, 23, tzinfo=UTC)
    charts.show_window(fig, start, end, LONDON, "day")
    at = pd.to_datetime(["2026-07-01T09:00Z", "2026-07-01T09:00Z", "2026-07-01T12:00Z", "2026-07-02T08:00Z",
                         "2026-07-05T08:00Z", "2026-07-07T20:00Z"], utc=True)
    markers = pd.DataFrame({"at": at, "kind": ["spike", "action", "event", "spike", "opposing", "spike"],
                            "label": ["spike: peak 55 mentions/hour over 3 hours", "Flood the feed", "Read-in",
                                      "spike: peak 20 mentions/hour", "Libraries are obsolete", "spike: peak 12"]})
    charts.add_markers(fig, markers, LONDON)
    span = tuple(pd.Timestamp(x) for x in fig.layout.xaxis.range)
    drawn = [(a.y, *charts.label_extent(pd.Timestamp(a.x), a.text, span)[:2]) for a in fig.layout.annotations]
    assert len(drawn) == 6 and len({y for y, _, _ in drawn}) > 1
    for i, (row, begins, ends) in enumerate(drawn):
        for other_row, other_begins, other_ends in drawn[i + 1:]:
            assert row != other_row or ends <= other_begins or other_ends <= begins
    # Near the right end a label is drawn leftwards from its line, inside the chart.
    last = fig.layout.annotations[-1]
    assert last.xanchor == "right" and charts.label_extent(pd.Timestamp(last.x), last.text, span)[1] <= span[1]


def test_spike_markers_mark_each_episode_at_its_start():
    spikes = pd.DataFrame({"hour": pd.to_datetime(["2026-01-05T14:00Z", "2026-01-05T15:00Z", "2026-01-05T16:00Z",
                                                   "2026-01-09T09:00Z"], utc=True), "mentions": [30, 55, 20, 12]})
    episodes = metrics.spike_episodes(spikes)
    markers = charts.spike_markers(episodes)
    assert list(markers.columns) == ["at", "label", "kind", "end", "mentions"]
    # Each episode's end and mentions, so its marker opens exactly its posts.
    assert list(markers["end"]) == [pd.Timestamp("2026-01-05T17:00Z"), pd.Timestamp("2026-01-09T10:00Z")]
    assert list(markers["mentions"]) == [105, 12]
    assert list(markers["label"]) == ["spike: peak 55 mentions/hour over 3 hours", "spike: peak 12 mentions/hour"]
    assert list(markers["at"]) == [pd.Timestamp("2026-01-05T14:00Z"), pd.Timestamp("2026-01-09T09:00Z")]
    assert set(markers["kind"]) == {"spike"}
    assert charts.spike_markers(episodes.iloc[0:0]).empty


def test_an_empty_chart_is_a_message_without_axes():
    fig = charts.mentions_over_time(_platform_series().iloc[0:0], LONDON)
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    assert [a.text for a in fig.layout.annotations] == [charts.EMPTY_TEXT]
    markers = pd.DataFrame({"at": pd.to_datetime(["2026-07-01T09:00Z"], utc=True), "label": ["x"], "kind": ["action"]})
    assert not charts.add_markers(fig, markers, LONDON).layout.shapes


def test_every_chart_is_drawn_on_plotly_white_as_when_it_is_named_and_charts_share_nothing():
    import plotly.io as pio

    white = pio.templates["plotly_white"].to_plotly_json()
    first = charts.mentions_over_time(_platform_series(), LONDON, "day")
    second = charts.mentions_over_time(_platform_series().iloc[:0], LONDON, "day")
    named = charts.mentions_over_time(_platform_series(), LONDON, "day").update_layout(template="plotly_white")
    assert json.loads(first.to_json()) == json.loads(named.to_json())
    assert first.layout.template.to_plotly_json() == white
    # A change to one figure's template stays in that figure.
    first.update_layout(template_layout_paper_bgcolor="black")
    assert second.layout.template.to_plotly_json() == white
    assert charts.TEMPLATE.to_plotly_json() == white == pio.templates["plotly_white"].to_plotly_json()


def test_palette_is_okabe_ito():
    fig = charts.engagement_over_time(_platform_series(), "UTC")
    assert list(fig.layout.colorway) == charts.OKABE_ITO
    assert charts.SIDE_COLOURS["ours"] != charts.SIDE_COLOURS["opposing"]


def test_presets_fall_on_whole_hours_and_include_the_current_hour():
    now = datetime(2026, 3, 10, 14, 25, tzinfo=UTC)
    start, end = window("Last 7 days", None, now)
    assert end == datetime(2026, 3, 10, 15, tzinfo=UTC)
    assert start == datetime(2026, 3, 3, 15, tzinfo=UTC)
    start, end = window("Last 24 hours", None, now)
    assert (end - start).total_seconds() == 24 * 3600


def test_custom_dates_are_whole_local_days_across_a_clock_change():
    start, end = window("Custom dates", None, datetime(2026, 4, 1, tzinfo=UTC),
                        (date(2026, 3, 28), date(2026, 3, 29)), LONDON)
    # 28 March is GMT, 30 March begins in BST: 47 hours.
    assert start == datetime(2026, 3, 28, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 29, 23, tzinfo=UTC)


def test_campaign_to_date_starts_at_the_campaign_start_in_its_zone():
    campaign = Campaign(slug="c", name="C", starts_at="2026-06-01", timezone=LONDON, id=4)
    start, end = window("Campaign to date", campaign, datetime(2026, 6, 3, 9, 5, tzinfo=UTC), tz=LONDON)
    assert start == datetime(2026, 5, 31, 23, tzinfo=UTC)
    chosen = Selection("db", [campaign], campaign, start, end, tz=LONDON, platforms=("x",), side="ours")
    assert chosen.filters() == Filters(4, "2026-05-31T23:00:00Z", "2026-06-03T10:00:00Z", ("x",), ("ours",))
    assert chosen.previous().end == "2026-05-31T23:00:00Z"
    assert chosen.bucket == "hour" and chosen.label().endswith("(Europe/London)")


def test_unknown_is_na_never_zero():
    assert format_count(None) == "n/a" and format_count(0) == "0" and format_count(1234567) == "1,234,567"
    assert format_net(None) == "n/a" and format_net(0.25) == "+0.25"
    assert format_basis(1200) == "rests on 1,200 scored posts" and format_basis(1) == "rests on 1 scored post"
    assert format_change(-0.001) == "-0.1%" and format_change(0.256) == "+26%"
    assert format_change(None) is None


def test_a_change_from_a_tiny_base_says_what_it_is_from():
    assert format_change(20.0, 6) == "+2000% (from 6)"
    assert format_change(0.5, metrics.CHANGE_BASE_MIN) == "+50%"
    assert format_points(0.6, 0.5, 8) == "+10 pts (from 8 posts)" and format_points(0.6, 0.5, 400) == "+10 pts"
    assert format_points(None, 0.5) is None
