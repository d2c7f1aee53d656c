"""Ingest speed: mentions per second through map, enrich, match, store and roll-up, beside two baselines.

The baselines run in the same process on the same texts and rows: vaderSentiment 3.3.2 and
alt-profanity-check alone (the libraries), the scorers the product ships alone
(`score_sentiment`, `score_abuse`), and a raw `executemany` of the same mention rows into an
empty, migrated database. The real path is `groundswell import`'s, `collectors.importers.import_file`: X API v2
pages read from a JSON Lines file, mapped by `collectors.x.map_page`, enriched by
`collectors.enrich.enrich_stream`, and stored by `Store.upsert_mentions` (which matches them to
campaigns and rolls them up). The same path also takes the real twarc pages copied to the same
size (`bench.texts.real_pages`), beside the library on their texts, and each stage's CPU time
is measured apart (`stage_costs`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench.texts import real_pages, unique_texts, write_jsonl, x_pages
from campaigns.model import Mention
from campaigns.settings import Settings
from campaigns.store import BULK_BATCH as BATCH
from campaigns.store import MENTION_COLUMNS, Store
from collectors import offensive, tone, x
from collectors.enrich import (
    SCORES,
    detect_language,
    enrich,
    enrich_stream,
    score_abuse,
    score_sentiment,
    score_texts,
)
from collectors.importers import READERS, ImportReport, heap_set_aside, import_file

# The libraries the shipped scorers must equal, measured alone on the same texts.
REFERENCE_VADER = "vaderSentiment 3.3.2 alone (the library)"
REFERENCE_OFFENSIVE = "alt-profanity-check predict_prob alone (the library)"
ONE_PROCESS = "ingest, one process"
# The same path with the full-text index dropped: what keeping the index costs.
WITHOUT_SEARCH = "ingest, one process, without the search index"
# The real twarc pages repeated, and the library alone on the texts their import scores.
REAL_ONE_PROCESS = "ingest, one process, real twarc pages repeated"
REAL_REFERENCE_VADER = "vaderSentiment 3.3.2 alone on the real pages' texts"
# Far above any native id the demo generator uses, so ingested posts are all new.
FIRST_ID = 5_000_000_000_000_000_000


@dataclass
class IngestResult:
    mentions: int
    repeats: int
    mean_chars: float
    rates: dict[str, float]          # name -> mentions per second
    seconds: dict[str, float]
    workers: int
    matched: int
    stages: dict[str, float] = field(default_factory=dict)   # CPU µs per post of each stage
    statements: dict[str, float] = field(default_factory=dict)   # CPU µs per post of each of the store's statements
    # Whether the import (each batch written beside the next one's reading and planning) stored
    # the same database as storing the same batches one by one (stage_costs does).
    same_as_one_by_one: bool | None = None
    real: dict[str, float] = field(default_factory=dict)     # mentions/s on the real pages repeated
    real_posts: int = 0
    real_distinct: int = 0


def campaign_tags(store: Store) -> list[str]:
    """The hashtags the campaigns in a database track, so every ingested post matches one."""
    return sorted({f"#{t.value}" for c in store.campaigns() for t in c.trackers if t.kind == "hashtag"})


def _read_batches(path: Path):
    """Mapped mentions in batches of about BATCH, as an import reads them."""
    pending = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            pending.extend(x.map_page(json.loads(line)))
            if len(pending) >= BATCH:
                yield pending
                pending = []
    if pending:
        yield pending


def ingest_file(db: Path, pages: Path, workers: int) -> tuple[float, int]:
    """Seconds for `groundswell import`'s path (import_file: read, map, enrich, match, store, roll
    up) to take every page into `db`, and the campaign matches it made."""
    with Store.open(db) as store:
        started = time.perf_counter()
        done = import_file(store, pages, "x", settings=Settings(db_path=db), batch_size=BATCH,
                           workers=workers)
        elapsed = time.perf_counter() - started
    return elapsed, done.totals.matched


def stored(db: Path, word: str = "the") -> Iterator[tuple[str, tuple]]:
    """(table, row) of everything an import stored in `db`: every table's rows in their order (but
    the campaigns, which `prepare` saves again, and the time each post was collected), and, as
    table "search", the search index's hits for `word`."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        for table, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"
                                       " AND name NOT LIKE 'mentions_fts%' AND name NOT LIKE 'sqlite_%'"
                                       " AND name NOT IN ('campaigns', '_sqlite_migrations') ORDER BY name").fetchall():
            columns = [f"[{row[1]}]" for row in conn.execute(f"PRAGMA table_info([{table}])") if row[1] != "collected_at"]
            order = ", ".join(columns) if "WITHOUT ROWID" in sql.upper() else "rowid"
            for row in conn.execute(f"SELECT {', '.join(columns)} FROM [{table}] ORDER BY {order}"):
                yield table, row
        for row in conn.execute("SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ? ORDER BY rowid", [word]):
            yield "search", row
    finally:
        conn.close()


