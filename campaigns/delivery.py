"""The outbox: alerts and reminders queued per destination, quiet hours and digests, sent once through Apprise.

At most once. A message is claimed (status `sending`) in one transaction before it is sent,
and marked sent or failed in the transaction that records the attempt. A failure Apprise
reports (refused connection, an error status, a server that said no) is retried with backoff,
since nothing was delivered. A process that stops between sending and recording leaves the
message `sending`; it may have been delivered, so it becomes `unconfirmed` and is never sent
again by itself (`groundswell alerts resend ID` does it when a person decides). A read timeout is
treated the same way: the other end may have taken the message. We chose this over
at-least-once because a duplicated alert at 3 a.m. or a twice-sent reminder cannot be taken
back, while a message that did not arrive still leaves its alert open on the dashboard.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from campaigns import alerts as alert_rules
from campaigns import clock, reminders
from campaigns.alert_settings import Destination, redact, resolve
from campaigns.errors import GroundswellError
from campaigns.model import iso_utc, to_datetime
from campaigns.settings import load_dotenv_file

DEFAULT_DASHBOARD_URL = "http://127.0.0.1:8501"
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
# A send takes seconds (Apprise's own timeouts); a claim this old belongs to a process that stopped.
CLAIM_EXPIRES = timedelta(minutes=10)
# An alert found more than this long after its episode began is shown, not sent (a first check
# on a database full of last month's data must not send last month's spikes).
STALE = timedelta(days=1)
# How far back alerts are looked at for queueing (each is queued once; older ones were queued or stale).
QUEUE_WINDOW = timedelta(days=2)


def dashboard_url(environ=None) -> str:
    environ = os.environ if environ is None else environ
    return (environ.get("GROUNDSWELL_DASHBOARD_URL") or DEFAULT_DASHBOARD_URL).rstrip("/")


class DestinationGone(GroundswellError):
    """A destination removed after a message for it was queued: nothing left to send it to."""


@dataclass
class SendResult:
    ok: bool
    error: str | None = None
    maybe_delivered: bool = False   # the other end may have the message although the send failed
    permanent: bool = False         # retrying cannot help (a URL Apprise cannot read)
    skip: bool = False              # not to be sent any more (a volunteer withdrew consent)


Sender = Callable[[str, str, str, list[Path]], SendResult]


def apprise_send(url: str, title: str, body: str, attachments: list[Path]) -> SendResult:
    """Send one message through Apprise; its warnings become the error recorded."""
    import logging

    import apprise

    notifier = apprise.Apprise()
    if not notifier.add(url):
        return SendResult(False, "Apprise cannot read this URL (check its scheme and parts)", permanent=True)
    attach = apprise.AppriseAttachment()
    for path in attachments:
        attach.add(str(path))
    with apprise.LogCapture(level=logging.DEBUG) as captured:
        sent = notifier.notify(body=body, title=title, attach=attach if attachments else None,
                               body_format=apprise.NotifyFormat.TEXT)
    log = captured.getvalue()
    if sent:
        return SendResult(True)
    problems = [line.split(" - ", 2)[-1].strip() for line in log.splitlines() if " - WARNING - " in line
                or " - ERROR - " in line]
    return SendResult(False, "; ".join(dict.fromkeys(problems))[:1000] or "Apprise could not send the message",
                      maybe_delivered=bool(re.search(r"read timed out", log, re.IGNORECASE)))


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes after each failed attempt, at most six hours."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LONGEST_RETRY)


# -- queueing ------------------------------------------------------------------------------

def queue_alerts(store, now: datetime | None = None, environ=None) -> int:
    """Queue each open alert for every destination of its campaign that takes its kind, once:
    urgent kinds at once, the rest at once or into the digest after quiet hours."""
    now = now or clock.now()
    url = dashboard_url(environ)
    queued = 0
    store.alerts.stamp_unseen()
    for campaign in store.campaigns():
        for destination in store.alerts.destinations(campaign.id):
            if destination.for_reminders:
                continue
            since = max(to_datetime(destination.created_at or iso_utc(now)), now - QUEUE_WINDOW)
            for alert in store.alerts.alerts_without_message(campaign.id, destination.name, iso_utc(since)):
                if not destination.takes(alert["kind"]):
                    continue
                queued += queue_alert(store, campaign, destination, alert, now, url)
    return queued


def queue_alert(store, campaign, destination: Destination, alert: dict, now: datetime, url: str) -> int:
    mode, due = destination.schedule(alert["kind"], now)
    title, body = alert_rules.render(store, alert, campaign, destination.timezone, url)
    raised = to_datetime(alert.get("raised_at") or alert["at"])
    stale = to_datetime(alert["at"]) < raised - STALE and alert["kind"] != "pile_on"
    # A stale alert is recorded as skipped, so it is not looked at again, with the reason, so
    # nobody wonders where it went.
    added = store.alerts.enqueue(
        campaign_id=campaign.id, destination=destination.name, message_key=f"alert:{alert['id']}",
        kind=alert["kind"], title=title, body=body, due_at=iso_utc(due), mode=mode,
        urgent=destination.is_urgent(alert["kind"]), alert_id=alert["id"],
        status="skipped" if stale else "pending",
        note="not sent: the episode began more than a day before it was found; see the dashboard" if stale else None)
    return int(added and not stale)


# -- sending -------------------------------------------------------------------------------

@dataclass
class Delivery:
    """What one pass of the outbox did."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0
    unconfirmed: int = 0
    lines: list[str] = field(default_factory=list)


