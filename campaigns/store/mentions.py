"""Mentions: idempotent upserts that match campaigns and move the hourly roll-up, rematch, lookups."""

from __future__ import annotations

import re
import sqlite3
import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from operator import add

from campaigns.clock import now_iso
from campaigns.corrections import effective_abuse, effective_sentiment
from campaigns.errors import StoreError
from campaigns.matching import Match, Matcher, normalise_account
from campaigns.metrics import NEGATIVE_AT, POSITIVE_AT, ROLLUP_SUMS, is_offensive, sentiment_class
from campaigns.model import Mention
from campaigns.privacy import is_forgotten, keep_readable
from campaigns.safety import ProtectedAccounts
from campaigns.targeting import aimed_at, author_of, context_score

# Posts a bulk load (an import) writes in one transaction. A transaction writes each index page
# it touched once, at commit, and a batch of posts touches pages across a dozen indexes: at 5,000
# a post costs the commit about a fifth of what it does at 1,000 (bench/ingest.py).
BULK_BATCH = 5000
MENTION_COLUMNS = (
    "uid", "platform", "native_id", "url", "created_at", "collected_at", "author_key",
    "author_followers", "audience_key", "audience_size", "text", "lang", "is_repost",
    "reposted_uid", "reply_to_uid", "likes", "reposts", "replies", "quotes", "impressions",
    "engagement", "sentiment", "abuse", "raw_ref", "is_demo",
)
# Counts and scores take the newest value a platform reports; a NULL (not reported this time)
# keeps what was stored. What a purge or a forget removed stays removed when a post is seen again.
_UPSERT_MENTION = (
    f"INSERT INTO mentions ({', '.join(MENTION_COLUMNS)}) VALUES ({', '.join('?' * len(MENTION_COLUMNS))}) "
    "ON CONFLICT(uid) DO UPDATE SET collected_at = excluded.collected_at, "
    + ", ".join(
        f"{c} = CASE WHEN purged_at IS NULL THEN coalesce(excluded.{c}, {c}) END"
        for c in ("url", "author_key", "text", "raw_ref")
    )
    + ", "
    + ", ".join(
        f"{c} = coalesce(excluded.{c}, {c})"
        for c in ("author_followers", "audience_key", "audience_size",
                  "lang", "reposted_uid", "reply_to_uid", "likes", "reposts", "replies", "quotes",
                  "impressions", "sentiment", "abuse")
    )
    + ", engagement = excluded.engagement"
)
# A match carries its post's language and the rowid its words are indexed under (0015_match_search):
# an original post's own, a repost's original's once that is stored (else NULL until it is,
# _POINT_REPOSTS_AT_NEW_ORIGINALS). Both are read from the post's row as the batch just stored it,
# in the statement that inserts the matches, the rows taken in the order given (CROSS JOIN).
_INSERT_MATCH = (
    "INSERT INTO mention_matches (mention_uid, campaign_id, side, platform, created_at, author_key, reach_key,"
    " reach_value, is_repost, engagement, sentiment, abuse, lang, text_rowid)"
    " SELECT v.*, m.lang, CASE WHEN m.is_repost = 0 THEN m.rowid"
    " ELSE (SELECT o.rowid FROM mentions o WHERE o.uid = m.reposted_uid AND o.is_repost = 0) END"
    " FROM (VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)) v CROSS JOIN mentions m ON m.uid = v.column1"
)
_UPDATE_MATCH = (
    "UPDATE mention_matches SET engagement = ?, reach_value = coalesce(?, reach_value), "
    "sentiment = ?, abuse = ? WHERE mention_uid = ? AND campaign_id = ?"
)
_INSERT_TRACKERS = ("INSERT OR IGNORE INTO mention_trackers (tracker_id, mention_uid, campaign_id, created_at)"
                    " VALUES (?, ?, ?, ?)")
_INSERT_HASHTAGS = ("INSERT OR IGNORE INTO mention_hashtags (mention_uid, campaign_id, tag, created_at)"
                    " VALUES (?, ?, ?, ?)")
_INSERT_TARGETS = ("INSERT OR IGNORE INTO protected_mentions (mention_uid, campaign_id, tracker_id, via, created_at)"
                   " VALUES (?, ?, ?, ?, ?)")
