"""Campaigns and their trackers: save (trackers kept by identity), read back, add a term."""

from __future__ import annotations

import json

from campaigns.alert_settings import AlertSettings
from campaigns.clock import now_iso
from campaigns.errors import UnknownCampaign
from campaigns.model import Campaign, SafetySettings, Tracker, classify_term
from campaigns.safety import threshold_of
from campaigns.store.safety import recount_offensive


class CampaignVerbs:
    """Verbs on the campaigns and trackers tables (mixed into Store)."""

    def save_campaign(self, campaign: Campaign) -> Campaign:
        """Insert a campaign or replace the one with its slug; trackers are replaced to match.

        Trackers keep their ids when they are unchanged, so mentions already matched keep
        pointing at them.
        """
        campaign.validate()
        now = now_iso()
        row = {
            "slug": campaign.slug, "name": campaign.name, "description": campaign.description or "",
            "status": campaign.status, "starts_at": campaign.starts_at, "ends_at": campaign.ends_at,
            "timezone": campaign.timezone, "goal_mentions": campaign.goal_mentions,
            "goal_reach": campaign.goal_reach, "retention_days": campaign.retention_days,
            "platforms": json.dumps(campaign.platforms), "exclude": json.dumps(campaign.exclude),
            "feeds": json.dumps(campaign.feeds), "is_demo": int(campaign.is_demo), "updated_at": now,
            "offensive_threshold": campaign.safety.offensive_threshold,
            "pile_on_authors": campaign.safety.pile_on_authors, "pile_on_minutes": campaign.safety.pile_on_minutes,
            "signposting": campaign.safety.signposting or "",
        }
        conn = self.conn
        with conn:
            existing = conn.execute("SELECT id, offensive_threshold FROM campaigns WHERE slug = ?",
                                    [campaign.slug]).fetchone()
            if existing:
                campaign_id = existing[0]
                if existing[1] != campaign.safety.offensive_threshold:
                    # The roll-up counted offensive posts at the old threshold.
                    recount_offensive(conn, campaign_id, threshold_of(campaign))
                conn.execute(
                    f"UPDATE campaigns SET {', '.join(f'{k} = ?' for k in row)} WHERE id = ?",
                    [*row.values(), campaign_id],
                )
            else:
                row["created_at"] = now
                cursor = conn.execute(
                    f"INSERT INTO campaigns ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                    list(row.values()),
                )
                campaign_id = cursor.lastrowid
            kept = {
                (kind, value, side): tracker_id
                for tracker_id, kind, value, side in conn.execute(
                    "SELECT id, kind, value, side FROM trackers WHERE campaign_id = ?", [campaign_id]
                )
            }
            wanted = [(t.kind, t.value, t.side) for t in campaign.trackers]
            for key, tracker_id in kept.items():
                if key not in wanted:
                    conn.execute("DELETE FROM trackers WHERE id = ?", [tracker_id])
            for position, key in enumerate(dict.fromkeys(wanted)):
                if key in kept:
                    conn.execute("UPDATE trackers SET position = ? WHERE id = ?", [position, kept[key]])
                else:
                    conn.execute(
                        "INSERT INTO trackers (campaign_id, kind, value, side, position) VALUES (?, ?, ?, ?, ?)",
                        [campaign_id, *key, position],
                    )
        if campaign.alerts is not None:
            self.alerts.save_settings(campaign_id, AlertSettings.from_dict(campaign.alerts))
        self._matcher = None
        return self.campaign(campaign.slug)

    def campaign(self, slug: str) -> Campaign:
        """The campaign with this slug, or UnknownCampaign."""
        row = self.conn.execute("SELECT * FROM campaigns WHERE slug = ?", [slug]).fetchone()
        if row is None:
            raise UnknownCampaign(slug)
        return self._campaign_from_row(row)

    def campaign_by_id(self, campaign_id: int) -> Campaign:
        row = self.conn.execute("SELECT * FROM campaigns WHERE id = ?", [campaign_id]).fetchone()
        if row is None:
            raise UnknownCampaign(str(campaign_id))
        return self._campaign_from_row(row)

    def campaigns(self, *, include_archived: bool = True) -> list[Campaign]:
        """Every campaign, in the order they were created."""
        sql = "SELECT * FROM campaigns"
        if not include_archived:
            sql += " WHERE status != 'archived'"
        return [self._campaign_from_row(row) for row in self.conn.execute(sql + " ORDER BY id")]

    def _campaign_from_row(self, row) -> Campaign:
        names = [d[0] for d in self.conn.execute("SELECT * FROM campaigns LIMIT 0").description]
        data = dict(zip(names, row, strict=True))
        trackers = [
            Tracker(kind=kind, value=value, side=side, id=tracker_id, campaign_id=data["id"])
            for tracker_id, kind, value, side in self.conn.execute(
                "SELECT id, kind, value, side FROM trackers WHERE campaign_id = ? ORDER BY position, id",
                [data["id"]],
            )
        ]
        return Campaign(
            id=data["id"], slug=data["slug"], name=data["name"], description=data["description"],
            status=data["status"], starts_at=data["starts_at"], ends_at=data["ends_at"],
            timezone=data["timezone"], goal_mentions=data["goal_mentions"],
            goal_reach=data["goal_reach"], retention_days=data["retention_days"],
            platforms=json.loads(data["platforms"]), exclude=json.loads(data["exclude"]),
            feeds=json.loads(data["feeds"]), is_demo=bool(data["is_demo"]), trackers=trackers,
            safety=SafetySettings(offensive_threshold=data["offensive_threshold"],
                                  pile_on_authors=data["pile_on_authors"], pile_on_minutes=data["pile_on_minutes"],
                                  signposting=data["signposting"]),
            alerts=alert_settings.to_dict() if (alert_settings := self.alerts.settings(data["id"])) else None,
        )

    def add_tracker(self, slug: str, term: str, side: str) -> Campaign:
        campaign = self.campaign(slug)
        kind, value = classify_term(term)
        campaign.trackers.append(Tracker(kind=kind, value=value, side=side))
        return self.save_campaign(campaign)
