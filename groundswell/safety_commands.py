"""Commands of the safety desk: `correct`, `safety check|show|settings|audit|acknowledge`, `evidence export|verify`."""

from __future__ import annotations

import getpass
import hashlib
import json
from pathlib import Path

import click

from campaigns import clock, safety
from campaigns.corrections import TONES
from campaigns.errors import ValidationError
from campaigns.matching import normalise_account
from campaigns.model import SIDES, parse_when
from groundswell.context import Context, pass_context, table

WHO = click.option("--who", envvar="GROUNDSWELL_USER", default=lambda: getpass.getuser(), show_default="your login",
                   help="Who does this; it is recorded [env GROUNDSWELL_USER].")


def _campaign_of(store, uid: str, slug: str | None):
    """The campaign named, or the only one the post belongs to."""
    if slug:
        return store.campaign(slug)
    ids = store.campaigns_of(uid)
    if not ids:
        raise ValidationError(f"post {uid} is in no campaign (is the uid platform:id, e.g. x:1234?)")
    if len(ids) > 1:
        names = ", ".join(store.campaign_by_id(i).slug for i in ids)
        raise ValidationError(f"post {uid} is in several campaigns ({names}): say which with --campaign")
    return store.campaign_by_id(ids[0])


@click.command("correct")
@click.argument("uid")
@click.option("--campaign", "slug", help="The campaign whose numbers change [default: the post's only one].")
@click.option("--tone", type=click.Choice(TONES), help="The post's tone, whatever VADER said.")
@click.option("--side", type=click.Choice(SIDES), help="The post's side in the campaign, whatever the trackers said.")
@click.option("--verdict", type=click.Choice(["abusive", "not-abusive"]),
              help="A reviewer's verdict on the post's offensive language.")
@click.option("--note", default="", help="Why, for the record.")
@WHO
@pass_context
def correct(obj: Context, uid, slug, tone, side, verdict, note, who):
    """Correct a post's tone, side or offensive-language verdict; every number follows.

    The scorer's values are kept beside the correction, and collecting the post again does not
    undo it.

    Example: groundswell correct x:1900000000000000042 --campaign antisocial --tone negative
    """
    wanted = [(field, value) for field, value in (("tone", tone), ("side", side), ("verdict", verdict)) if value]
    if not wanted:
        raise ValidationError("say what to correct: --tone, --side or --verdict")
    store = obj.store
    campaign = _campaign_of(store, uid, slug)
    for field, value in wanted:
        done = store.correct(uid, campaign.id, field, value, who, note)
        overruled = "overrules the scorer" if done["new_value"] != done["scorer_value"] else "agrees with the scorer"
        click.echo(f"{field} of {uid} in {campaign.slug}: {_shown(done['old_value'])} -> {_shown(done['new_value'])}"
                   f" ({overruled}, which said {_shown(done['scorer_value'])}); by {done['who']}")


def _shown(value) -> str:
    return "n/a" if value is None else str(value).replace("_", " ")


@click.group("safety")
def safety_group():
    """The safety desk: pile-on checks, settings, the scorer measured on reviews, the audit log.

    Example: groundswell safety show --campaign councillor-watch
    """


@safety_group.command("check")
@click.option("--campaign", "slug", help="Only this campaign [default: every one that protects an account].")
@click.option("--all-history", is_flag=True, help="Look at every stored post, not the last 8 days.")
@pass_context
def safety_check(obj: Context, slug, all_history):
    """Look for pile-ons on protected accounts and raise one alert per episode (also run after every collection).

    Example: groundswell safety check --campaign councillor-watch
    """
    store = obj.store
    campaigns = [store.campaign(slug)] if slug else [c for c in store.campaigns(include_archived=False)
                                                     if safety.protected_trackers(c)]
    if not campaigns:
        click.echo("no campaign protects an account; add one with: groundswell campaign edit SLUG --protect @name")
        return
    for campaign in campaigns:
        if not safety.protected_trackers(campaign):
            click.echo(f"{campaign.slug}: protects no account")
            continue
        authors, minutes = safety.pile_on_rule(campaign)
        found = safety.check_pile_ons(store, campaign, everything=all_history)
        click.echo(f"{campaign.slug}: {len(found)} pile-on alert(s) raised or grown "
                   f"(rule: {authors} authors within {minutes} minutes)")
        for detail in found:
            click.echo(f"  {detail['summary']}")


