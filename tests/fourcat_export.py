"""4CAT's own export code, reproduced: how it stores X and Bluesky items and maps them to CSV columns.

4CAT (digitalmethodsinitiative/4cat) is not on PyPI, so its mapping is rewritten here from its
source, step for step, and the test fixtures are made by it rather than by hand:

- `datasources/twitterv2/search_twitter.py`: `enrich_tweet` merges a v2 page's `includes` into
  each tweet before 4CAT stores it (its NDJSON): the author as `author_user`, each of
  `referenced_tweets` the full tweet with its own `author_user`, `in_reply_to_user`. `map_item`
  then gives the CSV columns: id, thread_id, timestamp ("%Y-%m-%d %H:%M:%S", UTC),
  unix_timestamp, link (https://x.com/<author>/status/<id>), subject, body (a retweet's text
  completed as "RT @<author>: <original text>"), author, author_fullname, author_id,
  author_avatar_url, source, language_guess, possibly_sensitive (yes/no), retweet_count,
  reply_count, like_count, quote_count, impression_count (0 where X gave no count), is_retweet,
  retweeted_user, is_quote_tweet, quoted_user, is_reply, replied_user, hashtags, urls, images,
  videos, mentions (comma-joined; 4CAT joins a set, in no fixed order: sorted here so the
  fixtures are stable), long_lat, place_name.
- `datasources/bsky/search_bsky.py`: 4CAT stores atproto's `PostView.model_dump()` (snake_case)
  with its own `4CAT_metadata`; `map_item` gives id (the at:// uri), thread_id, timestamp,
  body, author (handle), author_id (did), author_display_name, link
  (https://bsky.app/profile/<handle>/post/<rkey>), like_count, reply_count, repost_count,
  quote_count, languages, tags. Columns beyond those (author_profile, author_avatar_url,
  mentions, links, is_reply, reply_to, unix_timestamp, collected_at, query) follow the same
  source; the importer reads none of them.
- 4CAT writes CSV with `csv.DictWriter` in the default (excel) dialect, UTF-8.

Run `python tests/fourcat_export.py` to remake the fixtures in tests/fixtures/import/ from the
repository's own API fixtures (synthetic posts: no real user's content is copied).
"""

from __future__ import annotations

import copy
import csv
import datetime
import json
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


# -- twitterv2 -------------------------------------------------------------------------------

def enrich_page(page: dict) -> list[dict]:
    """The tweets of one v2 page as 4CAT stores them, expansions merged in (`enrich_tweet`)."""
    includes = page.get("includes") or {}
    users = {}
    for user in includes.get("users", []):
        users[user["username"]] = user
        users[user["id"]] = user
    media = {m["media_key"]: m for m in includes.get("media", [])}
    referenced = {t["id"]: t for t in includes.get("tweets", [])}
    return [enrich_tweet(tweet, users, media, referenced) for tweet in page.get("data", [])]


def enrich_tweet(tweet: dict, users: dict, media: dict, referenced: dict) -> dict:
    tweet = copy.deepcopy(tweet)
    if "author_id" in tweet:
        tweet["author_user"] = users.get(tweet["author_id"], {"id": tweet["author_id"]})
    for index, mention in enumerate(tweet.get("entities", {}).get("mentions", [])):
        if mention["username"] in users:
            tweet["entities"]["mentions"][index] = {**mention, **users[mention["username"]]}
    for index, key in enumerate(tweet.get("attachments", {}).get("media_keys", [])):
        if key in media:
            tweet["attachments"]["media_keys"][index] = media[key]
    for index, ref in enumerate(tweet.get("referenced_tweets", [])):
        if ref["id"] in referenced:
            full = {**ref, **copy.deepcopy(referenced[ref["id"]])}
            if full.get("author_id") in users:
                full["author_user"] = users[full["author_id"]]
            tweet["referenced_tweets"][index] = full
    if "in_reply_to_user_id" in tweet:
        tweet["in_reply_to_user"] = users.get(tweet["in_reply_to_user_id"], {})
    return tweet


