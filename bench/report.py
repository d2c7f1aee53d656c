"""bench/results.md: the figures of one run, the machine, the versions, and each target met or missed."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench.build import ROOT, BuiltDatabase
from bench.ingest import (
    ONE_PROCESS,
    REAL_ONE_PROCESS,
    REAL_REFERENCE_VADER,
    REFERENCE_VADER,
    WITHOUT_SEARCH,
    IngestResult,
)
from bench.paths import PathTiming
from bench.queries import NO_PAGE, QueryTiming
from campaigns.store import BULK_BATCH

QUERY_P95_MS = 50.0
POSTS_P95_MS = 100.0     # the Posts page's search and filters
POSTS = "Posts"
PAGE_S = 0.5
MEMORY_GROWTH = 1.5
INGEST_VS_SCORER = 0.7
INGEST_REAL_VS_SCORER = 1.5   # on the real pages repeated, whose texts repeat
SEARCH_INDEX_LOSS = 0.10  # of the one-process ingest rate, to keeping the full-text index
# The target is set against the sentiment library itself, not the product's own faster scorer.
SCORER = REFERENCE_VADER
ONE = ONE_PROCESS
PACKAGES = ("streamlit", "pandas", "plotly", "sqlite-utils", "vaderSentiment", "alt-profanity-check",
            "scikit-learn", "numpy")


def machine() -> dict[str, str]:
    """Cores, memory, CPU model, and the versions that decide the figures."""
    info = {"cores": str(os.cpu_count()), "python": platform.python_version(),
            "SQLite": sqlite3.sqlite_version, "system": f"{platform.system()} {platform.release()}"}
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory"] = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    for name in PACKAGES:
        try:
            info[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            info[name] = "not installed"
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        info["groundswell commit"] = commit
    except (OSError, subprocess.CalledProcessError):
        pass
    return info


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def targets(databases: list[BuiltDatabase], ingest: IngestResult | None,
            queries: dict[int, list[QueryTiming]], pages: dict[int, dict],
            paths: dict[int, list[PathTiming]] | None = None) -> list[tuple[str, str, str]]:
    """(target, measured, met or missed) for each target the issue sets, at the largest size."""
    rows = []
    if ingest is not None:
        scorer, one = ingest.rates[SCORER], ingest.rates[ONE]
        rows.append((f"ingest in one process >= {INGEST_VS_SCORER}x the scorer's rate",
                     f"{one / scorer:.2f}x ({one:,.0f}/s vs {scorer:,.0f}/s)", _mark(one >= INGEST_VS_SCORER * scorer)))
        if WITHOUT_SEARCH in ingest.rates:
            bare = ingest.rates[WITHOUT_SEARCH]
            loss = 1 - one / bare
            # Faster with the index than without is the runs' spread, not a gain the index brings.
            cost = f"{loss:.1%}" if loss >= 0 else f"none measured (with it {-loss:.1%} faster: the runs' spread)"
            rows.append((f"the search index costs ingest <= {SEARCH_INDEX_LOSS:.0%}",
                         f"{cost} ({one:,.0f}/s with it, {bare:,.0f}/s without)",
                         _mark(loss <= SEARCH_INDEX_LOSS)))
        if ingest.same_as_one_by_one is not None:
            rows.append(("the import stores the database that storing its batches one by one stores",
                         "the same" if ingest.same_as_one_by_one else "different", _mark(ingest.same_as_one_by_one)))
        if ingest.real:
            real, reference = ingest.real[REAL_ONE_PROCESS], ingest.real[REAL_REFERENCE_VADER]
            rows.append((f"ingest of the real twarc pages repeated, one process, >= {INGEST_REAL_VS_SCORER}x "
                         "the scorer's rate on their texts",
                         f"{real / reference:.2f}x ({real:,.0f}/s vs {reference:,.0f}/s)",
                         _mark(real >= INGEST_REAL_VS_SCORER * reference)))
    largest = max(d.mentions for d in databases)
    timed = [q for q in queries.get(largest, []) if q.p95_ms is not None and q.page not in (NO_PAGE, POSTS)]
    if timed:
        worst = max(timed, key=lambda q: q.p95_ms)
        rows.append((f"every dashboard read p95 < {QUERY_P95_MS:.0f} ms at {largest:,} mentions",
                     f"slowest: {worst.page} {worst.label} over {worst.window}, {worst.p95_ms:.1f} ms"
                     f" ({sum(q.p95_ms >= QUERY_P95_MS for q in timed)} of {len(timed)} over)",
                     _mark(worst.p95_ms < QUERY_P95_MS)))
    posts = [q for q in queries.get(largest, []) if q.p95_ms is not None and q.page == POSTS]
    if posts:
        worst = max(posts, key=lambda q: q.p95_ms)
        rows.append((f"Posts search and filters p95 < {POSTS_P95_MS:.0f} ms at {largest:,} mentions",
                     f"slowest: {worst.label} over {worst.window}, {worst.p95_ms:.1f} ms"
                     f" ({sum(q.p95_ms >= POSTS_P95_MS for q in posts)} of {len(posts)} over)",
                     _mark(worst.p95_ms < POSTS_P95_MS)))
    measured = pages.get(largest, {}).get("pages") or []
    if measured:
        worst_page = max(measured, key=lambda p: p["first_s"])
        rows.append((f"every page < {PAGE_S} s at {largest:,} mentions",
                     f"slowest: {worst_page['page']} over {worst_page.get('window', 'the default range')}, "
                     f"{worst_page['first_s']:.2f} s first visit",
                     _mark(worst_page["first_s"] < PAGE_S)))
        overview = [p for p in measured if p["page"].endswith("overview.py")]
        if overview:
            slowest = max(overview, key=lambda p: p["first_s"])
            rows.append((f"the Overview's first visit < {PAGE_S} s at {largest:,} mentions",
                         f"{slowest['first_s']:.2f} s over {slowest.get('window')}", _mark(slowest["first_s"] < PAGE_S)))
    smallest = min(d.mentions for d in databases)
    if smallest != largest and pages.get(smallest, {}).get("pages") and measured:
        low, high = pages[smallest]["max_rss_mb"], pages[largest]["max_rss_mb"]
        rows.append((f"dashboard memory at {largest:,} <= {MEMORY_GROWTH}x that at {smallest:,}",
                     f"{high / low:.2f}x ({high:,.0f} MB vs {low:,.0f} MB)", _mark(high <= MEMORY_GROWTH * low)))
    checked = [p for size in (paths or {}) for p in paths[size]]
    if checked:
        wrong = [f"{p.read} over {p.window}" for p in checked if not p.same]
        rows.append(("every fast path gives the answer of the read it replaces",
                     f"{len(checked) - len(wrong)} of {len(checked)} the same"
                     + (f"; different: {', '.join(wrong)}" if wrong else ""), _mark(not wrong)))
    return rows


def _paths_section(paths: dict[int, list[PathTiming]]) -> list[str]:
    out = ["", "## Fast paths against the reads they replace", "",
           "Each fast read and the plain read it replaced (kept as `*_scan` / `page_scan` for this), alternated "
           "call by call in one process over the same windows. Their answers are compared exactly on the "
           "campaign as a whole, our side, and X with the opposing side; the times are for the campaign as a "
           "whole. CPU milliseconds are the median; the wall clock's p50 / p95 move with other work on the machine.", ""]
    for size in sorted(paths):
        out += [f"At {size:,} mentions:", "",
                "| read | window | CPU ms plain → fast | speed-up | wall p50 / p95 plain | wall p50 / p95 fast | same answer |",
                "|---|---|---:|---:|---:|---:|---|"]
        for p in paths[size]:
            out.append(f"| {p.read} | {p.window} | {p.plain_cpu_ms:.1f} → {p.fast_cpu_ms:.1f} | {p.speedup:.1f}x "
                       f"| {p.plain_ms[0]:.1f} / {p.plain_ms[1]:.1f} | {p.fast_ms[0]:.1f} / {p.fast_ms[1]:.1f} "
                       f"| {'yes' if p.same else '**no**: ' + '; '.join(p.differences)} ({p.checked} filter sets) |")
        out.append("")
    return out[:-1]


def _peer_section(peer: dict[int, dict], days: int) -> list[str]:
    out = ["", "## The naive peer", "",
           f"The Traction page's data over the last {days} days (the tiles for the range, the range before, both "
           "sides and since the start; mentions and engagement by platform; spikes; cumulative potential reach; "
           "share of voice; hashtags; amplifiers; top posts) computed the way most Streamlit dashboards are "
           "written: `pd.read_sql` of the campaign's matches joined to their posts from the earliest instant a "
           "chart needs, then a `groupby` per chart (`bench/peer.py`), against the page's own calls to "
           "Groundswell's store. Each in a fresh process; time is the best of 3 runs; memory is the resident "
           "memory the runs added at their peak (sampled), and the Python allocations (pandas' and numpy's "
           "included) of one run at their peak.", "",
           "| mentions | naive s | Groundswell s | time ratio | naive MB added / allocated "
           "| Groundswell MB added / allocated | memory ratio (allocated) | same tiles |",
           "|---:|---:|---:|---:|---:|---:|---:|---|"]
    for size in sorted(peer):
        naive, ours = peer[size]["naive"], peer[size]["groundswell"]
        same = all(naive["tiles"][w][k] == ours["tiles"][w][k] for w in naive["tiles"]
                   for k in ("mentions", "unique_authors", "potential_reach"))
        out.append(f"| {size:,} | {naive['seconds']:.2f} | {ours['seconds']:.2f} | {naive['seconds'] / ours['seconds']:.1f}x "
                   f"| {naive['added_mb']:.0f} / {naive['allocated_mb']:.1f} | {ours['added_mb']:.0f} / "
                   f"{ours['allocated_mb']:.1f} | {naive['allocated_mb'] / max(ours['allocated_mb'], 0.01):.0f}x "
                   f"| {'yes' if same else '**no**'} (mentions, unique authors, potential reach) |")
    return out


def _growth_section(queries: dict[int, list[QueryTiming]], rows: dict[int, dict[str, int]]) -> list[str]:
    """Each read's p95 from the smallest to the largest database against how much its window grew."""
    low, high = min(queries), max(queries)
    out = ["", "## Growth with the database", "",
           f"Each read's p95 at {high:,} mentions against {low:,}, beside how much the window's matches grew "
           "(the demo spreads every size over the same 90 days, so a window holds more as the database grows). A "
           "read whose time grows by more than twice its window's growth is marked: it grows with the database "
           "rather than with the window.", "",
           f"| page | query | window | p95 at {low:,} | p95 at {high:,} | time growth | window growth | |",
           "|---|---|---|---:|---:|---:|---:|---|"]
    for small, large in zip(queries[low], queries[high], strict=True):
        if small.p95_ms is None or large.p95_ms is None:
            continue
        window_growth = rows[high].get(small.window, 0) / max(rows[low].get(small.window, 0), 1)
        growth = large.p95_ms / max(small.p95_ms, 0.01)
        flag = "**grows with the database**" if growth > 2 * max(window_growth, 1) else ""
        out.append(f"| {small.page} | {small.label} | {small.window} | {small.p95_ms:.1f} | {large.p95_ms:.1f} "
                   f"| {growth:.1f}x | {window_growth:.1f}x | {flag} |")
    return out


