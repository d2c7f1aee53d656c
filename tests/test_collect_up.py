"""`groundswell up`: the scheduler and the dashboard start together and stop together."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from mastodon_server import mastodon_api
from test_collect_cli import CREDENTIAL_VARIABLES
from test_scheduler import query, wait_for

from campaigns.model import Campaign, Tracker
from campaigns.store import Store


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
            return answer.read() == b"ok"
    except OSError:
        return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie has exited
        return stat.read().split()[2] != "Z"


def test_up_runs_collection_and_dashboard_and_sigterm_stops_both(db_path, tmp_path):
    with Store.open(db_path) as store:
        store.save_campaign(Campaign(slug="climate", name="Climate", starts_at="2026-11-01",
                                     trackers=[Tracker("hashtag", "ClimateStrike", "ours")]))
    port = free_port()
    api, _ = mastodon_api()
    with api:
        env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARIABLES}
        env.update(GROUNDSWELL_DB=str(db_path), GROUNDSWELL_JOBS_DB=str(tmp_path / "jobs.sqlite"),
                   GROUNDSWELL_MASTODON_INSTANCES=api.url, GROUNDSWELL_PSEUDONYM_KEY_FILE=str(tmp_path / "key"),
                   GROUNDSWELL_DETECT_LANGUAGE="0")
        process = subprocess.Popen([sys.executable, "-m", "groundswell", "up", "--no-browser", "--port", str(port)],
                                   env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            first_line = process.stdout.readline()
            scheduler_pid = int(re.search(r"process (\d+)", first_line)[1])
            wait_for(lambda: healthy(port), timeout=90, process=process)
            wait_for(lambda: query(db_path, "SELECT count(*) FROM mentions")[0][0] == 85, process=process)
        finally:
            process.send_signal(signal.SIGTERM)
            out, _ = process.communicate(timeout=60)
    assert process.returncode == 0, out
    assert "scheduler stopped" in out
    deadline = time.monotonic() + 10
    while alive(scheduler_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(scheduler_pid)
    assert not healthy(port)
