"""An allow-list derived from the data: a first pass over a batch counts, per capitalised
term (one word, or two capitalised words in a row), the number of records it occurs in.
A term in at least ``max(min_count, min_share * records)`` records of a batch of at least
``min_records`` is a product, interface or domain word ("Click", "React Native",
"PostgreSQL"), not one person: NER's detections equal to it are not kept
(curate.pii.engine). Three guards keep a real name from passing this way: small batches
derive nothing; a term with a word in the name lexicons (given names and surnames of
every Faker locale) is never frequent; and only NER's detections are excused, not the
context rules (a support agent who signs every reply is still found by the sign-off
rule). Deterministic: the same batch gives the same list."""

from __future__ import annotations

import math
from collections import Counter

import regex as re

from curate.pii.lexicon import is_name_word

_CAP = re.compile(r"(?<![\p{L}\p{N}_])\p{Lu}[\p{L}\p{N}]{1,40}+(?![\p{L}\p{N}_])")


def record_terms(texts: list[str]) -> set[str]:
    """The capitalised words and pairs of adjacent capitalised words of one record."""
    out: set[str] = set()
    for text in texts:
        prev_end, prev = -2, None
        for m in _CAP.finditer(text):
            w = m.group()
            out.add(w)
            if prev is not None and text[prev_end:m.start()] == " ":
                out.add(f"{prev} {w}")
            prev, prev_end = w, m.end()
    return out


def frequent_terms(records: list[list[str]], min_records: int = 50, min_share: float = 0.05,
                   min_count: int = 5) -> frozenset[str]:
    """The terms frequent across ``records`` (each a list of its texts)."""
    n = len(records)
    if n < min_records:
        return frozenset()
    need = max(min_count, math.ceil(min_share * n))
    counts: Counter[str] = Counter()
    for texts in records:
        counts.update(record_terms(texts))
    return frozenset(
        t for t, c in counts.items() if c >= need and not any(is_name_word(w) for w in t.split())
    )
