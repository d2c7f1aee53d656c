"""Files people take away: CSV that no spreadsheet runs as a formula, and JSON Lines, each with what they hold."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable

import pandas as pd

# A cell starting with one of these is read as a formula by spreadsheets (CSV injection), also
# after blanks some of them skip, and in the full-width forms some of them accept.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Control characters shown as their Unicode pictures (ESC as ␛), so a terminal or a sheet shows
# them and obeys none; line breaks and tabs inside a cell stay.
_CONTROL_PICTURES = {code: 0x2400 + code for code in range(0x20) if chr(code) not in "\t\n\r"}
_CONTROL_PICTURES.update({0x7F: 0x2421, **{code: 0xFFFD for code in range(0x80, 0xA0)}})


def visible_controls(text: str) -> str:
    """Text with its control characters (terminal escapes, bells, NUL) shown as symbols, not obeyed."""
    return text.translate(_CONTROL_PICTURES)


def safe_cell(value):
    """A value as a CSV cell: text that a spreadsheet would run as a formula gets a leading
    apostrophe (shown, never executed), control characters are shown as symbols; numbers stay numbers."""
    if not isinstance(value, str):
        return value
    value = visible_controls(value)
    if value.startswith(FORMULA_STARTS) or value.lstrip(" \t\r\n").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _plain(value):
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ") if value.tzinfo else value.isoformat()
    if hasattr(value, "item"):   # numpy scalars
        return value.item()
    return value


def to_csv(frame: pd.DataFrame, about: Iterable[tuple[str, str]] = ()) -> bytes:
    """The frame as UTF-8 CSV, formula-safe; `about` lines (what the file holds: filters, time
    zone, when) come first as '# name: value' lines, which spreadsheets show as text."""
    out = io.StringIO()
    for name, value in about:
        out.write(visible_controls(f"# {name}: {value}".replace("\n", " ").replace("\r", " ")) + "\n")
    writer = csv.writer(out)
    writer.writerow([safe_cell(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False):
        writer.writerow([safe_cell(_plain(v)) for v in row])
    return out.getvalue().encode("utf-8")


def to_jsonl(frame: pd.DataFrame, about: Iterable[tuple[str, str]] = ()) -> bytes:
    """The frame as JSON Lines: a first line {"about": {...}} saying what the file holds, then one
    object per row."""
    lines = [json.dumps({"about": dict(about)}, ensure_ascii=False)] if about else []
    columns = list(frame.columns)
    for row in frame.itertuples(index=False):
        lines.append(json.dumps({c: _plain(v) for c, v in zip(columns, row, strict=True)}, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")
