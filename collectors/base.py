"""What every collector shares: the Collector shape, pages and scopes, errors, retry and backoff."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from campaigns.errors import GroundswellError
from campaigns.model import Campaign, Mention
from campaigns.settings import Settings

# Backoff for server errors and dropped connections: waits of 2, 4, 8, 16 s, then give up.
RETRY_WAITS = (2, 4, 8, 16)


class SourceError(GroundswellError):
    """A source failed for a reason a user should read in one line."""


class MissingCredentials(SourceError):
    """A source cannot run without a variable that is not set."""


class BadCredentials(SourceError):
    """A source refused the credentials given (expired, revoked, mistyped)."""


class MalformedResponse(SourceError):
    """A response that is not what the API documents; recorded on the run, the pass goes on."""


class RateLimited(SourceError):
    """The API asked us to wait longer than we are willing to, or kept refusing after waiting."""

    def __init__(self, message: str, reset_at: float | None = None):
        super().__init__(message)
        self.reset_at = reset_at


class BudgetReached(SourceError):
    """A paid source's monthly budget is used up; collection stops before passing it."""


class TransientError(SourceError):
    """A server error or dropped connection worth retrying."""


class WaitRequested(Exception):
    """Raised by a classifier: the API announced when to try again (epoch seconds)."""

    def __init__(self, reset_at: float | None):
        super().__init__(reset_at)
        self.reset_at = reset_at


@dataclass
class Page:
    """One page of a query: its mentions and where the next older page starts."""

    mentions: list[Mention]
    next: str | None = None        # position of the following (older) page; None at the end
    newest: str | None = None      # the newest marker on this page (an id, a timestamp)
    reached_since: bool = False    # the page reached what the last pass already had
    cost: int = 0                  # units a paid API charges for this page


@dataclass
class Scope:
    """One incremental query of a source: a cursor key and a function fetching a page.

    `fetch(since, position)` returns the page at `position` (None: the newest) holding only
    what is newer than `since` (None: anything back to the campaign start).
    """

    key: str
    label: str
    fetch: Callable[[str | None, str | None], Page]


@dataclass
class Plan:
    """What a collector will do for a campaign: its scopes, and trackers it cannot follow."""

    scopes: list[Scope] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Collector(Protocol):
    """A source: says what it lacks, and plans the scopes a campaign needs."""

    name: str

    def missing(self) -> str | None:
        """The environment variable(s) it needs and lacks, or None when it can run."""

    def plan(self, campaign: Campaign, store) -> Plan:
        """The scopes to fetch for a campaign."""


def with_retries(call: Callable[[], object], *, classify: Callable[[Exception], Exception | None],
                 settings: Settings, sleep: Callable[[float], None] | None = None,
                 on_wait: Callable[[float], None] | None = None):
    """Call `call`; wait and retry on rate limits and transient errors, as `classify` says.

    `classify(error)` returns WaitRequested (wait until the announced reset, bounded by
    settings.max_rate_limit_wait), TransientError (back off and retry), another SourceError
    (raise it), or None (not ours: raise the original).
    """
    sleep = sleep or time.sleep
    rate_waits = 0
    attempt = 0
    while True:
        try:
            return call()
        except Exception as error:  # noqa: BLE001 - classified just below
            verdict = classify(error)
            if verdict is None:
                raise
            if isinstance(verdict, WaitRequested):
                now = time.time()
                wait = (verdict.reset_at - now) if verdict.reset_at else 60
                wait = max(1.0, wait + 1)
                rate_waits += 1
                if wait > settings.max_rate_limit_wait or rate_waits > 3:
                    raise RateLimited(
                        f"rate limited until {_clock(verdict.reset_at)}; stopped instead of waiting "
                        f"{wait:.0f} s", reset_at=verdict.reset_at or now + wait) from None
                if on_wait:
                    on_wait(verdict.reset_at or now + wait)
                sleep(wait)
                continue
            if isinstance(verdict, TransientError):
                if attempt >= len(RETRY_WAITS):
                    raise TransientError(f"{verdict} (gave up after {attempt + 1} tries)") from None
                sleep(RETRY_WAITS[attempt])
                attempt += 1
                continue
            raise verdict from None


def _clock(epoch: float | None) -> str:
    if not epoch:
        return "an unannounced time"
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def newest_id(ids: list[str]) -> str | None:
    """The newest of numeric ids (snowflakes sort by value, not by text)."""
    numeric = [i for i in ids if str(i).isdigit()]
    if numeric:
        return str(max(numeric, key=int))
    return max(ids) if ids else None


def id_after(candidate: str, since: str | None) -> bool:
    """Whether a numeric id is newer than `since`."""
    if since is None:
        return True
    if str(candidate).isdigit() and str(since).isdigit():
        return int(candidate) > int(since)
    return str(candidate) > str(since)


def pack_queries(terms: list[str], suffix: str, limit: int, platform: str) -> list[str]:
    """Search terms OR-ed into as few queries as fit `limit` characters, each ending in `suffix`
    (the exclusions). A term too long to fit even alone is a SourceError naming it."""
    def render(parts: list[str]) -> str:
        body = " OR ".join(parts)
        return (f"({body})" if len(parts) > 1 else body) + suffix

    queries: list[str] = []
    current: list[str] = []
    for term in terms:
        if len(render([term])) > limit:
            raise SourceError(f"the {platform} query for '{term}' with the exclusions is longer than {limit} characters")
        if current and len(render([*current, term])) > limit:
            queries.append(render(current))
            current = []
        current.append(term)
    if current:
        queries.append(render(current))
    return queries
