"""Local days in every IANA zone: daily totals equal the tiles, each day holds exactly its own posts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pandas as pd
import pytest

from campaigns import metrics
from campaigns.metrics import Filters
from campaigns.model import Campaign, Mention, Tracker, iso_utc

# Minutes past the hour that sit on every kind of local midnight: :00, :45 (Chatham +13:45),
# :30 (Kolkata, Adelaide), :45 (Kathmandu), and the minutes either side.
MINUTES = (0, 10, 15, 29, 30, 44, 45, 50)
FIRST_DAY = datetime(2026, 3, 1, tzinfo=UTC)
DAYS = 12


@pytest.fixture(scope="module")
def dense(tmp_path_factory):
    """A campaign with posts at eight minutes of every hour for twelve days (2026-03-01 to 12 UTC),
    with reposts, scores, abuse and impressions, so every sum has something to get wrong."""
    from campaigns.store import Store

    path = tmp_path_factory.mktemp("days") / "days.db"
    store = Store.open(path)
    campaign = store.save_campaign(Campaign(slug="days", name="Days", starts_at="2026-03-01",
                                            trackers=[Tracker("hashtag", "days", "ours"),
                                                      Tracker("hashtag", "nights", "opposing")]))
    posts = []
    for hour in range(DAYS * 24):
        for minute in MINUTES:
            n = len(posts)
            at = FIRST_DAY + timedelta(hours=hour, minutes=minute)
            posts.append(Mention(
                platform="x" if n % 3 else "mastodon", native_id=str(n), created_at=iso_utc(at),
                text="#days" if n % 4 else "#nights", author_key=f"a{n % 37}", author_followers=10 + n % 11,
                likes=n % 5, reposts=0, replies=n % 2, quotes=0, is_repost=n % 9 == 0,
                impressions=n % 13 if n % 2 else None, sentiment=((n % 21) - 10) / 10, abuse=(n % 7) / 6))
    store.upsert_mentions(posts)
    yield store, campaign
    store.close()


def local_days(first: date, last: date, tz: str) -> tuple[str, str]:
    """The window 'Custom dates' gives: local midnight of `first` to local midnight after `last`."""
    zone = ZoneInfo(tz)
    return (iso_utc(datetime.combine(first, time.min, zone)),
            iso_utc(datetime.combine(last + timedelta(days=1), time.min, zone)))


def direct(store, filters: Filters, start: datetime, end: datetime) -> int:
    where, params = filters.shifted(iso_utc(start), iso_utc(end)).where()
    return store.db.conn.execute(f"SELECT count(*) FROM mention_matches WHERE {where}", params).fetchone()[0]


def zones_by_behaviour() -> list[str]:
    """One zone for each distinct sequence of UTC offsets over the data's days: zones that share
    it (most of the ~600) cut every day at the same instants, so each IANA zone is tried once."""
    seen: dict[tuple, str] = {}
    hours = [FIRST_DAY + timedelta(hours=h) for h in range(DAYS * 24 + 48)]
    for tz in sorted(available_timezones()):
        zone = ZoneInfo(tz)
        seen.setdefault(tuple(h.astimezone(zone).utcoffset() for h in hours), tz)
    return list(seen.values())


def test_daily_totals_equal_the_tiles_in_every_zone(dense):
    store, campaign = dense
    wrong = []
    zones = zones_by_behaviour()
    minutes = {FIRST_DAY.astimezone(ZoneInfo(tz)).utcoffset().total_seconds() // 60 % 60 for tz in zones}
    assert minutes == {0, 30, 45} and len(zones) > 40
    for tz in zones:
        for start, end in (local_days(date(2026, 3, 3), date(2026, 3, 9), tz),  # custom dates
                           ("2026-03-04T13:00:00Z", "2026-03-11T13:00:00Z")):  # 'Last 7 days'
            filters = Filters(campaign.id, start, end)
            days = store.reads.series(filters, tz, "day", ())
            tiles = store.reads.kpis(filters)
            if days["mentions"].sum() != tiles.mentions or days["engagement"].sum() != tiles.engagement \
                    or days["pos"].sum() != tiles.positive or days["abusive"].sum() != tiles.abusive:
                wrong.append((tz, start, "totals"))
                continue
            spans = metrics.buckets(pd.Timestamp(start).to_pydatetime(), pd.Timestamp(end).to_pydatetime(), tz, "day")
            expected = [direct(store, filters, b.start, b.end) for b in spans]
            got = dict(zip(days["bucket"], days["mentions"], strict=True))
            if [got.get(b.label, 0) for b in spans] != expected or set(got) - {b.label for b in spans}:
                wrong.append((tz, start, "days"))
            # No day outside the window: the first label is the local date the window starts on.
            first_local = pd.Timestamp(start).tz_convert(tz)
            if days["bucket"].min().date() != first_local.date():
                wrong.append((tz, start, "first day"))
    assert wrong == []


@pytest.mark.parametrize("tz", ["Asia/Kolkata", "Australia/Adelaide", "Asia/Kathmandu", "Pacific/Chatham"])
def test_every_sum_of_a_half_hour_zone_day_equals_counting_its_posts(dense, tz):
    store, campaign = dense
    start, end = local_days(date(2026, 3, 2), date(2026, 3, 6), tz)
    filters = Filters(campaign.id, start, end, sides=("ours",))
    days = store.reads.series(filters, tz, "day", ("platform",))
    threshold = store.protected_accounts().threshold(campaign.id)  # the campaign's offensive-language threshold
    assert sorted({d.date() for d in days["bucket"]}) == [date(2026, 3, d) for d in range(2, 7)]
    for label, platform, row in zip(days["bucket"], days["platform"], days.itertuples(), strict=True):
        local = label.to_pydatetime()
        day_start, day_end = local_days(local.date(), local.date(), tz)
        (mentions, reposts, engagement, sentiment_sum, scored, negative, impressions, known, offensive) = \
            store.db.conn.execute(
                "SELECT count(*), sum(mm.is_repost), sum(mm.engagement), sum(mm.sentiment), count(mm.sentiment),"
                " sum(mm.sentiment <= -0.05), coalesce(sum(m.impressions), 0), count(m.impressions),"
                " sum(mm.abuse >= ?) FROM mention_matches mm JOIN mentions m ON m.uid = mm.mention_uid"
                " WHERE mm.campaign_id = ? AND mm.created_at >= ? AND mm.created_at < ? AND mm.side = 'ours'"
                " AND mm.platform = ?", [threshold, campaign.id, day_start, day_end, platform]).fetchone()
        assert (row.mentions, row.reposts, row.engagement, row.scored, row.neg, row.impressions,
                row.impressions_known, row.abusive) == (mentions, reposts, engagement, scored, negative, impressions,
                                                        known, offensive)
        assert row.sentiment_sum == pytest.approx(sentiment_sum)
    tiles = store.reads.kpis(filters)
    assert tiles.impressions == days["impressions"].sum() and tiles.mentions == days["mentions"].sum()


def test_hours_of_a_custom_window_in_a_half_hour_zone_add_up_to_the_tiles(dense):
    store, campaign = dense
    start, end = local_days(date(2026, 3, 4), date(2026, 3, 5), "Asia/Kolkata")
    filters = Filters(campaign.id, start, end)
    hours = store.reads.series(filters, "Asia/Kolkata", "hour", ())
    assert hours["mentions"].sum() == store.reads.kpis(filters).mentions == 2 * 24 * len(MINUTES)
    first = hours["bucket"].min()
    assert (first.hour, first.minute, first.day) == (0, 0, 4)  # the first half hour, from local midnight
    assert hours["bucket"].iloc[1].minute == 30  # then whole UTC hours, 00:30 to 01:30 local


def test_whole_hour_zones_read_only_the_rollup(dense):
    store, campaign = dense
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    try:
        for tz in ("Europe/London", "America/New_York", "UTC", "Asia/Tokyo"):
            start, end = local_days(date(2026, 3, 2), date(2026, 3, 9), tz)
            store.reads.series(Filters(campaign.id, start, end), tz, "day", ("side",))
    finally:
        store.db.conn.set_trace_callback(None)
    assert statements and not [s for s in statements if "mention_matches" in s]
