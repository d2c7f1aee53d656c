"""The open alerts on the Overview: what happened, where to look, and a button to acknowledge each (through data.write)."""

from __future__ import annotations

import json

import streamlit as st

from campaigns.alerts import LABELS, pile_on_detail
from dashboard import data, ui
from dashboard.selection import Selection

SHOWN = 20


def _detail(row) -> str:
    """A pile-on in its figures only (who took part is on the Safety page, behind its own rules)."""
    if row["kind"] == "pile_on" and str(row["detail"]).lstrip().startswith("{"):
        return pile_on_detail({"detail": row["detail"], "figures": row.get("figures")})
    # The store gives the safety desk's own sentence (counts and the protected account, no authors).
    return row["detail"]


def open_alerts(chosen: Selection) -> None:
    """The table of open alerts with one acknowledge button each; who acknowledges is recorded."""
    st.subheader("Open alerts")
    done = st.session_state.pop("alerts_acknowledged", None)
    if done is not None:
        st.success(f"Alert {done} acknowledged.")
    alerts = data.open_alerts(chosen.db_path)
    if alerts.empty:
        st.caption("No open alerts.")
        return
    names = {c.id: c.slug for c in chosen.campaigns}
    alerts = alerts.assign(
        campaign=alerts["campaign_id"].map(names),
        figures=[json.loads(f) if isinstance(f, str) and f else {} for f in alerts.get("figures", [None] * len(alerts))])
    alerts["detail"] = [_detail(row) for row in alerts.to_dict("records")]
    shown = alerts[["id", "at", "campaign", "kind", "detail"]]
    st.dataframe(shown, hide_index=True, column_config={
        "id": st.column_config.NumberColumn("alert", format="%d"),
        "at": st.column_config.TextColumn("began (UTC)"),
        "detail": st.column_config.TextColumn("detail", width="large")})
    ui.csv_download(shown, "open alerts", "alerts")
    viewer = st.session_state.get("viewer")
    if viewer is not None and viewer.id:
        who = viewer.name   # signed in: the account acknowledges
        st.caption(f"Acknowledging as {who}; the name and time are recorded.")
    else:
        who = st.text_input("Acknowledged by", key="alerts_ack_by", placeholder="your name",
                            help="Recorded with the time, as `groundswell alerts ack ID --by NAME` does.")
    for row in shown.head(SHOWN).to_dict("records"):
        label = f"Acknowledge alert {row['id']}: {LABELS.get(row['kind'], row['kind'])}, {row['campaign']}"
        if st.button(label, key=f"alerts_ack_{row['id']}"):
            if not who.strip():
                st.warning("Say who acknowledges it first (the name is recorded).")
            else:
                data.write(chosen.db_path, "alerts.acknowledge", int(row["id"]), who.strip())
                data.open_alerts.clear()
                st.session_state["alerts_acknowledged"] = int(row["id"])
                st.rerun()

