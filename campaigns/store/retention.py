"""Retention and forgetting: removing people's text, handles and links while the roll-ups stay."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from campaigns import clock
from campaigns.metrics import ROLLUP_SUMS
from campaigns.model import iso_utc
from campaigns.privacy import forgotten_digest
from campaigns.store.mentions import contribution, hour_of

# What a purge or a forget removes from a mention: what was said, who said it, where it is.
PERSONAL_COLUMNS = ("text", "author_key", "url", "raw_ref")


@dataclass
class PurgeResult:
    """What a purge removed (or, in a dry run, would remove), per campaign and in all."""

    cutoffs: dict[str, str] = field(default_factory=dict)   # campaign slug -> oldest kept instant
    mentions: int = 0          # mentions whose text, author and link are removed
    raw_items: int = 0
    profiles: int = 0
    bytes_before: int = 0
    bytes_after: int = 0
    dry_run: bool = True


@dataclass
class ForgetResult:
    mentions: int = 0          # mentions whose text, author and link are removed
    uncounted: int = 0         # campaign matches removed from the counts (--from-counts)
    profiles: int = 0


class RetentionVerbs:
    """Verbs that remove personal data by age or on request (mixed into Store)."""

    def _purge_candidates_sql(self) -> str:
        # A mention is purged once it is older than the retention of EVERY campaign that matched
        # it (a campaign without retention keeps its posts); an unmatched one (an original kept for
        # its reposts) follows the reposts that point at it.
        return (
            "WITH cut(campaign_id, before) AS (VALUES {values}),"
            " kept AS (SELECT mm.mention_uid FROM mention_matches mm"
            "   LEFT JOIN cut ON cut.campaign_id = mm.campaign_id"
            "   WHERE cut.before IS NULL OR mm.created_at >= cut.before),"
            " old AS (SELECT DISTINCT mm.mention_uid AS uid FROM cut"
            "   JOIN mention_matches mm ON mm.campaign_id = cut.campaign_id AND mm.created_at < cut.before)"
            " SELECT m.uid FROM old JOIN mentions m ON m.uid = old.uid"
            " WHERE m.purged_at IS NULL AND m.uid NOT IN (SELECT mention_uid FROM kept)"
            " UNION SELECT o.uid FROM old JOIN mentions r ON r.uid = old.uid"
            " JOIN mentions o ON o.uid = r.reposted_uid"
            " WHERE o.purged_at IS NULL AND o.uid NOT IN (SELECT mention_uid FROM kept)"
            " AND NOT EXISTS (SELECT 1 FROM mention_matches x WHERE x.mention_uid = o.uid)"
        )

    def retention_cutoffs(self) -> dict[int, tuple[str, str]]:
        """Campaign id -> (slug, cut-off instant) for every campaign with a retention period."""
        now = clock.now()
        return {
            campaign_id: (slug, iso_utc(now - timedelta(days=days)))
            for campaign_id, slug, days in self.conn.execute(
                "SELECT id, slug, retention_days FROM campaigns WHERE retention_days IS NOT NULL"
                " AND retention_days > 0 ORDER BY id")
        }

    def purge(self, *, dry_run: bool = False, who: str = "retention", vacuum: bool = True) -> PurgeResult:
        """Remove the text, author and link of mentions past their campaigns' retention.

        The hourly roll-up, the matches' times, sides and scores stay, so charts and reports of
        old periods still work; unique authors and potential reach of a purged period can no
        longer be counted and read as n/a. Then the space goes back to the file system: blanked
        columns leave pages part-empty rather than free, so only a VACUUM (`vacuum`, a rewrite of
        the file) gives most of it back; without it, only wholly free pages are returned.
        """
        cutoffs = self.retention_cutoffs()
        result = PurgeResult(cutoffs={slug: before for slug, before in cutoffs.values()}, dry_run=dry_run)
        result.bytes_before = self._file_bytes()
        if not cutoffs:
            result.bytes_after = result.bytes_before
            return result
        values = ", ".join(["(?, ?)"] * len(cutoffs))
        params = [v for campaign_id, (_, before) in cutoffs.items() for v in (campaign_id, before)]
        uids = [row[0] for row in self.conn.execute(
            self._purge_candidates_sql().format(values=values), params)]
        # Caches and raw payloads hold handles too; they go by age, at the oldest cut-off kept.
        # A campaign without retention keeps them all.
        keep_forever = self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM campaigns WHERE retention_days IS NULL OR retention_days <= 0)"
        ).fetchone()[0]
        oldest = None if keep_forever else min(before for _, before in cutoffs.values())
        result.mentions = len(uids)
        if oldest:
            result.raw_items = self.conn.execute(
                "SELECT count(*) FROM raw_items WHERE retrieved_at < ?", [oldest]).fetchone()[0]
            result.profiles = self.conn.execute(
                "SELECT count(*) FROM author_profiles WHERE fetched_at < ?", [oldest]).fetchone()[0]
        if dry_run:
            result.bytes_after = result.bytes_before
            return result
        now = clock.now_iso()
        with self.conn:
            self._scrub(uids, now)
            if oldest:
                self.conn.execute("DELETE FROM raw_items WHERE retrieved_at < ?", [oldest])
                self.conn.execute("DELETE FROM author_profiles WHERE fetched_at < ?", [oldest])
            for campaign_id, (_, before) in cutoffs.items():
                self.conn.execute(
                    "UPDATE campaigns SET purged_before = max(coalesce(purged_before, ''), ?) WHERE id = ?",
                    [before, campaign_id])
            self.conn.execute(
                "INSERT INTO audit_log (at, who, what, detail) VALUES (?, ?, 'purge', ?)",
                [now, who, f"{result.mentions} mention(s), {result.raw_items} raw item(s), "
                           f"{result.profiles} cached profile(s); cut-offs "
                           + ", ".join(f"{slug} < {before}" for slug, before in result.cutoffs.items())])
        self.reclaim_space(full=vacuum and result.mentions > 0)
        result.bytes_after = self._file_bytes()
        return result

    def _scrub(self, uids: list[str], now: str) -> None:
        """Blank the personal columns of these mentions and of their matches (inside a transaction)."""
        sets = ", ".join(f"{column} = NULL" for column in PERSONAL_COLUMNS)
        for start in range(0, len(uids), 500):
            chunk = uids[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            self.conn.execute(f"UPDATE mentions SET {sets}, purged_at = ? WHERE uid IN ({marks})", [now, *chunk])
            # The author's own audience is keyed by the author; a subreddit's is not personal.
            self.conn.execute(
                "UPDATE mention_matches SET reach_key = CASE WHEN reach_key = author_key THEN NULL"
                f" ELSE reach_key END, author_key = NULL WHERE mention_uid IN ({marks})", chunk)

    def forget_author(self, author_key: str, *, platform: str | None = None, from_counts: bool = False,
                      who: str = "cli") -> ForgetResult:
        """Remove one person's posts' text, author and link from everywhere, and remember (as a
        digest) that they asked, so their posts collected again are stored without them.

        With `from_counts`, their posts also leave every count: their campaign matches go and
        the roll-up moves by what those matches had added.
        """
        where = "author_key = ?" + (" AND platform = ?" if platform else "")
        params = [author_key, *([platform] if platform else [])]
        rows = self.conn.execute(f"SELECT uid, platform FROM mentions WHERE {where}", params).fetchall()
        result = ForgetResult(mentions=len(rows))
        now = clock.now_iso()
        platforms = {p for _, p in rows} | ({platform} if platform else set())
        with self.conn:
            uids = [uid for uid, _ in rows]
            if from_counts and uids:
                result.uncounted = self._uncount(uids)
            self._scrub(uids, now)
            for name in sorted(platforms or {"*"}):
                self.conn.execute(
                    "INSERT OR IGNORE INTO forgotten_authors (digest, platform, at) VALUES (?, ?, ?)",
                    [forgotten_digest(name, author_key), name, now])
            profile_where = "lower(handle) = lower(?)" + (" AND platform = ?" if platform else "")
            result.profiles = self.conn.execute(
                f"DELETE FROM author_profiles WHERE {profile_where}", params).rowcount
            self.conn.execute(
                "INSERT INTO audit_log (at, who, what, detail) VALUES (?, ?, 'forget', ?)",
                [now, who, f"{result.mentions} mention(s) scrubbed, {result.uncounted} match(es) removed from "
                           f"counts, {result.profiles} cached profile(s); platform {platform or 'any'}"])
        self._forgotten = None
        return result

    def _uncount(self, uids: list[str]) -> int:
        """Remove these mentions' campaign matches and take what they added out of the roll-up."""
        removed = 0
        for start in range(0, len(uids), 500):
            chunk = uids[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = self.conn.execute(
                "SELECT mm.campaign_id, mm.created_at, mm.platform, mm.side, mm.is_repost, mm.engagement,"
                " mm.sentiment, mm.abuse, m.impressions FROM mention_matches mm JOIN mentions m ON m.uid = mm.mention_uid"
                f" WHERE mm.mention_uid IN ({marks})", chunk).fetchall()
            thresholds = self.protected_accounts()
            for campaign_id, created_at, platform, side, is_repost, engagement, sentiment, abuse, impressions in rows:
                added = contribution(True, bool(is_repost), engagement, sentiment, abuse, impressions,
                                     thresholds.threshold(campaign_id))
                self.conn.execute(
                    "UPDATE hourly SET " + ", ".join(f"{c} = {c} - ?" for c in ROLLUP_SUMS)
                    + " WHERE campaign_id = ? AND hour = ? AND platform = ? AND side = ?",
                    [*added, campaign_id, hour_of(created_at), platform, side])
            removed += self.conn.execute(f"DELETE FROM mention_matches WHERE mention_uid IN ({marks})", chunk).rowcount
            self.conn.execute(f"DELETE FROM mention_trackers WHERE mention_uid IN ({marks})", chunk)
            self.conn.execute(f"DELETE FROM mention_hashtags WHERE mention_uid IN ({marks})", chunk)
            self.conn.execute(f"DELETE FROM protected_mentions WHERE mention_uid IN ({marks})", chunk)
        return removed

    def forgotten_digests(self) -> set[str]:
        """Digests of authors who asked to be forgotten (cached; reset when one is added)."""
        if getattr(self, "_forgotten", None) is None:
            self._forgotten = {row[0] for row in self.conn.execute("SELECT digest FROM forgotten_authors")}
        return self._forgotten

    def reclaim_space(self, *, full: bool = False) -> None:
        """Give free pages back to the file system (incremental vacuum); with `full`, rewrite the
        file so part-empty pages are packed too (VACUUM; the file then stays incremental)."""
        mode = self.conn.execute("PRAGMA auto_vacuum").fetchone()[0]
        if full or mode != 2:
            self.conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            self.conn.execute("VACUUM")
        else:
            self.conn.execute("PRAGMA incremental_vacuum")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _file_bytes(self) -> int:
        page_size = self.conn.execute("PRAGMA page_size").fetchone()[0]
        pages = self.conn.execute("PRAGMA page_count").fetchone()[0]
        return page_size * pages

