"""Measure collection under faults, as issue 11 did: seconds to stop, rate-limit waits, failed passes, kills, bad input.

Usage (from the repository root):

    python scripts/fault_figures.py              # every measurement, about 10 minutes on 2 cores
    python scripts/fault_figures.py --kills 40 --tries 3 --only stop,kills

Runs real `groundswell` processes against loopback servers speaking Mastodon's API (the
tests' recorded timeline) and prints a Markdown table of each figure with how it was taken.
Nothing reaches the network; every database is a temporary file.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import re
import signal
import socket
import socketserver
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fake_api import FakeAPI, fixture_json  # noqa: E402
from mastodon_server import TAG_PATH, Timeline, mastodon_api, recorded_statuses  # noqa: E402

from campaigns.model import Campaign, Tracker  # noqa: E402
from campaigns.store import Store  # noqa: E402

# Clients killed or stopped mid-answer are what is measured: the loopback servers need not print them.
socketserver.BaseServer.handle_error = lambda self, request, client_address: None

CREDENTIALS = ("GROUNDSWELL_X_BEARER_TOKEN", "GROUNDSWELL_REDDIT_CLIENT_ID", "GROUNDSWELL_REDDIT_CLIENT_SECRET",
               "GROUNDSWELL_REDDIT_USER_AGENT", "GROUNDSWELL_BLUESKY_HANDLE", "GROUNDSWELL_BLUESKY_APP_PASSWORD")
ROWS: list[tuple[str, str, str]] = []


def report(what: str, figure: str, how: str) -> None:
    ROWS.append((what, figure, how))
    print(f"  {what}: {figure}", flush=True)


class Workspace:
    """A temporary database with one campaign, and the environment a groundswell process needs."""

    def __init__(self, tags=("ClimateStrike",)):
        self.dir = Path(tempfile.mkdtemp(prefix="faults-"))
        self.db = self.dir / "groundswell.db"
        with Store.open(self.db) as store:
            store.save_campaign(Campaign(slug="climate", name="Climate", starts_at="2026-01-01",
                                         trackers=[Tracker("hashtag", t, "ours") for t in tags]))
        self.env = {k: v for k, v in os.environ.items() if k not in CREDENTIALS}
        self.env.update(GROUNDSWELL_DB=str(self.db), GROUNDSWELL_JOBS_DB=str(self.dir / "jobs.sqlite"),
                        GROUNDSWELL_MASTODON_INTERVAL="1", GROUNDSWELL_RSS_INTERVAL="3600",
                        GROUNDSWELL_REFRESH_INTERVAL="3600", GROUNDSWELL_DETECT_LANGUAGE="0",
                        GROUNDSWELL_PSEUDONYM_KEY_FILE=str(self.dir / "key"))

    def start(self, *args: str, **kwargs) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "groundswell", *args], env=self.env, cwd=self.dir,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "groundswell", *args], env=self.env, cwd=self.dir,
                              capture_output=True, text=True, timeout=timeout)

    def query(self, sql: str) -> list[tuple]:
        with sqlite3.connect(self.db, timeout=30) as conn:
            return conn.execute(sql).fetchall()

    def waiting(self) -> bool:
        try:
            rows = self.query("SELECT waiting_reason FROM source_state WHERE collector = 'mastodon'")
        except sqlite3.OperationalError:
            return False
        return bool(rows and rows[0][0])


def wait_until(condition, process=None, timeout=120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"exited early: {process.communicate()}")
        time.sleep(0.1)
    raise RuntimeError("condition not met in time")


def seconds_to_exit(process: subprocess.Popen, signum=signal.SIGTERM, group=False) -> float:
    sent = time.monotonic()
    if group:
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    try:
        process.communicate(timeout=900)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return float("inf")
    return time.monotonic() - sent


def refused_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def reset_in(seconds: int) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


# -- 2. seconds from SIGTERM to exit, during each kind of wait --------------------------------

def measure_stops(tries: int) -> None:
    print("stop: SIGTERM to `groundswell schedule` during each kind of wait", flush=True)
    faults = {
        "connection refused (backoff)": None,
        "500 storm (backoff)": (500, {}, {"error": "Internal server error"}),
        "429 with a 5-minute reset": "reset300",
        "429 with a reset 10 minutes away": "reset600",
        "slow response (answer held 60 s)": "slow",
    }
    for label, fault in faults.items():
        times, stopped, running = [], 0, 0
        for _ in range(tries):
            space = Workspace()
            api, timeline = mastodon_api()
            release = threading.Event()
            if fault == "slow":
                api.route("GET", TAG_PATH, lambda request, release=release, timeline=timeline: (
                    release.wait(60), timeline(request))[1])
            elif isinstance(fault, str):
                seconds = int(fault.removeprefix("reset"))
                api.route("GET", TAG_PATH, (429, {"X-RateLimit-Reset": reset_in(seconds)}, {"error": "Too many"}))
            elif fault is not None:
                api.route("GET", TAG_PATH, fault)
            with api:
                space.env["GROUNDSWELL_MASTODON_INSTANCES"] = refused_url() if fault is None else api.url
                process = space.start("schedule")
                if fault == "slow":
                    wait_until(lambda api=api: api.hits(TAG_PATH), process)
                    time.sleep(0.5)
                else:
                    wait_until(space.waiting, process)
                times.append(seconds_to_exit(process))
                release.set()
            statuses = [s for (s,) in space.query("SELECT status FROM collection_runs WHERE collector = 'mastodon'")]
            stopped += statuses.count("stopped")
            running += statuses.count("running")
        report(f"SIGTERM to exit, {label}", f"{max(times):.1f} s (of {tries}: "
               f"{', '.join(f'{t:.1f}' for t in times)}); runs stopped {stopped}/{tries}, left running {running}",
               "`groundswell schedule`, signal sent once the wait is recorded in source_state")
    # `up`: the dashboard and the scheduler together, stopped during a rate-limit wait.
    space = Workspace()
    api, _ = mastodon_api()
    api.route("GET", TAG_PATH, (429, {"Retry-After": "300"}, {"error": "Too many"}))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with api:
        space.env["GROUNDSWELL_MASTODON_INSTANCES"] = api.url
        process = space.start("up", "--no-browser", "--port", str(port))
        wait_until(space.waiting, process, timeout=180)
        seconds = seconds_to_exit(process)
    statuses = [s for (s,) in space.query("SELECT status FROM collection_runs WHERE collector = 'mastodon'")]
    report("SIGTERM to exit, `groundswell up` during a 429 wait", f"{seconds:.1f} s; runs {statuses}",
           "dashboard and scheduler; `up` would kill its scheduler after 8 s")


# -- 3. rate limits read from the 429's own response -----------------------------------------

def measure_rate_limits() -> None:
    print("rate limits: how long a 429 with Retry-After: 3 waits", flush=True)
    for label, first_ok in (("on the first request", False), ("after one good page (reset 5 min away)", True)):
        space = Workspace()
        api, timeline = mastodon_api()
        later = reset_in(300)

        def good(request, timeline=timeline, later=later):
            status, headers, body = timeline(request)
            return status, {**headers, "X-RateLimit-Reset": later}, body

        responses = ([good] if first_ok else []) + [(429, {"Retry-After": "3"}, {"error": "Too many"}), timeline]
        api.route("GET", TAG_PATH, *responses)
        stamps = []
        original = api.server.RequestHandlerClass.do_GET

        def stamped(handler, original=original, stamps=stamps):
            if handler.path.startswith(TAG_PATH):
                stamps.append(time.monotonic())
            original(handler)

        api.server.RequestHandlerClass.do_GET = stamped
        with api:
            space.env["GROUNDSWELL_MASTODON_INSTANCES"] = api.url
            space.run("collect", "--source", "mastodon")
        index = 1 if first_ok else 0
        report(f"429 with Retry-After: 3, {label}", f"waited {stamps[index + 1] - stamps[index]:.1f} s",
               "time between the 429 and the next request, at the server")


# -- 4. a failed pass exits non-zero; an unreachable host fails once ---------------------------

def measure_failed_passes() -> None:
    print("failed passes: exit codes and the time an unreachable host costs", flush=True)
    cases = {
        "every request answered 401": (401, {}, {"error": "This method requires an authenticated user"}),
        "a 502 burst that gave up": (502, {}, "bad gateway"),
        "an unreachable host": None,
    }
    for label, answer in cases.items():
        space = Workspace()
        api = FakeAPI()
        if answer is not None:
            api.route("GET", TAG_PATH, answer)
        with api:
            space.env["GROUNDSWELL_MASTODON_INSTANCES"] = api.url if answer is not None else refused_url()
            done = space.run("collect")
        report(f"`collect` exit code, {label}", str(done.returncode),
               "table: " + " ".join(line.split()[-1] for line in done.stdout.splitlines() if line.startswith("mastodon ")
                                    and "error:" not in line))
    tags = ["ClimateStrike", "FridaysForFuture", "ClimateJustice", "Klimastreik", "GreveClimat"]
    space = Workspace(tags=tags)
    space.env["GROUNDSWELL_MASTODON_INSTANCES"] = refused_url()
    started = time.monotonic()
    done = space.run("collect", "--source", "mastodon")
    report("`collect`, unreachable instance, five hashtags", f"{time.monotonic() - started:.1f} s, exit "
           f"{done.returncode}", "real backoff (2+4+8+16 s) once, then the other four fail at once")


# -- 1. a bad record mid-page ----------------------------------------------------------------

def measure_bad_record() -> None:
    print("bad record: one unreadable status on the first page of 200", flush=True)
    template = recorded_statuses()
    statuses = []
    for n in range(200):
        status = copy.deepcopy(template[n % 80 + 5 if n % 80 + 5 != 5 else 6])
        local = str(114000000000000000 + 200 - n)
        status.update(id=local, uri=f"https://social.example/users/u/statuses/{local}", reblog=None,
                      created_at=(datetime(2026, 11, 20, 12, tzinfo=UTC) - timedelta(minutes=n)).strftime(
                          "%Y-%m-%dT%H:%M:%S.000Z"))
        statuses.append(status)
    statuses[7]["created_at"] = "not-a-date"
    statuses[21]["favourites_count"] = 10**30
    space = Workspace()
    api = FakeAPI()
    api.route("GET", TAG_PATH, Timeline(statuses))
    with api:
        space.env["GROUNDSWELL_MASTODON_INSTANCES"] = api.url
        space.env["GROUNDSWELL_MAX_PAGES"] = "2"
        stored = []
        for _ in range(3):
            space.run("collect", "--source", "mastodon")
            stored.append(space.query("SELECT count(*) FROM mentions")[0][0])
    quarantined = space.query("SELECT field, value FROM quarantine ORDER BY id")
    statuses_ = [s for (s,) in space.query("SELECT status FROM collection_runs ORDER BY id")]
    report("three runs over 200 statuses, two unreadable on page 1 (2 pages a run)",
           f"stored after each run: {', '.join(map(str, stored))} of 200; quarantined {quarantined}; "
           f"runs {statuses_}", "GROUNDSWELL_MAX_PAGES=2, so the third run finishes the pass")


# -- kills: nothing lost, nothing duplicated --------------------------------------------------

def measure_kills(kills: int) -> None:
    print(f"kills: {kills} SIGKILLs of collections and imports at random moments", flush=True)
    rng = random.Random(11)
    statuses = recorded_statuses()
    expected_collect = len(statuses)
    lost = duplicated = survived = 0
    tries = 0
    for attempt in range(kills):
        space = Workspace()
        collecting = attempt % 2 == 0
        if collecting:
            api, timeline = mastodon_api()
            api.route("GET", TAG_PATH, lambda request, timeline=timeline: (time.sleep(0.3), timeline(request))[1])
            with api:
                space.env["GROUNDSWELL_MASTODON_INSTANCES"] = api.url
                process = space.start("collect", "--source", "mastodon")
                time.sleep(rng.uniform(2.0, 6.0))
                process.kill()
                process.communicate()
                space.run("collect", "--source", "mastodon")
                expected = expected_collect
        else:
            path = space.dir / "timeline.jsonl"
            lines = []
            for n in range(30):
                page = copy.deepcopy(statuses)
                for status in page:
                    status["id"] = f"{n}{status['id']}"
                    status["uri"] = status["uri"].replace("/statuses/", f"/statuses/{n}")
                    if status.get("reblog"):
                        status["reblog"]["uri"] = status["reblog"]["uri"].replace("/statuses/", f"/statuses/{n}")
                lines.append(json.dumps(page))
            path.write_text("\n".join(lines) + "\n")
            process = space.start("import", str(path), "--format", "mastodon", "--batch-size", "200")
            time.sleep(rng.uniform(2.0, 8.0))
            process.kill()
            process.communicate()
            space.run("import", str(path), "--format", "mastodon", "--batch-size", "200")
            expected = 30 * len(statuses)
        tries += 1
        (count, distinct), = space.query("SELECT count(*), count(DISTINCT uid) FROM mentions")
        (rolled,), = space.query("SELECT coalesce(sum(mentions), 0) FROM hourly")
        (matched,), = space.query("SELECT count(*) FROM mention_matches")
        lost += max(0, expected - distinct)
        duplicated += count - distinct
        survived += int(distinct == expected and rolled == matched)
    report(f"SIGKILL at a random moment, then run again ({kills // 2 + kills % 2} collects, {kills // 2} imports)",
           f"tries {tries}, survived {survived}, lost {lost}, duplicated {duplicated}",
           "survived: every post stored once and the hourly roll-up equal to the matches")


# -- 6. bad input: one clear line, never an exception name ------------------------------------

EXCEPTION_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b|Traceback")


def measure_bad_inputs() -> None:
    from click.testing import CliRunner

    from groundswell.cli import cli

    print("bad input: files, settings, campaign fields and options", flush=True)
    base_status = recorded_statuses()[10]
    tweet_page = fixture_json("x", "search_page1.json")
    listing = fixture_json("reddit", "search_page1.json")
    posts = fixture_json("bluesky", "search_page1.json")
    values = {"huge": 10**30, "negative": -5, "text": "lots", "float": 1.5e300, "list": [1], "object": {"a": 1},
              "none-date": None, "bad-date": "not-a-date", "empty": ""}
    cases: list[tuple[str, str, str | None, dict]] = []  # (label, format, file text, env)
    for name, value in values.items():
        for field in ("favourites_count", "reblogs_count", "replies_count", "created_at", "account", "id", "uri"):
            status = copy.deepcopy(base_status)
            status[field] = value
            cases.append((f"mastodon {field}={name}", "mastodon",
                          json.dumps(recorded_statuses()[11]) + "\n" + json.dumps(status) + "\n", {}))
        for field in ("like_count", "retweet_count"):
            page = copy.deepcopy(tweet_page)
            page["data"][1]["public_metrics"][field] = value
            cases.append((f"x {field}={name}", "x", json.dumps(page) + "\n", {}))
        page = copy.deepcopy(tweet_page)
        page["data"][1]["created_at"] = value
        cases.append((f"x created_at={name}", "x", json.dumps(page) + "\n", {}))
        for field in ("score", "num_comments", "created_utc", "subreddit_subscribers"):
            bad = copy.deepcopy(listing)
            bad["data"]["children"][1]["data"][field] = value
            cases.append((f"reddit {field}={name}", "reddit", json.dumps(bad) + "\n", {}))
        for field in ("likeCount", "repostCount", "indexedAt", "author"):
            bad = copy.deepcopy(posts)
            bad["posts"][1][field] = value
            cases.append((f"bluesky {field}={name}", "bluesky", json.dumps(bad) + "\n", {}))
        csv_value = json.dumps(value) if not isinstance(value, str) else value
        cases.append((f"csv likes={name}", "csv", "platform,id,created_at,text,likes\n"
                      "x,1,2026-11-20T09:00:00Z,#ClimateStrike,3\n"
                      f'x,2,2026-11-20T09:00:00Z,#ClimateStrike,"{csv_value.replace(chr(34), "")}"\n', {}))
    cases.append(("csv 200 kB field", "csv", "platform,id,created_at,text\nx,1,2026-11-20T09:00:00Z,\"" + "x" * 200_000
                  + "\"\nx,2,2026-11-20T09:00:00Z,fine\n", {}))
    for variable, value in (("GROUNDSWELL_MAX_PAGES", "abc"), ("GROUNDSWELL_MAX_PAGES", "0"),
                            ("GROUNDSWELL_X_MONTHLY_POST_BUDGET", "-5"), ("GROUNDSWELL_MASTODON_INTERVAL", "soon"),
                            ("GROUNDSWELL_MAX_RATE_LIMIT_WAIT", "1e9"), ("GROUNDSWELL_MASTODON_INSTANCES", "http://[::1")):
        cases.append((f"{variable}={value}", "env", None, {variable: value}))
    yaml_cases = {"name: [1, 2]": "    name: [1, 2]\n", "goals: {mentions: true}": "    name: N\n    goals: {mentions: true}\n",
                  "goals: {reach: -1}": "    name: N\n    goals: {reach: -1}\n",
                  "retention_days: 1.5": "    name: N\n    retention_days: 1.5\n",
                  "timezone: [UTC]": "    name: N\n    timezone: [UTC]\n", "starts: {a: 1}": "    name: N\n",
                  "track: {ours: [1.5]}": "    name: N\n    track: {ours: [1.5]}\n"}
    for label, text in yaml_cases.items():
        starts = "    starts: {a: 1}\n" if label.startswith("starts") else "    starts: 2026-03-01\n"
        cases.append((f"campaign file {label}", "yaml", "campaigns:\n  - slug: bad\n" + starts + text, {}))
    cases.append(("--batch-size 0", "batch", None, {}))
    clear, named, escaped, accepted = 0, 0, [], []
    for label, fmt, text, env in cases:
        folder = Path(tempfile.mkdtemp(prefix="bad-"))
        db = folder / "g.db"
        with Store.open(db) as store:
            store.save_campaign(Campaign(slug="climate", name="Climate", starts_at="2020-01-01",
                                         trackers=[Tracker("hashtag", "ClimateStrike", "ours")]))
        environment = {"GROUNDSWELL_DB": str(db), "GROUNDSWELL_DETECT_LANGUAGE": "0",
                       "GROUNDSWELL_MASTODON_INSTANCES": refused_url(), "GROUNDSWELL_MAX_PAGES": "1", **env}
        if fmt == "env":
            args = ["collect", "--source", "mastodon"]
        elif fmt == "yaml":
            (folder / "c.yaml").write_text(text)
            args = ["campaign", "import", str(folder / "c.yaml")]
        elif fmt == "batch":
            (folder / "s.jsonl").write_text(json.dumps(base_status) + "\n")
            args = ["import", str(folder / "s.jsonl"), "--format", "mastodon", "--batch-size", "0"]
        else:
            suffix = ".csv" if fmt == "csv" else ".jsonl"
            (folder / f"in{suffix}").write_text(text)
            args = ["import", str(folder / f"in{suffix}"), "--format", fmt]
        result = CliRunner().invoke(cli, args, env=environment)
        output = result.output
        bad = (result.exception is not None and not isinstance(result.exception, SystemExit)) or \
            EXCEPTION_NAME.search(output)
        if bad:
            escaped.append(f"{label}: {type(result.exception).__name__ if result.exception else output.strip()[:120]}")
        else:
            clear += 1
            if re.search(r"line \d+|GROUNDSWELL_\w+|--batch-size", output):
                named += 1
            else:
                accepted.append(f"{label}: {output.strip().splitlines()[0][:100] if output.strip() else ''}")
    report(f"bad inputs ({len(cases)})", f"{len(escaped)} end in an exception name or traceback, {clear} in clear "
           f"lines: {named} refused naming the file and line, the variable or the option; {len(accepted)} accepted "
           "(listed above the table: null counts are unknown, fields the importer does not read, a 200 kB field)",
           "imports (Mastodon, X, Reddit, Bluesky, CSV), settings, campaign files, options")
    for line in escaped[:10]:
        print(f"    escaped: {line}")
    for line in accepted:
        print(f"    accepted: {line}")


# -- 5. refresh reads Mastodon 4.6 statuses -----------------------------------------------------

def measure_refresh() -> None:
    from campaigns.settings import Settings
    from collectors.mastodon import MastodonCollector
    from collectors.refresh import refresh_recent
    from collectors.runner import run_source

    print("refresh: 30 statuses with Mastodon 4.6 uris", flush=True)
    space = Workspace()
    api = FakeAPI()
    host = api.url.removeprefix("http://")
    template = fixture_json("mastodon", "tag_page3.json")[0]
    statuses = []
    for n in range(30):
        local = str(117020586019094258 + n)
        statuses.append({**template, "id": local, "reblog": None, "favourites_count": 1,
                         "uri": f"http://{host}/ap/users/117020565966271181/statuses/{local}",
                         "created_at": (datetime.now(UTC) - timedelta(hours=1 + n)).strftime("%Y-%m-%dT%H:%M:%S.000Z")})
    api.route("GET", "/api/v1/timelines/tag/climatestrike", (200, {}, statuses))
    for status in statuses:
        api.route("GET", f"/api/v1/statuses/{status['id']}", (200, {}, {**status, "favourites_count": 7}))
    with api, Store.open(space.db) as store:
        settings = Settings(db_path=space.db, mastodon_instances=[api.url], detect_language=False)
        run_source(store, settings, "mastodon", store.campaign("climate"), collector=MastodonCollector(settings))
        lines = list(refresh_recent(store, settings))
    report("refresh of 30 Mastodon 4.6 statuses (host/ap/users/<id>/statuses/<id>)", lines[0],
           "from their configured home server")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=3, help="SIGTERMs per kind of wait")
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs, half collections and half imports")
    parser.add_argument("--only", default="stop,rate,failed,record,kills,input,refresh")
    options = parser.parse_args()
    chosen = set(options.only.split(","))
    steps = [("record", measure_bad_record), ("rate", measure_rate_limits), ("failed", measure_failed_passes),
             ("refresh", measure_refresh), ("input", measure_bad_inputs),
             ("stop", lambda: measure_stops(options.tries)), ("kills", lambda: measure_kills(options.kills))]
    for name, step in steps:
        if name in chosen:
            step()
    print("\n| measured | figure | how |\n|---|---|---|")
    for row in ROWS:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