# What a batch stored new, found by rowid: a new row's rowid is above every rowid there was when
# the batch's write transaction began (0017_index_by_batch). Original posts with words of their own
# go into the full-text index (a repost is found through its original), and the matches of
# reposts stored before their original take the original's rowid to be searched by (the new
# originals first: CROSS JOIN keeps SQLite from walking every repost stored).
_INDEX_NEW_TEXTS = (
    "INSERT INTO mentions_fts (rowid, text) SELECT rowid, text FROM mentions"
    " WHERE rowid > ? AND text IS NOT NULL AND is_repost = 0"
)
_POINT_REPOSTS_AT_NEW_ORIGINALS = (
    "UPDATE mention_matches SET text_rowid = (SELECT o.rowid FROM mentions r JOIN mentions o ON o.uid = r.reposted_uid"
    " WHERE r.uid = mention_matches.mention_uid)"
    " WHERE mention_uid IN (SELECT r.uid FROM mentions o CROSS JOIN mentions r ON r.reposted_uid = o.uid"
    " AND r.is_repost = 1 WHERE o.rowid > ? AND o.is_repost = 0)"
)
_HOURLY_COLUMNS = ROLLUP_SUMS
_UPSERT_HOURLY = (
    f"INSERT INTO hourly (campaign_id, hour, platform, side, {', '.join(_HOURLY_COLUMNS)}) "
    f"VALUES (?, ?, ?, ?, {', '.join('?' * len(_HOURLY_COLUMNS))}) "
    "ON CONFLICT(campaign_id, hour, platform, side) DO UPDATE SET "
    + ", ".join(f"{c} = {c} + excluded.{c}" for c in _HOURLY_COLUMNS)
)


def upsert_hourly(conn, rows) -> None:
    """Add (campaign_id, hour, platform, side, *ROLLUP_SUMS) rows to the roll-up."""
    values = [value for row in rows for value in row]
    for sql, params in many_rows(_UPSERT_HOURLY, values, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)):
        conn.execute(sql, params)


_VALUES = re.compile(r"VALUES \((\?(?:, \?)*)\)")


