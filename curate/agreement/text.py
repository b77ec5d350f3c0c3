"""Similarity of two free-text labels (a corrected response, a note).

- edit similarity: 1 - Levenshtein distance / length of the longer text (1 = identical,
  0 = nothing in common); computed by rapidfuzz in C++, pair by pair without Python loops.
- token F1: the F1 score of the two texts' word multisets (lower-cased, punctuation
  ignored), as in SQuAD answer scoring: 1 = the same words, 0 = no word in common.

Texts are compared after Unicode NFKC normalisation, trimming and collapsing whitespace,
so a trailing newline is not a disagreement. Two empty texts are identical.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

import numpy as np

_WS = re.compile(r"\s+")
_TOKEN = re.compile(r"\w+", re.UNICODE)


def normalise(text: str) -> str:
    return _WS.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def edit_similarity(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """1 - normalised Levenshtein distance of each pair (a[i], b[i])."""
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cpdist

    if len(a) == 0:
        return np.zeros(0)
    sim = np.asarray(cpdist(list(a), list(b), scorer=Levenshtein.normalized_similarity, dtype=np.float64), dtype=np.float64)
    both_empty = np.fromiter((not x and not y for x, y in zip(a, b)), dtype=bool, count=len(a))
    sim[both_empty] = 1.0
    return sim


def token_f1(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """Token-multiset F1 of each pair (a[i], b[i])."""
    out = np.empty(len(a), dtype=np.float64)
    cache: dict[str, Counter] = {}

    def bag(t: str) -> Counter:
        c = cache.get(t)
        if c is None:
            c = cache[t] = Counter(tokens(t))
        return c

    for i, (x, y) in enumerate(zip(a, b)):
        bx, by = bag(x), bag(y)
        nx, ny = sum(bx.values()), sum(by.values())
        if nx == 0 or ny == 0:
            out[i] = 1.0 if nx == ny else 0.0
            continue
        common = sum((bx & by).values())
        out[i] = 2.0 * common / (nx + ny)
    return out


def similarity(kind: str, a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    return edit_similarity(a, b) if kind == "edit" else token_f1(a, b)
