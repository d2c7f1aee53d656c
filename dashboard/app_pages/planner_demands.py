"""Plan · Demands: the ledger of what the campaign asks for, and dated updates until it is implemented."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import streamlit as st

from campaigns import planner
from dashboard import ui
from dashboard.planner_forms import NEW, attempt, header, local_table, pick, read, saved


def demand_form(chosen, current: planner.Demand | None, key: str) -> planner.Demand | None:
    with st.form(key=f"{key}_form"):
        text = st.text_area("Demand", value=current.text if current else "", key=f"{key}_text")
        maker = st.text_input("Decision maker", value=current.decision_maker if current else "", key=f"{key}_maker")
        left, right = st.columns(2)
        due = left.date_input("Due", value=date.fromisoformat(current.due_at) if current and current.due_at else None,
                              key=f"{key}_due", format="YYYY-MM-DD")
        review = right.date_input("Review on", key=f"{key}_review", format="YYYY-MM-DD",
                                  value=date.fromisoformat(current.review_on) if current and current.review_on else None)
        submitted = st.form_submit_button("Save demand", key=f"{key}_submit")
    if not submitted:
        return None
    return planner.Demand(chosen.campaign.id, text, maker, current.status if current else "raised",
                          due.isoformat() if due else None, review.isoformat() if review else None,
                          id=current.id if current else None)


def update_form(chosen, current: planner.Demand, key: str) -> None:
    """A dated update: a status move along the demand's lifecycle, a note, a source, a collected post."""
    with st.form(key=f"{key}_update_form"):
        moves = [current.status, *planner.DEMAND_MOVES[current.status]]
        left, right = st.columns(2)
        status = left.selectbox("Status", moves, key=f"{key}_update_status",
                                format_func=lambda s: planner.DEMAND_LABELS.get(s, s))
        day = right.date_input("Dated", value=chosen.now.astimezone(ZoneInfo(chosen.tz)).date(),
                               key=f"{key}_update_at")
        note = st.text_input("Note", key=f"{key}_update_note")
        left, right = st.columns(2)
        source_url = left.text_input("Source link", key=f"{key}_update_source")
        evidence = right.text_input("Evidence: a collected post's uid", key=f"{key}_update_evidence")
        submitted = st.form_submit_button("Add update", key=f"{key}_update_submit")
    if submitted:
        result = attempt(chosen, "add_demand_update", current.id, status=status, note=note,
                         source_url=source_url.strip(), evidence_uid=evidence.strip() or None, at=day.isoformat(),
                         tz=chosen.tz)
        if result is not None:
            saved(f"Demand {current.id} is {planner.DEMAND_LABELS.get(result['status'], result['status'])}.")


def main() -> None:
    chosen = header("Demands")
    if chosen is None:
        return
    campaign, tz = chosen.campaign, chosen.tz
    table = read(chosen, "demands", campaign.id)
    shown = local_table(table, ["last_update"], tz)
    shown["status"] = [planner.DEMAND_LABELS.get(s, s) for s in shown["status"]]
    st.dataframe(shown, hide_index=True, key="planner_demands_table")
    ui.csv_download(table, f"{campaign.slug} demands", "planner_demands")
    options = {int(r.id): f"{r.id}: {r.text[:70]}" for r in table.itertuples()}
    chosen_id = pick("Add or edit a demand", options, "planner_demand_pick")
    current = read(chosen, "get_demand", int(chosen_id)) if chosen_id != NEW else None
    key = f"planner_demand_{chosen_id}"
    demand = demand_form(chosen, current, key)
    if demand is not None:
        result = attempt(chosen, "save_demand", demand, tz)
        if result is not None:
            saved(f"Saved demand {result.id}.")
    if current is None:
        return
    history = read(chosen, "demand_updates", current.id)
    st.dataframe(local_table(history, ["at"], tz), hide_index=True, key="planner_demand_history")
    update_form(chosen, current, key)


main()
