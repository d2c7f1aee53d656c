"""Plan · Calls to action: the list with progress, and a form to add or edit one."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from campaigns import planner
from dashboard import ui
from dashboard.planner_forms import (
    NEW,
    attempt,
    header,
    literal,
    local_table,
    pick,
    read,
    saved,
    when_inputs,
)


def form(chosen, current: planner.Action | None, key: str) -> planner.Action | None:
    """The call to action as the form has it once submitted, else None."""
    campaign, tz = chosen.campaign, chosen.tz
    narratives = read(chosen, "narratives", campaign.id)
    events = read(chosen, "events", campaign.id)
    narrative_options = {None: "none", **{int(r.id): f"{r.id}: {r.claim[:60]}" for r in narratives.itertuples()}}
    event_options = {None: "none", **{int(r.id): f"{r.id}: {r.title}" for r in events.itertuples()}}
    default_start = chosen.now.astimezone(ZoneInfo(tz)).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    with st.form(key=f"{key}_form"):
        zone = st.text_input("Time zone (IANA)", value=current.timezone if current else tz, key=f"{key}_timezone")
        left, right = st.columns(2)
        kind = left.selectbox("Kind", planner.ACTION_KINDS, key=f"{key}_kind",
                              index=planner.ACTION_KINDS.index(current.kind) if current else 0)
        statuses = [current.status, *planner.LIFECYCLE_MOVES[current.status]] if current else ["draft", "scheduled"]
        status = right.selectbox("Status", statuses, key=f"{key}_status",
                                 help="draft -> scheduled -> live -> done, or cancelled. Scheduled work goes live "
                                      "and finishes with the clock.")
        title = st.text_input("Title", value=current.title if current else "", key=f"{key}_title")
        message = st.text_area("Message", value=current.message if current else "", key=f"{key}_message")
        variants = st.text_area("Variants, one per line (so volunteers' posts are not identical)",
                                value="\n".join(current.variants) if current else "", key=f"{key}_variants")
        hashtags = st.text_input("Hashtags", value=" ".join("#" + t for t in current.hashtags) if current else "",
                                 key=f"{key}_hashtags", placeholder="#LoveSUs #AntiSocialMedia")
        left, right = st.columns(2)
        channel = left.text_input("Channel", value=current.channel if current else "", key=f"{key}_channel",
                                  placeholder="any platform, r/UniUK, the council's phone line")
        link = right.text_input("Link", value=current.link if current else "", key=f"{key}_link")
        window_zone = current.timezone if current else tz
        start = when_inputs(f"{key}_start", "Window start", current.window_start if current else None,
                            window_zone, default_start)
        end = when_inputs(f"{key}_end", "Window end", current.window_end if current else None, window_zone,
                          default_start + timedelta(hours=6))
        goal = st.number_input("Goal (posts or acts)", value=current.goal_count if current else None, step=1,
                               key=f"{key}_goal", placeholder="none")
        left, right = st.columns(2)
        narrative_id = left.selectbox("Narrative it serves", list(narrative_options), key=f"{key}_narrative",
                                      format_func=narrative_options.get,
                                      index=list(narrative_options).index(current.narrative_id)
                                      if current and current.narrative_id in narrative_options else 0)
        event_id = right.selectbox("Event it belongs to", list(event_options), key=f"{key}_event",
                                   format_func=event_options.get,
                                   index=list(event_options).index(current.event_id)
                                   if current and current.event_id in event_options else 0)
        submitted = st.form_submit_button("Save call to action", key=f"{key}_submit")
    if not submitted:
        return None
    return planner.Action(campaign.id, kind, title, start, end, zone.strip(), message, variants.splitlines(),
                          hashtags.replace(",", " ").split(), channel, link, goal, narrative_id, event_id, status,
                          id=current.id if current else None)


def main() -> None:
    chosen = header("Calls to action")
    if chosen is None:
        return
    campaign, tz = chosen.campaign, chosen.tz
    table = read(chosen, "actions", campaign.id)
    st.dataframe(local_table(table, ["window_start", "window_end"], tz).drop(columns=["timezone"]), hide_index=True,
                 key="planner_actions_table", column_config={
                     "posts": st.column_config.NumberColumn("posts in window"),
                     "goal_count": st.column_config.NumberColumn("goal")})
    ui.csv_download(table, f"{campaign.slug} calls to action", "planner_actions")
    options = {int(r.id): f"{r.id}: {r.title} ({r.status})" for r in table.itertuples()}
    chosen_id = pick("Add or edit a call to action", options, "planner_action_pick")
    current = read(chosen, "get_action", int(chosen_id)) if chosen_id != NEW else None
    action = form(chosen, current, f"planner_action_{chosen_id}")
    if action is not None:
        result = attempt(chosen, "save_action", action)
        if result is not None:
            saved(f"Saved call to action {result.id}: {literal(result.title)} ({result.status}).")
    if current is not None:
        progress = read(chosen, "action_progress", current.id)
        goal_text = f" of {progress['goal']}" if progress["goal"] else ""
        st.caption(f"Progress: {progress['posts']}{goal_text} posts with its hashtags in the window; "
                   f"{progress['volunteers_done']} of {progress['assigned']} volunteers done.")


main()
