"""Shared fixtures: a fresh store on a real SQLite file, and a small seeded demo database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from campaigns.settings import Settings
from campaigns.store import Store

# Beside the checkout (/work/main -> /work/shared), or one level further up from a git worktree
# (/work/wt/NAME -> /work/shared): the nearest ancestor that holds shared/realworld.
REALWORLD = next((folder / "shared" / "realworld" for folder in Path(__file__).resolve().parents[1:]
                  if (folder / "shared" / "realworld").is_dir()),
                 Path(__file__).resolve().parents[2] / "shared" / "realworld")
# The end of the demo period in tests: fixed, so every seeded database is the same.
DEMO_UNTIL = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture
def realworld() -> Path:
    """The folder of recorded real API responses beside the repository; skip when absent."""
    if not REALWORLD.is_dir():
        pytest.skip("../shared/realworld is not present")
    return REALWORLD


@pytest.fixture
def db_path(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "groundswell.db"
    monkeypatch.setenv("GROUNDSWELL_DB", str(path))
    monkeypatch.setenv("GROUNDSWELL_PSEUDONYM_KEY_FILE", str(tmp_path / "pseudonym.key"))
    monkeypatch.delenv("GROUNDSWELL_PSEUDONYMIZE", raising=False)
    return path


@pytest.fixture
def store(db_path) -> Store:
    opened = Store.open(db_path)
    yield opened
    opened.close()


@pytest.fixture
def settings(db_path) -> Settings:
    return Settings.from_env(db_path)


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """A demo database of 6,000 mentions over 30 days, built once per test session.

    Tests that write must copy it (see `demo_copy`).
    """
    from demo.data import load_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with Store.open(path) as seeded:
        load_demo(seeded, Settings(db_path=path), seed=3, mentions=6000, days=30, until=DEMO_UNTIL)
        seeded.checkpoint()
    return path


@pytest.fixture
def demo_copy(demo_db, tmp_path, monkeypatch) -> Path:
    """A private copy of the demo database, safe to write to; GROUNDSWELL_DB points at it."""
    import shutil

    path = tmp_path / "demo.db"
    shutil.copy(demo_db, path)
    monkeypatch.setenv("GROUNDSWELL_DB", str(path))
    return path
