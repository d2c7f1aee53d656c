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
        got = metrics.series(conn, filters, campaign.timezone, bucket, by)
        expected = _reference(conn, filters, campaign.timezone, bucket, by)
    assert len(got) > 20 and got["mentions"].sum() > 1000
    pd.testing.assert_frame_equal(got[expected.columns].reset_index(drop=True), expected,
                                  check_dtype=False)


def test_spikes_rest_on_the_hourly_totals(demo_db):
    with Store.open(demo_db) as store:
        campaign = store.campaign("antisocial")
        filters = Filters(campaign.id, "2026-10-28T00:00:00Z", "2026-11-20T12:00:00Z")
        found = metrics.spikes(store.db.conn, filters)
        assert len(found) >= 1
        for hour, mentions in zip(found["hour"], found["mentions"], strict=True):
            stamp = hour.strftime("%Y-%m-%dT%H:00:00Z")
            (total,) = store.db.conn.execute(
                "SELECT sum(mentions) FROM hourly WHERE campaign_id = ? AND hour = ?",
                [campaign.id, stamp]).fetchone()
            assert total == mentions >= metrics.SPIKE_MIN_MENTIONS


def test_hourly_frame_refuses_a_column_that_is_not_in_the_rollup(demo_db):
    with Store.open(demo_db) as store, pytest.raises(ValueError, match="not a roll-up column"):
        metrics.hourly_frame(store.db.conn, Filters(1, "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"),
                             by=("author_key",))
