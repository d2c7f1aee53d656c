"""Plan · Volunteers: people with their consent and handles, and who is on which call to action or event."""

from __future__ import annotations

import streamlit as st

from campaigns import clock, planner
from dashboard.planner_forms import NEW, attempt, header, literal, local_table, pick, read, saved

PLATFORM_LABELS = {"x": "X", "bluesky": "Bluesky", "mastodon": "Mastodon (name@instance)", "reddit": "Reddit"}


def volunteer_form(chosen, current: planner.Volunteer | None, key: str) -> planner.Volunteer | None:
    """The volunteer as the form has it once submitted, else None; unticking consent drops the handles."""
    with st.form(key=f"{key}_form"):
        left, right = st.columns(2)
        name = left.text_input("Display name", value=current.display_name if current else "", key=f"{key}_name")
        zone = right.text_input("Time zone (IANA)", value=current.timezone if current else chosen.tz,
                                key=f"{key}_timezone")
        left, right = st.columns(2)
        contact = left.text_input("Contact (optional)", value=current.contact if current else "",
                                  key=f"{key}_contact")
        skills = right.text_input("Skills (comma-separated)", value=", ".join(current.skills) if current else "",
                                  key=f"{key}_skills")
        consent = st.checkbox("Consents to their handles being used to mark their posts done",
                              value=bool(current and current.consent_at), key=f"{key}_consent")
        st.caption("Handles are kept only with consent; unticking it deletes them.")
        columns = st.columns(len(PLATFORM_LABELS))
        handles = {platform: columns[i].text_input(label, value=current.handles.get(platform, "") if current else "",
                                                   key=f"{key}_handle_{platform}")
                   for i, (platform, label) in enumerate(PLATFORM_LABELS.items())}
        submitted = st.form_submit_button("Save volunteer", key=f"{key}_submit")
    if not submitted:
        return None
    consent_at = (current.consent_at if current and current.consent_at else clock.now_iso()) if consent else None
    withdrawn = not consent and current is not None and current.consent_at
    return planner.Volunteer(name, zone.strip(), contact, skills, consent_at, {} if withdrawn else handles,
                             id=current.id if current else None)


def assignment_forms(chosen, assigned, names: dict[int, str]) -> None:
    """Put a volunteer on a call to action or an event role; move an assignment along."""
    campaign = chosen.campaign
    actions = read(chosen, "actions", campaign.id)
    events = read(chosen, "events", campaign.id)
    targets = {**{f"action:{r.id}": f"call to action {r.id}: {r.title}" for r in actions.itertuples()},
               **{f"event:{r.id}": f"event {r.id}: {r.title}" for r in events.itertuples()}}
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
            result = attempt(chosen, "assign", who, role=role, status=status, **ids)
            if result is not None:
                saved(f"Assigned {literal(names[who])} ({result.status}).")
    if assigned.empty:
        return
    labels = {int(r.id): f"{r.id}: {r.volunteer} on {r.title} ({r.status})" for r in assigned.itertuples()}
    with st.form(key="planner_assignment_status_form"):
        which = st.selectbox("Assignment", list(labels), format_func=labels.get, key="planner_assignment_pick")
        left, right = st.columns(2)
        status = left.selectbox("New status", planner.ASSIGNMENT_STATUSES, key="planner_assignment_new_status")
        evidence = right.text_input("Evidence: a collected post's uid (optional)", key="planner_assignment_evidence",
                                    placeholder="x:1900000000000000123")
        submitted = st.form_submit_button("Update assignment", key="planner_assignment_submit")
    if submitted:
        result = attempt(chosen, "set_assignment_status", which, status, evidence_uid=evidence.strip() or None)
        if result is not None:
            saved(f"Assignment {result.id} is {result.status}.")


def main() -> None:
    chosen = header("Volunteers")
    if chosen is None:
        return
    table = read(chosen, "volunteers")
    st.dataframe(table, hide_index=True, key="planner_volunteers_table")
    names = {int(r.id): r.display_name for r in table.itertuples()}
    chosen_id = pick("Add or edit a volunteer", names, "planner_volunteer_pick")
    current = read(chosen, "get_volunteer", int(chosen_id)) if chosen_id != NEW else None
    volunteer = volunteer_form(chosen, current, f"planner_volunteer_{chosen_id}")
    if volunteer is not None:
        result = attempt(chosen, "save_volunteer", volunteer)
        if result is not None:
            saved(f"Saved volunteer {literal(result.display_name)}.")

    st.subheader("Assignments")
    assigned = read(chosen, "assignments", chosen.campaign.id)
    st.dataframe(local_table(assigned, ["starts_at", "ends_at", "done_at"], chosen.tz), hide_index=True,
                 key="planner_assignments_table")
    assignment_forms(chosen, assigned, names)


main()
