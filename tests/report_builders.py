"""Databases built so a report's answer is known by construction: exact posts per hour, runs, plan rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from campaigns import clock, planner
from campaigns.model import Campaign, Mention, Tracker, iso_utc
from campaigns.store import Store

TAGS = {"ours": "Ours", "opposing": "Theirs"}


def make_campaign(store: Store, slug: str = "uplift", tz: str = "UTC", starts: str = "2026-01-01") -> Campaign:
    return store.save_campaign(Campaign(
        slug=slug, name=f"{slug.title()} campaign", starts_at=starts, timezone=tz,
        trackers=[Tracker("hashtag", "Ours", "ours"), Tracker("hashtag", "Theirs", "opposing"),
                  Tracker("account", "protected_one", "protect")]))


def add_posts(store: Store, campaign: Campaign, start: datetime, end: datetime,
              per_hour: int | Callable[[datetime], int], *, side: str = "ours", prefix: str = "p",
              text: Callable[[int], str] | None = None, abuse: float = 0.0, sentiment: float = 0.5,
              authors: int = 40, author: Callable[[int], str] | None = None, followers: int = 100) -> int:
    """Posts on one side, exactly `per_hour` of them in each hour of [start, end), spread over the hour."""
    batch, made = [], 0
    hour = start
    while hour < end:
        n = per_hour(hour) if callable(per_hour) else per_hour
        for i in range(n):
            made += 1
            body = text(made) if text else f"Post {made} about the campaign #{TAGS.get(side, 'Ours')}"
            if side == "protect" and not text:
                body = f"@protected_one post {made}"
            batch.append(Mention(
                platform="mastodon", native_id=f"{prefix}-{hour:%Y%m%d%H}-{i}",
                created_at=iso_utc(hour + timedelta(seconds=i * 3600 // max(n, 1))), text=body,
                url=f"https://example.org/{prefix}/{made}",
                author_key=author(made) if author else f"{side}_author_{made % authors}",
                author_followers=followers, likes=1, sentiment=sentiment, abuse=abuse))
            if len(batch) >= 5000:
                store.upsert_mentions(batch, campaign_ids=[campaign.id])
                batch = []
        hour += timedelta(hours=1)
    if batch:
        store.upsert_mentions(batch, campaign_ids=[campaign.id])
    return made


def add_action(store: Store, campaign: Campaign, title: str, start: datetime, end: datetime, **fields) -> planner.Action:
    fields.setdefault("message", "Say something kind about the campaign")
    fields.setdefault("hashtags", ["Ours"])
    return store.plan.save_action(planner.Action(
        campaign.id, fields.pop("kind", "post"), title, iso_utc(start), iso_utc(end), campaign.timezone,
        status=fields.pop("status", "scheduled"), **fields))


def add_runs(store: Store, campaign: Campaign, source: str, start: datetime, end: datetime, *,
             every: timedelta = timedelta(hours=1), status_at: Callable[[datetime], str | None] = lambda at: "ok",
             error: str = "HTTP 503 Service Unavailable from the instance") -> None:
    """A run of `source` at every `every` from start + 5 minutes; status_at says how each ended (None: no run)."""
    at = start + timedelta(minutes=5)
    while at < end:
        status = status_at(at)
        if status is not None:
            with clock.pinned(at):
                run_id = store.start_run(source, campaign.id)
            with clock.pinned(at + timedelta(minutes=2)):
                store.finish_run(run_id, status=status, fetched=10 if status == "ok" else 0,
                                 error=None if status == "ok" else error)
        at += every


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)