def stored_digest(db: Path) -> str:
    """A digest of `stored(db)`, read as it goes: the bench's databases hold 150,000 posts."""
    digest = hashlib.sha256()
    for table, row in stored(db):
        digest.update(repr((table, row)).encode())
    return digest.hexdigest()


def prepare(base_db: Path, target: Path, search_index: bool = True) -> None:
    """A copy of the demo database whose campaigns listen as real ones: collected posts never
    match a demo campaign, and the benchmark ingests posts as a collector would. Without
    `search_index`, the full-text index is dropped from the copy, to measure what keeping it
    costs."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copy(base_db, target)
    with Store.open(target) as store:
        for campaign in store.campaigns():
            campaign.is_demo = False
            store.save_campaign(campaign)
        if not search_index:
            store.drop_search_index()


def raw_insert(rows: list[tuple], db: Path) -> float:
    """Seconds for a plain executemany of the rows into the mentions table of an empty database."""
    db.unlink(missing_ok=True)
    with Store.open(db) as store:
        conn = store.db.conn
        sql = (f"INSERT INTO mentions ({', '.join(MENTION_COLUMNS)}) "
               f"VALUES ({', '.join('?' * len(MENTION_COLUMNS))})")
        started = time.perf_counter()
        for start in range(0, len(rows), BATCH):
            with conn:
                conn.executemany(sql, rows[start:start + BATCH])
        return time.perf_counter() - started


def mention_rows(pages_path: Path, sentiments: list[float], abuses: list[float]) -> list[tuple]:
    """The rows the store writes for the mapped pages, in MENTION_COLUMNS order."""
    rows = []
    collected = "2026-11-20T12:00:00Z"
    index = 0
    for batch in _read_batches(pages_path):
        for m in batch:
            rows.append((
                m.uid, m.platform, m.native_id, m.url, m.created_at, collected, m.author_key,
                m.author_followers, m.audience_key, m.audience_size, m.text, m.lang, 0, None, None,
                m.likes, m.reposts, m.replies, m.quotes, m.impressions, m.engagement,
                sentiments[index], abuses[index], None, 0,
            ))
            index += 1
    return rows


def statement_of(sql: str) -> str:
    """What the report names one of the store's statements by: the table it writes, or what it reads."""
    words = sql.split()
    verb = words[0].upper()
    if verb == "SELECT":
        return "reads: what was stored before, the new rows' rowids, the matcher's version"
    if verb == "INSERT":
        into = [w.upper() for w in words].index("INTO")
        return f"write {words[into + 1]}"
    if verb == "UPDATE":
        return f"update {words[1]}"
    return f"{verb.lower()} (transaction, settings)"


