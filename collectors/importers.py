"""Files from other tools to mentions: each format is a reader yielding batches of mentions."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from campaigns.errors import ImportFormatError
from campaigns.model import Mention
from campaigns.settings import Settings
from campaigns.store import Store, UpsertResult
from collectors import x
from collectors.enrich import enrich


def _json_documents(path: Path) -> Iterator[tuple[int, object]]:
    """(line number, document) for a JSON Lines file, or one pretty-printed JSON document."""
    try:
        text_start = path.open("rb").read(1)
    except OSError as error:
        raise ImportFormatError(f"cannot read {path}: {error.strerror}") from None
    with path.open(encoding="utf-8") as handle:
        first = handle.readline()
        second = handle.readline()
    if text_start == b"{" and second and not _is_json(first):
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


def read_x(path: Path) -> Iterator[list[Mention]]:
    """X API v2 search pages, one per line as twarc2 saves them, or a single page."""
    for number, page in _json_documents(path):
        try:
            yield x.map_page(page)
        except ImportFormatError as error:
            raise ImportFormatError(f"{path}: line {number}: {error}") from None


READERS: dict[str, Callable[[Path], Iterator[list[Mention]]]] = {
    "x": read_x,
}


@dataclass
class ImportResult:
    batches: int
    totals: UpsertResult


def import_file(
    store: Store,
    path: str | Path,
    fmt: str,
    *,
    settings: Settings,
    campaign_ids: list[int] | None = None,
    batch_size: int = 1000,
    on_batch: Callable[[UpsertResult], None] | None = None,
) -> ImportResult:
    """Read, enrich and store a file in batches, each batch one transaction.

    A file that breaks part way keeps the whole batches before the break; running the import
    again after fixing the file stores the rest and duplicates nothing.
    """
    path = Path(path)
    if fmt not in READERS:
        raise ImportFormatError(f"unknown format '{fmt}' (one of: {', '.join(sorted(READERS))})")
    if not path.is_file():
        raise ImportFormatError(f"no such file: {path}")
    totals = UpsertResult()
    batches = 0
    pending: list[Mention] = []

    def flush():
        nonlocal batches
        enrich(pending, settings)
        result = store.upsert_mentions(pending, campaign_ids=campaign_ids)
        totals.add(result)
        batches += 1
        if on_batch:
            on_batch(result)
        pending.clear()

    try:
        for mentions in READERS[fmt](path):
            pending.extend(mentions)
            if len(pending) >= batch_size:
                flush()
    except UnicodeDecodeError:
        raise ImportFormatError(f"{path}: not a UTF-8 text file") from None
    if pending:
        flush()
    return ImportResult(batches=batches, totals=totals)
