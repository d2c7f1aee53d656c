"""Plotly figure builders: a DataFrame in, a titled figure out, in a colour-blind-safe palette.

Nothing here knows about Streamlit. Times arrive tz-aware and are drawn as the wall-clock time
of the zone given (named on the axis), so a chart reads the same as the campaign's calendar.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

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


def _finish(fig: go.Figure, title: str, y_title: str, x_title: str, subtitle: str | None = None) -> go.Figure:
    fig.update_layout(
        title={"text": _title(title, subtitle), "x": 0, "xanchor": "left"},
        template="plotly_white", colorway=OKABE_ITO, margin={"l": 60, "r": 20, "t": 100, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1},
        hovermode="x unified" if x_title.startswith("Time") else "closest",
        # Only the primary axes: a secondary axis keeps the title its builder gave it.
        yaxis_title_text=y_title, xaxis_title_text=x_title,
    )
    return fig


def _empty(fig: go.Figure) -> go.Figure:
    fig.add_annotation(text="No data for these filters", x=0.5, y=0.5, xref="paper", yref="paper",
                       showarrow=False, font={"size": 14, "color": GREY})
    return fig


def time_axis(tz: str) -> str:
    return f"Time ({tz})"


def mentions_over_time(frame: pd.DataFrame, tz: str, bucket: str = "day") -> go.Figure:
    """Stacked bars per platform from metrics.series(by=platform): originals solid, reposts hatched."""
    fig = go.Figure()
    if frame.empty:
        _empty(fig)
    for index, (platform, rows) in enumerate(frame.groupby("platform", sort=True)):
        x = local_time(rows["bucket"], tz)
        colour = _colour(PLATFORM_COLOURS, platform, index)
        fig.add_bar(x=x, y=rows["originals"], name=f"{platform} original", marker_color=colour,
                    legendgroup=platform)
        fig.add_bar(x=x, y=rows["reposts"], name=f"{platform} reposts", marker_color=colour,
                    marker_pattern_shape="/", marker_opacity=0.55, legendgroup=platform)
    fig.update_layout(barmode="stack")
    return _finish(fig, f"Mentions per {BUCKET_WORDS[bucket]} by platform, original and reposts",
                   "mentions (posts)", time_axis(tz))


def engagement_over_time(frame: pd.DataFrame, tz: str, bucket: str = "day") -> go.Figure:
    """Engagement per bucket, one line per platform, from metrics.series(by=platform)."""
    fig = go.Figure()
    if frame.empty:
        _empty(fig)
    for index, (platform, rows) in enumerate(frame.groupby("platform", sort=True)):
        fig.add_scatter(x=local_time(rows["bucket"], tz), y=rows["engagement"], mode="lines+markers",
                        name=platform, line={"color": _colour(PLATFORM_COLOURS, platform, index)})
    return _finish(fig, f"Engagement per {BUCKET_WORDS[bucket]} by platform",
                   "engagements (likes + reposts + replies + quotes)", time_axis(tz))


def reach_over_time(frame: pd.DataFrame, tz: str, goal: int | None = None) -> go.Figure:
    """Cumulative potential reach (columns bucket, potential_reach), with the campaign's goal as a line."""
    fig = go.Figure()
    if frame.empty or frame["potential_reach"].isna().all():
        _empty(fig)
    else:
        fig.add_scatter(x=local_time(frame["bucket"], tz), y=frame["potential_reach"], mode="lines",
                        name="potential reach", line={"color": OKABE_ITO[0], "width": 3},
                        fill="tozeroy", fillcolor="rgba(0,114,178,0.12)")
    if goal:
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
    if goal:
        fig.add_hline(y=goal, line={"color": OKABE_ITO[1], "dash": "dash"},
                      annotation_text=f"goal {goal:,}", annotation_position="top left")
    return _finish(fig, "Mentions, cumulative from the start of the range", "mentions (posts)", time_axis(tz))


