"""Bluesky: app.bsky.feed.searchPosts (latest first, cursor) per tracker; follower counts from getProfiles, cached."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlparse

from campaigns.errors import ImportFormatError, ValidationError
from campaigns.model import Campaign, Mention, parse_when
from campaigns.settings import Settings
from collectors.base import (
    BadCredentials,
    Hosts,
    MalformedResponse,
    Page,
    Plan,
    Rejected,
    Scope,
    SourceError,
    TransientError,
    announced_reset,
    map_record,
    rejected_for,
    with_retries,
)

PLATFORM = "bluesky"
PAGE_SIZE = 100
PROFILES_PER_CALL = 25  # getProfiles takes at most 25 actors


def _native(uri: str) -> str:
    return uri.removeprefix("at://")


def native_id(value: str) -> str:
    """A post's native id, the at:// uri without its scheme, from the uri or from the id itself,
    so a post stored from any route (the API, 4CAT, a plain CSV) is one row."""
    return _native(str(value).strip())


def _count(value) -> int | None:
    return int(value) if value is not None and value != "" else None


def _field(item: dict, camel: str, snake: str):
    """A field of the API's JSON (camelCase) or of atproto's `model_dump()` (snake_case), as
    4CAT saves Bluesky posts."""
    value = item.get(camel)
    return item.get(snake) if value is None else value


def _kind(obj: dict) -> str:
    return obj.get("$type") or obj.get("py_type") or ""


def map_item(view: dict, followers: int | None = None) -> Mention:
    """A postView (searchPosts, getPosts, a thread's post) or a feedViewPost to a Mention.

    Reads the API's JSON and atproto's `model_dump()` alike. A feed item whose `reason` is a
    repost becomes a repost of the post it carries, with its own uid (the post's uri + the
    reposter), 0 engagement and `reposted_uid` set.
    """
    if "post" in view and "uri" not in view:
        post, reason = view["post"], view.get("reason") or {}
    else:
        post, reason = view, {}
    try:
        uri = post["uri"]
        record = post["record"]
        author = post["author"]
        created_at = parse_when(_field(record, "createdAt", "created_at") or _field(post, "indexedAt", "indexed_at"))
    except (KeyError, TypeError, AttributeError) as error:
        raise ImportFormatError(f"Bluesky post without {error} (is this a postView?)") from None
    except ValidationError as error:
        raise ImportFormatError(f"Bluesky post {post.get('uri')}: {error}") from None
    handle = author.get("handle")
    text = record.get("text") or ""
    tags, mentioned = list(record.get("tags") or []), []
    for facet in record.get("facets") or []:
        for feature in facet.get("features") or []:
            kind = _kind(feature)
            if kind.endswith("#tag") and feature.get("tag"):
                tags.append(feature["tag"])
            elif kind.endswith("#mention") and feature.get("did"):
                mentioned.append(feature["did"])
    langs = record.get("langs") or []
    parent = ((record.get("reply") or {}).get("parent") or {}).get("uri")
    counts = dict(likes=_count(_field(post, "likeCount", "like_count")),
                  reposts=_count(_field(post, "repostCount", "repost_count")),
                  replies=_count(_field(post, "replyCount", "reply_count")),
                  quotes=_count(_field(post, "quoteCount", "quote_count")))
    indexed_at = _field(post, "indexedAt", "indexed_at")
    if _kind(reason).endswith("#reasonRepost"):
        by = reason.get("by") or {}
        return Mention(
            platform=PLATFORM, native_id=f"{_native(uri)}/repost/{by.get('did')}",
            created_at=parse_when(_field(reason, "indexedAt", "indexed_at") or indexed_at or created_at),
            text=text, url=post_url(handle or author.get("did"), uri),
            author_key=(by.get("handle") or by.get("did") or "").lower() or None, author_handle=by.get("handle"),
            author_followers=_count(_field(by, "followersCount", "followers_count")),
            lang=langs[0] if langs else None,
            is_repost=True, reposted_uid=f"{PLATFORM}:{_native(uri)}", hashtags=tags, context_text=text, **counts,
        )
    return Mention(
        platform=PLATFORM,
        native_id=_native(uri),
        created_at=created_at,
        text=text,
        url=post_url(handle or author.get("did"), uri),
        author_key=(handle or author.get("did") or "").lower() or None,
        author_handle=handle,
        author_followers=followers if followers is not None else _count(
            _field(author, "followersCount", "followers_count")),
        lang=langs[0] if langs else None,
        reply_to_uid=f"{PLATFORM}:{_native(parent)}" if parent else None,
        hashtags=tags,
        mentioned=mentioned,
        **counts,
    )


def post_url(actor: str | None, uri: str) -> str:
    """The bsky.app address of a post: its author's handle (or did) and the uri's record key."""
    return f"https://bsky.app/profile/{actor}/post/{uri.rsplit('/', 1)[-1]}"


def map_posts(document, on_error: Callable[[str], None] | None = None) -> list[Mention]:
    """searchPosts / getPosts output ({"posts": [...]}), a feed ({"feed": [...]}), a thread, or a list.

    A post that cannot be read raises, or with `on_error` is passed over and reported to it.
    """
    if isinstance(document, dict):
        if "posts" in document:
            items = document["posts"]
        elif "feed" in document:
            items = document["feed"]
        elif "thread" in document:
            items = [document["thread"].get("post")]
        elif "uri" in document:
            items = [document]
        else:
            raise ImportFormatError("not a Bluesky response (no posts, feed or thread)")
    elif isinstance(document, list):
        items = document
    else:
        raise ImportFormatError("not a Bluesky response")
    mentions = []
    for item in items:
        try:
            mentions.append(map_item(item))
        except (ImportFormatError, AttributeError) as error:
            if on_error is None:
                raise ImportFormatError(str(error)) from None
            on_error(str(error) if isinstance(error, ImportFormatError) else "a post that is not a JSON object")
    return mentions


def build_queries(campaign: Campaign) -> list[str]:
    """One searchPosts query per tracker (Bluesky search has no OR): #tag, "phrase", word, mentions:x."""
    queries = []
    for tracker in campaign.trackers:
        if tracker.kind == "hashtag":
            queries.append(f"#{tracker.value}")
        elif tracker.kind == "keyword":
            value = tracker.value.replace('"', "")
            queries.append(f'"{value}"' if " " in value else value)
        elif tracker.kind == "account":
            handle = tracker.value.lstrip("@")
            if "." in handle:  # Bluesky handles are domains
                queries.append(f"mentions:{handle}")
        elif tracker.kind == "url":
            queries.append(f"domain:{tracker.value.split('//', 1)[-1].split('/', 1)[0]}")
    return list(dict.fromkeys(queries))


class BlueskyCollector:
    """Signs in with an app password, searches per tracker, fills author followers from a cache."""

    name = PLATFORM

    def __init__(self, settings: Settings, store, sleep=None):
        self.settings = settings
        self.store = store
        self.sleep = sleep
        self._client = None
        self.hosts = Hosts()  # the PDS unreachable fails once per pass, not once per query

    def missing(self) -> str | None:
        lacking = [name for name, value in (
            ("GROUNDSWELL_BLUESKY_HANDLE", self.settings.bluesky_handle),
            ("GROUNDSWELL_BLUESKY_APP_PASSWORD", self.settings.bluesky_app_password)) if not value]
        return ", ".join(lacking) or None

    def client(self):
        if self._client is None:
            from atproto import Client

            client = Client(base_url=self.settings.bluesky_service)
            self._call(lambda: client.login(self.settings.bluesky_handle, self.settings.bluesky_app_password,
                                            fetch_bsky_profile=False))
            self._client = client
        return self._client

    def plan(self, campaign: Campaign, store=None) -> Plan:
        plan = Plan()
        for query in build_queries(campaign):
            plan.scopes.append(Scope(key=f"q:{query}", label=f"search {query}", fetch=self._fetcher(query)))
        return plan

    def _fetcher(self, query: str):
        def fetch(since: str | None, position: str | None) -> Page:
            from atproto_client.models.utils import get_model_as_dict

            params = {"q": query, "sort": "latest", "limit": PAGE_SIZE}
            if position:
                params["cursor"] = position
            if since:
                params["since"] = since
            client = self.client()
            found = self._call(lambda: client.app.bsky.feed.search_posts(params))
            try:
                document = get_model_as_dict(found)
                views = document["posts"]
                if not isinstance(views, list):
                    raise TypeError("'posts' is not a list")
            except (KeyError, TypeError, ImportFormatError) as error:
                raise MalformedResponse(f"not a searchPosts answer ({error})") from None
            # Each post on its own: one that cannot be read costs itself, not its page.
            fresh, fresh_views, rejected, newest, readable = [], [], [], None, 0
            for position_on_page, view in enumerate(views, start=1):
                outcome = map_record(view, map_item, position_on_page)
                if isinstance(outcome, Rejected):
                    rejected.append(outcome)
                    continue
                try:
                    at = parse_when(view["indexedAt"])
                except Exception as error:  # noqa: BLE001 - costs this post only
                    rejected.append(rejected_for(view, error, position_on_page))
                    continue
                readable += 1
                newest = at if newest is None else max(newest, at)
                if since is None or at > since:
                    fresh.extend(outcome)
                    fresh_views.append(view)
            self._fill_followers(fresh, fresh_views)
            return Page(mentions=fresh, next=document.get("cursor") if views else None, newest=newest,
                        reached_since=len(fresh_views) < readable, rejected=rejected)
        return fetch

    def _fill_followers(self, mentions: list[Mention], views: list[dict]) -> None:
        """postView authors carry no follower count: ask getProfiles for authors not cached today."""
        did_of = {_native(v["uri"]): v["author"].get("did") for v in views}
        dids = list(dict.fromkeys(d for d in did_of.values() if d))
        known = self.store.cached_followers(PLATFORM, dids)
        wanted = [d for d in dids if d not in known]
        client = self.client() if wanted else None
        for start in range(0, len(wanted), PROFILES_PER_CALL):
            chunk = wanted[start:start + PROFILES_PER_CALL]
            answer = self._call(lambda chunk=chunk: client.app.bsky.actor.get_profiles({"actors": chunk}))
            fetched = {p.did: (p.handle, p.followers_count) for p in answer.profiles}
            self.store.save_followers(PLATFORM, fetched)
            known.update({did: followers for did, (_, followers) in fetched.items()})
        for mention in mentions:
            mention.author_followers = known.get(did_of.get(mention.native_id))

    def _call(self, call):
        return with_retries(call, classify=classify, settings=self.settings, sleep=self.sleep,
                            host=urlparse(self.settings.bluesky_service).netloc or None, hosts=self.hosts)


def classify(error: Exception):
    """atproto's errors in our terms."""
    from atproto_client import exceptions as e

    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    if isinstance(error, e.UnauthorizedError) or status == 401 or (
            status == 400 and "AuthenticationRequired" in str(getattr(response, "content", ""))):
        return BadCredentials("Bluesky refused the handle or app password (GROUNDSWELL_BLUESKY_HANDLE / "
                              "GROUNDSWELL_BLUESKY_APP_PASSWORD): make an app password in Settings > App passwords")
    if status == 429:
        return announced_reset(getattr(response, "headers", None))
    if isinstance(error, e.NetworkError) or (status is not None and status >= 500):
        return TransientError(f"Bluesky is not answering ({status or type(error).__name__})")
    if isinstance(error, e.ModelError):
        return MalformedResponse(f"Bluesky answered in an unexpected shape: {str(error)[:200]}")
    if isinstance(error, e.RequestErrorBase):
        return SourceError(f"Bluesky answered {status}: {str(getattr(response, 'content', ''))[:200]}")
    return None
