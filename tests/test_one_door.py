"""The house's one door: no SQL outside campaigns/store/, and viewers that cannot write."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from campaigns.errors import StoreError
from campaigns.model import Campaign, Mention
from campaigns.store import Store

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("campaigns", "collectors", "dashboard", "groundswell", "demo")
SQL_CALLS = re.compile(r"\.execute\(|executemany|executescript|read_sql|sqlite3|\.db\.conn")


def test_every_sql_statement_is_inside_campaigns_store():
    outside = []
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.is_relative_to(ROOT / "campaigns" / "store"):
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if SQL_CALLS.search(line):
                    outside.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert outside == [], "SQL outside campaigns/store/:\n" + "\n".join(outside)


def test_a_read_only_store_refuses_every_write(db_path):
    with Store.open(db_path) as writable:
        writable.save_campaign(Campaign(slug="c", name="C", starts_at="2026-03-01"))
    before = db_path.read_bytes()
    viewer = Store.open(db_path, readonly=True)
    assert [c.slug for c in viewer.campaigns()] == ["c"]
    with pytest.raises(StoreError, match="cannot write"):
        viewer.upsert_mentions([Mention(platform="x", native_id="1", created_at="2026-03-01T00:00:00Z")])
    with pytest.raises(Exception, match="readonly"):
        viewer.save_campaign(Campaign(slug="d", name="D", starts_at="2026-03-01"))
    with pytest.raises(Exception, match="readonly"):
        viewer.audit("someone", "reveal")
    viewer.close()
    assert db_path.read_bytes() == before


def test_a_read_only_store_never_creates_or_migrates(tmp_path):
    missing = tmp_path / "typo.db"
    with pytest.raises(StoreError, match="groundswell init"):
        Store.open(missing, readonly=True)
    with pytest.raises(StoreError, match="groundswell init"):
        Store.open(missing, create=False)
    assert not missing.exists()
    Store.open(missing, migrate=False).close()  # an empty SQLite file, no schema
    with pytest.raises(StoreError, match="groundswell init"):
        Store.open(missing, readonly=True)
