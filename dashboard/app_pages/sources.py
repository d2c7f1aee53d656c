"""Sources: the last collection runs, their errors, rate limits and budget use, from collection_runs."""

from __future__ import annotations

import streamlit as st

from campaigns.model import iso_utc
from dashboard import charts, data, ui
from dashboard.selection import next_hour

SUMMARY_DAYS = 30
RUN_DEFINITIONS = """
- **status**: *ok* (every query answered, every record read), *partial* (some queries failed
  or some records could not be read; what came is stored), *rate_limited* (the platform asked
  us to wait; the next run resumes from the cursor), *stopped* (stopped by Ctrl-C or SIGTERM;
  the next run resumes from the cursor), *error* (nothing could be fetched; the error says
  why), *running* (not finished, or killed).
- **fetched / new / updated**: posts the run received, those new to the database, and those
  seen before whose counts it refreshed.
- **quarantined**: records the run could not read (a date that is not one, a count too large
  to store); each is skipped, and kept under "Quarantined records" with where it was and why.
- **cost_units**: what a paid API counts against its budget (on X, posts read).
"""


def main() -> None:
    chosen = st.session_state.get("selection")
    if chosen is None:
        ui.no_campaigns()
        return
    left, right = st.columns([4, 1])
    left.title("Sources")
    left.caption(f"Every collector, all campaigns · times in {chosen.tz}")
    with right.popover("What these columns mean"):
        st.markdown(RUN_DEFINITIONS)
    path = chosen.db_path
    summary = data.source_summary(path, iso_utc(next_hour(chosen.now)), SUMMARY_DAYS)
    runs = data.last_runs(path, 200)
    slugs = {c.id: c.slug for c in chosen.campaigns}
    runs.insert(2, "campaign", runs.pop("campaign_id").map(slugs))
    if runs.empty:
        st.info("No collection runs yet. Collect once with `groundswell collect`, or keep collecting with "
                "`groundswell schedule`; each run will be listed here.")
        return
    st.subheader(f"By source, last {SUMMARY_DAYS} days")
    st.caption("cost_units: what a paid API charged (on X, posts read against the monthly budget).")
    st.dataframe(summary, hide_index=True, column_config={
        "last_error": st.column_config.TextColumn("last error", width="large")})
    ui.csv_download(summary, "sources summary", "summary")
    ui.chart(charts.runs_over_time(runs, chosen.tz), runs, "collection runs", "runs")

    errors = runs[runs["status"].isin(["error", "rate_limited", "partial", "stopped"])]
    st.subheader("Errors and rate limits")
    if errors.empty:
        st.caption("None in the last runs.")
    else:
        st.dataframe(errors[["started_at", "collector", "status", "error"]], hide_index=True,
                     column_config={"error": st.column_config.TextColumn("error", width="large")})
        ui.csv_download(errors, "collection errors", "errors")
    st.subheader("Quarantined records")
    quarantined = data.quarantined(path, 50)
    if quarantined.empty:
        st.caption("None: every record collected could be read.")
    else:
        st.caption("Records that could not be read, so were skipped while the rest of their page was stored. "
                   "Times in UTC; `times` counts how often the record was seen.")
        st.dataframe(quarantined, hide_index=True, column_config={
            "reason": st.column_config.TextColumn("reason", width="large"),
            "value": st.column_config.TextColumn("value")})
        ui.csv_download(quarantined, "quarantined records", "quarantine")
    st.subheader("Last runs")
    st.caption("Times in UTC.")
    st.dataframe(runs, hide_index=True, column_config={"error": st.column_config.TextColumn("error")})
    ui.csv_download(runs, "collection runs", "last_runs")


main()
