"""A stop is prompt: SIGTERM or Ctrl-C to real processes during each kind of wait, against loopback servers."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from mastodon_server import TAG_PATH, mastodon_api
from test_collect_cli import CREDENTIAL_VARIABLES
from test_collect_up import alive, free_port, healthy
from test_faults import refused_url
from test_scheduler import query, scheduler_env, wait_for  # noqa: F401 - scheduler_env is a fixture

# Seconds from SIGTERM to exit the issue asks for (Docker gives 10).
STOP_WITHIN = 5.0


def start(command: str, env: dict, cwd, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "groundswell", command, *extra], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def waiting_reason(db_path) -> str | None:
    rows = query(db_path, "SELECT waiting_reason FROM source_state WHERE collector = 'mastodon'")
    return rows[0][0] if rows else None


def stop_and_time(process: subprocess.Popen, signum=signal.SIGTERM) -> tuple[float, str, str]:
    """Send `signum`; the seconds until the process exited, and what it printed."""
    sent = time.monotonic()
    process.send_signal(signum)
    try:
        out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"still running 60 s after the signal: {out} {err}") from None
    return time.monotonic() - sent, out, err


def runs(db_path) -> list[tuple]:
    return query(db_path, "SELECT status, new, error FROM collection_runs WHERE collector = 'mastodon' ORDER BY id")


def rate_limit_reset(seconds: int) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.mark.parametrize("fault", ["connection refused", "500 storm", "429 with a 5-minute reset"])
def test_sigterm_during_a_wait_stops_the_scheduler_within_seconds(scheduler_env, db_path, tmp_path, fault):  # noqa: F811
    api, timeline = mastodon_api()
    if fault == "500 storm":
        api.route("GET", TAG_PATH, (500, {}, {"error": "Internal server error"}))
    elif fault == "429 with a 5-minute reset":
        api.route("GET", TAG_PATH, timeline, (429, {"X-RateLimit-Reset": rate_limit_reset(300)},
                                              {"error": "Too many requests"}))
    with api:
        scheduler_env["GROUNDSWELL_MASTODON_INSTANCES"] = refused_url() if fault == "connection refused" else api.url
        process = start("schedule", scheduler_env, tmp_path)
        try:
            wait_for(lambda: waiting_reason(db_path), process=process)
        finally:
            seconds, out, err = stop_and_time(process)
    assert process.returncode == 0, err
    assert seconds < STOP_WITHIN, f"{fault}: {seconds:.1f} s to stop"
    assert "scheduler stopped" in out
    [(status, new, error)] = runs(db_path)
    assert status == "stopped" and "stopped" in error
    assert query(db_path, "SELECT count(*) FROM collection_runs WHERE status = 'running'") == [(0,)]
    if fault == "429 with a 5-minute reset":
        # The first page was stored with the cursor that resumes after it.
        assert new == 41 and query(db_path, "SELECT count(*) FROM mentions") == [(41,)]
        [(cursor,)] = query(db_path, "SELECT cursor FROM cursors WHERE collector = 'mastodon'")
        assert '"next"' in cursor


def test_a_scheduler_stopped_during_a_rate_limit_wait_resumes_and_loses_and_duplicates_nothing(
        scheduler_env, db_path, tmp_path):  # noqa: F811
    api, timeline = mastodon_api()
    api.route("GET", TAG_PATH, timeline, (429, {"Retry-After": "300"}, {"error": "Too many requests"}))
    with api:
        scheduler_env["GROUNDSWELL_MASTODON_INSTANCES"] = api.url
        process = start("schedule", scheduler_env, tmp_path)
        try:
            wait_for(lambda: waiting_reason(db_path), process=process)
            assert "Retry-After: 300" in waiting_reason(db_path)
        finally:
            seconds, _, _ = stop_and_time(process)
        assert seconds < STOP_WITHIN
        api.route("GET", TAG_PATH, timeline)
        process = start("schedule", scheduler_env, tmp_path)
        try:
            wait_for(lambda: query(db_path, "SELECT count(*) FROM collection_runs WHERE collector = 'mastodon' AND status = 'ok'")[0][0] >= 1,
                     process=process)
        finally:
            stop_and_time(process)
    assert query(db_path, "SELECT count(*), count(DISTINCT uid) FROM mentions") == [(85, 85)]
    assert query(db_path, "SELECT sum(mentions) FROM hourly") == [(85,)]
    assert [r[:2] for r in runs(db_path)][:2] == [("stopped", 41), ("ok", 44)]


def test_sigterm_during_a_slow_response_stops_the_scheduler_within_seconds(scheduler_env, db_path, tmp_path):  # noqa: F811
    api, timeline = mastodon_api()
    release = threading.Event()

    def slow(request):
        release.wait(60)  # a server that takes its time to answer
        return timeline(request)

    api.route("GET", TAG_PATH, slow)
    with api:
        scheduler_env["GROUNDSWELL_MASTODON_INSTANCES"] = api.url
        process = start("schedule", scheduler_env, tmp_path)
        try:
            wait_for(lambda: api.hits(TAG_PATH), process=process)
            time.sleep(0.5)
        finally:
            seconds, out, err = stop_and_time(process)
            release.set()
    assert process.returncode == 0, err
    assert seconds < STOP_WITHIN, f"{seconds:.1f} s to stop"
    assert "recorded as stopped" in out
    [(status, new, error)] = runs(db_path)
    assert status == "stopped" and "during a request" in error


def test_ctrl_c_stops_collect_during_a_rate_limit_wait_and_it_exits_non_zero(scheduler_env, db_path, tmp_path):  # noqa: F811
    api, timeline = mastodon_api()
    api.route("GET", TAG_PATH, (429, {"Retry-After": "300"}, {"error": "Too many requests"}))
    with api:
        scheduler_env["GROUNDSWELL_MASTODON_INSTANCES"] = api.url
        process = start("collect", scheduler_env, tmp_path, "--source", "mastodon")
        try:
            wait_for(lambda: waiting_reason(db_path), process=process)
        finally:
            seconds, out, err = stop_and_time(process, signal.SIGINT)
    assert seconds < STOP_WITHIN
    assert process.returncode == 1
    assert "stopped before the pass finished" in err and "Traceback" not in err
    assert [r[0] for r in runs(db_path)] == ["stopped"]


def test_sigterm_stops_collect_during_a_slow_response(scheduler_env, db_path, tmp_path):  # noqa: F811
    api, timeline = mastodon_api()
    release = threading.Event()

    def slow(request):
        release.wait(60)
        return timeline(request)

    api.route("GET", TAG_PATH, slow)
    with api:
        scheduler_env["GROUNDSWELL_MASTODON_INSTANCES"] = api.url
        process = start("collect", scheduler_env, tmp_path, "--source", "mastodon")
        try:
            wait_for(lambda: api.hits(TAG_PATH), process=process)
            time.sleep(0.5)
        finally:
            seconds, out, err = stop_and_time(process)
            release.set()
    assert seconds < STOP_WITHIN and process.returncode == 1, err
    assert [r[0] for r in runs(db_path)] == ["stopped"]


def test_up_stops_its_scheduler_cleanly_while_it_waits(scheduler_env, db_path, tmp_path):  # noqa: F811
    api, timeline = mastodon_api()
    api.route("GET", TAG_PATH, (429, {"Retry-After": "300"}, {"error": "Too many requests"}))
    port = free_port()
    env = {k: v for k, v in scheduler_env.items() if k not in CREDENTIAL_VARIABLES}
    with api:
        env["GROUNDSWELL_MASTODON_INSTANCES"] = api.url
        process = subprocess.Popen([sys.executable, "-m", "groundswell", "up", "--no-browser", "--port", str(port)],
                                   env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            scheduler_pid = int(re.search(r"process (\d+)", process.stdout.readline())[1])
            wait_for(lambda: healthy(port) and waiting_reason(db_path), timeout=90, process=process)
        finally:
            seconds, out, _ = stop_and_time(process)
    assert process.returncode == 0, out
    assert "scheduler stopped" in out and "killed" not in out
    assert not alive(scheduler_pid)
    assert [r[0] for r in runs(db_path)] == ["stopped"]
    assert seconds < 15, f"{seconds:.1f} s for the dashboard and the scheduler to stop"


def test_the_scheduler_process_group_exits_on_ctrl_c(scheduler_env, db_path, tmp_path):  # noqa: F811
    # Ctrl-C in a terminal signals the whole process group.
    api, _ = mastodon_api()
    api.route("GET", TAG_PATH, (500, {}, {"error": "down"}))
    with api:
        scheduler_env["GROUNDSWELL_MASTODON_INSTANCES"] = api.url
        process = subprocess.Popen([sys.executable, "-m", "groundswell", "schedule"], env=scheduler_env, cwd=tmp_path,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            wait_for(lambda: waiting_reason(db_path), process=process)
        finally:
            sent = time.monotonic()
            os.killpg(process.pid, signal.SIGINT)
            process.communicate(timeout=60)
    assert time.monotonic() - sent < STOP_WITHIN and process.returncode == 0
    assert [r[0] for r in runs(db_path)] == ["stopped"]
