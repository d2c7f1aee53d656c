"""The privacy rules: how authors, their ids, links and @-names are stored (clear, keyed pseudonym or sealed), the one place for them."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from campaigns.matching import normalise_account
from campaigns.model import Mention
from campaigns.settings import PseudonymKeyMissing, Settings

PSEUDONYM_PREFIX = "anon-"
# A link stored encrypted ("sealed:<token>"), opened with the key where a link is shown; an id
# inside a uid stored encrypted ("sealed-<token>"), so the uid names no one and a refresh can
# still ask the platform for the post.
SEALED_LINK = "sealed:"
SEALED_ID = "sealed-"
# An @-name in a post's text: X's @name, Bluesky's @name.domain, Mastodon's @name and
# @name@server. Not an e-mail address (a word character before the @) and never a trailing dot.
AT_NAME = re.compile(r"(?<![\w.@/])@([A-Za-z0-9_](?:[\w.-]*\w)?(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)")
# Reddit's way of naming a person in a text: u/name or /u/name.
REDDIT_NAME = re.compile(r"(?<![\w/])(/?u/)([A-Za-z0-9_-]{3,20})\b")
# A Reddit user's own subreddit, "u_name", held in a post's audience.
REDDIT_USER_SUB = re.compile(r"^r/u_(.+)$")
DID = re.compile(r"^did:[a-z0-9]+:")


def pseudonym(handle: str, key: bytes) -> str:
    """A stable keyed pseudonym for an author handle: the same handle, the same pseudonym."""
    digest = hmac.new(key, handle.strip().lower().encode(), hashlib.sha256).hexdigest()
    return f"{PSEUDONYM_PREFIX}{digest[:12]}"


def author_key_of(settings: Settings) -> Callable[[str], str] | None:
    """How a handle is stored as an author key: itself (None: no change), or its keyed pseudonym.

    A handle the campaign tracks by name (a protected account, a consenting volunteer) may be
    stored as itself: look for both."""
    if not settings.pseudonymize:
        return None
    key = settings.pseudonym_key()
    return lambda handle: pseudonym(handle, key)


# -- sealing: deterministic encryption (AES-SIV) with a key derived from the pseudonym key ------

@cache
def _siv(key: bytes):
    from cryptography.hazmat.primitives.ciphers.aead import AESSIV

    # Its own key, derived, so a sealed value and a pseudonym never share one.
    return AESSIV(hmac.new(key, b"groundswell: sealed links and ids", hashlib.sha512).digest())


def seal(text: str, key: bytes) -> str:
    """`text` encrypted under the key, as URL-safe base64: the same text, the same token (so one
    post is one row), and nothing but equality learnt from it without the key."""
    return base64.urlsafe_b64encode(_siv(key).encrypt(text.encode(), None)).rstrip(b"=").decode()


def unseal(token: str, key: bytes) -> str | None:
    """The text a token seals, or None when it was sealed under another key or is not a token."""
    from cryptography.exceptions import InvalidTag

    try:
        return _siv(key).decrypt(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)), None).decode()
    except (InvalidTag, ValueError, binascii.Error, UnicodeDecodeError):
        return None


def _seal_id(part: str, key: bytes) -> str:
    return SEALED_ID + seal(part, key)


def _open_id(part: str, key: bytes) -> str | None:
    return unseal(part[len(SEALED_ID):], key) if part.startswith(SEALED_ID) else part


def sealed_native_id(platform: str, native_id: str, key: bytes) -> str:
    """A native id with the parts that name a person sealed: a Bluesky post's authority (its
    author's DID, or a handle) and a reposter's DID; a fediverse status uri's account (after
    `users/`, Pixelfed's `p/`, or an `@name` segment). X and Reddit ids are the post's own and
    stay as they are."""
    if platform == "bluesky":
        parts = native_id.split("/")
        return "/".join(_seal_id(p, key) if i == 0 or DID.match(p) else p for i, p in enumerate(parts))
    if platform == "mastodon":
        parts = native_id.split("/")
        for i, part in enumerate(parts):
            # Mastodon's and GoToSocial's host/users/<name>/..., Pixelfed's host/p/<name>/...
            if (i > 0 and parts[i - 1] == "users") or (i == 2 and parts[1] == "p"):
                parts[i] = _seal_id(part, key)
            elif i > 0 and part.startswith("@") and len(part) > 1:
                parts[i] = "@" + _seal_id(part[1:], key)
        return "/".join(parts)
    return native_id


def opened_native_id(native_id: str, key: bytes) -> str | None:
    """The native id as the platform wrote it (a refresh asks for it by that), or None when it
    was sealed under another key."""
    parts = native_id.split("/")
    opened = []
    for part in parts:
        at = part.startswith("@" + SEALED_ID)
        value = _open_id(part[1:] if at else part, key)
        if value is None:
            return None
        opened.append("@" + value if at else value)
    return "/".join(opened)


def platform_ids(native_ids: Iterable[str], settings: Settings) -> list[str]:
    """Stored native ids as the platform knows them, for a refresh: sealed parts opened with the
    key; an id that cannot be opened (no key, or sealed under another) is left out."""
    native_ids = list(native_ids)
    if not any(SEALED_ID in native for native in native_ids):
        return native_ids
    key = link_key(settings)
    opened = [opened_native_id(native, key) if key else None for native in native_ids]
    return [native for native in opened if native is not None]


def _sealed_uid(uid: str | None, key: bytes) -> str | None:
    if not uid or ":" not in uid:
        return uid
    platform, native = uid.split(":", 1)
    return f"{platform}:{sealed_native_id(platform, native, key)}"


# -- links ---------------------------------------------------------------------------------

_REDDIT_THREAD = re.compile(r"/comments/([a-z0-9]+)(?:/|$)")


def id_only_link(platform: str, native_id: str, url: str | None) -> str | None:
    """The address of a post that names only the post, where the platform has one: X's
    /i/status/<id>, Reddit's /comments/<thread>/ (and /_/<comment>/). None elsewhere."""
    if platform == "x" and native_id.isdigit():
        return f"https://x.com/i/status/{native_id}"
    if platform == "reddit":
        if native_id.startswith("t3_"):
            return f"https://www.reddit.com/comments/{native_id[3:]}/"
        thread = _REDDIT_THREAD.search(url or "")
        if native_id.startswith("t1_") and thread:
            return f"https://www.reddit.com/comments/{thread.group(1)}/_/{native_id[3:]}/"
    return None