def render(databases: list[BuiltDatabase], ingest: IngestResult | None, queries: dict[int, list[QueryTiming]],
           pages: dict[int, dict], notes: list[str], elapsed_s: float, command: str,
           load_at_start: float | None = None, paths: dict[int, list[PathTiming]] | None = None,
           peer: dict[int, dict] | None = None, rows: dict[int, dict[str, int]] | None = None,
           peer_days: int = 90) -> str:
    """The whole results file as Markdown."""
    out = ["# Benchmark results", "",
           f"Written by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {elapsed_s:.0f} s. "
           "Figures move with the machine and with whatever else runs on it; compare runs on one machine.", ""]
    out += ["## Machine", "", "| what | value |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in machine().items()]
    if load_at_start is not None:
        # Other work on the machine slows every figure; the load average says how much there was.
        out.append(f"| load average (1 min) at start / end | {load_at_start:.2f} / {os.getloadavg()[0]:.2f} |")
    out += ["", "## Targets", "", "| target | measured | |", "|---|---|---|"]
    out += [f"| {t} | {m} | {ok} |" for t, m, ok in targets(databases, ingest, queries, pages, paths)]
    out += ["", "## Databases", "",
            "Demo data set: 20 campaigns over 90 days, seed 7 (`groundswell demo load --mentions N --days 90 "
            "--campaigns 20`).", "",
            "| mentions | size on disk | per million mentions | built in |", "|---:|---:|---:|---:|"]
    for d in databases:
        built = "unknown" if d.build_s is None else f"{d.build_s:,.0f} s ({d.mentions / d.build_s:,.0f}/s)"
        if d.reused:
            built = f"reused (built in {built})" if d.build_s is not None else "reused"
        out.append(f"| {d.mentions:,} | {d.bytes / 2**20:,.0f} MiB | {d.bytes / d.mentions * 1e6 / 2**30:.2f} GiB "
                   f"| {built} |")
    if ingest is not None:
        out += _ingest_section(ingest)
    out += _queries_section(queries)
    out += _pages_section(pages)
    if paths:
        out += _paths_section(paths)
    if peer:
        out += _peer_section(peer, peer_days)
    if rows and len(queries) > 1:
        out += _growth_section(queries, rows)
    if notes:
        out += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    return "\n".join(out) + "\n"


def _ingest_section(ingest: IngestResult) -> list[str]:
    scorer = ingest.rates[SCORER]
    out = ["", "## Ingest", "",
            f"{ingest.mentions:,} unique posts (mean {ingest.mean_chars:.0f} characters, each carrying a tracked "
            f"hashtag; {ingest.matched:,} campaign matches) as X API v2 pages in a JSON Lines file, imported "
            "as `groundswell import --format x` does (read, mapped, enriched with VADER sentiment and the "
            f"abuse model, matched, stored and rolled up in batches of {BULK_BATCH:,}, one transaction each) into a copy of the smallest "
            "database. The baselines run in the same process on the same "
            f"texts and rows. Each figure is the best of {ingest.repeats} run(s): the machine is shared, and "
            "other work only ever slows a run. The library is also timed once before each round of "
            "ingest runs (so its best is of one run more): a shared machine's speed drifts over minutes, "
            "and the library's best should come from the same stretch of time as the ingest's.", "",
            "| path | mentions/s | µs per mention | vs the VADER scorer |", "|---|---:|---:|---:|"]
    for name, rate in ingest.rates.items():
        out.append(f"| {name} | {rate:,.0f} | {1e6 / rate:,.1f} | {rate / scorer:.2f}x |")
    if ingest.stages:
        out += ["", "Where a post's time goes in one process: CPU µs per post of each stage, each the best of "
                f"{ingest.repeats} run(s) (CPU time, so other work on the machine moves it less than the clock).", "",
                "| stage | CPU µs per post |", "|---|---:|"]
        out += [f"| {stage} | {micros:.1f} |" for stage, micros in ingest.stages.items()]
        out.append(f"| all | {sum(ingest.stages.values()):.1f} |")
    if ingest.statements and ingest.stages:
        store = ingest.stages["match, store and roll up"]
        sql = sum(ingest.statements.values())
        out += ["", "Within matching, storing and rolling up: CPU µs per post of each statement the store runs "
                "in the run where that stage was fastest, by what it writes; the rest of the stage is the store's Python "
                "(matching the campaigns, working out the rows and the roll-up's sums).", "",
                "| the store's statement | CPU µs per post |", "|---|---:|"]
        out += [f"| {name} | {micros:.1f} |" for name, micros in ingest.statements.items()]
        out += [f"| all statements | {sql:.1f} |", f"| the store's Python (the rest of the stage) | {store - sql:.1f} |"]
    if ingest.real:
        reference = ingest.real[REAL_REFERENCE_VADER]
        out += ["", f"The real twarc pages (`../shared/realworld/twarc-csv`) copied to {ingest.real_posts:,} posts "
                f"(tweets and the tweets they retweet or quote), each copy's tweet ids new: {ingest.real_distinct:,} "
                "distinct texts, so most are scored from the cache, as a real collection's retweets are. The "
                "library scores every text.", "",
                "| path | mentions/s | µs per mention | vs the library on these texts |", "|---|---:|---:|---:|"]
        out += [f"| {name} | {rate:,.0f} | {1e6 / rate:,.1f} | {rate / reference:.2f}x |"
                for name, rate in ingest.real.items()]
    return out


def _queries_section(queries: dict[int, list[QueryTiming]]) -> list[str]:
    out = ["", "## Queries", "",
            "The campaigns-level function behind each dashboard read, uncached, for the campaign "
            "`antisocial` (Europe/London) over the last 7 and 90 days of the data and the campaign to date, "
            "from a read-only store as the dashboard opens it; p50 and p95 in milliseconds over up to 20 runs "
            "after one warm-up call (fewer, at least 5, once a read has taken 4 s).", ""]
    sizes = sorted(queries)
    header = "| page | query | window | " + " | ".join(f"p50 / p95 at {s:,}" for s in sizes) + " |"
    out += [header, "|---|---|---|" + "---:|" * len(sizes)]
    first = queries[sizes[0]]
    for index, q in enumerate(first):
        cells = []
        for size in sizes:
            other = queries[size][index]
            cells.append(other.missing or f"{_ms(other.p50_ms)} / {_ms(other.p95_ms)}")
        out.append(f"| {q.page} | {q.label} | {q.window} | " + " | ".join(cells) + " |")
    return out


def _pages_section(pages: dict[int, dict]) -> list[str]:
    repeats = max((p.get("repeats", 1) for p in pages.values()), default=1)
    out = ["", "## Pages", "",
            "Server-side time of each page under `streamlit.testing.v1.AppTest`, in a fresh process per "
            "database: the sidebar set to `antisocial` and custom dates covering the last 7, then 90 days "
            "of the data, then each page visited in turn (first visit: its own queries not yet cached; "
            f"again: a rerun). Each time is the fastest of {repeats} such process(es), since a visit is one "
            "sample and other work on the machine only slows it; peak memory is the largest of their "
            "maximum resident set sizes.", ""]
    selection = {pages[s].get("selection") for s in pages} - {"", None}
    if selection:
        out += ["Note: " + "; ".join(sorted(selection)) + ".", ""]
    sizes = sorted(pages)
    if any(pages[s].get("missing") for s in sizes):
        out.append(f"Not measured: {pages[sizes[0]]['missing']}. Peak memory of the bare process: "
                   + ", ".join(f"{pages[s]['max_rss_mb']:,.0f} MB at {s:,}" for s in sizes) + ".")
    else:
        out += ["| page | window | " + " | ".join(f"first / again at {s:,} (s)" for s in sizes) + " |",
                "|---|---|" + "---:|" * len(sizes)]
        out.append("| (startup: entry script, default page) | | "
                   + " | ".join(f"{pages[s]['startup_s']:.2f}" for s in sizes) + " |")
        for index, page in enumerate(pages[sizes[0]]["pages"]):
            cells = []
            for s in sizes:
                p = pages[s]["pages"][index]
                cells.append(f"{p['first_s']:.2f} / {p['again_s']:.2f}" + (" (error)" if p["errors"] else ""))
            out.append(f"| {page['page']} | {page.get('window', '')} | " + " | ".join(cells) + " |")
        out.append("| peak memory (MB) | | " + " | ".join(f"{pages[s]['max_rss_mb']:,.0f}" for s in sizes) + " |")
        errors = [f"{p['page']} ({p.get('window')}) at {s:,}: {p['errors']}" for s in sizes for p in pages[s]["pages"] if p["errors"]]
        if errors:
            out += ["", "Pages that raised: " + "; ".join(errors)]
    return out
