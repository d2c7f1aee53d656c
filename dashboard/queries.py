"""Cached read functions for the pages: thin st.cache_data wrappers over campaigns.metrics and campaigns.queries.

Each takes the database path first, so two databases never share a cache entry, and expires
after REFRESH_SECONDS, so numbers written by the scheduler show up without a restart.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import streamlit as st

from campaigns import metrics
from campaigns import queries as campaign_queries
from campaigns.metrics import Filters
from campaigns.model import Campaign
from campaigns.store import Store, resolve_db_path

REFRESH_SECONDS = 60
# One connection is shared by every session; sqlite3 objects must not be used by two threads at once.
_lock = threading.Lock()


def db_path() -> str:
    """The database the dashboard reads: GROUNDSWELL_DB, else ./groundswell.db."""
    return str(resolve_db_path().resolve())


@st.cache_resource(show_spinner=False)
def store(path: str) -> Store:
    """The store for this path, opened (and migrated) once per server process."""
    return Store.open(Path(path))


def _run(path: str, function, *args, **kwargs):
    opened = store(path)
    with _lock:
        return function(opened.db.conn, *args, **kwargs)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def campaigns(path: str) -> list[Campaign]:
    opened = store(path)
    with _lock:
        return opened.campaigns()


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def kpis(path: str, filters: Filters) -> metrics.Kpis:
    return _run(path, metrics.kpis, filters)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def series(path: str, filters: Filters, tz: str, bucket: str, by: tuple[str, ...] = ("platform",)) -> pd.DataFrame:
    return _run(path, metrics.series, filters, tz=tz, bucket=bucket, by=by)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def distinct_series(path: str, filters: Filters, tz: str, bucket: str) -> pd.DataFrame:
    return _run(path, metrics.distinct_series, filters, tz=tz, bucket=bucket)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def spikes(path: str, filters: Filters) -> pd.DataFrame:
    return _run(path, metrics.spikes, filters)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def cumulative_potential_reach(path: str, filters: Filters, tz: str, bucket: str) -> pd.DataFrame:
    return _run(path, campaign_queries.cumulative_potential_reach, filters, tz=tz, bucket=bucket)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def top_posts(path: str, filters: Filters, limit: int = 10) -> pd.DataFrame:
    return _run(path, campaign_queries.top_posts, filters, limit=limit)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def extreme_posts(path: str, filters: Filters, most: str, limit: int = 10) -> pd.DataFrame:
    return _run(path, campaign_queries.extreme_posts, filters, most=most, limit=limit)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def top_amplifiers(path: str, filters: Filters, limit: int = 15) -> pd.DataFrame:
    return _run(path, campaign_queries.top_amplifiers, filters, limit=limit)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def top_hashtags(path: str, filters: Filters, tracked: tuple[str, ...], limit: int = 15) -> pd.DataFrame:
    return _run(path, campaign_queries.top_hashtags, filters, tracked=list(tracked), limit=limit)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def sentiment_histogram(path: str, filters: Filters) -> pd.DataFrame:
    return _run(path, campaign_queries.sentiment_histogram, filters)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def data_bounds(path: str, campaign_id: int) -> tuple[str | None, str | None]:
    return _run(path, campaign_queries.data_bounds, campaign_id)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def campaign_totals(path: str, campaign_id: int) -> int:
    return _run(path, campaign_queries.campaign_totals, campaign_id)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def open_alerts(path: str, campaign_id: int | None = None) -> pd.DataFrame:
    return _run(path, campaign_queries.open_alerts, campaign_id)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def last_runs(path: str, limit: int = 50) -> pd.DataFrame:
    return _run(path, campaign_queries.last_runs, limit)


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def source_summary(path: str, now: str, days: int = 30) -> pd.DataFrame:
    return _run(path, campaign_queries.source_summary, now, days)
