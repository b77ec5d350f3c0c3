"""Bulk signatures: identical to datasketch's MinHash, and torch identical to numpy."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from datasketch import MinHash

from curate.dedupe import minhash
from curate.dedupe.minhash import EMPTY, signatures_numpy, signatures_torch
from curate.dedupe.shingles import Normalization, ShingleBatch, normalize, shingle_hashes

TICKETS = [
    (
        "Hi, my order 88123 arrived damaged. The box was crushed and the lamp inside is broken. "
        "Can you send a replacement or refund me?"
    ),
    (
        "Hello, my order 88123 arrived damaged: the box was crushed and the lamp inside is broken. "
        "Could you send a replacement or a refund?"
    ),
    "How do I change the email address on my account? The settings page shows no edit button.",
    "",
    "ok",
]


def _batch(texts: list[str], ngram: int = 5, kind: str = "word") -> ShingleBatch:
    return shingle_hashes(normalize(pl.Series(texts), Normalization(True, True)), ngram, kind)


@pytest.mark.parametrize("num_perm,seed", [(128, 1), (64, 7), (256, 1)])
def test_signatures_equal_datasketch(num_perm: int, seed: int) -> None:
    batch = _batch(TICKETS)
    sigs = signatures_numpy(batch, num_perm, seed)
    assert sigs.shape == (len(TICKETS), num_perm) and sigs.dtype == np.uint32
    for d in range(len(TICKETS)):
        m = MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda x: x)
        m.update_batch(batch.of(d).tolist())
        assert np.array_equal(m.hashvalues, sigs[d]), d


def test_empty_document_has_the_empty_signature() -> None:
    sigs = signatures_numpy(_batch(["", "some text here"]), 32)
    assert (sigs[0] == EMPTY).all()
    assert not (sigs[1] == EMPTY).all()
    assert signatures_numpy(_batch([""]), 16).shape == (1, 16)


def test_torch_on_cpu_equals_numpy() -> None:
    """The GPU path, run on CPU tensors, gives bit-identical signatures."""
    rng = np.random.default_rng(11)
    vocab = [f"w{i}" for i in range(300)]
    texts = TICKETS + [" ".join(rng.choice(vocab, size=int(rng.integers(0, 120)))) for _ in range(40)]
    for kind, n in (("word", 5), ("char", 4)):
        batch = _batch(texts, n, kind)
        for num_perm, seed in ((128, 1), (96, 42)):
            expected = signatures_numpy(batch, num_perm, seed)
            got = signatures_torch(batch, num_perm, seed, device="cpu")
            assert got.dtype == np.uint32
            assert np.array_equal(got, expected)


def test_blocks_do_not_change_signatures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Documents larger than a block and blocks that split a batch give the same result."""
    rng = np.random.default_rng(5)
    hashes = rng.integers(0, 2**32, size=5000, dtype=np.uint32)
    counts = np.array([0, 1, 2000, 3, 0, 1500, 1496], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    batch = ShingleBatch(hashes, offsets)
    whole = signatures_numpy(batch, 64)
    monkeypatch.setattr(minhash, "_CPU_BLOCK", 700)
    monkeypatch.setattr(minhash, "_BLOCK", 333)
    assert np.array_equal(signatures_numpy(batch, 64), whole)
    assert np.array_equal(signatures_torch(batch, 64, device="cpu"), whole)
    for d in range(len(counts)):
        seg = hashes[offsets[d] : offsets[d + 1]]
        m = MinHash(num_perm=64, hashfunc=lambda x: x)
        m.update_batch(seg.tolist())
        assert np.array_equal(m.hashvalues, whole[d])


def test_estimate_tracks_true_jaccard() -> None:
    rng = np.random.default_rng(2)
    base = np.unique(rng.integers(0, 2**32, size=400, dtype=np.uint32))
    other = base.copy()
    other[:100] = rng.integers(0, 2**32, size=100, dtype=np.uint32)
    true = np.intersect1d(base, other).size / np.union1d(base, other).size
    batch = ShingleBatch(np.concatenate([base, other]), np.array([0, base.size, base.size + other.size]))
    sigs = signatures_numpy(batch, 512)
    est = float(minhash.jaccard_estimate(sigs[0], sigs[1]))
    assert abs(est - true) < 4 * np.sqrt(true * (1 - true) / 512)


def test_device_dispatch() -> None:
    batch = _batch(TICKETS)
    assert np.array_equal(minhash.signatures(batch, 32, device="cpu"), signatures_numpy(batch, 32))
