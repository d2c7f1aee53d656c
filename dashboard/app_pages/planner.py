"""Planner: narratives, calls to action, events, volunteers, assignments and demands; a timeline; a volunteer's own view."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from campaigns import calendar_feed, planner
from campaigns.errors import GroundswellError
from campaigns.model import to_datetime
from campaigns.share_links import links_for_action
from dashboard import planner_charts, ui
from dashboard.planner_data import run

NEW = "new"


def saved(message: str) -> None:
    """Say what was saved, and drop cached reads so every page shows it at once."""
    st.cache_data.clear()
    st.success(message, icon=":material/check:")


def attempt(function, *args, **kwargs):
    """Run a write; a user's mistake is shown as one clear message and nothing changes."""
    try:
        return run(st.session_state["planner_path"], function, *args, **kwargs)
    except GroundswellError as error:
        st.error(str(error), icon=":material/error:")
        return None


def local_parts(stored: str | None, tz: str, fallback: datetime) -> tuple[date, time]:
    moment = to_datetime(stored).astimezone(ZoneInfo(tz)) if stored else fallback
    return moment.date(), moment.time().replace(second=0, microsecond=0)


def when_inputs(prefix: str, label: str, stored: str | None, tz: str, fallback: datetime) -> datetime:
    """A date and a time side by side, read as wall-clock time in the zone chosen in the form."""
    day, clock = local_parts(stored, tz, fallback)
    left, right = st.columns(2)
    chosen_day = left.date_input(f"{label} date", value=day, key=f"{prefix}_date", format="YYYY-MM-DD")
    chosen_time = right.time_input(f"{label} time", value=clock, key=f"{prefix}_time", step=timedelta(minutes=15))
    return datetime.combine(chosen_day, chosen_time)


def pick(label: str, options: dict, key: str) -> str:
    """A selectbox over {id: label} with a 'new' entry first; returns NEW or an id."""
    choices = [NEW, *options]
    return st.selectbox(label, choices, key=key, format_func=lambda v: "+ add new" if v == NEW else options[v])


def local_table(frame: pd.DataFrame, columns: list[str], tz: str) -> pd.DataFrame:
    """Stored UTC instants as wall-clock text in `tz`, for tables people read."""
    shown = frame.copy()
    for column in columns:
        shown[column] = [planner.local_text(v, tz) if isinstance(v, str) and v else "" for v in shown[column]]
    return shown


# -- calendar and timeline ------------------------------------------------------------------------

