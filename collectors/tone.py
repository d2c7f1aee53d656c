"""Tone of a text: vaderSentiment 3.3.2's compound score by the same arithmetic, computed faster."""

from __future__ import annotations

import heapq
import string
from functools import cache

# The rules' constants and word lists are vaderSentiment's own, imported rather than copied, so
# there is one definition of each; only the control flow below is rewritten.
from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    C_INCR,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
    normalize,
)

_NEGATE = frozenset(NEGATE)
# Every word of a phrase the idiom rule looks for. Each phrase it builds around word i holds
# word i or word i-2, so when neither is one of these no phrase can match.
_PHRASE_WORDS = frozenset(word for phrase in [*SPECIAL_CASES, *BOOSTER_DICT] if " " in phrase
                          for word in phrase.split())
_PUNCTUATION = string.punctuation
_amplify_ep = SentimentIntensityAnalyzer._amplify_ep
_amplify_qm = SentimentIntensityAnalyzer._amplify_qm


@cache
def _tables() -> tuple[dict[str, float], dict[str, str], frozenset[str]]:
    """The word lexicon and the emoji descriptions, read from the installed vaderSentiment by its
    own loader, and the emoji its per-character pass can replace."""
    reference = SentimentIntensityAnalyzer()
    # Its pass looks characters up one at a time, so an emoji of several code points never matches.
    singles = frozenset(key for key in reference.emojis if len(key) == 1)
    return reference.lexicon, reference.emojis, singles


def _describe_emoji(text: str, emojis: dict[str, str]) -> str:
    """vaderSentiment's emoji pass: each emoji becomes its description, after a space unless the
    character before it was a space (or it starts the text), with nothing added after it."""
    out = []
    prev_space = True
    for char in text:
        description = emojis.get(char)
        if description is not None:
            if not prev_space:
                out.append(" ")
            out.append(description)
            prev_space = False
        else:
            out.append(char)
            prev_space = char == " "
    return "".join(out)


def _negated(word_lower: str) -> bool:
    """vaderSentiment's `negated` on one lowered word."""
    return word_lower in _NEGATE or "n't" in word_lower


def _idioms(valence, lowers: list[str], i: int):
    """vaderSentiment's `_special_idioms_check` (only reached with i > 2)."""
    onezero = f"{lowers[i - 1]} {lowers[i]}"
    twoonezero = f"{lowers[i - 2]} {lowers[i - 1]} {lowers[i]}"
    twoone = f"{lowers[i - 2]} {lowers[i - 1]}"
    threetwoone = f"{lowers[i - 3]} {lowers[i - 2]} {lowers[i - 1]}"
    threetwo = f"{lowers[i - 3]} {lowers[i - 2]}"
    for sequence in (onezero, twoonezero, twoone, threetwoone, threetwo):
        if sequence in SPECIAL_CASES:
            valence = SPECIAL_CASES[sequence]
            break
    last = len(lowers) - 1
    if last > i:
        zeroone = f"{lowers[i]} {lowers[i + 1]}"
        if zeroone in SPECIAL_CASES:
            valence = SPECIAL_CASES[zeroone]
    if last > i + 1:
        zeroonetwo = f"{lowers[i]} {lowers[i + 1]} {lowers[i + 2]}"
        if zeroonetwo in SPECIAL_CASES:
            valence = SPECIAL_CASES[zeroonetwo]
    for n_gram in (threetwoone, threetwo, twoone):
        if n_gram in BOOSTER_DICT:
            valence = valence + BOOSTER_DICT[n_gram]
    return valence


def _negation(valence, lowers: list[str], start_i: int, i: int):
    """vaderSentiment's `_negation_check`."""
    if start_i == 0:
        if _negated(lowers[i - 1]):
            valence = valence * N_SCALAR
    elif start_i == 1:
        if lowers[i - 2] == "never" and lowers[i - 1] in ("so", "this"):
            valence = valence * 1.25
        elif lowers[i - 2] == "without" and lowers[i - 1] == "doubt":
            pass
        elif _negated(lowers[i - 2]):
            valence = valence * N_SCALAR
    else:
        if (lowers[i - 3] == "never" and lowers[i - 2] in ("so", "this")) or lowers[i - 1] in ("so", "this"):
            valence = valence * 1.25
        elif lowers[i - 3] == "without" and (lowers[i - 2] == "doubt" or lowers[i - 1] == "doubt"):
            pass
        elif _negated(lowers[i - 3]):
            valence = valence * N_SCALAR
    return valence


