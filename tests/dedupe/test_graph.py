"""Groups and the keep rule: a record is dropped only as a duplicate of a kept record."""

from __future__ import annotations

import numpy as np

from curate.dedupe.graph import greedy_keep


def P(*pairs: tuple[int, int]) -> np.ndarray:
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def test_chain_keeps_both_ends() -> None:
    """A~B, B~C, A not like C: visiting A first keeps A, drops B, and keeps C."""
    a, b, c = 0, 1, 2
    res = greedy_keep(3, P((a, b), (b, c)), np.array([0.85, 0.85]), rank=np.array([0, 1, 2]))
    assert res.keep.tolist() == [True, False, True]
    assert res.dup_of.tolist() == [-1, a, -1]
    # visiting B first keeps only B: A and C are both like B
    res = greedy_keep(3, P((a, b), (b, c)), np.array([0.85, 0.85]), rank=np.array([1, 0, 2]))
    assert res.keep.tolist() == [False, True, False]
    assert res.dup_of.tolist() == [b, -1, b]


def test_dropped_record_points_to_most_similar_kept() -> None:
    # 0 and 1 kept (not alike), 2 is like both, more like 1
    res = greedy_keep(3, P((0, 2), (1, 2)), np.array([0.81, 0.93]), rank=np.array([0, 1, 2]))
    assert res.keep.tolist() == [True, True, False]
    assert res.dup_of[2] == 1
    assert res.similarity[2] == np.float32(0.93)
    assert np.isnan(res.similarity[0])


def test_dropped_neighbours_do_not_drop() -> None:
    """Being like a dropped record is no reason to drop: 0 kept, 1 dropped (like 0),
    2 like 1 only: kept."""
    res = greedy_keep(4, P((0, 1), (1, 2)), np.ones(2), rank=np.array([0, 1, 2, 3]))
    assert res.keep.tolist() == [True, False, True, True]


def test_rank_ties_go_to_lower_index() -> None:
    res = greedy_keep(2, P((0, 1)), np.ones(1), rank=np.array([5, 5]))
    assert res.keep.tolist() == [True, False]


def test_star_and_clique() -> None:
    n = 6
    clique = P(*[(i, j) for i in range(n) for j in range(i + 1, n)])
    res = greedy_keep(n, clique, np.ones(len(clique)), rank=np.array([3, 2, 0, 4, 5, 1]))
    assert res.keep.tolist() == [False, False, True, False, False, False]
    assert set(res.dup_of[~res.keep].tolist()) == {2}
