"""`groundswell collect` end to end: Mastodon.py over real HTTP to a local instance serving recordings."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from mastodon_server import mastodon_api

from campaigns.model import Campaign, Tracker
from campaigns.store import Store
from groundswell.cli import cli

CREDENTIAL_VARIABLES = ("GROUNDSWELL_X_BEARER_TOKEN", "GROUNDSWELL_REDDIT_CLIENT_ID", "GROUNDSWELL_REDDIT_CLIENT_SECRET",
                        "GROUNDSWELL_REDDIT_USER_AGENT", "GROUNDSWELL_BLUESKY_HANDLE", "GROUNDSWELL_BLUESKY_APP_PASSWORD")


@pytest.fixture
def campaign_db(db_path):
    with Store.open(db_path) as store:
        store.save_campaign(Campaign(slug="climate", name="Climate", starts_at="2026-11-01",
                                     trackers=[Tracker("hashtag", "ClimateStrike", "ours")]))
    return db_path


def env_for(db_path, instance_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARIABLES}
    env.update(GROUNDSWELL_DB=str(db_path), GROUNDSWELL_MASTODON_INSTANCES=instance_url,
               GROUNDSWELL_PSEUDONYM_KEY_FILE=str(tmp_path / "key"), GROUNDSWELL_DETECT_LANGUAGE="0")
    return env


def test_collect_as_a_process_stores_the_timeline_and_prints_the_table(campaign_db, tmp_path):
    api, _ = mastodon_api()
    with api:
        done = subprocess.run([sys.executable, "-m", "groundswell", "collect"], cwd=tmp_path,
                              env=env_for(campaign_db, api.url, tmp_path), capture_output=True, text=True,
                              timeout=120)
    assert done.returncode == 0, done.stderr
    assert "x: skipped, set GROUNDSWELL_X_BEARER_TOKEN" in done.stdout
    assert "reddit: skipped, set GROUNDSWELL_REDDIT_CLIENT_ID" in done.stdout
    assert "bluesky: skipped, set GROUNDSWELL_BLUESKY_HANDLE" in done.stdout
    table = [line.split() for line in done.stdout.splitlines() if line.startswith("mastodon ")]
    assert table == [["mastodon", "86", "85", "1", "0", "ok"]]
    assert "collecting" in done.stderr  # the progress bar
    with Store.open(campaign_db) as store:
        assert store.count("mentions") == 85
        assert store.db.conn.execute("SELECT sum(mentions) FROM hourly").fetchone()[0] == 85


def test_collect_again_updates_and_duplicates_nothing_then_status_reports_it(campaign_db, tmp_path, monkeypatch):
    api, _ = mastodon_api()
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    with api:
        monkeypatch.setenv("GROUNDSWELL_MASTODON_INSTANCES", api.url)
        first = runner.invoke(cli, ["collect", "--source", "mastodon", "--campaign", "climate"])
        second = runner.invoke(cli, ["collect", "--source", "mastodon"])
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert [line.split() for line in second.output.splitlines() if line.startswith("mastodon ")] == [
        ["mastodon", "0", "0", "0", "0", "ok"]]
    status = runner.invoke(cli, ["status"])
    assert status.exit_code == 0
    row = next(line for line in status.output.splitlines() if line.startswith("mastodon "))
    assert " ok " in row and "85" in row and "not scheduled" in row
    x_row = next(line for line in status.output.splitlines() if line.startswith("x "))
    assert "not configured" in x_row and "budget 0/10,000" in x_row
    assert "x needs GROUNDSWELL_X_BEARER_TOKEN" in status.output.splitlines()


def test_collect_without_campaigns_is_one_line(store):
    result = CliRunner().invoke(cli, ["collect"])
    assert result.exit_code == 1
    assert "no active campaigns" in result.output


def test_collect_unknown_campaign_is_one_line(campaign_db):
    result = CliRunner().invoke(cli, ["collect", "--campaign", "nope"])
    assert result.exit_code == 1 and "unknown campaign 'nope'" in result.output


def test_a_collect_killed_mid_run_keeps_its_pages_and_the_rerun_adds_only_the_rest(campaign_db, tmp_path):
    import signal
    import threading
    import time

    from mastodon_server import TAG_PATH, recorded_statuses

    api, timeline = mastodon_api()
    release = threading.Event()
    third_page = recorded_statuses()[79]["id"]

    def hangs_on_the_third_page(request):
        if request["query"].get("max_id") == third_page:
            release.wait(30)
        return timeline(request)

    api.route("GET", TAG_PATH, hangs_on_the_third_page)
    with api:
        process = subprocess.Popen([sys.executable, "-m", "groundswell", "collect", "--source", "mastodon"],
                                   cwd=tmp_path, env=env_for(campaign_db, api.url, tmp_path),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while not any(r["query"].get("max_id") == third_page for r in api.requests):
                assert time.monotonic() < deadline and process.poll() is None, process.communicate()
                time.sleep(0.1)
            # Page two was committed before page three was asked for: kill it while it waits.
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=30)
        finally:
            release.set()
        with Store.open(campaign_db) as store:
            assert store.count("mentions") == 81  # two pages of 40 + a reblogged original
            assert store.db.conn.execute("SELECT status FROM collection_runs").fetchall() == [("running",)]
        api.route("GET", TAG_PATH, timeline)
        again = subprocess.run([sys.executable, "-m", "groundswell", "collect", "--source", "mastodon"],
                               cwd=tmp_path, env=env_for(campaign_db, api.url, tmp_path), capture_output=True,
                               text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    with Store.open(campaign_db) as store:
        assert store.count("mentions") == 85
        assert store.db.conn.execute("SELECT sum(mentions) FROM hourly").fetchone()[0] == 85
        runs = store.db.conn.execute("SELECT status, new, error FROM collection_runs ORDER BY id").fetchall()
    assert runs[0][0] == "error" and runs[0][2].startswith("interrupted")
    assert runs[1][:2] == ("ok", 4)
