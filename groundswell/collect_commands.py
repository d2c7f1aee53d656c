"""Commands that collect: `collect` (one pass), `schedule` (the scheduler process), `up` (scheduler and dashboard)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import click

from campaigns import clock
from campaigns.errors import ValidationError
from campaigns.model import to_datetime
from groundswell.context import Context, pass_context, run_dashboard, table

# How long `up` waits for its scheduler to exit after SIGTERM before killing it.
SCHEDULER_STOP_SECONDS = 8
# Which result a source shows in the closing table when its runs ended differently: the worst.
RESULT_ORDER = ("error", "stopped", "rate_limited", "partial", "ok")


@click.command()
@click.option("--campaign", "slug", help="Collect for this campaign only [default: every active one].")
@click.option("--source", type=click.Choice(["mastodon", "rss", "bluesky", "reddit", "x"]),
              help="Collect from this source only [default: every source that has what it needs].")
@pass_context
def collect(obj: Context, slug, source):
    """One pass over every source and campaign; each page is stored as it arrives.

    Sources without credentials are skipped with the variable they need. A pass that is
    interrupted (Ctrl-C, SIGTERM) stops within seconds and keeps what it stored; the next one
    continues from there. Exits 1 when any source ended in error or the pass was stopped, so a
    cron job can tell a failed pass from a good one.

    Example: groundswell collect --campaign antisocial --source mastodon
    """
    from collectors.base import STOP
    from collectors.registry import NAMES, make_collector
    from collectors.runner import active_campaigns, run_source

    store, settings = obj.store, obj.settings
    campaigns_named = [store.campaign(slug)] if slug else None
    if campaigns_named and campaigns_named[0].is_demo:
        raise ValidationError(f"campaign '{slug}' is demo data; collectors do not write into it")
    chosen = [source] if source else list(NAMES)
    tasks, collectors, totals = [], {}, {}
    for name in chosen:
        collector = make_collector(name, settings, store)
        missing = collector.missing()
        if missing:
            click.echo(f"{name}: skipped, set {missing}")
            continue
        collectors[name] = collector
        for campaign in active_campaigns(store, name, slug):
            tasks.append((name, campaign))
    if not tasks:
        if not [c for c in store.campaigns(include_archived=False) if not c.is_demo]:
            raise ValidationError("no active campaigns to collect for; add one with: groundswell campaign add")
        click.echo("nothing to collect: no source can run for these campaigns")
        return
    notes: dict[str, list[str]] = {}
    failed: list[str] = []
    with stop_on_signals():
        with click.progressbar(tasks, label="collecting", file=sys.stderr,
                               item_show_func=lambda t: f"{t[0]} {t[1].slug}" if t else "") as bar:
            for name, campaign in bar:
                if STOP.is_set():
                    break
                result = run_source(store, settings, name, campaign, collector=collectors[name])
                row = totals.setdefault(name, {"fetched": 0, "new": 0, "updated": 0, "quarantined": 0,
                                               "errors": [], "results": set()})
                row["fetched"] += result.fetched
                row["new"] += result.new
                row["updated"] += result.updated
                row["quarantined"] += result.quarantined
                row["results"].add(result.status)
                row["errors"] += [f"{campaign.slug}: {e}" for e in result.errors]
                if result.quarantined:
                    row["errors"].append(f"{campaign.slug}: {result.quarantined} record(s) quarantined "
                                         f"(first: {result.first_rejected})")
                if result.status == "error":
                    failed.append(f"{name} ({campaign.slug})")
                notes.setdefault(name, [])
                notes[name] += [n for n in result.notes if n not in notes[name]]
    rows = [("source", "fetched", "new", "updated", "errors", "result")]
    for name, row in totals.items():
        worst = next(r for r in RESULT_ORDER if r in row["results"]) if row["results"] else "-"
        rows.append((name, f"{row['fetched']:,}", f"{row['new']:,}", f"{row['updated']:,}", str(len(row["errors"])),
                     worst))
    if totals:
        table(rows)
    for name, row in totals.items():
        for error in row["errors"]:
            click.echo(f"{name} error: {error}")
        for note in notes.get(name, []):
            click.echo(f"{name}: {note}")
    if STOP.is_set():
        raise click.ClickException("stopped before the pass finished; every page stored is kept and the "
                                   "next collect continues from there")
    if failed:
        raise click.ClickException(f"{len(failed)} source run(s) ended in error: {', '.join(failed)}")


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """While the block runs, SIGTERM and Ctrl-C stop it within seconds (every wait ends, the run
    is recorded as stopped) rather than killing it mid-write."""
    from collectors.base import STOP, request_stop

    STOP.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, request_stop) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@click.command()
@pass_context
def schedule(obj: Context):
    """Run the scheduler: each source on its interval until Ctrl-C or SIGTERM.

    Intervals are seconds in GROUNDSWELL_<SOURCE>_INTERVAL (e.g. GROUNDSWELL_MASTODON_INTERVAL=900).
    Jobs live in their own SQLite file, so a restart picks up where it stopped.

    Example: GROUNDSWELL_MASTODON_INTERVAL=300 groundswell schedule
    """
    from collectors.scheduler import serve

    obj.store.migrate()
    serve(obj.settings, echo=click.echo)


@click.command()
@click.option("--demo", "with_demo", is_flag=True, help="Load the demo data set first if the database is empty.")
@click.option("--port", default=8501, show_default=True)
@click.option("--no-browser", is_flag=True, help="Do not open a browser window.")
@click.pass_context
def up(ctx, with_demo, port, no_browser):
    """Start the scheduler and the dashboard together; Ctrl-C stops both.

    Example: groundswell up --demo
    """
    obj: Context = ctx.obj
    if with_demo and not obj.creating_store().campaigns():
        # The command itself, as the group holds it: importing the command line from here would
        # make a cycle.
        ctx.invoke(ctx.find_root().command.commands["demo"].commands["load"])
    obj.store.migrate()
    command = [sys.executable, "-m", "groundswell", "--db", str(obj.db_path), "schedule"]
    started_at = clock.now_iso()
    scheduler = subprocess.Popen(command)
    click.echo(f"scheduler started (process {scheduler.pid})")

    def interrupted(signum, frame):
        raise KeyboardInterrupt  # SIGTERM to `up` stops both, as Ctrl-C does

    signal.signal(signal.SIGTERM, interrupted)
    try:
        run_dashboard(obj, port=port, open_browser=not no_browser)
    finally:
        if scheduler.poll() is None:
            scheduler.send_signal(signal.SIGTERM)
            try:
                # It stops within seconds (every wait ends on SIGTERM); this bound is for a
                # scheduler that hangs, and stays under Docker's 10 s and systemd's 90 s.
                scheduler.wait(timeout=SCHEDULER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                scheduler.kill()
                scheduler.wait()
                stopped = obj.store.stop_running_runs(
                    started_at, "stopped: the scheduler did not exit after SIGTERM and was killed; "
                    "its stored pages are kept")
                click.echo(f"scheduler killed after {SCHEDULER_STOP_SECONDS} s; {stopped} run(s) recorded as stopped")
        click.echo("scheduler stopped")


def source_status(obj: Context) -> None:
    """Per source: last run, result, mentions collected, next run, rate-limit and budget state."""
    from collectors.registry import NAMES, make_collector
    from collectors.scheduler import next_runs

    store, settings = obj.store, obj.settings
    runs = store.last_run_by_collector()
    states = store.source_states()
    counts = store.mention_counts_by_platform()
    upcoming = next_runs(settings)
    rows = [("source", "last run", "result", "new / fetched", "mentions", "next run", "limits")]
    needs: list[str] = []
    for name in NAMES:
        missing = make_collector(name, settings, store).missing()
        run = runs.get(name) or {}
        state = states.get(name) or {}
        limits = []
        now = clock.now_iso()
        waiting = _waiting(state, now) or _waiting(states.get(f"refresh-{name}") or {}, now, "refresh ")
        if waiting:
            limits.append(waiting)
        if state.get("rate_limited_until") and state["rate_limited_until"] > now:
            limits.append(f"rate limited until {state['rate_limited_until']}")
        if name == "x":
            used = store.source_usage("x")
            limits.append(f"budget {used:,}/{settings.x_monthly_post_budget:,} posts this month")
        result = run.get("status", "never run")
        if missing:
            result = "not configured"
            needs.append(f"{name} needs {missing}")
        rows.append((
            name, (run.get("started_at") or "-"), result,
            f"{run['new']:,} / {run['fetched']:,}" if run else "-", f"{counts.get(name, 0):,}",
            upcoming.get(name, "not scheduled"), "; ".join(limits) or "-",
        ))
    table(rows)
    for line in needs:
        click.echo(line)
    for name in NAMES:
        run = runs.get(name) or {}
        if run.get("error"):
            click.echo(f"{name} last error: {run['error'][:300]}")
    total, latest = store.quarantined(limit=QUARANTINE_SHOWN)
    if total:
        click.echo(f"quarantined: {total:,} record(s) could not be read and were skipped"
                   + (f" (latest {len(latest)})" if total > len(latest) else "") + ":")
        for row in latest:
            seen = f" (seen {row['times']} times)" if row["times"] > 1 else ""
            click.echo(f"  {row['last_seen_at']} {row['source']} {row['location']}: {row['reason'][:300]}{seen}")


QUARANTINE_SHOWN = 10


def _waiting(state: dict, now: str, label: str = "") -> str | None:
    """'waiting 42 s (until ...): why' while a source waits, else None."""
    until = state.get("waiting_until")
    if not until or until <= now:
        return None
    seconds = (to_datetime(until) - to_datetime(now)).total_seconds()
    return f"{label}waiting {seconds:.0f} s (until {until}): {state.get('waiting_reason') or 'no reason given'}"
