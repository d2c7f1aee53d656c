"""Offensive-language probability: alt-profanity-check's packaged model, its features built faster."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import cache
from itertools import repeat

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

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

# What this module reproduces of the packaged TfidfVectorizer and classifier. A package whose
# model differs is scored by the package's own calls instead (slower, never different).
_EXPECTED = {"analyzer": "word", "lowercase": True, "preprocessor": None, "tokenizer": None,
             "strip_accents": None, "ngram_range": (1, 1), "binary": False, "input": "content",
             "token_pattern": r"(?u)\b\w\w+\b", "norm": "l2", "use_idf": True, "sublinear_tf": False}


@dataclass(frozen=True)
class _Model:
    lookup: dict[str, int]            # word -> column, without stop words, plus the separator
    width: int                        # columns: the vocabulary's size
    idf: np.ndarray
    # Per calibrated classifier: the LinearSVC's coef_.T and intercept_, its sigmoid's a_ and b_.
    classifiers: list[tuple[np.ndarray, np.ndarray, float, float]]


def _differences(vectorizer, model) -> list[str]:
    """How the packaged vectorizer and model differ from what `probabilities` reproduces."""
    from sklearn.calibration import CalibratedClassifierCV, _SigmoidCalibration
    from sklearn.linear_model._base import LinearClassifierMixin

    settings = vectorizer.get_params()
    found = [f"{key}={settings.get(key)!r}" for key, value in _EXPECTED.items() if settings.get(key) != value]
    if not isinstance(model, CalibratedClassifierCV) or model.method != "sigmoid" or list(model.classes_) != [0, 1]:
        found.append(f"model {model!r}")
        return found
    width = len(vectorizer.vocabulary_)
    for calibrated in model.calibrated_classifiers_:
        estimator = calibrated.estimator
        if (calibrated.method != "sigmoid" or list(calibrated.classes) != [0, 1]
                or list(estimator.classes_) != [0, 1] or estimator.coef_.shape != (1, width)
                or type(estimator).decision_function is not LinearClassifierMixin.decision_function
                or len(calibrated.calibrators) != 1 or type(calibrated.calibrators[0]) is not _SigmoidCalibration):
            found.append(f"calibrated classifier {estimator!r}")
    return found


@cache
def _packaged() -> _Model | None:
    """The packaged vocabulary, idf weights and calibrated classifiers, from the installed
    profanity_check package (loaded from its own data files, never downloaded); None, with a
    warning, when its model is not the one reproduced here."""
    from profanity_check import profanity_check as packaged

    vectorizer, model = packaged.vectorizer, packaged.model
    try:
        differs = _differences(vectorizer, model)
    except ImportError as error:  # sklearn moved a class this check names
        differs = [str(error)]
    if differs:
        warnings.warn("profanity_check's model is not the one collectors.offensive reproduces "
                      f"({'; '.join(differs)}): scoring with the package's own calls", stacklevel=2)
        return None
    lookup = dict(vectorizer.vocabulary_)
    for word in vectorizer.get_stop_words() or ():
        lookup.pop(word, None)  # the vectorizer drops stop words before it looks words up
    lookup[_SEPARATOR] = _IS_SEPARATOR
    classifiers = [(c.estimator.coef_.T, c.estimator.intercept_, c.calibrators[0].a_, c.calibrators[0].b_)
                   for c in model.calibrated_classifiers_]
    return _Model(lookup, len(vectorizer.vocabulary_), vectorizer.idf_, classifiers)


def _ascii_words(text: str) -> list[str]:
    return text.translate(_ASCII_NOT_WORD).split()


def _token_ids(lowered: list[str], tokens_of) -> tuple[np.ndarray, np.ndarray]:
    """Vocabulary ids of the tokens of `lowered` texts, tokenised in one call on the texts joined,
    and the position (0..) of the text each one came from."""
    lookup = _packaged().lookup
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
    width = _packaged().width
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
    """`profanity_check.predict_prob(texts)`, equal to the last bit: sklearn's own numpy and
    scipy operations on the same counts (tf-idf weights, l2 row norms, each calibrated
    LinearSVC's decision and sigmoid, their mean), without its per-call input checks, which
    cost more than scoring a thousand posts. Call it with a batch."""
    if not texts:
        return []
    model = _packaged()
    if model is None:
        from profanity_check import predict_prob

        return predict_prob(texts).tolist()
    features = counts(texts)
    features.data *= model.idf[features.indices]        # TfidfTransformer.transform
    inplace_csr_row_normalize_l2(features)               # normalize(norm="l2")
    total = np.zeros(len(texts))                         # CalibratedClassifierCV.predict_proba
    for coef_t, intercept, a, b in model.classifiers:
        decision = (features @ coef_t + intercept).reshape(-1)   # LinearSVC.decision_function
        total += expit(-(a * decision + b))               # _SigmoidCalibration.predict
    total /= len(model.classifiers)
    return total.tolist()
