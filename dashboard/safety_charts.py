"""Plotly figures for the Safety page: support against abuse per protected account. No Streamlit here."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import OKABE_ITO, local_time, with_template

SUPPORTIVE = OKABE_ITO[0]
OFFENSIVE = OKABE_ITO[5]


def support_against_abuse(frame: pd.DataFrame, accounts: dict[int, str], tz: str) -> go.Figure:
    """Per protected account and day: supportive mentions as solid lines, offensive ones dashed.

    `frame` is store.safety.support_series (day, tracker_id, supportive, offensive); each
    account is one pair of lines in its own shade, and days with no mention aimed at it are 0.
    """
    fig = go.Figure()
    if frame.empty:
        fig.add_annotation(text="No mentions aimed at the protected accounts in this range", x=0.5, y=0.5,
                           xref="paper", yref="paper", showarrow=False, font={"size": 14, "color": "#999999"})
    days = sorted(frame["day"].unique()) if len(frame) else []
    for index, (tracker_id, account) in enumerate(accounts.items()):
        rows = frame[frame["tracker_id"] == tracker_id].set_index("day").reindex(days, fill_value=0)
        x = local_time(pd.Series(days), tz)
        name = html.escape(account)
        dash = ["solid", "dot", "dashdot", "longdash"][index % 4]
        fig.add_scatter(x=x, y=rows["supportive"].tolist(), mode="lines+markers", name=f"{name} supportive",
                        line={"color": SUPPORTIVE, "dash": dash}, legendgroup=name)
        fig.add_scatter(x=x, y=rows["offensive"].tolist(), mode="lines+markers", name=f"{name} offensive",
                        line={"color": OFFENSIVE, "dash": dash}, marker={"symbol": "x"}, legendgroup=name)
    with_template(fig).update_layout(
        title={"text": "Support against abuse, per protected account<br><sup>mentions aimed at each account per "
                       "day: supportive (our side or positive tone, not offensive) against offensive</sup>",
               "x": 0, "xanchor": "left"},
        margin={"l": 60, "r": 20, "t": 100, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1},
        yaxis_title_text="Mentions per day", xaxis_title_text=f"Day ({tz})", hovermode="x unified")
    return fig
