"""Credentials never leave the environment: failed runs against refusing and unreachable servers keep them out of everything."""

from __future__ import annotations

import base64
import json
import logging
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from click.testing import CliRunner

from campaigns.model import Campaign, Tracker
from campaigns.settings import Settings
from campaigns.store import Store
from collectors import scheduler
from collectors.runner import run_source
from collectors.x import XCollector
from groundswell.cli import cli

# Every variable that holds a secret (campaigns/settings.py, dashboard/auth.py), each given a
# value found nowhere else, so finding it anywhere is a leak.
SECRET_VARIABLES = ("GROUNDSWELL_X_BEARER_TOKEN", "GROUNDSWELL_REDDIT_CLIENT_ID", "GROUNDSWELL_REDDIT_CLIENT_SECRET",
                    "GROUNDSWELL_BLUESKY_APP_PASSWORD", "GROUNDSWELL_MASTODON_ACCESS_TOKEN",
                    "GROUNDSWELL_PSEUDONYM_KEY", "GROUNDSWELL_DASHBOARD_PASSWORD")
SOURCES = ("x", "reddit", "bluesky", "mastodon")


class Refusing:
    """A server on 127.0.0.1 that answers 401 to every request, as an API does to bad
    credentials, and keeps what each request carried (to show the secrets were sent)."""

    def __init__(self):
        self.seen: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _refuse(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
                server.seen.append(f"{self.path}\n{self.headers}\n{body}")
                payload = json.dumps({"error": "AuthenticationRequired", "message": "Invalid identifier or password",
                                      "errors": [{"message": "Unauthorized"}]}).encode()
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _refuse

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def carried(self) -> str:
        """Everything the requests carried, with HTTP basic credentials decoded."""
        text = "\n".join(self.seen)
        for token in [w for line in text.splitlines() if line.startswith("Authorization: Basic")
                      for w in line.split()[2:]]:
            text += "\n" + base64.b64decode(token).decode()
        return text


def closed_port() -> str:
    """The address of a loopback port nothing listens on: an unreachable server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


class LoopbackSession(requests.Session):
    """tweepy's session with X's fixed host sent to a local server instead."""

    def __init__(self, base: str):
        super().__init__()
        self.base = base

    def request(self, method, url, *args, **kwargs):
        return super().request(method, url.replace("https://api.twitter.com", self.base), *args, **kwargs)


def x_collector(settings: Settings, store: Store, base: str) -> XCollector:
    import tweepy

    client = tweepy.Client(bearer_token=settings.x_bearer_token, return_type=dict, wait_on_rate_limit=False)
    client.session = LoopbackSession(base)
    return XCollector(settings, store, client=client)


@pytest.fixture
def secrets(db_path, tmp_path, monkeypatch) -> dict[str, str]:
    values = {name: f"{name.lower()}-{uuid.uuid4().hex}" for name in SECRET_VARIABLES}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GROUNDSWELL_PSEUDONYMIZE", "1")
    monkeypatch.setenv("GROUNDSWELL_REDDIT_USER_AGENT", "groundswell tests")
    monkeypatch.setenv("GROUNDSWELL_BLUESKY_HANDLE", "organiser.bsky.social")
    monkeypatch.setenv("GROUNDSWELL_JOBS_DB", str(tmp_path / "jobs.sqlite"))
    monkeypatch.setenv("GROUNDSWELL_DETECT_LANGUAGE", "0")
    monkeypatch.setenv("PRAW_ALLOW_ENDPOINT_OVERRIDE", "1")
    # Backoff between retries, instantly: ours (a wait a stop can end) and the clients' own sleeps.
    monkeypatch.setattr("collectors.base.pause", lambda seconds: None)
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    with Store.open(db_path) as store:
        store.save_campaign(Campaign(slug="climate", name="Climate", starts_at="2026-11-01", trackers=[
            Tracker("hashtag", "ClimateStrike", "ours"), Tracker("keyword", "climate justice", "ours")]))
    return values


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Only 127.0.0.1 resolves: whatever goes wrong, nothing here reaches the network."""
    resolve = socket.getaddrinfo

    def loopback(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost"):
            raise socket.gaierror(socket.EAI_NONAME, f"{host}: only loopback in this test")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback)


def point_sources_at(base: str, folder, monkeypatch) -> None:
    import praw.config

    monkeypatch.setenv("GROUNDSWELL_MASTODON_INSTANCES", base)
    monkeypatch.setenv("GROUNDSWELL_BLUESKY_SERVICE", base)
    # praw takes its endpoints from a praw.ini in the working directory, read once per process.
    (folder / "praw.ini").write_text(f"[DEFAULT]\noauth_url = {base}\nreddit_url = {base}\n")
    monkeypatch.chdir(folder)
    monkeypatch.setattr(praw.config.Config, "CONFIG", None)


def fail_every_source(db_path, base: str) -> str:
    """One failed run of each source the way the scheduler runs it (its job), and one the way
    `groundswell collect` does; X through its client sent to `base`. What they printed."""
    printed = []
    for source in ("reddit", "bluesky", "mastodon"):
        scheduler.run_job(source, str(db_path))
    result = CliRunner().invoke(cli, ["collect", "--source", "mastodon"])
    printed.append(result.output)
    settings = Settings.from_env(db_path)
    with Store.open(db_path) as store:
        run = run_source(store, settings, "x", store.campaign("climate"), collector=x_collector(settings, store, base))
        printed.append("; ".join(run.errors))
    return "\n".join(printed)


def leaks(secrets: dict[str, str], folder, *texts: str) -> dict[str, list[str]]:
    """Where each secret was found: the database, its WAL, the job store, or the texts."""
    places = {path.name: path.read_bytes().decode("latin-1") for path in sorted(folder.iterdir())
              if path.is_file() and path.name.startswith(("groundswell.db", "jobs.sqlite"))}
    places.update({f"text {n}": text for n, text in enumerate(texts)})
    return {name: [place for place, content in places.items() if value in content]
            for name, value in secrets.items() if any(value in content for content in places.values())}


def test_no_secret_is_kept_after_runs_refused_with_401_or_unable_to_connect(
        secrets, db_path, tmp_path, monkeypatch, capfd, caplog):
    caplog.set_level(logging.DEBUG)
    with Refusing() as refusing:
        point_sources_at(refusing.url, tmp_path, monkeypatch)
        refused = fail_every_source(db_path, refusing.url)
        carried = refusing.carried()
    for name in ("GROUNDSWELL_X_BEARER_TOKEN", "GROUNDSWELL_REDDIT_CLIENT_ID", "GROUNDSWELL_REDDIT_CLIENT_SECRET",
                 "GROUNDSWELL_BLUESKY_APP_PASSWORD", "GROUNDSWELL_MASTODON_ACCESS_TOKEN"):
        assert secrets[name] in carried, f"{name} was never sent, so this test would prove nothing"
    unreachable = closed_port()
    point_sources_at(unreachable, tmp_path, monkeypatch)
    cut_off = fail_every_source(db_path, unreachable)
    with Store.open(db_path) as store:
        scheduler_, _, _ = scheduler.build(Settings.from_env(db_path), store, scheduler_class=_background())
        scheduler_.start(paused=True)  # the job store, with every job's arguments
        for job in scheduler_.get_jobs():
            job.pause()
        scheduler_.shutdown()
        runs = store.db.conn.execute("SELECT collector, status, error FROM collection_runs ORDER BY id").fetchall()
        notes = json.dumps(store.source_states())
    statuses = {(collector, status) for collector, status, _ in runs}
    assert {(source, "error") for source in SOURCES} <= statuses, runs
    errors = "\n".join(error or "" for _, _, error in runs)
    assert "refused" in errors and "gave up after" in errors  # both kinds of failure were recorded
    out, err = capfd.readouterr()
    assert leaks(secrets, tmp_path, refused, cut_off, errors, notes, out, err, caplog.text) == {}


def _background():
    from apscheduler.schedulers.background import BackgroundScheduler

    return BackgroundScheduler
