"""X (Twitter) API v2: map search pages to mentions."""

from __future__ import annotations

from campaigns.errors import ImportFormatError
from campaigns.model import Mention, parse_when

PLATFORM = "x"


def _metric(metrics: dict, name: str) -> int | None:
    value = metrics.get(name)
    return int(value) if value is not None else None


def map_item(tweet: dict, users: dict[str, dict] | None = None,
             tweets: dict[str, dict] | None = None) -> Mention:
    """One v2 tweet object to a Mention; `users` and `tweets` are the page's `includes`, by id.

    A retweet keeps the counts X reports on it (they are the original's) but adds no engagement
    of its own; it points at the original through `reposted_uid`.
    """
    users = users or {}
    tweets = tweets or {}
    try:
        tweet_id = str(tweet["id"])
        text = tweet.get("text") or ""
        created_at = parse_when(tweet["created_at"])
    except (KeyError, TypeError) as error:
        raise ImportFormatError(f"tweet without {error} (is this an X API v2 page?)") from None
    author = users.get(str(tweet.get("author_id")), {})
    username = author.get("username")
    metrics = tweet.get("public_metrics") or {}
    entities = tweet.get("entities") or {}
    references = {ref.get("type"): str(ref.get("id")) for ref in tweet.get("referenced_tweets") or []}
    reposted = references.get("retweeted")
    original = tweets.get(reposted) if reposted else None
    lang = tweet.get("lang")
    return Mention(
        platform=PLATFORM,
        native_id=tweet_id,
        created_at=created_at,
        text=text,
        url=f"https://x.com/{username or 'i/web'}/status/{tweet_id}",
        author_key=username.lower() if username else (f"id:{tweet['author_id']}" if tweet.get("author_id") else None),
        author_handle=username,
        author_followers=_metric(author.get("public_metrics") or {}, "followers_count"),
        lang=None if lang in (None, "und", "zxx", "qme", "qht") else lang,
        is_repost=reposted is not None,
        reposted_uid=f"{PLATFORM}:{reposted}" if reposted else None,
        reply_to_uid=f"{PLATFORM}:{references['replied_to']}" if "replied_to" in references else None,
        likes=_metric(metrics, "like_count"),
        reposts=_metric(metrics, "retweet_count"),
        replies=_metric(metrics, "reply_count"),
        quotes=_metric(metrics, "quote_count"),
        impressions=_metric(metrics, "impression_count"),
        hashtags=[h["tag"] for h in entities.get("hashtags") or [] if h.get("tag")],
        mentioned=[m["username"] for m in entities.get("mentions") or [] if m.get("username")],
        context_text=(original or {}).get("text", ""),
    )


def map_page(page: dict) -> list[Mention]:
    """Every post in one v2 search page, plus the originals of its retweets from `includes`.

    The originals carry the real counts, so storing them credits a retweet's engagement to the
    post that earned it, once.
    """
    if not isinstance(page, dict) or not isinstance(page.get("data", []), list) or (
        "data" not in page and "meta" not in page
    ):
        raise ImportFormatError("not an X API v2 search page (no 'data' list)")
    includes = page.get("includes") or {}
    users = {str(u.get("id")): u for u in includes.get("users") or []}
    tweets = {str(t.get("id")): t for t in includes.get("tweets") or []}
    mentions = [map_item(tweet, users, tweets) for tweet in page.get("data") or []]
    seen = {m.native_id for m in mentions}
    for mention in list(mentions):
        original_id = mention.reposted_uid.split(":", 1)[1] if mention.reposted_uid else None
        if original_id and original_id in tweets and original_id not in seen:
            seen.add(original_id)
            mentions.append(map_item(tweets[original_id], users, tweets))
    return mentions
