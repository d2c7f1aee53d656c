"""Plan · Volunteer view: what one volunteer has to do, in their time zone, with the text to post and links.

Everything a person typed (titles, roles, places, messages) is shown as text, never as Markdown.
"""

from __future__ import annotations

import streamlit as st

from campaigns import calendar_feed
from campaigns.share_links import links_for_action
from dashboard import ui
from dashboard.planner_forms import header, literal, read


def agenda_item(item: dict, person) -> None:
    same_day = item["local_start"].date() == item["local_end"].date()
    until = f"{item['local_end']:%H:%M %Z}" if same_day else f"{item['local_end']:%a %d %b %H:%M %Z}"
    with st.container(border=True, key=f"planner_agenda_{item['assignment_id']}"):
        st.text(item["title"] + (f" · {item['role']}" if item["role"] else ""))
        st.caption(literal(
            f"{item['local_start']:%a %d %b %H:%M} to {until} · {item['where'] or 'anywhere'} · "
            f"your part: {item['status']} · {'call to action' if item['kind'] == 'action' else 'event'}: "
            f"{item['subject_status']}"))
        if item["kind"] == "action":
            action = item["action"]
            text = " ".join(p for p in (item["message"], " ".join("#" + t for t in action.hashtags), action.link) if p)
            if text:
                st.code(text, language=None, wrap_lines=True)
            if item["message"] or action.hashtags:
                columns = st.columns(4)
                for column, link in zip(columns, links_for_action(action, person), strict=True):
                    if link.url:
                        column.link_button(f"Post on {link.label}", link.url, icon=":material/open_in_new:")
                    else:
                        column.caption(literal(f"{link.label}: {link.note}"))
        if item["evidence_uid"]:
            st.caption(literal(f"Done: seen in collected post {item['evidence_uid']}."))


def main() -> None:
    chosen = header("Volunteer view")
    if chosen is None:
        return
    campaign = chosen.campaign
    viewer = st.session_state.get("viewer")
    if viewer is not None and viewer.role == "volunteer":
        # A volunteer sees their own assignments only, never another volunteer's details.
        who = viewer.volunteer_id
    else:
        people = read(chosen, "volunteers")
        if people.empty:
            st.caption("No volunteers yet.")
            return
        names = {int(r.id): r.display_name for r in people.itertuples()}
        who = st.selectbox("Volunteer", list(names), format_func=names.get, key="planner_volunteer_view")
    person = read(chosen, "get_volunteer", who)
    agenda = read(chosen, "volunteer_agenda", who)
    mine = [item for item in agenda if (item.get("action") or item.get("event")).campaign_id == campaign.id]
    st.caption(f"What is {literal(person.display_name)}'s in {literal(campaign.name)}, in their time zone "
               f"({person.timezone}). Nothing is posted for you: copy the text, or open a link to post it yourself.")
    if not mine:
        st.info(f"Nothing assigned to {literal(person.display_name)} in this campaign.")
    for item in mine:
        agenda_item(item, person)
    ics = calendar_feed.volunteer_calendar(person, agenda).to_ical()
    st.download_button(f"Download {literal(person.display_name)}'s calendar (.ics)", ics,
                       file_name=f"{ui.slug_for_file(person.display_name)}.ics", mime="text/calendar",
                       key="planner_volunteer_ics", on_click="ignore", icon=":material/event:")


main()
