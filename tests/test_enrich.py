"""Enrichment: VADER sentiment against human ratings, abuse scores, language, keyed pseudonyms."""

import math

import pytest

from campaigns.model import Mention
from campaigns.privacy import pseudonym
from campaigns.settings import Settings
from collectors.enrich import enrich, score_abuse, score_sentiment, score_texts


def test_scores_are_in_range_and_point_the_right_way():
    good, bad, flat = score_sentiment(["I love this, brilliant work!", "This is awful and I hate it", "The bus is at 5"])
    assert good >= 0.05 and bad <= -0.05 and -0.05 < flat < 0.05
    kind, abusive = score_abuse(["Thank you for your work", "shut up you stupid idiot"])
    assert 0 <= kind < 0.5 <= abusive <= 1


def test_identical_texts_are_scored_once_and_in_order():
    texts = ["great!", "terrible", "great!"]
    sentiments, abuses = score_texts(texts)
    assert sentiments[0] == sentiments[2] and sentiments == score_sentiment(texts)
    assert len(abuses) == 3


def test_pseudonyms_replace_handles_with_a_keyed_stable_value(tmp_path, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_PSEUDONYMIZE", "1")
    monkeypatch.setenv("GROUNDSWELL_PSEUDONYM_KEY_FILE", str(tmp_path / "key"))
    settings = Settings.from_env(tmp_path / "g.db")
    assert settings.create_pseudonym_key() == tmp_path / "key"  # the explicit step `groundswell init` takes
    mentions = [Mention(platform="x", native_id=str(i), created_at="2026-03-01T00:00:00Z", text="hi there friends",
                        author_key=handle) for i, handle in enumerate(["Alice", "alice", "bob"])]
    enrich(mentions, settings)
    keys = [m.author_key for m in mentions]
    assert keys[0] == keys[1] != keys[2] and all(k.startswith("anon-") for k in keys)
    assert mentions[0].author_handle == "Alice"  # kept in memory for matching, never stored
    assert (tmp_path / "key").stat().st_mode & 0o777 == 0o600
    assert keys[0] != pseudonym("alice", b"another key")


@pytest.mark.realworld
def test_vader_agrees_with_people_on_real_tweets(realworld):
    """VADER's paper reports r = 0.881 on these 4,200 tweets; we must reach at least 0.85."""
    rows = [line.split("\t", 2) for line in
            (realworld / "sentiment" / "tweets_GroundTruth.txt").read_bytes().decode("utf-8", "replace").splitlines()]
    ratings = [float(row[1]) for row in rows]
    scores = score_sentiment([row[2] for row in rows])
    assert len(scores) == 4200
    mean_r, mean_s = sum(ratings) / len(ratings), sum(scores) / len(scores)
    covariance = sum((r - mean_r) * (s - mean_s) for r, s in zip(ratings, scores, strict=True))
    pearson = covariance / math.sqrt(sum((r - mean_r) ** 2 for r in ratings) * sum((s - mean_s) ** 2 for s in scores))
    assert pearson >= 0.85, pearson


def test_languages_are_detected_once_per_distinct_text_and_cached_as_detected():
    from collectors import enrich as enrich_module

    texts = ["The council meets on Tuesday to decide the budget.", None, "",
             "Le conseil se réunit mardi pour voter le budget.",
             "The council meets on Tuesday to decide the budget.", "short",
             "El ayuntamiento vota el presupuesto el martes por la tarde."]
    expected = [enrich_module.detect_language(t) if t else None for t in texts]
    enrich_module._languages.clear()
    assert enrich_module.detect_languages(texts) == expected
    assert expected[0] == "en" and expected[3] == "fr" and expected[5] is None
    assert texts[0] in enrich_module._languages
    # Seen before: the cached answer, the same as the model's.
    assert enrich_module.detect_languages(texts[::-1]) == expected[::-1]
