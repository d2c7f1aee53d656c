"""The fast scorers against the libraries they replace: equal on real texts and on generated edge cases."""

from __future__ import annotations

import csv
import math
import random

import pytest
from profanity_check import predict_prob
from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
)

from collectors import offensive, tone


@pytest.fixture(scope="module")
def vader():
    return SentimentIntensityAnalyzer()


def _differences(vader, texts: list[str]) -> list[tuple[str, float, float]]:
    """Texts whose fast compound is not vaderSentiment's, to the bit (the sign of zero too)."""
    wrong = []
    for text in texts:
        expected, got = vader.polarity_scores(text)["compound"], tone.compound(text)
        if (expected != got or math.copysign(1.0, expected) != math.copysign(1.0, got)
                or type(expected) is not type(got)):
            wrong.append((text, expected, got))
    return wrong


def _real_texts(realworld) -> list[str]:
    """Every text in the VADER ground truth (4,200 tweets) and in HateCheck (3,728 cases)."""
    tweets = (realworld / "sentiment" / "tweets_GroundTruth.txt").read_bytes().decode("utf-8", "replace")
    texts = [line.split("\t", 2)[2] for line in tweets.splitlines()]
    with (realworld / "abuse" / "hatecheck_test_suite_cases.csv").open(encoding="utf-8", newline="") as handle:
        texts += [row["test_case"] for row in csv.DictReader(handle)]
    assert len(texts) == 4200 + 3728
    return texts


def _lexicon_pairs() -> list[tuple[str, str]]:
    """Pairs of alphabetic lexicon words, the second worth half the first. vaderSentiment's "but"
    rule scales the *first* entry equal to each value it meets, so in "first but second" the
    first word, once halved, takes the change meant for the second: a quirk to reproduce."""
    lexicon = tone._tables()[0]
    by_value: dict[float, str] = {}
    for word, value in lexicon.items():
        if word.isalpha():
            by_value.setdefault(value, word)
    return [(by_value[v], by_value[v * 0.5]) for v in by_value if v * 0.5 in by_value][:8]


HANDWRITTEN = [
    "", " ", "\t\n", "!!!", "???", "a", "but", "BUT but", "no", "no no no", "No good", "no good movie",
    "not bad at all", "Not bad at all", "At least it isn't a horrible book.", "the least good idea",
    "very least good", "at least good", "Roger Dodger is one of the least compelling variations on this theme.",
    "VADER is not smart, handsome, nor funny.", "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!",
    "Today only kinda sux! But I'll get by, lol", "The plot was good, but the characters are uncompelling.",
    "kind of good", "kind of", "It was kind of bad", "sort of nice", "just enough fun",
    "Sentiment analysis has never been this good!", "never so bad", "never this happy", "so never happy",
    "Without a doubt, excellent idea.", "Without a doubt, an excellent idea.", "without any doubt good",
    "With VADER, sentiment analysis is the shit!", "bad ass", "badass", "yeah right", "kiss of death",
    "to die for", "the bomb", "bus stop", "beating heart", "cut the mustard", "under the weather",
    "good good good but bad bad bad", "bad but good but bad", "GOOD", "GOOD good", "GOOD BAD",
    "Make sure you :) or :D today!", "Catch utf-8 emoji such as 💘 and 💋 and 😁", "😀😀😀", "x😀y", " 😀 ",
    "🔛 ON! 🆙", "© ® ™", "‼ great ⁉", "love❤love", "no 😀", "happy!!!!!!", "sad???", "sad??", "sad?",
    "good!?!?", "ΣΟΦΟΣ good", "İstanbul is lovely", "straße is great", "ﬁne ﬁne", "K good", "ǅ good",
    "don't like it", "DON'T like it", "cannot love", "aint great", "uh-uh good", "nope, great", "isnt good",
    "(good)", "'good'", "...good...", ":-)", ":(", "<3", "</3", "good,bad", "good.bad", "#good", "@good",
]


