"""The safety desk's tables: mentions aimed at protected accounts, pile-on alerts, reveals and exports in the audit log.

Reads here are range queries on protected_mentions' indexes joined to their matches and posts by
primary key; each returns the size of the table or chart it serves.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence

import pandas as pd

from campaigns.errors import StoreError
from campaigns.matching import normalise_account
from campaigns.metrics import POSITIVE_AT, local_buckets
from campaigns.model import SafetySettings, iso_utc, to_datetime
from campaigns.safety import merged
from campaigns.targeting import context_score

AIMED_COLUMNS = ["created_at", "accounts", "via", "platform", "author_key", "text", "url", "model_score",
                 "score", "verdict", "side", "sentiment", "uid"]
SPANS_PER_STATEMENT = 1000


class Safety:
    """The safety desk's verbs (`store.safety`): reads for the Safety page, pile-on alerts, reveals."""

    def __init__(self, store):
        self.store = store

    @property
    def conn(self) -> sqlite3.Connection:
        return self.store.conn

    # -- settings ------------------------------------------------------------------------------

    def set_settings(self, slug: str, who: str, **changes) -> SafetySettings:
        """Change a campaign's safety settings (threshold, pile-on rule, signposting); audited."""
        campaign = self.store.campaign(slug)
        before = campaign.safety
        unknown = set(changes) - set(SafetySettings.__dataclass_fields__)
        if unknown:
            raise StoreError(f"not a safety setting: {', '.join(sorted(unknown))}")
        after = SafetySettings(**{**before.__dict__, **changes}).validate()
        campaign.safety = after
        self.store.save_campaign(campaign)
        self.store.audit(who, "change safety settings", json.dumps(
            {"campaign": slug, "before": before.__dict__, "after": after.__dict__}), campaign_id=campaign.id)
        return after

    # -- the Safety page -----------------------------------------------------------------------

    def _aimed_where(self, campaign_id: int, start: str | None, end: str | None,
                     tracker_ids: Sequence[int] = ()) -> tuple[str, list]:
        clauses, params = ["pm.campaign_id = ?", "pm.via != 'own'"], [campaign_id]
        if start:
            clauses.append("pm.created_at >= ?")
            params.append(start)
        if end:
            clauses.append("pm.created_at < ?")
            params.append(end)
        if tracker_ids:
            clauses.append(f"pm.tracker_id IN ({', '.join('?' * len(tracker_ids))})")
            params.extend(tracker_ids)
        return " AND ".join(clauses), params

    def aimed_mentions(self, campaign_id: int, start: str, end: str, *, tracker_ids: Sequence[int] = (),
                       min_score: float | None = None, max_score: float | None = None,
                       reviewed: bool | None = None, limit: int = 200) -> pd.DataFrame:
        """Mentions aimed at the campaign's protected accounts in [start, end), newest first.

        One row per mention, with the accounts it is aimed at (tracker ids, comma-separated) and
        how, the model's score, the score in context (a reviewer's verdict applied) and the verdict.
        """
        where, params = self._aimed_where(campaign_id, start, end, tracker_ids)
        extra = ""
        if min_score is not None:
            extra += " AND mm.abuse >= ?"
            params.append(min_score)
        if max_score is not None:
            extra += " AND mm.abuse < ?"
            params.append(max_score)
        if reviewed is not None:
            extra += " AND mm.verdict IS NOT NULL" if reviewed else " AND mm.verdict IS NULL"
        # The page's mentions are chosen first and only they are read in full: a window of
        # thousands of aimed mentions read each post's text for the two hundred shown.
        return pd.read_sql_query(
            "WITH page AS (SELECT pm.mention_uid AS uid, max(pm.created_at) AS created_at,"
            " group_concat(pm.tracker_id) AS accounts, min(pm.via) AS via FROM protected_mentions pm"
            " JOIN mention_matches mm ON mm.mention_uid = pm.mention_uid AND mm.campaign_id = pm.campaign_id"
            f" WHERE {where}{extra} GROUP BY pm.mention_uid ORDER BY created_at DESC, pm.mention_uid LIMIT ?)"
            " SELECT page.created_at, page.accounts, page.via, m.platform, m.author_key, m.text, m.url,"
            " m.abuse AS model_score, mm.abuse AS score, mm.verdict, mm.side, mm.sentiment, m.uid"
            " FROM page CROSS JOIN mention_matches mm ON mm.mention_uid = page.uid AND mm.campaign_id = ?"
            " CROSS JOIN mentions m ON m.uid = page.uid ORDER BY page.created_at DESC, page.uid",
            self.conn, params=[*params, limit, campaign_id])[AIMED_COLUMNS]

    def aimed_totals(self, campaign_id: int, start: str, end: str, threshold: float) -> pd.DataFrame:
        """Per protected account in [start, end): mentions aimed at it, those offensive, those reviewed."""
        where, params = self._aimed_where(campaign_id, start, end)
        return pd.read_sql_query(
            "SELECT pm.tracker_id, count(*) AS mentions, coalesce(sum(mm.abuse >= ?), 0) AS offensive,"
            " coalesce(sum(mm.verdict IS NOT NULL), 0) AS reviewed, count(DISTINCT mm.author_key) AS authors"
            " FROM protected_mentions pm"
            " JOIN mention_matches mm ON mm.mention_uid = pm.mention_uid AND mm.campaign_id = pm.campaign_id"
            f" WHERE {where} GROUP BY pm.tracker_id ORDER BY pm.tracker_id",
            self.conn, params=[threshold, *params])

    def support_series(self, campaign_id: int, start: str, end: str, tz: str, threshold: float) -> pd.DataFrame:
        """Per protected account and local day: supportive mentions against offensive ones.

        Supportive: aimed at the account, not offensive, and on our side or positive in tone (as
        corrected). The days go to SQLite as a table of UTC spans, so it returns one row per
        day and account.
        """
        spans = local_buckets(to_datetime(start), to_datetime(end), tz, "day")
        where, params = self._aimed_where(campaign_id, None, None)
        parts = []
        for first in range(0, len(spans), SPANS_PER_STATEMENT):
            chunk = spans[first:first + SPANS_PER_STATEMENT]
            values = ", ".join(["(?, ?, ?)"] * len(chunk))
            span_params = [v for i, (a, b) in enumerate(chunk, start=first) for v in (i, iso_utc(a), iso_utc(b))]
            parts.append(pd.read_sql_query(
                f"WITH spans(i, span_start, span_end) AS (VALUES {values})"
                " SELECT i, pm.tracker_id,"
                " sum(CASE WHEN mm.abuse >= ? THEN 0 WHEN mm.side = 'ours' OR mm.sentiment >= ? THEN 1 ELSE 0 END)"
                " AS supportive, sum(coalesce(mm.abuse >= ?, 0)) AS offensive, count(*) AS mentions"
                " FROM spans JOIN protected_mentions pm ON pm.created_at >= span_start AND pm.created_at < span_end"
                " JOIN mention_matches mm ON mm.mention_uid = pm.mention_uid AND mm.campaign_id = pm.campaign_id"
                f" WHERE {where} GROUP BY i, pm.tracker_id ORDER BY i, pm.tracker_id",
                self.conn, params=[*span_params, threshold, POSITIVE_AT, threshold, *params]))
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
            columns=["i", "tracker_id", "supportive", "offensive", "mentions"])
        # Floored as one index rather than one Timestamp a day (a few ms of the read over 90 days).
        labels = list(pd.to_datetime([iso_utc(a) for a, _ in spans], utc=True).tz_convert(tz).floor(
            "D", ambiguous=False, nonexistent="shift_forward"))
        frame.insert(0, "day", [labels[i] for i in frame["i"]] if len(frame) else pd.Series(
            dtype=pd.DatetimeTZDtype("us", tz)))
        return frame.drop(columns=["i"])

    def reviews(self, campaign_id: int) -> list[tuple]:
        """Every reviewed mention of the campaign: (model score, text, aimed, on our side, verdict)."""
        return [(row[0], row[1] or "", bool(row[2]), row[3] == "ours", row[4]) for row in self.conn.execute(
            "SELECT m.abuse, m.text, EXISTS (SELECT 1 FROM protected_mentions pm WHERE pm.mention_uid = mm.mention_uid"
            " AND pm.campaign_id = mm.campaign_id AND pm.via != 'own'), mm.side, mm.verdict"
            " FROM mention_matches mm JOIN mentions m ON m.uid = mm.mention_uid"
            " WHERE mm.campaign_id = ? AND mm.verdict IS NOT NULL", [campaign_id])]

    def offensive_aimed(self, campaign_id: int, threshold: float, since: str | None) -> list[tuple]:
        """(tracker id, created_at, author, uid) of each offensive mention aimed at a protected account."""
        where, params = self._aimed_where(campaign_id, since, None)
        return self.conn.execute(
            "SELECT pm.tracker_id, pm.created_at, mm.author_key, pm.mention_uid FROM protected_mentions pm"
            " JOIN mention_matches mm ON mm.mention_uid = pm.mention_uid AND mm.campaign_id = pm.campaign_id"
            f" WHERE {where} AND mm.abuse >= ? ORDER BY pm.tracker_id, pm.created_at", [*params, threshold]).fetchall()

    def evidence_rows(self, campaign_id: int, uids: Sequence[str]) -> list[dict]:
        """The stored mentions chosen for an evidence export, with their accounts, scores and verdicts."""
        if not uids:
            return []
        found = []
        for first in range(0, len(uids), 500):
            chunk = list(uids[first:first + 500])
            marks = ", ".join("?" * len(chunk))
            cursor = self.conn.execute(
                "SELECT m.uid, m.url, m.created_at, m.platform, m.author_key, m.text, m.abuse AS model_score,"
                " mm.abuse AS score, mm.verdict,"
                " (SELECT group_concat(t.value, ' ') FROM protected_mentions pm JOIN trackers t ON t.id = pm.tracker_id"
                "  WHERE pm.mention_uid = m.uid AND pm.campaign_id = mm.campaign_id AND pm.via != 'own') AS accounts,"
                " (SELECT group_concat(DISTINCT pm.via) FROM protected_mentions pm"
                "  WHERE pm.mention_uid = m.uid AND pm.campaign_id = mm.campaign_id AND pm.via != 'own') AS via,"
                " (SELECT c.who FROM corrections c WHERE c.mention_uid = m.uid AND c.campaign_id = mm.campaign_id"
                "  AND c.field = 'verdict' ORDER BY c.id DESC LIMIT 1) AS verdict_by"
                " FROM mention_matches mm JOIN mentions m ON m.uid = mm.mention_uid"
                f" WHERE mm.campaign_id = ? AND mm.mention_uid IN ({marks})", [campaign_id, *chunk])
            names = [d[0] for d in cursor.description]
            found.extend(dict(zip(names, row, strict=True)) for row in cursor.fetchall())
        order = {uid: i for i, uid in enumerate(uids)}
        rows = sorted(found, key=lambda r: order[r["uid"]])
        for row in rows:
            if row["accounts"]:
                row["accounts"] = " ".join(f"@{a}" for a in row["accounts"].split(" "))
        missing = [uid for uid in uids if uid not in {r["uid"] for r in rows}]
        if missing:
            raise StoreError(f"not in this campaign: {', '.join(missing[:5])}" + (" ..." if len(missing) > 5 else ""))
        return rows

    def audit_view(self, campaign_id: int | None = None, limit: int = 200) -> pd.DataFrame:
        """The audit log, newest first: who revealed, exported, reviewed or changed what, and when."""
        sql = "SELECT at, who, what, detail FROM audit_log"
        params: list = []
        if campaign_id is not None:
            sql += " WHERE campaign_id = ?"
            params.append(campaign_id)
        return pd.read_sql_query(sql + " ORDER BY at DESC, id DESC LIMIT ?", self.conn, params=[*params, limit])

    def pile_on_alerts(self, campaign_id: int, include_acknowledged: bool = False) -> pd.DataFrame:
        """The campaign's pile-on alerts, newest first, with their details unpacked."""
        sql = "SELECT id, detail, acknowledged_at FROM alerts WHERE campaign_id = ? AND kind = 'pile_on'"
        if not include_acknowledged:
            sql += " AND acknowledged_at IS NULL"
        rows = []
        for alert_id, detail, acknowledged_at in self.conn.execute(sql + " ORDER BY at DESC", [campaign_id]):
            data = json.loads(detail)
            rows.append({"id": alert_id, "first": data["first"], "last": data["last"], "account": data["account"],
                         "authors": data["author_count"], "mentions": data["mentions"], "summary": data["summary"],
                         "acknowledged_at": acknowledged_at})
        return pd.DataFrame(rows, columns=["id", "first", "last", "account", "authors", "mentions", "summary",
                                           "acknowledged_at"])

    # -- writes ----------------------------------------------------------------------------------

    def reveal(self, campaign_id: int, uid: str, who: str) -> None:
        """Record that `who` revealed a hidden post's text: one audit_log row per post revealed."""
        if not (who or "").strip():
            raise StoreError("say who is revealing the text: it is recorded")
        self.store.audit(who.strip(), "reveal offensive text", json.dumps({"uid": uid}), campaign_id=campaign_id)

    def acknowledge(self, alert_id: int, who: str) -> None:
        """Mark an alert as seen (store.alerts records who and when); it leaves the open alerts.
        Also a row of the audit log, with the campaign, so the Safety page's log shows it."""
        if not (who or "").strip():
            raise StoreError("say who is acknowledging the alert: it is recorded")
        alert, changed = self.store.alerts.acknowledge(alert_id, who.strip())
        if changed:
            self.store.audit(who.strip(), "acknowledge alert", json.dumps({"alert": alert_id, "kind": alert["kind"]}),
                             campaign_id=alert["campaign_id"])

    def log_export(self, campaign_id: int, who: str, detail: dict) -> None:
        self.store.audit(who, "export evidence", json.dumps(detail), campaign_id=campaign_id)

    def record_pile_ons(self, campaign_id: int, episodes, detail_of: Callable, minutes: int) -> list[dict]:
        """One alert per episode: an episode already alerted (same account, less than `minutes` from
        it) grows that alert; a new one is raised through store.alerts, which sends it on.

        The alert's detail holds the episode whole (authors and posts, for the Safety page);
        its figures hold only counts and times, which is what a message sent elsewhere may carry.
        """
        changed = []
        existing = [(alert_id, json.loads(detail)) for alert_id, detail in self.conn.execute(
            "SELECT id, detail FROM alerts WHERE campaign_id = ? AND kind = 'pile_on'", [campaign_id])]
        for episode in episodes:
            same = next((alert for alert in existing if alert[1].get("tracker_id") == episode.tracker_id
                         and episode.overlaps(alert[1]["first"], alert[1]["last"], minutes)), None)
            if same is not None:
                detail = detail_of(merged(same[1], episode))
                if detail != same[1]:
                    with self.conn:
                        self.conn.execute("UPDATE alerts SET detail = ?, figures = ? WHERE id = ?",
                                          [json.dumps(detail), json.dumps(_figures(detail), sort_keys=True), same[0]])
                    existing[existing.index(same)] = (same[0], detail)
                    changed.append(detail)
                continue
            detail = detail_of(episode)
            alert_id, _ = self.store.alerts.raise_alert(
                campaign_id, "pile_on", episode=f"{episode.tracker_id}:{episode.first}:{episode.uids[0]}",
                at=episode.first, detail=json.dumps(detail), figures=_figures(detail), page="safety")
            existing.append((alert_id, detail))
            changed.append(detail)
        return changed


