"""Collection under faults, against loopback servers: bad records, unreachable hosts, rate limits, refresh, bad input."""

from __future__ import annotations

import copy
import json
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from fake_api import FakeAPI, fixture_json
from mastodon_server import TAG_PATH, mastodon_api, recorded_statuses
from test_collect_cli import CREDENTIAL_VARIABLES

from campaigns import clock
from campaigns.model import Campaign, Tracker
from campaigns.store import Store
from collectors import base, mastodon
from collectors.refresh import refresh_recent
from collectors.runner import run_source
from groundswell.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"
NEWS = (FIXTURES / "rss" / "news.xml").read_bytes()


@pytest.fixture
def campaign(store):
    return store.save_campaign(Campaign(slug="climate", name="Climate", starts_at="2026-11-01",
                                        trackers=[Tracker("hashtag", "ClimateStrike", "ours")]))


@pytest.fixture
def clean_env(monkeypatch):
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GROUNDSWELL_DETECT_LANGUAGE", "0")
    return monkeypatch


def mastodon_run(store, settings, campaign, url, sleeps=None, collector=None):
    settings.mastodon_instances = [url]
    collector = collector or mastodon.MastodonCollector(settings, sleep=sleeps.append if sleeps is not None else None)
    return run_source(store, settings, "mastodon", campaign, collector=collector)


