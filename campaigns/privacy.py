"""The privacy rules: how an author is stored (handle or keyed pseudonym), the one place for them."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable

from campaigns.model import Mention
from campaigns.settings import Settings

PSEUDONYM_PREFIX = "anon-"


def pseudonym(handle: str, key: bytes) -> str:
    """A stable keyed pseudonym for an author handle: the same handle, the same pseudonym."""
    digest = hmac.new(key, handle.strip().lower().encode(), hashlib.sha256).hexdigest()
    return f"{PSEUDONYM_PREFIX}{digest[:12]}"


def author_key_of(settings: Settings) -> Callable[[str], str] | None:
    """How a handle is stored as an author key: itself (None: no change), or its keyed pseudonym."""
    if not settings.pseudonymize:
        return None
    key = settings.pseudonym_key()
    return lambda handle: pseudonym(handle, key)


def pseudonymise(mentions: Iterable[Mention], settings: Settings) -> None:
    """Replace each mention's author key by its pseudonym when pseudonyms are on (in place).

    The real handle stays on `author_handle` for tracker matching, which happens before
    anything is stored; it is never stored.
    """
    if not settings.pseudonymize:
        return
    key = settings.pseudonym_key()
    for mention in mentions:
        if mention.author_key and not mention.author_key.startswith(PSEUDONYM_PREFIX):
            mention.author_handle = mention.author_handle or mention.author_key
            mention.author_key = pseudonym(mention.author_key, key)


def forgotten_digest(platform: str, author_key: str) -> str:
    """How an author who asked to be forgotten is remembered as such: a digest, never the handle.

    `platform` "*" stands for every platform."""
    return hashlib.sha256(f"{platform}:{author_key.strip().lower()}".encode()).hexdigest()


def is_forgotten(mention: Mention, digests: set[str]) -> bool:
    """Whether a mention's author (by stored key or by handle) asked to be forgotten."""
    for key in {mention.author_key, mention.author_handle} - {None, ""}:
        if forgotten_digest(mention.platform, key) in digests or forgotten_digest("*", key) in digests:
            return True
    return False