class _TimedConnection:
    """The store's connection with the CPU time of each statement, and of each commit, added up
    by what it writes (statement_of): where the store's share of a post's time goes."""

    def __init__(self, conn, spent: dict[str, float]):
        self._conn, self._spent = conn, spent

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def _timed(self, name: str, call, *args):
        started = time.process_time()
        try:
            return call(*args)
        finally:
            self._spent[name] = self._spent.get(name, 0.0) + time.process_time() - started

    def execute(self, sql, *args):
        return self._timed(statement_of(sql), self._conn.execute, sql, *args)

    def executemany(self, sql, rows):
        return self._timed(statement_of(sql), self._conn.executemany, sql, rows)

    def __enter__(self):
        return self._conn.__enter__()

    def __exit__(self, *exc):
        return self._timed("commit (the transaction's pages written to the WAL)", self._conn.__exit__, *exc)


def stage_costs(base_db: Path, target: Path, pages: Path, repeats: int) -> tuple[dict[str, float], dict[str, float]]:
    """CPU µs per post of each stage of the import, each the best of `repeats`: reading and mapping
    the pages, scoring them (enrich), and matching, storing and rolling them up (upsert_mentions,
    its SQL and commit included); and, within the last, of each statement the store ran in the run
    whose store stage was fastest, the rest being its Python (matching, and working out the rows)."""
    best: dict[str, float] = {}
    statements: dict[str, float] = {}
    for _ in range(repeats):
        prepare(base_db, target)
        SCORES.clear()
        spent = {"read and map": 0.0, "score (tone, offensive language)": 0.0,
                 "match, store and roll up": 0.0}
        sql: dict[str, float] = {}
        posts = 0
        # As import_file runs: the heap before it set aside from the cycle collector, the WAL
        # folded in as a bulk load's is.
        with Store.open(target) as store, heap_set_aside(), store.bulk_load():
            store.conn = _TimedConnection(store.conn, sql)
            settings = Settings(db_path=target)
            reader = READERS["x"](pages, ImportReport(pages))
            pending: list[Mention] = []
            while True:
                started = time.process_time()
                mentions = next(reader, None)
                spent["read and map"] += time.process_time() - started
                if mentions is not None:
                    pending.extend(mentions)
                if pending and (mentions is None or len(pending) >= BATCH):
                    started = time.process_time()
                    enrich(pending, settings, workers=1)
                    spent["score (tone, offensive language)"] += time.process_time() - started
                    started = time.process_time()
                    store.upsert_mentions(pending)
                    spent["match, store and roll up"] += time.process_time() - started
                    posts += len(pending)
                    pending = []
                if mentions is None:
                    break
            store.conn = store.conn._conn
        store_stage = spent["match, store and roll up"] / posts * 1e6
        if store_stage < best.get("match, store and roll up", float("inf")):
            # The statements of the run whose store stage was fastest, so they and the store's
            # Python add up to that stage.
            statements = {name: seconds / posts * 1e6 for name, seconds in sql.items()}
        for stage, seconds in spent.items():
            best[stage] = min(best.get(stage, float("inf")), seconds / posts * 1e6)
    return best, dict(sorted(statements.items(), key=lambda item: -item[1]))


