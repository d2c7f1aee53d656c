"""The dashboard's entry point: who is looking, the shared sidebar, and the pages their role may open."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import streamlit as st

from campaigns import clock
from campaigns.errors import GroundswellError
from campaigns.metrics import Filters
from campaigns.model import PLATFORMS, iso_utc, to_datetime
from dashboard import auth, data
from dashboard.selection import (
    DEFAULT_PRESET,
    DEFAULT_SIDE,
    PRESETS,
    SIDE_CHOICES,
    VIEW_KEYS,
    Selection,
    view_from_params,
    view_params,
    window,
)

# Served by this server: a Material or emoji icon would make every page fetch it from a font server.
PAGE_ICON = Path(__file__).resolve().parent / "static" / "icon.png"
# The navigation: {section: [(file, title, icon), ...]}, one line per page; the first page of the
# first section is the default. Sections are what a role is given (campaigns.access.SECTIONS).
PAGES = {
    "Listen": [
        ("app_pages/overview.py", "Overview", ":material/dashboard:"),
        ("app_pages/traction.py", "Traction", ":material/trending_up:"),
        ("app_pages/sentiment.py", "Tone", ":material/mood:"),
    ],
    "Posts": [
        ("app_pages/posts.py", "Posts", ":material/forum:"),
    ],
    "Plan": [
        ("app_pages/planner_calendar.py", "Calendar", ":material/calendar_month:"),
        ("app_pages/planner_actions.py", "Calls to action", ":material/campaign:"),
        ("app_pages/planner_events.py", "Events", ":material/event:"),
        ("app_pages/planner_volunteers.py", "Volunteers", ":material/groups:"),
        ("app_pages/planner_demands.py", "Demands", ":material/gavel:"),
        ("app_pages/planner_narratives.py", "Narratives", ":material/record_voice_over:"),
    ],
    "Reports": [
        ("app_pages/reports.py", "Reports", ":material/summarize:"),
    ],
    "Volunteer": [
        ("app_pages/planner_volunteer_view.py", "Volunteer view", ":material/person:"),
    ],
    "Safety": [
        ("app_pages/safety.py", "Safety", ":material/shield_person:"),
    ],
    "Sources": [
        ("app_pages/sources.py", "Sources", ":material/cloud_download:"),
    ],
}


def navigation_pages(viewer) -> dict[str, list]:
    """The sections this viewer's role may open, as st.Page objects, the first page the default.

    Pages outside them are not registered for the session at all, so a role cannot reach them by
    their URL either: the server never runs them."""
    allowed = {section: pages for section, pages in PAGES.items() if viewer.may_open(section)}
    first = next(iter(allowed.values()))[0][0]
    return {section: [st.Page(path, title=title, icon=icon, default=path == first) for path, title, icon in pages]
            for section, pages in allowed.items()}


def sidebar(db_path: str) -> Selection:
    """The filters every page shares; widget keys are unprefixed because they are app-wide."""
    campaigns = data.campaigns(db_path)
    now = clock.now()
    with st.sidebar:
        st.header("Groundswell")
        if not campaigns:
            st.caption(f"Database: {db_path}")
            return Selection(db_path, [], None, now - timedelta(days=7), now)
        by_slug = {c.slug: c for c in campaigns}
        view_from_url(set(by_slug))
        if st.session_state.get("campaign") not in by_slug:
            st.session_state["campaign"] = campaigns[0].slug
        slug = st.selectbox("Campaign", list(by_slug), key="campaign",
                            format_func=lambda s: by_slug[s].name + (" (demo data)" if by_slug[s].is_demo else ""))
        campaign = by_slug[slug]
        tz = campaign.timezone
        if st.session_state.get("range_preset") not in PRESETS:
            st.session_state["range_preset"] = DEFAULT_PRESET
        preset = st.selectbox("Time range", PRESETS, key="range_preset")
        custom = None
        if preset == "Custom dates":
            if "range_custom" not in st.session_state:
                today = now.astimezone(ZoneInfo(tz)).date()
                st.session_state["range_custom"] = (today - timedelta(days=6), today)
            chosen = st.date_input("From and to (inclusive)", key="range_custom", format="YYYY-MM-DD")
            if isinstance(chosen, tuple | list) and len(chosen) == 2:
                custom = (chosen[0], chosen[1])
            elif isinstance(chosen, tuple | list) and len(chosen) == 1:
                custom = (chosen[0], chosen[0])
        start, end = window(preset, campaign, now, custom, tz)
        platforms = st.multiselect("Platforms", PLATFORMS, key="platforms", placeholder="All platforms")
        if st.session_state.get("side") not in SIDE_CHOICES:
            st.session_state["side"] = DEFAULT_SIDE
        side = st.radio("Side", list(SIDE_CHOICES), key="side", horizontal=True,
                        help="Which posts the tiles and charts count: our side by default; opposing, monitored "
                             "terms, protected accounts, or all of them. Share of voice always counts both sides.")
        chosen = Selection(db_path, campaigns, campaign, start, end, tz=tz, preset=preset,
                           platforms=tuple(platforms), side=side, now=now, custom=custom)
        view_to_url(chosen)
        st.caption(f"Times in {tz}, the campaign's time zone.\n\n{chosen.label()}")
        st.caption(f"Database: {db_path}")
    return chosen


def view_from_url(campaigns: set[str]) -> None:
    """On a session's first run, the sidebar takes the view its link asks for (campaign, range,
    custom dates, platforms, side: a link sent to a colleague, or an alert's `?campaign=slug`);
    later runs keep what the sidebar holds. st.switch_page (a chart's drill-down) drops every
    widget's value, the sidebar's too: the view it passes in the URL is then read again."""
    if st.session_state.get("view_from_url") and "campaign" in st.session_state:
        return
    st.session_state["view_from_url"] = True
    values, refused = view_from_params(st.query_params, campaigns, PLATFORMS)
    for key, value in values.items():
        st.session_state[key] = value
    if refused:
        st.warning(f"The link's {', '.join(refused)} could not be read; the sidebar's own "
                   f"{'value is' if len(refused) == 1 else 'values are'} used instead.")


def view_to_url(chosen: Selection) -> None:
    """The sidebar's view written to the page's URL on every run of every page, so the address
    bar always holds a link to what is on the screen."""
    wanted = view_params(chosen)
    for key in VIEW_KEYS:
        if key not in wanted:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get(key) != wanted[key]:
            st.query_params[key] = wanted[key]


def show_range(first: date, last: date) -> None:
    """Set the sidebar's range to these local dates (a button's callback, so before the widgets)."""
    st.session_state["range_preset"] = "Custom dates"
    st.session_state["range_custom"] = (first, last)


def range_hint(chosen: Selection) -> None:
    """When the range holds none of the campaign's posts but the campaign has some (an import of
    last year's posts, a range after the campaign ended), say where they are and offer that range."""
    if chosen.campaign is None:
        return
    campaign = chosen.campaign
    if sum(data.mentions_by_side(chosen.db_path, Filters(campaign.id, iso_utc(chosen.start),
                                                          iso_utc(chosen.end))).values()):
        return
    first, last = data.post_bounds(chosen.db_path, campaign.id)
    if first is None:
        return
    zone = ZoneInfo(chosen.tz)
    first_day, last_day = (to_datetime(moment).astimezone(zone).date() for moment in (first, last))
    span = f"{first_day:%d %b %Y}" + ("" if first_day == last_day else f" to {last_day:%d %b %Y}")
    st.info(f"No posts of {campaign.name} in this range. Its posts are from {span} ({chosen.tz}).",
            icon=":material/date_range:")
    st.button(f"Show {span}", key="range_hint", on_click=show_range, args=(first_day, last_day),
              icon=":material/date_range:")


def main() -> None:
    st.set_page_config(page_title="Groundswell", page_icon=str(PAGE_ICON), layout="wide")
    db_path = data.db_path()
    try:
        data.store(db_path)
    except GroundswellError as error:
        # The dashboard never creates or migrates a database: it says which file it looked for.
        st.error(str(error), icon=":material/database:")
        st.stop()
    viewer = auth.current_user(db_path)
    if viewer is None:
        st.stop()
    st.session_state["viewer"] = viewer
    auth.log_out_button(viewer)
    chosen = sidebar(db_path)
    st.session_state["selection"] = chosen
    navigation = st.navigation(navigation_pages(viewer))
    if navigation.title in {title for _, title, _ in PAGES["Listen"]}:
        range_hint(chosen)
    if chosen.campaign is not None and chosen.campaign.is_demo:
        st.warning("Demo data: these posts were generated by `groundswell demo load`; none of them is real.",
                   icon=":material/science:")
    navigation.run()


main()
