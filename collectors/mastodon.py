"""Mastodon: hashtag timelines (public, no key needed) and keyword search on each configured instance."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import urlparse

from campaigns.errors import ImportFormatError, ValidationError
from campaigns.model import Campaign, Mention, parse_when
from campaigns.settings import Settings
from collectors.base import (
    REQUEST_TIMEOUT,
    BadCredentials,
    ConfigurationError,
    Hosts,
    MalformedResponse,
    Page,
    Plan,
    Scope,
    SourceError,
    TimedSession,
    TransientError,
    announced_reset,
    map_records,
    newest_id,
    rejected_for,
    with_retries,
)

PLATFORM = "mastodon"
PAGE_SIZE = 40  # the most a Mastodon timeline returns per request
_TAG_RE = re.compile(r"<[^>]+>")
_BREAK_RE = re.compile(r"<br\s*/?>|</p>\s*<p>", re.I)


def html_to_text(content: str) -> str:
    """Mastodon's HTML content as plain text: paragraphs and breaks become new lines."""
    return html.unescape(_TAG_RE.sub("", _BREAK_RE.sub("\n", content or ""))).strip()


def _canonical(status: dict) -> str:
    """A status's ActivityPub uri without the scheme: the same post on every instance."""
    uri = status.get("uri") or status.get("url")
    if not uri:
        raise KeyError("uri")
    return native_id(uri)


def _author_key(account: dict) -> str | None:
    acct = account.get("acct")
    if not acct:
        return None
    if "@" not in acct:
        host = urlparse(str(account.get("url") or "")).netloc
        acct = f"{acct}@{host}" if host else acct
    return acct.lower()


def _count(value) -> int | None:
    return int(value) if value is not None else None


def reply_to_uid(status: dict) -> str | None:
    """The uid of the status this one replies to, or None when it is not a reply.

    The API gives the parent's id on the instance that served the status. When the parent's
    author is local there (the author of a thread, or a mentioned account without a domain),
    that id is the one in the parent's ActivityPub uri, so the uid is the parent's own and
    joins its row. A parent from another server has an id that only the serving instance
    knows: the uid keeps it as "in-reply-to:<id>", marking a reply without naming a row.
    """
    parent_id = status.get("in_reply_to_id")
    if not parent_id:
        return None
    account_id = str(status.get("in_reply_to_account_id") or "")
    candidates = [status.get("account") or {}, *(status.get("mentions") or [])]
    author = next((a for a in candidates if account_id and str(a.get("id")) == account_id), None)
    if author and author.get("acct") and "@" not in author["acct"]:
        host = urlparse(str(author.get("url") or "")).netloc
        username = author.get("username") or author["acct"]
        if host:
            return f"{PLATFORM}:{host}/users/{username}/statuses/{parent_id}"
    return f"{PLATFORM}:in-reply-to:{parent_id}"


def map_item(status: dict) -> Mention:
    """One Mastodon status (API JSON, or Mastodon.py's parsed dict) to a Mention.

    A reblog carries the original's text for matching and points at it through `reposted_uid`;
    its own engagement is 0. Quotes are stored but are not engagement on Mastodon.
    """
    try:
        created_at = parse_when(status["created_at"])
        native_id = _canonical(status)
        account = status.get("account") or {}
    except (KeyError, TypeError, AttributeError) as error:
        raise ImportFormatError(f"status without {error} (is this a Mastodon API status?)") from None
    except ValidationError as error:
        raise ImportFormatError(f"status {status.get('uri')}: {error}") from None
    original = status.get("reblog")
    source = original or status
    text = html_to_text(source.get("content") or "")
    if source.get("spoiler_text"):
        text = f"{source['spoiler_text']}\n{text}"
    lang = source.get("language")
    return Mention(
        platform=PLATFORM,
        native_id=native_id,
        created_at=created_at,
        text=text,
        url=status.get("url") or (original or {}).get("url") or status.get("uri"),
        author_key=_author_key(account),
        author_handle=account.get("acct"),
        author_followers=_count(account.get("followers_count")),
        lang=lang or None,
        is_repost=original is not None,
        reposted_uid=f"{PLATFORM}:{_canonical(original)}" if original else None,
        reply_to_uid=None if original else reply_to_uid(status),
        likes=_count(source.get("favourites_count")),
        reposts=_count(source.get("reblogs_count")),
        replies=_count(source.get("replies_count")),
        quotes=_count(source.get("quotes_count")),
        hashtags=[t.get("name") for t in source.get("tags") or [] if t.get("name")],
        mentioned=[m.get("acct") for m in source.get("mentions") or [] if m.get("acct")],
        context_text=text if original else "",
    )


