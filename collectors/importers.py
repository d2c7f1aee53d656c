"""Files from other tools to mentions: each format is a reader yielding batches of mentions."""

from __future__ import annotations

import csv
import gc
import json
import re
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import orjson

from campaigns.errors import ImportFormatError, ValidationError
from campaigns.model import PLATFORMS, Mention, parse_instant
from campaigns.privacy import quarantine_rows
from campaigns.settings import Settings
from campaigns.store import BULK_BATCH, Store, UpsertResult
from collectors import bluesky, mastodon, reddit, x
from collectors.base import unfit
from collectors.enrich import enrich_stream

# How many refused records the summary names one by one; the rest are counted.
PROBLEM_LINES = 20
# How many refused records of one import are kept in the quarantine table, with where and why.
QUARANTINE_KEPT = 10_000


@dataclass
class ImportReport:
    """What reading a file found besides posts: each record refused, with one line saying
    where and why, and the columns the reader does not understand."""

    path: Path
    skipped: int = 0
    problems: list[str] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the file does not hold, and what that costs

    # Every record refused (up to QUARANTINE_KEPT), as (where, reason), for the quarantine.
    refused: list[tuple[str, str]] = field(default_factory=list)

    def skip(self, where: str, reason: str) -> None:
        self.skipped += 1
        if len(self.problems) < PROBLEM_LINES:
            self.problems.append(f"{self.path}: {where}: {reason}")
        if len(self.refused) < QUARANTINE_KEPT:
            self.refused.append((where, reason))

    def columns(self, header: list[str], understood: set[str]) -> None:
        for name in header:
            if name and name not in understood and name not in self.unknown_columns:
                self.unknown_columns.append(name)


Reader = Callable[[Path, ImportReport], Iterator[list[Mention]]]


# -- JSON ------------------------------------------------------------------------------------

def _loads(data: bytes):
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        # What orjson refuses and the standard library reads (NaN, a byte-order mark); a
        # UnicodeDecodeError from here means the file is not UTF-8.
        return json.loads(data)


def _json_documents(path: Path, decode: Callable[[bytes], object] | None = None) -> Iterator[tuple[int, object]]:
    """(line number, document) for a JSON Lines file, or one pretty-printed JSON document.

    `decode` reads a line the caller knows the shape of, or gives None to have it read whole.
    """
    try:
        with path.open("rb") as handle:
            first = handle.readline()
            second = handle.readline()
    except OSError as error:
        raise ImportFormatError(f"cannot read {path}: {error.strerror}") from None
    if first.lstrip(b"\xef\xbb\xbf")[:1] in (b"{", b"[") and second and not _is_json(first):
        try:
            yield 1, _loads(path.read_bytes())
        except json.JSONDecodeError as error:
            raise ImportFormatError(f"{path}: not valid JSON at line {error.lineno}") from None
        return
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.isspace():  # a blank line; unlike strip(), no copy of a page a line long
                continue
            document = decode(line) if decode is not None else None
            try:
                yield number, _loads(line) if document is None else document
            except json.JSONDecodeError:
                raise ImportFormatError(
                    f"{path}: line {number} is not valid JSON (is the file cut short, or not JSON Lines?)"
                ) from None


def _is_json(line: bytes) -> bool:
    try:
        _loads(line)
    except json.JSONDecodeError:
        return False
    return True


