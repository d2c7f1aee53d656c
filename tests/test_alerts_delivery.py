"""Delivery through Apprise to local servers: the message, retries with backoff, no resend after a restart or a crash, quiet hours."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alert_data import NOW, campaign
from alert_servers import Hook, Mailbox

from campaigns import clock, delivery
from campaigns.alert_settings import Destination
from campaigns.errors import ValidationError
from campaigns.store import Store

SPIKE = dict(episode="ours:2026-06-15T11:00:00Z", at="2026-06-15T11:00:00Z", page="traction",
             detail="Our side: 84 mentions in an hour (usual at most 12.5), 1 hour(s) from 2026-06-15T11:00:00Z",
             figures={"side": "ours", "peak_mentions": 84, "threshold": 12.5})


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_DASHBOARD_URL", "https://dash.example.org/")
    monkeypatch.setenv("HOOK_TOKEN", "t0ken-value/42")


def setup(store, url, **destination):
    c = campaign(store)
    store.alerts.add_destination(c.id, Destination(name="team", url=url, **destination))
    return c


def raise_spike(store, c, **changes):
    alert_id, new = store.alerts.raise_alert(c.id, "spike", **{**SPIKE, **changes})
    assert new
    return alert_id


def send_all(store, at):
    with clock.pinned(at):
        delivery.queue_alerts(store, at)
        return delivery.deliver(store, at)


def test_an_alert_reaches_a_json_webhook_once_with_its_figures_campaign_and_link(store, env, db_path):
    with Hook() as hook, clock.pinned(NOW):
        c = setup(store, hook.url + "?+X-Token=${HOOK_TOKEN}")
        alert_id = raise_spike(store, c)
        result = send_all(store, NOW)
        assert result.sent == 1 and len(hook.received) == 1
        payload = hook.received[0]
        assert payload["title"] == "Spike: Save Our Libraries"
        body = payload["message"]
        assert "Spike in Save Our Libraries (libraries)" in body
        assert "84 mentions in an hour (usual at most 12.5)" in body
        assert "Began Mon 15 Jun 2026 11:00 (UTC)" in body
        assert "https://dash.example.org/traction?campaign=libraries" in body
        assert f"groundswell alerts ack {alert_id}" in body
        # The secret came from the environment at send time and never reached the database.
        assert hook.headers[0]["X-Token"] == "t0ken-value/42"
        assert send_all(store, NOW + timedelta(minutes=5)).sent == 0
        assert len(hook.received) == 1
    store.checkpoint()
    assert b"t0ken-value" not in Path(db_path).read_bytes()
    row = store.alerts.messages()[0]
    assert row["status"] == "sent" and row["attempts"] == 1


def test_an_alert_reaches_an_smtp_server_with_the_password_from_the_environment(store, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_SMTP_PASSWORD", "pa ss/w@rd")
    with Mailbox("alerts", "pa ss/w@rd") as mailbox, clock.pinned(NOW):
        c = setup(store, mailbox.url("alerts:${GROUNDSWELL_SMTP_PASSWORD}", "team@example.org"), timezone="Europe/London")
        raise_spike(store, c)
        assert send_all(store, NOW).sent == 1
    assert mailbox.logins == ["alerts"] and len(mailbox.messages) == 1
    message = mailbox.messages[0]
    assert message["Subject"] == "Spike: Save Our Libraries" and message["To"] == "team@example.org"
    text = mailbox.text(0)
    assert "84 mentions in an hour (usual at most 12.5)" in text
    assert "Began Mon 15 Jun 2026 12:00 (Europe/London)" in text   # in the destination's own zone
    assert "http://127.0.0.1:8501/traction?campaign=libraries" in text
    assert text.index("Spike in") < text.index("Open it:")  # lines kept apart, as written


def test_a_failing_destination_is_retried_with_backoff_and_every_attempt_recorded(store, env):
    with Hook(fail=2) as hook:
        with clock.pinned(NOW):
            c = setup(store, hook.url)
            raise_spike(store, c)
        first = send_all(store, NOW)
        assert first.retrying == 1 and first.sent == 0
        row = store.alerts.messages()[0]
        assert row["status"] == "pending" and row["due_at"] == "2026-06-15T12:31:00Z"
        assert "500" in row["last_error"] or "error" in row["last_error"].lower()
        assert send_all(store, NOW + timedelta(seconds=30)).retrying == 0 and hook.attempts == 1  # not due yet
        assert send_all(store, NOW + timedelta(minutes=1)).retrying == 1
        assert store.alerts.messages()[0]["due_at"] == "2026-06-15T12:33:00Z"   # then two minutes
        assert send_all(store, NOW + timedelta(minutes=3)).sent == 1
        assert hook.attempts == 3 and len(hook.received) == 1
    attempts = store.alerts.attempts(row["id"])
    assert [a["ok"] for a in attempts] == [0, 0, 1] and all(a["error"] for a in attempts[:2])


def test_a_destination_that_never_answers_ends_failed(store, env):
    with clock.pinned(NOW):
        c = setup(store, "json://127.0.0.1:9/nothing-listens-here")
        raise_spike(store, c)
    at = NOW
    for _ in range(delivery.MAX_ATTEMPTS):
        send_all(store, at)
        at += delivery.LONGEST_RETRY
    row = store.alerts.messages()[0]
    assert row["status"] == "failed" and row["attempts"] == delivery.MAX_ATTEMPTS
    assert len(store.alerts.attempts(row["id"])) == delivery.MAX_ATTEMPTS
    assert send_all(store, at + timedelta(days=1)).failed == 0


def test_a_missing_variable_is_said_and_retried_once_it_is_set(store, monkeypatch):
    monkeypatch.delenv("HOOK_TOKEN", raising=False)
    with Hook() as hook:
        with clock.pinned(NOW):
            c = setup(store, hook.url + "?+X-Token=${HOOK_TOKEN}")
            raise_spike(store, c)
        send_all(store, NOW)
        assert "set HOOK_TOKEN" in store.alerts.messages()[0]["last_error"] and hook.attempts == 0
        monkeypatch.setenv("HOOK_TOKEN", "late")
        assert send_all(store, NOW + timedelta(minutes=1)).sent == 1


def test_a_secret_put_in_dot_env_is_read_when_the_message_is_sent(store, tmp_path, monkeypatch):
    monkeypatch.delenv("HOOK_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    with Hook() as hook:
        with clock.pinned(NOW):
            c = setup(store, hook.url + "?+X-Token=${HOOK_TOKEN}")
            raise_spike(store, c)
        (tmp_path / ".env").write_text("HOOK_TOKEN=from-dot-env\n")
        try:
            assert send_all(store, NOW).sent == 1
            assert hook.headers[0]["X-Token"] == "from-dot-env"
        finally:
            os.environ.pop("HOOK_TOKEN", None)   # .env was read into this process's environment


def test_a_restarted_process_does_not_send_again(store, env, db_path):
    with Hook() as hook:
        with clock.pinned(NOW):
            c = setup(store, hook.url)
            raise_spike(store, c)
        assert send_all(store, NOW).sent == 1
        store.close()
        with Store.open(db_path) as again:
            assert send_all(again, NOW + timedelta(hours=1)).sent == 0
            delivery.queue_alerts(again, NOW + timedelta(hours=1))
        assert len(hook.received) == 1


def test_a_crash_between_sending_and_recording_never_resends(store, env, db_path, tmp_path):
    """A process that sends and dies before recording leaves the message claimed; the next
    process marks it unconfirmed and sends nothing (at most once)."""
    with Hook() as hook:
        with clock.pinned(NOW):
            c = setup(store, hook.url)
            raise_spike(store, c)
            delivery.queue_alerts(store, NOW)
        store.close()
        crash = textwrap.dedent(f"""
            import os
            from datetime import datetime, timezone
            from campaigns import clock, delivery
            from campaigns.store import Store

            def send_then_die(url, title, body, attachments):
                delivery.apprise_send(url, title, body, attachments)
                os._exit(9)   # killed after the message went, before the result is recorded

            now = datetime.fromisoformat("{NOW.isoformat()}")
            with clock.pinned(now), Store.open({str(db_path)!r}) as store:
                delivery.deliver(store, now, send=send_then_die)
            """)
        process = subprocess.run([sys.executable, "-c", crash], cwd=Path(__file__).resolve().parents[1],
                                 capture_output=True, text=True, timeout=120)
        assert process.returncode == 9, process.stderr
        assert len(hook.received) == 1
        with Store.open(db_path) as again:
            assert again.alerts.messages()[0]["status"] == "sending"
            later = NOW + delivery.CLAIM_EXPIRES + timedelta(seconds=1)
            result = send_all(again, later)
            assert result.unconfirmed == 1 and result.sent == 0
            row = again.alerts.messages()[0]
            assert row["status"] == "unconfirmed" and "may have been delivered" in row["last_error"]
            assert send_all(again, later + timedelta(hours=6)).sent == 0
            assert len(hook.received) == 1
            # A person who checked can send it again, and it goes once more.
            with clock.pinned(later):
                again.alerts.requeue(row["id"])
            assert send_all(again, later).sent == 1 and len(hook.received) == 2


def test_a_send_that_times_out_waiting_for_the_answer_is_unconfirmed_not_resent(store, env):
    with Hook(delay=2.5) as hook:
        with clock.pinned(NOW):
            c = setup(store, hook.url + "?rto=1")
            raise_spike(store, c)
        result = send_all(store, NOW)
        assert result.unconfirmed == 1 and len(hook.received) == 1
        assert send_all(store, NOW + timedelta(hours=1)).sent == 0
    row = store.alerts.messages()[0]
    assert row["status"] == "unconfirmed" and len(hook.received) == 1


def test_quiet_hours_hold_a_spike_at_three_in_the_morning_for_the_digest_but_a_pile_on_goes_at_once(store, env):
    three_am = datetime(2026, 6, 16, 2, 0, tzinfo=UTC)      # 03:00 in London (summer time)
    with Hook() as hook:
        with clock.pinned(three_am):
            c = setup(store, hook.url, quiet_hours=("22:00", "07:00"), timezone="Europe/London")
            raise_spike(store, c, episode="ours:night", at="2026-06-16T02:00:00Z")
            store.alerts.raise_alert(c.id, "pile_on", episode="nusuk:1", at="2026-06-16T01:50:00Z", page="safety",
                                     detail="pile-on", figures={"account": "@cllr_amina_khan", "authors": 7,
                                                                "mentions": 23})
        result = send_all(store, three_am)
        assert result.sent == 1 and len(hook.received) == 1
        assert hook.received[0]["title"].startswith("Pile-on")
        assert "Pile-on on @cllr_amina_khan, 7 authors, 23 abusive mentions" in hook.received[0]["message"]
        held = [m for m in store.alerts.messages() if m["kind"] == "spike"][0]
        assert held["mode"] == "digest" and held["due_at"] == "2026-06-16T06:00:00Z"   # 07:00 London
        with clock.pinned(three_am + timedelta(hours=1)):
            raise_spike(store, c, episode="opposing:night", at="2026-06-16T03:00:00Z",
                        detail="The opposing side: 61 mentions in an hour")
        assert send_all(store, three_am + timedelta(hours=1)).sent == 0
        assert send_all(store, datetime(2026, 6, 16, 5, 59, tzinfo=UTC)).sent == 0
        digest = send_all(store, datetime(2026, 6, 16, 6, 0, tzinfo=UTC))
        assert digest.sent == 2 and len(hook.received) == 2
        message = hook.received[1]
        assert message["title"] == "Groundswell digest: 2 alerts for Save Our Libraries"
        assert "84 mentions in an hour" in message["message"] and "61 mentions in an hour" in message["message"]


def test_a_daily_digest_and_an_alert_acknowledged_before_it_goes(store, env):
    noon = datetime(2026, 6, 16, 11, 0, tzinfo=UTC)
    with Hook() as hook:
        with clock.pinned(noon):
            c = setup(store, hook.url, digest="daily", digest_at="08:00", timezone="Europe/London")
            first = raise_spike(store, c, episode="ours:a")
            second = raise_spike(store, c, episode="ours:b", detail="Our side: 40 mentions in an hour")
        send_all(store, noon)
        assert {m["due_at"] for m in store.alerts.messages()} == {"2026-06-17T07:00:00Z"}
        with clock.pinned(noon):
            store.alerts.acknowledge(first, "Amina")
        result = send_all(store, datetime(2026, 6, 17, 7, 0, tzinfo=UTC))
        assert result.sent == 1 and len(hook.received) == 1
        assert "40 mentions" in hook.received[0]["message"] and "84 mentions" not in hook.received[0]["message"]
    statuses = {m["alert_id"]: m["status"] for m in store.alerts.messages()}
    assert statuses == {first: "skipped", second: "sent"}


def test_weekly_digests_go_on_mondays():
    destination = Destination(name="weekly", url="json://127.0.0.1/x", digest="weekly", timezone="Europe/London")
    wednesday = datetime(2026, 6, 17, 12, 0, tzinfo=UTC)
    assert destination.schedule("spike", wednesday) == ("digest", datetime(2026, 6, 22, 7, 0, tzinfo=UTC))
    assert destination.schedule("pile_on", wednesday) == ("single", wednesday)


def test_an_alert_found_days_after_its_episode_is_shown_not_sent(store, env):
    with Hook() as hook:
        with clock.pinned(NOW):
            c = setup(store, hook.url)
            raise_spike(store, c, episode="ours:old", at="2026-06-10T09:00:00Z")
        assert send_all(store, NOW).sent == 0 and hook.attempts == 0
    row = store.alerts.messages()[0]
    assert row["status"] == "skipped" and "more than a day" in row["last_error"]
    assert len(store.alerts.list(c.id, open_only=True)) == 1


def test_a_destination_added_later_gets_only_what_is_raised_after_it(store, env):
    with Hook() as hook:
        with clock.pinned(NOW):
            c = campaign(store)
            raise_spike(store, c)
        with clock.pinned(NOW + timedelta(minutes=1)):
            store.alerts.add_destination(c.id, Destination(name="late", url=hook.url))
        assert send_all(store, NOW + timedelta(minutes=1)).sent == 0


@pytest.mark.parametrize("url", [
    "mailtos://alerts:hunter2@smtp.example.org?to=team@example.org",
    "json://127.0.0.1:8080/hook?token=abc123",
    "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234567890/",
])
def test_a_url_with_a_secret_written_out_is_refused(store, url):
    c = campaign(store)
    with pytest.raises(ValidationError, match="placeholder"):
        store.alerts.add_destination(c.id, Destination(name="team", url=url))
    assert store.alerts.destinations(c.id) == []


def test_urls_with_placeholders_are_kept_as_written(store):
    c = campaign(store)
    url = "tgram://${TELEGRAM_BOT_TOKEN}/-1001234567890/"
    assert store.alerts.add_destination(c.id, Destination(name="chat", url=url)).url == url
    assert store.alerts.add_destination(c.id, Destination(name="whole", url="${TEAM_APPRISE_URL}")).url \
        == "${TEAM_APPRISE_URL}"


def test_a_destination_removed_after_queueing_ends_failed_at_once(store, env):
    with Hook(fail=1) as hook:
        with clock.pinned(NOW):
            c = setup(store, hook.url)
            raise_spike(store, c)
        send_all(store, NOW)
        store.alerts.remove_destination(c.id, "team")
        result = send_all(store, NOW + timedelta(minutes=1))
        assert result.failed == 1 and hook.attempts == 1
    assert "was removed" in store.alerts.messages()[0]["last_error"]
