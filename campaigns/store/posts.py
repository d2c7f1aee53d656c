"""The posts stream: one page of a campaign's posts for a query, its total, and what is new since."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from campaigns.errors import StoreError, ValidationError
from campaigns.metrics import NEGATIVE_AT, POSITIVE_AT
from campaigns.model import iso_utc
from campaigns.store.mentions import TONE_SLOT_WIDTH, TONE_SLOTS
from campaigns.stream import PostQuery, search_expression

# Every stored instant has this one width (model.iso_utc), so a window's times read as one string
# are cut into numpy's fixed-width bytes, which order as the strings do.
_TIME_WIDTH = len(iso_utc(datetime(2026, 1, 1, tzinfo=UTC)))
# A search's page is found by walking the window newest first while that reads at most this
# many matches (the page's depth over the share of the window that are hits).
WALK_AT_MOST = 20_000
STREAM_COLUMNS = ["created_at", "platform", "side", "author_key", "text", "url", "likes", "reposts",
                  "replies", "quotes", "engagement", "sentiment", "abuse", "lang", "is_repost", "uid"]


class Posts:
    """Reads of the posts themselves (`store.posts`); none of them writes."""

    def __init__(self, store):
        self.store = store

    @property
    def conn(self):
        return self.store.conn

    def _where(self, query: PostQuery) -> tuple[str, list]:
        """The clauses on mention_matches (alias mm) and mentions (alias m) for a query."""
        where, params = self._match_where(query, lang=False)
        clauses, more = [where], list(params)
        if query.lang:
            clauses.append("m.lang = ?")
            more.append(query.lang)
        expression = self._expression(query)
        if expression:
            # Reposts are not indexed (their words are their original's): one matches when the
            # post it repeats does.
            clauses.append("(m.rowid IN (SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ?)"
                           " OR (m.is_repost = 1 AND m.reposted_uid IN (SELECT o.uid FROM mentions o"
                           " WHERE o.rowid IN (SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ?))))")
            more += [expression, expression]
        return " AND ".join(clauses), more

    def _match_where(self, query: PostQuery, tracker: bool = True, lang: bool = True) -> tuple[str, list]:
        """The clauses a match alone answers (alias mm), all on the range index but the tracker's
        (left out when `tracker` is false: the caller reads the tracker's own posts). The
        language is the match's copy of its post's (left out when `lang` is false: the plain
        read takes it from the post)."""
        f = query.filters
        clauses = ["mm.campaign_id = ?", "mm.created_at >= ?", "mm.created_at < ?"]
        params: list = [f.campaign_id, f.start, f.end]
        if f.platforms:
            clauses.append(f"mm.platform IN ({', '.join('?' * len(f.platforms))})")
            params += list(f.platforms)
        if f.sides:
            clauses.append(f"mm.side IN ({', '.join('?' * len(f.sides))})")
            params += list(f.sides)
        if query.tones:
            classes = {"positive": f"mm.sentiment >= {POSITIVE_AT}", "negative": f"mm.sentiment <= {NEGATIVE_AT}",
                       "neutral": f"(mm.sentiment > {NEGATIVE_AT} AND mm.sentiment < {POSITIVE_AT})"}
            clauses.append("(" + " OR ".join(classes[tone] for tone in dict.fromkeys(query.tones)) + ")")
        if query.tone_slot is not None:
            if query.tone_slot >= TONE_SLOTS:
                raise ValidationError(f"a tone slice is from 0 to {TONE_SLOTS - 1}")
            # The histogram's own cut (reads.sentiment_histogram, the tone roll-up), so a slice's
            # bar and its posts are the same posts.
            clauses.append(f"min(CAST((mm.sentiment + 1.0) / {TONE_SLOT_WIDTH!r} AS INTEGER), {TONE_SLOTS - 1}) = ?")
            params.append(query.tone_slot)
        if query.min_offensive is not None:
            clauses.append("mm.abuse >= ?")
            params.append(query.min_offensive)
        if query.kind is not None:
            clauses.append("mm.is_repost = ?")
            params.append(1 if query.kind == "repost" else 0)
        if query.tracker_id is not None and tracker:
            clauses.append("mm.mention_uid IN (SELECT mention_uid FROM mention_trackers"
                           " WHERE tracker_id = ? AND created_at >= ? AND created_at < ?)")
            params += [query.tracker_id, f.start, f.end]
        if query.lang and lang:
            clauses.append("mm.lang = ?")
            params.append(query.lang)
        if query.tag is not None:
            # As the hashtag chart counts: the campaign's own tags of the post (one row per tag).
            clauses.append("EXISTS (SELECT 1 FROM mention_hashtags h WHERE h.campaign_id = mm.campaign_id"
                           " AND h.mention_uid = mm.mention_uid AND h.tag = ?)")
            params.append(query.tag.lower().lstrip("#"))
        if query.author is not None:
            clauses.append("mm.author_key = ?")
            params.append(query.author)
        if query.own_audience:
            # The amplifiers' posts: an audience of known size that is the author's own.
            clauses.append("mm.reach_key = mm.author_key AND mm.reach_value IS NOT NULL")
        if query.uids:
            clauses.append(f"mm.mention_uid IN ({', '.join('?' * len(query.uids))})")
            params += list(query.uids)
        return " AND ".join(clauses), params

    @staticmethod
    def _expression(query: PostQuery) -> str:
        expression = search_expression(query.search)
        if query.search.strip() and not expression:
            raise ValidationError("the search holds no word to look for")
        return expression

    def page(self, query: PostQuery) -> tuple[pd.DataFrame, int]:
        """One page of the query's posts, newest first, and how many posts the query holds.

        The total and the page's posts are found on the matches' range index, which holds each
        post's language and search rowid too; only the page's own posts are read in full.
        """
        query.validate()
        total, uids = self._total_and_page(query)
        marks = ", ".join("?" * len(uids))
        frame = pd.read_sql_query(
            "SELECT mm.created_at, mm.platform, mm.side, m.author_key, m.text, m.url, m.likes, m.reposts,"
            " m.replies, m.quotes, mm.engagement, mm.sentiment, mm.abuse, m.lang, mm.is_repost, mm.mention_uid AS uid"
            " FROM mention_matches mm JOIN mentions m ON m.uid = mm.mention_uid"
            # Each post by the matches' primary key, not by walking the campaign's range.
            f" WHERE mm.mention_uid IN ({marks}) AND +mm.campaign_id = ? ORDER BY mm.created_at DESC, mm.mention_uid",
            self.conn, params=[*uids, query.filters.campaign_id])
        return self._typed(frame), total

    def _total_and_page(self, query: PostQuery) -> tuple[int, list[str]]:
        """The query's total and the uids of its page, in the page's order."""
        window = [query.per_page, (query.page - 1) * query.per_page]
        expression = self._expression(query)
        if not expression and query.tracker_id is not None:
            # A tracker's posts are fewer than the campaign's: walk its own range, newest first,
            # each to its match by primary key (mention_trackers holds each post's time too).
            where, params = self._match_where(query, tracker=False)
            f = query.filters
            source = ("FROM mention_trackers t CROSS JOIN mention_matches mm ON mm.mention_uid = t.mention_uid"
                      " AND mm.campaign_id = t.campaign_id")
            tracked = "t.tracker_id = ? AND t.created_at >= ? AND t.created_at < ? AND "
            scope = [query.tracker_id, f.start, f.end]
            total = self.conn.execute(f"SELECT count(*) {source} WHERE {tracked}{where}",
                                      [*scope, *params]).fetchone()[0]
            uids = [row[0] for row in self.conn.execute(
                f"SELECT t.mention_uid {source} WHERE {tracked}{where}"
                " ORDER BY t.created_at DESC, t.mention_uid LIMIT ? OFFSET ?", [*scope, *params, *window])]
            return total, uids
        where, params = self._match_where(query)
        if not expression:
            total = self.conn.execute(f"SELECT count(*) FROM mention_matches mm WHERE {where}", params).fetchone()[0]
            uids = [row[0] for row in self.conn.execute(
                f"SELECT mm.mention_uid FROM mention_matches mm WHERE {where}"
                " ORDER BY mm.created_at DESC, mm.mention_uid LIMIT ? OFFSET ?", [*params, *window])]
            return total, uids
        return self._searched(expression, where, params, *window)

    def _searched(self, expression: str, where: str, params: list, per_page: int, offset: int) -> tuple[int, list[str]]:
        """A search's total and page: the rowid each of the window's matches holds its words under
        (0015_match_search) checked against the search's hits in mentions_fts, each side read
        whole in one statement and compared in numpy, so no post is looked up one by one.

        The search's hits are read on another connection while this one reads the window's
        matches (Store.read_beside). The page is then found walking the window
        newest first, or, where that walk would be long (a deep page of a rare word), between
        the times of the page's first and last hit.
        """
        # The search's hits are read beside the window's matches, on a connection of its own
        # (Store.read_beside): over a long window each read is about half of the search. A bound
        # on the hits' rowids (the window's least and greatest) made theirs no faster, even over
        # 7 days of 90; reading half the window on a third connection made the search slower.
        hits = self.store.read_beside("SELECT group_concat(rowid) FROM mentions_fts WHERE mentions_fts MATCH ?",
                                      [expression])
        try:
            # A match without a search rowid (a repost of a post not stored) is no search's hit.
            count, rowids = self.conn.execute(
                f"SELECT count(mm.text_rowid), group_concat(mm.text_rowid) FROM mention_matches mm WHERE {where}",
                params).fetchone()
        finally:
            found = hits.result()[0][0]
        if not count or not found:
            return 0, []
        rowids = np.fromstring(rowids, dtype=np.int64, sep=",")
        if len(rowids) != count:
            raise StoreError("a search rowid of a match is not an integer")
        greatest = int(rowids.max())
        # One flag per rowid up to the window's greatest: a lookup per match, in cache order. A
        # hit above it (a post stored since the window was read) is no match of the window.
        found = np.fromstring(found, dtype=np.int64, sep=",")
        flags = np.zeros(greatest + 1, dtype=bool)
        flags[found[found <= greatest]] = True

        def is_hit(values: np.ndarray) -> np.ndarray:
            # A match stored since the window was read may hold a greater rowid: not a hit.
            return flags[np.where(values < len(flags), values, 0)]

        total = int(is_hit(rowids).sum())
        if offset >= total:
            return total, []
        wanted = offset + per_page
        if wanted * count / total <= WALK_AT_MOST:
            page: list[str] = []
            seen = 0
            cursor = self.conn.execute(
                f"SELECT mm.mention_uid, coalesce(mm.text_rowid, 0) FROM mention_matches mm WHERE {where}"
                " ORDER BY mm.created_at DESC, mm.mention_uid", params)
            while seen < wanted and (rows := cursor.fetchmany(max(64, per_page * 2))):
                for (uid, _), hit in zip(rows, is_hit(np.array([row[1] for row in rows], dtype=np.int64)),
                                         strict=True):
                    if hit:
                        if seen >= offset:
                            page.append(uid)
                        seen += 1
                        if seen >= wanted:
                            break
            cursor.close()
            return total, page
        # Each match's time beside its search rowid, read in one statement so the two line up.
        count, rowids, times = self.conn.execute(
            "SELECT count(*), group_concat(coalesce(mm.text_rowid, 0)), group_concat(mm.created_at, '')"
            f" FROM mention_matches mm WHERE {where}", params).fetchone()
        rowids = np.fromstring(rowids, dtype=np.int64, sep=",")
        times = np.frombuffer(times.encode("ascii"), dtype=f"S{_TIME_WIDTH}")
        if len(rowids) != count or len(times) != count:
            raise StoreError("a stored time or search rowid is not in its one stored form")
        hit_times = times[is_hit(rowids)]
        newest_first = np.sort(hit_times)[::-1]
        first, last = newest_first[offset], newest_first[min(wanted, total) - 1]
        newer = int((hit_times > first).sum())
        rows = self.conn.execute(
            f"SELECT mm.created_at, mm.mention_uid, coalesce(mm.text_rowid, 0) FROM mention_matches mm WHERE {where}"
            " AND mm.created_at >= ? AND mm.created_at <= ?", [*params, last.decode(), first.decode()]).fetchall()
        kept = is_hit(np.array([row[2] for row in rows], dtype=np.int64))
        page_rows = sorted((row for row, keep in zip(rows, kept, strict=True) if keep), key=lambda row: row[1])
        page_rows.sort(key=lambda row: row[0], reverse=True)
        return total, [row[1] for row in page_rows[offset - newer:offset - newer + per_page]]

    def page_scan(self, query: PostQuery) -> tuple[pd.DataFrame, int]:
        """page as one join of the matches and the posts, counted and sorted whole: the plain read
        the benchmark and the tests hold page equal to."""
        query.validate()
        where, params = self._where(query)
        source = "FROM mention_matches mm JOIN mentions m ON m.uid = mm.mention_uid"
        total = self.conn.execute(f"SELECT count(*) {source} WHERE {where}", params).fetchone()[0]
        frame = pd.read_sql_query(
            "SELECT mm.created_at, mm.platform, mm.side, m.author_key, m.text, m.url, m.likes, m.reposts,"
            " m.replies, m.quotes, mm.engagement, mm.sentiment, mm.abuse, m.lang, mm.is_repost, mm.mention_uid AS uid"
            f" {source} WHERE {where} ORDER BY mm.created_at DESC, mm.mention_uid LIMIT ? OFFSET ?",
            self.conn, params=[*params, query.per_page, (query.page - 1) * query.per_page])
        return self._typed(frame), total

    @staticmethod
    def _typed(frame: pd.DataFrame) -> pd.DataFrame:
        for column in ("likes", "reposts", "replies", "quotes", "engagement", "is_repost"):
            frame[column] = frame[column].astype("Int64")   # unknown stays unknown, not 0.0
        return frame[STREAM_COLUMNS]

    def all(self, query: PostQuery, limit: int = 100_000) -> pd.DataFrame:
        """Every post of the query, newest first, up to `limit` (an export)."""
        pages, page = [], 1
        while True:
            frame, _ = self.page(replace(query, page=page, per_page=1000))
            pages.append(frame)
            if len(frame) < 1000 or page * 1000 >= limit:
                return pd.concat(pages, ignore_index=True).head(limit)
            page += 1

    def newest_mark(self) -> int:
        """A mark of what is stored now: posts stored later are 'new' against it (rowids only grow,
        and a post seen again keeps its own)."""
        return self.conn.execute("SELECT coalesce(max(rowid), 0) FROM mentions").fetchone()[0]

    def stored_after(self, query: PostQuery, mark: int) -> int:
        """How many of the query's posts were first stored after `mark` (a column's "new" badge)."""
        where, params = self._where(query)
        return self.conn.execute(
            "SELECT count(*) FROM mention_matches mm JOIN mentions m ON m.uid = mm.mention_uid"
            f" WHERE {where} AND m.rowid > ?", [*params, mark]).fetchone()[0]
