"""Run the benchmark and write bench/results.md: `python -m bench.run` (`--quick` for a smoke run, `--scale` at ten million)."""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # `python bench/run.py` as well as `python -m bench.run`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.build import CAMPAIGN, DATA, ROOT, UNTIL, database  # noqa: E402
from bench.ingest import default_workers, run_ingest  # noqa: E402
from bench.paths import time_paths  # noqa: E402
from bench.queries import NO_PAGE, time_queries, window_rows  # noqa: E402
from bench.report import ONE, SCORER, render  # noqa: E402

FULL = {"sizes": [100_000, 1_000_000], "ingest": 50_000, "runs": 20, "repeats": 3, "peer_days": 90,
        "out": "results.md"}
QUICK = {"sizes": [2_000, 10_000], "ingest": 2_000, "runs": 3, "repeats": 1, "peer_days": 90, "out": "results.md"}
# Ten million mentions: every read and page, the memory against the smallest, no ingest (the
# default run measures it) and no peer (a naive dashboard cannot load such a window at all).
SCALE = {"sizes": [100_000, 10_000_000], "ingest": 0, "runs": 5, "repeats": 1, "peer_days": 0,
         "out": "results-scale.md"}


def _fresh_process(module: str, *args: str, timeout: int = 3600) -> dict:
    """Run `python -m module args` in a fresh process and read the JSON object it prints last."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed on {' '.join(args)}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_pages(db: Path, repeats: int = 1) -> dict:
    """Page times and peak memory, each run in a fresh process so memory belongs to this database
    alone; of `repeats` runs each page keeps its fastest first and second visit (a first visit is
    one sample, and other work on the machine only ever slows it) and memory its largest peak."""
    runs = [_fresh_process("bench.pages", str(db)) for _ in range(repeats)]
    best = runs[0]
    for run in runs[1:]:
        for kept, page in zip(best["pages"], run["pages"], strict=True):
            kept["first_s"] = min(kept["first_s"], page["first_s"])
            kept["again_s"] = min(kept["again_s"], page["again_s"])
            kept["errors"] = kept["errors"] or page["errors"]
        if "startup_s" in best:   # absent only when there is no dashboard to start
            best["startup_s"] = min(best["startup_s"], run["startup_s"])
        best["max_rss_mb"] = max(best["max_rss_mb"], run["max_rss_mb"])
    best["repeats"] = repeats
    return best


def measure_peer(db: Path, days: int) -> dict:
    """The Traction page's data the naive way and Groundswell's way, each in a fresh process."""
    return {mode: _fresh_process("bench.peer", str(db), mode, str(days)) for mode in ("naive", "groundswell")}


def ingest_notes(ingest) -> list[str]:
    """What one mention costs on the way in, from this run's own figures."""
    per = {name: 1e6 / rate for name, rate in ingest.rates.items()}
    notes = []
    if ingest.stages:
        cpu = sum(ingest.stages.values())
        stages = ", ".join(f"{stage} {micros:.0f} µs" for stage, micros in ingest.stages.items())
        notes.append(
            f"One mention costs {per[ONE]:.0f} µs in one process by the clock, {cpu:.0f} µs of CPU: {stages}. "
            f"vaderSentiment alone takes {per[SCORER]:.0f} µs a post, so 0.7x its rate leaves "
            f"{per[SCORER] / 0.7:.0f} µs for the whole import; the store's writes (a bare insert of the "
            f"mentions rows alone is {per['raw executemany of the same rows']:.0f} µs) and matching are most "
            "of what is left over the scorers.")
    if ingest.stages and ingest.statements:
        sql = sum(ingest.statements.values())
        largest = ", ".join(f"{name} {micros:.0f} µs" for name, micros in list(ingest.statements.items())[:3])
        notes.append(
            f"Of the {ingest.stages['match, store and roll up']:.0f} µs the store takes, its SQL is {sql:.0f} µs "
            f"(the most: {largest}). A match is written to its table and four full indexes (its key, the "
            "window's range, authors, audiences), each of which some read walks; that SQL alone is "
            f"{sql / per[SCORER]:.2f}x the library's time for a post.")
    many = [name for name in ingest.rates if name.startswith("ingest, scoring over")]
    if many and ingest.stages:
        share = ingest.stages["score (tone, offensive language)"] / sum(ingest.stages.values())
        notes.append(
            f"Scoring over {ingest.workers} processes gives {ingest.rates[many[0]] / ingest.rates[ONE]:.2f}x one "
            f"process: scoring is {share:.0%} of a post's CPU time, so moving it to other processes can save at "
            "most that; the process that matches and stores is the bound.")
    return notes