def native_id(value: str) -> str:
    """A status's native id from its ActivityPub uri (or the id already without a scheme)."""
    return re.sub(r"^https?://", "", str(value).strip())


def map_statuses(statuses: list, on_error: Callable[[str], None] | None = None) -> list[Mention]:
    """A list of statuses (a timeline page), plus the originals of its reblogs.

    A status that cannot be read raises, or with `on_error` is passed over and reported to it.
    """
    if not isinstance(statuses, list):
        raise ImportFormatError("not a list of Mastodon statuses")
    mentions, originals = [], []
    seen = set()
    for status in statuses:
        try:
            mention = map_item(status)
            original = map_item(status["reblog"]) if status.get("reblog") else None
        except (ImportFormatError, AttributeError) as error:
            # An object that is something else ("account": "bob"; a status that is text) is
            # named by the field it is in.
            reason = str(error) if isinstance(error, ImportFormatError) else rejected_for(status, error).reason
            if on_error is None:
                raise ImportFormatError(reason) from None
            on_error(reason)
            continue
        mentions.append(mention)
        seen.add(mention.native_id)
        if original is not None:
            originals.append(original)
    for original in originals:
        if original.native_id not in seen:
            seen.add(original.native_id)
            mentions.append(original)
    return mentions


def _with_original(status: dict) -> list[Mention]:
    """A status and, for a reblog, the original it carries (which holds the counts)."""
    mention = map_item(status)
    original = status.get("reblog")
    return [mention, map_item(original)] if original else [mention]


def base_url(instance: str) -> str:
    """A host name means https; a full URL (http://127.0.0.1:8080) is kept. Anything that is not
    a host or a URL is a ConfigurationError naming the variable."""
    instance = instance.strip().rstrip("/")
    url = instance if re.match(r"^https?://", instance) else f"https://{instance}"
    try:
        parsed = urlparse(url)
        parsed.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as error:
        raise ConfigurationError(f"configuration error: GROUNDSWELL_MASTODON_INSTANCES holds '{instance}', "
                                 f"which is not a host name or URL ({error})") from None
    if not parsed.hostname or any(c.isspace() for c in instance):
        raise ConfigurationError(f"configuration error: GROUNDSWELL_MASTODON_INSTANCES holds '{instance}', "
                                 "which is not a host name or URL (e.g. mastodon.social or http://127.0.0.1:8080)")
    return url


def host_of(instance: str) -> str:
    """The host (and port) an instance is known by in cursors and status uris."""
    return urlparse(base_url(instance)).netloc


def client_for(url: str, access_token: str | None = None):
    """Mastodon.py on one instance: it throws on 429 (we wait ourselves, bounded, stop-aware),
    every request has a timeout, and the session keeps each response for its headers and JSON."""
    from mastodon import Mastodon

    return Mastodon(api_base_url=url, access_token=access_token, ratelimit_method="throw",
                    request_timeout=REQUEST_TIMEOUT[1], version_check_mode="none", session=TimedSession(),
                    user_agent="groundswell (social listening)")


def raw_answer(api, parsed):
    """The JSON of the answer Mastodon.py just parsed, as the instance sent it: Mastodon.py casts
    a date it cannot read to None, and a rejected record should name what was really there."""
    response = getattr(getattr(api, "session", None), "last_response", None)
    if response is None:
        return parsed
    try:
        return response.json()
    except ValueError:
        return parsed


