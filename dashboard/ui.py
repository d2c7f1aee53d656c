"""Streamlit pieces every page shares: the selection, CSV downloads, charts, post tables, definitions."""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from campaigns import metrics
from campaigns.exports import to_csv
from campaigns.model import STORED_TIME_FORMAT
from campaigns.privacy import open_links
from campaigns.settings import Settings
from dashboard.selection import Selection, format_basis, format_net

REFRESH_EVERY = "60s"
# The metric definitions as the README has them, from their one place in campaigns.metrics.
DEFINITIONS = "\n".join(f"- **{name}**: {text}" for name, text in metrics.DEFINITIONS) + (
    "\n\nThe same definitions are in the README (\"What each number means\") and in `campaigns/metrics.py`.")
# Post tables: text is a plain text column, links open the post; nothing is rendered as HTML.
POST_COLUMN_CONFIG = {
    "created_at": st.column_config.TextColumn("posted (UTC)"),
    "text": st.column_config.TextColumn("text", width="large"),
    "url": st.column_config.LinkColumn("link", display_text="open"),
    "engagement": st.column_config.NumberColumn("engagement", format="%d"),
    "sentiment": st.column_config.NumberColumn("sentiment", format="%.2f"),
    "abuse": st.column_config.NumberColumn("abuse score", format="%.2f"),
    "author_key": st.column_config.TextColumn("author"),
}


# What Markdown (and Streamlit's own :colour[...], :icons: and $maths$) could read as markup in one
# line: brackets make links and images, a colon a bare link or an icon, the rest emphasis, code,
# HTML and entities, maths, tables and headings.
MARKUP = re.compile(r"([\\`*_\[\]<>$~|#!{}:&])")
# Streamlit reads :smile: and :material/icon: in the text Markdown leaves, escaped or not; an
# invisible word joiner after each colon keeps them as typed.
WORD_JOINER = "\u2060"


def literal(text) -> str:
    """User text made safe to show inside Markdown (alerts, captions, button labels): on one line, every
    mark escaped, so a title like '![p](http://host/p.png)' shows as typed and makes no browser fetch
    anything."""
    escaped = MARKUP.sub(r"\\\1", " ".join(str(text).splitlines()))
    return escaped.replace(":", ":" + WORD_JOINER)


def net_sentiment_tile(column, now, before) -> None:
    """Net sentiment with the posts it rests on beneath it, and its change in points."""
    change = None if now.net_sentiment is None or before.net_sentiment is None else \
        f"{now.net_sentiment - before.net_sentiment:+.2f}"
    column.metric("Net sentiment", format_net(now.net_sentiment), change,
                  help="(positive - negative) / (positive + negative), from -1 to 1")
    column.caption(format_basis(now.sentiment_basis))


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
        st.caption(f"{where} · {chosen.label()} · {filters} · side: {chosen.side} · "
                   f"changes against the {chosen.previous_label()}")
    with right:
        with st.popover("What these numbers mean"):
            st.markdown(DEFINITIONS)


def slug_for_file(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "data"


def csv_download(frame: pd.DataFrame, name: str, key: str, label: str = "Download CSV") -> None:
    """Offer a table's data as CSV, times in UTC ISO so a spreadsheet reads them back exactly.

    Written by campaigns.exports.to_csv, the one CSV writer, so no cell can start a spreadsheet
    formula; links stay as stored (id-only or sealed when pseudonyms are on), naming no one."""
    data = frame.copy()
    for column in data.columns:
        if isinstance(data[column].dtype, pd.DatetimeTZDtype):
            data[column] = data[column].dt.tz_convert("UTC").dt.strftime(STORED_TIME_FORMAT)
    st.download_button(label, to_csv(data), file_name=f"{slug_for_file(name)}.csv",
                       mime="text/csv", key=f"csv_{key}", on_click="ignore", icon=":material/download:")


def with_open_links(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with each post's link one that opens it: sealed links (pseudonyms on) opened
    with the key, for the page only; downloads keep them sealed."""
    if "url" not in frame.columns or frame.empty:
        return frame
    shown = frame.copy()
    # Only web addresses become links: a post's own "javascript:" address is no link at all.
    shown["url"] = [url if isinstance(url, str) and url.lower().startswith(("https://", "http://")) else None
                    for url in open_links(shown["url"], Settings.from_env())]
    return shown


def chart(fig: go.Figure, frame: pd.DataFrame, name: str, key: str) -> None:
    """A Plotly chart with its data as CSV beneath it."""
    st.plotly_chart(fig, key=f"chart_{key}", config={"displaylogo": False})
    csv_download(frame, name, key)


def posts_table(frame: pd.DataFrame, name: str, key: str) -> None:
    """Posts as plain text with a link to each, and the table as CSV."""
    if frame.empty:
        st.caption("No posts for these filters.")
    st.dataframe(with_open_links(frame).drop(columns=["uid"], errors="ignore"), hide_index=True,
                 column_config=POST_COLUMN_CONFIG,
                 key=f"table_{key}")
    csv_download(frame, name, key)
