"""Offensive-language probability: alt-profanity-check's packaged model, its features built faster."""

from __future__ import annotations

import re
from functools import cache
from itertools import repeat

import numpy as np
from scipy import sparse

# Between texts in the one string a batch is tokenised as. Every text is lowered first and
# lower() never leaves an ASCII capital, so this token cannot come from any text; the spaces
# around it end a word exactly as the end of a text does.
_SEPARATOR = "ZZ"
_JOIN = f" {_SEPARATOR} "
_IS_SEPARATOR = -1
_UNKNOWN = -2
# The packaged token pattern, `\b\w\w+\b`, finds each run of two or more word characters; so
# does this one without the boundary tests, since a greedy match always starts and ends a run.
_RUNS = re.compile(r"\w{2,}")
# In ASCII, the token pattern's word characters are letters, digits and the underscore.
_ASCII_NOT_WORD = str.maketrans({chr(code): " " for code in range(128)
                                 if not (chr(code).isalnum() or chr(code) == "_")})

# What this module reproduces of the packaged TfidfVectorizer; any other setting would need
# other code, so a model shipped with different settings is refused rather than misread.
_EXPECTED = {"analyzer": "word", "lowercase": True, "preprocessor": None, "tokenizer": None,
             "strip_accents": None, "ngram_range": (1, 1), "binary": False, "input": "content",
             "token_pattern": r"(?u)\b\w\w+\b"}


@cache
def _packaged():
    """The vocabulary (without stop words), its width, the fitted tf-idf step and the classifier,
    from the installed profanity_check package (loaded from its own data files, never downloaded)."""
    from profanity_check import profanity_check as packaged

    vectorizer = packaged.vectorizer
    settings = vectorizer.get_params()
    differs = {k: settings.get(k) for k, v in _EXPECTED.items() if settings.get(k) != v}
    if differs:
        raise RuntimeError(f"profanity_check's vectorizer has settings this scorer does not reproduce: {differs}")
    lookup = dict(vectorizer.vocabulary_)
    for word in vectorizer.get_stop_words() or ():
        lookup.pop(word, None)  # the vectorizer drops stop words before it looks words up
    lookup[_SEPARATOR] = _IS_SEPARATOR
    return lookup, len(vectorizer.vocabulary_), vectorizer._tfidf, packaged.model


def _ascii_words(text: str) -> list[str]:
    return text.translate(_ASCII_NOT_WORD).split()


def _token_ids(lowered: list[str], tokens_of) -> tuple[np.ndarray, np.ndarray]:
    """Vocabulary ids of the tokens of `lowered` texts, tokenised in one call on the texts joined,
    and the position (0..) of the text each one came from."""
    lookup = _packaged()[0]
    tokens = tokens_of(_JOIN.join(lowered))
    ids = np.fromiter(map(lookup.get, tokens, repeat(_UNKNOWN)), dtype=np.int64, count=len(tokens))
    text_of_token = np.cumsum(ids == _IS_SEPARATOR)
    known = ids >= 0
    return ids[known], text_of_token[known]


def counts(texts: list[str]) -> sparse.csr_array:
    """The term counts the packaged vectorizer's CountVectorizer step makes, one row per text,
    from one tokenising pass over all the texts and one dictionary lookup per token.

    In ASCII text the token pattern's runs of word characters are the words left when every
    other character becomes a space, which `str.translate` and `split` find several times faster
    than a pattern; other text goes through `_RUNS`. Words of one character are looked up too
    and never found (the vocabulary has none); stop words are not in the lookup.
    """
    width = _packaged()[1]
    if not texts:
        return sparse.csr_array((0, width), dtype=np.float64)
    lowered = [text.lower() for text in texts]
    ascii_rows = [row for row, text in enumerate(lowered) if text.isascii()]
    other_rows = [row for row, text in enumerate(lowered) if not text.isascii()]
    columns, rows = [], []
    for group, tokens_of in ((ascii_rows, _ascii_words), (other_rows, _RUNS.findall)):
        if group:
            ids, position = _token_ids([lowered[row] for row in group], tokens_of)
            columns.append(ids)
            rows.append(np.asarray(group, dtype=np.int64)[position])
    cells, tally = np.unique(np.concatenate(rows) * width + np.concatenate(columns), return_counts=True)
    indptr = np.searchsorted(cells // width, np.arange(len(texts) + 1), side="left")
    return sparse.csr_array((tally.astype(np.float64), (cells % width).astype(np.int32),
                             indptr.astype(np.int32)), shape=(len(texts), width))


def probabilities(texts: list[str]) -> list[float]:
    """`profanity_check.predict_prob(texts)`, equal to the last bit: the same tf-idf and
    classifier calls on the same counts. Call it with a batch; its cost per call is fixed."""
    if not texts:
        return []
    _, _, tfidf, model = _packaged()
    return model.predict_proba(tfidf.transform(counts(texts), copy=False))[:, 1].tolist()
