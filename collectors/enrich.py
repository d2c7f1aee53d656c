"""Scores each mention: VADER sentiment, an offensive-language probability and language; then pseudonyms."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from functools import cache

from campaigns.model import Mention
from campaigns.privacy import pseudonymise
from campaigns.settings import Settings


@cache
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def score_sentiment(texts: list[str]) -> list[float]:
    """VADER compound score per text, -1..1 (positive >= 0.05, negative <= -0.05)."""
    polarity = _analyzer().polarity_scores
    return [polarity(text or "")["compound"] for text in texts]


def score_abuse(texts: list[str]) -> list[float]:
    """Probability 0..1 that a text is offensive, from alt-profanity-check's packaged model.

    A linear model over words: it flags profanity and slurs, misses politely worded hostility,
    and can flag reclaimed words. The dashboard says so beside every abuse figure.
    """
    if not texts:
        return []
    from profanity_check import predict_prob

    return [float(p) for p in predict_prob([text or "" for text in texts])]


def detect_language(text: str) -> str | None:
    """ISO 639-1 code from py3langid's packaged model; None for text too short to tell."""
    if not text or len(text.strip()) < 12:
        return None
    import py3langid

    return py3langid.classify(text)[0]


def _score_chunk(texts: list[str]) -> tuple[list[float], list[float]]:
    return score_sentiment(texts), score_abuse(texts)


@cache
def _pool(workers: int) -> ProcessPoolExecutor:
    """One pool per size for the life of the process: starting workers and loading the models
    in them costs more than scoring a batch, so a pool made per call was slower than none."""
    return ProcessPoolExecutor(max_workers=workers)


def scoring_workers(workers: int | None = None) -> int:
    """`workers`, else GROUNDSWELL_SCORING_WORKERS, else 1."""
    return workers or int(os.environ.get("GROUNDSWELL_SCORING_WORKERS", "1"))


# Below this many texts, sending them to the pool costs more than scoring them here.
POOL_MIN_TEXTS = 200


def score_texts(texts: Sequence[str], workers: int = 1) -> tuple[list[float], list[float]]:
    """Sentiment and abuse for each text; identical texts (reposts) are scored once."""
    distinct = list(dict.fromkeys(texts))
    if workers > 1 and len(distinct) >= POOL_MIN_TEXTS:
        size = -(-len(distinct) // workers)
        chunks = [distinct[i:i + size] for i in range(0, len(distinct), size)]
        parts = list(_pool(workers).map(_score_chunk, chunks))
        sentiments = [s for part in parts for s in part[0]]
        abuses = [a for part in parts for a in part[1]]
    else:
        sentiments, abuses = _score_chunk(distinct)
    by_text = {text: (s, a) for text, s, a in zip(distinct, sentiments, abuses, strict=True)}
    return [by_text[t][0] for t in texts], [by_text[t][1] for t in texts]


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
        for mention in mentions:
            if not mention.lang:
                mention.lang = detect_language(mention.text)
    pseudonymise(mentions, settings)
    return mentions


def enrich(mentions: list[Mention], settings: Settings, workers: int | None = None) -> list[Mention]:
    """Fill sentiment, abuse and language where missing, and pseudonymise authors if asked.

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
    pending: deque[tuple[list[Mention], list[Mention], list[str], Future]] = deque()

    def finished(batch, todo, distinct, future) -> list[Mention]:
        sentiments, abuses = future.result()
        by_text = {text: (s, a) for text, s, a in zip(distinct, sentiments, abuses, strict=True)}
        _apply_scores(todo, [by_text[m.text or ""][0] for m in todo], [by_text[m.text or ""][1] for m in todo])
        return _finish(batch, settings)

    for batch in batches:
        todo = _unscored(batch)
        distinct = list(dict.fromkeys(m.text or "" for m in todo))
        pending.append((batch, todo, distinct, pool.submit(_score_chunk, distinct)))
        # One batch ahead per worker keeps every worker busy while the caller stores.
        if len(pending) > workers:
            yield finished(*pending.popleft())
    while pending:
        yield finished(*pending.popleft())
