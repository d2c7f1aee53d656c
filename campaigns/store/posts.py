"""The posts stream: one page of a campaign's posts for a query, its total, and what is new since."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from campaigns.errors import ValidationError
from campaigns.metrics import NEGATIVE_AT, POSITIVE_AT
from campaigns.store.mentions import TONE_SLOT_WIDTH, TONE_SLOTS
from campaigns.stream import PostQuery, search_expression

# A window holding more matches than this is not counted further before a search decides
# which side drives (the search's own posts are then surely fewer).
SEARCH_DRIVES_UNDER = 1_000_000
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
        where, params = self._match_where(query)
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

    def _match_where(self, query: PostQuery, tracker: bool = True) -> tuple[str, list]:
        """The clauses a match alone answers (alias mm), all on the range index but the tracker's
        (left out when `tracker` is false: the caller reads the tracker's own posts)."""
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

        The total and the page's posts are found on the matches' range index (joined to the posts
        only for a language or a search); only the page's own posts are read in full.
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
        where, params = self._match_where(query)
        order = " ORDER BY mm.created_at DESC, mm.mention_uid LIMIT ? OFFSET ?"
        window = [query.per_page, (query.page - 1) * query.per_page]
        expression = self._expression(query)
        lang, lang_params = (" AND m.lang = ?", [query.lang]) if query.lang else ("", [])
        if not expression and query.tracker_id is not None:
            # A tracker's posts are fewer than the campaign's: walk its own range, newest first,
            # each to its match by primary key (mention_trackers holds each post's time too).
            where, params = self._match_where(query, tracker=False)
            f = query.filters
            source = ("FROM mention_trackers t CROSS JOIN mention_matches mm ON mm.mention_uid = t.mention_uid"
                      " AND mm.campaign_id = t.campaign_id"
                      + (" CROSS JOIN mentions m ON m.uid = mm.mention_uid" if lang else ""))
            tracked = "t.tracker_id = ? AND t.created_at >= ? AND t.created_at < ? AND "
            scope = [query.tracker_id, f.start, f.end]
            total = self.conn.execute(f"SELECT count(*) {source} WHERE {tracked}{where}{lang}",
                                      [*scope, *params, *lang_params]).fetchone()[0]
            uids = [row[0] for row in self.conn.execute(
                f"SELECT t.mention_uid {source} WHERE {tracked}{where}{lang}"
                " ORDER BY t.created_at DESC, t.mention_uid LIMIT ? OFFSET ?",
                [*scope, *params, *lang_params, *window])]
            return total, uids
        if not expression:
            source = "FROM mention_matches mm" + (" JOIN mentions m ON m.uid = mm.mention_uid" if lang else "")
            total = self.conn.execute(f"SELECT count(*) {source} WHERE {where}{lang}",
                                      [*params, *lang_params]).fetchone()[0]
            uids = [row[0] for row in self.conn.execute(
                f"SELECT mm.mention_uid {source} WHERE {where}{lang}{order}", [*params, *lang_params, *window])]
            return total, uids
        if lang:
            where += " AND (SELECT lang FROM mentions WHERE uid = mm.mention_uid) = ?"
            params = [*params, query.lang]
        # Whichever side is smaller drives: the search's posts (few for a rare word or a hashtag),
        # each looked up in the campaign's matches, or the window's matches, each looked up in
        # the search's posts. Counting either stops once it is clearly the larger.
        window_size = self.conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM mention_matches mm WHERE {where} LIMIT ?)",
            [*params, SEARCH_DRIVES_UNDER]).fetchone()[0]
        searched = self.conn.execute(
            "SELECT count(*) FROM (SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ? LIMIT ?)",
            [expression, window_size // 2 + 1]).fetchone()[0]
        if searched <= window_size // 2:
            # A repost is found through the post it repeats; its language is its own.
            hits = sorted(self.conn.execute(
                "SELECT mm.created_at, mm.mention_uid FROM (SELECT m.uid AS uid FROM mentions_fts f"
                " CROSS JOIN mentions m ON m.rowid = f.rowid WHERE mentions_fts MATCH ?"
                " UNION SELECT r.uid FROM mentions_fts f CROSS JOIN mentions o ON o.rowid = f.rowid"
                " CROSS JOIN mentions r ON r.reposted_uid = o.uid WHERE mentions_fts MATCH ? AND r.is_repost = 1) found"
                f" CROSS JOIN mention_matches mm ON mm.mention_uid = found.uid WHERE {where}",
                [expression, expression, *params]).fetchall(), key=lambda hit: hit[1])
            hits.sort(key=lambda hit: hit[0], reverse=True)
            return len(hits), [uid for _, uid in hits[window[1]:window[1] + window[0]]]
        # The search's posts as one set of rowids, built once per statement; a repost is found
        # through the rowid of the post it repeats.
        found = ("(SELECT rowid FROM mentions WHERE uid = mm.mention_uid) IN hits OR (mm.is_repost = 1 AND"
                 " (SELECT o.rowid FROM mentions o WHERE o.uid = (SELECT reposted_uid FROM mentions"
                 "  WHERE uid = mm.mention_uid)) IN hits)")
        # One statement, so the search's posts are looked up once for the total and the page.
        rows = self.conn.execute(
            "WITH hits(rowid) AS MATERIALIZED (SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ?),"
            f" found AS MATERIALIZED (SELECT mm.created_at, mm.mention_uid FROM mention_matches mm WHERE {where}"
            f" AND ({found})) SELECT (SELECT count(*) FROM found), page.mention_uid FROM (SELECT 1)"
            " LEFT JOIN (SELECT mention_uid FROM found ORDER BY created_at DESC, mention_uid LIMIT ? OFFSET ?) page",
            [expression, *params, *window]).fetchall()
        return rows[0][0], [uid for _, uid in rows if uid is not None]

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
