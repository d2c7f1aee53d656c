"""RSS and Atom news feeds: entries matched against a campaign's trackers; no followers, so reach is n/a."""

from __future__ import annotations

import calendar
import hashlib
from datetime import UTC, datetime
from urllib.parse import urlparse

from campaigns.errors import ImportFormatError
from campaigns.model import Campaign, Mention, iso_utc
from campaigns.settings import Settings
from collectors.base import (
    REQUEST_TIMEOUT,
    Hosts,
    MalformedResponse,
    Page,
    Plan,
    Rejected,
    Scope,
    SourceError,
    TimedSession,
    TransientError,
    announced_reset,
    map_record,
    with_retries,
)
from collectors.mastodon import html_to_text

PLATFORM = "rss"


def map_item(entry: dict, feed_url: str = "") -> Mention:
    """One feedparser entry to a Mention; the author is the publication (the feed's host)."""
    link = entry.get("link") or ""
    ident = entry.get("id") or link or entry.get("title")
    if not ident:
        raise ImportFormatError("feed entry without id, link or title")
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if parsed:
        created_at = iso_utc(datetime.fromtimestamp(calendar.timegm(parsed), UTC))
    else:
        raise ImportFormatError(f"feed entry '{ident}' has no date")
    title = html_to_text(entry.get("title") or "")
    summary = html_to_text(entry.get("summary") or "")
    host = urlparse(link or feed_url).netloc.lower() or None
    return Mention(
        platform=PLATFORM,
        # Hashed: entry ids are often long URLs, and the uid must stay stable and short.
        native_id=hashlib.sha1(f"{feed_url}|{ident}".encode()).hexdigest()[:20],
        created_at=created_at,
        text=f"{title}\n{summary}".strip(),
        url=link or None,
        author_key=host,
        author_handle=entry.get("author") or host,
        lang=(entry.get("language") or None),
        hashtags=[t.get("term") for t in entry.get("tags") or [] if t.get("term") and " " not in t.get("term")],
    )


class RssCollector:
    """Each campaign's feeds, fetched with a timeout and retries, filtered to matching entries."""

    name = PLATFORM

    def __init__(self, settings: Settings, sleep=None, session=None):
        self.settings = settings
        self.sleep = sleep
        self.session = session
        self.hosts = Hosts()  # a news site that is down fails once per pass, not once per campaign

    def missing(self) -> str | None:
        return None

    def plan(self, campaign: Campaign, store) -> Plan:
        plan = Plan()
        if not campaign.feeds:
            plan.notes.append(f"campaign '{campaign.slug}' lists no feeds")
        for feed_url in campaign.feeds:
            plan.scopes.append(Scope(key=feed_url, label=feed_url, fetch=self._fetcher(feed_url, store)))
        return plan

    def _fetcher(self, feed_url: str, store):
        def fetch(since: str | None, position: str | None) -> Page:
            import feedparser

            session = self.session or TimedSession()
            response = with_retries(
                lambda: _get(session, feed_url), classify=classify, settings=self.settings, sleep=self.sleep,
                host=urlparse(feed_url).netloc or None, hosts=self.hosts)
            parsed = feedparser.parse(response.content)
            if parsed.bozo and not parsed.entries:
                raise MalformedResponse(f"not an RSS or Atom feed ({parsed.get('bozo_exception')})")
            matcher = store.matcher()
            mentions, rejected = [], []
            # Each entry on its own: one that cannot be read (no date, no id) costs itself.
            for position, entry in enumerate(parsed.entries, start=1):
                outcome = map_record(entry, lambda entry: map_item(entry, feed_url), position)
                if isinstance(outcome, Rejected):
                    rejected.append(outcome)
                    continue
                for mention in outcome:
                    if since and mention.created_at <= since:
                        continue
                    if matcher.match(mention)[0]:
                        mentions.append(mention)
            newest = max((m.created_at for m in mentions), default=since)
            return Page(mentions=mentions, newest=newest, next=None, rejected=rejected)
        return fetch


def _get(session, url: str):
    response = session.get(url, timeout=REQUEST_TIMEOUT, headers={"User-Agent": "groundswell (news monitoring)"})
    if response.status_code == 429 or response.status_code >= 500:
        response.raise_for_status()
    if response.status_code >= 400:
        raise SourceError(f"the feed answered {response.status_code} {response.reason}")
    return response


def classify(error: Exception):
    import requests

    if isinstance(error, requests.HTTPError) and error.response is not None:
        if error.response.status_code == 429:
            return announced_reset(error.response.headers)
        return TransientError(f"the feed answered {error.response.status_code}")
    if isinstance(error, (requests.ConnectionError, requests.Timeout)):
        return TransientError(f"cannot reach the feed: {type(error).__name__}")
    return None
