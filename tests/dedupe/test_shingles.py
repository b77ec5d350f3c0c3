"""Normalisation and shingle hashing against plain-Python references."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import polars as pl
import pytest

from curate.dedupe.shingles import (
    EXACT,
    Normalization,
    normalize,
    python_shingle_hash,
    python_shingles,
    shingle_hashes,
)
from curate.records import normalize_text

TEXTS = [
    "  Hello, World!  This is\t\ta test\n\nof the shingle-hasher.  ",
    "",
    "   \n\t ",
    "short",
    "Ünïcødé ｆｕｌｌ-width — text with ελληνικά and 日本語 mixed in\u00a0here ",
    "a b c d e",
    "Don't STOP believing: it's   O.K.",
    "ÉCOLE Straße façade … “quoted” words",
    None,
]


def reference(text: str | None, lowercase: bool, drop_punctuation: bool) -> str:
    t = unicodedata.normalize("NFKC", text or "")
    if lowercase:
        t = t.lower()
    return re.sub(r"[^\w]+" if drop_punctuation else r"\s+", " ", t).strip()


@pytest.mark.parametrize("lowercase", [False, True])
@pytest.mark.parametrize("drop_punctuation", [False, True])
def test_normalize_matches_python(lowercase: bool, drop_punctuation: bool) -> None:
    how = Normalization(lowercase, drop_punctuation)
    got = normalize(pl.Series(TEXTS, dtype=pl.Utf8), how).texts()
    assert got == [reference(t, lowercase, drop_punctuation) for t in TEXTS]


def test_exact_normalisation_is_the_record_hash_normalisation() -> None:
    """The exact-duplicate key uses the same normalisation as Record.content_hash."""
    got = normalize(pl.Series(TEXTS, dtype=pl.Utf8), EXACT).texts()
    assert got == [normalize_text(t or "") for t in TEXTS]


def test_normalize_ascii_only_batch_and_leading_spaces() -> None:
    texts = ["   lead", "trail   ", "  both  ", "mid   dle", " ", "x"]
    got = normalize(pl.Series(texts), Normalization(True, True)).texts()
    assert got == ["lead", "trail", "both", "mid dle", "", "x"]


@pytest.mark.parametrize("kind,n", [("word", 5), ("word", 1), ("word", 3), ("char", 5), ("char", 2), ("char", 1)])
def test_shingle_hashes_match_one_string_at_a_time(kind: str, n: int) -> None:
    buf = normalize(pl.Series(TEXTS, dtype=pl.Utf8), Normalization(True, True))
    batch = shingle_hashes(buf, n, kind)
    assert len(batch) == len(TEXTS)
    for d, text in enumerate(buf.texts()):
        expected = [python_shingle_hash(s) for s in python_shingles(text, n, kind)]
        assert batch.of(d).tolist() == expected


def test_short_and_empty_texts() -> None:
    buf = normalize(pl.Series(["one two", "", "a b c d e f"]), Normalization(True, True))
    batch = shingle_hashes(buf, 5, "word")
    assert batch.counts.tolist() == [1, 0, 2]  # whole text, nothing, two 5-grams
    assert batch.of(0).tolist() == [python_shingle_hash("one two")]


def test_hash_does_not_depend_on_position_or_batch() -> None:
    """The same sentence hashes the same wherever it sits and whatever it is batched with."""
    s = "the printer on the third floor is jammed again"
    texts = [s, "x " * 1000 + s, "unrelated words here " + s + " and more"]
    buf = normalize(pl.Series(texts), Normalization(True, True))
    batch = shingle_hashes(buf, 5, "word")
    alone = set(shingle_hashes(normalize(pl.Series([s]), Normalization(True, True)), 5, "word").of(0).tolist())
    for d in range(len(texts)):
        assert alone <= set(batch.of(d).tolist())


def test_chunking_of_large_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches longer than one hashing chunk give the same hashes as small ones."""
    import curate.dedupe.shingles as sh

    rng = np.random.default_rng(3)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    texts = [" ".join(rng.choice(words, size=int(rng.integers(1, 60)))) for _ in range(200)]
    buf = normalize(pl.Series(texts), Normalization(True, True))
    whole = shingle_hashes(buf, 4, "word")
    monkeypatch.setattr(sh, "_CHUNK_BYTES", 256)  # many chunks, some texts longer than one
    chunked = shingle_hashes(buf, 4, "word")
    assert np.array_equal(whole.hashes, chunked.hashes)
    assert np.array_equal(whole.offsets, chunked.offsets)


def test_bad_arguments() -> None:
    buf = normalize(pl.Series(["a b"]), EXACT)
    with pytest.raises(ValueError):
        shingle_hashes(buf, 0, "word")
    with pytest.raises(ValueError):
        shingle_hashes(buf, 3, "sentence")  # type: ignore[arg-type]
