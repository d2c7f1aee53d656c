"""A click on a chart turned into the Posts page's view of exactly the posts behind it; no Streamlit here."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from campaigns.metrics import buckets
from campaigns.model import iso_utc
from dashboard.selection import Selection

POSTS_PAGE = "app_pages/posts.py"


@dataclass(frozen=True)
class Drill:
    """Where a click leads: the Posts page's URL view, the chart's count of those posts (None when
    the chart's figure is not a count of posts: reach, engagement, a ratio), and what the chart
    showed, in words, for the Posts page to say above the posts."""

    params: dict[str, str]
    count: int | None
    note: str
    value: float | None = field(default=None, compare=False)


def _value(trace: dict, axis: str, index: int):
    values = trace.get(axis)
    if values is None:
        return None
    if isinstance(values, dict) and "bdata" in values:   # a figure's JSON: Plotly packs numbers as base64
        values = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    # By position: a figure's arrays may still be Series indexed by the rows of their frame.
    values = values.tolist() if hasattr(values, "tolist") else list(values)
    if index >= len(values):
        return None
    value = values[index]
    if isinstance(value, list | tuple):  # customdata of several columns: the count is not among them
        return None
    try:
        return None if pd.isna(value) else float(value)
    except (TypeError, ValueError):
        return None


def _title(figure: dict) -> str:
    title = (figure.get("layout") or {}).get("title") or {}
    text = title.get("text", "") if isinstance(title, dict) else str(title)
    return re.sub(r"<[^>]+>", " ", text.split("<br>")[0]).strip()


def _bucket(chosen: Selection, label: str):
    """The chart's bucket whose label is this instant: its [start, end) in UTC."""
    wanted = pd.Timestamp(label)
    return next((b for b in buckets(chosen.start, chosen.end, chosen.tz, chosen.bucket) if b.label == wanted), None)


def _local(moment, tz: str) -> str:
    return pd.Timestamp(moment).tz_convert(ZoneInfo(tz)).strftime("%d %b %Y %H:%M")


def target(figure: dict, point: dict, chosen: Selection, threshold: float) -> Drill | None:
    """The posts behind one clicked point of a figure built by dashboard.charts (its `meta`):
    the sidebar's campaign, platforms and sides narrowed by what the point stands for (its
    bucket's [start, end), platform, side, tone, hashtag, author or tone slice); None for a
    point that stands for no posts (a trace without a drill-down)."""
    if not isinstance(point, dict):
        return None
    curve = point.get("curve_number")
    index = point.get("point_index", point.get("point_number"))
    traces = figure.get("data") or []
    # The selection comes from the browser: anything but two indices in range is no click at all.
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (curve, index)) or not 0 <= curve < len(traces):
        return None
    trace = traces[curve]
    meta = trace.get("meta") or {}
    if not isinstance(meta, dict) or "drill" not in meta or not 0 <= index < len(meta.get("points", [])):
        return None
    here = {**meta["drill"], **meta["points"][index]}
    start, end = chosen.start, chosen.end
    where = ""
    if "bucket" in here:
        bucket = _bucket(chosen, here["bucket"])
        if bucket is None:
            return None
        start, end = (chosen.start if here.get("cumulative") else bucket.start), bucket.end
        where = f"{_local(start, chosen.tz)} to {_local(end, chosen.tz)} ({chosen.tz})"
    elif "from" in here:
        start, end = max(pd.Timestamp(here["from"]), pd.Timestamp(chosen.start)), pd.Timestamp(here["to"])
        where = f"{_local(start, chosen.tz)} to {_local(end, chosen.tz)} ({chosen.tz})"
    platforms = [here["platform"]] if here.get("platform") else list(chosen.platforms)
    sides = list(here.get("sides") or chosen.sides)
    params = {"from": iso_utc(pd.Timestamp(start).to_pydatetime()), "to": iso_utc(pd.Timestamp(end).to_pydatetime()),
              "post_platforms": ",".join(platforms), "post_sides": ",".join(sides),
              "kind": here.get("kind", ""), "tone": here.get("tone", ""),
              "tone_slot": "" if here.get("tone_slot") is None else str(here["tone_slot"]),
              "tag": here.get("tag", ""), "author": here.get("author", ""),
              "own_audience": "1" if here.get("own_audience") else "",
              "min_offensive": repr(float(threshold)) if here.get("offensive") else ""}
    params = {key: value for key, value in params.items() if value}
    count = _value(trace, here["count"], index) if here.get("count") else None
    shown_axis = "x" if trace.get("orientation") == "h" else "y"
    value = _value(trace, shown_axis, index)
    named = " · ".join(part for part in (
        f"#{here['tag']}" if here.get("tag") else "", here.get("author", ""), where) if part)
    chart = _title(figure)
    if "measure" in here:
        shown = "n/a" if value is None else f"{value:,.2f}".rstrip("0").rstrip(".")
        counted = "" if count is None else f", from {count:,.0f} posts"
        note = (f"From the chart “{chart}”: {here['measure']} {shown}{counted}, {named}. "
                f"Below are the {here['what']} behind it.")
    else:
        note = f"From the chart “{chart}”: {count:,.0f} {here['what']}, {named}." if count is not None else \
            f"From the chart “{chart}”: {here['what']}, {named}."
    return Drill(params, None if count is None else int(count), note, value)


def episode(chosen: Selection, start, end, mentions: int) -> Drill:
    """The posts of one spike episode (a row of the episodes table): its hours, the sidebar's
    platforms and sides, as the spike rule counted them."""
    start = max(pd.Timestamp(start), pd.Timestamp(chosen.start))
    params = {"from": iso_utc(start.to_pydatetime()), "to": iso_utc(pd.Timestamp(end).to_pydatetime()),
              "post_platforms": ",".join(chosen.platforms), "post_sides": ",".join(chosen.sides)}
    note = (f"From the spike episodes: {mentions:,} mentions, {_local(start, chosen.tz)} to "
            f"{_local(end, chosen.tz)} ({chosen.tz}).")
    return Drill({k: v for k, v in params.items() if v}, int(mentions), note)