def run_ingest(base_db: Path, work: Path, count: int, until: datetime, workers: int,
               repeats: int = 1, log=print) -> IngestResult:
    """Measure every ingest figure on `count` unique texts, ingested into copies of `base_db`;
    each figure is the best of `repeats` runs."""
    work.mkdir(parents=True, exist_ok=True)
    with Store.open(base_db) as store:
        tags = campaign_tags(store)
    texts = unique_texts(count, tags)
    pages = write_jsonl(x_pages(texts, first_id=FIRST_ID, until=until), work / "ingest-pages.jsonl")
    seconds: dict[str, float] = {}

    # Warm both models, and the worker processes, once: a long-running collector has them loaded.
    score_texts(["warm up the models"])
    settings = Settings(db_path=work / "unused.db")
    for _ in enrich_stream([[Mention(platform="x", native_id="0", created_at="2026-01-01T00:00:00Z",
                                     text=f"warm up worker {n}")] for n in range(workers * 2)],
                           settings, workers=workers):
        pass
    def best(measure) -> tuple[float, object]:
        """The fastest of `repeats` runs: other work on a shared machine only ever slows a run."""
        runs = []
        for _ in range(repeats):
            started = time.perf_counter()
            value = measure()
            runs.append((time.perf_counter() - started, value))
        return min(runs, key=lambda run: run[0])

    seconds[REFERENCE_VADER], expected = best(lambda: reference_vader(texts))
    seconds["VADER scorer alone (score_sentiment)"], sentiments = best(lambda: score_sentiment(texts))
    seconds[REFERENCE_OFFENSIVE], expected_abuse = best(lambda: reference_offensive(texts))
    seconds["abuse scorer alone (score_abuse)"], abuses = best(lambda: score_abuse(texts))
    if sentiments != expected or abuses != expected_abuse:
        raise RuntimeError("the shipped scorers disagree with the libraries they replace on the ingest texts")
    rows = mention_rows(pages, sentiments, abuses)
    seconds["raw executemany of the same rows"] = min(raw_insert(rows, work / "raw.db") for _ in range(repeats))

    target = work / "ingest.db"
    matched = 0
    # The runs with and without the search index alternate, so other work on the machine falls
    # on both alike.
    plans = ((ONE_PROCESS, 1, True), (WITHOUT_SEARCH, 1, False),
             (f"ingest, scoring over {workers} processes", workers, True))
    runs: dict[str, list] = {label: [] for label, _, _ in plans}
    library = [seconds[REFERENCE_VADER]]
    imported = None
    for _ in range(repeats):
        # The library is timed again beside each round of ingests, so its best, which the target's
        # ratio is set on, comes from the same stretch of time as theirs (a shared machine's speed
        # drifts by half within minutes).
        started = time.perf_counter()
        reference_vader(texts)
        library.append(time.perf_counter() - started)
        for label, n, search_index in plans:
            log(f"  {label} ...")
            prepare(base_db, target, search_index)
            SCORES.clear()  # a rerun of the same texts would otherwise be scored from the cache
            runs[label].append(ingest_file(target, pages, n))
            if label == ONE_PROCESS and imported is None:
                imported = stored_digest(target)
    for label, found in runs.items():
        seconds[label], matched = min(found)
    seconds[REFERENCE_VADER] = min(library)
    rates = {name: count / value for name, value in seconds.items()}
    log("  stages ...")
    stages, statements = stage_costs(base_db, target, pages, repeats)
    same = stored_digest(target) == imported

    # The real pages repeated: retweets carry their originals' texts, so most texts were scored
    # before; the library alone scores every one.
    real, real_posts, real_distinct = {}, 0, 0
    if copies := real_pages(count):
        real_path = write_jsonl(copies, work / "ingest-real-pages.jsonl")
        real_texts = [m.text or "" for page in copies for m in x.map_page(page)]
        real_posts, real_distinct = len(real_texts), len(set(real_texts))
        found, library = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            reference_vader(real_texts)
            library.append(time.perf_counter() - started)
            log(f"  {REAL_ONE_PROCESS} ...")
            prepare(base_db, target)
            SCORES.clear()
            found.append(ingest_file(target, real_path, 1)[0])
        real[REAL_REFERENCE_VADER] = real_posts / min(library)
        real[REAL_ONE_PROCESS] = real_posts / min(found)
    return IngestResult(mentions=count, repeats=repeats, mean_chars=sum(map(len, texts)) / len(texts), rates=rates,
                        seconds=seconds, workers=workers, matched=matched, stages=stages, statements=statements,
                        same_as_one_by_one=same, real=real,
                        real_posts=real_posts, real_distinct=real_distinct)


def default_workers() -> int:
    return max(2, os.cpu_count() or 1)


