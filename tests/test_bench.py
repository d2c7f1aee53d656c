"""The benchmark harness at a tiny size: every part runs and results.md holds every section.

Timings are never asserted here; bench/results.md from a full run holds the figures.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from bench import run
from bench.texts import REALWORLD_PAGES, unique_texts, x_pages
from collectors import x


def test_unique_texts_are_distinct_and_each_carries_a_tracked_tag():
    tags = ["#AntiSocialMedia", "#SaveOurLibraries"]
    texts = unique_texts(3000, tags)
    assert len(set(texts)) == 3000
    assert all(any(tag in text for tag in tags) for text in texts)


def test_bench_pages_map_to_one_new_mention_per_text():
    from datetime import UTC, datetime

    texts = unique_texts(250, ["#LoveSUs"])
    pages = x_pages(texts, first_id=10**18, until=datetime(2026, 11, 20, tzinfo=UTC))
    mentions = [m for page in pages for m in x.map_page(page)]
    assert [m.text for m in mentions] == texts
    assert len({m.uid for m in mentions}) == 250
    assert all(m.author_followers is not None and m.lang == "en" for m in mentions)


def test_quick_run_writes_every_section_of_the_results(tmp_path, capsys):
    out = tmp_path / "results.md"
    assert run.main(["--sizes", "1000,2000", "--ingest", "2000", "--runs", "2", "--repeats", "1", "--workers", "2",
                     "--data", str(tmp_path / "data"), "--out", str(out)]) == 0
    text = out.read_text()
    for heading in ("## Machine", "## Targets", "## Databases", "## Ingest", "## Queries", "## Pages"):
        assert heading in text
    assert re.search(r"\| cores \| \d+ \|", text)
    # Both databases were built and measured on disk.
    assert re.search(r"\| 1,000 \| \d+ MiB \| [\d.]+ GiB \| \d+ s", text)
    assert re.search(r"\| 2,000 \| \d+ MiB \|", text)
    # Every ingest path and both baselines were measured, with a rate and a ratio.
    for path in ("VADER scorer alone", "abuse scorer alone", "raw executemany of the same rows",
                 "ingest, one process", "ingest, one process, without the search index",
                 "ingest, scoring over 2 processes"):
        assert re.search(rf"\| {re.escape(path)}[^|]* \| [\d,]+ \| [\d,.]+ \| [\d.]+x \|", text), path
    assert "2,000 unique posts" in text
    # Where a post's CPU time goes, stage by stage, and the stages add up to the whole.
    stages = {name: float(value) for name, value in re.findall(r"\| ([a-z ,()]+) \| ([\d.]+) \|", text)
              if name in ("read and map", "score (tone, offensive language)", "match, store and roll up", "all")}
    assert len(stages) == 4 and abs(sum(v for k, v in stages.items() if k != "all") - stages["all"]) < 0.3
    # Within the store's stage, what each statement costs, named by the table it writes, and the
    # statements and the store's Python add up to the stage.
    statements = dict(re.findall(r"\| (write mention_matches|all statements|the store's Python[^|]*) \| (-?[\d.]+) \|", text))
    assert len(statements) == 3, statements
    assert abs(float(statements["all statements"]) + float(statements["the store's Python (the rest of the stage)"])
               - stages["match, store and roll up"]) < 0.3
    # Nearly every post matches a campaign (a real tweet may hold a campaign's excluded word).
    matches = int(re.search(r"([\d,]+) campaign matches", text).group(1).replace(",", ""))
    assert 1900 <= matches <= 2100
    # The metrics queries were timed at both sizes over both windows.
    for window in ("7 days", "90 days"):
        assert re.search(rf"\| Overview \| kpis \| {window} \| [\d.]+ / [\d.]+ \| [\d.]+ / [\d.]+ \|", text)
        assert re.search(rf"\| Traction \| spikes \| {window} \| [\d.]+ / [\d.]+ \|", text)
    assert "ingest in one process >= 0.7x the scorer's rate" in text
    if (REALWORLD_PAGES / "brexit.jsonl").is_file():   # the real pages' import, beside the library on their texts
        assert re.search(r"\| ingest, one process, real twarc pages repeated \| [\d,]+ \| [\d,.]+ \| [\d.]+x \|", text)
    # A cost, or "none measured" when the run with the index was the faster one.
    assert re.search(r"the search index costs ingest <= 10% \| ([\d.]+%|none measured \(with it [\d.]+% faster[^)]*\)) \(",
                     text)
    assert "every dashboard read p95 < 50 ms at 2,000 mentions" in text
    assert re.search(r"peak memory|Peak memory", text)
    # A second run reuses the databases instead of building them again.
    run.main(["--sizes", "1000", "--ingest", "200", "--runs", "1", "--no-pages",
              "--data", str(tmp_path / "data"), "--out", str(out)])
    assert "| reused (built in " in out.read_text()


def test_store_levers_time_every_variant_beside_the_shipped_schema(tmp_path, capsys):
    from bench import store_levers

    assert store_levers.main(["--size", "1000", "--posts", "300", "--rounds", "2", "--data", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name in store_levers.VARIANTS:
        assert re.search(rf"\| {re.escape(name)} \| [\d.]+ \| [\d.]+ \| [\d.]+ \|", out), name
    assert re.search(r"\| as shipped \| [\d.]+ \| [\d.]+ \| 1\.000 \| nothing \|", out)
    # Each copy differs from the shipped schema in the one respect it is named for.
    copies = {p.name: p for p in (tmp_path / "levers").glob("*.db") if p.name != "target.db"}
    without_rowid = next(p for name, p in copies.items() if "WITHOUT-ROWID" in name)
    sql = sqlite3.connect(without_rowid).execute(
        "SELECT sql FROM sqlite_master WHERE name = 'mention_hashtags'").fetchone()[0]
    assert sql.endswith("WITHOUT ROWID")
    paged = next(p for name, p in copies.items() if "8-KiB" in name)
    assert sqlite3.connect(paged).execute("PRAGMA page_size").fetchone()[0] == 8192
    clustered = next(p for name, p in copies.items() if "clustered" in name)
    sql = sqlite3.connect(clustered).execute(
        "SELECT sql FROM sqlite_master WHERE name = 'mention_matches'").fetchone()[0]
    assert "PRIMARY KEY (campaign_id, created_at, mention_uid)" in sql and sql.endswith("WITHOUT ROWID")
    no_indexes = next(p for name, p in copies.items() if "no-author" in name)
    assert not sqlite3.connect(no_indexes).execute(
        "SELECT 1 FROM sqlite_master WHERE name = 'mention_matches_authors'").fetchone()


def test_a_page_run_reports_its_own_peak_memory_not_that_of_the_process_that_started_it():
    held = bytearray(1000 * 2**20)
    held[::4096] = b"\x01" * len(held[::4096])   # touched, so resident
    done = subprocess.run([sys.executable, "-c", "from bench.pages import peak_rss_mb; print(peak_rss_mb())"],
                          capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1])
    # Its own peak is a few hundred MB (the imports); the 1,000 MB held here are not in it.
    assert float(done.stdout) < 700, done.stdout
    del held
