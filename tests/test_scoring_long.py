"""Long texts are scored in bounded time, in pieces combined as the README says; scores seen before come from the cache."""

from __future__ import annotations

import time

import pytest
from profanity_check import predict_prob
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from campaigns.model import Mention
from campaigns.settings import Settings
from collectors import enrich
from collectors.enrich import (
    MAX_SCORED_CHARS,
    PIECE_CHARS,
    ScoreCache,
    pieces,
    score_abuse,
    score_sentiment,
    score_texts,
)

KIND = ("Thank you to every volunteer who turned up at the library today, it was a lovely morning. "
        "The children's corner was packed and the staff were brilliant! ")
ANGRY = "Shut up you stupid fucking idiot, nobody wants you here. "


def _long(chars: int, seed_text: str = KIND) -> str:
    return (seed_text * (chars // len(seed_text) + 1))[:chars]


def test_a_text_up_to_the_piece_limit_is_scored_whole_as_the_libraries_score_it():
    text = _long(PIECE_CHARS)
    assert pieces(text) == [text]
    assert score_sentiment([text]) == [SentimentIntensityAnalyzer().polarity_scores(text)["compound"]]
    assert score_abuse([text]) == predict_prob([text]).tolist()


def test_a_long_text_is_cut_at_sentence_ends_into_pieces_that_add_up_to_its_scored_part():
    text = _long(PIECE_CHARS * 7 + 123)
    cut = pieces(text)
    assert "".join(cut) == text and len(cut) >= 8
    assert all(PIECE_CHARS // 2 <= len(piece) <= PIECE_CHARS for piece in cut[:-1])
    assert all(piece.rstrip().endswith((".", "!")) for piece in cut[:-1])


def test_text_without_sentence_ends_is_cut_at_spaces_and_text_without_spaces_at_the_limit():
    words = _long(PIECE_CHARS * 3, "word ")
    assert all(piece.endswith(" ") for piece in pieces(words)[:-1])
    solid = "x" * (PIECE_CHARS * 2 + 5)
    assert [len(piece) for piece in pieces(solid)] == [PIECE_CHARS, PIECE_CHARS, 5]
    assert pieces(" " * (PIECE_CHARS * 3)) == [""]


def test_only_the_first_max_scored_characters_count():
    text = _long(MAX_SCORED_CHARS) + ANGRY * 2000
    assert "".join(pieces(text)) == text[:MAX_SCORED_CHARS]
    assert score_abuse([text])[0] < 0.5


def test_a_long_texts_tone_is_the_length_weighted_mean_of_its_pieces_and_its_score_the_worst_piece():
    text = _long(PIECE_CHARS * 4) + " " + ANGRY * 10 + _long(PIECE_CHARS * 2)
    cut = pieces(text)
    vader = SentimentIntensityAnalyzer()
    mean = sum(len(p) * vader.polarity_scores(p)["compound"] for p in cut) / sum(len(p) for p in cut)
    assert score_sentiment([text]) == [round(mean, 4)]
    assert score_abuse([text]) == [max(predict_prob(cut).tolist())]
    assert score_abuse([text])[0] >= 0.5 > score_abuse([_long(len(text))])[0]


def test_a_megabyte_of_text_is_scored_within_a_bound():
    """A correctness guard (scoring stays linear and capped), not a benchmark: the library
    alone took 7 s for 40,000 characters and over 10 minutes for 390,000."""
    text = _long(1_000_000, KIND + ANGRY + "But then 😀 NOT bad at all!! ")
    started = time.perf_counter()
    (sentiment,), (abuse,) = score_texts([text])
    assert time.perf_counter() - started < 5
    assert -1 <= sentiment <= 1 and 0 <= abuse <= 1


@pytest.fixture
def cache(monkeypatch) -> ScoreCache:
    fresh = ScoreCache()
    monkeypatch.setattr(enrich, "SCORES", fresh)
    return fresh


def test_scores_of_texts_seen_before_come_from_the_cache(cache):
    sentiments, abuses = score_texts(["what a lovely day", "what a lovely day", "you idiot"])
    assert len(cache) == 2 and cache.known(["you idiot"]) == {"you idiot": (sentiments[2], abuses[2])}
    # A score only the cache could give shows the next batch read it instead of scoring again.
    cache.add(["seen in an earlier batch"], [0.123], [0.456])
    assert score_texts(["seen in an earlier batch", "you idiot"]) == ([0.123, sentiments[2]], [0.456, abuses[2]])


def test_the_cache_drops_the_least_recently_used_past_its_bounds():
    cache = ScoreCache(max_texts=3, max_chars=99)
    cache.add(["a", "b", "c"], [0.1, 0.2, 0.3], [0.0, 0.0, 0.0])
    cache.known(["a"])
    cache.add(["d"], [0.4], [0.0])
    assert set(cache.known(["a", "b", "c", "d"])) == {"a", "c", "d"}
    cache.add(["x" * 98], [0.5], [0.0])
    assert set(cache.known(["a", "c", "d", "x" * 98])) == {"d", "x" * 98} and len(cache) == 2


def test_a_repost_in_a_later_batch_is_taken_from_the_cache_with_scoring_workers(cache, tmp_path):
    cache.add(["Repost of an earlier batch's post"], [0.321], [0.654])
    batches = [[Mention(platform="x", native_id=str(n), created_at="2026-11-01T10:00:00Z", lang="en",
                        text="Repost of an earlier batch's post" if n % 3 == 0 else f"a new post number {n}")
                for n in range(batch * 250, batch * 250 + 250)] for batch in range(3)]
    streamed = [m for done in enrich.enrich_stream(batches, Settings(db_path=tmp_path / "x.db"), workers=2)
                for m in done]
    assert {(m.sentiment, m.abuse) for m in streamed if int(m.native_id) % 3 == 0} == {(0.321, 0.654)}
    assert len(cache) == 1 + 3 * 250 - 250  # every new text is remembered for the next batch
