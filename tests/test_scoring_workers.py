"""Scoring workers end with the process that started them, even when it is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")


def _children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                # The command name is in brackets and may hold spaces: fields follow its last ')'.
                state, parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            if int(parent) == pid and state != "Z":
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _wait_for(condition, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    return condition()


def test_a_killed_import_leaves_no_scoring_worker_behind(tmp_path):
    from bench.texts import write_jsonl, x_pages

    texts = [f"Post {n}: the officers did a great job today, thank you all #LoveSUs" for n in range(20_000)]
    pages = write_jsonl(x_pages(texts, first_id=10**18, until=datetime(2026, 11, 20, tzinfo=UTC)),
                        tmp_path / "pages.jsonl")
    db = tmp_path / "g.db"
    env = {**os.environ, "GROUNDSWELL_DB": str(db), "GROUNDSWELL_SCORING_WORKERS": "2",
           "GROUNDSWELL_DETECT_LANGUAGE": "0"}
    command = [sys.executable, "-m", "groundswell"]
    subprocess.run([*command, "init", "--campaigns-file", str(tmp_path / "campaigns.yaml")], env=env,
                   cwd=tmp_path, check=True, capture_output=True, timeout=120)
    importing = subprocess.Popen([*command, "import", str(pages), "--format", "x", "--batch-size", "500"],
                                 env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        workers = _wait_for(lambda: len(_children(importing.pid)) >= 2 and _children(importing.pid), 60)
        assert importing.poll() is None, importing.stderr.read().decode()
        assert len(workers) >= 2, "the import never started its two scoring workers"
        os.kill(importing.pid, signal.SIGKILL)
        importing.wait(timeout=10)
        assert importing.returncode == -signal.SIGKILL
        left = _wait_for(lambda: not any(_alive(pid) for pid in workers), 10)
        assert left, f"scoring workers still running after their parent was killed: {[p for p in workers if _alive(p)]}"
    finally:
        if importing.poll() is None:
            importing.kill()
