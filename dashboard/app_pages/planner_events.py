"""Plan · Events: the list with who is coming and what is needed, and a form to add or edit one."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from campaigns import planner
from campaigns.errors import GroundswellError
from dashboard import ui
from dashboard.planner_forms import (
    NEW,
    attempt,
    header,
    literal,
    local_table,
    pick,
    read,
    refused,
    saved,
    when_inputs,
)


def form(chosen, current: planner.Event | None, key: str) -> planner.Event | None:
    """The event as the form has it once submitted (its needs parsed), else None."""
    campaign, tz = chosen.campaign, chosen.tz
    default_start = chosen.now.astimezone(ZoneInfo(tz)).replace(minute=0, second=0, microsecond=0) + timedelta(days=7)
    with st.form(key=f"{key}_form"):
        zone = st.text_input("Time zone (IANA)", value=current.timezone if current else tz, key=f"{key}_timezone")
        left, right = st.columns(2)
        title = left.text_input("Title", value=current.title if current else "", key=f"{key}_title")
        statuses = [current.status, *planner.LIFECYCLE_MOVES[current.status]] if current else ["scheduled", "draft"]
        status = right.selectbox("Status", statuses, key=f"{key}_status")
        description = st.text_area("Description", value=current.description if current else "",
                                   key=f"{key}_description")
        event_zone = current.timezone if current else tz
        start = when_inputs(f"{key}_start", "Start", current.starts_at if current else None, event_zone, default_start)
        end = when_inputs(f"{key}_end", "End", current.ends_at if current else None, event_zone,
                          default_start + timedelta(hours=3))
        left, right = st.columns(2)
        location = left.text_input("Place", value=current.location if current else "", key=f"{key}_location")
        online_url = right.text_input("Online link", value=current.online_url if current else "",
                                      key=f"{key}_online")
        left, right = st.columns(2)
        capacity = left.number_input("Capacity", value=current.capacity if current else None, step=1,
                                     key=f"{key}_capacity", placeholder="no limit")
        visibility = right.selectbox("Visibility", planner.VISIBILITIES, key=f"{key}_visibility",
                                     index=planner.VISIBILITIES.index(current.visibility) if current else 0)
        needs = st.text_area(
            "Needs, one per line as item: quantity[/pledged[/delivered]]",
            value="\n".join(f"{n.item}: {n.quantity}/{n.pledged}/{n.delivered}" for n in current.needs)
            if current else "", key=f"{key}_needs", placeholder="bring water: 50")
        submitted = st.form_submit_button("Save event", key=f"{key}_submit")
    if not submitted:
        return None
    try:
        parsed = [planner.parse_need(line) for line in needs.splitlines() if line.strip()]
    except GroundswellError as error:
        refused(error)
        return None
    return planner.Event(campaign.id, title, start, end, zone.strip(), description, location, online_url,
                         capacity, visibility, status, parsed, id=current.id if current else None)


def main() -> None:
    chosen = header("Events")
    if chosen is None:
        return
    campaign, tz = chosen.campaign, chosen.tz
    table = read(chosen, "events", campaign.id)
    st.dataframe(local_table(table, ["starts_at", "ends_at"], tz).drop(columns=["timezone"]), hide_index=True,
                 key="planner_events_table")
    ui.csv_download(table, f"{campaign.slug} events", "planner_events")
    options = {int(r.id): f"{r.id}: {r.title} ({r.status})" for r in table.itertuples()}
    chosen_id = pick("Add or edit an event", options, "planner_event_pick")
    current = read(chosen, "get_event", int(chosen_id)) if chosen_id != NEW else None
    event = form(chosen, current, f"planner_event_{chosen_id}")
    if event is not None:
        result = attempt(chosen, "save_event", event)
        if result is not None:
            saved(f"Saved event {result.id}: {literal(result.title)} ({result.status}).")
    if current is not None and current.needs:
        st.caption("Needs: " + literal("; ".join(
            f"{n.item}: {n.pledged} pledged, {n.delivered} delivered of {n.quantity}" for n in current.needs)))


main()