def share_of_voice_over_time(frame: pd.DataFrame, tz: str, bucket: str = "day") -> go.Figure:
    """Our share of voice per bucket (columns bucket, ours, opposing, share_of_voice 0..1)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    if frame.empty:
        _empty(fig)
    else:
        x = local_time(frame["bucket"], tz)
        fig.add_bar(x=x, y=frame["ours"], name="ours (posts)", marker_color=SIDE_COLOURS["ours"], opacity=0.35,
                    secondary_y=True)
        fig.add_bar(x=x, y=frame["opposing"], name="opposing (posts)", marker_color=SIDE_COLOURS["opposing"],
                    opacity=0.35, secondary_y=True)
        fig.add_scatter(x=x, y=frame["share_of_voice"] * 100, mode="lines+markers", name="share of voice (%)",
                        line={"color": "#000000", "width": 3}, secondary_y=False)
    fig.update_layout(barmode="stack")
    fig.update_yaxes(range=[0, 100], secondary_y=False)
    fig.update_yaxes(title_text="mentions (posts)", secondary_y=True, showgrid=False)
    return _finish(fig, f"Share of voice per {BUCKET_WORDS[bucket]}: ours / (ours + opposing)",
                   "share of voice (%)", time_axis(tz))


def hashtags_bar(frame: pd.DataFrame, subtitle: str | None = None) -> go.Figure:
    """Hashtags by posts (columns tag, posts, tracked); the campaign's own tags in blue."""
    fig = go.Figure()
    if frame.empty:
        _empty(fig)
    else:
        ordered = frame.iloc[::-1]
        colours = [OKABE_ITO[0] if tracked else OKABE_ITO[1] for tracked in ordered["tracked"]]
        fig.add_bar(x=ordered["posts"], y=_text("#" + ordered["tag"]), orientation="h", marker_color=colours,
                    name="posts", showlegend=False)
    return _finish(fig, "Top hashtags (blue: tracked, orange: alongside)",
                   "hashtag", "posts carrying the hashtag", subtitle)


def amplifiers_bar(frame: pd.DataFrame, subtitle: str | None = None) -> go.Figure:
    """Authors by the potential audience they brought (columns author_key, platform, reach_brought)."""
    fig = go.Figure()
    if frame.empty:
        _empty(fig)
    else:
        ordered = frame.iloc[::-1]
        colours = [_colour(PLATFORM_COLOURS, p, i) for i, p in enumerate(ordered["platform"])]
        fig.add_bar(x=ordered["reach_brought"], y=_text(ordered["author_key"] + " (" + ordered["platform"] + ")"),
                    orientation="h", marker_color=colours, showlegend=False, name="reach brought")
    return _finish(fig, "Top amplifiers by followers brought", "author (platform)",
                   "people (potential audience)", subtitle)


