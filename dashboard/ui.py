"""Streamlit pieces every page shares: the selection, CSV downloads, charts, post tables, definitions."""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from campaigns import metrics
from campaigns.metrics import net_sentiment, pct_change, share_of_voice
from campaigns.model import SIDES, STORED_TIME_FORMAT
from dashboard import data
from dashboard.selection import (
    Selection,
    format_basis,
    format_change,
    format_count,
    format_net,
    format_points,
    format_share,
)

REFRESH_EVERY = "60s"
# The metric definitions as the README has them, from their one place in campaigns.metrics.
DEFINITIONS = "\n".join(f"- **{name}**: {text}" for name, text in metrics.DEFINITIONS) + (
    "\n\nThe same definitions are in the README (\"What each number means\") and in `campaigns/metrics.py`.")
# Times in tables, as the page's one convention: the campaign's zone, named once in the page header.
LOCAL_TIME_FORMAT = "%Y-%m-%d %H:%M"
# Post tables: text is a plain text column, links open the post; nothing is rendered as HTML.
POST_COLUMN_CONFIG = {
    "created_at": st.column_config.TextColumn("posted"),
    "text": st.column_config.TextColumn("text", width="large"),
    "url": st.column_config.LinkColumn("link", display_text="open"),
    "engagement": st.column_config.NumberColumn("engagement", format="%d"),
    "sentiment": st.column_config.NumberColumn("tone", format="%.2f"),
    "abuse": st.column_config.NumberColumn("abuse score", format="%.2f"),
    "author_key": st.column_config.TextColumn("author"),
}


def net_sentiment_tile(column, now, before, label: str = "Net tone") -> None:
    """Net tone of a window's Kpis with the posts it rests on beneath it, and its change."""
    tone_tile(column, label, (now.positive, now.negative, now.neutral), (before.positive, before.negative))


def tone_tile(column, label: str, now: tuple[int, int, int], before: tuple[int, int]) -> None:
    """Net tone from (positive, negative, neutral) counts, with the posts it rests on beneath it
    and its change against (positive, negative) before; from a small base it says so."""
    net, earlier = net_sentiment(now[0], now[1]), net_sentiment(*before)
    change = None if net is None or earlier is None else f"{net - earlier:+.2f}"
    if change is not None and sum(before) < metrics.CHANGE_BASE_MIN:
        change += f" (from {sum(before):,} posts)"
    column.metric(label, format_net(net), change,
                  help="(positive - negative) / (positive + negative), from -1 to 1: the tone of the text, "
                       "not its stance")
    column.caption(format_basis(sum(now)))


def change(now, before) -> str | None:
    """A tile's change against the previous range, saying what it is from when that is small."""
    return format_change(pct_change(now, before), before)


def share_of_voice_tile(column, chosen: Selection, campaign_id: int | None = None) -> dict:
    """Share of voice (every side counted, whatever side is chosen) and its change in points;
    returns the mentions per side now and before, for the sides shown beside a headline."""
    now = data.mentions_by_side(chosen.db_path, chosen.filters(campaign_id))
    before = data.mentions_by_side(chosen.db_path, chosen.previous(campaign_id))
    share = share_of_voice(now.get("ours", 0), now.get("opposing", 0))
    earlier = share_of_voice(before.get("ours", 0), before.get("opposing", 0))
    column.metric("Share of voice", format_share(share),
                  format_points(share, earlier, before.get("ours", 0) + before.get("opposing", 0)),
                  help=f"ours {now.get('ours', 0):,} / (ours + opposing {now.get('opposing', 0):,}), "
                       "whatever side is chosen")
    return {"now": now, "before": before}


def other_sides(chosen: Selection, by_side: dict) -> str:
    """The sides the headline does not count, with their mentions and change: never mixed in, never hidden."""
    counted = set(chosen.sides) if chosen.sides else set(SIDES)
    now, before = by_side["now"], by_side["before"]
    parts = [f"{side} {format_count(now.get(side, 0))}" + (f" ({c})" if (c := change(now.get(side, 0),
                                                                                  before.get(side, 0))) else "")
             for side in SIDES if side not in counted and (now.get(side) or before.get(side))]
    shown = "every side" if not chosen.sides else chosen.side_words
    beside = f"; beside it, mentions of {', '.join(parts)}" if parts else ""
    return f"Tiles count {shown}{beside}. Other sides: **Side** in the sidebar."


def local_times(values, tz: str) -> pd.Series:
    """Stored UTC times as text in the campaign's zone, the page's one time convention."""
    times = pd.to_datetime(pd.Series(values), utc=True, format="mixed")
    return times.dt.tz_convert(tz).dt.strftime(LOCAL_TIME_FORMAT)


def selection() -> Selection | None:
    """What the sidebar chose; None when there is no campaign to show (the page says so)."""
    chosen = st.session_state.get("selection")
    if chosen is None or chosen.campaign is None:
        no_campaigns()
        return None
    return chosen


def no_campaigns() -> None:
    st.info("No campaigns yet. Load the demo data set with `groundswell demo load`, or add a campaign "
            "with `groundswell campaign import campaigns.yaml`.")


def page_header(title: str, chosen: Selection, *, campaign_wide: bool = False) -> None:
    """Title, the range and filters in words, and the metric definitions one click away."""
    left, right = st.columns([4, 1])
    with left:
        st.title(title)
        where = "all campaigns" if campaign_wide else chosen.campaign.name
        filters = ", ".join(chosen.platforms) if chosen.platforms else "all platforms"
        times = "each campaign's own time zone" if campaign_wide else chosen.tz
        st.caption(f"{where} · {chosen.label()} · {filters} · side: {chosen.side} · "
                   f"changes against the {chosen.previous_label()} · every time on this page in {times}")
    with right:
        with st.popover("What these numbers mean"):
            st.markdown(DEFINITIONS)


def slug_for_file(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "data"


def csv_download(frame: pd.DataFrame, name: str, key: str, label: str = "Download CSV") -> None:
    """Offer a table's data as CSV, times in UTC ISO so a spreadsheet reads them back exactly."""
    data = frame.copy()
    for column in data.columns:
        if isinstance(data[column].dtype, pd.DatetimeTZDtype):
            data[column] = data[column].dt.tz_convert("UTC").dt.strftime(STORED_TIME_FORMAT)
    st.download_button(label, data.to_csv(index=False).encode("utf-8"), file_name=f"{slug_for_file(name)}.csv",
                       mime="text/csv", key=f"csv_{key}", on_click="ignore", icon=":material/download:")


def chart(fig: go.Figure, frame: pd.DataFrame, name: str, key: str) -> None:
    """A Plotly chart with its data as CSV beneath it."""
    st.plotly_chart(fig, key=f"chart_{key}", config={"displaylogo": False})
    csv_download(frame, name, key)


def posts_table(frame: pd.DataFrame, name: str, key: str, tz: str = "UTC",
                after: Callable[[pd.DataFrame, str], None] | None = None) -> None:
    """Posts as plain text with a link to each, their times in `tz`, and the table as CSV (UTC).

    `after(frame, key)` is drawn beneath the table with the posts shown (uid included): where a
    page puts controls that act on those posts, such as correcting a post's tone or side.
    """
    if frame.empty:
        st.caption("No posts for these filters.")
    shown = frame.drop(columns=["uid"], errors="ignore")
    if len(shown):
        shown = shown.assign(created_at=local_times(shown["created_at"], tz).to_numpy())
    st.dataframe(shown, hide_index=True, column_config=POST_COLUMN_CONFIG, key=f"table_{key}")
    csv_download(frame, name, key)
    if after is not None:
        after(frame, key)