def stored_link(platform: str, native_id: str, url: str | None, key: bytes) -> str | None:
    """How the link of a pseudonymised author's post is stored: the id-only form, else sealed."""
    if not url:
        return url
    return id_only_link(platform, native_id, url) or SEALED_LINK + seal(url, key)


def open_link(url: str | None, key: bytes | None) -> str | None:
    """A stored link as one that opens the post: itself, or a sealed one opened with the key
    (None without the key, or when it was sealed under another)."""
    if not url or not url.startswith(SEALED_LINK):
        return url
    return unseal(url[len(SEALED_LINK):], key) if key else None


def link_key(settings: Settings) -> bytes | None:
    """The key that opens sealed links, or None when there is none (sealed links then stay shut)."""
    try:
        return settings.pseudonym_key()
    except PseudonymKeyMissing:
        return None


def open_links(urls: Iterable[str | None], settings: Settings) -> list[str | None]:
    """Each stored link as one that opens its post (see open_link), for a page that shows them."""
    urls = list(urls)
    key = link_key(settings) if any(u and u.startswith(SEALED_LINK) for u in urls) else None
    return [open_link(u, key) for u in urls]


def with_open_links(rows: list[dict], settings: Settings) -> list[dict]:
    """Rows (posts) with each `url` one that opens the post: for an evidence export, whose
    purpose is to report the post to the platform that holds it (and which is recorded)."""
    return [{**row, "url": url} for row, url in zip(rows, open_links([r.get("url") for r in rows], settings),
                                                     strict=True)]


# -- @-names in text -------------------------------------------------------------------------

def names_in(text: str, platform: str) -> list[str]:
    """The people a text names: its @-names (and on Reddit its u/names), as written, in order."""
    names = [m.group(1) for m in AT_NAME.finditer(text or "")]
    if platform == "reddit":
        names += [m.group(2) for m in REDDIT_NAME.finditer(text or "")]
    return list(dict.fromkeys(names))


# A name shorter than this is not looked for as a bare word: it would hide ordinary words.
BARE_NAME_MIN = 3


def masked(text: str, hidden: dict[str, str], platform: str) -> str:
    """`text` with the people in `hidden` (lower-case name -> pseudonym) replaced: their @-names
    (u/names on Reddit), and then any bare word that is one of their names (a post that names
    someone twice, or is signed by its author). A hashtag is a topic and stays."""
    if not text or not hidden:
        return text

    def alias(match: re.Match, group: int, before: str = "") -> str:
        name = match.group(group).lower()
        return before + hidden[name] if name in hidden else match.group(0)

    # Bare words first, passing over @-names and u/names, so no pseudonym put in is read again.
    bare = [re.escape(name) for name in sorted(hidden, key=len, reverse=True) if len(name) >= BARE_NAME_MIN]
    if bare:
        text = re.sub(rf"(?<![\w#@])(?<!u/)({'|'.join(bare)})(?![\w])", lambda m: alias(m, 1), text,
                      flags=re.IGNORECASE)
    text = AT_NAME.sub(lambda m: alias(m, 1, "@"), text)
    if platform == "reddit":
        text = REDDIT_NAME.sub(lambda m: alias(m, 2, m.group(1)), text)
    return text


# -- the step itself -----------------------------------------------------------------------

