"""The scheduler's report job: draft the report of each call to action and event whose after-window has closed."""

from __future__ import annotations

from datetime import datetime

from campaigns import clock
from campaigns.errors import GroundswellError
from campaigns.store import Store

JOB_ID = "draft-reports"
INTERVAL_SECONDS = 900


def draft_due(store: Store, now: datetime | None = None) -> list[str]:
    """Draft and keep every report that became ready since it was last drafted; one line each.

    A report that cannot be built is reported as one line and the others still drafted.
    """
    now = now or clock.now()
    lines = []
    for subject in store.reports.due(now):
        try:
            store.reports.save_draft(store.reports.report(subject, now))
        except GroundswellError as error:
            lines.append(f"report {subject.key}: not drafted: {error}")
            continue
        lines.append(f"report {subject.key} '{subject.title}': drafted; its after-window closed "
                     f"{subject.ready_at:%Y-%m-%dT%H:%M:%SZ}")
    return lines


def run_job(db_path: str) -> None:
    """One scheduled pass (called by APScheduler by name)."""
    with Store.open(db_path) as store:
        for line in draft_due(store):
            print(f"{clock.now_iso()} {line}", flush=True)