def calendar_tab(path: str, campaign, tz: str) -> None:
    frame = run(path, planner.timeline, campaign.id)
    figure = planner_charts.timeline(frame, tz, datetime.now(UTC))
    ui.chart(figure, frame, f"{campaign.slug} plan timeline", "planner_timeline")
    upcoming = frame[frame["end"] >= datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")]
    st.subheader("Coming up")
    if upcoming.empty:
        st.caption("Nothing scheduled from now on.")
    else:
        st.dataframe(local_table(upcoming, ["start", "end"], tz).drop(columns=["timezone"]), hide_index=True,
                     key="planner_upcoming")
    ics = run(path, calendar_feed.campaign_calendar, [campaign.id], name=campaign.name).to_ical()
    st.download_button("Download calendar (.ics)", ics, file_name=f"{ui.slug_for_file(campaign.slug)}-plan.ics",
                       mime="text/calendar", key="planner_ics", on_click="ignore", icon=":material/event:")
    st.caption(f"Times in {tz}. The calendar file carries each entry's own time zone and reminders "
               "(30 minutes before a call to action, a day and an hour before an event).")


# -- calls to action ------------------------------------------------------------------------------

def actions_tab(path: str, campaign, tz: str) -> None:
    table = run(path, planner.actions, campaign.id)
    shown = local_table(table, ["window_start", "window_end"], tz)
    st.dataframe(shown.drop(columns=["timezone"]), hide_index=True, key="planner_actions_table",
                 column_config={"posts": st.column_config.NumberColumn("posts in window"),
                                "goal_count": st.column_config.NumberColumn("goal")})
    ui.csv_download(table, f"{campaign.slug} calls to action", "planner_actions")
    options = {int(r.id): f"{r.id}: {r.title} ({r.status})" for r in table.itertuples()}
    chosen = pick("Add or edit a call to action", options, "planner_action_pick")
    current = run(path, planner.get_action, int(chosen)) if chosen != NEW else None
    narratives = run(path, planner.narratives, campaign.id)
    events = run(path, planner.events, campaign.id)
    narrative_options = {None: "none", **{int(r.id): f"{r.id}: {r.claim[:60]}" for r in narratives.itertuples()}}
    event_options = {None: "none", **{int(r.id): f"{r.id}: {r.title}" for r in events.itertuples()}}
    key = f"planner_action_{chosen}"
    default_start = datetime.now(ZoneInfo(tz)).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
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
    if submitted:
        action = planner.Action(
            campaign.id, kind, title, start, end, zone.strip(), message, variants.splitlines(),
            hashtags.replace(",", " ").split(), channel, link, goal, narrative_id, event_id, status,
            id=current.id if current else None)
        result = attempt(planner.save_action, action)
        if result is not None:
            saved(f"Saved call to action {result.id}: {result.title} ({result.status}).")
    if current is not None:
        progress = run(path, planner.action_progress, current.id)
        goal_text = f" of {progress['goal']}" if progress["goal"] else ""
        st.caption(f"Progress: {progress['posts']}{goal_text} posts with its hashtags in the window; "
                   f"{progress['volunteers_done']} of {progress['assigned']} volunteers done.")


# -- events ---------------------------------------------------------------------------------------

def events_tab(path: str, campaign, tz: str) -> None:
    table = run(path, planner.events, campaign.id)
    st.dataframe(local_table(table, ["starts_at", "ends_at"], tz).drop(columns=["timezone"]), hide_index=True,
                 key="planner_events_table")
    ui.csv_download(table, f"{campaign.slug} events", "planner_events")
    options = {int(r.id): f"{r.id}: {r.title} ({r.status})" for r in table.itertuples()}
    chosen = pick("Add or edit an event", options, "planner_event_pick")
    current = run(path, planner.get_event, int(chosen)) if chosen != NEW else None
    key = f"planner_event_{chosen}"
    default_start = datetime.now(ZoneInfo(tz)).replace(minute=0, second=0, microsecond=0) + timedelta(days=7)
    with st.form(key=f"{key}_form"):
        zone = st.text_input("Time zone (IANA)", value=current.timezone if current else tz, key=f"{key}_timezone")
        left, right = st.columns(2)
        title = left.text_input("Title", value=current.title if current else "", key=f"{key}_title")
        statuses = [current.status, *planner.LIFECYCLE_MOVES[current.status]] if current else ["scheduled", "draft"]
        status = right.selectbox("Status", statuses, key=f"{key}_status")
        description = st.text_area("Description", value=current.description if current else "", key=f"{key}_description")
        event_zone = current.timezone if current else tz
        start = when_inputs(f"{key}_start", "Start", current.starts_at if current else None, event_zone, default_start)
        end = when_inputs(f"{key}_end", "End", current.ends_at if current else None, event_zone,
                          default_start + timedelta(hours=3))
        left, right = st.columns(2)
        location = left.text_input("Place", value=current.location if current else "", key=f"{key}_location")
        online_url = right.text_input("Online link", value=current.online_url if current else "", key=f"{key}_online")
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
    if submitted:
        try:
            parsed = [planner.parse_need(line) for line in needs.splitlines() if line.strip()]
        except GroundswellError as error:
            st.error(str(error), icon=":material/error:")
        else:
            event = planner.Event(campaign.id, title, start, end, zone.strip(), description, location, online_url,
                                  capacity, visibility, status, parsed, id=current.id if current else None)
            result = attempt(planner.save_event, event)
            if result is not None:
                saved(f"Saved event {result.id}: {result.title} ({result.status}).")
    if current is not None and current.needs:
        st.caption("Needs: " + "; ".join(f"{n.item}: {n.pledged} pledged, {n.delivered} delivered of {n.quantity}"
                                          for n in current.needs))


# -- volunteers and assignments -------------------------------------------------------------------

def volunteers_tab(path: str, campaign, tz: str) -> None:
    table = run(path, planner.volunteers)
    st.dataframe(table, hide_index=True, key="planner_volunteers_table")
    options = {int(r.id): r.display_name for r in table.itertuples()}
    chosen = pick("Add or edit a volunteer", options, "planner_volunteer_pick")
    current = run(path, planner.get_volunteer, int(chosen)) if chosen != NEW else None
    key = f"planner_volunteer_{chosen}"
    with st.form(key=f"{key}_form"):
        left, right = st.columns(2)
        name = left.text_input("Display name", value=current.display_name if current else "", key=f"{key}_name")
        zone = right.text_input("Time zone (IANA)", value=current.timezone if current else tz, key=f"{key}_timezone")
        left, right = st.columns(2)
        contact = left.text_input("Contact (optional)", value=current.contact if current else "", key=f"{key}_contact")
        skills = right.text_input("Skills (comma-separated)", value=", ".join(current.skills) if current else "",
                                  key=f"{key}_skills")
        consent = st.checkbox("Consents to their handles being used to mark their posts done",
                              value=bool(current and current.consent_at), key=f"{key}_consent")
        st.caption("Handles are kept only with consent; unticking it deletes them.")
        columns = st.columns(4)
        handles = {platform: columns[i].text_input(
            {"x": "X", "bluesky": "Bluesky", "mastodon": "Mastodon (name@instance)", "reddit": "Reddit"}[platform],
            value=current.handles.get(platform, "") if current else "", key=f"{key}_handle_{platform}")
            for i, platform in enumerate(("x", "bluesky", "mastodon", "reddit"))}
        submitted = st.form_submit_button("Save volunteer", key=f"{key}_submit")
    if submitted:
        consent_at = (current.consent_at if current and current.consent_at else
                      datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")) if consent else None
        withdrawn = not consent and current is not None and current.consent_at
        volunteer = planner.Volunteer(name, zone.strip(), contact, skills, consent_at,
                                      {} if withdrawn else handles, id=current.id if current else None)
        result = attempt(planner.save_volunteer, volunteer)
        if result is not None:
            saved(f"Saved volunteer {result.display_name}.")

    st.subheader("Assignments")
    assigned = run(path, planner.assignments, campaign.id)
    st.dataframe(local_table(assigned, ["starts_at", "ends_at", "done_at"], tz), hide_index=True,
                 key="planner_assignments_table")
    actions = run(path, planner.actions, campaign.id)
    events = run(path, planner.events, campaign.id)
    targets = {**{f"action:{r.id}": f"call to action {r.id}: {r.title}" for r in actions.itertuples()},
               **{f"event:{r.id}": f"event {r.id}: {r.title}" for r in events.itertuples()}}
    people = run(path, planner.volunteers)
    names = {int(r.id): r.display_name for r in people.itertuples()}
    if names and targets:
        with st.form(key="planner_assign_form"):
            left, right = st.columns(2)
            who = left.selectbox("Volunteer", list(names), format_func=names.get, key="planner_assign_volunteer")
            what = right.selectbox("To", list(targets), format_func=targets.get, key="planner_assign_target")
            left, right = st.columns(2)
            role = left.text_input("Role (events)", key="planner_assign_role", placeholder="steward")
            status = right.selectbox("Status", ["invited", "accepted"], key="planner_assign_status")
            submitted = st.form_submit_button("Assign", key="planner_assign_submit")
        if submitted:
            kind, subject = what.split(":")
            ids = {"action_id": int(subject)} if kind == "action" else {"event_id": int(subject)}
            result = attempt(planner.assign, who, role=role, status=status, **ids)
            if result is not None:
                saved(f"Assigned {names[who]} ({result.status}).")
    if not assigned.empty:
        labels = {int(r.id): f"{r.id}: {r.volunteer} on {r.title} ({r.status})" for r in assigned.itertuples()}
        with st.form(key="planner_assignment_status_form"):
            which = st.selectbox("Assignment", list(labels), format_func=labels.get, key="planner_assignment_pick")
            left, right = st.columns(2)
            status = left.selectbox("New status", planner.ASSIGNMENT_STATUSES, key="planner_assignment_new_status")
            evidence = right.text_input("Evidence: a collected post's uid (optional)", key="planner_assignment_evidence",
                                        placeholder="x:1900000000000000123")
            submitted = st.form_submit_button("Update assignment", key="planner_assignment_submit")
        if submitted:
            result = attempt(planner.set_assignment_status, which, status, evidence_uid=evidence.strip() or None)
            if result is not None:
                saved(f"Assignment {result.id} is {result.status}.")


# -- demands --------------------------------------------------------------------------------------

def demands_tab(path: str, campaign, tz: str) -> None:
    table = run(path, planner.demands, campaign.id)
    shown = local_table(table, ["last_update"], tz)
    shown["status"] = [planner.DEMAND_LABELS.get(s, s) for s in shown["status"]]
    st.dataframe(shown, hide_index=True, key="planner_demands_table")
    ui.csv_download(table, f"{campaign.slug} demands", "planner_demands")
    options = {int(r.id): f"{r.id}: {r.text[:70]}" for r in table.itertuples()}
    chosen = pick("Add or edit a demand", options, "planner_demand_pick")
    current = run(path, planner.get_demand, int(chosen)) if chosen != NEW else None
    key = f"planner_demand_{chosen}"
    with st.form(key=f"{key}_form"):
        text = st.text_area("Demand", value=current.text if current else "", key=f"{key}_text")
        maker = st.text_input("Decision maker", value=current.decision_maker if current else "", key=f"{key}_maker")
        left, right = st.columns(2)
        due = left.date_input("Due", value=date.fromisoformat(current.due_at) if current and current.due_at else None,
                              key=f"{key}_due", format="YYYY-MM-DD")
        review = right.date_input("Review on", key=f"{key}_review", format="YYYY-MM-DD",
                                  value=date.fromisoformat(current.review_on) if current and current.review_on else None)
        submitted = st.form_submit_button("Save demand", key=f"{key}_submit")
    if submitted:
        demand = planner.Demand(campaign.id, text, maker, current.status if current else "raised",
                                due.isoformat() if due else None, review.isoformat() if review else None,
                                id=current.id if current else None)
        result = attempt(planner.save_demand, demand, tz)
        if result is not None:
            saved(f"Saved demand {result.id}.")
    if current is None:
        return
    history = run(path, planner.demand_updates, current.id)
    st.dataframe(local_table(history, ["at"], tz), hide_index=True, key="planner_demand_history")
    with st.form(key=f"{key}_update_form"):
        moves = [current.status, *planner.DEMAND_MOVES[current.status]]
        left, right = st.columns(2)
        status = left.selectbox("Status", moves, key=f"{key}_update_status",
                                format_func=lambda s: planner.DEMAND_LABELS.get(s, s))
        day = right.date_input("Dated", value=datetime.now(ZoneInfo(tz)).date(), key=f"{key}_update_at")
        note = st.text_input("Note", key=f"{key}_update_note")
        left, right = st.columns(2)
        source_url = left.text_input("Source link", key=f"{key}_update_source")
        evidence = right.text_input("Evidence: a collected post's uid", key=f"{key}_update_evidence")
        submitted = st.form_submit_button("Add update", key=f"{key}_update_submit")
    if submitted:
        result = attempt(planner.add_demand_update, current.id, status=status, note=note, source_url=source_url.strip(),
                         evidence_uid=evidence.strip() or None, at=day.isoformat(), tz=tz)
        if result is not None:
            saved(f"Demand {current.id} is {planner.DEMAND_LABELS.get(result['status'], result['status'])}.")


# -- narratives -----------------------------------------------------------------------------------

def narratives_tab(path: str, campaign, tz: str) -> None:
    table = run(path, planner.narratives, campaign.id)
    st.dataframe(local_table(table, ["first_seen"], tz), hide_index=True, key="planner_narratives_table")
    options = {int(r.id): f"{r.id} ({r.side}): {r.claim[:60]}" for r in table.itertuples()}
    chosen = pick("Add or edit a narrative", options, "planner_narrative_pick")
    current = run(path, planner.get_narrative, int(chosen)) if chosen != NEW else None
    trackers = {t.id: t.term + f" ({t.side})" for t in campaign.trackers}
    opposing = {None: "none", **{int(r.id): f"{r.id}: {r.claim[:60]}" for r in table.itertuples()
                                 if r.side == "opposing"}}
    key = f"planner_narrative_{chosen}"
    with st.form(key=f"{key}_form"):
        left, middle, right = st.columns(3)
        side = left.selectbox("Side", planner.NARRATIVE_SIDES, key=f"{key}_side",
                              index=planner.NARRATIVE_SIDES.index(current.side) if current else 1)
        risk = middle.selectbox("Risk", planner.RISKS, key=f"{key}_risk",
                                index=planner.RISKS.index(current.risk) if current else 1)
        decision = right.selectbox("Decision", planner.DECISIONS, key=f"{key}_decision",
                                   index=planner.DECISIONS.index(current.decision) if current else 1)
        claim = st.text_input("Claim", value=current.claim if current else "", key=f"{key}_claim")
        left, right = st.columns(2)
        frame = left.text_input("Frame", value=current.frame if current else "", key=f"{key}_frame")
        keywords = right.text_input("Keywords (comma-separated)", value=", ".join(current.keywords) if current else "",
                                    key=f"{key}_keywords")
        first_seen = st.date_input("First seen", key=f"{key}_first_seen", format="YYYY-MM-DD",
                                   value=to_datetime(current.first_seen).astimezone(ZoneInfo(tz)).date()
                                   if current and current.first_seen else None)
        linked = st.multiselect("Measured by trackers", list(trackers), format_func=trackers.get, key=f"{key}_trackers",
                                default=[t for t in (current.tracker_ids if current else []) if t in trackers])
        counters = st.selectbox("Answers (for ours)", list(opposing), format_func=opposing.get, key=f"{key}_counters",
                                index=list(opposing).index(current.counters_id)
                                if current and current.counters_id in opposing else 0)
        submitted = st.form_submit_button("Save narrative", key=f"{key}_submit")
    if submitted:
        narrative = planner.Narrative(campaign.id, side, claim, frame, keywords,
                                      first_seen.isoformat() if first_seen else None, risk, decision, counters,
                                      current.notes if current else "", linked, id=current.id if current else None)
        result = attempt(planner.save_narrative, narrative, tz)
        if result is not None:
            saved(f"Saved narrative {result.id}.")
    if current is not None and current.tracker_ids:
        end = datetime.now(UTC)
        traction = run(path, planner.narrative_traction, current.id,
                       (end - timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ"), end.strftime("%Y-%m-%dT%H:%M:%SZ"))
        st.caption("Traction: posts per day (UTC) carrying its trackers, last 90 days.")
        st.bar_chart(traction, x="day", y="mentions", height=200)


# -- a volunteer's own view -----------------------------------------------------------------------

def volunteer_view(path: str, campaign) -> None:
    people = run(path, planner.volunteers)
    if people.empty:
        st.caption("No volunteers yet.")
        return
    names = {int(r.id): r.display_name for r in people.itertuples()}
    who = st.selectbox("Volunteer", list(names), format_func=names.get, key="planner_volunteer_view")
    person = run(path, planner.get_volunteer, who)
    agenda = [item for item in run(path, planner.volunteer_agenda, who)
              if (item.get("action") or item.get("event")).campaign_id == campaign.id]
    st.caption(f"What is {person.display_name}'s in {campaign.name}, in their time zone ({person.timezone}). "
               "Nothing is posted for you: copy the text, or open a link to post it yourself.")
    if not agenda:
        st.info(f"Nothing assigned to {person.display_name} in this campaign.")
    for item in agenda:
        same_day = item["local_start"].date() == item["local_end"].date()
        until = f"{item['local_end']:%H:%M %Z}" if same_day else f"{item['local_end']:%a %d %b %H:%M %Z}"
        with st.container(border=True, key=f"planner_agenda_{item['assignment_id']}"):
            st.markdown(f"**{item['title']}**" + (f" · {item['role']}" if item["role"] else ""))
            st.caption(f"{item['local_start']:%a %d %b %H:%M} to {until} · {item['where'] or 'anywhere'} · "
                       f"your part: {item['status']} · {'call to action' if item['kind'] == 'action' else 'event'}: "
                       f"{item['subject_status']}")
            if item["kind"] == "action":
                action = item["action"]
                text = " ".join(p for p in (item["message"], " ".join("#" + t for t in action.hashtags),
                                            action.link) if p)
                if text:
                    st.code(text, language=None, wrap_lines=True)
                if item["message"] or action.hashtags:
                    columns = st.columns(4)
                    for column, link in zip(columns, links_for_action(action, person), strict=True):
                        if link.url:
                            column.link_button(f"Post on {link.label}", link.url, icon=":material/open_in_new:")
                        else:
                            column.caption(f"{link.label}: {link.note}")
            if item["evidence_uid"]:
                st.caption(f"Done: seen in collected post {item['evidence_uid']}.")
    ics = run(path, calendar_feed.volunteer_calendar, who).to_ical()
    st.download_button(f"Download {person.display_name}'s calendar (.ics)", ics,
                       file_name=f"{ui.slug_for_file(person.display_name)}.ics", mime="text/calendar",
                       key="planner_volunteer_ics", on_click="ignore", icon=":material/event:")


def main() -> None:
    chosen = ui.selection()
    if chosen is None:
        return
    campaign, tz, path = chosen.campaign, chosen.tz, chosen.db_path
    st.session_state["planner_path"] = path
    st.title("Planner")
    st.caption(f"{campaign.name} · times in {tz} · forms check every value before anything is saved")
    run(path, planner.advance_with_clock)
    tabs = st.tabs(["Calendar", "Calls to action", "Events", "Volunteers", "Demands", "Narratives", "Volunteer view"])
    with tabs[0]:
        calendar_tab(path, campaign, tz)
    with tabs[1]:
        actions_tab(path, campaign, tz)
    with tabs[2]:
        events_tab(path, campaign, tz)
    with tabs[3]:
        volunteers_tab(path, campaign, tz)
    with tabs[4]:
        demands_tab(path, campaign, tz)
    with tabs[5]:
        narratives_tab(path, campaign, tz)
    with tabs[6]:
        volunteer_view(path, campaign)


main()
