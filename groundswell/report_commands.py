"""`groundswell report`: what a call to action or an event changed, or the campaign to date, as HTML, Markdown or CSV."""

from __future__ import annotations

from pathlib import Path

import click

from campaigns import report_files
from campaigns.errors import ValidationError
from groundswell.context import Context, pass_context

SUFFIXES = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".csv": "csv"}


@click.command("report")
@click.argument("subject", required=False, metavar="ACTION_OR_EVENT")
@click.option("--campaign", "slug", help="The campaign to date instead of one action or event (or to find a title in).")
@click.option("--format", "fmt", type=click.Choice(report_files.FORMATS),
              help="html, md or csv [default: from --out's suffix, else md].")
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file instead of standard output.")
@pass_context
def report(obj: Context, subject, slug, fmt, out):
    """Report what a call to action or an event changed: before, during and after, and whether it could be chance.

    ACTION_OR_EVENT is action:ID, event:ID, a bare id, or a title. With --campaign alone, the
    campaign to date: each call to action and event with its uplift, the demand ledger, goals.
    HTML is one self-contained file (charts inside, works offline, prints on A4 and Letter);
    Markdown pastes into a team chat or wiki; CSV holds the hourly series (for the campaign,
    one row per action and event).

    Example: groundswell report action:3 --format html --out launch.html
    Example: groundswell report --campaign antisocial --format md
    """
    if fmt is None:
        fmt = SUFFIXES.get(Path(out).suffix.lower(), "md") if out else "md"
    store = obj.store
    if subject:
        campaign_id = store.campaign(slug).id if slug else None
        text = report_files.render(store.reports.report(store.reports.find(subject, campaign_id)), fmt)
    elif slug:
        text = report_files.render_campaign(store.reports.campaign_report(store.campaign(slug).id), fmt)
    else:
        raise ValidationError("say what to report on: groundswell report action:ID (or event:ID, or a title), "
                              "or groundswell report --campaign SLUG")
    if out:
        try:
            Path(out).write_text(text, encoding="utf-8")
        except OSError as error:
            raise ValidationError(f"cannot write {out}: {error.strerror}") from None
        click.echo(f"wrote {out} ({fmt})", err=True)
    else:
        click.echo(text, nl=False)
