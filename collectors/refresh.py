"""Re-read the counts of the last 48 hours' mentions in batches, so engagement keeps counting after first sight."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from campaigns.settings import Settings
from campaigns.store import Store
from collectors.base import STOP, Page, SourceError, Stopped, map_records, waits_reported_to
from collectors.enrich import enrich
from collectors.registry import make_collector
from collectors.runner import (
    ACTIVE_RUNS,
    RunResult,
    describe,
    quarantine_row,
    wait_reporter,
)

HOURS = 48
# A Mastodon status uri and the local id its home server answers /api/v1/statuses/<id> for:
# host/users/<name>/statuses/<id> (Mastodon before 4.6) or host/ap/users/<account id>/statuses/<id>
# (4.6 and later).
MASTODON_URI = re.compile(r"^(?P<host>[^/]+)/(?:ap/)?users/[^/]+/statuses/(?P<id>\d+)$")


@dataclass
class Outcome:
    """What a refresher could not ask about, so a refresh that re-read nothing never says ok."""

    not_asked: int = 0
    why: list[str] = field(default_factory=list)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def refresh_x(store: Store, settings: Settings, ids: list[str], outcome: Outcome) -> Iterator[Page]:
    """Tweet lookup, 100 ids a call; each post read counts against the monthly budget."""
    from collectors import x

    collector = x.XCollector(settings, store)
    for chunk in _chunks(ids, 100):
        if store.source_usage("x") + len(chunk) > settings.x_monthly_post_budget:
            raise SourceError("X monthly post budget reached; counts not refreshed")
        page = collector.call(lambda chunk=chunk: collector.client().get_tweets(
            chunk, expansions=["author_id"], tweet_fields=x.TWEET_FIELDS, user_fields=x.USER_FIELDS))
        store.add_source_usage("x", len(page.get("data") or []))
        includes = page.get("includes") or {}
        mentions, rejected = map_records(page.get("data") or [], lambda tweet, includes=includes: x.map_page(
            {"data": [tweet], "includes": includes, "meta": {}}))
        yield Page(mentions=mentions, rejected=rejected)


def refresh_reddit(store: Store, settings: Settings, ids: list[str], outcome: Outcome) -> Iterator[Page]:
    """/api/info with 100 fullnames a call."""
    from collectors import reddit

    collector = reddit.RedditCollector(settings)
    for chunk in _chunks(ids, 100):
        listing = collector._call(lambda chunk=chunk: collector.reddit().request(
            method="GET", path="/api/info", params={"id": ",".join(chunk), "raw_json": 1}))
        children = ((listing.get("data") or {}).get("children") or []) if isinstance(listing, dict) else []
        mentions, rejected = map_records([c for c in children if isinstance(c, dict) and c.get("kind") in ("t1", "t3")],
                                         lambda child: [reddit.map_item(child["data"])])
        yield Page(mentions=mentions, rejected=rejected)


def refresh_bluesky(store: Store, settings: Settings, ids: list[str], outcome: Outcome) -> Iterator[Page]:
    """app.bsky.feed.getPosts with 25 uris a call; followers from the profile cache."""
    from atproto_client.models.utils import get_model_as_dict

    from collectors import bluesky

    collector = bluesky.BlueskyCollector(settings, store)
    client = collector.client()
    for chunk in _chunks(ids, 25):
        answer = collector._call(lambda chunk=chunk: client.app.bsky.feed.get_posts(
            {"uris": [f"at://{native}" for native in chunk]}))
        views = get_model_as_dict(answer)["posts"]
        mentions, rejected = map_records(views, bluesky.map_item)
        readable = [v for v in views if f"{bluesky.PLATFORM}:{str(v.get('uri', '')).removeprefix('at://')}"
                    in {m.uid for m in mentions}]
        collector._fill_followers(mentions, readable)
        yield Page(mentions=mentions, rejected=rejected)


def refresh_mastodon(store: Store, settings: Settings, ids: list[str], outcome: Outcome) -> Iterator[Page]:
    """Each status from its home server when that is a configured instance (public statuses need no sign-in)."""
    from collectors import mastodon

    collector = mastodon.MastodonCollector(settings)
    # Only servers the user configured are asked: a refresh never reaches out to new hosts.
    configured = {mastodon.host_of(i): i for i in settings.mastodon_instances}
    by_host: dict[str, list[str]] = {}
    elsewhere: set[str] = set()
    unrecognised = 0
    for native in ids:
        found = MASTODON_URI.match(native)
        if found and found["host"] in configured:
            by_host.setdefault(found["host"], []).append(found["id"])
        elif found:
            elsewhere.add(found["host"])
            outcome.not_asked += 1
        else:
            unrecognised += 1
            outcome.not_asked += 1
    if elsewhere:
        outcome.why.append(f"{outcome.not_asked - unrecognised} live on servers that are not configured "
                           f"instances ({', '.join(sorted(elsewhere)[:5])}{', ...' if len(elsewhere) > 5 else ''})")
    if unrecognised:
        outcome.why.append(f"{unrecognised} have a uri that is not a Mastodon status uri")
    failed, last_error = 0, ""
    for host, local_ids in by_host.items():
        api = collector.client(configured[host])
        statuses = []
        for local_id in local_ids:
            try:
                status = collector._call(api, configured[host], lambda local_id=local_id, api=api: api.status(local_id))
            except SourceError as error:
                # Deleted, or the server is gone: the stored counts stay as they were. An
                # unreachable host fails once (Hosts), not once per status.
                failed += 1
                last_error = str(error)
                continue
            statuses.append(mastodon.raw_answer(api, status))
        mentions, rejected = map_records(statuses, mastodon.map_item)
        if mentions or rejected:
            yield Page(mentions=mentions, rejected=rejected)
    if failed:
        outcome.why.append(f"{failed} could not be re-read (last: {last_error})")


REFRESHERS: dict[str, Callable[[Store, Settings, list[str], Outcome], Iterator[Page]]] = {
    "x": refresh_x, "reddit": refresh_reddit, "bluesky": refresh_bluesky, "mastodon": refresh_mastodon,
}


def refresh_recent(store: Store, settings: Settings, *, hours: int = HOURS,
                   should_stop: Callable[[], bool] = STOP.is_set) -> Iterator[str]:
    """Refresh every platform that can run; yields one line per platform saying what changed.

    A run is ok only when every recent post was read again; partial when some were; an error
    when none were, with why (not on a configured server, deleted, unreachable, unreadable).
    """
    for platform, refresher in REFRESHERS.items():
        if should_stop():
            return
        if make_collector(platform, settings, store).missing():
            continue
        ids = store.recent_native_ids(platform, hours=hours)
        if not ids:
            continue
        collector = f"refresh-{platform}"
        run_id = store.start_run(collector)
        result = RunResult(source=collector, run_id=run_id)
        ACTIVE_RUNS[run_id] = (str(store.path), result)
        outcome = Outcome()
        ended = False
        try:
            with waits_reported_to(wait_reporter(store, collector)):
                for page in refresher(store, settings, ids, outcome):
                    if page.rejected:
                        for rejected in page.rejected:
                            rejected.where = f"{collector} item {rejected.position}"
                        store.quarantine(collector, [quarantine_row(r) for r in page.rejected], run_id=run_id)
                        result.quarantined += len(page.rejected)
                    enrich(page.mentions, settings)  # pseudonymise again: a refresh must not restore handles
                    stored = store.upsert_mentions(page.mentions)
                    result.fetched += len(page.mentions)
                    result.updated += stored.updated
                    if should_stop():
                        raise Stopped("stopped")
            ended = True
        except Stopped:
            result.status = "stopped"
            result.errors.append("stopped by a signal before the refresh finished")
            ended = True
        except SourceError as failure:
            result.errors.append(str(failure))
            ended = True
        except Exception as failure:  # noqa: BLE001 - unexpected: this refresh is an error, the others go on
            result.errors.append(f"unexpected error: {describe(failure)}")
            ended = True
        finally:
            if not ended:
                result.status = "stopped"
            elif result.status != "stopped":
                read_all = result.fetched >= len(ids) and not result.errors and not result.quarantined
                result.status = "ok" if read_all else "partial" if result.fetched else "error"
            not_read = len(ids) - result.fetched
            if result.status != "ok" and not_read > 0:
                result.errors.append(f"{not_read} of {len(ids)} recent post(s) not read again: "
                                     + ("; ".join(outcome.why) or "deleted, hidden or not returned"))
            if result.quarantined:
                result.errors.append(f"{result.quarantined} record(s) could not be read and were quarantined")
            error = "; ".join(result.errors)[:2000] or None
            store.finish_run(run_id, status=result.status, fetched=result.fetched, updated=result.updated,
                             error=error, quarantined=result.quarantined)
            ACTIVE_RUNS.pop(run_id, None)
        yield f"refresh {platform}: {result.status}, {result.updated} of {len(ids)} recent post(s) updated" + (
            f"; {error}" if error else "")
