"""Scores each mention: tone (VADER), an offensive-language probability and language; then pseudonyms."""

from __future__ import annotations

import os
import re
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from functools import cache

from campaigns.model import Mention
from campaigns.privacy import pseudonymise
from campaigns.settings import Settings
from collectors import offensive, tone

# A text up to this long is scored whole, exactly as vaderSentiment and alt-profanity-check
# score it. Every post on X (but long ones), Bluesky, Mastodon and every Reddit title fits.
PIECE_CHARS = 2_000
# Of a longer text, the first this many characters are scored (Reddit's longest self-post is
# 40,000), in pieces of at most PIECE_CHARS: scoring time grows with the pieces, not faster.
MAX_SCORED_CHARS = 100_000
# Where a piece may end: after a sentence's closing punctuation (and any closing quote or
# bracket), or at a line break.
_SENTENCE_END = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*\s+|\n\s*")
_SPACE = re.compile(r"\s+")


def pieces(text: str) -> list[str]:
    """What is scored of a text: the text itself when it has at most PIECE_CHARS characters;
    otherwise its first MAX_SCORED_CHARS characters cut into pieces of at most PIECE_CHARS, each
    ending at the last sentence end in its second half, else at the last space there, else
    where the limit falls. Pieces that are only blank are dropped."""
    if len(text) <= PIECE_CHARS:
        return [text]
    text = text[:MAX_SCORED_CHARS]
    cut_up: list[str] = []
    start = 0
    while len(text) - start > PIECE_CHARS:
        window = text[start:start + PIECE_CHARS]
        cut = PIECE_CHARS
        for boundary in (_SENTENCE_END, _SPACE):
            ends = [m.end() for m in boundary.finditer(window, PIECE_CHARS // 2)]
            if ends:
                cut = ends[-1]
                break
        cut_up.append(window[:cut])
        start += cut
    cut_up.append(text[start:])
    return [piece for piece in cut_up if piece.strip()] or [""]


def _tone(text: str) -> float:
    """VADER compound of a text; of a long one, the mean over its pieces weighted by their
    length (one long text's compound saturates at -1 or +1, so it would say nothing)."""
    parts = pieces(text)
    if len(parts) == 1:
        return tone.compound(parts[0])
    weighted = sum(len(part) * tone.compound(part) for part in parts)
    return round(weighted / sum(len(part) for part in parts), 4)


def score_sentiment(texts: list[str]) -> list[float]:
    """Tone per text: VADER's compound score, -1..1 (positive >= 0.05, negative <= -0.05),
    computed by `collectors.tone`, equal to vaderSentiment 3.3.2's; long texts as `pieces` says."""
    return [_tone(text or "") for text in texts]


def score_abuse(texts: list[str]) -> list[float]:
    """Offensive-language probability per text, 0..1: alt-profanity-check's packaged model
    (computed by `collectors.offensive`, equal to its `predict_prob`), in one call for the batch.
    A long text scores as its most offensive piece (see `pieces`).

    A linear model over words: it flags profanity and slurs, misses politely worded hostility,
    and flags counter-speech, friendly swearing and reclaimed words. It is a pointer for a
    reviewer, not a verdict of abuse; the README gives its measured precision and recall.
    """
    if not texts:
        return []
    owners, flat = [], []
    for index, text in enumerate(texts):
        parts = pieces(text or "")
        flat.extend(parts)
        owners.extend([index] * len(parts))
    scores = [-1.0] * len(texts)  # every text has a piece, and every probability is >= 0
    for owner, probability in zip(owners, offensive.probabilities(flat), strict=True):
        scores[owner] = max(scores[owner], probability)
    return scores


def detect_language(text: str) -> str | None:
    """ISO 639-1 code from py3langid's packaged model; None for text too short to tell."""
    if not text or len(text.strip()) < 12:
        return None
    import py3langid

    return py3langid.classify(text)[0]


# Languages of texts seen before in this process (a repost carries its original's text): the
# model takes about 100 µs a post. Only texts up to LANGUAGE_CACHE_CHARS are kept, so the cache
# stays within LANGUAGE_CACHE_TEXTS times that.
LANGUAGE_CACHE_TEXTS = 50_000
LANGUAGE_CACHE_CHARS = 2_000
_languages: OrderedDict[str, str | None] = OrderedDict()
_languages_lock = threading.Lock()


def detect_languages(texts: list[str | None]) -> list[str | None]:
    """detect_language of each text, each distinct text once, from the cache where seen before."""
    found: dict[str, str | None] = {}
    with _languages_lock:
        for text in texts:
            if text and text in _languages and text not in found:
                _languages.move_to_end(text)
                found[text] = _languages[text]
    for text in texts:
        if text and text not in found:
            found[text] = detect_language(text)
    with _languages_lock:
        for text, lang in found.items():
            if len(text) <= LANGUAGE_CACHE_CHARS:
                _languages[text] = lang
        while len(_languages) > LANGUAGE_CACHE_TEXTS:
            _languages.popitem(last=False)
    return [found[text] if text else None for text in texts]


def _score_chunk(texts: list[str]) -> tuple[list[float], list[float]]:
    return score_sentiment(texts), score_abuse(texts)


class ScoreCache:
    """Scores of texts seen before, across batches and runs of this process: a repost carries
    its original's text, so it is scored once. The least recently used go first once the cache
    holds `max_texts` texts or `max_chars` characters of them."""

    def __init__(self, max_texts: int = 100_000, max_chars: int = 20_000_000):
        self.max_texts, self.max_chars = max_texts, max_chars
        self._scores: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._chars = 0
        # Collection jobs of the scheduler run in threads and share this process's cache.
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._scores)

    def known(self, texts: Iterable[str]) -> dict[str, tuple[float, float]]:
        """The cached (tone, offensive) scores of those of `texts` that are cached."""
        found = {}
        with self._lock:
            for text in texts:
                scores = self._scores.get(text)
                if scores is not None:
                    self._scores.move_to_end(text)
                    found[text] = scores
        return found

    def add(self, texts: Sequence[str], sentiments: Sequence[float], abuses: Sequence[float]) -> None:
        with self._lock:
            for text, sentiment, abuse in zip(texts, sentiments, abuses, strict=True):
                if text not in self._scores:
                    self._chars += len(text)
                self._scores[text] = (sentiment, abuse)
            while self._scores and (len(self._scores) > self.max_texts or self._chars > self.max_chars):
                dropped, _ = self._scores.popitem(last=False)
                self._chars -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._scores.clear()
            self._chars = 0


SCORES = ScoreCache()


def _watch_parent(parent_pid: int) -> None:
    """Run in each scoring worker as it starts: end the worker once the process that started it
    is gone, however it ended (a SIGKILL runs no clean-up, so the parent cannot stop them)."""
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watch, name="scoring-parent-watch", daemon=True).start()


