"""Demo databases of a given size for the benchmark, built once and kept under bench/data/.

A database is reused while the code that decides its content (the demo generator, the matching
rules) is unchanged; the file name carries a fingerprint of that code. A schema change is applied
to a database kept here as to any other, by its migrations when it is opened: a migration must
bring a database to what the new code would have built, and the ten-million database takes
hours to build.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from campaigns.settings import Settings
from campaigns.store import Store

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
UNTIL = datetime(2026, 11, 20, 12, tzinfo=UTC)
DAYS = 90
CAMPAIGNS = 20
SEED = 7
# The campaign the query benchmark reads: the largest demo campaign, in a non-UTC time zone.
CAMPAIGN = "antisocial"
_CONTENT_CODE = ("demo/data.py", "campaigns/matching.py")


@dataclass
class BuiltDatabase:
    mentions: int
    path: Path
    bytes: int
    build_s: float | None      # how long building it took, in this run or the one that built it
    reused: bool = False       # built by an earlier run


def _about(path: Path) -> Path:
    """Where a database's build is described: how long it took and when."""
    return path.with_name(path.name + ".json")


def fingerprint() -> str:
    digest = hashlib.sha256()
    for name in _CONTENT_CODE:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()[:10]


def database(mentions: int, data: Path = DATA, log=print) -> BuiltDatabase:
    """The demo database of `mentions` posts over DAYS days and CAMPAIGNS campaigns, built if needed."""
    from demo.data import load_demo

    data.mkdir(parents=True, exist_ok=True)
    path = data / f"demo-{mentions}-seed{SEED}-{DAYS}d-{CAMPAIGNS}c-{fingerprint()}.db"
    if not path.exists():
        log(f"  building {path.name} ...")
        partial = path.with_suffix(".partial")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{partial}{suffix}").unlink(missing_ok=True)
        started = time.perf_counter()
        with Store.open(partial) as store:
            load_demo(store, Settings(db_path=partial), seed=SEED, mentions=mentions, days=DAYS,
                      campaigns=CAMPAIGNS, until=UNTIL)
            store.checkpoint()
        build_s = time.perf_counter() - started
        for suffix in ("-wal", "-shm"):
            Path(f"{partial}{suffix}").unlink(missing_ok=True)
        partial.rename(path)
        _about(path).write_text(json.dumps({"build_s": build_s, "built_at": time.strftime("%Y-%m-%d %H:%M UTC",
                                                                                            time.gmtime())}))
        # A database built by older code is never read again; a 1M one is a gigabyte.
        for stale in data.glob(f"demo-{mentions}-seed{SEED}-{DAYS}d-{CAMPAIGNS}c-*.db*"):
            if not stale.name.startswith(path.name):
                stale.unlink()
        return BuiltDatabase(mentions, path, path.stat().st_size, build_s)
    with Store.open(path) as store:   # the migrations written since it was built
        if store.applied_migrations:
            log(f"  {path.name}: applied {', '.join(store.applied_migrations)}")
            store.checkpoint()
    about = json.loads(_about(path).read_text()) if _about(path).exists() else {}
    return BuiltDatabase(mentions, path, path.stat().st_size, about.get("build_s"), reused=True)
