"""Series summed in SQLite give exactly the numbers of summing every roll-up row in pandas."""

from __future__ import annotations

import pandas as pd
import pytest

from campaigns import metrics
from campaigns.metrics import Filters
from campaigns.store import Store


def _reference(conn, filters: Filters, tz: str, bucket: str, by: tuple[str, ...]) -> pd.DataFrame:
    """Every roll-up row of the window read whole and grouped in pandas."""
    frame = pd.read_sql_query(
        "SELECT * FROM hourly WHERE campaign_id = ? AND hour >= ? AND hour < ? ORDER BY hour",
        conn, params=[filters.campaign_id, filters.start[:13] + ":00:00Z", filters.end])
    frame["bucket"] = pd.to_datetime(frame["hour"], utc=True).dt.tz_convert(tz)
    if bucket == "day":
        frame["bucket"] = frame["bucket"].dt.floor("D", ambiguous=False, nonexistent="shift_forward")
    return frame.groupby(["bucket", *by], as_index=False)[list(metrics.ROLLUP_SUMS)].sum()


@pytest.mark.parametrize("bucket", ["hour", "day"])
@pytest.mark.parametrize("by", [("platform",), ("side",), ("platform", "side"), ()])
def test_series_equals_summing_every_rollup_row(demo_db, bucket, by):
    with Store.open(demo_db) as store:
        campaign = store.campaign("antisocial")
        conn = store.db.conn
        filters = Filters(campaign.id, "2026-10-25T00:00:00Z", "2026-11-20T12:00:00Z")
        got = store.reads.series(filters, campaign.timezone, bucket, by)
        expected = _reference(conn, filters, campaign.timezone, bucket, by)
    assert len(got) > 20 and got["mentions"].sum() > 1000
    pd.testing.assert_frame_equal(got[expected.columns].reset_index(drop=True), expected,
                                  check_dtype=False)


def test_spikes_rest_on_the_hourly_totals(demo_db):
    with Store.open(demo_db) as store:
        campaign = store.campaign("antisocial")
        filters = Filters(campaign.id, "2026-10-28T00:00:00Z", "2026-11-20T12:00:00Z")
        found = store.reads.spikes(filters)
        assert len(found) >= 1
        for hour, mentions in zip(found["hour"], found["mentions"], strict=True):
            stamp = hour.strftime("%Y-%m-%dT%H:00:00Z")
            (total,) = store.db.conn.execute(
                "SELECT sum(mentions) FROM hourly WHERE campaign_id = ? AND hour = ?",
                [campaign.id, stamp]).fetchone()
            assert total == mentions >= metrics.SPIKE_MIN_MENTIONS


def test_hourly_frame_refuses_a_column_that_is_not_in_the_rollup(demo_db):
    with Store.open(demo_db) as store, pytest.raises(ValueError, match="not a roll-up column"):
        store.reads.hourly_frame(Filters(1, "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"),
                             by=("author_key",))


@pytest.mark.parametrize("bucket", ["hour", "day"])
@pytest.mark.parametrize("narrowed", [{}, {"platforms": ("x", "bluesky")}, {"sides": ("opposing",)}])
def test_distinct_series_counts_each_bucket_as_distinct_totals_does(demo_db, bucket, narrowed):
    from campaigns.model import iso_utc, to_datetime

    with Store.open(demo_db) as store:
        campaign = store.campaign("antisocial")
        filters = Filters(campaign.id, "2026-11-10T00:00:00Z", "2026-11-14T06:00:00Z", **narrowed)
        got = store.reads.distinct_series(filters, campaign.timezone, bucket)
        spans = metrics.local_buckets(to_datetime(filters.start), to_datetime(filters.end),
                                      campaign.timezone, bucket)
        expected = [store.reads.distinct_totals(filters.shifted(iso_utc(a), iso_utc(b))) for a, b in spans]
    # The frame holds unknown reach as NaN, as it always has (a float column).
    reach = [None if pd.isna(value) else int(value) for value in got["potential_reach"]]
    assert list(zip(got["unique_authors"], reach, strict=True)) == expected
    assert [t.tz_convert("UTC") for t in got["bucket"]] == [pd.Timestamp(a) for a, _ in spans]
    assert sum(authors for authors, _ in expected) > 50
    if bucket == "hour":
        assert any(reach is None for _, reach in expected)


def test_where_binds_each_value_to_its_own_clause(demo_db):
    with Store.open(demo_db) as store:
        campaign = store.campaign("antisocial")
        filters = Filters(campaign.id, "2026-11-01T00:00:00Z", "2026-11-20T00:00:00Z",
                          platforms=("mastodon",), sides=("ours",))
        where, params = filters.where()
        rows = store.db.conn.execute(
            f"SELECT DISTINCT platform, side FROM mention_matches WHERE {where}", params).fetchall()
        (before,) = store.db.conn.execute(
            f"SELECT count(*) FROM mention_matches WHERE {where} AND created_at < '2026-11-01'", params).fetchone()
    assert rows == [("mastodon", "ours")] and before == 0


def test_a_window_without_data_gives_an_empty_series_with_every_column(demo_db):
    with Store.open(demo_db) as store:
        campaign = store.campaign("antisocial")
        filters = Filters(campaign.id, "2020-01-01T00:00:00Z", "2020-01-09T00:00:00Z")
        days = store.reads.series(filters, campaign.timezone, "day", ("side",))
        hours = store.reads.series(filters, campaign.timezone, "hour", ("side",))
    assert days.empty and hours.empty
    assert list(days.columns) == list(hours.columns)
    assert str(days["bucket"].dtype.tz) == campaign.timezone
