"""What every collector shares: the Collector shape, pages and scopes, errors, stop-aware waits, retry and backoff."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from operator import attrgetter
from typing import Protocol

import requests

from campaigns import clock
from campaigns.errors import GroundswellError
from campaigns.model import Campaign, Mention
from campaigns.settings import Settings

# Backoff for server errors and dropped connections: waits of 2, 4, 8, 16 s, then give up.
RETRY_WAITS = (2, 4, 8, 16)
# A 429 that names no time to wait: wait this long (seconds).
UNANNOUNCED_RATE_WAIT = 60
# Seconds to connect, and to wait for each read, on every request we make ourselves.
REQUEST_TIMEOUT = (10, 30)
# The largest integer SQLite stores; a count beyond it cannot be stored.
SQLITE_MAX_INTEGER = 2**63 - 1
# How much of a rejected record is kept beside its reason.
EXCERPT_CHARS = 500

# Set by SIGTERM / Ctrl-C: every wait ends at once, and a run stops at its next step, keeping
# every page it stored.
STOP = threading.Event()


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


class ConfigurationError(SourceError):
    """A setting a source needs holds something it cannot use (an instance that is not a URL)."""


class Stopped(BaseException):
    """A stop (SIGTERM, Ctrl-C) cut a run short; what it stored is kept.

    A BaseException, like KeyboardInterrupt, so that no library's `except Exception` turns it
    into a network error to retry.
    """


class TransientError(SourceError):
    """A server error or dropped connection worth retrying."""


class WaitRequested(Exception):
    """Returned by a classifier: the API asked us to wait, until `reset_at` (epoch seconds) when it
    said when; `said` is the header that said so ("Retry-After: 3")."""

    def __init__(self, reset_at: float | None, said: str | None = None):
        super().__init__(reset_at)
        self.reset_at = reset_at
        self.said = said


@dataclass
class Page:
    """One page of a query: its mentions and where the next older page starts."""

    mentions: list[Mention]
    next: str | None = None        # position of the following (older) page; None at the end
    newest: str | None = None      # the newest marker on this page (an id, a timestamp)
    reached_since: bool = False    # the page reached what the last pass already had
    cost: int = 0                  # units a paid API charges for this page
    rejected: list[Rejected] = field(default_factory=list)  # records on it that could not be mapped


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


# -- stopping and waiting --------------------------------------------------------------------

_main_in_request = 0  # requests the main thread has under way (a stop may cut those short)


def request_stop(signum=None, frame=None) -> None:
    """The SIGTERM / SIGINT handler: every wait ends now; a request the main thread has under
    way ends too (its connection is dropped), since its read timeout can be long."""
    STOP.set()
    if _main_in_request and threading.current_thread() is threading.main_thread():
        raise Stopped("stopped during a request")


@contextmanager
def _request_under_way() -> Iterator[None]:
    global _main_in_request
    main = threading.current_thread() is threading.main_thread()
    if main:
        _main_in_request += 1
    try:
        yield
    finally:
        if main:
            _main_in_request -= 1


def pause(seconds: float) -> None:
    """Wait up to `seconds`; a stop ends the wait at once by raising Stopped."""
    if STOP.wait(max(0.0, seconds)):
        raise Stopped("stopped while waiting")


def check_stop() -> None:
    """Raise Stopped if a stop was asked for: called between pages and queries."""
    if STOP.is_set():
        raise Stopped("stopped")


# Who hears about waits in this thread (set by the runner for the source it runs): called with
# (until, why) when a wait starts and (None, None) when it ends, so `status` can say it.
_wait_listener: ContextVar[Callable[[float | None, str | None], None] | None] = ContextVar(
    "wait_listener", default=None)


@contextmanager
def waits_reported_to(listener: Callable[[float | None, str | None], None]) -> Iterator[None]:
    token = _wait_listener.set(listener)
    try:
        yield
    finally:
        _wait_listener.reset(token)


def wait_reported(seconds: float, why: str, wait: Callable[[float], None]) -> None:
    """`wait(seconds)`, with the wait and its reason told to whoever listens in this thread."""
    listener = _wait_listener.get()
    if listener:
        listener(clock.now().timestamp() + seconds, why)
    try:
        wait(seconds)
    finally:
        if listener:
            listener(None, None)


class Hosts:
    """The hosts that stopped answering during one pass: each fails once, then every later
    query to it fails at once instead of retrying again (one per collector instance)."""

    def __init__(self):
        self.down: dict[str, str] = {}

    def check(self, host: str | None) -> None:
        if host and host in self.down:
            raise TransientError(f"{host} is not answering ({self.down[host]}, earlier in this pass); "
                                 "not asked again until the next pass")


def with_retries(call: Callable[[], object], *, classify: Callable[[Exception], Exception | None],
                 settings: Settings, sleep: Callable[[float], None] | None = None,
                 host: str | None = None, hosts: Hosts | None = None):
    """Call `call`; wait and retry on rate limits and transient errors, as `classify` says.

    `classify(error)` returns WaitRequested (wait until the announced reset, bounded by
    settings.max_rate_limit_wait), TransientError (back off and retry), another SourceError
    (raise it), or None (not ours: raise the original). Every wait ends at once on a stop
    (`sleep` replaces the wait in tests). With `hosts`, a `host` that gave up earlier in the
    pass is not asked again, and one that gives up now is marked so.
    """
    wait = sleep or pause
    if hosts:
        hosts.check(host)
    rate_waits = 0
    attempt = 0
    while True:
        check_stop()
        try:
            with _request_under_way():
                return call()
        except Exception as error:  # noqa: BLE001 - classified just below
            verdict = classify(error)
            if verdict is None:
                raise
            if isinstance(verdict, WaitRequested):
                now = clock.now().timestamp()
                seconds = (verdict.reset_at - now) if verdict.reset_at else UNANNOUNCED_RATE_WAIT
                seconds = max(1.0, seconds + 1)
                said = verdict.said or "no reset announced"
                rate_waits += 1
                if seconds > settings.max_rate_limit_wait or rate_waits > 3:
                    reset_at = verdict.reset_at or now + seconds
                    raise RateLimited(
                        f"rate limited until {_clock(reset_at)} ({said}); stopped instead of waiting "
                        f"{seconds:.0f} s (GROUNDSWELL_MAX_RATE_LIMIT_WAIT is {settings.max_rate_limit_wait})",
                        reset_at=reset_at) from None
                wait_reported(seconds, f"rate limited ({said})", wait)
                continue
            if isinstance(verdict, TransientError):
                if attempt >= len(RETRY_WAITS):
                    if hosts and host:
                        hosts.down[host] = str(verdict)
                    raise TransientError(f"{verdict} (gave up after {attempt + 1} tries)") from None
                wait_reported(RETRY_WAITS[attempt], f"{verdict}; trying again (try {attempt + 2} of "
                                               f"{len(RETRY_WAITS) + 1})", wait)
                attempt += 1
                continue
            raise verdict from None


def _clock(epoch: float | None) -> str:
    if not epoch:
        return "an unannounced time"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _header(headers, name: str) -> str | None:
    """A header by name, whatever its case, from requests', httpx's or a plain dict of headers."""
    if not headers:
        return None
    for key, value in dict(headers).items():
        if str(key).lower() == name:
            return str(value).strip() or None
    return None


# The reset headers platforms send with a 429, besides Retry-After: X's x-rate-limit-reset and
# Bluesky's ratelimit-reset (epoch seconds), Mastodon's X-RateLimit-Reset (an ISO timestamp),
# Reddit's x-ratelimit-reset (seconds from now).
RESET_HEADERS = ("x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset")


def announced_reset(headers) -> WaitRequested:
    """When the response that carried a 429 says to try again: Retry-After (seconds or an HTTP
    date) first, as it speaks for this response, else the platform's own reset header."""
    now = clock.now().timestamp()
    retry_after = _header(headers, "retry-after")
    if retry_after:
        at = _moment(retry_after, now, numbers_are="seconds")
        if at is not None:
            return WaitRequested(at, f"Retry-After: {retry_after}")
    for name in RESET_HEADERS:
        value = _header(headers, name)
        at = _moment(value, now) if value else None
        if at is not None:
            return WaitRequested(at, f"{name}: {value}")
    return WaitRequested(None)


