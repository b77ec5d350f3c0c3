"""Band choice and candidate pairs, checked against datasketch's MinHashLSH and brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH

from curate.dedupe.lsh import (
    candidate_pairs,
    candidate_probability,
    choose_bands,
    estimate_margin,
    estimate_pairs,
)


def test_choose_bands_reaches_the_recall() -> None:
    bands, rows = choose_bands(0.8, 128, recall=0.99)
    assert (bands, rows) == (16, 6)
    assert candidate_probability(0.8, bands, rows) >= 0.99
    # datasketch's default for 0.8/128 is far below that at the threshold
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    assert candidate_probability(0.8, lsh.b, lsh.r) < 0.9
    for t, n in ((0.5, 128), (0.7, 256), (0.9, 64), (0.95, 128)):
        b, r = choose_bands(t, n, 0.99)
        assert b * r <= n
        assert candidate_probability(t, b, r) >= 0.99
        # one more row per band could not reach the recall within the permutations
        assert all(
            candidate_probability(t, nb, r + 1) < 0.99 for nb in range(1, n // (r + 1) + 1)
        )


def test_choose_bands_edges() -> None:
    assert choose_bands(1.0, 64) == (1, 64)
    b, r = choose_bands(0.1, 16, 0.999)  # unreachable: as many bands as possible
    assert (b, r) == (16, 1)
    with pytest.raises(ValueError):
        choose_bands(0.0, 128)


def _sigs(sets: list[list[int]], num_perm: int = 64) -> tuple[np.ndarray, list[MinHash]]:
    ms = []
    for s in sets:
        m = MinHash(num_perm=num_perm, hashfunc=lambda x: x)
        m.update_batch(s)
        ms.append(m)
    return np.stack([m.hashvalues for m in ms]).astype(np.uint32), ms


def _random_sets(n: int, rng: np.random.Generator) -> list[list[int]]:
    """Families of overlapping sets so that many pairs share bands."""
    sets = []
    for _ in range(n // 4):
        base = rng.integers(0, 10_000, size=60)
        for _ in range(4):
            s = base.copy()
            k = int(rng.integers(0, 25))
            s[:k] = rng.integers(10_000, 20_000, size=k)
            sets.append(sorted(set(s.tolist())))
    return sets


def test_candidates_equal_minhashlsh() -> None:
    """Sorting band keys finds exactly the pairs MinHashLSH insert + query finds."""
    rng = np.random.default_rng(0)
    sets = _random_sets(200, rng)
    sigs, ms = _sigs(sets)
    bands, rows = 8, 8
    pairs, stats = candidate_pairs(sigs, bands, rows)
    lsh = MinHashLSH(num_perm=64, params=(bands, rows))
    for i, m in enumerate(ms):
        lsh.insert(i, m)
    expected = set()
    for i, m in enumerate(ms):
        for j in lsh.query(m):
            if j != i:
                expected.add((min(i, j), max(i, j)))
    assert expected, "the sets were built to collide"
    assert set(map(tuple, pairs.tolist())) == expected
    assert stats.pairs == len(expected)


def test_valid_mask_and_brute_force() -> None:
    rng = np.random.default_rng(1)
    sigs, _ = _sigs(_random_sets(80, rng), 32)
    valid = rng.random(sigs.shape[0]) < 0.7
    pairs, _ = candidate_pairs(sigs, 8, 4, valid=valid)
    brute = {
        (i, j)
        for i, j in itertools.combinations(np.flatnonzero(valid).tolist(), 2)
        if any((sigs[i, b * 4 : b * 4 + 4] == sigs[j, b * 4 : b * 4 + 4]).all() for b in range(8))
    }
    assert set(map(tuple, pairs.tolist())) == brute


def test_large_bucket_links_window_and_best_ranked() -> None:
    """A bucket larger than the window gives window pairs plus pairs to its best-ranked
    member, not all n^2 pairs."""
    n = 50
    sigs = np.tile(np.arange(16, dtype=np.uint32), (n, 1))  # all identical: one bucket
    rank = np.arange(n)[::-1].copy()  # the last row is the best ranked
    pairs, stats = candidate_pairs(sigs, 1, 16, rank=rank, window=5)
    got = set(map(tuple, pairs.tolist()))
    assert stats.largest_bucket == n
    assert len(got) < n * (n - 1) // 2
    best = n - 1
    assert all((min(i, best), max(i, best)) in got for i in range(n - 1))
    # members within the window of each other (in rank order) are linked
    order = np.argsort(rank)
    for a in range(n - 5):
        i, j = order[a], order[a + 5]
        assert (min(i, j), max(i, j)) in got


def test_keep_test_prunes_as_pairs_are_made_with_the_same_survivors() -> None:
    """Templated documents: one template shared by all, a few words of each filled in, so
    every band has one huge bucket. ``keep`` sees the pairs band by band and only the
    plausible ones are kept: the same set as filtering all candidates afterwards."""
    rng = np.random.default_rng(3)
    template = rng.integers(0, 1_000_000, size=80)
    sets = []
    for _ in range(600):
        s = template.copy()
        k = int(rng.integers(3, 40))
        s[rng.choice(80, size=k, replace=False)] = rng.integers(2_000_000, 3_000_000, size=k)
        sets.append(sorted(set(s.tolist())))
    sigs, _ = _sigs(sets, 128)
    floor = np.float32(0.7)
    seen: list[int] = []

    def keep(p: np.ndarray) -> np.ndarray:
        seen.append(p.shape[0])
        return estimate_pairs(sigs, p) >= floor

    everything, all_stats = candidate_pairs(sigs, 16, 6, window=64)
    kept, stats = candidate_pairs(sigs, 16, 6, window=64, keep=keep)
    expected = everything[estimate_pairs(sigs, everything) >= floor]
    assert all_stats.largest_bucket > 100  # the template made large buckets
    assert 0 < kept.shape[0] < everything.shape[0] // 2
    assert set(map(tuple, kept.tolist())) == set(map(tuple, expected.tolist()))
    assert stats.pairs == kept.shape[0] and stats.pairs_pruned > 0
    # the test saw slices, never the whole candidate set at once
    assert max(seen) < everything.shape[0]


def test_estimates_and_margin() -> None:
    sigs = np.array([[1, 2, 3, 4], [1, 2, 0, 0], [9, 9, 9, 9]], dtype=np.uint32)
    est = estimate_pairs(sigs, np.array([[0, 1], [0, 2], [1, 1]]))
    assert est.tolist() == [0.5, 0.0, 1.0]
    assert estimate_margin(0.8, 128) == pytest.approx(4 * np.sqrt(0.16 / 128))
