"""Greedy k-center: the numpy path, the torch path (GPU code run on the CPU), and the
farthest-point property."""

from __future__ import annotations

import numpy as np
from select_testdata import blobs

from curate.select.kcenter import k_center_greedy, nearest_to_mean


def test_each_pick_is_the_farthest_from_the_earlier_ones():
    x, _ = blobs(n=600)
    picks, gaps, final = k_center_greedy(x, 25)
    assert picks[0] == nearest_to_mean(x) and np.isnan(gaps[0])
    for r in range(1, len(picks)):
        d = (1 - x @ x[picks[:r]].T).min(1)
        assert picks[r] == int(np.argmax(d))
        assert abs(gaps[r] - d.max()) < 1e-5
    assert len(set(picks.tolist())) == 25
    np.testing.assert_allclose(final, np.clip((1 - x @ x[picks].T).min(1), 0, 2), atol=1e-5)
    assert np.all(np.diff(gaps[1:]) <= 1e-6), "the covering radius only shrinks"


def test_torch_path_equals_numpy_path():
    x, _ = blobs(n=800, seed=3)
    a = k_center_greedy(x, 40)
    from curate.select import kcenter

    t = kcenter._k_center_torch(x, 40, None, None, "cpu")  # what device="cuda" runs
    assert (t[0] == a[0]).all()
    np.testing.assert_allclose(t[1], a[1], atol=1e-5)


def test_preselected_records_count_as_covered():
    x, _ = blobs(n=300, seed=5)
    picks, _, _ = k_center_greedy(x, 10)
    more, _, _ = k_center_greedy(x, 5, preselected=picks[:10])
    assert not set(more.tolist()) & set(picks.tolist())
    np.testing.assert_array_equal(more, k_center_greedy(x, 15)[0][10:])


def test_budget_larger_than_the_data():
    x, _ = blobs(n=7)
    picks, _, final = k_center_greedy(x, 50)
    assert sorted(picks.tolist()) == list(range(7))
    assert np.allclose(final, 0, atol=1e-5)