def net_sentiment_over_time(frame: pd.DataFrame, tz: str, bucket: str = "day") -> go.Figure:
    """Net sentiment per bucket with the scored posts it rests on (metrics.series without a split)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    if frame.empty:
        _empty(fig)
    else:
        x = local_time(frame["bucket"], tz)
        fig.add_bar(x=x, y=frame["pos"] + frame["neg"] + frame["neu"], name="scored posts",
                    marker_color=GREY, opacity=0.35, secondary_y=True)
        fig.add_scatter(x=x, y=frame["net_sentiment"], mode="lines+markers", name="net sentiment",
                        line={"color": OKABE_ITO[0], "width": 3}, connectgaps=False, secondary_y=False)
        fig.add_hline(y=0, line={"color": GREY, "width": 1})
    fig.update_yaxes(range=[-1, 1], secondary_y=False)
    fig.update_yaxes(title_text="scored posts it rests on", secondary_y=True, showgrid=False)
    return _finish(fig, f"Net sentiment per {BUCKET_WORDS[bucket]}: (positive - negative) / (positive + negative)",
                   "net sentiment (-1 to 1)", time_axis(tz))


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
                        hovertemplate="%{customdata[0]} to %{customdata[1]}: %{y} " + label + " posts")
    fig.update_layout(barmode="stack")
    fig.update_xaxes(range=[-1, 1])
    return _finish(fig, "Sentiment distribution of scored posts",
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
                        hovertemplate="%{y}: %{x:.1f}% (%{customdata} posts)")
    fig.update_layout(barmode="stack")
    fig.update_xaxes(range=[0, 100])
    return _finish(fig, f"Sentiment by {group}", group, "share of scored posts (%)", subtitle)


def abuse_share_over_time(frame: pd.DataFrame, tz: str, bucket: str = "day") -> go.Figure:
    """The share of mentions scored offensive per bucket (columns bucket, mentions, abusive: the roll-up's count)."""
    fig = go.Figure()
    if frame.empty:
        _empty(fig)
    else:
        share = frame["abusive"] / frame["mentions"].where(frame["mentions"] > 0) * 100
        fig.add_scatter(x=local_time(frame["bucket"], tz), y=share, mode="lines+markers", name="offensive-language share",
                        line={"color": OKABE_ITO[5], "width": 2}, customdata=frame["abusive"],
                        hovertemplate="%{y:.1f}% (%{customdata} posts)")
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


def spike_markers(spikes: pd.DataFrame, gap_hours: int = 3) -> pd.DataFrame:
    """metrics.spikes rows as markers for add_markers, one per episode.

    Spike hours less than `gap_hours` apart are one episode, marked at its first hour with its
    peak, so a burst of several hours is one labelled line rather than a smear of them.
    """
    if spikes.empty:
        return pd.DataFrame({"at": pd.Series(dtype="datetime64[ns, UTC]"), "label": pd.Series(dtype=str),
                             "kind": pd.Series(dtype=str)})
    hours = pd.to_datetime(spikes["hour"], utc=True).reset_index(drop=True)
    mentions = spikes["mentions"].reset_index(drop=True)
    episode = (hours.diff() >= pd.Timedelta(hours=gap_hours)).cumsum()
    rows = []
    for _, members in mentions.groupby(episode):
        first = members.index[0]
        count = len(members)
        span = f" over {count} hours" if count > 1 else ""
        rows.append({"at": hours[first], "label": f"spike: peak {int(members.max())} mentions/hour{span}",
                     "kind": "spike"})
    return pd.DataFrame(rows, columns=["at", "label", "kind"])


def _time_span(fig: go.Figure) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The drawn time range of a figure's traces, widened by half a step so edge bars show whole."""
    values = [value for trace in fig.data if getattr(trace, "x", None) is not None for value in trace.x]
    try:
        times = pd.Series(pd.to_datetime(pd.Series(values)).dropna().unique()).sort_values()
    except (TypeError, ValueError):
        return None
    if times.empty:
        return None
    half_step = times.diff().min() / 2 if len(times) > 1 else pd.Timedelta(minutes=30)
    return times.iloc[0] - half_step, times.iloc[-1] + half_step


def add_markers(fig: go.Figure, markers: pd.DataFrame, tz: str = "UTC", label_chars: int = 32) -> go.Figure:
    """Draw a labelled vertical line at each marker (columns at as UTC time, label, kind).

    Kinds spike, action, event and alert have their own colour and dash; others are grey.
    Labels are cut to `label_chars` (the whole label shows on hover), and the time axis keeps
    the span of the data so a long label cannot stretch it; markers outside that span are left out.
    """
    if markers is None or markers.empty:
        return fig
    times = local_time(markers["at"], tz)
    span = _time_span(fig)
    if span is not None:
        fig.update_xaxes(range=[span[0], span[1]])
    for position, (moment, label, kind) in enumerate(zip(times, markers["label"], markers["kind"], strict=True)):
        if span is not None and not span[0] <= moment <= span[1]:
            continue
        colour, dash = MARKER_STYLES.get(kind, (GREY, "dot"))
        text = str(label)
        short = text if len(text) <= label_chars else text[:label_chars - 1] + "…"
        fig.add_shape(type="line", xref="x", yref="paper", x0=moment, x1=moment, y0=0, y1=1,
                      line={"color": colour, "dash": dash, "width": 1.5}, name=f"{kind}: {text}")
        fig.add_annotation(x=moment, y=1 - 0.07 * (position % 3), xref="x", yref="paper", text=html.escape(short),
                           hovertext=html.escape(f"{kind}: {text}"), showarrow=False, xanchor="left",
                           font={"size": 10, "color": colour}, bgcolor="rgba(255,255,255,0.7)")
    return fig
