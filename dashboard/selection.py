"""What the sidebar chose (campaign, time range, platforms, side) turned into metric Filters; no Streamlit here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from campaigns import clock
from campaigns.metrics import CHANGE_BASE_MIN, Filters, buckets
from campaigns.model import Campaign, iso_utc, to_datetime

PRESETS = ("Last 24 hours", "Last 7 days", "Last 30 days", "Last 90 days", "Campaign to date", "Custom dates")
DEFAULT_PRESET = "Last 7 days"
# How each preset reads in a page's URL (?range=7d); custom dates add ?dates=2026-11-01..2026-11-07.
PRESET_SLUGS = {"Last 24 hours": "24h", "Last 7 days": "7d", "Last 30 days": "30d", "Last 90 days": "90d",
                "Campaign to date": "campaign", "Custom dates": "dates"}
# The sidebar's view in every page's URL, so a link opens the same view on any page.
VIEW_KEYS = ("campaign", "range", "dates", "platforms", "side")
# Our side first: headlines count it unless another side is chosen; "all" mixes them, on purpose only.
SIDE_CHOICES = {"ours": ("ours",), "opposing": ("opposing",), "monitor": ("monitor",), "protect": ("protect",),
                "all": ()}
DEFAULT_SIDE = "ours"
# Up to this many hours a chart shows hours; beyond, local days.
HOURLY_UP_TO = 72


def next_hour(moment: datetime) -> datetime:
    """The end of the hour `moment` is in, so the current hour is inside a range ending 'now'."""
    floored = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return floored if floored == moment else floored + timedelta(hours=1)


def window(preset: str, campaign: Campaign | None, now: datetime,
           custom: tuple[date, date] | None = None, tz: str = "UTC") -> tuple[datetime, datetime]:
    """The [start, end) UTC window of a preset; custom dates are whole local days in `tz`.

    Every window falls on whole UTC hours (for zones with whole-hour offsets), so counts come
    from the hourly roll-up.
    """
    end = next_hour(now)
    if preset.startswith("Last "):
        amount, unit = preset.split()[1:3]
        hours = int(amount) * (24 if unit.startswith("day") else 1)
        return end - timedelta(hours=hours), end
    if preset == "Campaign to date":
        start = to_datetime(campaign.starts_at, tz) if campaign else end - timedelta(days=30)
        start = start.replace(minute=0, second=0, microsecond=0)
        if campaign and campaign.ends_at:
            end = min(end, next_hour(to_datetime(campaign.ends_at, tz, end_of_day=True)))
        return min(start, end - timedelta(hours=1)), end
    if preset == "Custom dates":
        first, last = custom if custom else (end.date() - timedelta(days=6), end.date())
        zone = ZoneInfo(tz)
        start = datetime.combine(first, time.min, zone).astimezone(UTC)
        finish = datetime.combine(last + timedelta(days=1), time.min, zone).astimezone(UTC)
        return start, max(finish, start + timedelta(hours=1))
    raise ValueError(f"unknown time range preset {preset!r}")


@dataclass
class Selection:
    """The sidebar's choices, shared by every page through st.session_state['selection']."""

    db_path: str
    campaigns: list[Campaign]
    campaign: Campaign | None
    start: datetime
    end: datetime
    tz: str = "UTC"
    preset: str = DEFAULT_PRESET
    platforms: tuple[str, ...] = ()
    side: str = DEFAULT_SIDE
    now: datetime = field(default_factory=clock.now)
    custom: tuple[date, date] | None = None     # the local dates of "Custom dates", first and last

    @property
    def sides(self) -> tuple[str, ...]:
        return SIDE_CHOICES[self.side]

    @property
    def bucket(self) -> str:
        return "hour" if (self.end - self.start) <= timedelta(hours=HOURLY_UP_TO) else "day"

    @property
    def side_words(self) -> str:
        """The side the headlines count, in words."""
        return {"ours": "our side", "all": "every side"}.get(self.side, f"the {self.side} side")

    def buckets(self) -> list[pd.Timestamp]:
        """Every bucket label of the window, as reads.series labels them: a chart's full time axis,
        so a bucket without posts is a gap, not a line drawn across it."""
        return [b.label for b in buckets(self.start, self.end, self.tz, self.bucket)]

    def filters(self, campaign_id: int | None = None, *, sides: tuple[str, ...] | None = None) -> Filters:
        """Filters for a campaign (the selected one by default) over the chosen window."""
        chosen = campaign_id if campaign_id is not None else self.campaign.id
        return Filters(chosen, iso_utc(self.start), iso_utc(self.end), tuple(self.platforms),
                       self.sides if sides is None else sides)

    def previous(self, campaign_id: int | None = None) -> Filters:
        """The same filters over the window of the same length just before this one."""
        length = self.end - self.start
        current = self.filters(campaign_id)
        return current.shifted(iso_utc(self.start - length), iso_utc(self.start))

    def label(self) -> str:
        """The window as a reader sees it, in the campaign's time zone, which it names."""
        zone = ZoneInfo(self.tz)
        start, end = self.start.astimezone(zone), self.end.astimezone(zone)
        return f"{start:%d %b %Y %H:%M} to {end:%d %b %Y %H:%M} ({self.tz})"

    def previous_label(self) -> str:
        length = self.end - self.start
        hours = length.total_seconds() / 3600
        return f"previous {hours:.0f} hours" if hours <= HOURLY_UP_TO else f"previous {hours / 24:.0f} days"