def _generated(seed: int, count: int) -> list[str]:
    """Random texts dense in the rules' triggers: lexicon words, boosters, negations, idioms,
    "but", "least", "no", capitals, punctuation runs, emoji and other Unicode."""
    rng = random.Random(seed)
    lexicon, _, emoji_chars = tone._tables()
    words = [w for w in lexicon if rng.random() < 0.05]
    words += list(BOOSTER_DICT) + NEGATE + [w for phrase in SPECIAL_CASES for w in phrase.split()]
    words += ["but", "but", "least", "at", "very", "no", "no", "or", "nor", "kind", "of", "so", "this",
              "never", "without", "doubt", "the", "is", "a"] + sorted(emoji_chars)[::40]
    words += ["ΣΑΣ", "İ", "ǅ", "K", "ﬁ", "’s", "n't", "can't", "😀", "!", "?", "!!", "?!?", ":)", ":D", "©"]
    for first, second in _lexicon_pairs():
        words += [first, second]
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(0, 24)):
            word = rng.choice(words)
            roll = rng.random()
            word = word.upper() if roll < 0.15 else word.capitalize() if roll < 0.2 else word
            if rng.random() < 0.15:
                word += rng.choice([".", ",", "!", "?", "!!", "...", "'", ")", "?!"])
            if rng.random() < 0.05:
                word = rng.choice(["(", '"', "'", "#", "@"]) + word
            parts.append(word + rng.choice([" ", " ", " ", "  ", "\t", "\n", ""]))
        texts.append(("" if rng.random() < 0.9 else " ") + "".join(parts))
    return texts


def test_tone_equals_vader_on_handwritten_edge_cases(vader):
    assert _differences(vader, HANDWRITTEN) == []


def test_tone_equals_vader_where_but_scales_an_earlier_equal_value(vader):
    pairs = _lexicon_pairs()
    assert len(pairs) >= 4
    texts = [f"{first} but {second}" for first, second in pairs]
    texts += [f"so {first} and BUT {second} {second}!" for first, second in pairs]
    assert _differences(vader, texts) == []


def test_tone_equals_vader_on_generated_texts(vader):
    assert _differences(vader, _generated(seed=17, count=6000)) == []


@pytest.mark.realworld
def test_tone_equals_vader_on_every_real_text(vader, realworld):
    assert _differences(vader, _real_texts(realworld)) == []


def _unicode_texts(seed: int, count: int) -> list[str]:
    """Texts that test the tokeniser: words of one and two characters, digits and underscores,
    the separator's own letters, accents, scripts without case, final sigma, ligatures, and
    characters whose lower case is longer or ASCII."""
    rng = random.Random(seed)
    pieces = ["fuck", "shit", "idiot", "stupid", "you", "are", "an", "a", "I", "ok", "zz", "ZZ", "Zz", "z z",
              "b1tch", "a_b", "__", "_", "42", "héllo", "naïve", "ΣΑΣ", "σας", "İdiot", "ǅemal", "Kelvin", "ﬁne",
              "日本語", "ok😀ok", "it’s", "don't", "-", "--", "\n", "\t", "’", "«dumb»", "SHUT UP", "Idiot!"]
    texts = []
    for _ in range(count):
        text = "".join(rng.choice(pieces) + rng.choice([" ", "", ",", ".", "  "]) for _ in range(rng.randint(0, 12)))
        texts.append(text)
    return texts + ["", " ", "ZZ", " ZZ ", "zz", "I", "x y z"]


def test_offensive_equals_predict_prob_on_generated_texts():
    texts = HANDWRITTEN + _unicode_texts(seed=5, count=3000) + _generated(seed=3, count=2000)
    assert offensive.probabilities(texts) == predict_prob(texts).tolist()


@pytest.mark.realworld
def test_offensive_equals_predict_prob_on_every_real_text(realworld):
    texts = _real_texts(realworld)
    assert offensive.probabilities(texts) == predict_prob(texts).tolist()


def test_an_offensive_probability_does_not_depend_on_its_batch():
    texts = _unicode_texts(seed=9, count=300)
    together = offensive.probabilities(texts)
    assert [offensive.probabilities([text])[0] for text in texts[:60]] == together[:60]
    assert offensive.probabilities(texts[::-1])[::-1] == together


def test_counts_are_the_packaged_vectorizers_counts():
    from profanity_check import profanity_check as packaged
    from sklearn.feature_extraction.text import CountVectorizer

    texts = _unicode_texts(seed=2, count=500)
    ours = offensive.counts(texts)
    theirs = CountVectorizer.transform(packaged.vectorizer, texts)  # its counting step alone
    assert ours.shape == theirs.shape and (ours != theirs).nnz == 0
    assert offensive.counts([]).shape == (0, theirs.shape[1])


def test_a_packaged_model_other_than_the_one_reproduced_is_recognised():
    import copy

    from profanity_check import profanity_check as packaged

    assert offensive._differences(packaged.vectorizer, packaged.model) == []
    sublinear = copy.deepcopy(packaged.vectorizer).set_params(sublinear_tf=True)
    assert offensive._differences(sublinear, packaged.model) == ["sublinear_tf=True"]
    isotonic = copy.deepcopy(packaged.model)
    isotonic.method = "isotonic"
    assert offensive._differences(packaged.vectorizer, isotonic) != []
