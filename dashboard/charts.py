"""Plotly figure builders: a DataFrame in, a titled figure out, in a colour-blind-safe palette.

Nothing here knows about Streamlit. Times arrive tz-aware and are drawn as the wall-clock time
of the zone given (named on the axis), so a chart reads the same as the campaign's calendar. A
bar spans its bucket (a day from midnight to midnight), and a day's point sits at its noon, so
a marker at noon is drawn inside the day it happened in.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from campaigns.metrics import TREND_POINT_MIN, buckets

# Okabe & Ito's palette, distinguishable with the common colour-vision deficiencies.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
GREY = "#999999"
PLATFORM_COLOURS = {"x": "#000000", "bluesky": "#56B4E9", "mastodon": "#CC79A7", "reddit": "#D55E00",
                    "rss": "#E69F00"}
SIDE_COLOURS = {"ours": "#0072B2", "opposing": "#D55E00", "monitor": GREY, "protect": "#009E73"}
SENTIMENT_COLOURS = {"positive": "#0072B2", "neutral": GREY, "negative": "#D55E00"}
STATUS_COLOURS = {"ok": "#009E73", "partial": "#E69F00", "rate_limited": "#CC79A7", "error": "#D55E00",
                  "running": GREY}
# Marker kinds differ by dash as well as colour, so they stay apart in grey print too.
MARKER_STYLES = {"spike": ("#D55E00", "dot"), "action": ("#0072B2", "dash"), "event": ("#009E73", "dashdot"),
                 "alert": ("#CC79A7", "dot")}
BUCKET_WORDS = {"hour": "hour", "day": "day"}
STEPS = {"hour": pd.Timedelta(hours=1), "day": pd.Timedelta(days=1)}
HOVER_FORMATS = {"hour": "%a %d %b %Y %H:%M", "day": "%a %d %b %Y"}
EMPTY_TEXT = "No data in this range for these filters"
# Marker labels are laid out in rows so none overlaps another: a label's width is estimated from
# its characters at this many pixels each, on a plot this many pixels wide (narrower than most,
# so the estimate errs towards more rows, not overlaps).
LABEL_CHAR_PX = 6.5
PLOT_PX = 520
LABEL_ROW_HEIGHT = 0.075
# Every chart's template, validated once. Named in update_layout, Plotly deep-copies and
# validates the whole template into each figure: about 10 ms a chart, a third of the Sentiment
# page's first visit at 1M mentions.
TEMPLATE = pio.templates["plotly_white"]


def drill(what: str, count: str | None, points: list[dict], **fixed) -> dict:
    """A trace's `meta` for a drill-down (dashboard.drill reads it): what its points are, where a
    point's count of posts is drawn ("x", "y", "customdata", or None when the figure is not a count
    of posts), what every point shares (platform, side, tone, ...) and each point's own part
    (its bucket, as the bucket label's UTC instant; its hashtag, author or tone slice)."""
    return {"drill": {"what": what, "count": count, **fixed}, "points": points}


def _bucket_points(values) -> list[dict]:
    return [{"bucket": pd.Timestamp(value).tz_convert("UTC").isoformat()} for value in values]


def _text(values) -> pd.Series:
    """Escape text for Plotly, which reads a subset of HTML in labels: names and tags stay literal."""
    return pd.Series(values).astype(str).map(html.escape)


def _colour(mapping: dict, key, index: int) -> str:
    return mapping.get(key, OKABE_ITO[index % len(OKABE_ITO)])


def local_time(values, tz: str) -> pd.Series:
    """Tz-aware (or UTC-naive) times as naive wall-clock times in `tz`, which is how Plotly draws them."""
    times = pd.to_datetime(pd.Series(values), utc=True)
    return times.dt.tz_convert(tz).dt.tz_localize(None)


def _title(text: str, subtitle: str | None) -> str:
    return f"{text}<br><sup>{subtitle}</sup>" if subtitle else text


def with_template(fig: go.Figure) -> go.Figure:
    """The figure on TEMPLATE, given as Plotly gives every new figure its default template: the
    validated object, not validated again (the figure's JSON is the same as when it is named)."""
    layout = fig.layout
    validate = layout._validate
    layout._validate = False
    try:
        layout.template = TEMPLATE
    finally:
        layout._validate = validate
    return fig


def _finish(fig: go.Figure, title: str, y_title: str, x_title: str, subtitle: str | None = None) -> go.Figure:
    with_template(fig).update_layout(
        title={"text": _title(title, subtitle), "x": 0, "xanchor": "left"},
        colorway=OKABE_ITO, margin={"l": 60, "r": 20, "t": 100, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1},
        hovermode="x unified" if x_title.startswith("Time") else "closest",
        # Only the primary axes: a secondary axis keeps the title its builder gave it.
        yaxis_title_text=y_title, xaxis_title_text=x_title,
    )
    return fig


def _empty(fig: go.Figure) -> go.Figure:
    """A message in place of the chart, with no axes: empty axes from -1 to 6 read as data."""
    fig.add_annotation(text=EMPTY_TEXT, x=0.5, y=0.5, xref="paper", yref="paper",
                       showarrow=False, font={"size": 14, "color": GREY})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(meta={"empty": True})
    return fig


def is_empty(fig: go.Figure) -> bool:
    return isinstance(fig.layout.meta, dict) and bool(fig.layout.meta.get("empty"))


def _positions(values, tz: str, bucket: str) -> pd.Series:
    """Where a bucket's value is drawn: an hour at its start, a day at its noon."""
    times = local_time(values, tz)
    return times + STEPS["day"] / 2 if bucket == "day" else times


def _bar_span(values, tz: str, bucket: str, every: pd.Series | None = None) -> dict:
    """Bar keywords that make each bar span its bucket: from its start for hours, from the middle
    for days (so the bar runs midnight to midnight). A bucket cut short (a window starting at
    :30 in a half-hour zone) is as wide as it is, up to the next bucket (`every`: all the chart's
    buckets)."""
    step_ms = STEPS[bucket].total_seconds() * 1000
    if bucket == "day":
        return {"x": _positions(values, tz, bucket), "width": step_ms, "offset": -step_ms / 2}
    times = local_time(values, tz)
    labels = pd.Series(sorted(set(local_time(every if every is not None else values, tz))))
    following = dict(zip(labels, labels.shift(-1), strict=True))
    widths = [step_ms if pd.isna(following.get(t)) else min(step_ms, (following[t] - t).total_seconds() * 1000)
              for t in times]
    return {"x": times, "width": widths, "offset": 0}


def on_grid(frame: pd.DataFrame, grid: Sequence[pd.Timestamp], by: str | None = None) -> pd.DataFrame:
    """The frame with a row for every bucket of `grid` (and every `by` value it holds): a bucket
    without posts gets zero counts and unknown ratios, so a line has a gap there."""
    if not len(grid):
        return frame
    index = pd.DatetimeIndex(grid)
    if frame.empty and by is None:
        return pd.DataFrame({"bucket": index}).merge(frame, on="bucket", how="left") if "bucket" in frame else frame
    keys = ["bucket"] if by is None else ["bucket", by]
    values = [index] if by is None else [index, sorted(frame[by].unique())]
    full = pd.MultiIndex.from_product(values, names=keys).to_frame(index=False)
    merged = full.merge(frame.assign(bucket=pd.DatetimeIndex(frame["bucket"]).tz_convert(index.tz)),
                        on=keys, how="left")
    counts = [c for c in merged.columns if c not in keys and c != "net_sentiment"
              and pd.api.types.is_numeric_dtype(merged[c])]
    merged[counts] = merged[counts].fillna(0)
    return merged


def show_window(fig: go.Figure, start: datetime, end: datetime, tz: str, bucket: str) -> go.Figure:
    """Draw the whole window on the time axis, whole buckets, whatever has data: every marker in
    the window is then inside the chart."""
    spans = buckets(start, end, tz, bucket)
    if not spans:
        return fig
    first = local_time([spans[0].label], tz).iloc[0]
    last = local_time([spans[-1].label], tz).iloc[0] + STEPS[bucket]
    fig.update_xaxes(range=[min(first, local_time([start], tz).iloc[0]), max(last, local_time([end], tz).iloc[0])])
    return fig


def time_axis(tz: str) -> str:
    return f"Time ({tz})"


def _time_hover(fig: go.Figure, bucket: str) -> None:
    fig.update_xaxes(hoverformat=HOVER_FORMATS[bucket])


def _ratio_line(fig: go.Figure, x, values: pd.Series, basis: pd.Series, name: str, colour: str,
                scale: float = 1.0, meta: dict | None = None, **where) -> None:
    """A ratio drawn as a line where it rests on TREND_POINT_MIN posts or more, as hollow dots off
    the line where it rests on fewer, and not at all where it rests on none (a gap)."""
    values = pd.to_numeric(pd.Series(values), errors="coerce").reset_index(drop=True) * scale
    basis = pd.Series(basis).fillna(0).astype(int).reset_index(drop=True)
    x = pd.Series(x).reset_index(drop=True)
    solid = values.where(basis >= TREND_POINT_MIN)
    thin = values.where((basis > 0) & (basis < TREND_POINT_MIN))
    fig.add_scatter(x=x, y=solid, mode="lines+markers", name=name, line={"color": colour, "width": 3},
                    connectgaps=False, customdata=basis, legendgroup=name, meta=meta,
                    hovertemplate="%{y:.2f} (rests on %{customdata} posts)", **where)
    if thin.notna().any():
        fig.add_scatter(x=x, y=thin, mode="markers", name=f"{name}, under {TREND_POINT_MIN} posts",
                        marker={"color": colour, "symbol": "circle-open", "size": 8}, customdata=basis,
                        legendgroup=name, meta=meta, hovertemplate="%{y:.2f} (only %{customdata} posts)", **where)


def mentions_over_time(frame: pd.DataFrame, tz: str, bucket: str = "day") -> go.Figure:
    """Stacked bars per platform from metrics.series(by=platform): originals solid, reposts hatched."""
    fig = go.Figure()
    if frame.empty:
        _empty(fig)
    for index, (platform, rows) in enumerate(frame.groupby("platform", sort=True)):
        span = _bar_span(rows["bucket"], tz, bucket, frame["bucket"])
        colour = _colour(PLATFORM_COLOURS, platform, index)
        points = _bucket_points(rows["bucket"])
        fig.add_bar(y=rows["originals"], name=f"{platform} original", marker_color=colour,
                    legendgroup=platform, meta=drill(f"{platform} original posts", "y", points, platform=platform,
                                                     kind="original"), **span)
        fig.add_bar(y=rows["reposts"], name=f"{platform} reposts", marker_color=colour,
                    marker_pattern_shape="/", marker_opacity=0.55, legendgroup=platform,
                    meta=drill(f"{platform} reposts", "y", points, platform=platform, kind="repost"), **span)
    fig.update_layout(barmode="stack")
    _time_hover(fig, bucket)
    return _finish(fig, f"Mentions per {BUCKET_WORDS[bucket]} by platform, original and reposts",
                   "mentions (posts)", time_axis(tz))


def engagement_over_time(frame: pd.DataFrame, tz: str, bucket: str = "day") -> go.Figure:
    """Engagement per bucket, one line per platform, from metrics.series(by=platform)."""
    fig = go.Figure()
    if frame.empty:
        _empty(fig)
    for index, (platform, rows) in enumerate(frame.groupby("platform", sort=True)):
        fig.add_scatter(x=_positions(rows["bucket"], tz, bucket), y=rows["engagement"], mode="lines+markers",
                        name=platform, line={"color": _colour(PLATFORM_COLOURS, platform, index)},
                        meta=drill(f"engagement of {platform} original posts", None, _bucket_points(rows["bucket"]),
                                   platform=platform, kind="original", measure="engagement"))
    _time_hover(fig, bucket)
    return _finish(fig, f"Engagement per {BUCKET_WORDS[bucket]} by platform",
                   "engagements (likes + reposts + replies + quotes)", time_axis(tz))


def reach_over_time(frame: pd.DataFrame, tz: str, goal: int | None = None) -> go.Figure:
    """Cumulative potential reach (columns bucket, potential_reach), with the campaign's goal as a line."""
    fig = go.Figure()
    if frame.empty or frame["potential_reach"].isna().all():
        _empty(fig)
    else:
        fig.add_scatter(x=local_time(frame["bucket"], tz), y=frame["potential_reach"], mode="lines+markers",
                        name="potential reach", line={"color": OKABE_ITO[0], "width": 3}, marker={"size": 4},
                        fill="tozeroy", fillcolor="rgba(0,114,178,0.12)",
                        meta=drill("posts from the start of the range", None, _bucket_points(frame["bucket"]),
                                   cumulative=True, measure="potential reach"))
    if goal and not is_empty(fig):
        fig.add_hline(y=goal, line={"color": OKABE_ITO[1], "dash": "dash"},
                      annotation_text=f"goal {goal:,}", annotation_position="top left")
    return _finish(fig, "Potential reach, cumulative from the start of the range",
                   "people (potential audience)", time_axis(tz))


def cumulative_mentions(frame: pd.DataFrame, tz: str, goal: int | None = None) -> go.Figure:
    """Mentions added up over time (columns bucket, mentions), with the campaign's goal as a line."""
    fig = go.Figure()
    if frame.empty:
        _empty(fig)
    else:
        fig.add_scatter(x=local_time(frame["bucket"], tz), y=frame["mentions"].cumsum(), mode="lines",
                        name="mentions", line={"color": OKABE_ITO[2], "width": 3})
    if goal and not is_empty(fig):
        fig.add_hline(y=goal, line={"color": OKABE_ITO[1], "dash": "dash"},
                      annotation_text=f"goal {goal:,}", annotation_position="top left")
    return _finish(fig, "Mentions, cumulative from the start of the range", "mentions (posts)", time_axis(tz))


def share_of_voice_over_time(frame: pd.DataFrame, tz: str, bucket: str = "day") -> go.Figure:
    """Our share of voice per bucket (columns bucket, ours, opposing, share_of_voice 0..1), with
    each side's posts beneath it; buckets with few posts are thin, buckets with none are gaps."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    if frame.empty or (frame["ours"] + frame["opposing"]).sum() == 0:
        _empty(fig)
    else:
        span = _bar_span(frame["bucket"], tz, bucket)
        points = _bucket_points(frame["bucket"])
        fig.add_bar(y=frame["ours"], name="ours (posts)", marker_color=SIDE_COLOURS["ours"], opacity=0.35,
                    secondary_y=True, meta=drill("our side's posts", "y", points, sides=["ours"]), **span)
        fig.add_bar(y=frame["opposing"], name="opposing (posts)", marker_color=SIDE_COLOURS["opposing"],
                    opacity=0.35, secondary_y=True,
                    meta=drill("the opposing side's posts", "y", points, sides=["opposing"]), **span)
        _ratio_line(fig, _positions(frame["bucket"], tz, bucket), frame["share_of_voice"],
                    frame["ours"] + frame["opposing"], "share of voice (%)", "#000000", scale=100,
                    meta=drill("posts of both sides", "customdata", points, sides=["ours", "opposing"],
                               measure="share of voice"), secondary_y=False)
        fig.update_yaxes(range=[0, 100], secondary_y=False)
        fig.update_yaxes(title_text="mentions (posts)", secondary_y=True, showgrid=False, tickformat=",.0f",
                         rangemode="tozero")
        _time_hover(fig, bucket)
    fig.update_layout(barmode="stack")
    return _finish(fig, f"Share of voice per {BUCKET_WORDS[bucket]}: ours / (ours + opposing)",
                   "share of voice (%)", time_axis(tz))


def hashtags_bar(frame: pd.DataFrame, subtitle: str | None = None) -> go.Figure:
    """Hashtags by posts (columns tag, posts, tracked, and posts per side), stacked by the side
    of the posts carrying them: a tag both sides use shows both."""
    fig = go.Figure()
    if frame.empty:
        _empty(fig)
    else:
        ordered = frame.iloc[::-1]
        names = _text("#" + ordered["tag"])
        sides = [side for side in SIDE_COLOURS if side in ordered and ordered[side].sum() > 0]
        tags = [{"tag": tag} for tag in ordered["tag"]]
        if not sides:  # a frame without sides: one bar per tag
            fig.add_bar(x=ordered["posts"], y=names, orientation="h", marker_color=GREY, name="posts",
                        showlegend=False, meta=drill("posts carrying the hashtag", "x", tags))
        for side in sides:
            fig.add_bar(x=ordered[side], y=names, orientation="h", marker_color=SIDE_COLOURS[side], name=side,
                        hovertemplate="%{y}: %{x} " + side + " posts<extra></extra>",
                        meta=drill(f"{side} posts carrying the hashtag", "x", tags, sides=[side]))
        tracked = ordered["tracked"] if "tracked" in ordered else pd.Series(False, index=ordered.index)
        fig.update_yaxes(categoryorder="array", categoryarray=list(names), tickvals=list(names),
                         ticktext=[f"{n} ✓" if t else n for n, t in zip(names, tracked, strict=True)])
    fig.update_layout(barmode="stack", showlegend=True)
    return _finish(fig, "Top hashtags by the side of their posts (✓ tracked)",
                   "hashtag", "posts carrying the hashtag", subtitle)


def amplifiers_bar(frame: pd.DataFrame, subtitle: str | None = None) -> go.Figure:
    """Authors by the potential audience they brought (columns author_key, platform, reach_brought,
    and side: the side most of their posts were on), coloured by that side."""
    fig = go.Figure()
    if frame.empty:
        _empty(fig)
    else:
        ordered = frame.iloc[::-1].copy()
        ordered["name"] = _text(ordered["author_key"] + " (" + ordered["platform"] + ")").to_numpy()
        ordered["side"] = ordered["side"] if "side" in ordered else "unknown"
        for side, rows in ordered.groupby("side", sort=False):
            posts = rows["posts"] if "posts" in rows else pd.Series(pd.NA, index=rows.index)
            fig.add_bar(x=rows["reach_brought"], y=rows["name"], orientation="h", name=side,
                        marker_color=SIDE_COLOURS.get(side, GREY), customdata=posts,
                        hovertemplate="%{y}: %{x:,} followers, %{customdata} posts, mostly on the " + side
                                      + " side<extra></extra>",
                        meta=drill("the author's posts", "customdata" if "posts" in rows else None,
                                   [{"author": a, "platform": p} for a, p in zip(rows["author_key"], rows["platform"],
                                                                                 strict=True)],
                                   own_audience=True, measure="followers brought"))
        fig.update_yaxes(categoryorder="array", categoryarray=list(ordered["name"]))
    fig.update_layout(showlegend=True)
    return _finish(fig, "Top amplifiers by followers brought, by side",
                   "author (platform)", "people (potential audience)", subtitle)


def net_sentiment_over_time(frame: pd.DataFrame, tz: str, bucket: str = "day") -> go.Figure:
    """Net tone per bucket with the scored posts it rests on (reads.series without a split, or by
    side: one line per side, never mixed). Points resting on few posts are thin; none, a gap."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    if frame.empty or (frame["pos"] + frame["neg"] + frame["neu"]).sum() == 0:
        _empty(fig)
    else:
        groups = frame.groupby("side", sort=False) if "side" in frame else [(None, frame)]
        order = {side: i for i, side in enumerate(SIDE_COLOURS)}
        for side, rows in sorted(groups, key=lambda group: order.get(group[0], len(order))):
            label = "net tone" if side is None else f"net tone, {side}"
            colour = OKABE_ITO[0] if side is None else SIDE_COLOURS.get(side, GREY)
            points = _bucket_points(rows["bucket"])
            sides = {} if side is None else {"sides": [side]}
            fig.add_bar(y=rows["pos"] + rows["neg"] + rows["neu"], name=f"scored posts{'' if side is None else ', ' + side}",
                        marker_color=colour if side is not None else GREY, opacity=0.25, secondary_y=True,
                        meta=drill("scored posts", "y", points, tone="positive,neutral,negative", **sides),
                        **_bar_span(rows["bucket"], tz, bucket, frame["bucket"]))
            _ratio_line(fig, _positions(rows["bucket"], tz, bucket), rows["net_sentiment"], rows["pos"] + rows["neg"],
                        label, colour, meta=drill("positive and negative posts", "customdata", points,
                                                  tone="positive,negative", measure="net tone", **sides),
                        secondary_y=False)
        fig.add_hline(y=0, line={"color": GREY, "width": 1})
        fig.update_layout(barmode="stack")
        fig.update_yaxes(range=[-1, 1], secondary_y=False)
        fig.update_yaxes(title_text="scored posts it rests on", secondary_y=True, showgrid=False, tickformat=",.0f",
                         rangemode="tozero")
        _time_hover(fig, bucket)
    return _finish(fig, f"Net tone per {BUCKET_WORDS[bucket]}: (positive - negative) / (positive + negative)",
                   "net tone (-1 to 1)", time_axis(tz))


def sentiment_distribution(frame: pd.DataFrame, subtitle: str | None = None) -> go.Figure:
    """Scored posts per slice of the VADER compound score, stacked by class (columns low, high,
    negative, neutral, positive, posts)."""
    fig = go.Figure()
    if frame.empty or frame["posts"].sum() == 0:
        _empty(fig)
    else:
        middles = (frame["low"] + frame["high"]) / 2
        for label in ("negative", "neutral", "positive"):
            fig.add_bar(x=middles, y=frame[label], width=(frame["high"] - frame["low"]) * 0.95,
                        marker_color=SENTIMENT_COLOURS[label], name=label, customdata=frame[["low", "high"]],
                        hovertemplate="%{customdata[0]} to %{customdata[1]}: %{y} " + label + " posts",
                        meta=drill(f"{label} posts scored in the slice", "y",
                                   [{"tone_slot": slot} for slot in range(len(frame))], tone=label))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(range=[-1, 1])
    return _finish(fig, "Tone distribution of scored posts",
                   "posts", "VADER compound score (-1 to 1)", subtitle)


def sentiment_by_group(frame: pd.DataFrame, group: str, subtitle: str | None = None) -> go.Figure:
    """Positive, neutral and negative shares per platform or side (columns group, pos, neu, neg)."""
    fig = go.Figure()
    if frame.empty:
        _empty(fig)
    else:
        totals = (frame["pos"] + frame["neu"] + frame["neg"]).replace(0, pd.NA)
        for column, label in (("pos", "positive"), ("neu", "neutral"), ("neg", "negative")):
            fig.add_bar(y=frame[group], x=(frame[column] / totals * 100).astype(float), orientation="h",
                        name=label, marker_color=SENTIMENT_COLOURS[label], customdata=frame[column],
                        hovertemplate="%{y}: %{x:.1f}% (%{customdata} posts)",
                        meta=drill(f"{label} posts", "customdata",
                                   [{"sides" if group == "side" else "platform": [value] if group == "side" else value}
                                    for value in frame[group]], tone=label))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(range=[0, 100])
    return _finish(fig, f"Tone by {group}", group, "share of scored posts (%)", subtitle)


def abuse_share_over_time(frame: pd.DataFrame, tz: str, bucket: str = "day") -> go.Figure:
    """The share of mentions scored offensive per bucket (columns bucket, mentions, abusive: the roll-up's count)."""
    fig = go.Figure()
    if frame.empty:
        _empty(fig)
    else:
        share = frame["abusive"] / frame["mentions"].where(frame["mentions"] > 0) * 100
        fig.add_scatter(x=_positions(frame["bucket"], tz, bucket), y=share, mode="lines+markers",
                        name="offensive-language share", line={"color": OKABE_ITO[5], "width": 2},
                        connectgaps=False, customdata=frame["abusive"],
                        hovertemplate="%{y:.1f}% (%{customdata} posts)",
                        meta=drill("posts scored offensive", "customdata", _bucket_points(frame["bucket"]),
                                   offensive=True, measure="offensive-language share"))
        _time_hover(fig, bucket)
    fig.update_yaxes(rangemode="tozero")
    return _finish(fig, f"Offensive-language share of mentions per {BUCKET_WORDS[bucket]}",
                   "mentions scored offensive (%)", time_axis(tz))


def runs_over_time(frame: pd.DataFrame, tz: str) -> go.Figure:
    """Posts fetched per collection run (columns started_at, collector, fetched, status)."""
    fig = go.Figure()
    if frame.empty:
        _empty(fig)
    for index, (collector, rows) in enumerate(frame.groupby("collector", sort=True)):
        fig.add_scatter(x=local_time(rows["started_at"], tz), y=rows["fetched"], mode="markers", name=collector,
                        marker={"size": 10, "color": OKABE_ITO[index % len(OKABE_ITO)],
                                "symbol": ["x" if s != "ok" else "circle" for s in rows["status"]]},
                        customdata=rows["status"], hovertemplate="%{x}: %{y} posts (%{customdata})")
    return _finish(fig, "Collection runs: posts fetched per run (x: not ok)", "posts fetched", time_axis(tz))


def spike_markers(episodes: pd.DataFrame) -> pd.DataFrame:
    """reads.spike_episodes rows as markers for add_markers, one per episode, at its first hour."""
    if episodes.empty:
        return pd.DataFrame({"at": pd.Series(dtype="datetime64[ns, UTC]"), "label": pd.Series(dtype=str),
                             "kind": pd.Series(dtype=str)})
    rows = [{"at": pd.Timestamp(row.start), "kind": "spike", "end": pd.Timestamp(row.end), "mentions": row.mentions,
             "label": f"spike: peak {row.peak} mentions/hour" + (f" over {row.hours} hours" if row.hours > 1 else "")}
            for row in episodes.itertuples()]
    return pd.DataFrame(rows, columns=["at", "label", "kind", "end", "mentions"]).sort_values("at", ignore_index=True)


def baseline_note(fig: go.Figure, spikes_from: pd.Timestamp | None, start: datetime, end: datetime,
                  tz: str) -> go.Figure:
    """Shade the part of the window before spikes can be called, and say why, on the chart."""
    if is_empty(fig):
        return fig
    window_start, window_end = pd.Timestamp(start), pd.Timestamp(end)
    if spikes_from is not None and spikes_from <= window_start:
        return fig
    until = window_end if spikes_from is None or spikes_from >= window_end else spikes_from
    x0, x1 = local_time([window_start, until], tz)
    fig.add_vrect(x0=x0, x1=x1, fillcolor=GREY, opacity=0.12, line_width=0, layer="below",
                  name="no spike baseline")
    fig.add_annotation(x=x0, y=0, xref="x", yref="paper", xanchor="left", yanchor="bottom", showarrow=False,
                       text="no spikes called here: the baseline needs 7 days of history",
                       font={"size": 10, "color": "#555555"}, bgcolor="rgba(255,255,255,0.7)")
    return fig


def label_extent(moment: pd.Timestamp, label: str, span: tuple[pd.Timestamp, pd.Timestamp]) -> tuple:
    """The stretch of the time axis a label drawn at `moment` covers, and the side it is drawn on:
    rightwards from its line, or leftwards when it would run past the right end of the axis."""
    extent = (span[1] - span[0]) * (len(label) * LABEL_CHAR_PX + 10) / PLOT_PX
    if moment + extent <= span[1]:
        return moment, moment + extent, "left"
    return moment - extent, moment, "right"


def label_rows(times: pd.Series, labels: list[str], span: tuple[pd.Timestamp, pd.Timestamp]) -> list[tuple[int, str]]:
    """(row, anchor) per marker, so that no two labels in a row overlap: in time order, each label
    takes the first row whose last label ends before it begins."""
    row_ends: list[pd.Timestamp] = []
    placed: dict[int, tuple[int, str]] = {}
    for index in sorted(range(len(labels)), key=lambda i: (times.iloc[i], i)):
        begins, ends, anchor = label_extent(times.iloc[index], labels[index], span)
        row = next((r for r, end in enumerate(row_ends) if end <= begins), len(row_ends))
        row_ends[row:row + 1] = [ends]
        placed[index] = (row, anchor)
    return [placed[i] for i in range(len(labels))]


def marker_span(fig: go.Figure, times: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The time axis a figure shows: show_window's range, or else its data and markers."""
    if fig.layout.xaxis.range:
        first, last = (pd.Timestamp(x) for x in fig.layout.xaxis.range)
        return first, last
    values = [v for trace in fig.data if getattr(trace, "x", None) is not None for v in trace.x]
    drawn = pd.concat([pd.Series(pd.to_datetime(pd.Series(values), errors="coerce")), times]).dropna()
    first, last = drawn.min(), drawn.max()
    return first, max(last, first + pd.Timedelta(hours=1))


def _episode_points(fig: go.Figure, markers: pd.DataFrame, times: pd.Series) -> None:
    """A clickable point at the foot of each marker that spans an episode (columns end, mentions:
    a spike), so a click on it opens the episode's posts; lines and labels cannot be clicked."""
    if "end" not in markers or "mentions" not in markers:
        return
    spans = markers["end"].notna().to_numpy()
    if not spans.any():
        return
    rows = markers[spans]
    fig.add_scatter(x=times[spans], y=[0] * len(rows), mode="markers", name="spike episodes",
                    marker={"symbol": "triangle-up", "size": 12, "color": MARKER_STYLES["spike"][0]},
                    customdata=rows["mentions"].astype(int).to_numpy(), cliponaxis=False, showlegend=False,
                    hovertemplate="spike episode: %{customdata} mentions<extra></extra>",
                    meta=drill("posts of the spike episode", "customdata",
                               [{"from": pd.Timestamp(a).tz_convert("UTC").isoformat(),
                                 "to": pd.Timestamp(b).tz_convert("UTC").isoformat()}
                                for a, b in zip(rows["at"], rows["end"], strict=True)]))


def add_markers(fig: go.Figure, markers: pd.DataFrame, tz: str = "UTC", label_chars: int = 32) -> go.Figure:
    """Draw a labelled vertical line at each marker (columns at as UTC time, label, kind).

    Kinds spike, action, event and alert have their own colour and dash; others are grey. Give
    every marker of a chart in one call (spikes and the planner's together): their labels are
    laid out in rows so none overlaps another. Labels are cut to `label_chars` (the whole label
    shows on hover). Every marker is drawn; the time axis keeps the range show_window gave it.
    """
    if markers is None or markers.empty or is_empty(fig):
        return fig
    times = local_time(markers["at"], tz).reset_index(drop=True)
    texts = [str(label) for label in markers["label"]]
    shorts = [text if len(text) <= label_chars else text[:label_chars - 1] + "…" for text in texts]
    rows = label_rows(times, shorts, marker_span(fig, times))
    _episode_points(fig, markers, times)
    shapes, annotations = [], []
    for moment, kind, text, short, (row, anchor) in zip(times, markers["kind"], texts, shorts, rows, strict=True):
        colour, dash = MARKER_STYLES.get(kind, (GREY, "dot"))
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": moment, "x1": moment, "y0": 0, "y1": 1,
                       "line": {"color": colour, "dash": dash, "width": 1.5}, "name": f"{kind}: {text}"})
        annotations.append({"x": moment, "y": 1 - LABEL_ROW_HEIGHT * row, "xref": "x", "yref": "paper",
                            "yanchor": "top", "text": html.escape(short), "hovertext": html.escape(f"{kind}: {text}"),
                            "showarrow": False, "xanchor": anchor, "font": {"size": 10, "color": colour},
                            "bgcolor": "rgba(255,255,255,0.8)", "name": f"{kind} label"})
    # Added together: Plotly copies and checks every shape and annotation again on each add_shape
    # or add_annotation, so a chart of 30 markers took 200 ms one by one and 9 ms at once.
    fig.update_layout(shapes=[*fig.layout.shapes, *shapes], annotations=[*fig.layout.annotations, *annotations])
    return fig
