"""Lists the real words that campaigns.targeting would read as disguised offensive words (its NOT_DISGUISED).

Every word of alt-profanity-check's own vocabulary (the words of its training comments and
tweets) and scikit-learn's English stop words is put through the rules with no exclusions; a
word that comes out changed is a real word that a dropped letter, a swapped pair or a missing
space would otherwise turn into a lexicon word. Run: python scripts/offensive_lexicon.py
"""

from __future__ import annotations

import textwrap

from profanity_check import profanity_check
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from campaigns import targeting


def collisions() -> list[str]:
    targeting.NOT_DISGUISED = frozenset()
    targeting._disguises.cache_clear()
    targeting._canonical.cache_clear()
    vocabulary = set(profanity_check.vectorizer.get_feature_names_out()) | set(ENGLISH_STOP_WORDS)
    found = []
    for word in sorted(vocabulary):
        if not word.isalpha() or word in targeting.LEXICON:
            continue
        parts, disguised = targeting._canonical(word)
        if disguised:
            found.append(word)
    return found


if __name__ == "__main__":
    words = collisions()
    print(f"# {len(words)} words")
    print(textwrap.fill(" ".join(words), width=96))
