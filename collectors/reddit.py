"""Reddit: read-only search (newest first) over configured subreddits; reach is the subreddit's subscribers."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from campaigns import clock
from campaigns.errors import ImportFormatError
from campaigns.model import Campaign, Mention, iso_utc
from campaigns.settings import Settings
from collectors.base import (
    REQUEST_TIMEOUT,
    BadCredentials,
    Hosts,
    MalformedResponse,
    Page,
    Plan,
    RateLimited,
    Rejected,
    Scope,
    SourceError,
    TransientError,
    announced_reset,
    map_record,
    pack_queries,
    pause,
    wait_reported,
    with_retries,
)

PLATFORM = "reddit"
PAGE_SIZE = 100
MAX_QUERY = 512


def map_item(item: dict, subscribers: int | None = None) -> Mention:
    """One Reddit submission (t3) or comment (t1) `data` object to a Mention.

    Engagement is score + comments: score goes to likes, a post's num_comments to replies (a
    comment's replies are unknown). Reach is the subreddit's subscribers, keyed "r/<name>",
    never the author's followers.
    """
    try:
        native_id = str(item["name"] if item.get("name") else f"t3_{item['id']}")
        created_at = iso_utc(datetime.fromtimestamp(float(item["created_utc"]), UTC))
    except (KeyError, TypeError, ValueError) as error:
        raise ImportFormatError(f"Reddit item without {error} (is this a Reddit listing?)") from None
    is_comment = native_id.startswith("t1_")
    subreddit = item.get("subreddit")
    if is_comment:
        text = item.get("body") or ""
    else:
        text = "\n".join(part for part in (item.get("title"), item.get("selftext")) if part)
    author = item.get("author")
    if author in ("[deleted]", None):
        author = None
    size = item.get("subreddit_subscribers", subscribers)
    crosspost = (item.get("crosspost_parent") or None) if not is_comment else None
    return Mention(
        platform=PLATFORM,
        native_id=native_id,
        created_at=created_at,
        text=text,
        url=_url(item, native_id, is_comment),
        author_key=author.lower() if author else None,
        author_handle=author,
        author_followers=None,
        audience_key=f"r/{subreddit}" if subreddit else None,
        audience_size=int(size) if size is not None else None,
        lang=None,
        is_repost=crosspost is not None,
        reposted_uid=f"{PLATFORM}:{crosspost}" if crosspost else None,
        reply_to_uid=f"{PLATFORM}:{item['parent_id']}" if is_comment and item.get("parent_id") else None,
        likes=int(item["score"]) if item.get("score") is not None else None,
        # A comment's `num_comments` is its thread's count, not replies to the comment, which
        # listings do not give: unknown.
        replies=int(item["num_comments"]) if not is_comment and item.get("num_comments") is not None else None,
    )


def _url(item: dict, native_id: str, is_comment: bool) -> str | None:
    """The post's reddit.com address. Comment listings carry no `permalink` (only their
    thread's), so a comment's is built from its thread and its own id."""
    if item.get("permalink"):
        return f"https://www.reddit.com{item['permalink']}"
    if not is_comment:
        return item.get("url")
    comment_id = native_id.removeprefix("t1_")
    if item.get("link_permalink"):
        return f"{item['link_permalink'].rstrip('/')}/{comment_id}/"
    thread, subreddit = str(item.get("link_id") or "").removeprefix("t3_"), item.get("subreddit")
    if thread and subreddit:
        return f"https://www.reddit.com/r/{subreddit}/comments/{thread}/_/{comment_id}/"
    return None


def map_listing(listing: dict, subscribers: dict[str, int] | None = None,
                on_error: Callable[[str], None] | None = None) -> list[Mention]:
    """Every t1/t3 child of a Listing; `subscribers` by subreddit name fills older payloads.

    A child that cannot be read raises, or with `on_error` is passed over and reported to it.
    """
    if not isinstance(listing, dict) or listing.get("kind") != "Listing":
        raise ImportFormatError("not a Reddit Listing (no kind: Listing)")
    subscribers = subscribers or {}
    mentions = []
    for child in (listing.get("data") or {}).get("children") or []:
        if child.get("kind") not in ("t1", "t3"):
            continue
        try:
            mentions.append(map_item(child["data"], subscribers.get((child["data"].get("subreddit") or "").lower())))
        except ImportFormatError as error:
            if on_error is None:
                raise
            on_error(str(error))
    return mentions


def _term(tracker) -> str | None:
    if tracker.kind in ("hashtag", "keyword"):
        value = tracker.value.replace('"', "")
        return f'"{value}"' if " " in value else value
    if tracker.kind == "url":
        return f'url:"{tracker.value}"'
    return None  # accounts: Reddit search cannot ask "mentions u/name" reliably


def build_queries(campaign: Campaign, limit: int = MAX_QUERY) -> list[str]:
    """Trackers OR-ed into Reddit search syntax, split under `limit`, exclusions as NOT."""
    suffix = "".join(f' NOT {_quote(term)}' for term in campaign.exclude)
    terms = list(dict.fromkeys(t for t in (_term(tr) for tr in campaign.trackers) if t))
    return pack_queries(terms, suffix, limit, "Reddit")


def _quote(term: str) -> str:
    term = term.replace('"', "")
    return f'"{term}"' if " " in term else term


class RedditCollector:
    """praw, read-only (client credentials), raw listings so the same map_item serves imports."""

    name = PLATFORM
    host = "oauth.reddit.com"

    def __init__(self, settings: Settings, sleep=None, reddit=None):
        self.settings = settings
        self.sleep = sleep
        self._reddit = reddit
        self._subscribers: dict[str, int | None] = {}
        self.hosts = Hosts()  # Reddit unreachable fails once per pass, not once per query

    def missing(self) -> str | None:
        lacking = [name for name, value in (
            ("GROUNDSWELL_REDDIT_CLIENT_ID", self.settings.reddit_client_id),
            ("GROUNDSWELL_REDDIT_CLIENT_SECRET", self.settings.reddit_client_secret),
            ("GROUNDSWELL_REDDIT_USER_AGENT", self.settings.reddit_user_agent)) if not value]
        return ", ".join(lacking) or None

    def reddit(self):
        if self._reddit is None:
            import praw

            self._reddit = praw.Reddit(client_id=self.settings.reddit_client_id,
                                       client_secret=self.settings.reddit_client_secret,
                                       user_agent=self.settings.reddit_user_agent, check_for_async=False,
                                       timeout=REQUEST_TIMEOUT[1])
            self._reddit.read_only = True
            self._stop_aware_pacing(self._reddit)
        return self._reddit

    def _stop_aware_pacing(self, reddit) -> None:
        """prawcore paces requests itself from Reddit's x-ratelimit headers with time.sleep, up
        to the end of the window (ten minutes): make that wait bounded, stop-aware and reported
        like ours. Its retry pauses (a few seconds) stay as they are."""
        for core in {id(c): c for c in (reddit._read_only_core, getattr(reddit, "_authorized_core", None)) if c}.values():
            limiter = core._rate_limiter

            def delay(limiter=limiter) -> None:
                if limiter.next_request_timestamp_ns is None:
                    return
                seconds = (limiter.next_request_timestamp_ns - time.monotonic_ns()) / 1e9
                if seconds <= 0:
                    return
                if seconds > self.settings.max_rate_limit_wait:
                    raise RateLimited(f"Reddit asks for a pause of {seconds:.0f} s before the next request; "
                                      f"stopped instead of waiting (GROUNDSWELL_MAX_RATE_LIMIT_WAIT is "
                                      f"{self.settings.max_rate_limit_wait})",
                                      reset_at=clock.now().timestamp() + seconds)
                wait_reported(seconds, "pacing requests to Reddit's rate limit (x-ratelimit-reset)",
                              self.sleep or pause)
                limiter.next_request_timestamp_ns = None

            limiter.delay = delay

    def plan(self, campaign: Campaign, store=None) -> Plan:
        plan = Plan()
        queries = build_queries(campaign)
        if any(t.kind == "account" for t in campaign.trackers):
            plan.notes.append("account trackers are not searched on Reddit")
        for subreddit in self.settings.reddit_subreddits:
            for query in queries:
                plan.scopes.append(Scope(key=f"r/{subreddit}?{query}", label=f"r/{subreddit} search {query[:50]}",
                                         fetch=self._fetcher(subreddit, query)))
        return plan

    def _fetcher(self, subreddit: str, query: str):
        def fetch(since: str | None, position: str | None) -> Page:
            params = {"q": query, "sort": "new", "t": "all", "limit": PAGE_SIZE, "raw_json": 1,
                      "restrict_sr": "on" if subreddit.lower() != "all" else "off", "type": "link"}
            if position:
                params["after"] = position
            listing = self._call(lambda: self.reddit().request(
                method="GET", path=f"/r/{subreddit}/search", params=params))
            try:
                children = [c["data"] for c in listing["data"]["children"] if c.get("kind") == "t3"]
                after = listing["data"].get("after")
            except (KeyError, TypeError, AttributeError) as error:
                raise MalformedResponse(f"not a Reddit search listing ({error})") from None
            for item in children:
                if isinstance(item, dict) and item.get("subreddit_subscribers") is None and item.get("subreddit"):
                    item["subreddit_subscribers"] = self.subscribers(item["subreddit"])
            # Each post on its own: one that cannot be read costs itself, not its page.
            fresh, rejected, newest, readable = [], [], None, 0
            for position_on_page, item in enumerate(children, start=1):
                outcome = map_record(item, map_item, position_on_page)
                if isinstance(outcome, Rejected):
                    rejected.append(outcome)
                    continue
                created = float(item["created_utc"])  # map_item read it, so it is a number
                readable += 1
                newest = created if newest is None else max(newest, created)
                if since is None or created > float(since):
                    fresh.extend(outcome)
            return Page(mentions=fresh, next=after, newest=str(newest) if newest is not None else None,
                        reached_since=len(fresh) < readable, rejected=rejected)
        return fetch

    def subscribers(self, subreddit: str) -> int | None:
        """A subreddit's subscribers, asked once per run, for payloads that do not carry them."""
        key = subreddit.lower()
        if key not in self._subscribers:
            about = self._call(lambda: self.reddit().request(method="GET", path=f"/r/{subreddit}/about"))
            self._subscribers[key] = (about.get("data") or {}).get("subscribers") if isinstance(about, dict) else None
        return self._subscribers[key]

    def _call(self, call):
        return with_retries(call, classify=classify, settings=self.settings, sleep=self.sleep,
                            host=self.host, hosts=self.hosts)


def classify(error: Exception):
    """prawcore's errors in our terms; a 429 is read from its own response's headers."""
    import prawcore

    if isinstance(error, prawcore.TooManyRequests):
        return announced_reset(error.response.headers if error.response is not None else None)
    if isinstance(error, prawcore.ServerError | prawcore.RequestException):
        return TransientError(f"Reddit is not answering: {error}")
    if isinstance(error, prawcore.OAuthException | prawcore.InvalidToken) or (
            isinstance(error, prawcore.ResponseException) and error.response.status_code == 401):
        return BadCredentials("Reddit refused the app credentials (GROUNDSWELL_REDDIT_CLIENT_ID / _SECRET): "
                              "check them at https://www.reddit.com/prefs/apps")
    if isinstance(error, prawcore.BadJSON):
        return MalformedResponse("Reddit answered with something that is not JSON")
    if isinstance(error, prawcore.Forbidden | prawcore.NotFound | prawcore.Redirect):
        return SourceError(f"Reddit refused the search: {error} (is the subreddit private, banned or missing?)")
    if isinstance(error, prawcore.ResponseException):
        return SourceError(f"Reddit answered {error.response.status_code}")
    return None
