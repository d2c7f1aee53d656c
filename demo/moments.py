"""The demo's moments: the bursts it generates, and when each happens in a demo period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Moment:
    """Something that happened in a demo campaign and moved the numbers: an action we called,
    an event we held, or a push by the other side. `at` is a fraction of the demo period."""

    at: float
    local_hour: int
    kind: str            # "action", "event" or "opposing"
    title: str
    tag: str             # the hashtag the burst carries
    lift: float          # extra mentions per hour at the peak, as a multiple of the base rate
    hours: float         # how long the burst takes to decay to a third


def moment_time(moment: Moment, starts: datetime, ends: datetime, tz: str) -> datetime:
    """When a moment happened, in UTC: its fraction of the period, at its local hour."""
    day = (starts + (ends - starts) * moment.at).astimezone(ZoneInfo(tz))
    return day.replace(hour=moment.local_hour, minute=0, second=0, microsecond=0).astimezone(UTC)
