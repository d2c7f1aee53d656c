"""Privacy commands: purge what is past its campaigns' retention, and forget one person on request."""

from __future__ import annotations

import click

from campaigns.model import PLATFORMS
from campaigns.privacy import author_key_of
from groundswell.context import Context, pass_context, table


@click.command()
@click.option("--dry-run", is_flag=True, help="Say what would be removed; change nothing.")
@click.option("--no-vacuum", is_flag=True,
              help="Skip rewriting the file afterwards (quicker; most of the space stays allocated).")
@pass_context
def purge(obj: Context, dry_run, no_vacuum):
    """Remove the text, author and link of mentions older than their campaigns' retention_days.

    The hourly roll-ups stay, so charts and reports of old periods still work; unique authors
    and potential reach of a purged period read n/a. A mention matched by several campaigns is
    kept for the longest of their retentions. Every purge is recorded in the audit log.

    Example: groundswell purge --dry-run
    """
    result = obj.store.purge(dry_run=dry_run, vacuum=not no_vacuum, who="cli")
    if not result.cutoffs:
        click.echo("no campaign has retention_days set: nothing to purge")
        return
    rows = [("campaign", "keeps posts since")] + [(slug, before) for slug, before in result.cutoffs.items()]
    table(rows)
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{verb} the text, author and link of {result.mentions:,} mention(s), "
               f"{result.raw_items:,} raw item(s) and {result.profiles:,} cached profile(s)")
    if not dry_run:
        click.echo(f"database {result.bytes_before / 2**20:,.1f} MiB -> {result.bytes_after / 2**20:,.1f} MiB")


@click.command()
@click.option("--author", "handle", required=True, help="The person's handle, as the platform shows it.")
@click.option("--platform", type=click.Choice(PLATFORMS), help="Only on this platform [default: every platform].")
@click.option("--from-counts", is_flag=True,
              help="Also take their posts out of every count (mentions, engagement, tone), not only their text.")
@pass_context
def forget(obj: Context, handle, platform, from_counts):
    """Remove one person's posts' text, author and link from everywhere, on their request.

    Works whether authors are stored as handles or as pseudonyms (give the handle). Their posts
    collected later are not stored. Without --from-counts, what the roll-ups already counted
    stays counted; the request is recorded in the audit log either way.

    Example: groundswell forget --author someone.bsky.social --platform bluesky
    """
    handle = handle.strip().lstrip("@")
    key_of = author_key_of(obj.settings)
    keys = [handle] + ([key_of(handle)] if key_of else [])
    total = None
    for key in keys:
        result = obj.store.forget_author(key, platform=platform, from_counts=from_counts)
        if total is None:
            total = result
        else:
            total.mentions += result.mentions
            total.uncounted += result.uncounted
            total.profiles += result.profiles
    click.echo(f"forgot {handle}: text, author and link removed from {total.mentions:,} mention(s)"
               + (f"; {total.uncounted:,} campaign match(es) taken out of the counts" if from_counts else
                  "; counts already made are kept (use --from-counts to remove them too)")
               + f"; {total.profiles:,} cached profile(s) deleted; later posts by them will not be stored")


COMMANDS = (purge, forget)
