"""Plotly figures for the planner: the timeline of calls to action and events. No Streamlit here."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import GREY, OKABE_ITO

STATUS_COLOURS = {"draft": GREY, "scheduled": OKABE_ITO[0], "live": OKABE_ITO[2], "done": OKABE_ITO[7],
                  "cancelled": OKABE_ITO[5]}


def timeline(frame: pd.DataFrame, tz: str, now=None) -> go.Figure:
    """One bar per call to action or event from its start to its end, coloured by status, in `tz`."""
    fig = go.Figure()
    if frame.empty:
        fig.add_annotation(text="Nothing planned yet", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    else:
        starts = pd.to_datetime(frame["start"], utc=True).dt.tz_convert(tz).dt.tz_localize(None)
        ends = pd.to_datetime(frame["end"], utc=True).dt.tz_convert(tz).dt.tz_localize(None)
        rows = [f"{kind} {row_id}: {html.escape(str(title))[:48]}"
                for kind, row_id, title in zip(frame["kind"], frame["id"], frame["title"], strict=True)]
        for status in [s for s in STATUS_COLOURS if s in set(frame["status"])]:
            chosen = (frame["status"] == status).to_numpy()
            widths = ((ends - starts).dt.total_seconds() * 1000)[chosen]
            fig.add_bar(
                base=starts[chosen].dt.strftime("%Y-%m-%dT%H:%M:%S"), x=widths, y=[r for r, c in zip(rows, chosen,
                                                                                                     strict=True) if c],
                orientation="h", name=status, marker_color=STATUS_COLOURS[status],
                hovertemplate="%{y}<br>%{base|%a %d %b %H:%M} for %{customdata}<extra>" + status + "</extra>",
                customdata=[_duration(e - s) for s, e in zip(starts[chosen], ends[chosen], strict=True)])
        fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=rows)
        if now is not None:
            local_now = pd.Timestamp(now).tz_convert(tz).tz_localize(None)
            fig.add_vline(x=local_now.timestamp() * 1000, line={"color": OKABE_ITO[5], "dash": "dot", "width": 1})
    fig.update_xaxes(type="date", title=f"Time ({tz})")
    fig.update_layout(title="Plan: calls to action and events", barmode="overlay", height=max(260, 32 * len(frame) + 120),
                      margin={"l": 10, "r": 10, "t": 50, "b": 40}, legend_title_text="status")
    return fig


def _duration(delta: pd.Timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.1f} days"
