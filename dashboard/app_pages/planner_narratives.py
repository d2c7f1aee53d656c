"""Plan · Narratives: those seen and those told, what was decided, and a narrative's traction."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from campaigns import planner
from campaigns.model import iso_utc, to_datetime
from dashboard.planner_forms import NEW, attempt, header, local_table, pick, read, saved


def form(chosen, table, current: planner.Narrative | None, key: str) -> planner.Narrative | None:
    campaign, tz = chosen.campaign, chosen.tz
    trackers = {t.id: t.term + f" ({t.side})" for t in campaign.trackers}
    opposing = {None: "none", **{int(r.id): f"{r.id}: {r.claim[:60]}" for r in table.itertuples()
                                 if r.side == "opposing"}}
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
    if not submitted:
        return None
    return planner.Narrative(campaign.id, side, claim, frame, keywords, first_seen.isoformat() if first_seen else None,
                             risk, decision, counters, current.notes if current else "", linked,
                             id=current.id if current else None)


def main() -> None:
    chosen = header("Narratives")
    if chosen is None:
        return
    campaign, tz = chosen.campaign, chosen.tz
    table = read(chosen, "narratives", campaign.id)
    st.dataframe(local_table(table, ["first_seen"], tz), hide_index=True, key="planner_narratives_table")
    options = {int(r.id): f"{r.id} ({r.side}): {r.claim[:60]}" for r in table.itertuples()}
    chosen_id = pick("Add or edit a narrative", options, "planner_narrative_pick")
    current = read(chosen, "get_narrative", int(chosen_id)) if chosen_id != NEW else None
    narrative = form(chosen, table, current, f"planner_narrative_{chosen_id}")
    if narrative is not None:
        result = attempt(chosen, "save_narrative", narrative, tz)
        if result is not None:
            saved(f"Saved narrative {result.id}.")
    if current is not None and current.tracker_ids:
        end = chosen.now
        traction = read(chosen, "narrative_traction", current.id, iso_utc(end - timedelta(days=90)), iso_utc(end))
        st.caption("Traction: posts per day (UTC) carrying its trackers, last 90 days.")
        st.bar_chart(traction, x="day", y="mentions", height=200)


main()
