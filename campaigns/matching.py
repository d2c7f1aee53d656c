"""Which campaigns a mention belongs to, and on which side: the tracker matching rules."""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache, partial
from typing import NamedTuple

from campaigns.model import SIDE_PRECEDENCE, Campaign, Mention

# A tag runs to the end of its word; one followed by an ellipsis was cut there by the platform
# ("#Br…" in a retweet's first 140 characters) and is not read. All digits is a number ("#1").
# Each pattern opens with its mark and looks behind it from there ("#" not after a word, "&" or
# "/"; "@" not after a word or "."): the same matches as looking behind first, found in a fifth
# to a third of the time, as a pattern that opens with a literal character is searched for it
# rather than tried at every position (bench texts: 6.3 µs a post to 1.4 for the hashtags).
HASHTAG_RE = re.compile(r"#(?<![\w&/]#)(\w+)(?![\w…])")
ACCOUNT_RE = re.compile(r"@(?<![\w.]@)([\w.]+)")
WORD_RE = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """Lower-case words; keyword matching compares runs of these, so it respects word boundaries."""
    return WORD_RE.findall(text.lower())


def hashtags_in(text: str) -> list[str]:
    """Hashtags in a text, lower case and without '#', in order of first appearance."""
    return list(dict.fromkeys(tag.lower() for tag in HASHTAG_RE.findall(text or "") if not tag.isdigit()))


def accounts_in(text: str) -> list[str]:
    """Accounts @-mentioned in a text, lower case and without '@' (a trailing dot dropped)."""
    return list(dict.fromkeys(name.lower().rstrip(".") for name in ACCOUNT_RE.findall(text or "")))


def normalise_account(handle: str) -> str:
    return handle.lower().lstrip("@").rstrip(".")


def _read(starts: re.Pattern | None, text: str, context: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple | None]:
    """What matching reads from a post's text and the text it reposts or quotes: the hashtags of
    both, the accounts the text @-mentions, and the words of both when `starts` (the first words
    of the phrases tracked) finds one of them there, else None: a word is a run of \\w, so the
    words hold a phrase's first word only where the lowered text holds it between non-words."""
    tags = (hashtags_in(text) if "#" in text else []) + (hashtags_in(context) if "#" in context else [])
    accounts = tuple(accounts_in(text)) if "@" in text else ()
    tokens = None
    if starts is not None:
        lowered = (text + "\n" + context if context else text).lower()
        if starts.search(lowered):
            tokens = tuple(WORD_RE.findall(lowered))   # words(), the text lowered once
    return tuple(tags), accounts, tokens


class Match(NamedTuple):
    """A mention's membership of one campaign: its side and the trackers it met."""

    campaign_id: int
    side: str
    tracker_ids: tuple[int, ...]


