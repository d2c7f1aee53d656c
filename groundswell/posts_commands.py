"""The posts themselves from the command line: search and filter a campaign's stream, print or export it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from campaigns import clock
from campaigns.exports import to_csv, to_jsonl
from campaigns.metrics import Filters
from campaigns.model import PLATFORMS, SIDES, iso_utc, parse_when, to_datetime
from campaigns.stream import KINDS, TONES, PostQuery
from groundswell.context import Context, pass_context, table


@click.command()
@click.option("--campaign", "slug", required=True, help="Campaign slug.")
@click.option("--since", help="From this date or time, in the campaign's zone [default: 7 days ago].")
@click.option("--until", help="Up to this date (inclusive) or time, in the campaign's zone [default: now].")
@click.option("--platform", "platforms", multiple=True, type=click.Choice(PLATFORMS))
@click.option("--side", "sides", multiple=True, type=click.Choice(SIDES))
@click.option("--search", default="", help='Words, "a phrase", prefix*, -excluded; #hashtags and @handles whole.')
@click.option("--tone", type=click.Choice(TONES))
@click.option("--min-offensive", type=click.FloatRange(0, 1), help="Offensive-language score at least this.")
@click.option("--lang", help="Language code, e.g. en.")
@click.option("--kind", type=click.Choice(KINDS))
@click.option("--tag", help="Carrying this hashtag (with or without #), as the hashtag chart counts.")
@click.option("--author", help="By this author (their handle, or pseudonym where authors are pseudonymised).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "jsonl"]), default="table", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file [default: print].")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000),
              help="At most this many posts, newest first.")
@pass_context
def posts(obj: Context, slug, since, until, platforms, sides, search, tone, min_offensive, lang, kind, tag, author,
          fmt, out, limit):
    """List a campaign's posts, newest first, filtered and searched; or export them as CSV or JSON Lines.

    Exports say at the top which filters made them, and no cell can start a spreadsheet
    formula. Every export is recorded in the audit log.

    Example: groundswell posts --campaign antisocial --search '"online abuse" #lovesus' --format csv --out posts.csv
    """
    campaign = obj.store.campaign(slug)
    tz = campaign.timezone
    end = to_datetime(parse_when(until, tz), tz, end_of_day=True) if until else clock.now()
    start = to_datetime(parse_when(since, tz), tz) if since else end - timedelta(days=7)
    query = PostQuery(Filters(campaign.id, iso_utc(start), iso_utc(end), tuple(platforms), tuple(sides)),
                      tone=tone, min_offensive=min_offensive, lang=lang, kind=kind, search=search,
                      tag=tag.lower().lstrip("#") if tag else None, author=author,
                      per_page=min(limit, 1000)).validate()
    if fmt == "table":
        frame, total = obj.store.posts.page(query)
        frame = frame.head(limit)
        click.echo(f"{total:,} post(s) in {campaign.slug} from {iso_utc(start)} to {iso_utc(end)}; "
                   f"showing {len(frame):,}")
        if len(frame):
            rows = [(str(r.created_at), r.platform, r.side, str(r.author_key or ""),
                     " ".join(str(r.text or "").split())[:80]) for r in frame.itertuples()]
            table([("posted (UTC)", "platform", "side", "author", "text"), *rows])
        return
    frame = obj.store.posts.all(query, limit=limit)
    about = [("campaign", campaign.slug), *query.describe(), ("exported at (UTC)", clock.now_iso())]
    body = to_csv(frame, about) if fmt == "csv" else to_jsonl(frame, about)
    obj.store.audit("cli", "export posts", f"{campaign.slug}: {len(frame)} post(s) as {fmt}")
    if out:
        out.write_bytes(body)
        click.echo(f"wrote {len(frame):,} post(s) to {out}")
    else:
        click.echo(body.decode("utf-8"), nl=False)


COMMANDS = (posts,)