class MastodonCollector:
    """Hashtag timelines and, with an access token, keyword search, on every configured instance."""

    name = PLATFORM

    def __init__(self, settings: Settings, sleep=None):
        self.settings = settings
        self.sleep = sleep
        self._clients: dict[str, object] = {}
        self.hosts = Hosts()  # an instance that stops answering fails once per pass, not once per tag

    def missing(self) -> str | None:
        if not self.settings.mastodon_instances:
            return "GROUNDSWELL_MASTODON_INSTANCES"
        return None

    def client(self, instance: str):
        if instance not in self._clients:
            self._clients[instance] = client_for(base_url(instance), self.settings.mastodon_access_token)
        return self._clients[instance]

    def plan(self, campaign: Campaign, store=None) -> Plan:
        plan = Plan()
        tags = list(dict.fromkeys(t.value.lower() for t in campaign.trackers if t.kind == "hashtag"))
        keywords = list(dict.fromkeys(t.value for t in campaign.trackers if t.kind == "keyword"))
        for instance in self.settings.mastodon_instances:
            host = host_of(instance)
            for tag in tags:
                plan.scopes.append(Scope(key=f"{host}#{tag}", label=f"{host} #{tag}",
                                         fetch=self._hashtag_fetcher(instance, tag)))
            if keywords and self.settings.mastodon_access_token:
                for keyword in keywords:
                    plan.scopes.append(Scope(key=f"{host}?{keyword}", label=f"{host} search '{keyword}'",
                                             fetch=self._search_fetcher(instance, keyword)))
        if keywords and not self.settings.mastodon_access_token:
            plan.notes.append(
                f"keyword trackers ({', '.join(keywords)}) are not collectable on Mastodon without "
                "GROUNDSWELL_MASTODON_ACCESS_TOKEN: instances only search full text for signed-in users")
        return plan

    def _hashtag_fetcher(self, instance: str, tag: str):
        def fetch(since: str | None, position: str | None) -> Page:
            api = self.client(instance)
            statuses = self._call(api, instance, lambda: api.timeline_hashtag(
                tag, since_id=since, max_id=position, limit=PAGE_SIZE))
            return self._page(raw_answer(api, statuses))
        return fetch

    def _search_fetcher(self, instance: str, keyword: str):
        def fetch(since: str | None, position: str | None) -> Page:
            api = self.client(instance)
            found = raw_answer(api, self._call(api, instance, lambda: api.search_v2(
                keyword, resolve=False, result_type="statuses", min_id=since, max_id=position,
                limit=PAGE_SIZE)))
            statuses = found.get("statuses") if hasattr(found, "get") else None
            if statuses is None:
                raise MalformedResponse("search answered without 'statuses'")
            return self._page(statuses)
        return fetch

    def _page(self, statuses) -> Page:
        if not isinstance(statuses, list):
            raise MalformedResponse(f"expected a list of statuses, got {type(statuses).__name__}")
        # Each status on its own (with the original a reblog carries): one that cannot be read
        # costs itself, not its page.
        mentions, rejected = map_records([dict(s) if hasattr(s, "keys") else s for s in statuses], _with_original)
        mentions = list({m.uid: m for m in reversed(mentions)}.values())[::-1]  # an original seen twice is one
        local_ids = [str(s["id"]) for s in statuses if hasattr(s, "get") and isinstance(s.get("id"), str | int)]
        oldest = min(local_ids, key=lambda i: int(i) if i.isdigit() else 0) if local_ids else None
        return Page(mentions=mentions, newest=newest_id(local_ids), rejected=rejected,
                    next=oldest if len(statuses) >= PAGE_SIZE else None)

    def _call(self, api, instance, call):
        return with_retries(call, classify=lambda error: classify(error, api), settings=self.settings,
                            sleep=self.sleep, host=host_of(instance), hosts=self.hosts)


def classify(error: Exception, api=None):
    """Mastodon.py's errors in our terms; a 429 is read from the headers of its own response."""
    from mastodon import errors as m

    if isinstance(error, m.MastodonRatelimitError):
        response = getattr(getattr(api, "session", None), "last_response", None)
        return announced_reset(response.headers if response is not None else None)
    if isinstance(error, (m.MastodonServerError, m.MastodonNetworkError)):
        return TransientError(str(error))
    if isinstance(error, m.MastodonUnauthorizedError):
        return BadCredentials("Mastodon refused the access token (GROUNDSWELL_MASTODON_ACCESS_TOKEN): "
                              "check it or unset it to read public timelines only")
    if isinstance(error, m.MastodonNotFoundError):
        return SourceError("not found on this instance (is it a Mastodon server?)")
    if isinstance(error, m.MastodonAPIError):
        text = " ".join(str(a) for a in error.args)
        if "parse response as JSON" in text:
            return MalformedResponse("the instance answered with something that is not JSON")
        if len(error.args) > 1 and error.args[1] in (401, 403, 422):
            return SourceError(f"the instance refused: {error.args[3] if len(error.args) > 3 else error.args[1]} "
                               "(hashtag feeds may need sign-in there)")
        return SourceError(f"Mastodon API error: {text[:200]}")
    if isinstance(error, RecursionError):
        # Mastodon.py recurses when an instance hides its version (STACK-NOTES).
        return SourceError("the instance does not say which version it runs; search is not possible there")
    return None