@safety_group.command("show")
@click.option("--campaign", "slug", required=True)
@click.option("--days", default=30, show_default=True, help="How many days back the counts cover.")
@pass_context
def safety_show(obj: Context, slug, days):
    """Settings, mentions aimed at each protected account, open pile-ons, the scorer measured on reviews.

    Example: groundswell safety show --campaign councillor-watch --days 7
    """
    from datetime import timedelta

    from campaigns.model import iso_utc

    store = obj.store
    campaign = store.campaign(slug)
    threshold = safety.threshold_of(campaign)
    authors, minutes = safety.pile_on_rule(campaign)
    click.echo(f"{campaign.slug}: offensive language at {threshold:g} or more; pile-on: {authors} authors within "
               f"{minutes} minutes")
    click.echo("signposting: " + (campaign.safety.signposting or "none set (groundswell safety settings "
                                  f"{campaign.slug} --signposting TEXT)"))
    accounts = safety.protected_trackers(campaign)
    if not accounts:
        click.echo("protects no account; add one with: groundswell campaign edit SLUG --protect @name")
        return
    now = clock.now()
    totals = store.safety.aimed_totals(campaign.id, iso_utc(now - timedelta(days=days)), iso_utc(now), threshold)
    rows = [("account", "mentions aimed at it", "offensive", "reviewed", "authors")]
    by_tracker = {int(r.tracker_id): r for r in totals.itertuples()}
    for tracker_id, account in accounts.items():
        r = by_tracker.get(tracker_id)
        rows.append((account, *(f"{getattr(r, c):,}" if r is not None else "0"
                                for c in ("mentions", "offensive", "reviewed", "authors"))))
    click.echo(f"last {days} days:")
    table(rows)
    alerts = store.safety.pile_on_alerts(campaign.id)
    click.echo(f"open pile-on alerts: {len(alerts)}")
    for alert in alerts.itertuples():
        click.echo(f"  #{alert.id}: {alert.summary}")
    for name, measured in safety.measure(store.safety.reviews(campaign.id), threshold).items():
        click.echo(f"scorer {name} on {measured.reviewed} reviewed post(s): precision {_share(measured.precision)}"
                   f" ({measured.agreed} of {measured.flagged} flagged), recall {_share(measured.recall)}"
                   f" ({measured.agreed} of {measured.abusive} judged abusive)")
    overruled = store.overruled(campaign.id)
    click.echo("scorer overruled: " + ", ".join(f"{r.field} {r.overruled} of {r.corrected}"
                                                for r in overruled.itertuples()))


def _share(value) -> str:
    return "n/a" if value is None else f"{value:.0%}"


@safety_group.command("settings")
@click.argument("slug")
@click.option("--threshold", type=float, help="Offensive-language score that counts as offensive (0.1 to 1).")
@click.option("--pile-on-authors", type=int, help="Distinct authors that make a pile-on.")
@click.option("--pile-on-minutes", type=int, help="Within this many minutes.")
@click.option("--signposting", help="Where to report, who to call: shown on the Safety page (Markdown).")
@click.option("--signposting-file", type=click.Path(exists=True, dir_okay=False), help="The same, from a file.")
@click.option("--default", "defaults", multiple=True, type=click.Choice(["threshold", "pile-on", "signposting"]),
              help="Go back to the default for this setting (repeat).")
@WHO
@pass_context
def safety_settings(obj: Context, slug, threshold, pile_on_authors, pile_on_minutes, signposting, signposting_file,
                    defaults, who):
    """Set a campaign's offensive-language threshold, pile-on rule and signposting; audited.

    Example: groundswell safety settings councillor-watch --threshold 0.3 --pile-on-authors 4 --signposting "Call the members' support line: 01234 567890"
    """
    changes: dict = {}
    if threshold is not None:
        changes["offensive_threshold"] = threshold
    if pile_on_authors is not None:
        changes["pile_on_authors"] = pile_on_authors
    if pile_on_minutes is not None:
        changes["pile_on_minutes"] = pile_on_minutes
    if signposting_file:
        signposting = Path(signposting_file).read_text(encoding="utf-8")
    if signposting is not None:
        changes["signposting"] = signposting.strip()
    for name in defaults:
        if name == "threshold":
            changes["offensive_threshold"] = None
        elif name == "pile-on":
            changes.update(pile_on_authors=None, pile_on_minutes=None)
        else:
            changes["signposting"] = ""
    if not changes:
        raise ValidationError("nothing to change: give --threshold, --pile-on-authors, --pile-on-minutes, "
                              "--signposting or --default")
    after = obj.store.safety.set_settings(slug, who, **changes)
    campaign = obj.store.campaign(slug)
    authors, minutes = safety.pile_on_rule(campaign)
    click.echo(f"{slug}: offensive language at {safety.threshold_of(campaign):g}; pile-on {authors} authors within "
               f"{minutes} minutes; signposting {'set' if after.signposting else 'none'}")


@safety_group.command("audit")
@click.option("--campaign", "slug", help="Only this campaign's entries.")
@click.option("--limit", default=50, show_default=True)
@pass_context
def safety_audit(obj: Context, slug, limit):
    """The audit log, newest first: reveals of hidden text, evidence exports, acknowledgements, settings.

    Example: groundswell safety audit --campaign councillor-watch
    """
    store = obj.store
    campaign_id = store.campaign(slug).id if slug else None
    log = store.safety.audit_view(campaign_id, limit)
    if log.empty:
        click.echo("the audit log is empty")
        return
    table([("at (UTC)", "who", "what", "detail")] + [(r.at, r.who, r.what, r.detail[:80]) for r in log.itertuples()])