def _valence(lexicon: dict[str, float], words: list[str], lowers: list[str], i: int, is_cap_diff: bool):
    """vaderSentiment's `sentiment_valence` for a word known to be in the lexicon."""
    low = lowers[i]
    base = lexicon[low]
    valence = base
    if low == "no" and i != len(lowers) - 1 and lowers[i + 1] in lexicon:
        valence = 0.0
    if ((i > 0 and lowers[i - 1] == "no") or (i > 1 and lowers[i - 2] == "no")
            or (i > 2 and lowers[i - 3] == "no" and lowers[i - 1] in ("or", "nor"))):
        valence = base * N_SCALAR
    if is_cap_diff and words[i].isupper():
        if valence > 0:
            valence += C_INCR
        else:
            valence -= C_INCR
    for start_i in range(3):
        if i > start_i and lowers[i - (start_i + 1)] not in lexicon:
            before = i - (start_i + 1)
            scalar = 0.0  # vaderSentiment's `scalar_inc_dec`
            if lowers[before] in BOOSTER_DICT:
                scalar = BOOSTER_DICT[lowers[before]]
                if valence < 0:
                    scalar *= -1
                if words[before].isupper() and is_cap_diff:
                    if valence > 0:
                        scalar += C_INCR
                    else:
                        scalar -= C_INCR
            if start_i == 1 and scalar != 0:
                scalar = scalar * 0.95
            if start_i == 2 and scalar != 0:
                scalar = scalar * 0.9
            # Added even when it is 0.0: that turns a -0.0 valence into 0.0, as the original does.
            valence = valence + scalar
            valence = _negation(valence, lowers, start_i, i)
            if start_i == 2 and (low in _PHRASE_WORDS or lowers[i - 2] in _PHRASE_WORDS):
                valence = _idioms(valence, lowers, i)
    # vaderSentiment's `_least_check`
    if i > 1 and lowers[i - 1] == "least" and "least" not in lexicon:
        if lowers[i - 2] != "at" and lowers[i - 2] != "very":
            valence = valence * N_SCALAR
    elif i > 0 and lowers[i - 1] == "least" and "least" not in lexicon:
        valence = valence * N_SCALAR
    return valence


def _but(lowers: list[str], sentiments: list) -> None:
    """vaderSentiment's `_but_check`, in place, in O(n log n) instead of O(n^2).

    The original walks the list and, for each value, changes the *first* entry equal to it
    (`sentiments.index(value)`), which is not always the entry it is looking at once an earlier
    entry has been halved into an equal value. Keeping, for each value, a heap of the positions
    that hold it finds that same first entry without scanning.
    """
    bi = lowers.index("but")
    holders: dict[float, list[int]] = {}
    for position, value in enumerate(sentiments):
        holders.setdefault(value, []).append(position)  # positions ascend: each list is a heap
    for k in range(len(sentiments)):
        value = sentiments[k]
        heap = holders[value]
        si = heap[0]
        if si == bi:
            continue
        changed = value * 0.5 if si < bi else value * 1.5
        heapq.heappop(heap)
        sentiments[si] = changed
        heapq.heappush(holders.setdefault(changed, []), si)


def compound(text: str) -> float:
    """vaderSentiment 3.3.2's `polarity_scores(text)["compound"]`, equal to the last bit."""
    lexicon, emojis, emoji_chars = _tables()
    # Every emoji is outside ASCII, and isascii() is a flag read: most texts skip the pass.
    if not text.isascii() and not emoji_chars.isdisjoint(text):
        text = _describe_emoji(text, emojis)
    text = text.strip()
    # vaderSentiment's `_strip_punc_if_word`, inlined (a call per token cost a fifth of the
    # time): punctuation off both ends, unless two or fewer characters would be left (then it
    # was probably an emoticon, kept whole).
    words = [token if len(stripped := token.strip(_PUNCTUATION)) <= 2 else stripped for token in text.split()]
    if not words:
        return 0.0
    lowers = list(map(str.lower, words))
    capitals = sum(map(str.isupper, words))
    is_cap_diff = 0 < len(words) - capitals < len(words)
    # Words outside the lexicon score 0 (an int, as in the original, which sums the same).
    sentiments: list = [0] * len(words)
    last = len(lowers) - 1
    for i in [i for i, low in enumerate(lowers) if low in lexicon]:
        low = lowers[i]
        # Boosters, and "kind" of "kind of", modify their neighbours and score 0 themselves.
        if low not in BOOSTER_DICT and not (low == "kind" and i < last and lowers[i + 1] == "of"):
            sentiments[i] = _valence(lexicon, words, lowers, i, is_cap_diff)
    if "but" in lowers:
        _but(lowers, sentiments)
    total = float(sum(sentiments))
    emphasis = _amplify_ep(text) + _amplify_qm(text)
    if total > 0:
        total += emphasis
    elif total < 0:
        total -= emphasis
    return round(normalize(total), 4)


def compounds(texts: list[str]) -> list[float]:
    """`compound` of each text."""
    return [compound(text) for text in texts]
