"""Plan · Calendar: calls to action and events on a timeline, what is coming up, and the calendar file."""

from __future__ import annotations

import streamlit as st

from campaigns import calendar_feed
from campaigns.model import iso_utc
from dashboard import planner_charts, ui
from dashboard.planner_forms import header, local_table, read


def main() -> None:
    chosen = header("Calendar")
    if chosen is None:
        return
    campaign, tz = chosen.campaign, chosen.tz
    frame = read(chosen, "timeline", campaign.id)
    ui.chart(planner_charts.timeline(frame, tz, chosen.now), frame, f"{campaign.slug} plan timeline",
             "planner_timeline")
    upcoming = frame[frame["end"] >= iso_utc(chosen.now)]
    st.subheader("Coming up")
    if upcoming.empty:
        st.caption("Nothing scheduled from now on.")
    else:
        st.dataframe(local_table(upcoming, ["start", "end"], tz).drop(columns=["timezone"]), hide_index=True,
                     key="planner_upcoming")
    entries = read(chosen, "calendar_entries", [campaign.id])
    ics = calendar_feed.campaign_calendar(entries, name=campaign.name).to_ical()
    st.download_button("Download calendar (.ics)", ics, file_name=f"{ui.slug_for_file(campaign.slug)}-plan.ics",
                       mime="text/calendar", key="planner_ics", on_click="ignore", icon=":material/event:")
    st.caption(f"Times in {tz}. The calendar file carries each entry's own time zone and reminders "
               "(30 minutes before a call to action, a day and an hour before an event).")


main()
