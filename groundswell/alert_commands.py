"""Alert commands: check, list, ack, the outbox and its destinations, thresholds, and volunteer reminders."""

from __future__ import annotations

import getpass
import os

import click

from campaigns import alerts as alert_rules
from campaigns import clock, delivery, reminders
from campaigns.alert_settings import (
    ALERT_KINDS,
    DEFAULTS,
    DIGESTS,
    KINDS,
    Destination,
    Rules,
    parse_quiet_hours,
    placeholders,
)
from campaigns.errors import ValidationError
from campaigns.model import Campaign
from groundswell.context import Context, pass_context, table

campaign_option = click.option("--campaign", "slug", help="Campaign slug [default: the only campaign].")


def _campaign(obj: Context, slug: str | None) -> Campaign:
    if slug:
        return obj.store.campaign(slug)
    campaigns = obj.store.campaigns()
    if len(campaigns) == 1:
        return campaigns[0]
    if not campaigns:
        raise ValidationError("no campaigns yet; add one with: groundswell campaign add")
    raise ValidationError("several campaigns: say which with --campaign SLUG")


def _echo_delivery(result: delivery.Delivery) -> None:
    for line in result.lines:
        click.echo(f"outbox: {line}")
    if result.sent or result.failed or result.retrying or result.unconfirmed:
        click.echo(f"outbox: {result.sent} sent, {result.retrying} to retry, {result.failed} failed, "
                   f"{result.unconfirmed} unconfirmed")


@click.group("alerts")
def alerts_group():
    """Alerts: spikes, the opposing side overtaking, tone drops, pile-ons, failing sources, goals.

    Example: groundswell alerts check
    """


@alerts_group.command("check")
@campaign_option
@click.option("--no-send", is_flag=True, help="Raise and queue alerts, send nothing now.")
@pass_context
def alerts_check(obj: Context, slug, no_send):
    """Look for new episodes now, store each once, queue them for their destinations and send what is due.

    The scheduler does this after every collection run; checking again never duplicates an alert.

    Example: groundswell alerts check --campaign libraries
    """
    from collectors import alerting

    store = obj.store
    campaigns = [store.campaign(slug)] if slug else None
    raised = alerting.check(store, obj.settings, campaigns)
    names = {c.id: c.slug for c in store.campaigns()}
    for alert in raised:
        click.echo(f"new alert {alert['id']} {names.get(alert['campaign_id'])} {alert['kind']}: "
                   f"{alert_rules.without_authors(store, alert['campaign_id'], alert['detail'])}")
    click.echo(f"{len(raised)} new alert(s); {len(store.alerts.list(open_only=True, limit=10_000))} open")
    if not no_send:
        _echo_delivery(delivery.deliver(store))


@alerts_group.command("list")
@campaign_option
@click.option("--all", "show_all", is_flag=True, help="Acknowledged alerts too.")
@click.option("--limit", default=50, show_default=True)
@pass_context
def alerts_list(obj: Context, slug, show_all, limit):
    """List open alerts, newest first (--all: acknowledged ones too, with who and when).

    Example: groundswell alerts list --all
    """
    store = obj.store
    campaign_id = store.campaign(slug).id if slug else None
    rows = store.alerts.list(campaign_id, open_only=not show_all, limit=limit)
    if not rows:
        click.echo("no open alerts" if not show_all else "no alerts")
        return
    names = {c.id: c.slug for c in store.campaigns()}
    lines = [("id", "campaign", "kind", "began", "acknowledged", "detail")]
    for row in rows:
        seen = f"{row['acknowledged_at']} by {row['acknowledged_by']}" if row["acknowledged_at"] else ""
        detail = alert_rules.without_authors(store, row["campaign_id"], alert_rules.pile_on_detail(row)
                                             if row["kind"] == "pile_on" else row["detail"])
        lines.append((str(row["id"]), names.get(row["campaign_id"], "?"), row["kind"], row["at"], seen,
                      detail[:120]))
    table(lines)


@alerts_group.command("ack")
@click.argument("alert_ids", nargs=-1, type=int, required=True)
@click.option("--by", "who", help="Who acknowledges [default: your user name].")
@pass_context
def alerts_ack(obj: Context, alert_ids, who):
    """Acknowledge alerts: they leave the Overview, and whatever of them still waits is not sent.

    Example: groundswell alerts ack 12 --by Amina
    """
    who = who or os.environ.get("GROUNDSWELL_USER") or getpass.getuser()
    for alert_id in alert_ids:
        alert, changed = obj.store.alerts.acknowledge(alert_id, who)
        if changed:
            click.echo(f"alert {alert_id} acknowledged by {alert['acknowledged_by']} at {alert['acknowledged_at']}")
        else:
            click.echo(f"alert {alert_id} was acknowledged already, by {alert['acknowledged_by']} at "
                       f"{alert['acknowledged_at']}")


