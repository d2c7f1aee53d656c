"""The Planner page's reads and writes through campaigns.planner, on the dashboard's shared connection.

Not cached: plans are small, indexed queries, and a plan saved on one page must show on the
next (the Traction markers) at once.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from campaigns import planner
from dashboard import data


def run(path: str, function, *args, **kwargs):
    """Call a campaigns.planner function with the shared connection, one thread at a time."""
    opened = data.store(path)
    with data._lock:
        return function(opened.db.conn, *args, **kwargs)


def markers(path: str, campaign_id: int, start: datetime, end: datetime) -> pd.DataFrame:
    """Calls to action, events and opposing narratives in the range, as chart markers."""
    return run(path, planner.markers, campaign_id, start, end)