def _first_byte(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    except OSError as error:
        raise ImportFormatError(f"cannot read {path}: {error.strerror}") from None


def _each_document(path: Path, report: ImportReport, label: str,
                   mapper: Callable[[object, Callable[[str], None]], list[Mention]],
                   decode: Callable[[bytes], object] | None = None) -> Iterator[list[Mention]]:
    """Each document mapped; a document or an item in it that cannot be read costs itself."""
    for number, document in _json_documents(path, decode):
        def skip(reason: str, number=number) -> None:
            report.skip(f"line {number}", reason)
        try:
            yield _fit(mapper(document, skip), document, skip)
        except ImportFormatError as error:
            report.skip(f"line {number}", f"{error} (expected {label})")


def _fit(mentions: list[Mention], raw, skip: Callable[[str], None]) -> list[Mention]:
    """The mentions fit to store; each that is not (a count below 0 or beyond what SQLite holds,
    a time that is not one) costs itself, reported with the field at fault, not its batch."""
    kept = []
    for mention in mentions:
        reason = unfit(mention, raw)
        if reason is None:
            kept.append(mention)
        else:
            skip(reason)
    return kept


# -- X: API v2 pages (twarc2) and twarc-csv's CSV ---------------------------------------------

def _x_document(document, skip) -> list[Mention]:
    if isinstance(document, dict) and "data" not in document and "meta" not in document and "id" in document:
        return x.map_expanded(document)  # one tweet per line, its expansions merged in
    return x.map_page(document, on_error=skip)


def read_x(path: Path, report: ImportReport) -> Iterator[list[Mention]]:
    """X API v2 search pages, one per line as twarc2 saves them, or a single page; or
    twarc-csv's CSV of such pages."""
    first = _first_byte(path)
    if first and first not in (b"{", b"["):
        yield from _read_twarc_csv(path, report)
        return
    yield from _each_document(path, report, "an X API v2 page", _x_document, x.decode_page)


# twarc-csv's columns this importer reads, and the others it writes, which hold nothing a
# mention stores (context annotations, media, polls, places, edit controls, the author's
# profile, twarc's own provenance).
TWARC_CSV_READ = {
    "id", "created_at", "text", "lang", "author_id", "author.username",
    "author.public_metrics.followers_count", "referenced_tweets.retweeted.id",
    "referenced_tweets.replied_to.id", "retweeted_user_id", "retweeted_username",
    "public_metrics.like_count", "public_metrics.retweet_count", "public_metrics.reply_count",
    "public_metrics.quote_count", "public_metrics.impression_count", "entities.hashtags",
    "entities.mentions",
}
TWARC_CSV_UNSTORED = {
    "conversation_id", "referenced_tweets.quoted.id", "in_reply_to_user_id", "in_reply_to_username",
    "quoted_user_id", "quoted_username", "source", "public_metrics.bookmark_count", "reply_settings",
    "edit_history_tweet_ids", "edit_controls.edits_remaining", "edit_controls.editable_until",
    "edit_controls.is_edit_eligible", "possibly_sensitive", "withheld.scope", "withheld.copyright",
    "withheld.country_codes", "entities.annotations", "entities.cashtags", "entities.urls",
    "context_annotations", "attachments.media", "attachments.media_keys",
    "attachments.poll.duration_minutes", "attachments.poll.end_datetime", "attachments.poll.id",
    "attachments.poll.options", "attachments.poll.voting_status", "attachments.poll_ids", "author.id",
    "author.created_at", "author.name", "author.description", "author.entities.description.cashtags",
    "author.entities.description.hashtags", "author.entities.description.mentions",
    "author.entities.description.urls", "author.entities.url.urls", "author.url", "author.location",
    "author.pinned_tweet_id", "author.profile_image_url", "author.protected",
    "author.public_metrics.following_count", "author.public_metrics.listed_count",
    "author.public_metrics.tweet_count", "author.verified", "author.verified_type", "author.withheld.scope",
    "author.withheld.copyright", "author.withheld.country_codes", "geo.coordinates.coordinates",
    "geo.coordinates.type", "geo.country", "geo.country_code", "geo.full_name", "geo.geo.bbox",
    "geo.geo.type", "geo.id", "geo.name", "geo.place_id", "geo.place_type", "matching_rules",
    "__twarc.retrieved_at", "__twarc.url", "__twarc.version",
}


def _twarc_text(value: str) -> str:
    # twarc-csv writes line breaks as a literal \n, and keeps the API's HTML entities.
    return x.text_of((value or "").replace("\\n", "\n"))


def _json_list(row: dict, column: str, prefix: str) -> list[str]:
    value = row.get(column) or ""
    if not value:
        return []
    try:
        items = json.loads(value)
    except json.JSONDecodeError:
        raise ImportFormatError(f"{column}: '{value[:40]}' is not a JSON list") from None
    return [str(item).removeprefix(prefix) for item in items if item] if isinstance(items, list) else []


def _twarc_csv_row(row: dict) -> tuple[Mention, Mention | None]:
    """One twarc-csv row: the tweet, and for a retweet the original it carries.

    twarc-csv merges a retweet's original into its row (its full text, entities and counts;
    the row keeps the retweet's id, author and time), so the original can be stored as X's
    page holds it: its id and author from the row's `referenced_tweets.retweeted.id` and
    `retweeted_username`, its time from its id. Its author's followers are not in the row.
    """
    tweet_id, created_at = _required(row, "id"), parse_instant(_required(row, "created_at"))
    text = _twarc_text(row.get("text"))
    username = row.get("author.username") or None
    retweeted = row.get("referenced_tweets.retweeted.id") or None
    retweeted_user = row.get("retweeted_username") or None
    # Without the original in the page, twarc-csv has nothing to merge: the text is X's own cut one.
    merged = retweeted is not None and not text.startswith("RT @")
    replied = row.get("referenced_tweets.replied_to.id") or None
    counts = dict(likes=_int(row, "public_metrics.like_count"), reposts=_int(row, "public_metrics.retweet_count"),
                  replies=_int(row, "public_metrics.reply_count"), quotes=_int(row, "public_metrics.quote_count"),
                  impressions=_int(row, "public_metrics.impression_count"))
    lang = None if row.get("lang") in x.NO_LANGUAGE else row["lang"]
    hashtags = _json_list(row, "entities.hashtags", "#")
    author_id = row.get("author_id")
    tweet = Mention(
        platform=x.PLATFORM, native_id=tweet_id, created_at=created_at,
        text=f"RT @{retweeted_user or 'i'}: {text}" if merged else text,
        url=x.post_url(username, tweet_id),
        author_key=username.lower() if username else (f"id:{author_id}" if author_id else None),
        author_handle=username, author_followers=_int(row, "author.public_metrics.followers_count"),
        lang=lang, is_repost=retweeted is not None, reposted_uid=f"{x.PLATFORM}:{retweeted}" if retweeted else None,
        reply_to_uid=f"{x.PLATFORM}:{replied}" if replied else None, hashtags=hashtags,
        mentioned=_json_list(row, "entities.mentions", "@"), context_text=text if merged else "", **counts,
    )
    original_at = x.created_from_id(retweeted) if merged else None
    if original_at is None:
        return tweet, None
    original_author = row.get("retweeted_user_id")
    original = Mention(
        platform=x.PLATFORM, native_id=retweeted, created_at=original_at, text=text,
        url=x.post_url(retweeted_user, retweeted),
        author_key=retweeted_user.lower() if retweeted_user else (f"id:{original_author}" if original_author else None),
        author_handle=retweeted_user, lang=lang, hashtags=hashtags, **counts,
    )
    return tweet, original


def _read_twarc_csv(path: Path, report: ImportReport) -> Iterator[list[Mention]]:
    header = _header(path)
    missing = [c for c in ("id", "created_at", "text") if c not in header]
    if missing:
        raise ImportFormatError(f"{path}: neither X API pages nor twarc-csv's CSV (the header lacks "
                                f"{', '.join(missing)})")
    report.columns(header, TWARC_CSV_READ | TWARC_CSV_UNSTORED)
    followers: dict[str, int] = {}
    originals: dict[str, Mention] = {}

    def tweet(row: dict) -> list[Mention]:
        mention, original = _twarc_csv_row(row)
        if mention.author_followers is not None and mention.author_key:
            followers[mention.author_key] = mention.author_followers
        if original is not None:
            originals.setdefault(original.native_id, original)
        return [mention]

    yield from _csv_batches(path, report, tweet)
    # The originals last, once every row has been read: an original's author's followers are
    # known when that author wrote a row of the file.
    for original in originals.values():
        original.author_followers = followers.get(original.author_key)
    if originals:
        unknown = sum(1 for o in originals.values() if o.author_followers is None)
        if unknown:
            report.notes.append(
                f"{unknown:,} of the {len(originals):,} retweeted original(s) are by authors who wrote no row "
                "of the file: twarc-csv writes no follower count for them, so potential reach leaves them out")
        yield list(originals.values())


# -- Reddit, Mastodon, Bluesky: the platforms' own answers -----------------------------------

def _reddit_document(document, skip) -> list[Mention]:
    # A comments page is [post listing, comments listing]; a search or new page is one Listing.
    if isinstance(document, list):
        return [m for listing in document for m in reddit.map_listing(listing, on_error=skip)]
    if isinstance(document, dict) and document.get("kind") in ("t1", "t3"):
        return [reddit.map_item(document["data"])]
    return reddit.map_listing(document, on_error=skip)


def read_reddit(path: Path, report: ImportReport) -> Iterator[list[Mention]]:
    """Reddit API listings (search, new, comments), one per line or one per file."""
    return _each_document(path, report, "a Reddit Listing", _reddit_document)


def _mastodon_document(document, skip) -> list[Mention]:
    if isinstance(document, dict) and "statuses" in document:  # a search answer
        document = document["statuses"]
    if isinstance(document, dict):  # one status per line
        if not ("uri" in document or "content" in document or "account" in document):
            raise ImportFormatError(f"not a status (keys: {', '.join(list(document)[:8])})")
        document = [document]
    return mastodon.map_statuses(document, on_error=skip)


def read_mastodon(path: Path, report: ImportReport) -> Iterator[list[Mention]]:
    """Mastodon timelines (a JSON array of statuses), search answers, or one status per line."""
    return _each_document(path, report, "Mastodon statuses", _mastodon_document)


def read_bluesky(path: Path, report: ImportReport) -> Iterator[list[Mention]]:
    """Bluesky searchPosts / getPosts / feed / thread answers, or postViews one per line."""
    return _each_document(path, report, "a Bluesky postView answer",
                          lambda document, skip: bluesky.map_posts(document, on_error=skip))


# -- 4CAT and Zeeschuimer ---------------------------------------------------------------------

def _platform_of(item: dict) -> str:
    """Which platform a raw item from a 4CAT NDJSON export comes from, by its shape."""
    if "account" in item and "uri" in item and "content" in item:
        return "mastodon"
    if "record" in item and "uri" in item and "author" in item:
        return "bluesky"  # the API's postView, or atproto's model_dump() of one
    if "created_utc" in item and ("subreddit" in item or "permalink" in item):
        return "reddit"
    if "legacy" in item and ("rest_id" in item or "core" in item) or item.get("__typename") in (
            "Tweet", "TweetWithVisibilityResults"):
        return "x-web"
    if "edit_history_tweet_ids" in item or "author_user" in item or ("public_metrics" in item and "text" in item):
        return "x"
    if "body" in item and "timestamp" in item and "id" in item:
        return "mapped"
    return "unknown"


def _fourcat_item(item: dict) -> list[Mention]:
    source = ""
    if isinstance(item.get("data"), dict) and ("source_platform" in item or "item_id" in item):
        source = str(item.get("source_platform") or "")
        item = item["data"]  # Zeeschuimer / 4CAT envelope around the platform's own item
    kind = _platform_of(item)
    if kind == "mastodon":
        return [mastodon.map_item(item)]
    if kind == "bluesky":
        return [bluesky.map_item(item)]
    if kind == "reddit":
        return [reddit.map_item(item)]
    if kind == "x":
        return x.map_expanded(item)
    if kind == "x-web":
        return x.map_graphql(item)
    if kind == "mapped":
        return _fourcat_row({k: "" if v is None else str(v) for k, v in item.items()})
    if source:
        raise ImportFormatError(f"a {source} item: Groundswell reads X, Bluesky, Reddit and Mastodon items")
    raise ImportFormatError(f"a 4CAT item of a shape this importer does not know (keys: {', '.join(list(item)[:8])})")


def read_4cat(path: Path, report: ImportReport) -> Iterator[list[Mention]]:
    """A 4CAT export: NDJSON (items as the platform returned them, also in Zeeschuimer
    envelopes, or 4CAT's mapped items) or CSV (4CAT's mapped columns)."""
    first = _first_byte(path)
    if first and first not in (b"{", b"["):
        header = _header(path)
        kind = _fourcat_kind(header)
        report.columns(header, FOURCAT_COLUMNS[kind])
        yield from _csv_batches(path, report, _fourcat_row)
        return

    def item(document, skip) -> list[Mention]:
        if not isinstance(document, dict):
            raise ImportFormatError("not a 4CAT NDJSON item")
        return _fourcat_item(document)

    yield from _each_document(path, report, "a 4CAT item", item)


# 4CAT's CSV is its data source's `map_item` output, one column per key. Columns read, and
# those known to hold nothing a mention stores, per data source.
FOURCAT_X_READ = {"id", "timestamp", "body", "author", "author_followers", "link", "language_guess",
                  "like_count", "retweet_count", "reply_count", "quote_count", "impression_count",
                  "is_retweet", "hashtags", "mentions"}
FOURCAT_X_UNSTORED = {
    "thread_id", "unix_timestamp", "subject", "author_fullname", "author_id", "author_avatar_url", "source",
    "possibly_sensitive", "bookmark_count", "retweeted_user", "is_quote_tweet", "quoted_user", "is_reply",
    "replied_user", "urls", "images", "videos", "long_lat", "place_name",
}
FOURCAT_BSKY_READ = {"id", "timestamp", "body", "author", "author_id", "link", "languages", "like_count",
                     "repost_count", "reply_count", "quote_count", "tags"}
FOURCAT_BSKY_UNSTORED = {
    "collected_at", "query", "thread_id", "created_at", "unix_timestamp", "author_display_name",
    "author_profile", "author_avatar_url", "author_created_at", "mentions", "mentioned_dids", "links",
    "images", "image_references", "is_quote", "quoted_user_handle", "quoted_user_id", "quoted_post",
    "is_reply", "reply_to", "replied_author_handle", "replied_to_post_id", "subject",
}
FOURCAT_OTHER_READ = {"id", "timestamp", "body", "subject", "author", "url", "link", "platform"}
FOURCAT_COLUMNS = {"x": FOURCAT_X_READ | FOURCAT_X_UNSTORED, "bluesky": FOURCAT_BSKY_READ | FOURCAT_BSKY_UNSTORED,
                   "other": FOURCAT_OTHER_READ | {"thread_id", "unix_timestamp"}}


def _fourcat_kind(columns) -> str:
    if "retweet_count" in columns or "is_retweet" in columns:
        return "x"
    if "repost_count" in columns:
        return "bluesky"
    return "other"


def _yes(value) -> bool:
    return str(value or "").strip().lower() in ("yes", "true", "1")


def _split(value) -> list[str]:
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def _fourcat_row(row: dict) -> list[Mention]:
    """One row of a 4CAT CSV (or a mapped NDJSON item): its `timestamp` is UTC."""
    kind = _fourcat_kind(row)
    tweet_id = _required(row, "id")
    # `timestamp` is written in UTC; `unix_timestamp` is not read (4CAT computes it from a
    # naive time, in its server's zone).
    created_at = parse_instant(_required(row, "timestamp"), "UTC")
    author = row.get("author") or None
    if kind == "x":
        body = x.text_of(row.get("body"))
        is_repost = _yes(row.get("is_retweet"))
        impressions = _int(row, "impression_count")
        return [Mention(
            platform=x.PLATFORM, native_id=tweet_id, created_at=created_at, text=body,
            url=row.get("link") or x.post_url(author, tweet_id),
            author_key=author.lower() if author else None, author_handle=author,
            author_followers=_int(row, "author_followers"),
            lang=None if row.get("language_guess") in x.NO_LANGUAGE else row["language_guess"],
            # 4CAT writes a retweet's text in full ("RT @name: ...") but not the original's id.
            is_repost=is_repost, context_text=body if is_repost else "",
            likes=_int(row, "like_count"), reposts=_int(row, "retweet_count"), replies=_int(row, "reply_count"),
            quotes=_int(row, "quote_count"),
            # 4CAT writes 0 for a count X did not return (impressions before 2023): unknown.
            impressions=impressions or None,
            hashtags=_split(row.get("hashtags")), mentioned=_split(row.get("mentions")),
        )]
    if kind == "bluesky":
        langs = _split(row.get("languages"))
        native = bluesky.native_id(tweet_id)
        handle = author or row.get("author_id") or None
        return [Mention(
            platform=bluesky.PLATFORM, native_id=native, created_at=created_at, text=row.get("body") or "",
            url=row.get("link") or bluesky.post_url(handle, native),
            author_key=handle.lower() if handle else None, author_handle=author,
            lang=langs[0] if langs else None,
            likes=_int(row, "like_count"), reposts=_int(row, "repost_count"), replies=_int(row, "reply_count"),
            quotes=_int(row, "quote_count"), hashtags=_split(row.get("tags")),
        )]
    link = row.get("link") or row.get("url") or ""
    platform = (row.get("platform") or "").strip().lower() or platform_of_link(link)
    if platform is None:
        raise ImportFormatError(
            f"cannot tell which platform the post comes from (link '{link[:60]}'): Groundswell reads 4CAT's "
            "X and Bluesky exports, and others whose links are on x.com, bsky.app, reddit.com or Mastodon")
    text = "\n".join(part for part in (row.get("subject"), row.get("body")) if part)
    return [Mention(
        platform=platform, native_id=native_id_of(platform, tweet_id, link), created_at=created_at, text=text,
        url=link or None, author_key=author.lower() if author else None, author_handle=author,
    )]


# -- plain CSV and what all CSVs share --------------------------------------------------------

def _int(row: dict, column: str) -> int | None:
    value = row.get(column)
    if value is None or str(value).strip() == "":
        return None
    try:
        return int(float(value))
    except ValueError:
        raise ImportFormatError(f"{column}: '{value}' is not a number") from None


def _required(row: dict, column: str) -> str:
    value = str(row.get(column) or "").strip()
    if not value:
        raise ImportFormatError(f"{column} is empty")
    return value


_MASTODON_PATH = re.compile(r"^/@([^/@]+)/(\w+)/?$")


def platform_of_link(url: str) -> str | None:
    """The platform a post's address is on, by its host (Mastodon by its path: any host), or None."""
    parsed = urlparse(url or "")
    host = (parsed.hostname or "").lower().removeprefix("www.").removeprefix("mobile.")
    if host in ("x.com", "twitter.com"):
        return "x"
    if host == "bsky.app":
        return "bluesky"
    if host in ("reddit.com", "old.reddit.com", "new.reddit.com", "redd.it"):
        return "reddit"
    if host and (_MASTODON_PATH.match(parsed.path) or "/statuses/" in parsed.path):
        return "mastodon"
    return None


def native_id_of(platform: str, value: str, url: str = "") -> str:
    """The native id a collector gives the same post, so any route stores it as one row."""
    value = str(value).strip()
    if platform == "bluesky":
        return bluesky.native_id(value)
    if platform == "mastodon":
        found = _MASTODON_PATH.match(urlparse(url).path) if url else None
        if found and not value.startswith(("http", urlparse(url).netloc)):
            # The address of a Mastodon post names its home server, author and id there: its uri.
            return f"{urlparse(url).netloc}/users/{found.group(1)}/statuses/{found.group(2)}"
        return mastodon.native_id(value)
    if platform == "reddit" and not value.startswith(("t1_", "t3_")):
        parts = urlparse(url).path.strip("/").split("/")
        # /r/<sub>/comments/<thread>/<slug>/<comment>: a comment's address ends with its id.
        return f"t1_{value}" if len(parts) >= 6 and parts[5] == value else f"t3_{value}"
    return value


def _when(row: dict) -> str:
    when = _required(row, "created_at")
    if when.replace(".", "", 1).isdigit():
        return parse_instant(datetime.fromtimestamp(float(when), UTC))
    return parse_instant(when, "UTC")


def _flat_row(row: dict) -> list[Mention]:
    """A row of the plain CSV format."""
    platform = _required(row, "platform").lower()
    if platform not in PLATFORMS:
        raise ImportFormatError(f"platform: '{platform}' is not one of {', '.join(PLATFORMS)}")
    url = row.get("url") or None
    native = native_id_of(platform, _required(row, "id"), url or "")
    author = row.get("author") or None
    reposted = row.get("reposted_id") or None
    return [Mention(
        platform=platform, native_id=native, created_at=_when(row), text=row.get("text") or "",
        url=url, author_key=author.lower() if author else None, author_handle=author,
        author_followers=_int(row, "followers"),
        audience_key=row.get("audience") or None, audience_size=_int(row, "audience_size"),
        lang=row.get("lang") or None, is_repost=_yes(row.get("is_repost")),
        reposted_uid=f"{platform}:{native_id_of(platform, reposted)}" if reposted else None,
        likes=_int(row, "likes"), reposts=_int(row, "reposts"), replies=_int(row, "replies"),
        quotes=_int(row, "quotes"), impressions=_int(row, "impressions"),
    )]


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), [])
    if not header:
        raise ImportFormatError(f"{path}: empty CSV file")
    return header