def map_tweet(item: dict) -> dict:
    """`SearchWithTwitterAPIv2.map_item`: one stored tweet to 4CAT's CSV columns."""
    item = copy.deepcopy(item)
    tweet_time = datetime.datetime.strptime(item["created_at"], "%Y-%m-%dT%H:%M:%S.000Z")
    author_username = item["author_user"]["username"] if item.get("author_user") else item["author_username"]
    author_fullname = item["author_user"]["name"] if item.get("author_user") else item["author_fullname"]
    hashtags = [tag["tag"] for tag in item.get("entities", {}).get("hashtags", [])]
    mentions = [tag["username"] for tag in item.get("entities", {}).get("mentions", [])]
    urls = [tag.get("expanded_url", tag.get("display_url")) for tag in item.get("entities", {}).get("urls", [])
            if ("display_url" in tag or "expanded_url" in tag)]
    images = [a["url"] for a in item.get("attachments", {}).get("media_keys", [])
              if isinstance(a, dict) and a.get("type") == "photo" and "url" in a]
    video_items = [a for a in item.get("attachments", {}).get("media_keys", [])
                   if isinstance(a, dict) and a.get("type") == "video"]

    is_retweet = any(ref.get("type") == "retweeted" for ref in item.get("referenced_tweets", []))
    retweeted_user = ""
    if is_retweet:
        retweeted_tweet = [t for t in item["referenced_tweets"] if t.get("type") == "retweeted"][0]
        if retweeted_tweet.get("text", False):
            retweeted_body = retweeted_tweet.get("text")
            if retweeted_tweet.get("author_user") and retweeted_tweet["author_user"].get("username"):
                mentions.append(retweeted_tweet["author_user"]["username"])
            item["text"] = ("RT @" + retweeted_tweet.get("author_user", {}).get("username", "[deleted]")
                            + ": " + retweeted_body)
        retweeted_user = (retweeted_tweet["author_user"]["username"] if retweeted_tweet.get("author_user")
                          else retweeted_tweet.get("author_username", ""))
        hashtags += [tag["tag"] for tag in retweeted_tweet.get("entities", {}).get("hashtags", [])]
        mentions += [tag["username"] for tag in retweeted_tweet.get("entities", {}).get("mentions", [])]
        urls += [tag.get("expanded_url", tag.get("display_url"))
                 for tag in retweeted_tweet.get("entities", {}).get("urls", [])
                 if ("display_url" in tag or "expanded_url" in tag)]

    is_quoted = any(ref.get("type") == "quoted" for ref in item.get("referenced_tweets", []))
    is_reply = any(ref.get("type") == "replied_to" for ref in item.get("referenced_tweets", []))
    videos = []
    for video in video_items:
        variants = sorted(video.get("variants", []), key=lambda d: d.get("bit_rate", 0), reverse=True)
        if variants:
            videos.append(variants[0].get("url"))
    metrics = item.get("public_metrics", {})
    quoted_user = ""
    if is_quoted:
        quoted_user = [r for r in item["referenced_tweets"] if r["type"] == "quoted"].pop().get(
            "author_user", {}).get("username", "")
    return {
        "id": item["id"],
        "thread_id": item.get("conversation_id", item["id"]),
        "timestamp": tweet_time.strftime("%Y-%m-%d %H:%M:%S"),
        "unix_timestamp": int(tweet_time.timestamp()),
        "link": f"https://x.com/{author_username}/status/{item.get('id')}",
        "subject": "",
        "body": item["text"],
        "author": author_username,
        "author_fullname": author_fullname,
        "author_id": item["author_id"],
        "author_avatar_url": item.get("author_user", {}).get("profile_image_url", ""),
        "source": item.get("source"),
        "language_guess": item.get("lang"),
        "possibly_sensitive": "yes" if item.get("possibly_sensitive") else "no",
        # MissingMappedField(0): a count X did not return is written as 0.
        "retweet_count": metrics.get("retweet_count", 0),
        "reply_count": metrics.get("reply_count", 0),
        "like_count": metrics.get("like_count", 0),
        "quote_count": metrics.get("quote_count", 0),
        "impression_count": metrics.get("impression_count", 0),
        "is_retweet": "yes" if is_retweet else "no",
        "retweeted_user": retweeted_user,
        "is_quote_tweet": "yes" if is_quoted else "no",
        "quoted_user": quoted_user,
        "is_reply": "yes" if is_reply else "no",
        "replied_user": item.get("in_reply_to_user", {}).get("username", ""),
        "hashtags": ",".join(sorted(set(hashtags))),
        "urls": ",".join(sorted(set(urls))),
        "images": ",".join(sorted(set(images))),
        "videos": ",".join(sorted(set(videos))),
        "mentions": ",".join(sorted(set(mentions))),
        "long_lat": ", ".join(str(c) for c in item.get("geo", {}).get("coords", {}).get("coordinates", [])),
        "place_name": item.get("geo", {}).get("place", {}).get("full_name", ""),
    }


