"""Re-read the counts of the last 48 hours' mentions in batches, so engagement keeps counting after first sight."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import urlparse

from campaigns.model import Mention
from campaigns.privacy import platform_ids
from campaigns.settings import Settings
from campaigns.store import Store
from collectors.base import SourceError, with_retries
from collectors.enrich import enrich
from collectors.registry import make_collector

HOURS = 48
# A Mastodon status uri: host/users/<name>/statuses/<id>; its home server answers /api/v1/statuses/<id>.
MASTODON_URI = re.compile(r"^(?P<host>[^/]+)/users/[^/]+/statuses/(?P<id>\d+)$")


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def refresh_x(store: Store, settings: Settings, ids: list[str]) -> Iterator[list[Mention]]:
    """Tweet lookup, 100 ids a call; each post read counts against the monthly budget."""
    from collectors import x

    collector = x.XCollector(settings, store)
    for chunk in _chunks(ids, 100):
        if store.source_usage("x") + len(chunk) > settings.x_monthly_post_budget:
            raise SourceError("X monthly post budget reached; counts not refreshed")
        page = with_retries(lambda chunk=chunk: collector.client().get_tweets(
            chunk, expansions=["author_id"], tweet_fields=x.TWEET_FIELDS, user_fields=x.USER_FIELDS),
            classify=x.classify, settings=settings)
        store.add_source_usage("x", len(page.get("data") or []))
        yield x.map_page({"data": page.get("data") or [], "includes": page.get("includes") or {}, "meta": {}})


def refresh_reddit(store: Store, settings: Settings, ids: list[str]) -> Iterator[list[Mention]]:
    """/api/info with 100 fullnames a call."""
    from collectors import reddit

    collector = reddit.RedditCollector(settings)
    for chunk in _chunks(ids, 100):
        listing = collector._call(lambda chunk=chunk: collector.reddit().request(
            method="GET", path="/api/info", params={"id": ",".join(chunk), "raw_json": 1}))
        yield reddit.map_listing(listing)


def refresh_bluesky(store: Store, settings: Settings, ids: list[str]) -> Iterator[list[Mention]]:
    """app.bsky.feed.getPosts with 25 uris a call; followers from the profile cache."""
    from atproto_client.models.utils import get_model_as_dict

    from collectors import bluesky

    collector = bluesky.BlueskyCollector(settings, store)
    client = collector.client()
    # With pseudonyms on the stored ids are sealed; getPosts needs them as Bluesky wrote them.
    for chunk in _chunks(platform_ids(ids, settings), 25):
        answer = collector._call(lambda chunk=chunk: client.app.bsky.feed.get_posts(
            {"uris": [f"at://{native}" for native in chunk]}))
        views = get_model_as_dict(answer)["posts"]
        mentions = [bluesky.map_item(view) for view in views]
        collector._fill_followers(mentions, views)
        yield mentions


def refresh_mastodon(store: Store, settings: Settings, ids: list[str]) -> Iterator[list[Mention]]:
    """Each status from its home server when that is a configured instance (public statuses need no sign-in)."""
    from mastodon import Mastodon

    from collectors import mastodon

    # Only servers the user configured are asked: a refresh never reaches out to new hosts.
    configured = {urlparse(mastodon.base_url(i)).netloc: mastodon.base_url(i) for i in settings.mastodon_instances}
    by_host: dict[str, list[str]] = {}
    for native in ids:
        found = MASTODON_URI.match(native)
        if found and found["host"] in configured:
            by_host.setdefault(found["host"], []).append(found["id"])
    for host, local_ids in by_host.items():
        api = Mastodon(api_base_url=configured[host], ratelimit_method="throw", request_timeout=30,
                       version_check_mode="none")
        batch = []
        for local_id in local_ids:
            try:
                status = with_retries(lambda local_id=local_id, api=api: api.status(local_id),
                                      classify=lambda error, api=api: mastodon.classify(error, api),
                                      settings=settings)
            except SourceError:
                continue  # deleted, or the server is gone: the stored counts stay as they were
            batch.append(mastodon.map_item(dict(status)))
        if batch:
            yield batch


REFRESHERS: dict[str, Callable[[Store, Settings, list[str]], Iterator[list[Mention]]]] = {
    "x": refresh_x, "reddit": refresh_reddit, "bluesky": refresh_bluesky, "mastodon": refresh_mastodon,
}


def refresh_recent(store: Store, settings: Settings, *, hours: int = HOURS,
                   should_stop: Callable[[], bool] = lambda: False) -> Iterator[str]:
    """Refresh every platform that can run; yields one line per platform saying what changed."""
    for platform, refresher in REFRESHERS.items():
        if should_stop():
            return
        missing = make_collector(platform, settings, store).missing()
        if missing:
            continue
        ids = store.recent_native_ids(platform, hours=hours)
        if not ids:
            continue
        run_id = store.start_run(f"refresh-{platform}")
        fetched = updated = 0
        status, error = "ok", None
        try:
            for mentions in refresher(store, settings, ids):
                enrich(mentions, settings)  # pseudonymise again: a refresh must not restore handles
                result = store.upsert_mentions(mentions)
                fetched += len(mentions)
                updated += result.updated
                if should_stop():
                    break
        except SourceError as failure:
            status, error = ("partial" if fetched else "error"), str(failure)
        store.finish_run(run_id, status=status, fetched=fetched, updated=updated, error=error)
        yield f"refresh {platform}: {status}, {updated} of {len(ids)} recent post(s) updated" + (
            f"; {error}" if error else "")