def reference_vader(texts: list[str]) -> list[float]:
    """vaderSentiment's own compound score of each text: what `collectors.tone` must equal."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    polarity = SentimentIntensityAnalyzer().polarity_scores
    return [polarity(text)["compound"] for text in texts]


def reference_offensive(texts: list[str]) -> list[float]:
    """alt-profanity-check's own probabilities, a batch of BATCH at a time as an import scores."""
    from profanity_check import predict_prob

    return [p for start in range(0, len(texts), BATCH) for p in predict_prob(texts[start:start + BATCH]).tolist()]


def _in_batches(score, texts: list[str]) -> list[float]:
    return [p for start in range(0, len(texts), BATCH) for p in score(texts[start:start + BATCH])]


def twarc_texts(count: int) -> list[str]:
    """The texts of the real twarc pages (../shared/realworld/twarc-csv), mapped as an import maps
    them and repeated to `count`: retweets share their originals' texts, as real pages do."""
    from bench.texts import REALWORLD_TWEETS

    folder = REALWORLD_TWEETS.parents[1] / "twarc-csv"
    texts = [m.text or "" for name in ("brexit.jsonl", "kpop.jsonl") if (folder / name).is_file()
             for line in (folder / name).read_text(encoding="utf-8").splitlines() if line.strip()
             for m in x.map_page(json.loads(line))]
    return (texts * (count // max(1, len(texts)) + 1))[:count] if texts else []


def scorer_stages(texts: list[str], repeats: int = 3) -> dict[str, float]:
    """CPU µs per post of each scoring stage on `texts`, before (the libraries) and after (the
    shipped scorers), the best of `repeats`; the cache is emptied before each cold run."""
    def per_post(measure, cold: bool = True) -> float:
        best = float("inf")
        for _ in range(repeats):
            if cold:
                SCORES.clear()
            started = time.process_time()
            measure()
            best = min(best, time.process_time() - started)
        return best / len(texts) * 1e6

    score_texts(["warm up the models"])
    reference_vader(["warm up"])
    reference_offensive(["warm up"])
    stages = {
        "tone, vaderSentiment 3.3.2 (before)": per_post(lambda: reference_vader(texts)),
        "tone, collectors.tone.compound (after)": per_post(lambda: tone.compounds(texts)),
        "offensive, profanity_check.predict_prob in batches (before)": per_post(lambda: reference_offensive(texts)),
        "offensive, collectors.offensive.probabilities in batches (after)":
            per_post(lambda: _in_batches(offensive.probabilities, texts)),
        "both, score_texts in batches, cache empty (after)": per_post(lambda: _in_batches(_both, texts)),
        "both, score_texts in batches, texts seen before (after)":
            per_post(lambda: _in_batches(_both, texts), cold=False),
        "language, detect_language (unchanged)": per_post(lambda: [detect_language(t) for t in texts]),
    }
    return stages


def _both(texts: list[str]) -> list[float]:
    sentiments, abuses = score_texts(texts)
    return sentiments


def main(argv: list[str] | None = None) -> int:
    """Print the scorer stages' µs per post: `python -m bench.ingest [--posts N] [--repeats R]`."""
    import argparse

    from bench.texts import real_tweets

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if not real_tweets():
        print("note: ../shared/realworld is absent; the texts are generated sentences")
    sets = {"bench texts (unique, as the ingest benchmark's)": unique_texts(args.posts, ["#LoveSUs"])}
    if repeated := twarc_texts(args.posts):
        sets["real twarc pages, repeated (texts repeat)"] = repeated
    for name, texts in sets.items():
        print(f"\n{name}: {len(texts):,} posts, {len(set(texts)):,} distinct, "
              f"mean {sum(map(len, texts)) / len(texts):.0f} characters; CPU µs per post, best of {args.repeats}")
        for stage, micros in scorer_stages(texts, args.repeats).items():
            print(f"  {stage:<68} {micros:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