def pseudonymise(mentions: Iterable[Mention], settings: Settings) -> None:
    """With pseudonyms on, turn each mention into what may be stored (in place): its author a
    keyed pseudonym, the ids in its uids sealed, its link id-only or sealed, the @-names in its
    text pseudonyms, a Reddit user's own subreddit too.

    What was replaced stays on the mention in memory only (`clear`, `author_handle`, the names
    added to `mentioned`), so tracker matching reads the post as written and the store can leave
    readable the people a campaign tracks by name (`keep_readable`). A mention already done is
    known by its flag, never by how its values look: a real handle may start with "anon-".
    """
    if not settings.pseudonymize:
        return
    key = settings.pseudonym_key()
    for mention in mentions:
        if mention.pseudonymised:
            continue
        written = names_in(mention.text, mention.platform)
        names = {name.lower(): pseudonym(name, key) for name in written}
        author = mention.author_handle or mention.author_key
        if author:
            names.setdefault(author.lower(), pseudonym(author, key))
        audience = REDDIT_USER_SUB.match(mention.audience_key or "")
        if audience:
            names.setdefault(audience.group(1).lower(), pseudonym(audience.group(1), key))
        mention.clear = {"author_key": mention.author_key, "url": mention.url, "text": mention.text,
                         "audience_key": mention.audience_key, "names": names}
        mention.author_handle = mention.author_handle or mention.author_key
        mention.mentioned = list(dict.fromkeys([*mention.mentioned, *written]))
        if mention.author_key:
            mention.author_key = pseudonym(mention.author_key, key)
        mention.url = stored_link(mention.platform, mention.native_id, mention.url, key)
        mention.native_id = sealed_native_id(mention.platform, mention.native_id, key)
        mention.reposted_uid = _sealed_uid(mention.reposted_uid, key)
        mention.reply_to_uid = _sealed_uid(mention.reply_to_uid, key)
        mention.text = masked(mention.text, names, mention.platform)
        if audience:
            mention.audience_key = f"r/u_{names[audience.group(1).lower()]}"
        mention.pseudonymised = True


def is_readable(platform: str, handle: str | None, readable: set[tuple[str, str]]) -> bool:
    """Whether a handle is one the campaigns track by name: in `readable` as (platform, handle)
    or ("*", handle), lower case."""
    name = normalise_account((handle or "").strip())
    return bool(name) and ((platform, name) in readable or ("*", name) in readable)


def keep_readable(mentions: Iterable[Mention], readable: set[tuple[str, str]]) -> None:
    """Put back in clear what pseudonymise replaced for the people the campaigns track by name
    (protected accounts, consenting volunteers' own handles): their posts' author and link, and
    their @-names in any text. Their posts' uids stay sealed, so a post stays one row whether
    or not its author is tracked when it is seen again."""
    if not readable:
        return
    for mention in mentions:
        clear = mention.clear
        if not clear:
            continue
        if is_readable(mention.platform, mention.author_handle, readable) or is_readable(
                mention.platform, clear["author_key"], readable):
            mention.author_key, mention.url = clear["author_key"], clear["url"]
        hidden = {name: alias for name, alias in clear["names"].items()
                  if not is_readable(mention.platform, name, readable)}
        if len(hidden) < len(clear["names"]):
            mention.text = masked(clear["text"], hidden, mention.platform)
            audience = REDDIT_USER_SUB.match(clear["audience_key"] or "")
            if audience and audience.group(1).lower() not in hidden:
                mention.audience_key = clear["audience_key"]


# What in a free-text line (why a record could not be read) can name a person: an address, a
# DID, a status uri's account, an @-name.
_ADDRESS = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+|\bdid:[a-z0-9]+:[^\s/'\"]+|\S+/users/\S+|\S*/@\S+", re.I)


def withheld(line: str, key: bytes) -> str:
    """A line about a record with what could name its author taken out: addresses, DIDs and
    status uris withheld, @-names as their pseudonyms."""
    line = _ADDRESS.sub("<address withheld>", line)
    return AT_NAME.sub(lambda m: "@" + pseudonym(m.group(1), key), line)


def storable_line(line: str, settings: Settings) -> str:
    """A line about a record as it may be stored (a run's error): withheld with pseudonyms on."""
    return withheld(line, settings.pseudonym_key()) if settings.pseudonymize else line


def quarantine_rows(rows: list[dict], settings: Settings) -> list[dict]:
    """Records that could not be read, as they may be stored: with pseudonyms on, without the raw
    value (an excerpt of the record, handles and all), their reason and location withheld
    where they name someone, and their digest a hash."""
    if not settings.pseudonymize or not rows:
        return rows
    key = settings.pseudonym_key()
    return [{**row, "value": None, "reason": withheld(row["reason"], key),
             "location": withheld(row["location"], key),
             "digest": hmac.new(key, str(row["digest"]).encode(), hashlib.sha256).hexdigest()[:32]} for row in rows]


@dataclass(frozen=True)
class ProfileKeys:
    """How the profile cache stores a platform's author id and handle: as they are, or the id
    sealed as in the post uids and the handle as its pseudonym (so `forget` still finds it)."""

    author_id: Callable[[str], str]
    handle: Callable[[str | None], str | None]


def profile_keys(settings: Settings) -> ProfileKeys:
    """The profile cache's keys under these settings."""
    if not settings.pseudonymize:
        return ProfileKeys(author_id=lambda author_id: author_id, handle=lambda handle: handle)
    key = settings.pseudonym_key()
    return ProfileKeys(author_id=lambda author_id: _seal_id(author_id, key),
                       handle=lambda handle: pseudonym(handle, key) if handle else handle)


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
