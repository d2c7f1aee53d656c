"""Constructed listening data for the alert tests: posts per hour on each side, at fixed dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from campaigns.model import Campaign, Mention, Tracker, iso_utc

# Every test's clock: a fixed instant, never today's date.
NOW = datetime(2026, 6, 15, 12, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)


def campaign(store, slug="libraries", **extra) -> Campaign:
    return store.save_campaign(Campaign(
        slug=slug, name="Save Our Libraries", starts_at="2026-05-01", timezone="Europe/London",
        trackers=[Tracker("hashtag", "SaveOurLibraries", "ours"), Tracker("hashtag", "WastefulCouncil", "opposing")],
        **extra))


class Posts:
    """Writes posts hour by hour; each call adds new posts (unique ids), so counts add up."""

    def __init__(self, store):
        self.store = store
        self.serial = 0

    def add(self, hour: datetime, count: int, side: str = "ours", *, sentiment: float = 0.0,
            author: str | None = None, text: str | None = None, followers: int = 10) -> None:
        tag = "#SaveOurLibraries" if side == "ours" else "#WastefulCouncil"
        batch = []
        for i in range(count):
            self.serial += 1
            batch.append(Mention(
                platform="mastodon", native_id=f"p{self.serial}", created_at=iso_utc(hour + timedelta(seconds=i % 3600)),
                text=text or f"post {self.serial} {tag}", author_key=author or f"author{self.serial}",
                author_followers=followers, sentiment=sentiment, abuse=0.0, url=f"https://example.org/{self.serial}"))
        self.store.upsert_mentions(batch)

    def steady(self, start: datetime, end: datetime, per_hour: int, side: str = "ours", **kw) -> None:
        hour = start
        while hour < end:
            self.add(hour, per_hour, side, **kw)
            hour += HOUR
