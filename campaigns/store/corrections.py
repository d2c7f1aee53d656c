"""Corrections: a person's tone, side or verdict applied to a post's match and to the roll-up in one transaction."""

from __future__ import annotations

import pandas as pd

from campaigns.clock import now_iso
from campaigns.corrections import check, effective_abuse, effective_sentiment, verdict_of
from campaigns.errors import StoreError
from campaigns.metrics import sentiment_class
from campaigns.store.mentions import contribution, hour_of, upsert_hourly
from campaigns.targeting import context_score


class CorrectionVerbs:
    """Verbs on corrections (mixed into Store)."""

    def correct(self, uid: str, campaign_id: int, field: str, value: str, who: str, note: str = "") -> dict:
        """Correct a post's tone, side or offensive-language verdict in one campaign.

        The match row takes the corrected value and the roll-up moves by the difference, in the
        same transaction as the correction's row (who, when, the value before it and the
        scorer's own); the scores stay in `mentions`, so storing the post again keeps the
        correction. Returns the correction as stored.
        """
        value = check(field, value)
        if not (who or "").strip():
            raise StoreError("say who is making the correction: it is recorded")
        conn = self.conn
        row = conn.execute(
            "SELECT mm.side, mm.platform, mm.created_at, mm.is_repost, mm.engagement, mm.sentiment, mm.abuse,"
            " mm.tone_fix, mm.verdict, m.sentiment, m.abuse, m.text, m.impressions,"
            " EXISTS (SELECT 1 FROM protected_mentions pm WHERE pm.mention_uid = mm.mention_uid"
            "  AND pm.campaign_id = mm.campaign_id AND pm.via != 'own')"
            " FROM mention_matches mm JOIN mentions m ON m.uid = mm.mention_uid"
            " WHERE mm.mention_uid = ? AND mm.campaign_id = ?", [uid, campaign_id]).fetchone()
        if row is None:
            raise StoreError(f"post {uid} is not in campaign {self.campaign_by_id(campaign_id).slug}")
        (side, platform, created_at, is_repost, engagement, sentiment, abuse, tone_fix, verdict,
         machine_sentiment, machine_abuse, text, impressions, aimed) = row
        threshold = self.protected_accounts().threshold(campaign_id)
        new_side, new_tone, new_verdict = side, tone_fix, verdict
        if field == "side":
            old_value, new_side = side, value
            first = conn.execute(
                "SELECT scorer_value FROM corrections WHERE mention_uid = ? AND campaign_id = ? AND field = 'side'"
                " ORDER BY id LIMIT 1", [uid, campaign_id]).fetchone()
            scorer_value = first[0] if first else side
        elif field == "tone":
            old_value, new_tone = sentiment_class(sentiment), value
            scorer_value = sentiment_class(machine_sentiment)
        else:
            old_value, new_verdict = verdict_of(abuse, threshold), value
            scorer_value = verdict_of(context_score(machine_abuse, text or "", aimed=bool(aimed),
                                                    our_side=side == "ours"), threshold)
        new_sentiment = effective_sentiment(machine_sentiment, new_tone)
        new_abuse = effective_abuse(context_score(machine_abuse, text or "", aimed=bool(aimed),
                                                  our_side=new_side == "ours"), new_verdict)
        hour = hour_of(created_at)
        before = contribution(True, bool(is_repost), engagement, sentiment, abuse, impressions, threshold)
        after = contribution(True, bool(is_repost), engagement, new_sentiment, new_abuse, impressions, threshold)
        at = now_iso()
        with conn:
            conn.execute(
                "UPDATE mention_matches SET side = ?, sentiment = ?, abuse = ?, tone_fix = ?, verdict = ?"
                " WHERE mention_uid = ? AND campaign_id = ?",
                [new_side, new_sentiment, new_abuse, new_tone, new_verdict, uid, campaign_id])
            if new_side == side:
                delta = [a - b for a, b in zip(after, before, strict=True)]
                if any(delta):
                    upsert_hourly(conn, [(campaign_id, hour, platform, side, *delta)])
            else:
                # The post leaves its old side's counts and joins the new side's, whole.
                upsert_hourly(conn, [(campaign_id, hour, platform, side, *(-b for b in before)),
                                     (campaign_id, hour, platform, new_side, *after)])
            cursor = conn.execute(
                "INSERT INTO corrections (mention_uid, campaign_id, field, old_value, new_value, scorer_value, who, at,"
                " note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [uid, campaign_id, field, old_value, value, scorer_value, who.strip(), at, note])
        return {"id": cursor.lastrowid, "uid": uid, "campaign_id": campaign_id, "field": field,
                "old_value": old_value, "new_value": value, "scorer_value": scorer_value, "who": who.strip(), "at": at}

    def campaigns_of(self, uid: str) -> list[int]:
        """The campaigns a stored post belongs to."""
        return [row[0] for row in self.conn.execute(
            "SELECT campaign_id FROM mention_matches WHERE mention_uid = ? ORDER BY campaign_id", [uid])]

    def corrections(self, campaign_id: int, limit: int = 200) -> pd.DataFrame:
        """The campaign's corrections, newest first."""
        return pd.read_sql_query(
            "SELECT at, who, mention_uid, field, old_value, new_value, scorer_value, note FROM corrections"
            " WHERE campaign_id = ? ORDER BY at DESC, id DESC LIMIT ?", self.conn, params=[campaign_id, limit])

    def overruled(self, campaign_id: int) -> pd.DataFrame:
        """Per field: posts with a correction in force, and how many of those overrule the scorer."""
        frame = pd.read_sql_query(
            "SELECT field, count(*) AS corrected, coalesce(sum(new_value != coalesce(scorer_value, '')), 0) AS overruled"
            " FROM corrections c WHERE campaign_id = ? AND id = (SELECT max(id) FROM corrections l"
            "  WHERE l.mention_uid = c.mention_uid AND l.campaign_id = c.campaign_id AND l.field = c.field)"
            " GROUP BY field", self.conn, params=[campaign_id])
        full = pd.DataFrame({"field": ["tone", "side", "verdict"]})
        frame = full.merge(frame, on="field", how="left").fillna(0)
        for column in ("corrected", "overruled"):
            frame[column] = frame[column].astype(int)
        return frame

    def corrections_for(self, uids: list[str], campaign_id: int) -> dict[str, dict[str, str]]:
        """The corrections in force on these posts in a campaign: uid -> {field: value}."""
        found: dict[str, dict[str, str]] = {}
        for first in range(0, len(uids), 500):
            chunk = uids[first:first + 500]
            marks = ", ".join("?" * len(chunk))
            for uid, field, value in self.conn.execute(
                    "SELECT mention_uid, field, new_value FROM corrections c WHERE campaign_id = ?"
                    f" AND mention_uid IN ({marks}) AND id = (SELECT max(id) FROM corrections l"
                    " WHERE l.mention_uid = c.mention_uid AND l.campaign_id = c.campaign_id AND l.field = c.field)",
                    [campaign_id, *chunk]):
                found.setdefault(uid, {})[field] = value
        return found
