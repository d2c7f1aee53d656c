"""Files from other tools to mentions: each format is a reader yielding batches of mentions."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from campaigns.errors import ImportFormatError
from campaigns.model import Mention
from campaigns.settings import Settings
from campaigns.store import Store, UpsertResult
from collectors import bluesky, mastodon, reddit, x
from collectors.base import Rejected, map_record
from collectors.enrich import enrich_stream


def _json_documents(path: Path) -> Iterator[tuple[int, object]]:
    """(line number, document) for a JSON Lines file, or one pretty-printed JSON document."""
    try:
        text_start = path.open("rb").read(1)
    except OSError as error:
        raise ImportFormatError(f"cannot read {path}: {error.strerror}") from None
    with path.open(encoding="utf-8") as handle:
        first = handle.readline()
        second = handle.readline()
    if text_start in (b"{", b"[") and second and not _is_json(first):
        try:
            yield 1, json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ImportFormatError(f"{path}: not valid JSON at line {error.lineno}") from None
        return
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError:
                raise ImportFormatError(
                    f"{path}: line {number} is not valid JSON (is the file cut short, or not JSON Lines?)"
                ) from None


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True


def _guarded(path: Path, number: int, document, mapper: Callable[[object], list[Mention]],
             label: str | None = None) -> Iterator[list[Mention] | Rejected]:
    """One line of a file mapped. When it cannot be, a line holding several records (a page of
    tweets, an array of statuses) is mapped record by record, so a bad one costs itself; each
    that cannot be read is yielded as a Rejected naming the file and line."""
    expected = f" (expected {label})" if label else ""
    outcome = map_record(document, mapper)
    if not isinstance(outcome, Rejected):
        yield outcome
        return
    parts = _records_of(document)
    if parts is None:
        outcome.where, outcome.reason = f"{path} line {number}", outcome.reason + expected
        yield outcome
        return
    for position, (part, record) in enumerate(parts, start=1):
        one = map_record(part, mapper, position, record=record)
        if isinstance(one, Rejected):
            one.where, one.reason = f"{path} line {number}, record {position}", one.reason + expected
        yield one


def _records_of(document) -> list[tuple] | None:
    """A document of several records as (document of one record, that record) pairs, each of the
    same shape so the same mapper reads it; None when it holds one record or a shape not known here."""
    records: list[tuple] | None = None
    if isinstance(document, list):
        records = [([item], item) for item in document]
    elif isinstance(document, dict):
        for key in ("data", "statuses", "posts", "feed"):  # X pages, Mastodon and Bluesky answers
            if isinstance(document.get(key), list):
                records = [({**document, key: [item]}, item) for item in document[key]]
                break
        else:
            inner = document.get("data")
            if document.get("kind") == "Listing" and isinstance(inner, dict) and isinstance(inner.get("children"), list):
                records = [({**document, "data": {**inner, "children": [child]}}, child)
                           for child in inner["children"]]
    return records if records and len(records) > 1 else None


def read_x(path: Path) -> Iterator[list[Mention] | Rejected]:
    """X API v2 search pages, one per line as twarc2 saves them, or a single page."""
    for number, page in _json_documents(path):
        yield from _guarded(path, number, page, x.map_page)


def _each_document(path: Path, label: str, mapper: Callable[[object], list[Mention]]
                   ) -> Iterator[list[Mention] | Rejected]:
    for number, document in _json_documents(path):
        yield from _guarded(path, number, document, mapper, label)


def _reddit_document(document) -> list[Mention]:
    # A comments page is [post listing, comments listing]; a search or new page is one Listing.
    if isinstance(document, list):
        return [m for listing in document for m in reddit.map_listing(listing)]
    if isinstance(document, dict) and document.get("kind") in ("t1", "t3"):
        return [reddit.map_item(document["data"])]
    return reddit.map_listing(document)


def read_reddit(path: Path) -> Iterator[list[Mention]]:
    """Reddit API listings (search, new, comments), one per line or one per file."""
    return _each_document(path, "a Reddit Listing", _reddit_document)


def _mastodon_document(document) -> list[Mention]:
    if isinstance(document, dict) and "statuses" in document:  # a search answer
        document = document["statuses"]
    if isinstance(document, dict):  # one status per line
        document = [document]
    return mastodon.map_statuses(document)


def read_mastodon(path: Path) -> Iterator[list[Mention]]:
    """Mastodon timelines (a JSON array of statuses), search answers, or one status per line."""
    return _each_document(path, "Mastodon statuses", _mastodon_document)


def read_bluesky(path: Path) -> Iterator[list[Mention]]:
    """Bluesky searchPosts / getPosts / feed / thread answers, or postViews one per line."""
    return _each_document(path, "a Bluesky postView answer", bluesky.map_posts)


def _platform_of(item: dict) -> str:
    """Which platform a raw item from a 4CAT NDJSON export comes from, by its shape."""
    if "account" in item and "uri" in item and "content" in item:
        return "mastodon"
    if "record" in item and "uri" in item and "author" in item:
        return "bluesky"
    if "created_utc" in item and ("subreddit" in item or "permalink" in item):
        return "reddit"
    if "edit_history_tweet_ids" in item or ("public_metrics" in item and "text" in item):
        return "x"
    if "body" in item and "timestamp" in item and "id" in item:
        return "mapped"
    return "unknown"


def _fourcat_item(item: dict, source: str = "") -> Mention:
    if isinstance(item.get("data"), dict) and ("source_platform" in item or "item_id" in item):
        source = item.get("source_platform") or source
        item = item["data"]  # Zeeschuimer / 4CAT envelope around the platform's own item
    kind = _platform_of(item)
    if kind == "mastodon":
        return mastodon.map_item(item)
    if kind == "bluesky":
        return bluesky.map_item(item)
    if kind == "reddit":
        return reddit.map_item(item)
    if kind == "x":
        users = {}
        author = item.get("author_user") or item.get("author")
        if isinstance(author, dict) and item.get("author_id"):
            users[str(item["author_id"])] = author
        return x.map_item(item, users)
    if kind == "mapped":
        return _flat_row(item, platform=_platform_from_url(item.get("url") or item.get("link") or "", source))
    raise ImportFormatError(f"a 4CAT item of a shape this importer does not know (keys: {', '.join(list(item)[:8])})")


def _platform_from_url(url: str, source: str = "") -> str:
    text = f"{url} {source}".lower()
    for needle, platform in (("twitter.com", "x"), ("x.com", "x"), ("reddit.com", "reddit"),
                             ("bsky", "bluesky"), ("mastodon", "mastodon")):
        if needle in text:
            return platform
    return "4cat"


def read_4cat(path: Path) -> Iterator[list[Mention]]:
    """A 4CAT export: NDJSON (items as the platform returned them, or 4CAT's mapped items) or CSV."""
    if path.suffix.lower() == ".csv":
        yield from _csv_batches(path, lambda row: _flat_row(row, platform=_platform_from_url(
            row.get("url") or row.get("link") or "", row.get("source_platform") or "")))
        return
    for number, document in _json_documents(path):
        if not isinstance(document, dict):
            raise ImportFormatError(f"{path}: line {number}: not a 4CAT NDJSON item")
        yield from _guarded(path, number, document, lambda item: [_fourcat_item(item)])


def _int(value) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        return int(float(value))
    except ValueError:
        raise ImportFormatError(f"'{value}' is not a number") from None


def _flat_row(row: dict, platform: str | None = None) -> Mention:
    """A flat row: the plain CSV format, or 4CAT's mapped columns (id, body, author, timestamp)."""
    from datetime import UTC, datetime

    from campaigns.model import parse_when

    native_id = row.get("id") or row.get("native_id")
    when = row.get("created_at") or row.get("timestamp")
    if not native_id or not when:
        raise ImportFormatError("a row needs 'id' and 'created_at' (or 'timestamp')")
    if str(when).replace(".", "", 1).isdigit():
        created_at = parse_when(datetime.fromtimestamp(float(when), UTC))
    else:
        created_at = parse_when(str(when).replace(" ", "T", 1) if len(str(when)) > 10 else when, "UTC")
    platform = (row.get("platform") or platform or "").strip().lower()
    if not platform:
        raise ImportFormatError("a row needs 'platform'")
    author = row.get("author") or row.get("author_key") or None
    is_repost = str(row.get("is_repost") or "").strip().lower() in ("1", "true", "yes")
    reposted = row.get("reposted_id") or None
    text = row.get("text") if row.get("text") is not None else "\n".join(
        part for part in (row.get("subject"), row.get("body")) if part)
    return Mention(
        platform=platform, native_id=str(native_id), created_at=created_at, text=text or "",
        url=row.get("url") or None, author_key=author.lower() if author else None, author_handle=author,
        author_followers=_int(row.get("followers") or row.get("author_followers")),
        audience_key=row.get("audience") or None, audience_size=_int(row.get("audience_size")),
        lang=row.get("lang") or None, is_repost=is_repost,
        reposted_uid=f"{platform}:{reposted}" if reposted else None,
        likes=_int(row.get("likes")), reposts=_int(row.get("reposts")), replies=_int(row.get("replies")),
        quotes=_int(row.get("quotes")), impressions=_int(row.get("impressions")),
    )


def _csv_batches(path: Path, mapper: Callable[[dict], Mention], size: int = 1000
                 ) -> Iterator[list[Mention] | Rejected]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise ImportFormatError(f"{path}: empty CSV file")
        batch = []
        while True:
            line = reader.reader.line_num + 1  # where this record starts (it may span lines)
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as error:  # a field beyond csv's limit: this row only; the reader goes on
                yield Rejected(reason=f"{error}", where=f"{path} line {line}", digest=f"{path}:{line}")
                continue
            outcome = map_record(row, mapper)
            if isinstance(outcome, Rejected):
                outcome.where = f"{path} line {line}"
                yield outcome
                continue
            batch.extend(outcome)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch


CSV_COLUMNS = ("platform", "id", "created_at", "text", "url", "author", "followers", "likes", "reposts",
               "replies", "quotes", "impressions", "lang", "is_repost", "reposted_id", "audience", "audience_size")


def read_csv(path: Path) -> Iterator[list[Mention]]:
    """The plain CSV format: a header row naming some of CSV_COLUMNS; platform, id, created_at required."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), [])
    missing = [c for c in ("platform", "id", "created_at") if c not in header]
    if missing:
        raise ImportFormatError(f"{path}: the CSV header lacks {', '.join(missing)} "
                                f"(columns: {', '.join(CSV_COLUMNS)})")
    yield from _csv_batches(path, _flat_row)


READERS: dict[str, Callable[[Path], Iterator[list[Mention]]]] = {
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
    rejected: list[Rejected] = field(default_factory=list)  # records skipped, each with file, line and why


# csv's own limit on a field is 128 kB, which a long post or article body passes; a field beyond
# this still costs its row only.
CSV_FIELD_LIMIT = 10 * 1024 * 1024
# A file whose first records all fail is taken for the wrong format, not a file of bad records.
FIRST_UNREADABLE = 1000


def import_file(
    store: Store,
    path: str | Path,
    fmt: str,
    *,
    settings: Settings,
    campaign_ids: list[int] | None = None,
    batch_size: int = 1000,
    on_batch: Callable[[UpsertResult], None] | None = None,
    workers: int | None = None,
) -> ImportResult:
    """Read, enrich and store a file in batches, each batch one transaction.

    A file that breaks part way keeps the whole batches before the break; running the import
    again after fixing the file stores the rest and duplicates nothing. With scoring workers
    (`workers`, else GROUNDSWELL_SCORING_WORKERS) the next batches are scored while one is stored.
    """
    path = Path(path)
    if fmt not in READERS:
        raise ImportFormatError(f"unknown format '{fmt}' (one of: {', '.join(sorted(READERS))})")
    if not path.is_file():
        raise ImportFormatError(f"no such file: {path}")
    if batch_size < 1:
        raise ImportFormatError(f"the batch size must be at least 1, not {batch_size}")
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    totals = UpsertResult()
    batches = 0
    failure: ImportFormatError | None = None
    rejected: list[Rejected] = []
    readable = 0
    source = f"import:{fmt}"

    def read() -> Iterator[list[Mention]]:
        # A break in the file ends the batches here, so the whole ones read before it (some
        # perhaps still being scored) are stored before the error is raised. A record that
        # cannot be read is set aside and the rest go on.
        nonlocal failure, readable
        pending: list[Mention] = []
        try:
            for item in READERS[fmt](path):
                if isinstance(item, Rejected):
                    rejected.append(item)
                    if not readable and len(rejected) >= FIRST_UNREADABLE:
                        return
                    continue
                readable += len(item)
                pending.extend(item)
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

    kept = 0

    def keep_rejected() -> None:
        nonlocal kept
        store.quarantine(source, [{"location": r.where, "field": r.field, "value": r.value, "reason": r.reason,
                                   "digest": r.digest or r.where} for r in rejected[kept:]])
        kept = len(rejected)

    for batch in enrich_stream(read(), settings, workers=workers):
        result = store.upsert_mentions(batch, campaign_ids=campaign_ids)
        totals.add(result)
        batches += 1
        keep_rejected()
        if on_batch:
            on_batch(result)
    if rejected and not readable:
        # Nothing in it could be read: the wrong format, or one bad record. Nothing is stored.
        first = rejected[0]
        more = f" ({len(rejected):,} record(s) could not be read" + (
            ", the first ones" if len(rejected) >= FIRST_UNREADABLE else "") + "; is it --format " + fmt + "?)"
        raise failure or ImportFormatError(f"{first.line()}" + (more if len(rejected) > 1 else ""))
    if rejected:
        keep_rejected()
    if failure is not None:
        raise failure
    return ImportResult(batches=batches, totals=totals, rejected=rejected)