def _moment(value: str, now: float, numbers_are: str | None = None) -> float | None:
    """A header's time as epoch seconds: a number is seconds from now, or an epoch when it is
    that large (after 2001); else an ISO timestamp or an HTTP date. None when it is neither."""
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        if number != number or number in (float("inf"), float("-inf")):
            return None
        if numbers_are == "seconds" or number < 1e9:
            return now + max(0.0, number)
        return number
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


class TimedSession(requests.Session):
    """A requests Session that gives every request a timeout (tweepy sets none) and keeps the
    last response of each thread, so a 429's own headers and a page's raw JSON can be read."""

    def __init__(self, timeout=REQUEST_TIMEOUT):
        super().__init__()
        self.timeout = timeout
        self._local = threading.local()

    def request(self, method, url, *args, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        response = super().request(method, url, *args, **kwargs)
        self._local.response = response
        return response

    @property
    def last_response(self) -> requests.Response | None:
        return getattr(self._local, "response", None)


# -- records that cannot be mapped -----------------------------------------------------------

@dataclass
class Rejected:
    """A record that could not be mapped: skipped, counted, and kept with its reason."""

    reason: str
    field: str | None = None       # the raw field at fault, when it can be named
    value: str | None = None       # that field's raw value, or a bounded excerpt of the record
    position: int | None = None    # the record's place on its page (from 1)
    digest: str = ""               # identifies the record, so seeing it again is not a new entry
    where: str = ""                # filled by whoever knows the page or file: "host #tag page 2 item 7"

    def line(self) -> str:
        return f"{self.where}: {self.reason}" if self.where else self.reason


_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
COUNT_FIELDS = ("likes", "reposts", "replies", "quotes", "impressions", "author_followers", "audience_size")
_counts = attrgetter(*COUNT_FIELDS)


def mention_problem(mention: Mention) -> tuple[str, object, str] | None:
    """What makes a mapped mention unfit to store, as (field, value, reason), or None.

    The created time must be an instant in the stored form; every count a whole number from 0
    to what SQLite can hold (a negative count would enter the roll-up; a larger one fails the
    whole batch it is in).
    """
    if not isinstance(mention.created_at, str) or not _INSTANT.match(mention.created_at):
        return "created_at", mention.created_at, f"'{mention.created_at}' is not a date and time"
    if not str(mention.native_id or "").strip():
        return "id", mention.native_id, "the post has no id"
    # Every post is checked at ingest, and almost all pass: one look at all the counts first.
    if all(value is None or (type(value) is int and 0 <= value <= SQLITE_MAX_INTEGER)
           for value in _counts(mention)):
        return None
    for name in COUNT_FIELDS:
        value = getattr(mention, name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            return name, value, f"{value!r} is not a whole number"
        if value < 0:
            return name, value, f"{value} is negative, and a count cannot be"
        if value > SQLITE_MAX_INTEGER:
            return name, value, f"{value} is larger than the largest number SQLite stores (2**63 - 1)"
    return None


def map_record(raw, mapper: Callable[[object], Mention | Iterable[Mention]],
               position: int | None = None, record=None) -> list[Mention] | Rejected:
    """Map one raw record (a status, a tweet, a CSV row) to its mentions, or say why it cannot be.

    Any failure costs this record only: the reason names the field at fault where it can be
    found, with its raw value. `record`, when `raw` wraps it (a page of one tweet), is where the
    field is looked for.
    """
    try:
        produced = mapper(raw)
        mentions = [produced] if isinstance(produced, Mention) else list(produced)
    except Exception as error:  # noqa: BLE001 - whatever breaks on a record costs that record only
        return rejected_for(raw if record is None else record, error, position)
    raw = raw if record is None else record
    for mention in mentions:
        problem = mention_problem(mention)
        if problem:
            name, value, reason = problem
            where = _locate(raw, lambda candidate, value=value: _same(candidate, value))
            return Rejected(reason=f"{where or name}: {reason}", field=where or name,
                            value=_excerpt(value), position=position, digest=_digest(raw))
    return mentions


def unfit(mention: Mention, raw) -> str | None:
    """Why a mapped mention cannot be stored ("favourites_count: -3 is negative, ..."), naming
    the raw field in its own record within `raw` (a page, a line, a row) where it can be found."""
    problem = mention_problem(mention)
    if problem is None:
        return None
    name, value, reason = problem
    record = _record_of(raw, str(mention.native_id))
    where = _locate(record, lambda candidate: _same(candidate, value)) if record is not None else None
    return f"{where or name}: {reason}"


def _record_of(raw, native_id: str, depth: int = 3):
    """The object within `raw` that holds a post's own id (its id, uri or name ends with it)."""
    if isinstance(raw, dict):
        if any(isinstance(raw.get(key), str | int) and str(raw[key]).endswith(native_id)
               for key in ("id", "uri", "name", "id_str", "link", "url")):
            return raw
        children = list(raw.values())
    elif isinstance(raw, list):
        children = raw
    else:
        return None
    if depth:
        for child in children:
            found = _record_of(child, native_id, depth - 1)
            if found is not None:
                return found
    return None


def map_records(records: Iterable, mapper: Callable[[object], Mention | Iterable[Mention]]
                ) -> tuple[list[Mention], list[Rejected]]:
    """Every record mapped on its own: the mentions of those that map, and the rest rejected."""
    mentions: list[Mention] = []
    rejected: list[Rejected] = []
    for position, raw in enumerate(records, start=1):
        outcome = map_record(raw, mapper, position)
        if isinstance(outcome, Rejected):
            rejected.append(outcome)
        else:
            mentions.extend(outcome)
    return mentions, rejected


def rejected_for(raw, error: Exception, position: int | None = None) -> Rejected:
    """Why `raw` could not be read, from the error reading it raised: the field named where it
    can be found, with its raw value, else a bounded excerpt of the record."""
    message = str(error).strip() or type(error).__name__
    name = value = None
    if isinstance(error, KeyError):
        name = str(error.args[0]) if error.args else None
        message = f"'{name}' is missing"
    elif isinstance(error, AttributeError) and getattr(error, "obj", None) is not None:
        # A field the format holds as an object came as something else ("account": "bob").
        found = error.obj
        name = _locate(raw, lambda candidate: candidate is found)
        kind = {"str": "text", "int": "a number", "float": "a number", "list": "a list",
                "bool": "true/false"}.get(type(found).__name__, type(found).__name__)
        message = f"the record is {kind}, not an object" if found is raw else f"expected an object, found {kind}"
        value = _excerpt(found)
    else:
        quoted = re.search(r"'([^']*)'", message)
        if quoted:
            text = quoted[1]
            name = _locate(raw, lambda candidate: isinstance(candidate, str) and candidate == text)
            if name:
                value = text
            elif isinstance(raw, dict) and re.search(rf"(?:without|missing|lacks|needs|no) '{re.escape(text)}'",
                                                     message) and raw.get(text) is None:
                name = text  # "status without 'uri'": the field is absent
    reason = f"{name}: {message}" if name and not message.startswith(f"{name}:") else message
    return Rejected(reason=reason, field=name, value=value if value is not None else _excerpt(raw),
                    position=position, digest=_digest(raw))


def _same(candidate, value) -> bool:
    if isinstance(candidate, bool) or isinstance(candidate, dict | list):
        return False
    if isinstance(candidate, str):
        return candidate.strip() == str(value)
    try:
        return candidate == value
    except TypeError:
        return False


def _locate(raw, match: Callable[[object], bool], depth: int = 3) -> str | None:
    """The dotted path of the shallowest value in a record that `match` accepts."""
    if isinstance(raw, dict):
        items = [(str(key), value) for key, value in raw.items()]
    elif isinstance(raw, list):
        items = [(str(index), value) for index, value in enumerate(raw)]
    else:
        return None
    for key, value in items:
        if match(value):
            return key
    if depth:
        for key, value in items:
            if isinstance(value, dict | list):
                found = _locate(value, match, depth - 1)
                if found:
                    return f"{key}.{found}"
    return None


def _excerpt(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + f"... ({len(text):,} characters)"


def _digest(raw) -> str:
    text = json.dumps(raw, default=str, sort_keys=True, ensure_ascii=False)
    return hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:16]


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
