"""X (Twitter) API v2: map search pages to mentions, and collect them with tweepy within a budget."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypedDict

import msgspec

from campaigns.errors import ImportFormatError, ValidationError
from campaigns.model import Mention, iso_utc, parse_when
from collectors.base import pack_queries, rejected_for

PLATFORM = "x"
NO_LANGUAGE = (None, "", "und", "zxx", "qme", "qht")  # X's codes for "no linguistic content"
# Snowflake ids (every tweet since November 2010) carry their creation time in milliseconds.
SNOWFLAKE_EPOCH_MS = 1288834974657
FIRST_SNOWFLAKE = 1 << 32


def _metric(metrics: dict, name: str) -> int | None:
    value = metrics.get(name)
    return int(value) if value is not None and value != "" else None


def text_of(raw: str | None) -> str:
    """A tweet's text as written: X escapes &, < and > as HTML entities in every API."""
    return html.unescape(raw) if raw and "&" in raw else (raw or "")


def created_from_id(tweet_id: str) -> str | None:
    """The creation time a snowflake id holds, in the stored form, or None for an older id."""
    try:
        number = int(tweet_id)
    except (TypeError, ValueError):
        return None
    if number < FIRST_SNOWFLAKE:
        return None
    return iso_utc(datetime.fromtimestamp(((number >> 22) + SNOWFLAKE_EPOCH_MS) // 1000, UTC))


def retweet_text(own_text: str, original_text: str) -> str:
    """A retweet's text with the original's in full: X cuts it ("RT @name: the first 140…"), so
    its tags and words would be read from a cut text. The "RT @name: " prefix is its own."""
    if own_text.startswith("RT @") and ": " in own_text:
        return own_text[:own_text.index(": ") + 2] + original_text
    return own_text


def post_url(username: str | None, tweet_id: str) -> str:
    return f"https://x.com/{username or 'i/web'}/status/{tweet_id}"


def map_item(tweet: dict, users: dict[str, dict] | None = None,
             tweets: dict[str, dict] | None = None) -> Mention:
    """One v2 tweet object to a Mention; `users` and `tweets` are the page's `includes`, by id.

    A retweet adds no engagement of its own; it points at the original through
    `reposted_uid`. When the page includes the original, the retweet carries the original's
    counts (on the retweet itself X reports its likes, replies and quotes as 0), text and tags.
    """
    users = users or {}
    tweets = tweets or {}
    try:
        tweet_id = str(tweet["id"])
        text = text_of(tweet.get("text"))
        created_at = parse_when(tweet["created_at"])
    except (KeyError, TypeError) as error:
        raise ImportFormatError(f"tweet without {error} (is this an X API v2 page?)") from None
    except ValidationError as error:
        raise ImportFormatError(f"tweet {tweet.get('id')}: {error}") from None
    author = users.get(str(tweet.get("author_id"))) or {}
    username = author.get("username")
    metrics = tweet.get("public_metrics") or {}
    entities = tweet.get("entities") or {}
    references = {ref.get("type"): str(ref.get("id")) for ref in tweet.get("referenced_tweets") or []}
    reposted = references.get("retweeted")
    original = tweets.get(reposted) if reposted else None
    hashtags = [h["tag"] for h in entities.get("hashtags") or [] if h.get("tag")]
    context = ""
    if original is not None:
        metrics = original.get("public_metrics") or metrics
        context = text_of(original.get("text"))
        text = retweet_text(text, context)
        hashtags += [h["tag"] for h in (original.get("entities") or {}).get("hashtags") or [] if h.get("tag")]
    lang = tweet.get("lang")
    return Mention(
        platform=PLATFORM,
        native_id=tweet_id,
        created_at=created_at,
        text=text,
        url=post_url(username, tweet_id),
        author_key=username.lower() if username else (f"id:{tweet['author_id']}" if tweet.get("author_id") else None),
        author_handle=username,
        author_followers=_metric(author.get("public_metrics") or {}, "followers_count"),
        lang=None if lang in NO_LANGUAGE else lang,
        is_repost=reposted is not None,
        reposted_uid=f"{PLATFORM}:{reposted}" if reposted else None,
        reply_to_uid=f"{PLATFORM}:{references['replied_to']}" if "replied_to" in references else None,
        likes=_metric(metrics, "like_count"),
        reposts=_metric(metrics, "retweet_count"),
        replies=_metric(metrics, "reply_count"),
        quotes=_metric(metrics, "quote_count"),
        impressions=_metric(metrics, "impression_count"),
        hashtags=list(dict.fromkeys(hashtags)),
        mentioned=[m["username"] for m in entities.get("mentions") or [] if m.get("username")],
        context_text=context,
    )


def _with_originals(mentions: list[Mention], tweets: dict[str, dict], users: dict[str, dict],
                    on_error: Callable[[str], None] | None = None) -> list[Mention]:
    """The posts plus the originals of their retweets from `tweets`, each once: the originals
    carry the real counts, so storing them credits a retweet's engagement to the post that
    earned it, once. An original that cannot be read raises, or is reported to `on_error`."""
    seen = {m.native_id for m in mentions}
    for mention in list(mentions):
        original_id = mention.reposted_uid.split(":", 1)[1] if mention.reposted_uid else None
        if original_id and original_id in tweets and original_id not in seen:
            seen.add(original_id)
            try:
                mentions.append(map_item(tweets[original_id], users, tweets))
            except Exception as error:  # noqa: BLE001 - an unreadable original costs itself only
                if on_error is None:
                    raise
                on_error(_unreadable(tweets[original_id], error))
    return mentions


def map_page(page: dict, on_error: Callable[[str], None] | None = None) -> list[Mention]:
    """Every post in one v2 search page, plus the originals of its retweets from `includes`.

    A tweet that cannot be read raises, or with `on_error` is passed over and reported to it.
    """
    if not isinstance(page, dict) or not isinstance(page.get("data", []), list) or (
        "data" not in page and "meta" not in page
    ):
        raise ImportFormatError("not an X API v2 search page (no 'data' list)")
    includes = page.get("includes") or {}
    if not isinstance(includes, dict):
        includes = {}
    users = {str(u.get("id")): u for u in includes.get("users") or [] if isinstance(u, dict)}
    tweets = {str(t.get("id")): t for t in includes.get("tweets") or [] if isinstance(t, dict)}
    mentions = []
    for tweet in page.get("data") or []:
        try:
            mentions.append(map_item(tweet, users, tweets))
        except Exception as error:  # noqa: BLE001 - whatever breaks on one tweet costs that tweet only
            if on_error is None:
                raise
            on_error(_unreadable(tweet, error))
    return _with_originals(mentions, tweets, users, on_error)


def _unreadable(tweet, error: Exception) -> str:
    """Why a tweet could not be read, naming it and the field at fault where it can be found."""
    if isinstance(error, ImportFormatError):
        return str(error)
    name = tweet.get("id") if isinstance(tweet, dict) else None
    return f"tweet {name}: {rejected_for(tweet, error).reason}" if name else rejected_for(tweet, error).reason


# What map_page reads of a v2 search page, and nothing else. A real page is mostly what no
# mention stores (context annotations, media, places, edit history, the authors' profiles):
# decoded into these, the rest is skipped unbuilt, and reading real pages took half the time.
# As TypedDicts the decoder builds the dicts map_page reads itself, with no copy to builtins.
class _Entities(TypedDict, total=False):
    hashtags: Any
    mentions: Any


class _Tweet(TypedDict, total=False):
    id: Any
    text: Any
    created_at: Any
    author_id: Any
    lang: Any
    public_metrics: Any
    entities: _Entities | None
    referenced_tweets: Any


class _User(TypedDict, total=False):
    id: Any
    username: Any
    public_metrics: Any


class _Includes(TypedDict, total=False):
    users: list[_User] | None
    tweets: list[_Tweet] | None


class _Page(TypedDict, total=False):
    data: list[_Tweet] | None
    meta: Any
    includes: _Includes | None


_PAGE = msgspec.json.Decoder(_Page)


def decode_page(line: bytes) -> dict | None:
    """One line of JSON as map_page reads it, when it is a v2 search page; None when it is not
    JSON, not a page, or holds a field of another shape than a page's, for the caller to read
    whole, so that what is wrong with it is found and reported as for any document."""
    try:
        page = _PAGE.decode(line)
    except msgspec.DecodeError:
        return None
    return page if "data" in page or "meta" in page else None


def map_expanded(tweet: dict) -> list[Mention]:
    """A v2 tweet with its expansions merged in, as 4CAT stores them: its author as
    `author_user`, and each of `referenced_tweets` the full tweet (with its own `author_user`)
    beside its `type`. The post, plus the original it retweets."""
    users: dict[str, dict] = {}
    tweets: dict[str, dict] = {}

    def collect(item: dict) -> None:
        author = item.get("author_user")
        if isinstance(author, dict) and item.get("author_id"):
            users[str(item["author_id"])] = author
        for ref in item.get("referenced_tweets") or []:
            if isinstance(ref, dict) and ref.get("id") and ref.get("text") is not None and ref.get("created_at"):
                tweets[str(ref["id"])] = ref
                collect(ref)

    collect(tweet)
    return _with_originals([map_item(tweet, users, tweets)], tweets, users)


# -- X's web GraphQL (what Zeeschuimer saves from x.com pages) ----------------------------------

_MONTHS = {name: f"{number:02d}" for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}


def web_time(text: str) -> str:
    """X's web and v1.1 time, "Wed Oct 10 20:19:24 +0000 2018", in the stored form."""
    parts = str(text).split()
    if len(parts) == 6 and parts[4] == "+0000" and parts[1] in _MONTHS and len(parts[2]) == 2:
        return parse_when(f"{parts[5]}-{_MONTHS[parts[1]]}-{parts[2]}T{parts[3]}Z")
    try:
        return iso_utc(datetime.strptime(str(text), "%a %b %d %H:%M:%S %z %Y"))
    except ValueError:
        raise ImportFormatError(f"bad X time '{text}' (expected like 'Wed Oct 10 20:19:24 +0000 2018')") from None


def _web_tweet(result: dict) -> dict:
    # A tweet under visibility rules comes wrapped: {"__typename": "TweetWithVisibilityResults", "tweet": {...}}.
    while isinstance(result, dict) and "legacy" not in result and isinstance(result.get("tweet"), dict):
        result = result["tweet"]
    return result


def _web_user(tweet: dict) -> dict:
    user = ((tweet.get("core") or {}).get("user_results") or {}).get("result") or {}
    # Since 2025 the name sits in the user's `core`; before, in its `legacy`.
    legacy = user.get("legacy") or {}
    return {"screen_name": (user.get("core") or {}).get("screen_name") or legacy.get("screen_name"),
            "followers_count": legacy.get("followers_count"), "rest_id": user.get("rest_id")}


def _web_text(tweet: dict) -> str:
    # Posts longer than 280 characters keep their full text in `note_tweet`.
    note = (((tweet.get("note_tweet") or {}).get("note_tweet_results") or {}).get("result") or {}).get("text")
    return text_of(note or (tweet.get("legacy") or {}).get("full_text"))


def map_graphql(result: dict) -> list[Mention]:
    """One tweet of X's web GraphQL (`rest_id`, `legacy`, `core`) to Mentions: the post, plus
    the original it retweets (`legacy.retweeted_status_result`)."""
    tweet = _web_tweet(result)
    try:
        legacy = tweet["legacy"]
        tweet_id = str(tweet.get("rest_id") or legacy["id_str"])
        created_at = web_time(legacy["created_at"])
    except (KeyError, TypeError) as error:
        raise ImportFormatError(f"X web tweet without {error} (is this a GraphQL tweet result?)") from None
    user = _web_user(tweet)
    username = user["screen_name"]
    text = _web_text(tweet)
    entities = legacy.get("entities") or {}
    hashtags = [h["text"] for h in entities.get("hashtags") or [] if h.get("text")]
    original = _web_tweet(((legacy.get("retweeted_status_result") or {}).get("result")) or {})
    originals: list[Mention] = []
    reposted = None
    context = ""
    if original.get("legacy"):
        originals = map_graphql(original)
        reposted = originals[0].native_id
        context = originals[0].text
        text = retweet_text(text, context)
        hashtags += originals[0].hashtags
    views = tweet.get("views") or {}
    reply_to = legacy.get("in_reply_to_status_id_str")
    lang = legacy.get("lang")
    mention = Mention(
        platform=PLATFORM,
        native_id=tweet_id,
        created_at=created_at,
        text=text,
        url=post_url(username, tweet_id),
        author_key=username.lower() if username else (f"id:{user['rest_id']}" if user["rest_id"] else None),
        author_handle=username,
        author_followers=_metric(user, "followers_count"),
        lang=None if lang in NO_LANGUAGE else lang,
        is_repost=reposted is not None,
        reposted_uid=f"{PLATFORM}:{reposted}" if reposted else None,
        reply_to_uid=f"{PLATFORM}:{reply_to}" if reply_to else None,
        likes=_metric(legacy, "favorite_count"),
        reposts=_metric(legacy, "retweet_count"),
        replies=_metric(legacy, "reply_count"),
        quotes=_metric(legacy, "quote_count"),
        # "EnabledWithCount" is the one state in which X shows a view count.
        impressions=_metric(views, "count") if views.get("state") == "EnabledWithCount" else None,
        hashtags=list(dict.fromkeys(hashtags)),
        mentioned=[m["screen_name"] for m in entities.get("user_mentions") or [] if m.get("screen_name")],
        context_text=context,
    )
    return [mention, *originals]


# -- the collector: tweepy's recent search, page by page, within a monthly post budget ------------

MAX_QUERY = 512  # characters X accepts in one search query (pay-per-use / Basic tiers)
TWEET_FIELDS = ["created_at", "author_id", "public_metrics", "entities", "lang", "referenced_tweets",
                "conversation_id"]
USER_FIELDS = ["username", "public_metrics"]
EXPANSIONS = ["author_id", "referenced_tweets.id", "referenced_tweets.id.author_id"]


def _quoted(term: str) -> str:
    term = term.replace('"', "")
    return f'"{term}"' if (" " in term or "-" in term) else term


def tracker_terms(campaign) -> list[str]:
    """Each tracker as X search syntax: #tag, "a phrase", word, (@name OR from:name), url:"..."."""
    terms = []
    for tracker in campaign.trackers:
        if tracker.kind == "hashtag":
            terms.append(f"#{tracker.value}")
        elif tracker.kind == "keyword":
            terms.append(_quoted(tracker.value))
        elif tracker.kind == "account":
            name = tracker.value.lstrip("@")
            terms.append(f"(@{name} OR from:{name})")
        elif tracker.kind == "url":
            terms.append(f'url:"{tracker.value}"')
    return list(dict.fromkeys(terms))


def build_queries(campaign, lang: str | None = None, limit: int = MAX_QUERY) -> list[str]:
    """The trackers OR-ed into as few queries as fit `limit` characters, each with the exclusions."""
    suffix = "".join(f" -{_quoted(term)}" for term in campaign.exclude)
    if lang:
        suffix += f" lang:{lang}"
    return pack_queries(tracker_terms(campaign), suffix, limit, "X")


class XCollector:
    """Recent search (last 7 days) through tweepy's Paginator, `since_id` per query, within the budget."""

    name = PLATFORM
    host = "api.x.com"

    def __init__(self, settings, store, sleep=None, client=None):
        from collectors.base import Hosts

        self.settings = settings
        self.store = store
        self.sleep = sleep
        self._client = client
        self._pages: dict[str, object] = {}
        self.hosts = Hosts()  # X unreachable fails once per pass, not once per query

    def missing(self) -> str | None:
        return None if self.settings.x_bearer_token else "GROUNDSWELL_X_BEARER_TOKEN"

    def client(self):
        if self._client is None:
            import tweepy

            from collectors.base import TimedSession

            # We wait on rate limits ourselves: bounded, stop-aware, and recorded on the run.
            self._client = tweepy.Client(bearer_token=self.settings.x_bearer_token, return_type=dict,
                                         wait_on_rate_limit=False)
            self._client.session = TimedSession()  # tweepy sets no timeout of its own
        return self._client

    def plan(self, campaign, store=None):
        from collectors.base import Plan, Scope

        plan = Plan()
        for query in build_queries(campaign, lang=self.settings.x_lang):
            plan.scopes.append(Scope(key=f"q:{query}", label=f"search {query[:60]}", fetch=self._fetcher(query)))
        return plan

    def call(self, call):
        """One request to X with retries, waits and the pass's memory of an unreachable host."""
        from collectors.base import with_retries

        return with_retries(call, classify=classify, settings=self.settings, sleep=self.sleep,
                            host=self.host, hosts=self.hosts)

    def _fetcher(self, query: str):
        def fetch(since, position):
            from collectors.base import BudgetReached, MalformedResponse, Page, map_records

            budget = self.settings.x_monthly_post_budget
            used = self.store.source_usage(PLATFORM)
            remaining = budget - used
            if remaining < 10:  # X returns at least 10 posts per page
                raise BudgetReached(
                    f"X monthly post budget reached ({used:,} of {budget:,} posts read this month); "
                    "raise GROUNDSWELL_X_MONTHLY_POST_BUDGET or wait for next month")
            pages = self._pages.get(query)
            if pages is None or pages.next_token != position or pages.kwargs.get("since_id") != since:
                import tweepy

                # One Paginator per pass, picked up at `position` when a run resumes one.
                pages = iter(tweepy.Paginator(
                    self.client().search_recent_tweets, query, pagination_token=position, since_id=since,
                    expansions=EXPANSIONS, tweet_fields=TWEET_FIELDS, user_fields=USER_FIELDS))
                self._pages[query] = pages
            pages.kwargs["max_results"] = min(100, remaining)
            # A failed request leaves the iterator where it was, so a retry asks for the same page.
            page = self.call(lambda: next(pages, None))
            if page is None:
                return Page(mentions=[])
            data = page.get("data") if isinstance(page, dict) else None
            if not isinstance(page, dict) or not isinstance(data if data is not None else [], list) or (
                    "data" not in page and "meta" not in page):
                raise MalformedResponse("not an X API v2 search page (no 'data' list)")
            # Each tweet on its own, with the page's includes: one that cannot be read costs itself.
            mentions, rejected = map_records(data or [], lambda tweet: map_page({**page, "data": [tweet]}))
            meta = page.get("meta") or {}
            read = len(data or []) + len((page.get("includes") or {}).get("tweets") or [])
            return Page(mentions=mentions, next=meta.get("next_token"), newest=meta.get("newest_id"), cost=read,
                        rejected=rejected)
        return fetch


def classify(error: Exception):
    """tweepy's and requests' errors in our terms; a 429 is read from its own response's headers."""
    import requests
    import tweepy

    from collectors.base import (
        BadCredentials,
        MalformedResponse,
        SourceError,
        TransientError,
        announced_reset,
    )

    if isinstance(error, tweepy.TooManyRequests):
        return announced_reset(error.response.headers if error.response is not None else None)
    if isinstance(error, tweepy.TwitterServerError):
        return TransientError(f"X answered {error.response.status_code if error.response is not None else 'an error'}")
    if isinstance(error, tweepy.Unauthorized):
        return BadCredentials("X refused the bearer token (GROUNDSWELL_X_BEARER_TOKEN): expired, revoked or mistyped")
    if isinstance(error, tweepy.Forbidden):
        return BadCredentials(f"X refused access: {error} (does the app's plan include recent search?)")
    if isinstance(error, tweepy.HTTPException):
        status = error.response.status_code if error.response is not None else "?"
        if status == 402:
            return BadCredentials("X says the account has no credits left (402 Payment Required)")
        return SourceError(f"X answered {status}: {error}")
    if isinstance(error, requests.JSONDecodeError | ValueError):
        return MalformedResponse("X answered with something that is not JSON")
    if isinstance(error, requests.ConnectionError | requests.Timeout):
        return TransientError(f"cannot reach X: {type(error).__name__}")
    return None
