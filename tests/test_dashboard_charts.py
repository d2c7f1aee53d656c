"""The Plotly figure builders and the sidebar's time windows, on small hand-made frames."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from campaigns.metrics import Filters
from campaigns.model import Campaign
from dashboard import charts
from dashboard.selection import (
    Selection,
    format_basis,
    format_change,
    format_count,
    format_net,
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
    assert pd.Timestamp(x_original.x[0]) == pd.Timestamp("2026-07-01 01:00")
    assert "Time (Europe/London)" in _every_title(fig)
    assert "mentions (posts)" in _every_title(fig)
    assert fig.layout.barmode == "stack"
    assert fig.data[3].marker.pattern.shape == "/"
    assert fig.data[2].marker.color == charts.PLATFORM_COLOURS["x"]


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
        assert any("No data" in a.text for a in fig.layout.annotations)
    window_text = "01 Jul 2026 00:00 to 08 Jul 2026 00:00 (UTC)"
    for fig in (charts.hashtags_bar(pd.DataFrame(columns=["tag", "posts", "tracked"]), window_text),
                charts.amplifiers_bar(pd.DataFrame(columns=["author_key", "platform", "reach_brought"]), window_text),
                charts.sentiment_distribution(pd.DataFrame(columns=["low", "high", "negative", "neutral",
                                                                   "positive", "posts"]), window_text),
                charts.sentiment_by_group(pd.DataFrame(columns=["platform", "pos", "neu", "neg"]), "platform",
                                          window_text)):
        assert window_text in fig.layout.title.text
        assert any("No data" in a.text for a in fig.layout.annotations)


def test_reach_is_labelled_potential_and_gaps_stay_gaps():
    frame = pd.DataFrame({"bucket": _hours("2026-01-01T00:00Z", "2026-01-02T00:00Z"),
                          "potential_reach": [None, 1200]})
    fig = charts.reach_over_time(frame, LONDON, goal=5000)
    assert "Potential reach" in fig.layout.title.text
    assert "potential" in fig.layout.yaxis.title.text
    assert pd.isna(fig.data[0].y[0]) and fig.data[0].y[1] == 1200
    assert any(shape.y0 == 5000 for shape in fig.layout.shapes)


def test_share_of_voice_is_drawn_in_percent():
    frame = pd.DataFrame({"bucket": _hours("2026-01-01T00:00Z"), "ours": [3], "opposing": [1],
                          "share_of_voice": [0.75]})
    fig = charts.share_of_voice_over_time(frame, "UTC")
    line = next(trace for trace in fig.data if trace.type == "scatter")
    assert list(line.y) == [75.0]
    assert "%" in fig.layout.yaxis.title.text


def test_net_sentiment_carries_the_posts_it_rests_on():
    frame = pd.DataFrame({"bucket": _hours("2026-01-01T00:00Z"), "pos": [6], "neg": [2], "neu": [4],
                          "net_sentiment": [0.5]})
    fig = charts.net_sentiment_over_time(frame, "UTC")
    bars, line = fig.data
    assert list(bars.y) == [12] and list(line.y) == [0.5]
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
    # The axis keeps the data's span (half a day either side of daily bars) whatever the labels.
    assert [pd.Timestamp(x) for x in fig.layout.xaxis.range] == [pd.Timestamp("2026-06-30 13:00"),
                                                                 pd.Timestamp("2026-07-02 13:00")]


def test_markers_outside_the_data_are_left_out_and_long_labels_cut():
    fig = charts.mentions_over_time(_platform_series(), LONDON)
    markers = pd.DataFrame({"at": pd.to_datetime(["2026-07-01T09:00:00Z", "2026-08-01T09:00:00Z"], utc=True),
                            "label": ["A very long call to action title that goes on and on", "Later"],
                            "kind": ["action", "mystery"]})
    charts.add_markers(fig, markers, LONDON, label_chars=12)
    assert [a.text for a in fig.layout.annotations] == ["A very long…"]
    assert fig.layout.annotations[0].hovertext == "action: A very long call to action title that goes on and on"
    assert len([s for s in fig.layout.shapes if s.type == "line"]) == 1


def test_spike_markers_turn_spikes_into_markers():
    spikes = pd.DataFrame({"hour": pd.to_datetime(["2026-01-05T14:00:00Z"], utc=True), "mentions": [42],
                           "threshold": [11.5]})
    markers = charts.spike_markers(spikes)
    assert list(markers.columns) == ["at", "label", "kind"]
    assert markers.iloc[0]["label"] == "spike: peak 42 mentions/hour" and markers.iloc[0]["kind"] == "spike"
    burst = pd.DataFrame({"hour": pd.to_datetime(["2026-01-05T14:00Z", "2026-01-05T15:00Z", "2026-01-05T16:00Z",
                                                  "2026-01-09T09:00Z"], utc=True), "mentions": [30, 55, 20, 12]})
    markers = charts.spike_markers(burst)
    assert list(markers["label"]) == ["spike: peak 55 mentions/hour over 3 hours", "spike: peak 12 mentions/hour"]
    assert list(markers["at"]) == [pd.Timestamp("2026-01-05T14:00Z"), pd.Timestamp("2026-01-09T09:00Z")]
    assert charts.spike_markers(spikes.iloc[0:0]).empty


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
