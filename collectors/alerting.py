"""The alert and reminder jobs: a check after each collection run, and the outbox every minute, in the scheduler."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from campaigns import alerts, clock, delivery, reminders
from campaigns.model import Campaign
from campaigns.settings import Settings
from campaigns.store import Store
from collectors.registry import NAMES, interval, make_collector

CHECK_JOB = "alerts-check"
DELIVER_JOB = "alerts-deliver"
# Seconds between checks that no collection run triggers (goals after an import, a stalled
# scheduler) and between passes of the outbox; GROUNDSWELL_ALERTS_INTERVAL, GROUNDSWELL_DELIVER_INTERVAL.
CHECK_INTERVAL = 900
DELIVER_INTERVAL = 60
# How the collectors word a refused credential (collectors.base.BadCredentials' messages).
CREDENTIAL_REFUSED = re.compile(r"\brefused\b|no credits left", re.IGNORECASE)
_told: set[str] = set()


def log(line: str) -> None:
    print(f"{clock.now_iso()} {line}", flush=True)


def source_facts(store: Store, settings: Settings) -> alerts.SourceFacts:
    """Which sources can run and how often, paid budgets, and whether a scheduler keeps them running."""
    intervals = {name: interval(name, settings) for name in NAMES
                 if not make_collector(name, settings, store).missing()}
    budgets = {"x": (store.source_usage("x"), settings.x_monthly_post_budget)} if "x" in intervals else {}
    return alerts.SourceFacts(intervals=intervals, budgets=budgets,
                              credential_refused=lambda error: bool(CREDENTIAL_REFUSED.search(error)),
                              scheduler_used=Path(settings.jobs_file).exists())


def check(store: Store, settings: Settings, campaigns: list[Campaign] | None = None,
          now: datetime | None = None) -> list[dict]:
    """Raise what the rules find (each episode once) and queue it for the campaigns' destinations."""
    raised = alerts.check(store, campaigns, source_facts(store, settings), now)
    delivery.queue_alerts(store, now)
    return raised


def after_run(store: Store, settings: Settings, campaign: Campaign) -> None:
    """The scheduler's hook after a collection run: check that campaign, then send what is due.

    Alerts must never stop collection: a failure here is logged and the next run goes on.
    """
    try:
        for alert in check(store, settings, [campaign]):
            log(f"alert {alert['id']} {campaign.slug} {alert['kind']}: {alerts.without_authors(store, campaign.id, alert['detail'])}")
        for line in delivery.deliver(store).lines:
            log(f"outbox: {line}")
    except Exception as error:  # noqa: BLE001 - the collection run is recorded already; say what failed
        log(f"alerts after {campaign.slug}: {type(error).__name__}: {error}")


def check_job(db_path: str) -> None:
    """Scheduled: check every campaign, queue and send (called by APScheduler by name)."""
    settings = Settings.from_env(db_path)
    with Store.open(db_path) as store:
        for alert in check(store, settings):
            log(f"alert {alert['id']} {alert['kind']}: "
                f"{alerts.without_authors(store, alert['campaign_id'], alert['detail'])}")
        for line in delivery.deliver(store).lines:
            log(f"outbox: {line}")


def deliver_job(db_path: str) -> None:
    """Scheduled: queue new alerts (the safety desk's pile-ons too) and due reminders, then send."""
    with Store.open(db_path) as store:
        delivery.queue_alerts(store)
        for reminder in reminders.queue(store):
            if reminder.destination is None and reminder.key not in _told:
                # Said once per process, not every minute; `groundswell remind --dry-run` lists them.
                _told.add(reminder.key)
                log(f"reminder for {reminder.volunteer.display_name} ({reminder.title}) cannot go: {reminder.skipped}")
        for line in delivery.deliver(store).lines:
            log(f"outbox: {line}")


def add_jobs(scheduler, settings: Settings, db_path: str, now: datetime) -> None:
    """The check and the outbox as two more jobs, with stable ids like the sources'."""
    for job, function, variable, default in (
            (CHECK_JOB, "collectors.alerting:check_job", "alerts", CHECK_INTERVAL),
            (DELIVER_JOB, "collectors.alerting:deliver_job", "deliver", DELIVER_INTERVAL)):
        seconds = max(1, int(settings.intervals.get(variable) or default))
        scheduler.add_job(function, "interval", seconds=seconds, id=job, name=job.replace("-", " "),
                          args=[db_path], replace_existing=True, coalesce=True, max_instances=1,
                          misfire_grace_time=max(30, seconds // 2), next_run_time=now)
