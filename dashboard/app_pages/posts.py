"""Posts: the campaign's posts themselves, searched and filtered, as one stream or as columns side by side."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from campaigns.errors import GroundswellError
from campaigns.exports import to_csv, to_jsonl
from campaigns.metrics import Filters, sentiment_class
from campaigns.model import PLATFORMS, SIDES, iso_utc, parse_when, term_of, to_datetime
from campaigns.stream import KINDS, TONES, PostQuery
from dashboard import data, ui
from dashboard.selection import Selection

# The view lives in the page's URL, so a link sent to a colleague opens the same posts (the
# sidebar's campaign, range, platforms and side sit beside these: selection.VIEW_KEYS). A chart's
# drill-down (dashboard.drill) sets its own window, platforms and sides, and what the click stood for.
URL_KEYS = ("q", "tracker", "tone", "min_offensive", "lang", "kind", "page", "from", "to", "post_platforms",
            "post_sides", "tag", "author", "own_audience", "tone_slot")
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


def _number(text: str, low: float, high: float) -> bool:
    try:
        return low <= float(text) <= high
    except ValueError:
        return False


def _instant(text: str) -> bool:
    try:
        parse_when(text)
    except GroundswellError:
        return False
    return True


# What each value in a link must look like; anything else in a link (typed, or forged) is left out.
URL_CHECKS = {
    "tracker": str.isdigit, "page": lambda v: v.isdigit() and int(v) >= 1,
    "min_offensive": lambda v: _number(v, 0, 1), "tone": lambda v: set(v.split(",")) <= set(TONES),
    "kind": lambda v: v in KINDS, "from": _instant, "to": _instant,
    "post_platforms": lambda v: set(v.split(",")) <= set(PLATFORMS), "post_sides": lambda v: set(v.split(",")) <= set(SIDES),
    "own_audience": lambda v: v == "1", "tone_slot": str.isdigit,
}
# What a chart's drill-down narrows that the form below does not show.
DRILL_ONLY = ("from", "to", "post_platforms", "post_sides", "tag", "author", "own_audience", "tone_slot")


def from_url(chosen: Selection) -> dict:
    """The view the URL asks for (a shared link, or a chart's drill-down); values it cannot
    understand are left out, with a note."""
    params = st.query_params
    wanted = {key: params.get(key) for key in URL_KEYS if params.get(key) not in (None, "")}
    refused = [key for key, check in URL_CHECKS.items() if key in wanted and not check(wanted[key])]
    for key in refused:
        del wanted[key]
    if refused:
        st.warning(f"The link's {', '.join(refused)} could not be read and {'is' if len(refused) == 1 else 'are'} "
                   "left out of this view.")
    return wanted


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
        base.campaign_id, _stored(wanted.get("from")) or base.start, _stored(wanted.get("to")) or base.end,
        tuple(wanted["post_platforms"].split(",")) if wanted.get("post_platforms") else base.platforms,
        tuple(wanted["post_sides"].split(",")) if wanted.get("post_sides") else base.sides)
    return PostQuery(
        filters, tracker_id=int(wanted["tracker"]) if wanted.get("tracker") else None, tone=wanted.get("tone"),
        min_offensive=float(wanted["min_offensive"]) if wanted.get("min_offensive") else None,
        lang=wanted.get("lang"), kind=wanted.get("kind"), search=wanted.get("q", ""),
        page=int(wanted.get("page", 1)), tag=wanted.get("tag"), author=wanted.get("author"),
        own_audience=wanted.get("own_audience") == "1",
        tone_slot=int(wanted["tone_slot"]) if wanted.get("tone_slot") else None).validate()


def _stored(text: str | None) -> str | None:
    """A link's instant in the stored form the matches are compared with ("2026-11-05" is its UTC midnight)."""
    return iso_utc(to_datetime(parse_when(text))) if text else None


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
        # A drill-down may ask for several tones at once (what a net tone rests on): offered as it is.
        tones = ["", *TONES] + ([wanted["tone"]] if wanted.get("tone") and wanted["tone"] not in TONES else [])
        tone = top[2].selectbox("Tone", tones, index=tones.index(wanted.get("tone", "")),
                                format_func=lambda v: (v or "any").replace(",", " or "), key="posts_tone")
        kind = top[3].selectbox("Kind", ["", *KINDS], index=(["", *KINDS].index(wanted.get("kind", ""))
                                                            if wanted.get("kind", "") in KINDS else 0),
                                format_func=lambda v: v or "any", key="posts_kind")
        bottom = st.columns([2, 1, 1])
        minimum = bottom[0].slider("Offensive-language score at least", 0.0, 1.0,
                                   float(wanted.get("min_offensive") or 0.0), 0.05, key="posts_offensive")
        lang = bottom[1].text_input("Language", value=wanted.get("lang", ""), key="posts_lang", placeholder="e.g. en")
        bottom[2].form_submit_button("Show posts", type="primary")
    chosen_values = dict(wanted)
    # An unmoved slider keeps the link's own value (a campaign's threshold may be finer than its steps).
    unmoved = wanted.get("min_offensive") and abs(float(wanted["min_offensive"]) - minimum) < 1e-9
    chosen_values.update(q=search.strip(), tracker=tracker, tone=tone, kind=kind, lang=lang.strip(),
                         min_offensive=wanted["min_offensive"] if unmoved else f"{minimum:.2f}" if minimum > 0 else "")
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
    if any(wanted.get(key) for key in DRILL_ONLY):
        drill_note(chosen, query, wanted, total)
        if st.button("Back to the sidebar's range and filters", key="posts_clear_window"):
            to_url({k: v for k, v in wanted.items() if k not in (*DRILL_ONLY, "page")})
            st.rerun()
    st.markdown(f"**{total:,} post(s)** · page {query.page} of {pages} · newest first · "
                f"times in {chosen.tz}")
    if frame.empty:
        st.info("No posts match these filters in this range.")
    else:
        st.dataframe(ui.with_open_links(shown(frame, chosen)).drop(columns=["uid"]), hide_index=True,
                     column_config=COLUMNS, key="posts_table")
        ui.post_actions(frame, "posts")
    left, middle, right = st.columns([1, 1, 3])
    if query.page > 1 and left.button("Newer", key="posts_prev"):
        to_url({**wanted, "page": query.page - 1})
        st.rerun()
    if query.page < pages and middle.button("Older", key="posts_next"):
        to_url({**wanted, "page": query.page + 1})
        st.rerun()
    exports(chosen, query)


def drill_note(chosen: Selection, query: PostQuery, wanted: dict, total: int) -> None:
    """What the link narrows beyond the form, in words; after a chart's click, what the chart
    showed, so its count can be held against the total here."""
    f = query.filters
    zone = ZoneInfo(chosen.tz)
    window = f"{to_datetime(f.start).astimezone(zone):%d %b %Y %H:%M} to {to_datetime(f.end).astimezone(zone):%d %b %Y %H:%M}"
    parts = [f"posts from {window} ({chosen.tz})", "platforms: " + (", ".join(f.platforms) or "all"),
             "sides: " + (", ".join(f.sides) or "all")]
    if query.tag:
        parts.append(f"carrying #{query.tag}")
    if query.author:
        parts.append(f"by {query.author}" + (" (with their own audience, as the amplifiers count)"
                                             if query.own_audience else ""))
    if query.tone_slot is not None:
        parts.append(f"tone slice {query.tone_slot + 1} of the distribution")
    st.caption(ui.literal("This view: " + " · ".join(parts) + "."))
    clicked = st.session_state.get("posts_drill")
    if clicked is not None and all(wanted.get(k, "") == v for k, v in clicked.params.items()) and \
            not any(wanted.get(k) for k in DRILL_ONLY if k not in clicked.params):
        st.info(ui.literal(clicked.note) + (f" **{total:,}** post(s) here." if clicked.count is None else
                                            f" Here: **{total:,}** post(s)."), icon=":material/bar_chart:")


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
                    st.caption(f"{row.posted} · {row.platform} · {ui.literal(row.author_key or 'n/a')} · "
                               f"tone {row.tone}")
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
