"""Semantic duplicates within embedding clusters."""

from __future__ import annotations

import numpy as np
import pytest

from curate.dedupe import semantic
from curate.dedupe.semantic import semantic_duplicates


def unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def near(base: np.ndarray, cos: float, rng: np.random.Generator) -> np.ndarray:
    """A unit vector with cosine ``cos`` to the unit vector ``base``."""
    r = rng.normal(size=base.shape).astype(np.float32)
    r -= (r @ base) * base
    r = unit(r)
    return unit(cos * base + np.sqrt(1 - cos**2) * r)


def test_pairs_within_clusters_only() -> None:
    rng = np.random.default_rng(0)
    a = unit(rng.normal(size=16))
    v = np.stack([a, near(a, 0.99, rng), near(a, 0.99, rng), unit(rng.normal(size=16))])
    # record 2 is as similar as record 1 but sits in another cluster
    group, keep = semantic_duplicates(v, np.array([0, 0, 1, 0]), 0.95)
    assert group.tolist() == [0, 0, -1, -1]
    assert keep.tolist() == [True, False, True, True]
    assert group.dtype == np.int64 and keep.dtype == bool


def test_threshold_is_inclusive_and_dissimilar_stay() -> None:
    rng = np.random.default_rng(1)
    a = unit(rng.normal(size=32))
    v = np.stack([a, near(a, 0.90, rng), near(a, 0.97, rng)])
    group, keep = semantic_duplicates(v, np.zeros(3, int), 0.95)
    assert keep.tolist() == [True, True, False]
    assert group.tolist() == [0, -1, 0]
    group, keep = semantic_duplicates(v[:2], np.zeros(2, int), float(v[0] @ v[1]))
    assert keep.tolist() == [True, False]


def test_priority_decides_who_is_kept() -> None:
    rng = np.random.default_rng(2)
    a = unit(rng.normal(size=8))
    v = np.stack([a, near(a, 0.99, rng), near(a, 0.99, rng)])
    _, keep = semantic_duplicates(v, np.zeros(3, int), 0.9, priority=np.array([1.0, 5.0, 2.0]))
    assert keep.tolist() == [False, True, False]
    # ties go to the lower index
    _, keep = semantic_duplicates(v, np.zeros(3, int), 0.9, priority=np.array([0, 3, 3]))
    assert keep.tolist() == [False, True, False]


def test_chain_keeps_records_not_like_a_kept_one() -> None:
    """A~B, B~C, A not like C: A kept, B dropped, C kept; one group of three."""
    e = np.eye(3, dtype=np.float32)
    a = e[0]
    c = unit(np.array([0.6, 0.8, 0.0]))  # cos(a, c) = 0.6
    b = unit(a + c)  # cos(a, b) = cos(b, c) ~ 0.894
    v = np.stack([a, b, c])
    group, keep = semantic_duplicates(v, np.zeros(3, int), 0.85)
    assert keep.tolist() == [True, False, True]
    assert group.tolist() == [0, 0, 0]
    # with B first, B is kept and both ends are dropped
    _, keep = semantic_duplicates(v, np.zeros(3, int), 0.85, priority=np.array([0, 1, 0]))
    assert keep.tolist() == [False, True, False]


def test_group_ids_numbered_by_smallest_member_and_unclustered() -> None:
    rng = np.random.default_rng(3)
    x, y = unit(rng.normal(size=12)), unit(rng.normal(size=12))
    v = np.stack([y, x, near(y, 0.99, rng), near(x, 0.99, rng), x])
    clusters = np.array([4, 7, 4, 7, -1])  # the last record is unclustered: compared with nobody
    group, keep = semantic_duplicates(v, clusters, 0.95)
    assert group.tolist() == [0, 1, 0, 1, -1]
    assert keep.tolist() == [True, True, False, False, True]


def test_blocked_similarity_matches_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(4)
    centers = unit(rng.normal(size=(5, 24)))
    v = unit(np.repeat(centers, 40, axis=0) + 0.04 * rng.normal(size=(200, 24)).astype(np.float32))
    clusters = np.repeat(np.arange(5), 40)
    whole = semantic_duplicates(v, clusters, 0.97)
    monkeypatch.setattr(semantic, "_BLOCK_CELLS", 37)  # one or two rows per block
    blocked = semantic_duplicates(v, clusters, 0.97)
    assert np.array_equal(whole[0], blocked[0]) and np.array_equal(whole[1], blocked[1])
    # brute force: every dropped record is similar to a kept one of its cluster
    kept = np.flatnonzero(whole[1])
    for i in np.flatnonzero(~whole[1]):
        same = kept[clusters[kept] == clusters[i]]
        assert (v[same] @ v[i] >= 0.97).any()
    # no two kept records of a cluster are similar
    for c in range(5):
        k = kept[clusters[kept] == c]
        sim = v[k] @ v[k].T
        assert not (np.triu(sim, 1) >= 0.97).any()
    assert 0 < (~whole[1]).sum() < 190


def test_empty_and_bad_input() -> None:
    g, k = semantic_duplicates(np.zeros((0, 4), np.float32), np.zeros(0, int), 0.9)
    assert g.size == 0 and k.size == 0
    with pytest.raises(ValueError):
        semantic_duplicates(np.zeros((3, 4), np.float32), np.zeros(2, int), 0.9)
    with pytest.raises(ValueError):
        semantic_duplicates(np.zeros((3, 4), np.float32), np.zeros(3, int), 1.5)
    with pytest.raises(ValueError):
        semantic_duplicates(np.zeros(4, np.float32), np.zeros(4, int), 0.9)
