"""The scheduler's alert jobs: stable ids beside the sources', and the outbox delivering pile-ons the safety desk wrote."""

from __future__ import annotations

import sqlite3

import pytest
from alert_data import NOW, campaign
from alert_servers import Hook

from campaigns.alert_settings import Destination
from campaigns.settings import Settings
from campaigns.store import Store
from collectors import alerting
from collectors.scheduler import build


def test_the_scheduler_holds_the_alert_jobs_with_stable_ids(store, db_path, tmp_path, monkeypatch):
    from apscheduler.schedulers.background import BackgroundScheduler

    monkeypatch.setenv("GROUNDSWELL_JOBS_DB", str(tmp_path / "jobs.sqlite"))
    monkeypatch.setenv("GROUNDSWELL_DELIVER_INTERVAL", "30")
    settings = Settings.from_env(db_path)
    scheduler, _, _ = build(settings, store, BackgroundScheduler)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert {"alerts-check", "alerts-deliver"} <= set(jobs)
    assert jobs["alerts-deliver"].trigger.interval.total_seconds() == 30
    assert jobs["alerts-check"].trigger.interval.total_seconds() == alerting.CHECK_INTERVAL
    assert jobs["alerts-check"].func_ref == "collectors.alerting:check_job"


def test_the_deliver_job_sends_a_pile_on_the_safety_desk_wrote_once(store, db_path, monkeypatch, capsys):
    monkeypatch.setenv("GROUNDSWELL_NOW", NOW.isoformat())
    c = campaign(store)
    with Hook() as hook:
        store.alerts.add_destination(c.id, Destination(name="safety-team", url=hook.url, kinds=("pile_on",)))
        # Written the way 0001's table allows, without an episode key, by another part of the house.
        with sqlite3.connect(db_path) as conn:
            conn.execute("INSERT INTO alerts (campaign_id, kind, at, detail) VALUES (?, 'pile_on', ?, ?)",
                         [c.id, "2026-06-15T12:20:00Z", '{"account": "@cllr_amina_khan", "authors": 9}'])
        with pytest.raises(sqlite3.IntegrityError), sqlite3.connect(db_path) as conn:
            conn.execute("INSERT INTO alerts (campaign_id, kind, at, detail) VALUES (?, 'pile_on', ?, 'again')",
                         [c.id, "2026-06-15T12:20:00Z"])
        alerting.deliver_job(str(db_path))
        alerting.deliver_job(str(db_path))
        assert len(hook.received) == 1
        assert "Pile-on on @cllr_amina_khan, 9 authors" in hook.received[0]["message"]
        assert "/safety?campaign=libraries" in hook.received[0]["message"]
    assert "outbox: libraries -> safety-team: 1 message(s) sent" in capsys.readouterr().out


def test_the_check_job_tells_of_a_source_that_failed_three_times(store, db_path, monkeypatch, capsys):
    from datetime import timedelta

    from campaigns import clock

    c = campaign(store)
    for minutes in (45, 30, 15):
        with clock.pinned(NOW - timedelta(minutes=minutes)):
            store.finish_run(store.start_run("mastodon", c.id), status="error", error="HTTP 502 from the instance")
    monkeypatch.setenv("GROUNDSWELL_NOW", NOW.isoformat())
    alerting.check_job(str(db_path))
    alerting.check_job(str(db_path))
    with Store.open(db_path) as fresh:
        found = fresh.alerts.list(c.id)
    assert [(a["kind"], a["figures"]["reason"], a["figures"]["failed_runs"]) for a in found] == \
        [("source_failing", "errors", 3)]
    assert capsys.readouterr().out.count("source_failing") == 1
