"""The posts stream: one page of a campaign's posts for a query, its total, and what is new since."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from campaigns.errors import ValidationError
from campaigns.metrics import NEGATIVE_AT, POSITIVE_AT
from campaigns.stream import PostQuery, search_expression

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
        f = query.filters
        clauses = ["mm.campaign_id = ?", "mm.created_at >= ?", "mm.created_at < ?"]
        params: list = [f.campaign_id, f.start, f.end]
        if f.platforms:
            clauses.append(f"mm.platform IN ({', '.join('?' * len(f.platforms))})")
            params += list(f.platforms)
        if f.sides:
            clauses.append(f"mm.side IN ({', '.join('?' * len(f.sides))})")
            params += list(f.sides)
        if query.tone == "positive":
            clauses.append(f"mm.sentiment >= {POSITIVE_AT}")
        elif query.tone == "negative":
            clauses.append(f"mm.sentiment <= {NEGATIVE_AT}")
        elif query.tone == "neutral":
            clauses.append(f"mm.sentiment > {NEGATIVE_AT} AND mm.sentiment < {POSITIVE_AT}")
        if query.min_offensive is not None:
            clauses.append("mm.abuse >= ?")
            params.append(query.min_offensive)
        if query.kind is not None:
            clauses.append("mm.is_repost = ?")
            params.append(1 if query.kind == "repost" else 0)
        if query.lang:
            clauses.append("m.lang = ?")
            params.append(query.lang)
        if query.tracker_id is not None:
            clauses.append("mm.mention_uid IN (SELECT mention_uid FROM mention_trackers"
                           " WHERE tracker_id = ? AND created_at >= ? AND created_at < ?)")
            params += [query.tracker_id, f.start, f.end]
        if query.uids:
            clauses.append(f"mm.mention_uid IN ({', '.join('?' * len(query.uids))})")
            params += list(query.uids)
        expression = search_expression(query.search)
        if query.search.strip() and not expression:
            raise ValidationError("the search holds no word to look for")
        if expression:
            # Reposts are not indexed (their words are their original's): one matches when the
            # post it repeats does.
            clauses.append("(m.rowid IN (SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ?)"
                           " OR (m.is_repost = 1 AND m.reposted_uid IN (SELECT o.uid FROM mentions o"
                           " WHERE o.rowid IN (SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ?))))")
            params += [expression, expression]
        return " AND ".join(clauses), params

    def page(self, query: PostQuery) -> tuple[pd.DataFrame, int]:
        """One page of the query's posts, newest first, and how many posts the query holds."""
        query.validate()
        where, params = self._where(query)
        source = "FROM mention_matches mm JOIN mentions m ON m.uid = mm.mention_uid"
        total = self.conn.execute(f"SELECT count(*) {source} WHERE {where}", params).fetchone()[0]
        frame = pd.read_sql_query(
            "SELECT mm.created_at, mm.platform, mm.side, m.author_key, m.text, m.url, m.likes, m.reposts,"
            " m.replies, m.quotes, mm.engagement, mm.sentiment, mm.abuse, m.lang, mm.is_repost, mm.mention_uid AS uid"
            f" {source} WHERE {where} ORDER BY mm.created_at DESC, mm.mention_uid LIMIT ? OFFSET ?",
            self.conn, params=[*params, query.per_page, (query.page - 1) * query.per_page])
        for column in ("likes", "reposts", "replies", "quotes", "engagement", "is_repost"):
            frame[column] = frame[column].astype("Int64")   # unknown stays unknown, not 0.0
        return frame[STREAM_COLUMNS], total

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