@alerts_group.command("send")
@pass_context
def alerts_send(obj: Context):
    """Queue new alerts and due reminders, then send every message whose time has come.

    Example: groundswell alerts send
    """
    delivery.queue_alerts(obj.store)
    reminders.queue(obj.store)
    result = delivery.deliver(obj.store)
    _echo_delivery(result)
    if not result.lines:
        click.echo("nothing due")


@alerts_group.command("outbox")
@campaign_option
@click.option("--status", type=click.Choice(["pending", "sending", "sent", "failed", "unconfirmed", "skipped"]))
@click.option("--limit", default=30, show_default=True)
@pass_context
def alerts_outbox(obj: Context, slug, status, limit):
    """The messages queued and sent, with their attempts: what went where, and what failed and why.

    Example: groundswell alerts outbox --status failed
    """
    store = obj.store
    campaign_id = store.campaign(slug).id if slug else None
    rows = store.alerts.messages(status=status, campaign_id=campaign_id, limit=limit)
    if not rows:
        click.echo("the outbox is empty")
        return
    lines = [("id", "destination", "kind", "what", "status", "due", "attempts", "sent", "last error")]
    for row in rows:
        lines.append((str(row["id"]), row["destination"], row["kind"], row["message_key"], row["status"],
                      row["due_at"], str(row["attempts"]), row["sent_at"] or "", (row["last_error"] or "")[:80]))
    table(lines)


@alerts_group.command("resend")
@click.argument("message_id", type=int)
@pass_context
def alerts_resend(obj: Context, message_id):
    """Send a failed, unconfirmed or skipped message again (never done by itself: it may have arrived).

    Example: groundswell alerts resend 7
    """
    row = obj.store.alerts.requeue(message_id)
    click.echo(f"message {message_id} to {row['destination']} queued again")
    _echo_delivery(delivery.deliver(obj.store))


@alerts_group.command("rules")
@campaign_option
@click.option("--share-of-voice-below", type=float, help=f"Overtaking: our 24-hour share under this [{DEFAULTS['share_of_voice_below']}].")
@click.option("--opposing-rate-factor", type=float, help=f"Overtaking: the opposing 24 hours at this multiple of its daily baseline [{DEFAULTS['opposing_rate_factor']}].")
@click.option("--tone-drop", type=float, help=f"Tone drop: our 24-hour net sentiment this far under the week before [{DEFAULTS['tone_drop']}].")
@click.option("--failing-runs", type=int, help=f"Source failing: this many runs in a row ended in error [{DEFAULTS['failing_runs']}].")
@click.option("--budget-warning", type=float, help=f"Source failing: this share of the monthly post budget used [{DEFAULTS['budget_warning']}].")
@pass_context
def alerts_rules(obj: Context, slug, **values):
    """Show a campaign's alert thresholds, or change those given.

    Example: groundswell alerts rules --campaign libraries --share-of-voice-below 0.4
    """
    campaign = _campaign(obj, slug)
    current = obj.store.alerts.rules(campaign.id)
    given = {name: value for name, value in values.items() if value is not None}
    if given:
        current = Rules(**{**{n: getattr(current, n) for n in DEFAULTS}, **given}).validate()
        obj.store.alerts.save_rules(campaign.id, current)
    lines = [("threshold", "value", "")]
    for name in DEFAULTS:
        own = getattr(current, name)
        lines.append((name, str(current.value(name)), "" if own is not None else "(default)"))
    table(lines)


@alerts_group.group("destination")
def destination_group():
    """Where a campaign's alerts and reminders go: Apprise URLs, kinds, urgency, quiet hours, digests.

    Example: groundswell alerts destination list
    """


@destination_group.command("add")
@click.argument("name")
@click.argument("url")
@campaign_option
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS),
              help="A kind it takes (repeat) [default: every alert kind]; 'reminder' for volunteers' reminders.")
@click.option("--urgent", multiple=True, type=click.Choice(ALERT_KINDS),
              help="A kind sent at once even in quiet hours (repeat) [default: pile_on].")
@click.option("--quiet-hours", help="HH:MM-HH:MM in the destination's time zone, e.g. 22:00-07:00.")
@click.option("--timezone", default="UTC", show_default=True, help="The destination's IANA time zone.")
@click.option("--digest", type=click.Choice(DIGESTS), default="none", show_default=True,
              help="Send non-urgent alerts as one daily or weekly digest instead of one by one.")