def refused_url() -> str:
    """A loopback address nothing listens on: every connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def faulty_timeline() -> list[dict]:
    """The recorded timeline with four statuses on its first page that cannot be stored."""
    statuses = copy.deepcopy(recorded_statuses())
    statuses[3]["created_at"] = "not-a-date"
    statuses[12]["favourites_count"] = 10**30
    statuses[20]["account"] = "bob"
    statuses[33]["reblogs_count"] = -3
    return statuses


def uid(status: dict) -> str:
    return "mastodon:" + status["uri"].split("://", 1)[1]


# -- 1. a record that cannot be mapped costs that record -------------------------------------

def test_bad_records_mid_page_are_quarantined_the_rest_stored_and_the_next_run_moves_on(store, settings, campaign):
    statuses = faulty_timeline()
    api, timeline = mastodon_api(statuses)
    with api:
        first = mastodon_run(store, settings, campaign, api.url)
        assert first.status == "partial" and first.quarantined == 4
        assert store.count("mentions") == 85 - 4
        for bad in (3, 12, 20, 33):
            assert store.mention(uid(statuses[bad])) is None
        assert store.mention(uid(statuses[4]))["likes"] == statuses[4]["favourites_count"]
        total, rows = store.quarantined()
        by_field = {row["field"]: row for row in rows}
        assert total == 4 and set(by_field) == {"created_at", "favourites_count", "account", "reblogs_count"}
        assert by_field["created_at"]["value"] == "not-a-date" and "'None'" not in by_field["created_at"]["reason"]
        assert by_field["favourites_count"]["value"] == str(10**30)
        assert by_field["account"]["value"] == "bob" and "expected an object" in by_field["account"]["reason"]
        assert "negative" in by_field["reblogs_count"]["reason"]
        assert all(row["location"].endswith(f"#climatestrike, page 1, item {n}") for row, n in zip(
            sorted(rows, key=lambda r: int(r["location"].rsplit(" ", 1)[1])), (4, 13, 21, 34), strict=True))
        run = store.db.conn.execute("SELECT status, error, quarantined, new FROM collection_runs").fetchone()
        assert run[0] == "partial" and run[2] == 4 and run[3] == 81
        assert "4 record(s) could not be read" in run[1] and "not-a-date" in run[1]
        assert store.cursor("mastodon", f"{api.url[7:]}#climatestrike")["since_id"] == statuses[0]["id"]

        timeline.statuses = fixture_json("mastodon", "tag_newer.json") + timeline.statuses
        second = mastodon_run(store, settings, campaign, api.url)
    assert (second.status, second.new, second.quarantined) == ("ok", 2, 0)
    assert api.hits(TAG_PATH)[-1]["query"]["since_id"] == statuses[0]["id"]
    assert store.quarantined()[0] == 4
    assert store.db.conn.execute("SELECT sum(mentions) FROM hourly").fetchone()[0] == 83


def test_status_lists_the_quarantined_records_with_where_and_why(store, settings, campaign, clean_env):
    api, _ = mastodon_api(faulty_timeline())
    with api:
        clean_env.setenv("GROUNDSWELL_MASTODON_INSTANCES", api.url)
        collected = CliRunner().invoke(cli, ["collect", "--source", "mastodon"])
    assert collected.exit_code == 0, collected.output
    assert [line.split()[-1] for line in collected.output.splitlines()
            if line.startswith("mastodon ") and "error:" not in line] == ["partial"]
    status = CliRunner().invoke(cli, ["status"])
    assert "quarantined: 4 record(s) could not be read" in status.output
    line = next(row for row in status.output.splitlines() if "item 4:" in row)
    assert "#climatestrike, page 1, item 4: created_at: " in line and "bad date or time 'not-a-date'" in line


def test_the_sources_page_lists_quarantined_records(store, settings, campaign):
    from streamlit.testing.v1 import AppTest

    api, _ = mastodon_api(faulty_timeline())
    with api:
        mastodon_run(store, settings, campaign, api.url)
    entry = Path(__file__).resolve().parents[1] / "dashboard" / "streamlit_app.py"
    at = AppTest.from_file(str(entry), default_timeout=30).run()
    at.switch_page("app_pages/sources.py").run()
    assert not at.exception, at.exception
    assert "Quarantined records" in [s.value for s in at.subheader]
    quarantined = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    assert len(quarantined) == 4 and set(quarantined["field"]) >= {"created_at", "account"}


def test_an_unexpected_error_ends_that_run_as_error_and_the_pass_goes_on(store, clean_env):
    # A feed stored without a scheme (from before feeds were checked): requests raises an error
    # no classifier knows. That campaign's run is an error; the next campaign is still collected.
    store.save_campaign(Campaign(slug="broken", name="Broken", starts_at="2026-11-01", feeds=["herald.example/rss"],
                                 platforms=["rss"], trackers=[Tracker("hashtag", "ClimateStrike", "ours")]))
    api = FakeAPI().route("GET", "/rss.xml", (200, {"Content-Type": "application/rss+xml"}, NEWS))
    with api:
        store.save_campaign(Campaign(slug="news", name="News", starts_at="2026-11-01", feeds=[f"{api.url}/rss.xml"],
                                     platforms=["rss"], trackers=[Tracker("hashtag", "ClimateStrike", "ours"),
                                                                  Tracker("keyword", "climate strike", "ours")]))
        clean_env.setenv("GROUNDSWELL_MASTODON_INSTANCES", refused_url())
        result = CliRunner().invoke(cli, ["collect", "--source", "rss"])
    assert result.exit_code == 1
    assert "1 source run(s) ended in error: rss (broken)" in result.output
    assert "rss error: broken: unexpected error: MissingSchema" in result.output
    runs = dict(store.db.conn.execute(
        "SELECT c.slug, r.status FROM collection_runs r JOIN campaigns c ON c.id = r.campaign_id").fetchall())
    assert runs == {"broken": "error", "news": "ok"}
    assert store.count("mentions") == 2


# -- 4. a failed pass says so, and an unreachable host fails once ------------------------------

def test_collect_exits_non_zero_when_every_source_failed_and_the_table_says_which(store, campaign, clean_env):
    api = FakeAPI().route("GET", TAG_PATH, (401, {}, {"error": "This method requires an authenticated user"}))
    with api:
        clean_env.setenv("GROUNDSWELL_MASTODON_INSTANCES", api.url)
        result = CliRunner().invoke(cli, ["collect"])
    assert result.exit_code == 1
    rows = [line.split() for line in result.output.splitlines() if line.startswith(("mastodon ", "rss "))]
    assert rows[0][0] == "mastodon" and rows[0][-1] == "error"
    assert "source run(s) ended in error: mastodon (climate)" in result.output.splitlines()[-1]


def test_an_unreachable_instance_fails_once_per_pass_not_once_per_hashtag(store, settings):
    tags = ["ClimateStrike", "FridaysForFuture", "ClimateJustice", "Klimastreik", "GreveClimat"]
    campaign = store.save_campaign(Campaign(slug="five", name="Five", starts_at="2026-11-01",
                                            trackers=[Tracker("hashtag", t, "ours") for t in tags]))
    sleeps: list[float] = []
    result = mastodon_run(store, settings, campaign, refused_url(), sleeps)
    assert result.status == "error" and len(result.errors) == 5
    assert sleeps == list(base.RETRY_WAITS)  # 30 s of backoff for the first hashtag, none for the others
    assert "gave up after 5 tries" in result.errors[0]
    assert all("not asked again until the next pass" in error for error in result.errors[1:])


def test_an_instance_that_is_not_a_url_is_a_configuration_error(store, campaign, clean_env):
    clean_env.setenv("GROUNDSWELL_MASTODON_INSTANCES", "http://[::1")
    result = CliRunner().invoke(cli, ["collect", "--source", "mastodon"])
    assert result.exit_code == 1
    assert ("mastodon error: climate: configuration error: GROUNDSWELL_MASTODON_INSTANCES holds 'http://[::1', "
            "which is not a host name or URL (Invalid IPv6 URL)") in result.output
    assert store.db.conn.execute("SELECT status FROM collection_runs").fetchone() == ("error",)


# -- 3. rate limits are read from the response that carried the 429 ----------------------------

def test_retry_after_in_seconds_is_honoured_on_the_first_request(store, settings, campaign):
    api, timeline = mastodon_api()
    api.route("GET", TAG_PATH, (429, {"Retry-After": "3"}, {"error": "Too many requests"}), timeline)
    sleeps: list[float] = []
    with api:
        result = mastodon_run(store, settings, campaign, api.url, sleeps)
    assert result.status == "ok" and result.new == 85
    assert len(sleeps) == 1 and 3 <= sleeps[0] <= 4.5


def test_after_a_good_page_a_429_waits_for_its_own_retry_after_not_the_earlier_reset(store, settings, campaign):
    api, timeline = mastodon_api()
    later = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def first_page(request):
        status, headers, body = timeline(request)
        return status, {**headers, "X-RateLimit-Reset": later}, body

    api.route("GET", TAG_PATH, first_page, (429, {"Retry-After": "3"}, {"error": "Too many requests"}), timeline)
    sleeps: list[float] = []
    with api:
        result = mastodon_run(store, settings, campaign, api.url, sleeps)
    assert result.status == "ok" and result.new == 85
    assert len(sleeps) == 1 and 3 <= sleeps[0] <= 4.5


def test_retry_after_as_an_http_date_is_honoured(store, settings, campaign):
    api, timeline = mastodon_api()
    at = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    api.route("GET", TAG_PATH, (429, {"Retry-After": at}, {"error": "Too many requests"}), timeline)
    sleeps: list[float] = []
    with api:
        result = mastodon_run(store, settings, campaign, api.url, sleeps)
    assert result.status == "ok"
    assert len(sleeps) == 1 and 18 <= sleeps[0] <= 22


def test_a_429_without_retry_after_reads_its_own_platform_reset(store, settings, campaign):
    api, timeline = mastodon_api()
    reset = (datetime.now(UTC) + timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    api.route("GET", TAG_PATH, (429, {"X-RateLimit-Reset": reset}, {"error": "Too many requests"}), timeline)
    sleeps: list[float] = []
    with api:
        mastodon_run(store, settings, campaign, api.url, sleeps)
    assert len(sleeps) == 1 and 28 <= sleeps[0] <= 32


@pytest.mark.parametrize(("headers", "seconds", "said"), [
    ({"Retry-After": "3"}, 3, "Retry-After: 3"),
    ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, None, "Retry-After"),
    ({"x-rate-limit-reset": "EPOCH+60"}, 60, "x-rate-limit-reset"),       # X: epoch seconds
    ({"x-ratelimit-reset": "42"}, 42, "x-ratelimit-reset"),               # Reddit: seconds from now
    ({"ratelimit-reset": "EPOCH+20"}, 20, "ratelimit-reset"),             # Bluesky: epoch seconds
    ({"X-RateLimit-Reset": "ISO+30"}, 30, "x-ratelimit-reset"),           # Mastodon: an ISO timestamp
    ({"Retry-After": "5", "X-RateLimit-Reset": "ISO+300"}, 5, "Retry-After"),  # this response's own word first
    ({}, None, None),
])
def test_each_platforms_reset_header_is_read(headers, seconds, said):
    with clock.pinned("2026-11-20T12:00:00Z") as now:
        epoch = now.timestamp()
        filled = {k: v.replace("EPOCH+60", str(int(epoch) + 60)).replace("EPOCH+20", str(int(epoch) + 20))
                  .replace("ISO+30", (now + timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%S.000Z"))
                  .replace("ISO+300", (now + timedelta(seconds=300)).strftime("%Y-%m-%dT%H:%M:%S.000Z"))
                  for k, v in headers.items()}
        verdict = base.announced_reset(filled)
    if said is None:
        assert verdict.reset_at is None
        return
    assert verdict.said.startswith(said)
    if seconds is None:  # a date in the past: try again at once
        assert verdict.reset_at < epoch
    else:
        assert abs(verdict.reset_at - epoch - seconds) < 1


def test_a_wait_beyond_the_bound_stops_the_source_instead(store, settings, campaign):
    api, _ = mastodon_api()
    api.route("GET", TAG_PATH, (429, {"Retry-After": "7200"}, {"error": "Too many requests"}))
    sleeps: list[float] = []
    with api:
        result = mastodon_run(store, settings, campaign, api.url, sleeps)
    assert result.status == "rate_limited" and sleeps == []
    assert "Retry-After: 7200" in result.errors[0] and "GROUNDSWELL_MAX_RATE_LIMIT_WAIT is 900" in result.errors[0]


def test_status_says_how_long_a_source_is_waiting_and_why(store, settings, campaign, clean_env):
    api, timeline = mastodon_api()
    api.route("GET", TAG_PATH, (429, {"Retry-After": "120"}, {"error": "Too many requests"}), timeline)
    seen: list[str] = []

    def look_while_waiting(seconds):
        seen.append(CliRunner().invoke(cli, ["status"]).output)

    with api:
        mastodon_run(store, settings, campaign, api.url,
                     collector=mastodon.MastodonCollector(settings, sleep=look_while_waiting))
    row = next(line for line in seen[0].splitlines() if line.startswith("mastodon "))
    assert "waiting 12" in row and "rate limited (Retry-After: 120)" in row
    after = CliRunner().invoke(cli, ["status"]).output
    assert "waiting" not in next(line for line in after.splitlines() if line.startswith("mastodon "))


# -- waits: instant in tests, cut short by a stop --------------------------------------------

def test_backoff_waits_2_4_8_16_then_gives_up_naming_the_tries(settings):
    import requests

    sleeps: list[float] = []
    calls = []

    def refused():
        calls.append(1)
        raise requests.ConnectionError("connection refused")

    from collectors import x

    with pytest.raises(base.TransientError, match=r"cannot reach X: ConnectionError \(gave up after 5 tries\)"):
        base.with_retries(refused, classify=x.classify, settings=settings, sleep=sleeps.append)
    assert sleeps == [2, 4, 8, 16] and len(calls) == 5


def test_a_stop_ends_a_wait_at_once(settings):
    import time

    base.STOP.set()
    try:
        started = time.monotonic()
        with pytest.raises(base.Stopped):
            base.pause(300)
        with pytest.raises(base.Stopped):
            base.with_retries(lambda: 1, classify=lambda error: None, settings=settings)
    finally:
        base.STOP.clear()
    assert time.monotonic() - started < 1


# -- 5. refresh reads Mastodon 4.6 statuses -----------------------------------------------------

def ap_status(host: str, local_id: str, hours_ago: float, likes: int) -> dict:
    """A status as Mastodon 4.6 writes it: uri host/ap/users/<account id>/statuses/<id>."""
    status = copy.deepcopy(fixture_json("mastodon", "tag_page3.json")[0])
    created = (datetime.now(UTC) - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    status.update(id=local_id, uri=f"http://{host}/ap/users/117020565966271181/statuses/{local_id}",
                  url=f"http://{host}/@mastodonpy_test/{local_id}", created_at=created, favourites_count=likes,
                  reblogs_count=0, replies_count=0, reblog=None)
    return status


def test_mastodon_4_6_statuses_are_refreshed(store, settings, campaign):
    api = FakeAPI()
    host = api.url.removeprefix("http://")
    statuses = [ap_status(host, str(117020586019094258 + n), 1 + n, likes=1) for n in range(3)]
    api.route("GET", TAG_PATH, (200, {}, statuses))
    for status in statuses:
        api.route("GET", f"/api/v1/statuses/{status['id']}", (200, {}, {**status, "favourites_count": 9}))
    settings.mastodon_instances = [api.url]
    with api:
        mastodon_run(store, settings, campaign, api.url)
        lines = list(refresh_recent(store, settings))
    assert lines == ["refresh mastodon: ok, 3 of 3 recent post(s) updated"]
    assert all(store.mention(uid(s))["likes"] == 9 for s in statuses)


@pytest.mark.realworld
def test_the_recorded_mastodon_4_6_status_is_refreshed(realworld, store, settings, campaign):
    import yaml

    cassette = yaml.safe_load((realworld / "mastodon" / "test_status_reblog_unreblog.yaml").read_text())
    recorded = json.loads(cassette["interactions"][0]["response"]["body"]["string"])
    api = FakeAPI()
    host = api.url.removeprefix("http://")
    # The recorded status, as its server would serve it here and now.
    status = json.loads(json.dumps(recorded).replace("http://localhost:3000", f"http://{host}"))
    status["created_at"] = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    status["content"] += " #ClimateStrike"
    status["tags"] = [{"name": "climatestrike", "url": f"http://{host}/tags/climatestrike"}]
    assert "/ap/users/" in status["uri"]
    api.route("GET", TAG_PATH, (200, {}, [status]))
    api.route("GET", f"/api/v1/statuses/{status['id']}", (200, {}, {**status, "favourites_count": 5}))
    settings.mastodon_instances = [api.url]
    with api:
        mastodon_run(store, settings, campaign, api.url)
        lines = list(refresh_recent(store, settings))
    assert lines == ["refresh mastodon: ok, 1 of 1 recent post(s) updated"]
    assert store.mention(uid(status))["likes"] == 5


def test_a_refresh_that_matched_nothing_is_not_ok(store, settings, campaign):
    api = FakeAPI()
    statuses = [ap_status("elsewhere.example", str(117020586019094258 + n), 1 + n, likes=1) for n in range(2)]
    api.route("GET", TAG_PATH, (200, {}, statuses))
    settings.mastodon_instances = [api.url]
    with api:
        mastodon_run(store, settings, campaign, api.url)
        lines = list(refresh_recent(store, settings))
    assert lines[0].startswith("refresh mastodon: error, 0 of 2 recent post(s) updated; 2 of 2 recent post(s) "
                               "not read again: 2 live on servers that are not configured instances "
                               "(elsewhere.example)")
    assert store.db.conn.execute(
        "SELECT status FROM collection_runs WHERE collector = 'refresh-mastodon'").fetchone() == ("error",)


# -- 6. bad input: one line naming the file, line and field, or the variable --------------------

def mastodon_lines(tmp_path, faults: dict[int, dict]) -> Path:
    """Five recorded statuses, one per line, with some fields replaced."""
    statuses = copy.deepcopy(recorded_statuses()[6:11])
    for index, fields in faults.items():
        statuses[index].update(fields)
    path = tmp_path / "statuses.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in statuses))
    return path


def mention_rows(db_path) -> list:
    with Store.open(db_path) as opened:
        return opened.db.conn.execute("SELECT uid, likes, reposts FROM mentions ORDER BY uid").fetchall()


@pytest.mark.parametrize(("fields", "fragment"), [
    ({"favourites_count": 10**30}, "line 3: favourites_count: 100000000000000001988462483865"),
    ({"account": "bob"}, "line 3: account: expected an object, found text"),
    ({"reblogs_count": -2}, "line 3: reblogs_count: -2 is negative"),
    ({"created_at": "not-a-date"}, "bad date or time 'not-a-date'"),
])
def test_a_bad_status_in_an_import_is_skipped_naming_its_line_and_field(campaign_db, tmp_path, fields, fragment):
    path = mastodon_lines(tmp_path, {2: fields})
    result = CliRunner().invoke(cli, ["import", str(path), "--format", "mastodon"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if f"{path}: line 3: " in line)
    assert fragment in line and "Error" not in result.output
    assert "imported 4 post(s)" in result.output
    stored = {row[0] for row in mention_rows(campaign_db)}
    assert len(stored) == 4 and uid(recorded_statuses()[8]) not in stored
    with Store.open(campaign_db) as opened:
        assert opened.quarantined()[0] == 1


def test_one_out_of_range_number_costs_its_record_not_its_batch(campaign_db, tmp_path):
    statuses = copy.deepcopy(recorded_statuses())
    statuses[40]["replies_count"] = 2**63
    path = tmp_path / "timeline.json"
    path.write_text(json.dumps(statuses))
    result = CliRunner().invoke(cli, ["import", str(path), "--format", "mastodon", "--batch-size", "50"])
    assert result.exit_code == 0, result.output
    assert f"{path}: line 1: replies_count: 9223372036854775808 is larger than" in result.output
    assert len(mention_rows(campaign_db)) == 84


def test_a_200_kb_csv_field_imports(campaign_db, tmp_path):
    long_text = "Marching #ClimateStrike " + "x" * 200_000
    path = tmp_path / "long.csv"
    path.write_text("platform,id,created_at,text,likes\n" + f'x,1,2026-11-20T09:00:00Z,"{long_text}",3\n'
                    + "x,3,2026-11-20T09:02:00Z,#ClimateStrike again,5\n")
    result = CliRunner().invoke(cli, ["import", str(path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert [row[0] for row in mention_rows(campaign_db)] == ["x:1", "x:3"]


def test_a_negative_count_in_a_csv_is_refused_naming_the_line_and_field(campaign_db, tmp_path):
    path = tmp_path / "negative.csv"
    path.write_text("platform,id,created_at,text,likes\nx,1,2026-11-20T09:00:00Z,#ClimateStrike,-5\n")
    result = CliRunner().invoke(cli, ["import", str(path), "--format", "csv"])
    # The file's only record cannot be read: one line, and nothing stored.
    assert result.exit_code == 1
    assert result.output.strip() == (f"Error: {path}: row 2: likes: -5 is negative, and a count cannot be "
                                     "(no record of the file could be read: 1 refused); nothing was stored")
    assert mention_rows(campaign_db) == []


@pytest.fixture
def campaign_db(db_path, store):
    store.save_campaign(Campaign(slug="climate", name="Climate", starts_at="2026-11-01",
                                 trackers=[Tracker("hashtag", "ClimateStrike", "ours")]))
    return db_path


def one_line(result, text):
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"Error: {text}"], result.output


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("GROUNDSWELL_MAX_PAGES", "abc", "GROUNDSWELL_MAX_PAGES must be a whole number, not 'abc'"),
    ("GROUNDSWELL_MAX_PAGES", "0", "GROUNDSWELL_MAX_PAGES must be at least 1, not 0"),
    ("GROUNDSWELL_X_MONTHLY_POST_BUDGET", "-100", "GROUNDSWELL_X_MONTHLY_POST_BUDGET must be at least 0, not -100"),
    ("GROUNDSWELL_MASTODON_INTERVAL", "1.5", "GROUNDSWELL_MASTODON_INTERVAL must be a whole number, not '1.5'"),
    ("GROUNDSWELL_MAX_RATE_LIMIT_WAIT", "ten", "GROUNDSWELL_MAX_RATE_LIMIT_WAIT must be a whole number, not 'ten'"),
])
def test_a_setting_that_is_not_a_number_is_one_line_naming_the_variable(campaign_db, monkeypatch, variable, value,
                                                                       message):
    monkeypatch.setenv(variable, value)
    one_line(CliRunner().invoke(cli, ["collect"]), message)
    assert mention_rows(campaign_db) == []
    with Store.open(campaign_db) as opened:
        assert opened.count("collection_runs") == 0


def test_a_batch_size_of_zero_is_one_line(campaign_db, tmp_path):
    path = mastodon_lines(tmp_path, {})
    one_line(CliRunner().invoke(cli, ["import", str(path), "--format", "mastodon", "--batch-size", "0"]),
             "--batch-size must be at least 1, not 0")
    assert mention_rows(campaign_db) == []


@pytest.mark.parametrize(("entry", "message"), [
    ("    name: [1, 2]\n", "line 4: name: must be text, not a list ([1, 2])"),
    ("    name: N\n    goals: {mentions: true}\n", "line 5: goals.mentions: must be a positive whole number, not True"),
    ("    name: N\n    goals:\n      reach: 10\n      mentions: -5\n",
     "line 7: goals.mentions: must be a positive whole number, not -5"),
    ("    name: N\n    retention_days: yes\n", "line 5: retention_days: must be a positive whole number, not True"),
    ("    name: N\n    feeds: [herald.example/rss]\n",
     "line 5: feeds: 'herald.example/rss' is not a feed URL (it starts with http:// or https://)"),
])
def test_a_campaign_file_field_of_the_wrong_kind_is_one_line_naming_line_and_field(db_path, tmp_path, entry, message):
    path = tmp_path / "campaigns.yaml"
    path.write_text("campaigns:\n  - slug: bad\n    starts: 2026-03-01\n" + entry)
    one_line(CliRunner().invoke(cli, ["campaign", "import", str(path)]), f"{path}: {message}")
    with Store.open(db_path) as opened:
        assert opened.count("campaigns") == 0
