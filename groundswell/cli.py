"""The `groundswell` command line: every command, with errors as one line and exit code 1."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

import click

from campaigns import clock
from campaigns.campaign_file import EXAMPLE, dump_campaigns, load_campaigns
from campaigns.errors import UnknownCampaign, ValidationError
from campaigns.model import Campaign, Tracker, classify_term, parse_timezone, parse_when, term_of
from campaigns.settings import load_dotenv_file
from campaigns.store import BULK_BATCH, Store
from groundswell.alert_commands import COMMANDS as ALERT_COMMANDS
from groundswell.collect_commands import collect, schedule, up
from groundswell.context import Context, GroundswellGroup, pass_context, run_dashboard, table
from groundswell.planner_commands import COMMANDS as PLANNER_COMMANDS
from groundswell.posts_commands import COMMANDS as POSTS_COMMANDS
from groundswell.privacy_commands import COMMANDS as PRIVACY_COMMANDS
from groundswell.report_commands import report
from groundswell.safety_commands import COMMANDS as SAFETY_COMMANDS
from groundswell.user_commands import COMMANDS as USER_COMMANDS


@click.group(cls=GroundswellGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="GROUNDSWELL_DB", metavar="PATH",
              help="SQLite database file [env GROUNDSWELL_DB; default ./groundswell.db]; also accepted after "
                   "any command. Only init and demo create it.")
@click.version_option(package_name="groundswell")
@click.pass_context
def cli(ctx, db):
    """Groundswell: campaign coordination and social listening for advocacy groups.

    Example: groundswell demo
    """
    ctx.obj = Context(db)


# -- init ------------------------------------------------------------------------------------

@cli.command()
@click.option("--campaigns-file", default="campaigns.yaml", show_default=True, type=click.Path(dir_okay=False),
              help="Where to write an example campaigns file if none exists.")
@pass_context
def init(obj: Context, campaigns_file):
    """Create or migrate the database and write an example campaigns file.

    Running it again changes nothing. With GROUNDSWELL_PSEUDONYMIZE=1 and no key yet, it makes
    the pseudonym key file (GROUNDSWELL_PSEUDONYM_KEY_FILE) and says where: keep it, since every
    pseudonym and sealed link depends on it.

    Example: groundswell --db campaign.db init
    """
    made = obj.settings.create_pseudonym_key()
    if made:
        click.echo(f"made the pseudonym key {made} (mode 0600): keep it and back it up apart from the "
                   "database; without it pseudonyms cannot be matched again and sealed links stay shut")
    store = obj.creating_store()
    applied = store.applied_migrations
    click.echo(f"database {store.path}: schema current" + (f" (applied {', '.join(applied)})" if applied else ""))
    path = Path(campaigns_file)
    if path.exists():
        click.echo(f"{path} exists; left as it is")
    else:
        path.write_text(EXAMPLE, encoding="utf-8")
        click.echo(f"wrote an example {path}; load it with: groundswell campaign import {path}")


# -- campaigns -------------------------------------------------------------------------------

@cli.group()
def campaign():
    """Define campaigns: what they track, when, and what they aim for.

    Example: groundswell campaign import campaigns.yaml
    """


def _terms(side: str, terms) -> list[Tracker]:
    return [Tracker(*classify_term(term), side=side) for term in terms]


def _positive(value, label):
    if value is not None and value <= 0:
        raise ValidationError(f"{label} must be a positive whole number")
    return value


@campaign.command("add")
@click.argument("slug")
@click.option("--name", required=True, help="Display name.")
@click.option("--description", default="")
@click.option("--starts", default=None, help="Date or ISO timestamp [default: today].")
@click.option("--ends", default=None, help="Date or ISO timestamp.")
@click.option("--timezone", default="UTC", show_default=True, help="IANA time zone.")
@click.option("--goal-mentions", type=int)
@click.option("--goal-reach", type=int)
@click.option("--retention-days", type=int)
@click.option("--platform", "platforms", multiple=True, help="Limit to a platform (repeat); default all.")
@click.option("--ours", multiple=True, help="A term on our side (#tag, @account or phrase; repeat).")
@click.option("--opposing", multiple=True, help="A term of the opposing narrative (repeat).")
@click.option("--monitor", multiple=True, help="A term to watch (repeat).")
@click.option("--protect", multiple=True, help="An account to protect from pile-ons (repeat).")
@click.option("--exclude", multiple=True, help="Drop posts containing this term (repeat).")
@click.option("--feed", "feeds", multiple=True, help="An RSS / news feed URL (repeat).")
@pass_context
def campaign_add(obj: Context, slug, name, description, starts, ends, timezone, goal_mentions, goal_reach,
                 retention_days, platforms, ours, opposing, monitor, protect, exclude, feeds):
    """Add a campaign.

    Example: groundswell campaign add antisocial --name "#AntiSocialMedia" --ours "#AntiSocialMedia" --opposing "#FreeSpeechSU" --protect @nusuk
    """
    store = obj.store
    try:
        store.campaign(slug)
    except UnknownCampaign:
        pass
    else:
        raise ValidationError(f"campaign '{slug}' exists; change it with: groundswell campaign edit {slug}")
    timezone = parse_timezone(timezone)
    new = Campaign(
        slug=slug, name=name, description=description,
        starts_at=parse_when(starts or clock.now().date(), timezone),
        ends_at=parse_when(ends, timezone) if ends else None, timezone=timezone,
        goal_mentions=_positive(goal_mentions, "--goal-mentions"), goal_reach=_positive(goal_reach, "--goal-reach"),
        retention_days=_positive(retention_days, "--retention-days"), platforms=list(platforms),
        exclude=list(exclude), feeds=list(feeds),
        trackers=_terms("ours", ours) + _terms("opposing", opposing) + _terms("monitor", monitor)
        + _terms("protect", protect),
    )
    saved = store.save_campaign(new)
    click.echo(f"added campaign {saved.slug} with {len(saved.trackers)} tracker(s)")
    _hint_rematch(store, [saved.slug])


@campaign.command("edit")
@click.argument("slug")
@click.option("--name")
@click.option("--description")
@click.option("--status", type=click.Choice(["draft", "active", "paused", "won", "lost", "archived"]))
@click.option("--starts")
@click.option("--ends", help="Date or ISO timestamp; 'none' removes the end.")
@click.option("--timezone")
@click.option("--goal-mentions", type=int)
@click.option("--goal-reach", type=int)
@click.option("--retention-days", type=int)
@click.option("--ours", multiple=True, help="Add a term on our side (repeat).")
@click.option("--opposing", multiple=True, help="Add a term of the opposing narrative (repeat).")
@click.option("--monitor", multiple=True, help="Add a term to watch (repeat).")
@click.option("--protect", multiple=True, help="Add an account to protect (repeat).")
@click.option("--remove", multiple=True, help="Remove a term from whichever side has it (repeat).")
@click.option("--exclude", multiple=True, help="Add an exclusion (repeat).")
@pass_context
def campaign_edit(obj: Context, slug, name, description, status, starts, ends, timezone, goal_mentions,
                  goal_reach, retention_days, ours, opposing, monitor, protect, remove, exclude):
    """Change a campaign; only the options given change.

    Example: groundswell campaign edit antisocial --status paused --ours "#LoveSUs" --remove "yik yak"
    """
    store = obj.store
    current = store.campaign(slug)
    if timezone:
        current.timezone = parse_timezone(timezone)
    for attribute, value in (("name", name), ("description", description), ("status", status)):
        if value is not None:
            setattr(current, attribute, value)
    if starts:
        current.starts_at = parse_when(starts, current.timezone)
    if ends:
        current.ends_at = None if ends.lower() == "none" else parse_when(ends, current.timezone)
    if goal_mentions is not None:
        current.goal_mentions = _positive(goal_mentions, "--goal-mentions")
    if goal_reach is not None:
        current.goal_reach = _positive(goal_reach, "--goal-reach")
    if retention_days is not None:
        current.retention_days = _positive(retention_days, "--retention-days")
    removing = {classify_term(term) for term in remove}
    missing = removing - {(t.kind, t.value) for t in current.trackers}
    if missing:
        raise ValidationError(f"campaign '{slug}' does not track {', '.join(term_of(*m) for m in missing)}")
    current.trackers = [t for t in current.trackers if (t.kind, t.value) not in removing]
    current.trackers += _terms("ours", ours) + _terms("opposing", opposing) + _terms("monitor", monitor) \
        + _terms("protect", protect)
    current.exclude += [term for term in exclude if term not in current.exclude]
    store.save_campaign(current)
    click.echo(f"updated campaign {slug}")


@campaign.command("list")
@pass_context
def campaign_list(obj: Context):
    """List campaigns with their status and how many mentions each has matched.

    Example: groundswell campaign list
    """
    store = obj.store
    campaigns = store.campaigns()
    if not campaigns:
        click.echo("no campaigns yet; add one with: groundswell campaign import campaigns.yaml")
        return
    counts = store.reads.mentions_by_campaign()
    rows = [("slug", "name", "status", "trackers", "mentions")]
    for c in campaigns:
        label = c.name + (" (demo)" if c.is_demo else "")
        rows.append((c.slug, label, c.status, str(len(c.trackers)), f"{counts.get(c.id, 0):,}"))
    table(rows)


@campaign.command("show")
@click.argument("slug")
@pass_context
def campaign_show(obj: Context, slug):
    """Show one campaign as it would be written in a campaigns file, with its totals.

    Example: groundswell campaign show antisocial
    """
    store = obj.store
    found = store.campaign(slug)
    click.echo(dump_campaigns([found]).rstrip())
    mentions = store.reads.campaign_totals(found.id)
    first, last = store.reads.data_bounds(found.id)
    click.echo(f"# {mentions:,} mentions matched" + (f", {first[:10]} to {last[:10]}" if mentions else ""))


@campaign.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@pass_context
def campaign_import(obj: Context, file):
    """Load campaigns from a YAML file; a campaign with an existing slug is replaced.

    The whole file is checked before anything is written.

    Example: groundswell campaign import campaigns.yaml
    """
    campaigns = load_campaigns(file)
    store = obj.store
    existing = {c.slug for c in store.campaigns()}
    for c in campaigns:
        store.save_campaign(c)
    added = sum(c.slug not in existing for c in campaigns)
    click.echo(f"imported {len(campaigns)} campaign(s): {added} added, {len(campaigns) - added} updated")
    _hint_rematch(store, [c.slug for c in campaigns])


@campaign.command("export")
@click.argument("slugs", nargs=-1)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file instead of standard output.")
@pass_context
def campaign_export(obj: Context, slugs, output):
    """Write campaigns as YAML; importing the result gives the same campaigns back.

    Example: groundswell campaign export antisocial -o campaigns.yaml
    """
    store = obj.store
    campaigns = [store.campaign(s) for s in slugs] if slugs else store.campaigns()
    text = dump_campaigns(campaigns)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(campaigns)} campaign(s) to {output}")
    else:
        click.echo(text, nl=False)


@campaign.command("rematch")
@click.argument("slug")
@pass_context
def campaign_rematch(obj: Context, slug):
    """Match the posts already stored against a campaign, e.g. one defined after they were collected.

    Running it again adds nothing; a tracker removed since keeps what it matched.

    Example: groundswell campaign rematch antisocial
    """
    store = obj.store
    campaign = store.campaign(slug)
    stored = store.count_mentions(is_demo=campaign.is_demo)
    with click.progressbar(length=stored, label=f"matching stored posts against {slug}", file=sys.stderr) as bar:
        result = store.rematch(slug, on_batch=bar.update)
    click.echo(f"checked {result.received:,} stored post(s): {result.matched:,} newly matched {slug}")


def _hint_rematch(store: Store, slugs: list[str]) -> None:
    """Posts stored before a campaign existed are not in it until rematched: say so."""
    if store.count_mentions(is_demo=False, at_most=1):
        for slug in slugs:
            click.echo(f"posts already stored are matched only as they are seen again; "
                       f"to match them now: groundswell campaign rematch {slug}")


# -- import ----------------------------------------------------------------------------------

@cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", required=True, metavar="x|twarc|reddit|mastodon|bluesky|4cat|csv",
              help="x/twarc (X API v2 pages), reddit (listings), mastodon (statuses), bluesky (postViews), "
                   "4cat (NDJSON or CSV export), csv (the plain CSV in the README).")
@click.option("--campaign", "slug", help="Match only against this campaign's trackers.")
@click.option("--batch-size", default=BULK_BATCH, show_default=True, help="Posts per transaction (at least 1).")
@pass_context
def import_command(obj: Context, file, fmt, slug, batch_size):
    """Load posts saved by other tools; a rerun updates counts and duplicates nothing.

    Example: groundswell import brexit.jsonl --format x --campaign antisocial
    """
    from campaigns.errors import ImportFormatError
    from collectors.importers import READERS, import_file

    if fmt not in READERS:
        raise ImportFormatError(f"unknown format '{fmt}' (one of: {', '.join(sorted(READERS))})")
    if batch_size < 1:
        raise ValidationError(f"--batch-size must be at least 1, not {batch_size}")
    store = obj.store
    campaign_ids = [store.campaign(slug).id] if slug else None
    stored = 0

    def counted(result):
        nonlocal stored
        stored += result.received

    try:
        result = import_file(store, file, fmt, settings=obj.settings, campaign_ids=campaign_ids,
                             batch_size=batch_size, on_batch=counted)
    except ImportFormatError as error:
        kept = f"; {stored:,} post(s) before it are stored, and a rerun will not duplicate them" if stored else \
            "; nothing was stored"
        raise ImportFormatError(f"{error}{kept}") from None
    totals, report = result.totals, result.report
    click.echo(f"imported {totals.received:,} post(s) from {file}: {totals.new:,} new, {totals.updated:,} updated, "
               f"{totals.matched:,} campaign match(es), {totals.unmatched:,} matched no campaign")
    if report.skipped:
        click.echo(f"refused {report.skipped:,} record(s) that could not be read:", err=True)
        for line in report.problems:
            click.echo(f"  {line}", err=True)
        if report.skipped > len(report.problems):
            click.echo(f"  ... and {report.skipped - len(report.problems):,} more", err=True)
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    if report.unknown_columns:
        click.echo(f"columns not understood, so not read: {', '.join(report.unknown_columns)}", err=True)


# -- demo ------------------------------------------------------------------------------------

@cli.group(invoke_without_command=True)
@click.option("--port", default=8501, show_default=True)
@click.option("--no-browser", is_flag=True, help="Do not open a browser window.")
@click.pass_context
def demo(ctx, port, no_browser):
    """Load the demo data set if the database is empty, then open the dashboard.

    Example: groundswell demo
    """
    if ctx.invoked_subcommand is not None:
        return
    obj: Context = ctx.obj
    if not obj.creating_store().campaigns():
        ctx.invoke(demo_load)
    else:
        click.echo(f"{obj.db_path} already holds campaigns; opening the dashboard")
    run_dashboard(obj, port=port, open_browser=not no_browser)


@demo.command("load")
@click.option("--seed", default=7, show_default=True, help="The same seed gives the same data.")
@click.option("--mentions", default=50_000, show_default=True, help="How many posts to generate.")
@click.option("--days", default=60, show_default=True, help="How many days back from now.")
@click.option("--campaigns", "campaign_count", default=3, show_default=True,
              help="3 named campaigns; more adds generated ones (for benchmarks).")
@click.option("--until", default=None, help="End of the period (ISO) [default: now].")
@pass_context
def demo_load(obj: Context, seed, mentions, days, campaign_count, until):
    """Fill the database with the generated, clearly labelled demo data set.

    Example: groundswell demo load --seed 7 --mentions 50000 --days 60
    """
    from demo.data import load_demo

    if mentions < 1 or days < 1 or campaign_count < 1:
        raise ValidationError("--mentions, --days and --campaigns must be at least 1")
    end = datetime.fromisoformat(parse_when(until).replace("Z", "+00:00")) if until else None
    with click.progressbar(length=mentions, label="generating demo mentions", file=sys.stderr) as bar:
        result = load_demo(obj.creating_store(), obj.settings, seed=seed, mentions=mentions, days=days,
                           campaigns=campaign_count, until=end, on_batch=bar.update)
    click.echo(f"loaded demo data: {len(result.campaigns)} campaign(s), {result.totals.received:,} mentions "
               f"from {result.starts:%Y-%m-%d} to {result.ends:%Y-%m-%d}")
    # The demo's episodes are alerts on the Overview at once, as the scheduler would raise them.
    from collectors import alerting

    raised = alerting.check(obj.store, obj.settings, [obj.store.campaign(c.slug) for c in result.campaigns],
                            now=result.ends)
    click.echo(f"{len(raised)} alert(s) raised on the demo data; see them with: groundswell alerts list")


# -- dashboard -------------------------------------------------------------------------------

@cli.command()
@click.option("--port", default=8501, show_default=True)
@click.option("--address", default="127.0.0.1", show_default=True,
              help="Listen address; beyond localhost at least one account is required (groundswell user add).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser window.")
@pass_context
def dashboard(obj: Context, port, address, no_browser):
    """Open the dashboard on the database.

    Example: groundswell dashboard --port 8502
    """
    if address not in ("127.0.0.1", "localhost", "::1") and not obj.store.has_users():
        raise ValidationError(f"the dashboard listens on {address} (beyond localhost) only when accounts exist: "
                              "add one with `groundswell user add NAME --role coordinator`")
    run_dashboard(obj, port=port, open_browser=not no_browser, address=address)


# -- status ----------------------------------------------------------------------------------

@cli.command()
@pass_context
def status(obj: Context):
    """Show what the database holds and how the last collection runs went.

    Example: groundswell status
    """
    store = obj.store
    click.echo(f"database {store.path}: {store.count('campaigns')} campaign(s), {store.count('mentions'):,} mention(s)")
    from groundswell.collect_commands import source_status

    source_status(obj)
    if not store.count("collection_runs"):
        click.echo("no collection runs yet; run: groundswell collect")


def main() -> None:
    """Entry point: read .env, run the command; unexpected errors are one line unless debugging."""
    load_dotenv_file()
    try:
        cli(standalone_mode=True)
    except SystemExit:
        raise
    except Exception as error:  # noqa: BLE001 - the last guard before a traceback reaches a user
        if os.environ.get("GROUNDSWELL_DEBUG"):
            raise
        click.echo(f"Error: {type(error).__name__}: {error} (set GROUNDSWELL_DEBUG=1 for details)", err=True)
        sys.exit(1)


cli.add_command(collect)
cli.add_command(schedule)
cli.add_command(up)
for command in (*PLANNER_COMMANDS, *POSTS_COMMANDS, *PRIVACY_COMMANDS, *USER_COMMANDS, *SAFETY_COMMANDS, *ALERT_COMMANDS):
    cli.add_command(command)
cli.add_command(report)