# -- bsky ------------------------------------------------------------------------------------

def stored_bsky(post_view: dict, query: str = "") -> dict:
    """A postView as 4CAT stores it: atproto's model, `model_dump()`, with 4CAT's metadata."""
    from atproto_client import models
    from atproto_client.models.utils import get_or_create

    dumped = get_or_create(post_view, models.AppBskyFeedDefs.PostView).model_dump()
    dumped["4CAT_metadata"] = {"collected_at": "2026-11-20T12:00:00", "query": query}
    return dumped


def map_bsky(item: dict) -> dict:
    """`SearchBluesky.map_item`: one stored post to 4CAT's CSV columns."""
    record = item["record"]
    created_at = datetime.datetime.fromisoformat(record["created_at"].replace("Z", "+00:00"))
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=datetime.UTC)
    created_at = created_at.astimezone(datetime.UTC)
    tags, links, mentions_did = set(), set(), set()
    for facet in record.get("facets") or []:
        for feature in facet.get("features") or []:
            if feature.get("tag"):
                tags.add(feature["tag"])
            elif feature.get("uri"):
                links.add(feature["uri"])
            elif feature.get("did"):
                mentions_did.add(feature["did"])
    reply = record.get("reply")
    handle = item["author"]["handle"]
    return {
        "collected_at": item.get("4CAT_metadata", {}).get("collected_at", ""),
        "query": item.get("4CAT_metadata", {}).get("query", ""),
        "id": item["uri"],
        "thread_id": reply["root"]["uri"] if reply else item["uri"],
        "timestamp": created_at.strftime("%Y-%m-%d %H:%M:%S"),
        "unix_timestamp": int(created_at.timestamp()),
        "body": record["text"],
        "author": handle,
        "author_id": item["author"]["did"],
        "author_display_name": item["author"].get("display_name") or "",
        "author_profile": f"https://bsky.app/profile/{handle}",
        "author_avatar_url": item["author"].get("avatar") or "",
        "link": f"https://bsky.app/profile/{handle}/post/{item['uri'].split('/')[-1]}",
        "like_count": item.get("like_count"),
        "reply_count": item.get("reply_count"),
        "repost_count": item.get("repost_count"),
        "quote_count": item.get("quote_count"),
        "languages": ",".join(record.get("langs") or []),
        "tags": ",".join(sorted(tags)),
        "mentions": ",".join(sorted(mentions_did)),
        "links": ",".join(sorted(links)),
        "is_reply": "yes" if reply else "no",
        "reply_to": reply["parent"]["uri"] if reply else "",
    }


# -- writing ---------------------------------------------------------------------------------

def write_csv(path: Path, rows: list[dict]) -> Path:
    """4CAT's CSV export: the first item's keys as the header."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_ndjson(path: Path, items: list[dict]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item, default=str) + "\n")
    return path


def x_items(pages_path: Path) -> list[dict]:
    """Every tweet of a twarc2 JSONL file, as 4CAT stores it."""
    return [tweet for line in pages_path.read_text(encoding="utf-8").splitlines() if line.strip()
            for tweet in enrich_page(json.loads(line))]


def bsky_items(answer_path: Path) -> list[dict]:
    return [stored_bsky(view) for view in json.loads(answer_path.read_text(encoding="utf-8"))["posts"]]


def main() -> None:
    out = FIXTURES / "import"
    tweets = x_items(FIXTURES / "x" / "search_pages.jsonl")
    write_csv(out / "fourcat_twitterv2.csv", [map_tweet(t) for t in tweets])
    posts = bsky_items(FIXTURES / "bluesky" / "search_page1.json")[:5]
    write_csv(out / "fourcat_bsky.csv", [map_bsky(p) for p in posts])


if __name__ == "__main__":
    main()