def _figures(detail: dict) -> dict:
    """What a pile-on alert may say outside the Safety page: counts and times, no one's name."""
    return {key: detail[key] for key in ("account", "author_count", "mentions", "first", "last", "tracker_id")}


# -- the roll-up's offensive count, and the first fill of the tables above ----------------------

def recount_offensive(conn: sqlite3.Connection, campaign_id: int, threshold: float) -> None:
    """Set the roll-up's offensive count of one campaign at a (new) threshold, from its matches."""
    rows = conn.execute(
        "SELECT substr(created_at, 1, 13) || ':00:00Z', platform, side, sum(coalesce(abuse >= ?, 0))"
        " FROM mention_matches WHERE campaign_id = ? GROUP BY 1, 2, 3", [threshold, campaign_id]).fetchall()
    conn.execute("UPDATE hourly SET abusive = 0 WHERE campaign_id = ?", [campaign_id])
    conn.executemany("UPDATE hourly SET abusive = ? WHERE campaign_id = ? AND hour = ? AND platform = ? AND side = ?",
                     [(count, campaign_id, hour, platform, side) for hour, platform, side, count in rows])


def backfill(conn: sqlite3.Connection) -> None:
    """Fill what 0006 adds for posts stored before it: which posts are aimed at protected accounts
    (from the trackers they met, and replies to the accounts' own posts), each match's score in
    context, and the roll-up's offensive count at each campaign's threshold."""
    from campaigns.metrics import OFFENSIVE_THRESHOLD

    protect = conn.execute("SELECT id, value FROM trackers WHERE side = 'protect' AND kind = 'account'").fetchall()
    for tracker_id, value in protect:
        handle = normalise_account(value)
        conn.execute(
            "INSERT OR IGNORE INTO protected_mentions (mention_uid, campaign_id, tracker_id, via, created_at)"
            " SELECT mt.mention_uid, mt.campaign_id, mt.tracker_id,"
            " CASE WHEN lower(m.author_key) = ? THEN 'own' ELSE 'mention' END, mt.created_at"
            " FROM mention_trackers mt JOIN mentions m ON m.uid = mt.mention_uid WHERE mt.tracker_id = ?",
            [handle, tracker_id])
        conn.execute(
            "UPDATE protected_mentions SET via = 'reply' WHERE tracker_id = ? AND via = 'mention' AND mention_uid IN"
            " (SELECT r.uid FROM mentions r JOIN protected_mentions o ON o.mention_uid = r.reply_to_uid"
            "  AND o.tracker_id = ? AND o.via = 'own')", [tracker_id, tracker_id])
    updates = []
    for uid, campaign_id, side, abuse, text, aimed in conn.execute(
            "SELECT mm.mention_uid, mm.campaign_id, mm.side, m.abuse, m.text,"
            " EXISTS (SELECT 1 FROM protected_mentions pm WHERE pm.mention_uid = mm.mention_uid"
            "  AND pm.campaign_id = mm.campaign_id AND pm.via != 'own')"
            " FROM mention_matches mm JOIN mentions m ON m.uid = mm.mention_uid WHERE m.abuse >= 0.1"):
        score = context_score(abuse, text or "", aimed=bool(aimed), our_side=side == "ours")
        if score != abuse:
            updates.append((score, uid, campaign_id))
    conn.executemany("UPDATE mention_matches SET abuse = ? WHERE mention_uid = ? AND campaign_id = ?", updates)
    for (campaign_id,) in conn.execute("SELECT id FROM campaigns").fetchall():
        recount_offensive(conn, campaign_id, OFFENSIVE_THRESHOLD)