def _csv_batches(path: Path, report: ImportReport, mapper: Callable[[dict], list[Mention]],
                 size: int = 1000) -> Iterator[list[Mention]]:
    # twarc-csv's JSON columns (context annotations) pass csv's default 128 kB field limit.
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise ImportFormatError(f"{path}: empty CSV file")
        batch: list[Mention] = []
        for number, row in enumerate(reader, start=2):
            try:
                batch.extend(_fit(mapper(row), row, lambda reason, number=number: report.skip(f"row {number}", reason)))
            except (ImportFormatError, ValidationError) as error:
                report.skip(f"row {number}", str(error))
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch


CSV_COLUMNS = ("platform", "id", "created_at", "text", "url", "author", "followers", "likes", "reposts",
               "replies", "quotes", "impressions", "lang", "is_repost", "reposted_id", "audience", "audience_size")


def read_csv(path: Path, report: ImportReport) -> Iterator[list[Mention]]:
    """The plain CSV format: a header row naming some of CSV_COLUMNS; platform, id, created_at required."""
    header = _header(path)
    missing = [c for c in ("platform", "id", "created_at") if c not in header]
    if missing:
        raise ImportFormatError(f"{path}: the CSV header lacks {', '.join(missing)} "
                                f"(columns: {', '.join(CSV_COLUMNS)})")
    report.columns(header, set(CSV_COLUMNS))
    yield from _csv_batches(path, report, _flat_row)


