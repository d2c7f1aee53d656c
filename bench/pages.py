"""Page times: each dashboard page run server-side by Streamlit's AppTest, and the peak memory of that process.

Run as `python -m bench.pages DB` in a fresh process per database, so the peak resident memory
it prints (`peak_rss_mb`) belongs to that database alone. The sidebar is set to the benchmark's
campaign and to custom dates covering the last 7, then 90 days of the demo data (the demo ends
at a fixed time, so "Last 7 days" would drift away from it). Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from datetime import timedelta
from pathlib import Path

from bench.build import CAMPAIGN, UNTIL

DASHBOARD = Path(__file__).resolve().parents[1] / "dashboard"
ENTRY = DASHBOARD / "streamlit_app.py"
WINDOWS = {"7 days": 7, "90 days": 90}


def page_files() -> list[str]:
    """The page scripts, relative to the entry script, as st.navigation names them."""
    return [f"app_pages/{p.name}" for p in sorted((DASHBOARD / "app_pages").glob("*.py"))
            if not p.name.startswith("_")]


def _problems(at) -> str:
    return "; ".join(str(e.value)[:200] for e in at.exception)


def _choose(at, days: int) -> str:
    """Point the sidebar at the campaign and the last `days` days of data; '' when done, else why not."""
    try:
        at.selectbox(key="campaign").set_value(CAMPAIGN).run()
        at.selectbox(key="range_preset").set_value("Custom dates").run()
        last = UNTIL.date()
        at.date_input(key="range_custom").set_value((last - timedelta(days=days - 1), last)).run()
    except (KeyError, ValueError) as error:
        return f"the sidebar could not be set ({error}); pages ran on their default selection"
    return ""


def measure(db: Path) -> dict:
    """Startup, then for each window each page's first visit (cold caches) and a second visit."""
    os.environ["GROUNDSWELL_DB"] = str(Path(db).resolve())
    result: dict = {"pages": [], "missing": "", "selection": ""}
    if not ENTRY.is_file():
        result["missing"] = "dashboard/streamlit_app.py is not present"
    else:
        from streamlit import config
        from streamlit.testing.v1 import AppTest

        from groundswell.context import STREAMLIT_SETTINGS

        # The settings `groundswell dashboard` serves with: without them a page's time under
        # AppTest includes collecting usage statistics for every element, which a served page
        # never does.
        for name, value in STREAMLIT_SETTINGS.items():
            config.set_option(name, {"true": True, "false": False}.get(value, value))
        at = AppTest.from_file(str(ENTRY), default_timeout=120)
        started = time.perf_counter()
        at.run()
        result["startup_s"] = time.perf_counter() - started
        result["startup_errors"] = _problems(at)
        for window, days in WINDOWS.items():
            result["selection"] = _choose(at, days) or result["selection"]
            for page in page_files():
                started = time.perf_counter()
                at.switch_page(page).run()
                first = time.perf_counter() - started
                errors = _problems(at)
                started = time.perf_counter()
                at.run()
                again = time.perf_counter() - started
                result["pages"].append({"page": page, "window": window, "first_s": first,
                                        "again_s": again, "errors": errors})
    result["max_rss_mb"] = peak_rss_mb()
    return result


def peak_rss_mb() -> float:
    """This process's own peak resident memory. Linux's ru_maxrss keeps, across exec, the peak of
    the process it was forked from, so a page run started by the benchmark reported the
    benchmark's own size (1,246 MB at 100,000 and at 1,000,000 alike); the peak of this process's
    memory map (VmHWM) starts again at exec."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]))))
