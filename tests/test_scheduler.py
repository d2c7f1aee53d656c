"""`groundswell schedule` as a real process against a local Mastodon instance: runs, SIGTERM, restart."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from fake_api import fixture_json
from mastodon_server import mastodon_api
from test_collect_cli import CREDENTIAL_VARIABLES

from campaigns.model import Campaign, Tracker
from campaigns.store import Store
from groundswell.cli import cli


def wait_for(condition, timeout=60.0, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and process.poll() is not None:
            raise AssertionError(f"scheduler exited early: {process.communicate()}")
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def query(db_path, sql):
    with sqlite3.connect(db_path, timeout=30) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def scheduler_env(db_path, tmp_path):
    with Store.open(db_path) as store:
        store.save_campaign(Campaign(slug="climate", name="Climate", starts_at="2026-11-01",
                                     trackers=[Tracker("hashtag", "ClimateStrike", "ours")]))
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARIABLES}
    env.update(GROUNDSWELL_DB=str(db_path), GROUNDSWELL_JOBS_DB=str(tmp_path / "jobs.sqlite"),
               GROUNDSWELL_MASTODON_INTERVAL="1", GROUNDSWELL_RSS_INTERVAL="3600",
               GROUNDSWELL_REFRESH_INTERVAL="3600",
               GROUNDSWELL_PSEUDONYM_KEY_FILE=str(tmp_path / "key"), GROUNDSWELL_DETECT_LANGUAGE="0")
    return env


def start(env, cwd):
    # Under libfaketime (CI's second pass, the clock 400 days ahead) a faked monotonic clock makes
    # every timed wait on a thread lock hang, APScheduler's among them; the date stays faked.
    env = {**env, "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
    return subprocess.Popen([sys.executable, "-m", "groundswell", "schedule"], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop(process):
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    return out


def test_scheduler_runs_stops_on_sigterm_and_resumes_without_duplicates(scheduler_env, db_path, tmp_path,
                                                                         monkeypatch):
    api, timeline = mastodon_api()
    with api:
        scheduler_env["GROUNDSWELL_MASTODON_INSTANCES"] = api.url
        process = start(scheduler_env, tmp_path)
        try:
            wait_for(lambda: query(db_path, "SELECT count(*) FROM collection_runs WHERE collector = 'mastodon' "
                                            "AND status = 'ok'")[0][0] >= 2, process=process)
        finally:
            out = stop(process)
        assert "x: skipped, set GROUNDSWELL_X_BEARER_TOKEN" in out
        assert "mastodon climate: ok, fetched 86, new 85" in out
        assert "scheduler stopped" in out
        assert query(db_path, "SELECT count(*) FROM mentions")[0][0] == 85

        timeline.statuses = fixture_json("mastodon", "tag_newer.json") + timeline.statuses
        process = start(scheduler_env, tmp_path)
        try:
            wait_for(lambda: query(db_path, "SELECT count(*) FROM mentions")[0][0] == 87, process=process)
            jobs = query(tmp_path / "jobs.sqlite", "SELECT id FROM apscheduler_jobs ORDER BY id")
        finally:
            stop(process)
    assert jobs == [("alerts-check",), ("alerts-deliver",), ("collect-mastodon",), ("collect-refresh",),
                    ("collect-rss",), ("draft-reports",), ("plan-advance",), ("retention-purge",)]
    assert query(db_path, "SELECT count(*), count(DISTINCT uid) FROM mentions") == [(87, 87)]
    assert query(db_path, "SELECT sum(mentions) FROM hourly") == [(87,)]
    assert query(db_path, "SELECT count(*) FROM collection_runs WHERE status = 'running'") == [(0,)]

    for name, value in scheduler_env.items():
        monkeypatch.setenv(name, value)
    status = CliRunner().invoke(cli, ["status"])
    row = next(line for line in status.output.splitlines() if line.startswith("mastodon "))
    assert "not scheduled" not in row and " ok " in row
