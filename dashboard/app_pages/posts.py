"""Posts: the campaign's posts themselves, searched and filtered, as one stream or as columns side by side."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from campaigns.errors import GroundswellError
from campaigns.exports import to_csv, to_jsonl
from campaigns.metrics import Filters, sentiment_class
from campaigns.model import SIDES, term_of
from campaigns.stream import KINDS, TONES, PostQuery
from dashboard import data, ui
from dashboard.selection import Selection

# The view lives in the page's URL, so a link sent to a colleague opens the same posts.
URL_KEYS = ("q", "tracker", "tone", "min_offensive", "lang", "kind", "page", "from", "to", "platform", "side")
COLUMNS = {
    "posted": st.column_config.TextColumn("posted"),
    "text": st.column_config.TextColumn("text", width="large"),
    "url": st.column_config.LinkColumn("link", display_text="open"),
    "engagement": st.column_config.NumberColumn("engagement", format="%d"),
    "tone": st.column_config.TextColumn("tone"),
    "offensive": st.column_config.NumberColumn("offensive language", format="%.2f"),
    "author_key": st.column_config.TextColumn("author"),
}


def shown(frame: pd.DataFrame, chosen: Selection) -> pd.DataFrame:
    """Posts as the page shows them: local times, tone in words, offensive text hidden (the
    safety desk's rule, ui.hide_offensive), all plain text."""
    view = ui.hide_offensive(frame, chosen.campaign)
    zone = ZoneInfo(chosen.tz)
    view["posted"] = [pd.Timestamp(t).tz_convert(zone).strftime("%Y-%m-%d %H:%M") for t in view["created_at"]]
    view["tone"] = [sentiment_class(s) or "n/a" for s in view["sentiment"]]
    view["offensive"] = view["abuse"]
    return view[["posted", "platform", "side", "author_key", "text", "url", "likes", "reposts", "replies",
                 "quotes", "engagement", "tone", "offensive", "lang", "uid"]]


def from_url(chosen: Selection) -> dict:
    """The view the URL asks for (a shared link, or a chart's drill-down)."""
    params = st.query_params
    return {key: params.get(key) for key in URL_KEYS if params.get(key) not in (None, "")}


def to_url(values: dict) -> None:
    for key in URL_KEYS:
        value = values.get(key)
        if value in (None, "", ()):
            st.query_params.pop(key, None)
        else:
            st.query_params[key] = str(value)


def build_query(chosen: Selection, wanted: dict) -> PostQuery:
    """The page's PostQuery: the sidebar's window and filters unless the URL names its own."""
    base = chosen.filters()
    filters = Filters(
        base.campaign_id, wanted.get("from") or base.start, wanted.get("to") or base.end,
        tuple(wanted["platform"].split(",")) if wanted.get("platform") else base.platforms,
        tuple(wanted["side"].split(",")) if wanted.get("side") else base.sides)
    return PostQuery(
        filters, tracker_id=int(wanted["tracker"]) if wanted.get("tracker") else None, tone=wanted.get("tone"),
        min_offensive=float(wanted["min_offensive"]) if wanted.get("min_offensive") else None,
        lang=wanted.get("lang"), kind=wanted.get("kind"), search=wanted.get("q", ""),
        page=int(wanted.get("page", 1))).validate()


def filter_form(chosen: Selection, wanted: dict) -> dict:
    """The stream's own filters, batched in a form so a search runs once per submit."""
    trackers = {str(t.id): f"{term_of(t.kind, t.value)} ({t.side})" for t in chosen.campaign.trackers}
    with st.form("posts_filters"):
        top = st.columns([3, 2, 1, 1])
        search = top[0].text_input("Search", value=wanted.get("q", ""), key="posts_q",
                                   help='Words, "a phrase", prefix*, -left out; #hashtags and @handles match whole.')
        tracker = top[1].selectbox("Tracker", ["", *trackers], format_func=lambda k: trackers.get(k, "any tracker"),
                                   index=["", *trackers].index(wanted.get("tracker", "")) if wanted.get("tracker", "") in trackers else 0,
                                   key="posts_tracker")
        tone = top[2].selectbox("Tone", ["", *TONES], index=(["", *TONES].index(wanted.get("tone", ""))
                                                            if wanted.get("tone", "") in TONES else 0),
                                format_func=lambda v: v or "any", key="posts_tone")
        kind = top[3].selectbox("Kind", ["", *KINDS], index=(["", *KINDS].index(wanted.get("kind", ""))
                                                            if wanted.get("kind", "") in KINDS else 0),
                                format_func=lambda v: v or "any", key="posts_kind")
        bottom = st.columns([2, 1, 1])
        minimum = bottom[0].slider("Offensive-language score at least", 0.0, 1.0,
                                   float(wanted.get("min_offensive") or 0.0), 0.05, key="posts_offensive")
        lang = bottom[1].text_input("Language", value=wanted.get("lang", ""), key="posts_lang", placeholder="e.g. en")
        bottom[2].form_submit_button("Show posts", type="primary")
    chosen_values = dict(wanted)
    chosen_values.update(q=search.strip(), tracker=tracker, tone=tone, kind=kind, lang=lang.strip(),
                         min_offensive=f"{minimum:.2f}" if minimum > 0 else "")
    if any(chosen_values.get(k, "") != wanted.get(k, "") for k in ("q", "tracker", "tone", "kind", "lang",
                                                                   "min_offensive")):
        chosen_values["page"] = ""
    return {k: v for k, v in chosen_values.items() if v not in (None, "")}


def stream(chosen: Selection) -> None:
    wanted = filter_form(chosen, from_url(chosen))
    to_url(wanted)
    try:
        query = build_query(chosen, wanted)
        frame, total = data.call(chosen.db_path, "posts.page", query)
    except GroundswellError as error:
        st.error(str(error))
        return
    pages = max(1, -(-total // query.per_page))
    if wanted.get("from") or wanted.get("to"):
        st.caption(f"From a chart: posts from {query.filters.start} to {query.filters.end} (UTC). "
                   "Clear the link's filters with the button below to use the sidebar's range.")
        if st.button("Use the sidebar's range", key="posts_clear_window"):
            to_url({k: v for k, v in wanted.items() if k not in ("from", "to", "platform", "side", "page")})
            st.rerun()
    st.markdown(f"**{total:,} post(s)** · page {query.page} of {pages} · newest first · "
                f"times in {chosen.tz}")
    if frame.empty:
        st.info("No posts match these filters in this range.")
    else:
        st.dataframe(shown(frame, chosen).drop(columns=["uid"]), hide_index=True, column_config=COLUMNS,
                     key="posts_table")
        ui.post_actions(frame, "posts")
    left, middle, right = st.columns([1, 1, 3])
    if query.page > 1 and left.button("Newer", key="posts_prev"):
        to_url({**wanted, "page": query.page - 1})
        st.rerun()
    if query.page < pages and middle.button("Older", key="posts_next"):
        to_url({**wanted, "page": query.page + 1})
        st.rerun()
    exports(chosen, query)


def exports(chosen: Selection, query: PostQuery) -> None:
    """What the filters show, as CSV and JSON Lines with the filters written at the top."""
    about = [("campaign", chosen.campaign.slug), *query.describe(), ("times", "UTC")]

    def everything() -> pd.DataFrame:
        # Offensive text not revealed stays hidden in the files too.
        return ui.hide_offensive(data.call(chosen.db_path, "posts.all", query), chosen.campaign)

    left, right = st.columns(2)
    left.download_button("Download these posts as CSV", lambda: to_csv(everything(), about),
                         file_name=f"{chosen.campaign.slug}-posts.csv", mime="text/csv", key="posts_csv",
                         on_click="ignore", icon=":material/download:")
    right.download_button("Download as JSON Lines", lambda: to_jsonl(everything(), about),
                          file_name=f"{chosen.campaign.slug}-posts.jsonl", mime="application/x-ndjson",
                          key="posts_jsonl", on_click="ignore", icon=":material/download:")


def column_choices(chosen: Selection) -> dict[str, str]:
    choices = {f"side:{side}": f"side: {side}" for side in SIDES}
    choices.update({f"tracker:{t.id}": f"{term_of(t.kind, t.value)} ({t.side})" for t in chosen.campaign.trackers})
    return choices


@st.fragment(run_every="30s")
def columns_view(chosen: Selection) -> None:
    """TweetDeck-style columns, each a stream of its own, refreshing as the scheduler stores posts,
    with a count of posts stored since this column was last looked at."""
    choices = column_choices(chosen)
    picked = st.multiselect("Columns", list(choices), default=list(choices)[:2], max_selections=4,
                            format_func=choices.get, key="posts_columns")
    if not picked:
        st.caption("Pick the trackers or sides to follow.")
        return
    base = PostQuery(chosen.filters(), per_page=20)
    marks = st.session_state.setdefault("posts_column_marks", {})
    newest = data.call(chosen.db_path, "posts.newest_mark")
    for column, key in zip(st.columns(len(picked)), picked, strict=True):
        kind, _, value = key.partition(":")
        query = replace(base, tracker_id=int(value)) if kind == "tracker" else replace(
            base, filters=replace(base.filters, sides=(value,)))
        with column:
            st.markdown(f"**{choices[key]}**")
            new = data.call(chosen.db_path, "posts.stored_after", query, marks[key]) if key in marks else 0
            if new:
                st.caption(f"{new:,} new since you last looked")
                if st.button("Mark as seen", key=f"posts_seen_{key}"):
                    marks[key] = newest
                    st.rerun()
            else:
                marks.setdefault(key, newest)
            frame, total = data.call(chosen.db_path, "posts.page", query)
            st.caption(f"{total:,} in range")
            for row in shown(frame, chosen).itertuples():
                with st.container(border=True):
                    st.caption(f"{row.posted} · {row.platform} · {row.author_key or 'n/a'} · tone {row.tone}")
                    st.text(row.text or "")


def main() -> None:
    chosen = ui.selection()
    if chosen is None:
        return
    ui.page_header("Posts", chosen)
    stream_tab, columns_tab = st.tabs(["Stream", "Columns"])
    with stream_tab:
        stream(chosen)
    with columns_tab:
        columns_view(chosen)


main()
