"""Volunteer reminders: on sign-up, the day before and an hour before, once each, to consenting volunteers with an address."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from alert_data import campaign
from alert_servers import Hook, Mailbox
from click.testing import CliRunner
from icalendar import Calendar

from campaigns import clock, delivery, planner, reminders
from campaigns.alert_settings import Destination
from groundswell.cli import cli

# The planner moves calls to action with the real clock, so the plan is set in the real future
# (whatever today is) and the reminders' clock is pinned to moments inside it.
SOON = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
START = SOON + timedelta(days=3)


@pytest.fixture
def mailbox(monkeypatch):
    monkeypatch.setenv("REMINDER_SMTP_PASSWORD", "r3mind")
    with Mailbox("bot", "r3mind") as box:
        yield box


def plan(store, mailbox=None, *, contact="priya@example.org", consent=True, tz="Asia/Kolkata"):
    c = campaign(store)
    if mailbox:
        store.alerts.add_destination(c.id, Destination(
            name="email", url=mailbox.url("bot:${REMINDER_SMTP_PASSWORD}", "{contact}"), kinds=("reminder",)))
    action = store.plan.save_action(planner.Action(
        campaign_id=c.id, kind="post", title="Flood the feed", window_start=START.isoformat(),
        window_end=(START + timedelta(hours=6)).isoformat(), message="Love our libraries",
        variants=["Our libraries are brilliant", "Libraries change lives"], hashtags=["SaveOurLibraries"],
        link="https://example.org/libraries", status="scheduled"))
    volunteer = store.plan.save_volunteer(planner.Volunteer(
        "Priya", timezone=tz, contact=contact, consent_at=SOON.isoformat() if consent else None))
    assignment = store.plan.assign(volunteer.id, action_id=action.id, status="accepted")
    return c, action, volunteer, assignment


def run(store, at):
    with clock.pinned(at):
        queued = reminders.queue(store, at)
        return queued, delivery.deliver(store, at)


def test_sign_up_day_before_and_hour_before_each_once_with_wording_links_and_calendar(store, mailbox):
    c, action, volunteer, assignment = plan(store, mailbox)
    queued, sent = run(store, SOON)
    assert [r.which for r in queued] == ["signup"] and sent.sent == 1
    assert run(store, SOON + timedelta(hours=2))[1].sent == 0
    message = mailbox.messages[0]
    assert message["To"] == "priya@example.org" and message["Subject"] == "You're signed up: Flood the feed"
    text = mailbox.text(0)
    assert "Hello Priya," in text
    assert action.message_for(volunteer.id) in text and "#SaveOurLibraries" in text
    local = START.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Kolkata"))
    assert f"When: {local:%a %d %b %Y %H:%M}" in text and "(Asia/Kolkata)" in text
    assert "https://x.com/intent/post?text=" in text and "https://bsky.app/intent/compose?text=" in text
    assert "never posts on anyone's behalf" in text
    attachment = next(part for part in message.iter_attachments())
    calendar = Calendar.from_ical(attachment.get_content())
    events = calendar.walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [f"assignment-{assignment.id}@groundswell"]
    assert str(events[0]["summary"]) == "Flood the feed"

    assert run(store, START - timedelta(days=1, minutes=1))[1].sent == 0
    queued, sent = run(store, START - timedelta(days=1))
    assert [r.which for r in queued] == ["day_before"] and sent.sent == 1
    assert mailbox.messages[1]["Subject"] == "Tomorrow: Flood the feed"
    queued, sent = run(store, START - timedelta(minutes=59))
    assert [r.which for r in queued] == ["hour_before"] and sent.sent == 1
    assert mailbox.messages[2]["Subject"] == "In an hour: Flood the feed"
    assert run(store, START - timedelta(minutes=1))[1].sent == 0
    assert run(store, START + timedelta(minutes=1))[1].sent == 0
    assert len(mailbox.messages) == 3


def test_signing_up_the_evening_before_skips_the_day_before_reminder(store, mailbox):
    plan(store, mailbox)
    queued, sent = run(store, START - timedelta(hours=10))
    assert {r.which: r.skipped is None for r in queued} == {"signup": True, "day_before": False}
    assert sent.sent == 1
    assert run(store, START - timedelta(hours=1))[1].sent == 1   # the hour before still goes
    assert len(mailbox.messages) == 2


@pytest.mark.parametrize("contact, consent, reason", [
    ("priya@example.org", False, "no consent recorded"),
    ("", True, "no contact given"),
    ("+447700900123", True, "no reminder destination for a contact like this"),
])
def test_nobody_is_reminded_without_consent_and_an_address_that_can_be_reached(store, mailbox, contact, consent, reason):
    plan(store, mailbox, contact=contact, consent=consent)
    queued, sent = run(store, SOON)
    assert sent.sent == 0 and mailbox.messages == []
    assert queued and all(reason in r.skipped for r in queued)
    assert store.alerts.messages() == []


def test_a_contact_that_is_an_apprise_url_is_used_as_it_is(store, monkeypatch):
    with Hook() as hook:
        plan(store, contact=hook.url)
        assert run(store, SOON)[1].sent == 1
    payload = hook.received[0]
    assert payload["title"] == "You're signed up: Flood the feed"
    ics = base64.b64decode(payload["attachments"][0]["base64"])
    assert b"BEGIN:VCALENDAR" in ics and b"Flood the feed" in ics


def test_an_event_reminder_says_where_and_what_is_needed(store, mailbox):
    c = campaign(store)
    store.alerts.add_destination(c.id, Destination(
        name="email", url=mailbox.url("bot:${REMINDER_SMTP_PASSWORD}", "{contact}"), kinds=("reminder",)))
    event = store.plan.save_event(planner.Event(
        campaign_id=c.id, title="Read-in", starts_at=START.isoformat(), ends_at=(START + timedelta(hours=4)).isoformat(),
        timezone="Europe/London", location="Central Library", status="scheduled",
        needs=[planner.Need("bring water", 50, 12)]))
    volunteer = store.plan.save_volunteer(planner.Volunteer("Sam", contact="sam@example.org",
                                                                consent_at=SOON.isoformat()))
    store.plan.assign(volunteer.id, event_id=event.id, role="steward", status="accepted")
    assert run(store, SOON)[1].sent == 1
    text = mailbox.text(0)
    assert "You're signed up: Read-in (steward)" in text
    assert "Where: Central Library" in text and "Needed: bring water (12 of 50 pledged)" in text


def test_remind_dry_run_shows_what_would_go_and_sends_nothing(store, mailbox, db_path, monkeypatch):
    plan(store, mailbox)
    monkeypatch.setenv("GROUNDSWELL_NOW", SOON.isoformat())
    result = CliRunner().invoke(cli, ["remind", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "libraries signup to Priya (priya@example.org) via email: Flood the feed" in result.output
    assert "would send" in result.output and "Your words (post them yourself):" in result.output
    assert store.alerts.messages() == [] and mailbox.messages == []
    result = CliRunner().invoke(cli, ["remind"])
    assert result.exit_code == 0, result.output
    assert "queued" in result.output and "1 sent" in result.output
    assert len(mailbox.messages) == 1


def test_consent_withdrawn_after_queueing_stops_the_reminder(store, mailbox):
    _, _, volunteer, _ = plan(store, mailbox)
    with clock.pinned(SOON):
        reminders.queue(store, SOON)
        volunteer.consent_at = None
        store.plan.save_volunteer(volunteer)
        result = delivery.deliver(store, SOON)
    assert result.sent == 0 and mailbox.messages == []
    row = store.alerts.messages()[0]
    assert row["status"] == "skipped" and "withdrew consent" in row["last_error"]


def test_a_contact_url_with_a_secret_written_out_is_not_used(store):
    plan(store, contact="tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234567890/")
    queued, sent = run(store, SOON)
    assert sent.sent == 0 and all("secret written out" in r.skipped for r in queued)