READERS: dict[str, Reader] = {
    "x": read_x,
    "twarc": read_x,
    "reddit": read_reddit,
    "mastodon": read_mastodon,
    "bluesky": read_bluesky,
    "4cat": read_4cat,
    "csv": read_csv,
}


@dataclass
class ImportResult:
    batches: int
    totals: UpsertResult
    report: ImportReport


def import_file(
    store: Store,
    path: str | Path,
    fmt: str,
    *,
    settings: Settings,
    campaign_ids: list[int] | None = None,
    batch_size: int = BULK_BATCH,
    on_batch: Callable[[UpsertResult], None] | None = None,
    workers: int | None = None,
) -> ImportResult:
    """Read, enrich and store a file in batches, each batch one transaction.

    A record that cannot be read costs itself, with one line in the result's report; a file
    that breaks part way (a line that is not JSON) keeps the whole batches before the break,
    and running the import again after fixing the file stores the rest and duplicates
    nothing. Each batch is written in a thread of its own while the next is read, scored and
    matched (`Store.upsert_batches`); with scoring workers (`workers`, else
    GROUNDSWELL_SCORING_WORKERS) the next batches are scored in them as well.
    """
    path = Path(path)
    if fmt not in READERS:
        raise ImportFormatError(f"unknown format '{fmt}' (one of: {', '.join(sorted(READERS))})")
    if not path.is_file():
        raise ImportFormatError(f"no such file: {path}")
    if batch_size < 1:
        raise ImportFormatError(f"the batch size must be at least 1, not {batch_size}")
    report = ImportReport(path)
    batches = 0
    failure: ImportFormatError | None = None

    def read() -> Iterator[list[Mention]]:
        # A break in the file ends the batches here, so the whole ones read before it (some
        # perhaps still being scored) are stored before the error is raised.
        nonlocal failure
        pending: list[Mention] = []
        try:
            for mentions in READERS[fmt](path, report):
                pending.extend(mentions)
                if len(pending) >= batch_size:
                    yield pending
                    pending = []
        except UnicodeDecodeError:
            failure = ImportFormatError(f"{path}: not a UTF-8 text file")
            return
        except ImportFormatError as error:
            failure = error
            return
        if pending:
            yield pending

    def stored(result: UpsertResult) -> None:
        nonlocal batches
        batches += 1
        if on_batch:
            on_batch(result)

    with heap_set_aside(), store.bulk_load():
        # Each batch is read, mapped and scored here while the one before is written.
        totals = store.upsert_batches(enrich_stream(read(), settings, workers=workers),
                                      campaign_ids=campaign_ids, on_batch=stored)
    if totals.received == 0 and report.skipped and failure is None:
        raise ImportFormatError(f"{report.problems[0]} (no record of the file could be read: "
                                f"{report.skipped:,} refused)")
    if totals.received:
        _quarantine(store, fmt, report, settings)
    if failure is not None:
        raise failure
    return ImportResult(batches=batches, totals=totals, report=report)


