"""What the plan pages share: the page header, the one write door, date and time inputs, text kept literal."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from campaigns import planner
from campaigns.errors import GroundswellError
from campaigns.model import to_datetime
from dashboard import data, ui
from dashboard.selection import Selection
from dashboard.ui import literal

NEW = "new"


def header(title: str) -> Selection | None:
    """The plan page's title and what it is about; None when there is no campaign to show."""
    chosen = ui.selection()
    if chosen is None:
        return None
    st.title(title)
    st.caption(f"{literal(chosen.campaign.name)} · times in {chosen.tz} · forms check every value before "
               "anything is saved")
    return chosen


def read(chosen: Selection, verb: str, *args, **kwargs):
    """store.plan.<verb>(...) on the dashboard's read-only store; not cached, so what a form saved
    shows on the next rerun (plans are small, indexed reads)."""
    return data.call(chosen.db_path, f"plan.{verb}", *args, **kwargs)


def saved(message: str) -> None:
    """Say what was saved (the message's user text already made literal), and drop cached reads so
    every page shows it at once."""
    st.cache_data.clear()
    st.success(message, icon=":material/check:")


def attempt(chosen: Selection, verb: str, *args, **kwargs):
    """store.plan.<verb>(...) through the dashboard's one write door; a user's mistake is shown as one
    clear message and nothing changes."""
    try:
        return data.write(chosen.db_path, f"plan.{verb}", *args, **kwargs)
    except GroundswellError as error:
        refused(error)
        return None


def refused(error: GroundswellError) -> None:
    st.error(literal(error), icon=":material/error:")


def local_parts(stored: str | None, tz: str, fallback: datetime) -> tuple[date, time]:
    moment = to_datetime(stored).astimezone(ZoneInfo(tz)) if stored else fallback
    return moment.date(), moment.time().replace(second=0, microsecond=0)


def when_inputs(prefix: str, label: str, stored: str | None, tz: str, fallback: datetime) -> datetime:
    """A date and a time side by side, read as wall-clock time in the zone chosen in the form."""
    day, clock_time = local_parts(stored, tz, fallback)
    left, right = st.columns(2)
    chosen_day = left.date_input(f"{label} date", value=day, key=f"{prefix}_date", format="YYYY-MM-DD")
    chosen_time = right.time_input(f"{label} time", value=clock_time, key=f"{prefix}_time",
                                   step=timedelta(minutes=15))
    return datetime.combine(chosen_day, chosen_time)


def pick(label: str, options: dict, key: str) -> str:
    """A selectbox over {id: label} with a 'new' entry first; returns NEW or an id (options are plain text)."""
    choices = [NEW, *options]
    return st.selectbox(label, choices, key=key, format_func=lambda v: "+ add new" if v == NEW else options[v])


def local_table(frame: pd.DataFrame, columns: list[str], tz: str) -> pd.DataFrame:
    """Stored UTC instants as wall-clock text in `tz`, for tables people read."""
    shown = frame.copy()
    for column in columns:
        shown[column] = [planner.local_text(v, tz) if isinstance(v, str) and v else "" for v in shown[column]]
    return shown