def deliver(store, now: datetime | None = None, *, send: Sender = apprise_send, environ=None) -> Delivery:
    """Send every message whose time has come: one at a time, or a destination's waiting ones as one digest."""
    now = now or clock.now()
    if environ is None:
        # Read at send time, so a secret put in .env after the scheduler started is found.
        load_dotenv_file()
        environ = os.environ
    result = Delivery()
    result.unconfirmed += store.alerts.abandon_stale_claims(iso_utc(now - CLAIM_EXPIRES))
    due = store.alerts.due(iso_utc(now))
    digests: dict[tuple[int, str], list[dict]] = {}
    batches: list[list[dict]] = []
    for row in due:
        if row["mode"] == "digest":
            digests.setdefault((row["campaign_id"], row["destination"]), []).append(row)
        else:
            batches.append([row])
    batches += list(digests.values())
    for batch in batches:
        claimed = store.alerts.claim([row["id"] for row in batch])
        if claimed:
            _send_batch(store, claimed, now, send, environ, result)
    return result


def _send_batch(store, rows: list[dict], now: datetime, send: Sender, environ, result: Delivery) -> None:
    first = rows[0]
    campaign = store.campaign_by_id(first["campaign_id"])
    ids = [row["id"] for row in rows]
    if len(rows) == 1:
        title, body = first["title"], first["body"]
    else:
        title = f"Groundswell digest: {len(rows)} alerts for {campaign.name}"
        body = "\n\n".join([f"{len(rows)} alerts for {campaign.name} ({campaign.slug}) waited for quiet hours "
                            "or the digest:"] + [f"{i}. {row['body']}" for i, row in enumerate(rows, start=1)])
    url_template = ""
    with tempfile.TemporaryDirectory(prefix="groundswell-") as folder:
        try:
            url_template, url, attachments = _address(store, first, campaign, environ, Path(folder))
            outcome = send(url, title, body, attachments)
        except reminders.NotReachable as error:
            outcome = SendResult(False, str(error), skip=True)
        except DestinationGone as error:
            outcome = SendResult(False, str(error), permanent=True)
        except GroundswellError as error:
            outcome = SendResult(False, str(error))
        except Exception as error:  # noqa: BLE001 - a failing service must not stop the others' messages
            outcome = SendResult(False, f"{type(error).__name__}: {error}")
    error = redact(outcome.error or "", url_template, environ) or None
    attempts = max(row["attempts"] for row in rows)
    label = f"{campaign.slug} -> {first['destination']}: {len(rows)} message(s)"
    if outcome.ok:
        store.alerts.record_attempt(ids, ok=True, error=None, status="sent")
        result.sent += len(rows)
        result.lines.append(f"{label} sent")
    elif outcome.skip:
        store.alerts.record_attempt(ids, ok=False, error=error, status="skipped")
        result.lines.append(f"{label} skipped: {error}")
    elif outcome.maybe_delivered:
        store.alerts.record_attempt(ids, ok=False, error=error, status="unconfirmed")
        result.unconfirmed += len(rows)
        result.lines.append(f"{label} unconfirmed (may have arrived; not resent): {error}")
    elif outcome.permanent or attempts >= MAX_ATTEMPTS:
        store.alerts.record_attempt(ids, ok=False, error=error, status="failed")
        result.failed += len(rows)
        result.lines.append(f"{label} failed after {attempts} attempt(s): {error}")
    else:
        retry_at = iso_utc(now + backoff(attempts))
        store.alerts.record_attempt(ids, ok=False, error=error, status="pending", retry_at=retry_at)
        result.retrying += len(rows)
        result.lines.append(f"{label} failed, retrying at {retry_at}: {error}")


def _address(store, row: dict, campaign, environ, folder: Path) -> tuple[str, str, list[Path]]:
    """(the URL as stored, the URL resolved for sending, attachments) for an outbox row."""
    if row["kind"] == "reminder":
        return reminders.address(store, row, campaign, environ, folder)
    try:
        destination = store.alerts.destination(campaign.id, row["destination"])
    except GroundswellError:
        raise DestinationGone(f"destination '{row['destination']}' was removed after this was queued") from None
    return destination.url, resolve(destination.url, environ), []