# Objects an import may make between two passes of the cycle collector over the young ones.
# An import's objects are its batch, freed by reference counting when the batch is stored; at
# the default 700 a pass ran every 44 to 61 posts, and the passes cost 2.4 µs a post on the real
# twarc pages and 4.6 on the bench's (with this: 0.03 and 1.7). Garbage in cycles waits longer.
IMPORT_GC_YOUNG = 50_000
_heap_lock = threading.Lock()
_imports_under_way = 0
_thresholds_before: tuple[int, ...] = ()


@contextmanager
def heap_set_aside() -> Iterator[None]:
    """For the length of an import, what the process held before it (modules, the scoring
    models, pandas) is left out of the cycle collector's passes, and the young objects are
    collected every IMPORT_GC_YOUNG allocations rather than every 700: an import makes objects
    fast enough that a full pass runs every few batches, and walking that heap each time was
    about a tenth of the import's time (12 to 15 µs a post; 4 to 6 with it set aside). The
    collector is handed back as it was once the last import under way in the process ends."""
    global _imports_under_way, _thresholds_before
    with _heap_lock:
        if _imports_under_way == 0:
            _thresholds_before = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(max(IMPORT_GC_YOUNG, _thresholds_before[0]), *_thresholds_before[1:])
        _imports_under_way += 1
    try:
        yield
    finally:
        with _heap_lock:
            _imports_under_way -= 1
            if _imports_under_way == 0:
                gc.set_threshold(*_thresholds_before)
                gc.unfreeze()


def _quarantine(store: Store, fmt: str, report: ImportReport, settings: Settings) -> None:
    """Keep the records refused beside those collected ones that could not be read, so `status`
    and the Sources page list them; importing the file again counts them, not adds them."""
    rows = []
    for where, reason in report.refused:
        named = re.match(r"^([\w.]+): ", reason)
        rows.append({"location": f"{report.path} {where}", "field": named[1] if named else None, "value": None,
                     "reason": reason, "digest": f"{report.path}:{where}:{reason}"[:500]})
    store.quarantine(f"import:{fmt}", quarantine_rows(rows, settings))