def query_notes(rows: dict[int, dict[str, int]]) -> list[str]:
    """How much each window holds, which decides what its distinct counts and top-N lists cost."""
    held = "; ".join(f"at {size:,} mentions " + ", ".join(f"{n:,} over {w}" for w, n in windows.items())
                     for size, windows in sorted(rows.items()))
    return [
        f"`{CAMPAIGN}` is the busiest campaign (its keyword also matches the generated campaigns' posts). "
        f"Its matches: {held}. Counts and sums come from the hourly roll-up, the tone histogram from the "
        "tone roll-up; unique authors and potential reach over a long window reaching the start or the end "
        "of the data from the spans (one row per author or audience, side and platform), over other windows "
        "from the matches' covering index; top amplifiers walk the spans in descending audience and stop "
        "once the list is certain; top posts and the posts stream read the window's matches newest or "
        "most engaged first and stop at the page.",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of every part")
    parser.add_argument("--scale", action="store_true",
                        help="100,000 and 10,000,000 mentions: every read and page and the memory (builds 10M once, hours)")
    parser.add_argument("--sizes", help="comma-separated database sizes in mentions")
    parser.add_argument("--ingest", type=int, help="how many posts to ingest")
    parser.add_argument("--runs", type=int, help="timed runs per query")
    parser.add_argument("--repeats", type=int, help="ingest runs per figure (the best is kept)")
    parser.add_argument("--workers", type=int, default=default_workers(), help="scoring processes")
    parser.add_argument("--data", type=Path, default=DATA, help="where databases are kept")
    parser.add_argument("--out", type=Path, help="the results file (bench/results.md; bench/results-scale.md with --scale)")
    parser.add_argument("--no-pages", action="store_true", help="skip the AppTest page times")
    args = parser.parse_args(argv)
    plan = dict(SCALE if args.scale else QUICK if args.quick else FULL)
    args.out = args.out or ROOT / "bench" / plan["out"]
    if args.sizes:
        plan["sizes"] = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    plan["ingest"] = plan["ingest"] if args.ingest is None else args.ingest
    plan["runs"] = args.runs or plan["runs"]
    plan["repeats"] = args.repeats or plan["repeats"]
    command = "python -m bench.run" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    args.data.mkdir(parents=True, exist_ok=True)
    with (args.data / ".lock").open("w") as lock:
        try:
            # Two runs at once would build the same databases and measure each other. A POSIX
            # lock, unlike flock, is not held on by the scoring workers this process forks.
            fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            print(f"another benchmark is running on {args.data}; wait for it to finish", file=sys.stderr)
            return 1
        return _run(args, plan, command)


def _run(args, plan: dict, command: str) -> int:
    started = time.perf_counter()
    load_at_start = os.getloadavg()[0]

    print("databases", flush=True)
    databases = [database(size, args.data) for size in sorted(plan["sizes"])]
    for d in databases:
        print(f"  {d.mentions:>9,} mentions: {d.bytes / 2**20:,.0f} MiB", flush=True)

    ingest = None
    if plan["ingest"]:
        print(f"ingest of {plan['ingest']:,} posts", flush=True)
        ingest = run_ingest(databases[0].path, args.data / "ingest", plan["ingest"], UNTIL, args.workers,
                            repeats=plan["repeats"])
        for name, rate in ingest.rates.items():
            print(f"  {name:<45} {rate:>10,.0f}/s  {rate / ingest.rates[SCORER]:.2f}x the scorer", flush=True)

    queries, pages, rows, paths, peer = {}, {}, {}, {}, {}
    for d in databases:
        rows[d.mentions] = window_rows(d.path, CAMPAIGN, UNTIL)
        print(f"queries at {d.mentions:,}", flush=True)
        queries[d.mentions] = time_queries(d.path, CAMPAIGN, UNTIL, runs=plan["runs"])
        worst = max((q for q in queries[d.mentions] if q.p95_ms is not None and q.page != NO_PAGE),
                    key=lambda q: q.p95_ms)
        print(f"  slowest p95: {worst.label} over {worst.window}, {worst.p95_ms:.1f} ms", flush=True)
        print(f"fast paths against the reads they replace, at {d.mentions:,}", flush=True)
        paths[d.mentions] = time_paths(d.path, CAMPAIGN, UNTIL, runs=max(3, plan["runs"] // 2),
                                       log=lambda line: print(line, flush=True))
        if plan["peer_days"]:
            print(f"the naive peer at {d.mentions:,}", flush=True)
            peer[d.mentions] = measure_peer(d.path, plan["peer_days"])
            naive, ours = peer[d.mentions]["naive"], peer[d.mentions]["groundswell"]
            print(f"  naive {naive['seconds']:.2f} s, {naive['added_mb']:.0f} MB; Groundswell {ours['seconds']:.2f} s,"
                  f" {ours['added_mb']:.0f} MB", flush=True)
        if args.no_pages:
            pages[d.mentions] = {"pages": [], "missing": "skipped (--no-pages)", "max_rss_mb": 0.0}
        else:
            print(f"pages at {d.mentions:,}", flush=True)
            pages[d.mentions] = measure_pages(d.path, plan["repeats"])
            for p in pages[d.mentions]["pages"]:
                print(f"  {p['page']:<28} {p['window']:>8} {p['first_s']:.2f} s first, {p['again_s']:.2f} s again",
                      flush=True)
            print(f"  peak memory {pages[d.mentions]['max_rss_mb']:,.0f} MB", flush=True)

    notes = (ingest_notes(ingest) if ingest else []) + query_notes(rows)
    text = render(databases, ingest, queries, pages, notes, time.perf_counter() - started, command,
                  load_at_start, paths=paths, peer=peer, rows=rows, peer_days=plan["peer_days"])
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
