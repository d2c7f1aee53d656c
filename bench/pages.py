"""Page times: each dashboard page run server-side by Streamlit's AppTest, and the peak memory of that process.

Run as `python -m bench.pages DB` in a fresh process per database, so the peak resident memory
it prints (ru_maxrss) belongs to that database alone. Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

DASHBOARD = Path(__file__).resolve().parents[1] / "dashboard"
ENTRY = DASHBOARD / "streamlit_app.py"


def page_files() -> list[str]:
    """The page scripts, relative to the entry script, as st.navigation names them."""
    return [f"app_pages/{p.name}" for p in sorted((DASHBOARD / "app_pages").glob("*.py"))
            if not p.name.startswith("_")]


def _problems(at) -> str:
    return "; ".join(str(e.value)[:200] for e in at.exception)


def measure(db: Path) -> dict:
    """Startup, then each page's first visit (cold caches) and a second visit (warm caches)."""
    os.environ["GROUNDSWELL_DB"] = str(Path(db).resolve())
    result: dict = {"pages": [], "missing": ""}
    if not ENTRY.is_file():
        result["missing"] = "dashboard/streamlit_app.py is not present"
    else:
        from streamlit.testing.v1 import AppTest

        at = AppTest.from_file(str(ENTRY), default_timeout=120)
        started = time.perf_counter()
        at.run()
        result["startup_s"] = time.perf_counter() - started
        result["startup_errors"] = _problems(at)
        for page in page_files():
            started = time.perf_counter()
            at.switch_page(page).run()
            first = time.perf_counter() - started
            errors = _problems(at)
            started = time.perf_counter()
            at.run()
            again = time.perf_counter() - started
            result["pages"].append({"page": page, "first_s": first, "again_s": again, "errors": errors})
    result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]))))
