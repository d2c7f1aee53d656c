"""The scheduler process: APScheduler runs each source on its interval; SIGTERM or Ctrl-C stops it within seconds."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from campaigns.settings import Settings
from campaigns.store import Store
from collectors import alerting, report_job
from collectors.base import STOP, request_stop
from collectors.registry import NAMES, interval, make_collector
from collectors.runner import ACTIVE_RUNS, active_campaigns, run_source

JOB_PREFIX = "collect-"
# After a stop, how long running jobs get to record their runs themselves. Waits end at once;
# what can outlast this is a request in flight in a job's thread (its read timeout is longer).
STOP_GRACE_SECONDS = 3.0
# The plan's clock: scheduled work goes live and finishes in the store within this many seconds
# of its window opening or closing (lists show the status now whatever is stored).
PLAN_JOB = "plan-advance"
PLAN_INTERVAL = 300
# Retention: once a day, what is past its campaigns' retention_days loses its text, author and
# link (the roll-ups stay); `groundswell purge` does the same at once and also rewrites the file.
PURGE_JOB = "retention-purge"
PURGE_INTERVAL = 24 * 3600


def job_id(source: str) -> str:
    return JOB_PREFIX + source


def run_job(source: str, db_path: str) -> None:
    """One scheduled run of a source over every listening campaign (called by APScheduler by name)."""
    settings = Settings.from_env(db_path)
    with Store.open(db_path) as store:
        if source == "refresh":
            from collectors.refresh import refresh_recent

            for line in refresh_recent(store, settings, should_stop=STOP.is_set):
                _log(line)
            return
        collector = make_collector(source, settings, store)
        for campaign in active_campaigns(store, source):
            if STOP.is_set():
                return
            result = run_source(store, settings, source, campaign, collector=collector, should_stop=STOP.is_set)
            if result.skipped:
                _log(f"{source}: skipped, set {result.skipped}")
                return
            _log(f"{source} {campaign.slug}: {result.status}, fetched {result.fetched}, new {result.new}, "
                 f"updated {result.updated}" + (f"; {'; '.join(result.errors)}" if result.errors else ""))
            alerting.after_run(store, settings, campaign)


def advance_plan(db_path: str) -> None:
    """Store the status the clock gives each call to action and event (called by APScheduler by name)."""
    with Store.open(db_path) as store:
        moved = store.plan.advance()
    if moved:
        _log(f"plan: {moved} call(s) to action or event(s) moved with the clock")


def purge_retention(db_path: str) -> None:
    """The daily retention purge (called by APScheduler by name); free pages go back incrementally."""
    with Store.open(db_path) as store:
        result = store.purge(who="scheduler", vacuum=False)
    if result.mentions:
        _log(f"retention: removed the text, author and link of {result.mentions} mention(s)")


def _log(line: str) -> None:
    print(f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} {line}", flush=True)


def jobstore(settings: Settings):
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    return SQLAlchemyJobStore(url=f"sqlite:///{Path(settings.jobs_file).resolve()}")


def planned_sources(settings: Settings, store: Store) -> tuple[list[str], dict[str, str]]:
    """Sources that can run, and those skipped with the variable they lack."""
    runnable, skipped = [], {}
    for source in NAMES:
        missing = make_collector(source, settings, store).missing()
        if missing:
            skipped[source] = missing
        else:
            runnable.append(source)
    return runnable, skipped


def build(settings: Settings, store: Store, scheduler_class=None):
    """A scheduler with one job per runnable source and one for the plan's clock (stable ids, so
    restarts never duplicate)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler_class = scheduler_class or BlockingScheduler
    scheduler = scheduler_class(jobstores={"default": jobstore(settings)}, timezone=UTC,
                                job_defaults={"coalesce": True, "max_instances": 1})
    runnable, skipped = planned_sources(settings, store)
    db_path = str(Path(settings.db_path).resolve())
    now = datetime.now(UTC)
    for source in [*runnable, "refresh"]:
        seconds = interval(source, settings)
        scheduler.add_job(
            "collectors.scheduler:run_job", "interval", seconds=seconds, id=job_id(source),
            name=f"collect {source}", args=[source, db_path], replace_existing=True, coalesce=True,
            max_instances=1, misfire_grace_time=max(30, seconds // 2), next_run_time=now,
        )
    scheduler.add_job(
        "collectors.scheduler:advance_plan", "interval", seconds=PLAN_INTERVAL, id=PLAN_JOB, name="plan clock",
        args=[db_path], replace_existing=True, coalesce=True, max_instances=1,
        misfire_grace_time=PLAN_INTERVAL // 2, next_run_time=now,
    )
    scheduler.add_job(
        "collectors.scheduler:purge_retention", "interval", seconds=PURGE_INTERVAL, id=PURGE_JOB,
        name="retention purge", args=[db_path], replace_existing=True, coalesce=True, max_instances=1,
        misfire_grace_time=PURGE_INTERVAL // 2, next_run_time=now,
    )
    # Reports are drafted when an action's after-window closes, whatever sources can run.
    scheduler.add_job(
        "collectors.report_job:run_job", "interval", seconds=report_job.INTERVAL_SECONDS, id=report_job.JOB_ID,
        name="draft reports", args=[db_path], replace_existing=True, coalesce=True, max_instances=1,
        misfire_grace_time=report_job.INTERVAL_SECONDS // 2, next_run_time=now,
    )
    alerting.add_jobs(scheduler, settings, db_path, now)
    return scheduler, runnable, skipped


def serve(settings: Settings, echo: Callable[[str], None] = print) -> None:
    """Run until SIGTERM or Ctrl-C; the job running then stops after the page it is storing."""
    with Store.open(settings.db_path) as store:
        scheduler, runnable, skipped = build(settings, store)
    for source, variable in skipped.items():
        echo(f"{source}: skipped, set {variable}")
        # A job left from an earlier start with credentials that are now gone.
    for stale in (job_id(s) for s in skipped):
        try:
            scheduler.remove_job(stale)
        except Exception:  # noqa: BLE001 - not scheduled before is the usual case
            pass
    echo(f"scheduler: {', '.join(runnable) or 'no sources'} ; job store {settings.jobs_file}; "
         "Ctrl-C or SIGTERM stops it")

    def stop(signum, frame):
        request_stop()
        scheduler.shutdown(wait=False)

    STOP.clear()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.start()
    if not _runs_finished(STOP_GRACE_SECONDS):
        stopped = record_unfinished_runs()
        echo(f"scheduler stopped; {stopped} run(s) with a request in flight recorded as stopped, "
             "their stored pages kept")
        sys.stdout.flush()
        sys.stderr.flush()
        # The job threads are blocked in a request until its timeout; the interpreter would wait
        # for them at exit. Their runs are recorded and every stored page is committed.
        os._exit(0)
    echo("scheduler stopped; every run under way recorded where it stopped")
    sys.stdout.flush()


def _runs_finished(grace: float) -> bool:
    deadline = time.monotonic() + grace
    while ACTIVE_RUNS and time.monotonic() < deadline:
        time.sleep(0.05)
    return not ACTIVE_RUNS


def record_unfinished_runs() -> int:
    """Record the runs still under way in this process as stopped, with what they did so far."""
    count = 0
    for run_id, (db_path, result) in list(ACTIVE_RUNS.items()):
        with Store.open(db_path, migrate=False) as store:
            store.finish_run(run_id, status="stopped", fetched=result.fetched, new=result.new,
                             updated=result.updated, quarantined=result.quarantined,
                             error="stopped by a signal during a request; the pages stored before it are kept")
        ACTIVE_RUNS.pop(run_id, None)
        count += 1
    return count


def next_runs(settings: Settings) -> dict[str, str]:
    """When each source runs next, read from the scheduler's job store (empty if never started)."""
    if not Path(settings.jobs_file).exists():
        return {}
    try:
        jobs = jobstore(settings).get_all_jobs()
    except Exception:  # noqa: BLE001 - a job store from another version is not worth failing status for
        return {}
    return {
        job.id[len(JOB_PREFIX):]: job.next_run_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for job in jobs if job.id.startswith(JOB_PREFIX) and job.next_run_time
    }