@click.option("--digest-at", default="08:00", show_default=True, help="When the digest goes (local time).")
@click.option("--replace", is_flag=True, help="Replace a destination of the same name.")
@pass_context
def destination_add(obj: Context, name, url, slug, kinds, urgent, quiet_hours, timezone, digest, digest_at, replace):
    """Add a destination: an Apprise URL whose secrets are ${VAR} placeholders read from the environment or .env.

    Example: groundswell alerts destination add team 'mailtos://alerts:${SMTP_PASSWORD}@smtp.example.org?to=team@example.org' --quiet-hours 22:00-07:00 --timezone Europe/London
    """
    campaign = _campaign(obj, slug)
    destination = Destination(
        name=name, url=url, kinds=tuple(kinds) or (("reminder",) if "{contact}" in url else ALERT_KINDS),
        urgent=tuple(urgent) or ("pile_on",), quiet_hours=parse_quiet_hours(quiet_hours), timezone=timezone,
        digest=digest, digest_at=digest_at)
    saved = obj.store.alerts.add_destination(campaign.id, destination, replace=replace)
    click.echo(f"destination {saved.name} for {campaign.slug}: {', '.join(saved.kinds)}")
    missing = [v for v in placeholders(saved.url) if not os.environ.get(v)]
    if missing:
        click.echo(f"set {', '.join(missing)} in the environment or .env before anything can be sent there")


@destination_group.command("list")
@campaign_option
@pass_context
def destination_list(obj: Context, slug):
    """List a campaign's destinations (URLs as stored: placeholders, never secrets).

    Example: groundswell alerts destination list --campaign libraries
    """
    campaign = _campaign(obj, slug)
    found = obj.store.alerts.destinations(campaign.id)
    if not found:
        click.echo(f"{campaign.slug} has no destinations; add one with: groundswell alerts destination add")
        return
    lines = [("name", "url", "kinds", "urgent", "quiet hours", "digest")]
    for d in found:
        quiet = f"{'-'.join(d.quiet_hours)} {d.timezone}" if d.quiet_hours else ""
        lines.append((d.name, d.url, ",".join(d.kinds), ",".join(d.urgent), quiet,
                      "" if d.digest == "none" else f"{d.digest} at {d.digest_at} {d.timezone}"))
    table(lines)


@destination_group.command("remove")
@click.argument("name")
@campaign_option
@pass_context
def destination_remove(obj: Context, name, slug):
    """Remove a destination; what it already sent stays in the outbox's record.

    Example: groundswell alerts destination remove team --campaign libraries
    """
    campaign = _campaign(obj, slug)
    obj.store.alerts.remove_destination(campaign.id, name)
    click.echo(f"removed destination {name} from {campaign.slug}")


@destination_group.command("test")
@click.argument("name")
@campaign_option
@pass_context
def destination_test(obj: Context, name, slug):
    """Send a test message to a destination now (not through the outbox).

    Example: groundswell alerts destination test team
    """
    from campaigns.alert_settings import redact, resolve

    campaign = _campaign(obj, slug)
    destination = obj.store.alerts.destination(campaign.id, name)
    if destination.for_reminders:
        raise ValidationError("a reminder destination needs a volunteer's contact; try: groundswell remind --dry-run")
    outcome = delivery.apprise_send(resolve(destination.url), f"Groundswell test: {campaign.name}",
                                    f"A test message for {campaign.name} ({campaign.slug}) to '{name}', sent "
                                    f"{clock.now_iso()}.\n{delivery.dashboard_url()}", [])
    if not outcome.ok:
        raise ValidationError(f"could not send to {name}: {redact(outcome.error or '', destination.url)}")
    click.echo(f"sent a test message to {name}")


@click.command("remind")
@click.option("--dry-run", is_flag=True, help="Show what would go out now; queue and send nothing.")
@pass_context
def remind(obj: Context, dry_run):
    """Remind volunteers of what they signed up for: on sign-up, the day before and an hour before.

    Only volunteers who consented and gave a contact; each reminder carries their wording, the share
    links and the calendar file. Nothing is ever posted on a platform. The scheduler does this too.

    Example: groundswell remind --dry-run
    """
    store = obj.store
    found = reminders.pending(store) if dry_run else reminders.queue(store)
    if not found:
        click.echo("no reminders due")
    for reminder in found:
        where = reminder.destination or "nowhere"
        state = f"not sent: {reminder.skipped}" if reminder.skipped else ("would send" if dry_run else "queued")
        click.echo(f"{reminder.campaign.slug} {reminder.which} to {reminder.volunteer.display_name} "
                   f"({reminder.volunteer.contact or 'no contact'}) via {where}: {reminder.title} at "
                   f"{reminder.starts_at}; {state}")
        if dry_run and not reminder.skipped:
            click.echo("  " + reminder.body.replace("\n", "\n  "))
    if not dry_run:
        _echo_delivery(delivery.deliver(store))


COMMANDS = (alerts_group, remind)
