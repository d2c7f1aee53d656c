"""The one clock: every "now" in the house comes from here, so a test or a demo can set it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from campaigns.model import iso_utc

# GROUNDSWELL_NOW pins the clock for a process (a replayed demo, a browser test's server); set()
# pins it inside this process. Neither is needed in normal use.
_pinned: datetime | None = None


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def now() -> datetime:
    """The current instant, aware, in UTC."""
    if _pinned is not None:
        return _pinned
    pinned = os.environ.get("GROUNDSWELL_NOW")
    if pinned:
        return _parse(pinned).astimezone(UTC)
    return datetime.now(UTC)


def now_iso() -> str:
    """The current instant in the one stored form ('2026-03-01T14:27:03Z')."""
    return iso_utc(now())


@contextmanager
def pinned(moment: datetime | str) -> Iterator[datetime]:
    """Hold the clock at `moment` inside the block (tests)."""
    global _pinned
    before = _pinned
    _pinned = _parse(moment) if isinstance(moment, str) else moment.astimezone(UTC)
    try:
        yield _pinned
    finally:
        _pinned = before
