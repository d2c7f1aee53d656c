"""The dashboard's one door to the store: a read-only store per database, and its reads cached with a ttl.

Each read takes the database path first, so two databases never share a cache entry, and
expires after REFRESH_SECONDS, so numbers written by the scheduler show up without a restart.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import streamlit as st

from campaigns.metrics import Filters, Kpis
from campaigns.model import Campaign
from campaigns.settings import resolve_db_path
from campaigns.store import Store

REFRESH_SECONDS = 60
# One connection is shared by every session, and a connection must not be used by two threads at once.
_lock = threading.Lock()


def db_path() -> str:
    """The database the dashboard reads: GROUNDSWELL_DB, else ./groundswell.db."""
    return str(resolve_db_path().resolve())


@st.cache_resource(show_spinner=False)
def store(path: str) -> Store:
    """The store for this path, opened read-only once per server process: the dashboard never
    creates, migrates or writes the database (the CLI and the scheduler do)."""
    return Store.open(Path(path), readonly=True)


def call(path: str, verb: str, *args, **kwargs):
    """store.reads.<verb>(...) (or store.<verb> for a dotted 'plan.x'), one thread at a time."""
    target = store(path)
    owner, _, name = verb.rpartition(".")
    if owner:
        target = getattr(target, owner)
    with _lock:
        return getattr(target, name)(*args, **kwargs)


@st.cache_resource(show_spinner=False)
def _writer(path: str) -> Store:
    """A writable store for the forms that change the plan; opened on the first write, never
    creating or migrating the database."""
    return Store.open(Path(path), create=False, migrate=False)


def write(path: str, verb: str, *args, **kwargs):
    """store.<verb>(...) on the writable store (a dotted verb such as 'plan.save_action'), one
    thread at a time; every write the dashboard makes goes through here, never through the
    read-only store the pages read."""
    target = _writer(path)
    owner, _, name = verb.rpartition(".")
    if owner:
        target = getattr(target, owner)
    with _lock:
        return getattr(target, name)(*args, **kwargs)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def campaigns(path: str) -> list[Campaign]:
    return call(path, "campaigns")


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def kpis(path: str, filters: Filters) -> Kpis:
    return call(path, "reads.kpis", filters)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def series(path: str, filters: Filters, tz: str, bucket: str, by: tuple[str, ...] = ("platform",)) -> pd.DataFrame:
    return call(path, "reads.series", filters, tz=tz, bucket=bucket, by=by)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def distinct_series(path: str, filters: Filters, tz: str, bucket: str) -> pd.DataFrame:
    return call(path, "reads.distinct_series", filters, tz=tz, bucket=bucket)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def spikes(path: str, filters: Filters) -> pd.DataFrame:
    return call(path, "reads.spikes", filters)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def cumulative_potential_reach(path: str, filters: Filters, tz: str, bucket: str) -> pd.DataFrame:
    return call(path, "reads.cumulative_potential_reach", filters, tz=tz, bucket=bucket)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def top_posts(path: str, filters: Filters, limit: int = 10) -> pd.DataFrame:
    return call(path, "reads.top_posts", filters, limit=limit)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def extreme_posts(path: str, filters: Filters, most: str, limit: int = 10) -> pd.DataFrame:
    return call(path, "reads.extreme_posts", filters, most=most, limit=limit)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def top_amplifiers(path: str, filters: Filters, limit: int = 15) -> pd.DataFrame:
    return call(path, "reads.top_amplifiers", filters, limit=limit)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def top_hashtags(path: str, filters: Filters, tracked: tuple[str, ...], limit: int = 15) -> pd.DataFrame:
    return call(path, "reads.top_hashtags", filters, tracked=list(tracked), limit=limit)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def sentiment_histogram(path: str, filters: Filters) -> pd.DataFrame:
    return call(path, "reads.sentiment_histogram", filters)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def data_bounds(path: str, campaign_id: int) -> tuple[str | None, str | None]:
    return call(path, "reads.data_bounds", campaign_id)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def campaign_totals(path: str, campaign_id: int) -> int:
    return call(path, "reads.campaign_totals", campaign_id)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def open_alerts(path: str, campaign_id: int | None = None) -> pd.DataFrame:
    return call(path, "reads.open_alerts", campaign_id)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def last_runs(path: str, limit: int = 50) -> pd.DataFrame:
    return call(path, "reads.last_runs", limit)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def source_summary(path: str, now: str, days: int = 30) -> pd.DataFrame:
    return call(path, "reads.source_summary", now, days)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def quarantined(path: str, limit: int = 50) -> pd.DataFrame:
    return call(path, "reads.quarantined", limit)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def mentions_by_side(path: str, filters: Filters) -> dict[str, int]:
    return call(path, "reads.mentions_by_side", filters)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def spike_episodes(path: str, filters: Filters) -> pd.DataFrame:
    return call(path, "reads.spike_episodes", filters)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def first_hour(path: str, filters: Filters) -> pd.Timestamp | None:
    return call(path, "reads.first_hour", filters)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def post_bounds(path: str, campaign_id: int) -> tuple[str | None, str | None]:
    return call(path, "reads.post_bounds", campaign_id)

# -- the Safety page ---------------------------------------------------------------------------

@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def aimed_mentions(path: str, campaign_id: int, start: str, end: str, tracker_ids: tuple[int, ...] = (),
                   min_score: float | None = None, max_score: float | None = None, reviewed: bool | None = None,
                   limit: int = 200) -> pd.DataFrame:
    return call(path, "safety.aimed_mentions", campaign_id, start, end, tracker_ids=tracker_ids, min_score=min_score,
                max_score=max_score, reviewed=reviewed, limit=limit)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def aimed_totals(path: str, campaign_id: int, start: str, end: str, threshold: float) -> pd.DataFrame:
    return call(path, "safety.aimed_totals", campaign_id, start, end, threshold)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def support_series(path: str, campaign_id: int, start: str, end: str, tz: str, threshold: float) -> pd.DataFrame:
    return call(path, "safety.support_series", campaign_id, start, end, tz, threshold)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def reviews(path: str, campaign_id: int) -> list[tuple]:
    return call(path, "safety.reviews", campaign_id)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def pile_on_alerts(path: str, campaign_id: int) -> pd.DataFrame:
    return call(path, "safety.pile_on_alerts", campaign_id)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def audit_view(path: str, campaign_id: int) -> pd.DataFrame:
    return call(path, "safety.audit_view", campaign_id)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def overruled(path: str, campaign_id: int) -> pd.DataFrame:
    return call(path, "overruled", campaign_id)


def evidence_rows(path: str, campaign_id: int, uids: list[str]) -> list[dict]:
    """Not cached: an export reads the posts as they are at that moment."""
    return call(path, "safety.evidence_rows", campaign_id, uids)


def changed() -> None:
    """After a write that moves numbers (a correction, a verdict, an acknowledgement, a reveal):
    every cached read is dropped, so each page shows the change at once."""
    st.cache_data.clear()


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def report_status(path: str, campaign_id: int, now: str) -> pd.DataFrame:
    """Each call to action and event of a campaign: ready, drafted, with notes (as of `now`, the cache key)."""
    from campaigns.model import to_datetime

    return call(path, "reports.status", campaign_id, to_datetime(now))


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def report(path: str, kind: str, subject_id: int):
    """The post-action report of one call to action or event (its notes are read fresh by the page)."""
    return call(path, "reports.report", call(path, "reports.subject", kind, subject_id))


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def campaign_report(path: str, campaign_id: int):
    return call(path, "reports.campaign_report", campaign_id)