class Matcher:
    """Trackers of many campaigns compiled into lookups, so one mention is matched in one pass.

    Rules: hashtags match on the tag, case-insensitively; keywords and phrases match whole
    words in order, case-insensitively (punctuation between words does not matter); accounts
    match when the post @-mentions the account or is written by it; a campaign's exclusions
    drop the mention from that campaign; a campaign's platform list limits where it listens.
    """

    def __init__(self, campaigns: list[Campaign]):
        self.tags: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        self.accounts: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        self.phrases: dict[tuple[str, ...], list[tuple[int, int, str]]] = defaultdict(list)
        self.urls: list[tuple[str, int, int, str]] = []
        self.platforms: dict[int, frozenset[str]] = {}
        self.exclude_words: dict[int, list[tuple[str, ...]]] = {}
        self.exclude_tags: dict[int, set[str]] = {}
        self.demo_ids = frozenset(c.id for c in campaigns if c.is_demo)
        for campaign in campaigns:
            self.platforms[campaign.id] = frozenset(campaign.platforms)
            self.exclude_words[campaign.id] = [tuple(words(t)) for t in campaign.exclude
                                               if not t.startswith("#") and words(t)]
            self.exclude_tags[campaign.id] = {t[1:].lower() for t in campaign.exclude if t.startswith("#")}
            for tracker in campaign.trackers:
                entry = (campaign.id, tracker.id, tracker.side)
                if tracker.kind == "hashtag":
                    self.tags[tracker.value.lower()].append(entry)
                elif tracker.kind == "account":
                    self.accounts[normalise_account(tracker.value)].append(entry)
                elif tracker.kind == "url":
                    self.urls.append((tracker.value.lower(), *entry))
                else:
                    phrase = tuple(words(tracker.value))
                    if phrase:
                        self.phrases[phrase].append(entry)
        self.longest_phrase = max((len(p) for p in self.phrases), default=0)
        self.phrase_starts = {p[0] for p in self.phrases}
        # One search for any phrase's first word as a whole word, longest first; the words of a
        # text are read only where it finds one (most posts: none). Each word looks behind itself
        # for a word character (as HASHTAG_RE does), so the search opens with the words' letters
        # and skips to where one can start: half the time of looking behind first.
        self.starts_re = re.compile("(?:" + "|".join(
            f"{re.escape(w)}(?<!\\w{re.escape(w)})" for w in sorted(self.phrase_starts, key=len, reverse=True))
            + r")(?!\w)") if self.phrase_starts else None
        # Readings of texts seen before: a repost carries its original's text, and a post collected
        # again (its counts moved) its own. Kept per matcher, so the key is the two texts alone.
        self._read = lru_cache(maxsize=16_384)(partial(_read, self.starts_re))

    def match(self, mention: Mention) -> tuple[list[Match], list[str]]:
        """The campaigns this mention belongs to, and the hashtags it carries."""
        # The post as written: matching comes before pseudonyms, which only change what is stored.
        # Each pass below is skipped when the text cannot hold what it looks for (no '#', no
        # '@', no first word of a phrase): ingest matches every post, and most fail early.
        text = mention.written_text
        context = mention.context_text or ""
        text_tags, text_accounts, tokens = self._read(text, context)
        tags = [t.lower().lstrip("#") for t in mention.hashtags]
        if text_tags:
            tags += text_tags
        if len(tags) > 1:
            tags = list(dict.fromkeys(tags))
        hits: dict[int, list[tuple[int, str]]] = {}
        for tag in tags:
            for campaign_id, tracker_id, side in self.tags.get(tag, ()):
                hits.setdefault(campaign_id, []).append((tracker_id, side))
        if self.accounts:
            names = {normalise_account(n) for n in mention.mentioned}
            names.update(text_accounts)
            author = mention.author_handle or mention.author_key
            if author:
                names.add(normalise_account(author))
            for name in names:
                for campaign_id, tracker_id, side in self.accounts.get(name, ()):
                    hits.setdefault(campaign_id, []).append((tracker_id, side))
        if tokens:
            starts = self.phrase_starts
            if not starts.isdisjoint(tokens):
                longest = self.longest_phrase
                phrases = self.phrases
                for i, token in enumerate(tokens):
                    if token not in starts:
                        continue
                    for n in range(1, longest + 1):
                        found = phrases.get(tuple(tokens[i:i + n]))
                        if found:
                            for campaign_id, tracker_id, side in found:
                                hits.setdefault(campaign_id, []).append((tracker_id, side))
        if self.urls:
            lowered = (text + " " + (mention.written_url or "")).lower()
            for url, campaign_id, tracker_id, side in self.urls:
                if url in lowered:
                    hits.setdefault(campaign_id, []).append((tracker_id, side))
        matches = []
        for campaign_id, found in hits.items():
            platforms = self.platforms.get(campaign_id)
            if platforms and mention.platform not in platforms:
                continue
            if (self.exclude_tags.get(campaign_id) or self.exclude_words.get(campaign_id)) and \
                    self._excluded(campaign_id, tags, tokens, text, context):
                continue
            if len(found) == 1:
                tracker_id, side = found[0]
                matches.append(Match(campaign_id, side, (tracker_id,)))
                continue
            sides = {side for _, side in found}
            side = next(s for s in SIDE_PRECEDENCE if s in sides)
            tracker_ids = tuple(sorted({tracker_id for tracker_id, _ in found}))
            matches.append(Match(campaign_id, side, tracker_ids))
        return matches, tags

    def allows(self, campaign_id: int, mention: Mention, tags: list[str]) -> bool:
        """Whether a campaign listens on this post's platform and does not exclude it."""
        platforms = self.platforms.get(campaign_id)
        if platforms and mention.platform not in platforms:
            return False
        return not self._excluded(campaign_id, tags, None, mention.text or "", mention.context_text or "")

    def _excluded(self, campaign_id, tags, tokens, text, context) -> bool:
        if self.exclude_tags.get(campaign_id, set()).intersection(tags):
            return True
        phrases = self.exclude_words.get(campaign_id)
        if not phrases:
            return False
        if tokens is None:
            tokens = words(text + "\n" + context if context else text)
        for phrase in phrases:
            n = len(phrase)
            for i in range(len(tokens) - n + 1):
                if tuple(tokens[i:i + n]) == phrase:
                    return True
        return False