@safety_group.command("acknowledge")
@click.argument("alert_id", type=int)
@WHO
@pass_context
def safety_acknowledge(obj: Context, alert_id, who):
    """Acknowledge an alert: it leaves the open alerts on Overview and Safety; audited.

    Example: groundswell safety acknowledge 12
    """
    obj.store.safety.acknowledge(alert_id, who)
    click.echo(f"alert {alert_id} acknowledged by {who}")


@click.group("evidence")
def evidence_group():
    """Evidence of abuse for a platform, an institution or the police: files that verify.

    Example: groundswell evidence export --campaign councillor-watch --out evidence-2026-11
    """


@evidence_group.command("export")
@click.option("--campaign", "slug", required=True)
@click.option("--out", "folder", required=True, type=click.Path(file_okay=False), help="A new folder for the files.")
@click.option("--uid", "uids", multiple=True, help="A post to include (repeat); default: every offensive one chosen below.")
@click.option("--account", "accounts", multiple=True, help="Only mentions aimed at this protected account (repeat).")
@click.option("--since", help="From this date or time (campaign's time zone) [default: 30 days ago].")
@click.option("--until", help="Up to this date or time [default: now].")
@click.option("--include-unflagged", is_flag=True, help="Also mentions not scored or judged offensive.")
@WHO
@pass_context
def evidence_export(obj: Context, slug, folder, uids, accounts, since, until, include_unflagged, who):
    """Write chosen mentions as CSV and JSON with a manifest of SHA-256 digests; recorded in the audit log.

    Each record has the post's URL, time in UTC and in the campaign's zone, platform, author as
    stored, text, scores, verdict and who exported it.

    Example: groundswell evidence export --campaign councillor-watch --account @cllr_amina_khan --since 2026-11-01 --out evidence-khan
    """
    from datetime import timedelta

    from campaigns.model import iso_utc, to_datetime

    store = obj.store
    campaign = store.campaign(slug)
    if not uids:
        protected = safety.protected_trackers(campaign)
        names = {normalise_account(account): tracker_id for tracker_id, account in protected.items()}
        unknown = [a for a in accounts if normalise_account(a) not in names]
        if unknown:
            raise ValidationError(f"{slug} does not protect {', '.join(unknown)} (it protects "
                                  f"{', '.join(protected.values()) or 'no account'})")
        tracker_ids = [names[normalise_account(a)] for a in accounts]
        end = to_datetime(parse_when(until, campaign.timezone), campaign.timezone, end_of_day=True) if until \
            else clock.now()
        start = to_datetime(parse_when(since, campaign.timezone), campaign.timezone) if since \
            else end - timedelta(days=30)
        chosen = store.safety.aimed_mentions(
            campaign.id, iso_utc(start), iso_utc(end), tracker_ids=tracker_ids,
            min_score=None if include_unflagged else safety.threshold_of(campaign), limit=100_000)
        uids = list(reversed(chosen["uid"].tolist()))
    if not uids:
        raise ValidationError("no mentions to export for this choice (try --include-unflagged or a longer --since)")
    exported_at = clock.now_iso()
    records = safety.evidence_records(store.safety.evidence_rows(campaign.id, list(uids)), campaign, who, exported_at)
    files = safety.evidence_files(records, campaign, who, exported_at)
    written = safety.write_evidence(folder, files)
    manifest_sha = hashlib.sha256(files[safety.MANIFEST]).hexdigest()
    store.safety.log_export(campaign.id, who, {"campaign": slug, "folder": str(Path(written).resolve()),
                                               "records": len(records), "manifest_sha256": manifest_sha,
                                               "uids": list(uids)})
    click.echo(f"wrote {len(records)} record(s) to {written}/ (evidence.csv, evidence.json, manifest.json); "
               f"manifest SHA-256 {manifest_sha}, recorded in the audit log")


@evidence_group.command("verify")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
def evidence_verify(folder):
    """Check an evidence folder against its manifest; any changed byte fails.

    Example: groundswell evidence verify evidence-khan
    """
    problems = safety.verify_evidence(folder)
    if problems:
        for problem in problems:
            click.echo(f"FAILED {problem}", err=True)
        raise click.ClickException(f"{folder} does not verify ({len(problems)} problem(s))")
    manifest = json.loads((Path(folder) / safety.MANIFEST).read_text(encoding="utf-8"))
    click.echo(f"{folder}: verified, {manifest['records']} record(s) exported by {manifest['exported_by']} "
               f"at {manifest['exported_at']}")


COMMANDS = [correct, safety_group, evidence_group]