def format_count(value: int | float | None) -> str:
    """A count with thousands separators; unknown is 'n/a', never 0."""
    return "n/a" if value is None else f"{value:,.0f}"


def format_net(net: float | None) -> str:
    """Net sentiment, -1..1, or n/a when no post was positive or negative."""
    return "n/a" if net is None else f"{net:+.2f}"


def format_basis(basis: int) -> str:
    """The count a net sentiment rests on, shown beside it."""
    return f"rests on {basis:,} scored post{'' if basis == 1 else 's'}"


def format_share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def format_change(change: float | None, base: float | None = None) -> str | None:
    """'+12%' ('+1.5%' under ten), or None when a change has no meaning (from zero, or unknown).

    A change from a base under metrics.CHANGE_BASE_MIN says what it is from: '+2000% (from 6)'.
    """
    if change is None:
        return None
    text = f"{change:+.1%}" if abs(change) < 0.1 else f"{change:+.0%}"
    if base is not None and base < CHANGE_BASE_MIN:
        text += f" (from {base:,.0f})"
    return text


def format_points(now: float | None, before: float | None, base: float | None = None) -> str | None:
    """The change of a share in percentage points ('+3 pts'), with its base when that is small."""
    if now is None or before is None:
        return None
    text = f"{(now - before) * 100:+.0f} pts"
    if base is not None and base < CHANGE_BASE_MIN:
        text += f" (from {base:,.0f} posts)"
    return text


def view_params(chosen: Selection) -> dict[str, str]:
    """The sidebar's view as URL query values (VIEW_KEYS); a value left at nothing is left out."""
    if chosen.campaign is None:
        return {}
    values = {"campaign": chosen.campaign.slug, "range": PRESET_SLUGS.get(chosen.preset, ""),
              "dates": f"{chosen.custom[0]:%Y-%m-%d}..{chosen.custom[1]:%Y-%m-%d}"
              if chosen.preset == "Custom dates" and chosen.custom else "",
              "platforms": ",".join(chosen.platforms), "side": chosen.side}
    return {key: value for key, value in values.items() if value}


def view_from_params(params: Mapping[str, str], campaigns: set[str], platforms: tuple[str, ...]) -> tuple[dict, list[str]]:
    """The sidebar's values (by widget key) that a link's query asks for, and the names of the
    values it could not read (left out, so the sidebar keeps its own)."""
    chosen: dict = {}
    refused: list[str] = []
    presets = {slug: preset for preset, slug in PRESET_SLUGS.items()}
    for key in VIEW_KEYS:
        value = params.get(key)
        if value in (None, ""):
            continue
        if key == "campaign" and value in campaigns:
            chosen["campaign"] = value
        elif key == "range" and value in presets:
            chosen["range_preset"] = presets[value]
        elif key == "dates" and (days := _dates(value)) is not None:
            chosen["range_custom"] = days
        elif key == "platforms" and set(value.split(",")) <= set(platforms):
            chosen["platforms"] = list(dict.fromkeys(value.split(",")))
        elif key == "side" and value in SIDE_CHOICES:
            chosen["side"] = value
        else:
            refused.append(key)
    if "range_custom" in chosen and "range_preset" not in chosen:
        chosen["range_preset"] = "Custom dates"
    if chosen.get("range_preset") != "Custom dates":
        chosen.pop("range_custom", None)
    return chosen, refused


def _dates(text: str) -> tuple[date, date] | None:
    first, _, last = text.partition("..")
    try:
        days = date.fromisoformat(first), date.fromisoformat(last or first)
    except ValueError:
        return None
    return days if days[0] <= days[1] else None
