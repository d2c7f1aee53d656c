"""Streamlit pieces every page shares: the selection, CSV downloads, charts, post tables, definitions."""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from campaigns import metrics, safety
from campaigns.corrections import TONES
from campaigns.errors import GroundswellError
from campaigns.exports import to_csv
from campaigns.metrics import net_sentiment, pct_change, share_of_voice
from campaigns.model import SIDES, STORED_TIME_FORMAT
from campaigns.privacy import open_links
from campaigns.settings import Settings
from dashboard import data, drill
from dashboard.selection import (
    Selection,
    format_basis,
    format_change,
    format_count,
    format_net,
    format_points,
    format_share,
    view_params,
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
    "abuse": st.column_config.NumberColumn("offensive language", format="%.2f",
                                           help="Offensive-language score in this campaign, 0..1"),
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


def chart(fig: go.Figure, frame: pd.DataFrame, name: str, key: str, *, drill_down: bool = False) -> None:
    """A Plotly chart with its data as CSV beneath it; with `drill_down`, a click on a bar, a
    point or a spike marker opens the Posts page on exactly the posts behind it."""
    chosen = st.session_state.get("selection")
    if not drill_down or chosen is None or chosen.campaign is None or not may_drill():
        st.plotly_chart(fig, key=f"chart_{key}", config={"displaylogo": False})
        csv_download(frame, name, key)
        return
    event = st.plotly_chart(fig, key=f"chart_{key}", config={"displaylogo": False}, on_select="rerun",
                            selection_mode="points")
    st.caption("Click a bar or a point to list the posts behind it.")
    csv_download(frame, name, key)
    points = event.selection.points if event is not None else []
    if points:
        follow(chosen, drill.target(fig.to_dict(), points[0], chosen, safety.threshold_of(chosen.campaign)))


def may_drill() -> bool:
    """Whether this viewer's clicks on charts and tables may open the Posts page."""
    user = viewer()
    return user is None or user.may_open("Posts")


def follow(chosen: Selection, found) -> None:
    """Open the Posts page on a drill-down's view (nothing for None: a click on nothing)."""
    if found is None:
        return
    # The note is kept with the view it describes, so a later view never shows it.
    st.session_state["posts_drill"] = found
    st.switch_page(drill.POSTS_PAGE, query_params={**view_params(chosen), **found.params})


def posts_table(frame: pd.DataFrame, name: str, key: str, tz: str = "UTC",
                after: Callable[[pd.DataFrame, str], None] | None = None) -> None:
    """Posts as plain text with a link to each, their times in `tz`, and the table as CSV (UTC);
    offensive text hidden until revealed.

    `after(frame, key)` is drawn beneath the table with the posts shown (uid included): where a
    page puts controls that act on those posts, such as correcting a post's tone or side.
    """
    chosen = st.session_state.get("selection")
    if chosen is not None and chosen.campaign is not None and "abuse" in frame:
        frame = hide_offensive(frame, chosen.campaign)
    if frame.empty:
        st.caption("No posts for these filters.")
    shown = with_open_links(frame).drop(columns=["uid"], errors="ignore")
    if len(shown):
        shown = shown.assign(created_at=local_times(shown["created_at"], tz).to_numpy())
    st.dataframe(shown, hide_index=True, column_config=POST_COLUMN_CONFIG, key=f"table_{key}")
    csv_download(frame, name, key)
    if after is not None:
        after(frame, key)


# -- hidden text and corrections (the safety desk's rules, used on every page that lists posts) --

HIDDEN = "[hidden: scored offensive ({score:.2f}); reveal it below, which is recorded]"


def revealed() -> set[tuple[int, str]]:
    """(campaign id, uid) of the posts this session has revealed (each reveal is in the audit log)."""
    return st.session_state.setdefault("revealed_posts", set())


def hide_offensive(frame: pd.DataFrame, campaign, score_column: str = "abuse") -> pd.DataFrame:
    """The frame with the text of every post scored or judged offensive replaced, unless revealed.

    The text never reaches the page (nor its CSV) before a reveal: it is replaced here, in the
    server, before anything is drawn.
    """
    threshold = safety.threshold_of(campaign)
    shown = revealed()
    frame = frame.copy()
    hide = [safety.hidden(score, threshold) and (campaign.id, uid) not in shown
            for score, uid in zip(frame[score_column], frame["uid"], strict=True)]
    frame["text"] = [HIDDEN.format(score=score) if hidden else text
                     for text, score, hidden in zip(frame["text"], frame[score_column], hide, strict=True)]
    frame.attrs["hidden"] = sum(hide)
    return frame


def viewer():
    """Who is looking (campaigns.access.User), set by the entry point; None outside it."""
    return st.session_state.get("viewer")


def may_review() -> bool:
    """Whether this viewer may reveal hidden text and give verdicts: who may open the Safety section."""
    user = viewer()
    return user is None or user.may_open("Safety")


def who_input(key: str) -> str:
    """The name recorded with every reveal, correction and export: the account's, else typed once
    per session (a dashboard without accounts, on localhost)."""
    user = viewer()
    if user is not None and user.id:
        st.caption(f"Recorded as {user.name}.")
        return user.name
    typed = st.text_input("Your name (recorded with what you do here)", value=st.session_state.get("reviewer", ""),
                          key=f"who_{key}")
    if typed.strip():
        st.session_state["reviewer"] = typed.strip()
    return typed.strip()


def may_correct(field: str) -> bool:
    """Whether this viewer may correct this field of a post (campaigns.access.CORRECTIONS)."""
    user = viewer()
    return user is None or user.may_correct(field)


def post_label(row) -> str:
    text = str(row["text"]) if not str(row["text"]).startswith("[hidden") else "(hidden text)"
    return f"{row['created_at']} · {row['platform']} · {row['author_key']} · {text[:60]}"


def reveal(chosen: Selection, who: str, uids: list[str]) -> None:
    """Reveal hidden posts for this session: one audit row each, then the page shows their text."""
    for uid in uids:
        data.write(chosen.db_path, "safety.reveal", chosen.campaign.id, uid, who)
        revealed().add((chosen.campaign.id, uid))
    data.changed()


def post_actions(frame: pd.DataFrame, key: str) -> None:
    """Under a table of posts: reveal a hidden one, correct a post's tone or side, or (for a
    safety lead) give a verdict; every number follows at once, and each act is recorded."""
    chosen = st.session_state.get("selection")
    if chosen is None or chosen.campaign is None or frame.empty:
        return
    reviewer = may_review()
    choices = {"tone": ("(unchanged)", *TONES), "side": ("(unchanged)", *SIDES),
               "verdict": ("(unchanged)", "abusive", "not abusive")}
    fields = [(field, options) for field, options in choices.items() if may_correct(field)]
    if not fields and not reviewer:
        return
    allowed = " or ".join(field for field, _ in fields) or "nothing"
    with st.expander(f"Reveal a hidden post, or correct its {allowed}" if reviewer else f"Correct a post's {allowed}"):
        labels = {row["uid"]: post_label(row) for _, row in hide_offensive(frame, chosen.campaign).iterrows()}
        uid = st.selectbox("Post", list(labels), format_func=labels.get, key=f"post_{key}")
        who = who_input(key)
        picked = {field: column.selectbox(field.capitalize(), options, key=f"{field}_{key}")
                  for column, (field, options) in zip(st.columns(len(fields)) if fields else [], fields, strict=True)}
        left, right = st.columns(2)
        if reviewer and left.button("Reveal (recorded)", key=f"reveal_{key}", disabled=not who):
            reveal(chosen, who, [uid])
            st.rerun()
        if fields and right.button("Save correction", key=f"correct_{key}", disabled=not who):
            try:
                for field, value in picked.items():
                    if value != "(unchanged)":
                        if not may_correct(field):   # the role is checked again where the write happens
                            raise GroundswellError(f"your role may not correct a post's {field}")
                        data.write(chosen.db_path, "correct", uid, chosen.campaign.id, field, value, who)
            except GroundswellError as error:
                st.error(str(error))
            else:
                data.changed()
                st.rerun()
        if not who:
            st.caption("Type your name to reveal or correct: both are recorded.")