def many_rows(sql: str, values: list, variables: int) -> list[tuple[str, list]]:
    """`executemany(sql, rows)` for a statement of one `VALUES (?, ...)`, given the rows' values
    one after another (`values`), as statements of as many rows as `variables` (the connection's
    limit of them) allows, `VALUES (...), (...), ...`: the same rows in the same order, each
    inserted, upserted or ignored as it comes, so the same database. A statement opens its cursors
    on the table and its indexes once rather than once a row (the mentions' upsert: half the
    CPU), and runs in one call that lets go of Python's lock."""
    if not values:
        return []
    placeholders = _VALUES.search(sql)
    width = placeholders[1].count("?")
    one = f"({placeholders[1]})"
    step = max(1, variables // width) * width
    head, tail = sql[:placeholders.start()], sql[placeholders.end():]
    statements = []
    for start in range(0, len(values), step):
        chunk = values[start:start + step]
        statements.append((f"{head}VALUES {', '.join([one] * (len(chunk) // width))}{tail}", chunk))
    return statements


@dataclass
class _Writes:
    """What one batch writes (MentionVerbs._planned): its statements in the order they run, each
    (sql, parameters, whether they are rows for executemany), and the cursor saved with them."""

    statements: list[tuple[str, list, bool]]
    index_texts: bool              # whether the batch's new texts go into the full-text index
    cursor: tuple[str, str, dict] | None


# The tone histogram's slices of -1..1 (store.reads.sentiment_histogram) and the roll-up's
# column per (class, slice) a score can fall in, as migration 0013_tone_slots made them.
TONE_SLOTS = 20
TONE_SLOT_WIDTH = 2.0 / TONE_SLOTS
TONE_SLOT_COLUMNS = (tuple(f"negative_{k:02d}" for k in range(0, 10)) + ("neutral_09", "neutral_10")
                     + tuple(f"positive_{k:02d}" for k in range(10, 20)))
_TONE_SLOT_POSITION = {name: i for i, name in enumerate(TONE_SLOT_COLUMNS)}
_UPSERT_TONE = (
    f"INSERT INTO tone_slots (campaign_id, hour, platform, side, {', '.join(TONE_SLOT_COLUMNS)}) "
    f"VALUES (?, ?, ?, ?, {', '.join('?' * len(TONE_SLOT_COLUMNS))}) "
    "ON CONFLICT(campaign_id, hour, platform, side) DO UPDATE SET "
    + ", ".join(f"{c} = {c} + excluded.{c}" for c in TONE_SLOT_COLUMNS)
)


def _earlier(column: str) -> str:
    return f"{column} = CASE WHEN {column} IS NULL OR excluded.{column} < {column} THEN excluded.{column} ELSE {column} END"


def _later(column: str) -> str:
    return f"{column} = CASE WHEN {column} IS NULL OR excluded.{column} > {column} THEN excluded.{column} ELSE {column} END"


# One row per campaign, key and side: when the key was first and last seen as an author and as
# an audience of known size, that audience's largest size and the latest instant of it, and how
# many of those posts were by the audience's owner. An audience of unknown size adds nothing to
# potential reach, so its posts are not in the span.
_UPSERT_SPAN = (
    "INSERT INTO spans (campaign_id, key, side, author_first, author_last, audience_first, audience_last,"
    " max_value, max_at, own_posts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (campaign_id, key, side) DO UPDATE SET "
    + ", ".join([_earlier("author_first"), _later("author_last"), _earlier("audience_first"), _later("audience_last")])
    + ", max_value = CASE WHEN excluded.max_value IS NULL THEN max_value"
    " WHEN max_value IS NULL OR excluded.max_value > max_value THEN excluded.max_value ELSE max_value END,"
    " max_at = CASE WHEN excluded.max_value IS NULL THEN max_at"
    " WHEN max_value IS NULL OR excluded.max_value > max_value THEN excluded.max_at"
    " WHEN excluded.max_value = max_value THEN max(max_at, excluded.max_at) ELSE max_at END,"
    " own_posts = own_posts + excluded.own_posts"
)
_UPSERT_HASHTAG_DAY = (
    "INSERT INTO hashtag_days (campaign_id, day, tag, platform, side, posts) VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (campaign_id, day, tag, platform, side) DO UPDATE SET posts = posts + excluded.posts"
)


def tone_slot_column(sentiment: float | None) -> str | None:
    """The tone roll-up column a score counts in: its class and its slice of -1..1, cut as
    SQLite cuts it in the histogram (min(CAST((score + 1.0) / width AS INTEGER), slots - 1))."""
    if sentiment is None:
        return None
    slot = min(int((sentiment + 1.0) / TONE_SLOT_WIDTH), TONE_SLOTS - 1)
    cls = "negative" if sentiment <= NEGATIVE_AT else "positive" if sentiment >= POSITIVE_AT else "neutral"
    name = f"{cls}_{slot:02d}"
    return name if name in _TONE_SLOT_POSITION else None


class _NewMatches:
    """What a batch's new matches add to the tone slots, the spans and the hashtag days, summed
    per row of each."""

    def __init__(self):
        self.tone: dict[tuple, list[int]] = {}
        self.spans: dict[tuple, list] = {}
        self.hashtag_days: dict[tuple, int] = {}

    def add_tags(self, campaign_id: int, created_at: str, platform: str, side: str, tags) -> None:
        day = created_at[:10] + "T00:00:00Z"
        for tag in tags:
            key = (campaign_id, day, tag, platform, side)
            self.hashtag_days[key] = self.hashtag_days.get(key, 0) + 1

    def add(self, campaign_id: int, hour: str, platform: str, side: str, created_at: str, author_key,
            reach_key, reach_value, sentiment) -> None:
        column = tone_slot_column(sentiment)
        if column is not None:
            key = (campaign_id, hour, platform, side)
            counts = self.tone.get(key)
            if counts is None:
                counts = self.tone[key] = [0] * len(TONE_SLOT_COLUMNS)
            counts[_TONE_SLOT_POSITION[column]] += 1
        if author_key is not None:
            span = self._span(campaign_id, author_key, side)
            if span[0] is None or created_at < span[0]:
                span[0] = created_at
            if span[1] is None or created_at > span[1]:
                span[1] = created_at
        if reach_key is not None and reach_value is not None:
            span = self._span(campaign_id, reach_key, side)
            if span[2] is None or created_at < span[2]:
                span[2] = created_at
            if span[3] is None or created_at > span[3]:
                span[3] = created_at
            if span[4] is None or reach_value > span[4]:
                span[4], span[5] = reach_value, created_at
            elif reach_value == span[4] and created_at > span[5]:
                span[5] = created_at
            if author_key == reach_key:
                span[6] += 1

    def _span(self, *key) -> list:
        span = self.spans.get(key)
        if span is None:
            span = self.spans[key] = [None, None, None, None, None, None, 0]
        return span

    def values(self) -> list[tuple[str, list]]:
        """(statement, its rows' values one after another) of what the batch's new matches add."""
        tone: list = []
        spans: list = []
        days: list = []
        for key, counts in self.tone.items():
            tone.extend(key)
            tone.extend(counts)
        for key, span in self.spans.items():
            spans.extend(key)
            spans.extend(span)
        for key, posts in self.hashtag_days.items():
            days.extend(key)
            days.append(posts)
        return [(_UPSERT_TONE, tone), (_UPSERT_SPAN, spans), (_UPSERT_HASHTAG_DAY, days)]


# How long the writing thread of upsert_batches waits for Python's lock after each statement
# before asking for it: the planning thread runs Python without a pause, and at the default 5 ms
# each of a batch's dozen statements waited that long.
WRITER_SWITCH_SECONDS = 0.001
_switch_lock = threading.Lock()
_writers = 0
_switch_before = 0.0


@contextmanager
def _quick_switches() -> Iterator[None]:
    """Python's switch interval at WRITER_SWITCH_SECONDS while any writing thread runs, then as it was."""
    global _writers, _switch_before
    with _switch_lock:
        if _writers == 0:
            _switch_before = sys.getswitchinterval()
            sys.setswitchinterval(min(WRITER_SWITCH_SECONDS, _switch_before))
        _writers += 1
    try:
        yield
    finally:
        with _switch_lock:
            _writers -= 1
            if _writers == 0:
                sys.setswitchinterval(_switch_before)


def hour_of(created_at: str) -> str:
    """The roll-up bucket of a stored instant: '2026-03-01T14:27:03Z' -> '2026-03-01T14:00:00Z'."""
    return created_at[:13] + ":00:00Z"


@dataclass
class UpsertResult:
    """What one batch did: rows new to the store, rows seen again, campaign memberships added."""

    received: int = 0
    new: int = 0
    updated: int = 0
    matched: int = 0
    unmatched: int = 0
    forgotten: int = 0       # left out: their author asked to be forgotten

    def add(self, other: UpsertResult) -> UpsertResult:
        for name in ("received", "new", "updated", "matched", "unmatched", "forgotten"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


def contribution(is_new_match: bool, is_repost: bool, engagement: int | None, sentiment, abuse, impressions,
                 threshold: float) -> list:
    """What one matched post adds to its roll-up hour, in ROLLUP_SUMS order; only a new match
    adds to the counts, and `abuse` counts as offensive at the campaign's `threshold`."""
    cls = sentiment_class(sentiment)
    return [
        1 if is_new_match else 0,
        1 if (is_new_match and is_repost) else 0,
        engagement or 0,
        sentiment or 0.0,
        0 if sentiment is None else 1,
        1 if cls == "positive" else 0,
        1 if cls == "negative" else 0,
        1 if cls == "neutral" else 0,
        1 if is_offensive(abuse, threshold) else 0,
        impressions or 0,
        0 if impressions is None else 1,
        0 if engagement is None else 1,
    ]


def _known(new, stored):
    return stored if new is None else new


class MentionVerbs:
    """Verbs on mentions, their matches, trackers and hashtags, and the roll-up (mixed into Store)."""

    def matcher(self) -> Matcher:
        """The compiled trackers of every campaign that is listening (all but archived ones).

        Rebuilt when any campaign or tracker changed, also from another process.
        """
        version = tuple(self.conn.execute(
            "SELECT (SELECT count(*) || max(updated_at) FROM campaigns),"
            " (SELECT count(*) || '/' || coalesce(max(id), 0) FROM trackers)"
        ).fetchone())
        if self._matcher is None or version != self._matcher_version:
            listening = self.campaigns(include_archived=False)
            self._matcher = Matcher(listening)
            self._protected = ProtectedAccounts.of(listening)
            self._matcher_version = version
        return self._matcher

    def protected_accounts(self) -> ProtectedAccounts:
        """The listening campaigns' protected accounts and offensive-language thresholds."""
        self.matcher()
        return self._protected

    def upsert_mentions(
        self,
        mentions: Iterable[Mention],
        *,
        campaign_ids: Iterable[int] | None = None,
        cursor: tuple[str, str, dict] | None = None,
        is_demo: bool = False,
    ) -> UpsertResult:
        """Store a batch of enriched mentions in one transaction, matched to campaigns.

        A mention already stored is one row with the newer counts, and the roll-up moves by the
        difference, so a batch stored twice leaves every number as it was. `campaign_ids` limits
        matching to those campaigns (an import for one campaign). Demo mentions (`is_demo`)
        match demo campaigns only; all others match real campaigns only. `cursor`, as (collector,
        scope, values), is saved in the same transaction, so a crash never leaves a cursor
        ahead of the mentions it stands for.

        Each match holds what its campaign counts: the offensive-language score in context
        (campaigns.targeting), and the tone and verdict a person corrected, which storing the
        post again never undoes. A post aimed at a protected account (a reply to one of its
        posts, an @-mention, a link to one of its posts) is recorded in protected_mentions, and
        belongs to the campaign even when no tracker met it.
        """
        result, writes = self._planned(mentions, campaign_ids=campaign_ids, cursor=cursor, is_demo=is_demo)
        if writes is not None:
            self._write(writes, self.conn)
        return result

    def upsert_batches(self, batches: Iterable[list[Mention]], *, campaign_ids: Iterable[int] | None = None,
                       on_batch: Callable[[UpsertResult], None] | None = None) -> UpsertResult:
        """Store batches in order, each as `upsert_mentions` stores it (one transaction a batch),
        with each batch's writes on a connection and in a thread of their own while this one
        takes the next batch from `batches` and works out its rows: SQLite lets go of Python's
        lock while it writes, so an import reads, scores and matches one batch while the one
        before is written. `batches` must not write to this store.

        A batch is planned from what is committed. While the batch before is being written, that
        is what was there before it, which is what the batch would have read after it unless the
        two share a post or the later one replies to a post of the earlier; then the write is
        waited for first. So the database and the results are those of storing the batches one
        by one. `on_batch` hears of each batch once it is committed; when a write fails, the
        batches before it stay stored, no later one is written, and its error is raised.
        """
        totals = UpsertResult()

        def committed(result: UpsertResult) -> None:
            totals.add(result)
            if on_batch:
                on_batch(result)

        writer_conn = self._writer_connection()
        if writer_conn is None:
            # No second connection (an in-memory database, or this one mid-transaction): one
            # batch after another.
            for batch in batches:
                committed(self.upsert_mentions(batch, campaign_ids=campaign_ids))
            return totals
        writing: tuple[Future, UpsertResult, set[str]] | None = None

        def written() -> None:
            nonlocal writing
            if writing is not None:
                future, result, _ = writing
                writing = None
                future.result()
                committed(result)

        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="groundswell-write")
        try:
            with _quick_switches():
                for batch in batches:
                    uids = {m.uid for m in batch}
                    if writing is not None and not writing[2].isdisjoint(
                            uids.union(m.reply_to_uid for m in batch if m.reply_to_uid)):
                        written()
                    result, writes = self._planned(batch, campaign_ids=campaign_ids)
                    written()
                    if writes is None:
                        committed(result)
                        continue
                    writing = (writer.submit(self._write, writes, writer_conn), result, uids)
                written()
        finally:
            # A write under way ends (committed or rolled back) before anything goes up.
            writer.shutdown(wait=True)
            writer_conn.close()
        return totals

    def _planned(self, mentions: Iterable[Mention], *, campaign_ids: Iterable[int] | None = None,
                 cursor: tuple[str, str, dict] | None = None,
                 is_demo: bool = False) -> tuple[UpsertResult, _Writes | None]:
        """What storing a batch would do (the result) and the rows it writes (None: nothing to
        write), from what the store holds now: `upsert_mentions`' reads and rules, no write."""
        batch: dict[str, Mention] = {}
        for mention in mentions:
            seen = batch.get(mention.uid)
            batch[mention.uid] = mention if seen is None else seen.updated_with(mention)
        result = UpsertResult(received=len(batch))
        if any(m.clear for m in batch.values()):
            keep_readable(batch.values(), self.readable_handles())
        forgotten = self.forgotten_digests()
        if forgotten:
            # People who asked to be forgotten are not stored again, whatever route their posts take.
            for uid in [uid for uid, m in batch.items() if is_forgotten(m, forgotten)]:
                del batch[uid]
                result.forgotten += 1
        if not batch and cursor is None:
            return result, None
        conn = self.conn
        matcher = self.matcher()
        protected = self._protected
        only = set(campaign_ids) if campaign_ids is not None else None
        uids = list(batch)
        old_rows = {}
        old_matches: dict[str, dict[int, tuple]] = defaultdict(dict)
        old_aimed: set[tuple[str, int]] = set()
        replied: dict[str, set[int]] = defaultdict(set)
        for chunk in _chunks(uids, 500):
            marks = ", ".join("?" * len(chunk))
            for row in conn.execute(
                f"SELECT uid, engagement, sentiment, abuse, impressions, author_followers, audience_size, "
                f"likes, reposts, replies, quotes, text FROM mentions WHERE uid IN ({marks})", chunk,
            ):
                old_rows[row[0]] = row
            for row in conn.execute(
                f"SELECT mention_uid, campaign_id, side, reach_value, engagement, sentiment, abuse, tone_fix, verdict "
                f"FROM mention_matches WHERE mention_uid IN ({marks})", chunk,
            ):
                old_matches[row[0]][row[1]] = row
            if protected.handles:
                old_aimed.update(conn.execute(
                    f"SELECT mention_uid, campaign_id FROM protected_mentions WHERE via != 'own' "
                    f"AND mention_uid IN ({marks})", chunk).fetchall())
        parents = list({m.reply_to_uid for m in batch.values() if m.reply_to_uid})
        if protected.handles and parents:
            for chunk in _chunks(parents, 500):
                for parent, tracker_id in conn.execute(
                    f"SELECT mention_uid, tracker_id FROM protected_mentions WHERE via = 'own' "
                    f"AND mention_uid IN ({', '.join('?' * len(chunk))})", chunk,
                ):
                    replied[parent].add(tracker_id)
            # A reply and the account's own post it answers can arrive in one batch.
            for m in batch.values():
                for tracker_id in protected.handles.get(author_of(m.author_handle or m.author_key) or "", ()):
                    replied[m.uid].add(tracker_id)
        collected_at = now_iso()
        # Each table's rows, their values one after another (many_rows), and the seen-again
        # matches' updates as rows.
        mention_values, match_values, tracker_values, tag_values, target_values = [], [], [], [], []
        match_updates = []
        hourly: dict[tuple, list] = {}
        # A match changed later moves the tone slots and spans by trigger (0013_tone_slots), and its
        # hashtags' days (0014_hashtag_days).
        new_matches = _NewMatches()

        def bump(key, values):
            totals = hourly.get(key)
            hourly[key] = values if totals is None else list(map(add, totals, values))

        demo_ids = matcher.demo_ids
        handles = protected.handles
        campaign_of = protected.campaign_of
        no_trackers: frozenset[int] = frozenset()
        # The loop below runs once a post at ingest: what it reads often is bound to a local name.
        add_mention, add_match, add_tracker, add_tag = (mention_values.extend, match_values.extend,
                                                        tracker_values.extend, tag_values.extend)
        for uid, m in batch.items():
            old = old_rows.get(uid)
            if old is not None and None in (m.likes, m.reposts, m.replies, m.quotes):
                # A count not reported this time keeps the one stored, and engagement is the
                # sum of what is known after the update, in the row and in the roll-up.
                m = replace(m, likes=_known(m.likes, old[7]), reposts=_known(m.reposts, old[8]),
                            replies=_known(m.replies, old[9]), quotes=_known(m.quotes, old[10]))
            engagement = m.engagement
            platform, created_at, is_repost = m.platform, m.created_at, m.is_repost
            add_mention((
                uid, platform, str(m.native_id), m.url, created_at, collected_at, m.author_key,
                m.author_followers, m.audience_key, m.audience_size, m.text, m.lang,
                1 if is_repost else 0, m.reposted_uid, m.reply_to_uid, m.likes, m.reposts,
                m.replies, m.quotes, m.impressions, engagement, m.sentiment, m.abuse, m.raw_ref,
                1 if is_demo else 0,
            ))
            if old is None:
                result.new += 1
            else:
                result.updated += 1
            found, tags = matcher.match(m)
            # Demo posts belong to demo campaigns only, and real posts never to a demo campaign,
            # so nothing collected is ever shown under a "demo data" label, or the reverse.
            found = [f for f in found if (f.campaign_id in demo_ids) == is_demo
                     and (only is None or f.campaign_id in only)]
            # The text the rules read: this time's, else the stored one (none once purged).
            text = m.text or (old[11] if old else None) or ""
            aimed: dict[int, dict[int, str]] = {}
            own: dict[int, list[int]] = {}
            if handles:
                author = author_of(m.author_handle or m.author_key)
                for tracker_id, via in aimed_at(text, m.mentioned, is_repost, author, handles,
                                                replied.get(m.reply_to_uid, no_trackers)).items():
                    aimed.setdefault(campaign_of[tracker_id], {})[tracker_id] = via
                for tracker_id in handles.get(author or "", ()):
                    own.setdefault(campaign_of[tracker_id], []).append(tracker_id)
                if aimed:
                    matched = {f.campaign_id for f in found}
                    for campaign_id, targets in aimed.items():
                        if campaign_id not in matched and (campaign_id in demo_ids) == is_demo and \
                                (only is None or campaign_id in only) and matcher.allows(campaign_id, m, tags):
                            found.append(Match(campaign_id, "protect", tuple(sorted(targets))))
            previous_matches = old_matches.get(uid)
            if not found:
                if not previous_matches:
                    result.unmatched += 1
                continue
            reach_key = m.audience_key or m.author_key
            reach_value = m.audience_size if m.audience_key else m.author_followers
            hour = hour_of(created_at)
            sentiment = m.sentiment if m.sentiment is not None else (old[2] if old else None)
            abuse = m.abuse if m.abuse is not None else (old[3] if old else None)
            impressions = m.impressions if m.impressions is not None else (old[4] if old else None)
            for match in found:
                campaign_id = match.campaign_id
                previous = previous_matches.get(campaign_id) if previous_matches else None
                threshold = protected.threshold(campaign_id)
                for tracker_id in match.tracker_ids:
                    add_tracker((tracker_id, uid, campaign_id, created_at))
                targets = aimed.get(campaign_id)
                if targets:
                    for tracker_id, via in targets.items():
                        target_values.extend((uid, campaign_id, tracker_id, via, created_at))
                for tracker_id in own.get(campaign_id, ()):
                    target_values.extend((uid, campaign_id, tracker_id, "own", created_at))
                side = previous[2] if previous else match.side
                is_aimed = bool(targets) or (uid, campaign_id) in old_aimed
                tone_fix, verdict = (previous[7], previous[8]) if previous else (None, None)
                counted_sentiment = effective_sentiment(sentiment, tone_fix)
                if text or previous is None:
                    in_context = context_score(abuse, text, aimed=is_aimed, our_side=side == "ours")
                else:
                    # A purged post's text is gone: its score in context stays what it was.
                    in_context = previous[6]
                counted_abuse = effective_abuse(in_context, verdict)
                if previous is None:
                    result.matched += 1
                    add_match((
                        uid, campaign_id, match.side, platform, created_at, m.author_key,
                        reach_key, reach_value, 1 if is_repost else 0, engagement, counted_sentiment,
                        counted_abuse,
                    ))
                    for tag in tags:
                        add_tag((uid, campaign_id, tag, created_at))
                    new_matches.add_tags(campaign_id, created_at, platform, match.side, tags)
                    bump((campaign_id, hour, platform, match.side),
                         contribution(True, is_repost, engagement, counted_sentiment, counted_abuse, impressions,
                                      threshold))
                    new_matches.add(campaign_id, hour, platform, match.side, created_at, m.author_key,
                                    reach_key, reach_value, counted_sentiment)
                else:
                    # Seen again: move the roll-up by what changed, on the side it was counted,
                    # from what the match counted before.
                    before = contribution(False, is_repost, old[1], previous[5], previous[6], old[4], threshold)
                    after = contribution(False, is_repost, engagement, counted_sentiment, counted_abuse,
                                         impressions, threshold)
                    delta = [a - b for a, b in zip(after, before, strict=True)]
                    if any(delta):
                        bump((campaign_id, hour, platform, side), delta)
                    match_updates.append((engagement, reach_value, counted_sentiment, counted_abuse, uid,
                                          campaign_id))
        # Each statement's parameters are laid out here, so the writing thread only runs them.
        variables = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        statements: list[tuple[str, list, bool]] = []
        hourly_values: list = []
        for key, sums in hourly.items():
            hourly_values.extend(key)
            hourly_values.extend(sums)
        for sql, values in ((_UPSERT_MENTION, mention_values), (_INSERT_MATCH, match_values),
                            (_UPDATE_MATCH, match_updates), (_INSERT_TRACKERS, tracker_values),
                            (_INSERT_HASHTAGS, tag_values), (_INSERT_TARGETS, target_values),
                            (_UPSERT_HOURLY, hourly_values), *new_matches.values()):
            if sql is _UPDATE_MATCH:
                # The matches seen again: one row each, by executemany (few, and each its own key).
                statements.append((sql, values, True))
            else:
                statements += [(text, params, False) for text, params in many_rows(sql, values, variables)]
        if self._search_index is None:
            self._search_index = self.table_exists("mentions_fts")
        return result, _Writes(statements, self._search_index, cursor)

    def _write(self, w: _Writes, conn: sqlite3.Connection) -> None:
        """Write a planned batch in one transaction on `conn`."""
        try:
            with conn:
                # The write lock from the start, so no other writer's rows fall above `before`.
                if not conn.in_transaction:
                    conn.execute("BEGIN IMMEDIATE")
                (before,) = conn.execute("SELECT coalesce(max(rowid), 0) FROM mentions").fetchone()
                for sql, params, many in w.statements:
                    if many:
                        conn.executemany(sql, params)
                    else:
                        conn.execute(sql, params)
                conn.execute(_POINT_REPOSTS_AT_NEW_ORIGINALS, [before])
                if w.index_texts:
                    # Last, so the index's pending words are written once, at commit.
                    conn.execute(_INDEX_NEW_TEXTS, [before])
                if w.cursor is not None:
                    self._save_cursor(*w.cursor, conn=conn)
        except sqlite3.OperationalError as error:
            raise StoreError(f"cannot write to database {self.path}: {error}") from None

    def readable_handles(self) -> set[tuple[str, str]]:
        """(platform or "*", lower-case handle) of the people campaigns track by name, whose
        handles stay readable with pseudonyms on: protected accounts, and volunteers who
        consented, on the platform of each of their handles."""
        protected = {("*", normalise_account(value.strip())) for (value,) in self.conn.execute(
            "SELECT value FROM trackers WHERE kind = 'account' AND side = 'protect'")}
        volunteers = {(platform, normalise_account(handle.strip())) for platform, handle in self.conn.execute(
            "SELECT h.platform, h.handle FROM volunteer_handles h JOIN volunteers v ON v.id = h.volunteer_id"
            " WHERE v.consent_at IS NOT NULL")}
        return protected | volunteers

    def rematch(self, slug: str, *, batch_size: int = 500,
                on_batch: Callable[[int], None] | None = None) -> UpsertResult:
        """Match the posts already stored against one campaign, e.g. one defined after them.

        Goes through upsert_mentions, so the roll-up stays exact and running it twice adds
        nothing. It only adds memberships: a tracker removed since keeps what it matched.
        A repost is matched through the text of its stored original. Hashtags a platform
        reported that its text does not show are kept only for posts some campaign matched, so
        a post no campaign wanted is matched on its text alone.
        """
        campaign = self.campaign(slug)
        conn = self.conn
        total = UpsertResult()
        after = ""
        while True:
            rows = conn.execute(
                "SELECT m.uid, m.platform, m.native_id, m.created_at, m.text, m.url, m.author_key,"
                " m.author_followers, m.audience_key, m.audience_size, m.lang, m.is_repost, m.reposted_uid,"
                " m.reply_to_uid, m.likes, m.reposts, m.replies, m.quotes, m.impressions, m.sentiment,"
                " m.abuse, m.raw_ref, o.text"
                " FROM mentions m LEFT JOIN mentions o ON o.uid = m.reposted_uid"
                " WHERE m.uid > ? AND m.is_demo = ? ORDER BY m.uid LIMIT ?",
                [after, int(campaign.is_demo), batch_size],
            ).fetchall()
            if not rows:
                return total
            after = rows[-1][0]
            tags = self._recorded_tags([r[0] for r in rows])
            batch = [
                Mention(platform=r[1], native_id=r[2], created_at=r[3], text=r[4] or "", url=r[5],
                        author_key=r[6], author_followers=r[7], audience_key=r[8], audience_size=r[9],
                        lang=r[10], is_repost=bool(r[11]), reposted_uid=r[12], reply_to_uid=r[13],
                        likes=r[14], reposts=r[15], replies=r[16], quotes=r[17], impressions=r[18],
                        sentiment=r[19], abuse=r[20], raw_ref=r[21], context_text=r[22] or "",
                        hashtags=sorted(tags.get(r[0], ())))
                for r in rows
            ]
            result = self.upsert_mentions(batch, campaign_ids=[campaign.id], is_demo=campaign.is_demo)
            total.add(UpsertResult(received=result.received, matched=result.matched))
            if on_batch:
                on_batch(len(batch))

    def _recorded_tags(self, uids: list[str]) -> dict[str, set[str]]:
        """The hashtags recorded for these posts under any campaign, one campaign at a time so
        each lookup stays on mention_hashtags' primary key (campaign_id, mention_uid, tag)."""
        found: dict[str, set[str]] = defaultdict(set)
        marks = ", ".join("?" * len(uids))
        for (campaign_id,) in self.conn.execute("SELECT id FROM campaigns").fetchall():
            for uid, tag in self.conn.execute(
                f"SELECT mention_uid, tag FROM mention_hashtags WHERE campaign_id = ? AND mention_uid IN ({marks})",
                [campaign_id, *uids],
            ):
                found[uid].add(tag)
        return found

    def mention(self, uid: str) -> dict | None:
        row = self.conn.execute("SELECT * FROM mentions WHERE uid = ?", [uid]).fetchone()
        if row is None:
            return None
        names = [d[0] for d in self.conn.execute("SELECT * FROM mentions LIMIT 0").description]
        return dict(zip(names, row, strict=True))

    def count_mentions(self, *, is_demo: bool, at_most: int | None = None) -> int:
        """Stored mentions that are demo posts (or collected ones), counting no further than `at_most`."""
        if at_most is not None:
            return self.conn.execute("SELECT count(*) FROM (SELECT 1 FROM mentions WHERE is_demo = ? LIMIT ?)",
                                     [int(is_demo), at_most]).fetchone()[0]
        return self.conn.execute("SELECT count(*) FROM mentions WHERE is_demo = ?", [int(is_demo)]).fetchone()[0]

    def count(self, table: str) -> int:
        return self.conn.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