@cache
def _pool(workers: int) -> ProcessPoolExecutor:
    """One pool per size for the life of the process: starting workers and loading the models
    in them costs more than scoring a batch, so a pool made per call was slower than none."""
    return ProcessPoolExecutor(max_workers=workers, initializer=_watch_parent, initargs=(os.getpid(),))


def scoring_workers(workers: int | None = None) -> int:
    """`workers`, else GROUNDSWELL_SCORING_WORKERS, else 1."""
    return workers or int(os.environ.get("GROUNDSWELL_SCORING_WORKERS", "1"))


# Below this many texts, sending them to the pool costs more than scoring them here.
POOL_MIN_TEXTS = 200


def _to_score(texts: Iterable[str]) -> tuple[dict[str, tuple[float, float]], list[str]]:
    """The cached scores among `texts`, and the distinct texts still to score, in order."""
    distinct = list(dict.fromkeys(texts))
    known = SCORES.known(distinct)
    return known, [text for text in distinct if text not in known]


def score_texts(texts: Sequence[str], workers: int = 1) -> tuple[list[float], list[float]]:
    """Tone and offensive-language score for each text: identical texts are scored once, and
    texts scored before in this process (reposts in later batches) come from `SCORES`."""
    known, fresh = _to_score(texts)
    if fresh:
        if workers > 1 and len(fresh) >= POOL_MIN_TEXTS:
            size = -(-len(fresh) // workers)
            chunks = [fresh[i:i + size] for i in range(0, len(fresh), size)]
            parts = list(_pool(workers).map(_score_chunk, chunks))
            sentiments = [s for part in parts for s in part[0]]
            abuses = [a for part in parts for a in part[1]]
        else:
            sentiments, abuses = _score_chunk(fresh)
        SCORES.add(fresh, sentiments, abuses)
        known.update(zip(fresh, zip(sentiments, abuses, strict=True), strict=True))
    return [known[t][0] for t in texts], [known[t][1] for t in texts]


def _unscored(mentions: list[Mention]) -> list[Mention]:
    return [m for m in mentions if m.sentiment is None or m.abuse is None]


def _apply_scores(todo: list[Mention], sentiments: list[float], abuses: list[float]) -> None:
    for mention, sentiment, abuse in zip(todo, sentiments, abuses, strict=True):
        if mention.sentiment is None:
            mention.sentiment = sentiment
        if mention.abuse is None:
            mention.abuse = abuse


def _finish(mentions: list[Mention], settings: Settings) -> list[Mention]:
    """Language and pseudonyms, the parts of enrichment that follow scoring."""
    if settings.detect_language:
        unknown = [mention for mention in mentions if not mention.lang]
        for mention, lang in zip(unknown, detect_languages([m.text for m in unknown]), strict=True):
            mention.lang = lang
    pseudonymise(mentions, settings)
    return mentions


def enrich(mentions: list[Mention], settings: Settings, workers: int | None = None) -> list[Mention]:
    """Fill tone (`sentiment`), the offensive-language score (`abuse`) and language where
    missing, and pseudonymise authors if asked.

    Mentions are changed in place and returned. The real handle stays on `author_handle` for
    tracker matching, which happens before anything is stored; it is never stored.
    """
    todo = _unscored(mentions)
    if todo:
        sentiments, abuses = score_texts([m.text or "" for m in todo], workers=scoring_workers(workers))
        _apply_scores(todo, sentiments, abuses)
    return _finish(mentions, settings)


def enrich_stream(batches: Iterable[list[Mention]], settings: Settings,
                  workers: int | None = None) -> Iterator[list[Mention]]:
    """Enrich batches as they come, in order: with workers, the next batches are scored in
    worker processes while the caller stores this one, so scoring and storing overlap.

    With one worker it is `enrich` on each batch, in this process.
    """
    workers = scoring_workers(workers)
    if workers <= 1:
        for batch in batches:
            yield enrich(batch, settings, workers=1)
        return
    pool = _pool(workers)
    pending: deque[tuple[list[Mention], list[Mention], dict, list[str], Future | None]] = deque()

    def finished(batch, todo, known, fresh, future) -> list[Mention]:
        if future is not None:
            sentiments, abuses = future.result()
            SCORES.add(fresh, sentiments, abuses)
            known.update(zip(fresh, zip(sentiments, abuses, strict=True), strict=True))
        texts = [m.text or "" for m in todo]
        _apply_scores(todo, [known[t][0] for t in texts], [known[t][1] for t in texts])
        return _finish(batch, settings)

    for batch in batches:
        todo = _unscored(batch)
        known, fresh = _to_score(m.text or "" for m in todo)
        future = pool.submit(_score_chunk, fresh) if fresh else None
        pending.append((batch, todo, known, fresh, future))
        # One batch ahead per worker keeps every worker busy while the caller stores.
        if len(pending) > workers:
            yield finished(*pending.popleft())
    while pending:
        yield finished(*pending.popleft())
