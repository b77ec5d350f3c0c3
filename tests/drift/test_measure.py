"""The drift figures on vectors: novelty, Jensen-Shannon divergence, its sampling null,
cluster assignment, strata, the batch pick. Synthetic unit vectors; no model."""

from __future__ import annotations

import numpy as np

from curate.drift.batch import pick_batch
from curate.drift.compare import measure
from curate.drift.config import DriftConfig
from curate.drift.measure import assign, centroids_of, jsd, jsd_null, nn_distances_within, novelty


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def blobs(rng, centres: np.ndarray, n: int, noise: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    lab = rng.integers(0, centres.shape[0], n)
    return unit(centres[lab] + noise * rng.standard_normal((n, centres.shape[1]))), lab


def test_jsd_is_zero_for_equal_shares_and_one_for_disjoint():
    assert jsd(np.array([0.5, 0.5]), np.array([1, 1])) == 0.0
    assert abs(jsd(np.array([1.0, 0.0]), np.array([0.0, 1.0])) - 1.0) < 1e-12
    assert 0 < jsd(np.array([0.7, 0.3]), np.array([0.3, 0.7])) < 1


def test_jsd_null_grows_as_the_sample_shrinks_and_is_seeded():
    p = np.full(20, 0.05)
    small, large = jsd_null(p, 50, seed=1), jsd_null(p, 2000, seed=1)
    assert np.median(small) > 5 * np.median(large)
    assert np.array_equal(small, jsd_null(p, 50, seed=1))


def test_nn_distances_within_leave_each_row_out():
    x = unit(np.array([[1, 0], [1, 0.01], [0, 1]], dtype=np.float32))
    d = nn_distances_within(x)
    assert d[0] < 1e-3 and d[1] < 1e-3 and d[2] > 0.9


def test_novelty_share_is_one_minus_quantile_without_change_and_high_for_a_new_blob():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((8, 32))
    train, _ = blobs(rng, centres, 400)
    held, _ = blobs(rng, centres, 800)
    same, _ = blobs(rng, centres, 2000)
    nov = novelty(train, same, 0.95, held_out=held)
    assert nov.calibration == "candidates" and 0.02 < nov.share < 0.09
    other, _ = blobs(rng, rng.standard_normal((1, 32)), 200)
    assert novelty(train, other, 0.95, held_out=held).share > 0.9
    # no candidates left out: the training set's own nearest-neighbour distances
    assert novelty(train, same, 0.95, held_out=held[:0]).calibration == "training"
    assert novelty(train, same, 0.95, held_out=held, calibrate="training").calibration == "training"


def test_new_records_go_to_the_nearest_centroid():
    rng = np.random.default_rng(1)
    centres = unit(rng.standard_normal((4, 16)))
    x, lab = blobs(rng, centres, 400, noise=0.05)
    ids, cents = centroids_of(x, lab + 10)
    assert list(ids) == [10, 11, 12, 13]
    assert np.array_equal(assign(x, ids, cents), lab + 10)


def test_measure_flags_a_share_shift_and_a_new_topic_but_not_a_fresh_sample():
    rng = np.random.default_rng(2)
    centres = rng.standard_normal((6, 32))
    ref, lab = blobs(rng, centres, 1200)
    train = ref[:300]
    cfg = DriftConfig()
    same, _ = blobs(rng, centres, 300)
    m = measure(train, ref[300:], lab, same, cfg, ref_vectors=ref)
    assert not m.drift and m.decided
    # one cluster takes over: the shares move, nothing is novel
    lab_new = np.where(rng.random(300) < 0.7, 0, rng.integers(0, 6, 300))
    skew = unit(centres[lab_new] + 0.15 * rng.standard_normal((300, 32)))
    m = measure(train, ref[300:], lab, skew, cfg, ref_vectors=ref)
    assert m.drift and any("JSD" in r for r in m.reasons) and m.novelty.share < cfg.novelty_threshold
    # a new topic
    new_topic, _ = blobs(rng, rng.standard_normal((1, 32)), 90)
    m = measure(train, ref[300:], lab, np.concatenate([same[:210], new_topic]), cfg, ref_vectors=ref)
    assert m.drift and any("novel" in r for r in m.reasons)
    # the same inputs, the same numbers
    m2 = measure(train, ref[300:], lab, np.concatenate([same[:210], new_topic]), cfg, ref_vectors=ref)
    assert m2.novelty.share == m.novelty.share and m2.shift.jsd == m.shift.jsd and m2.shift.p_value == m.shift.p_value


def test_too_few_new_records_decide_nothing():
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((3, 16))
    ref, lab = blobs(rng, centres, 300)
    other, _ = blobs(rng, rng.standard_normal((1, 16)), 10)
    m = measure(ref[:100], ref[100:], lab, other, DriftConfig(), ref_vectors=ref)
    assert m.reasons and not m.drift and not m.decided


def test_strata_are_scored_only_with_enough_new_records():
    rng = np.random.default_rng(4)
    centres = rng.standard_normal((4, 16))
    ref, lab = blobs(rng, centres, 600)
    new, nlab = blobs(rng, centres, 200)
    strata_ref = np.where(lab < 2, "a", "b").astype(object)
    strata_new = np.where(nlab < 2, "a", "b").astype(object)
    strata_new[:5] = "c"
    m = measure(ref[:200], ref[200:], lab, new, DriftConfig(min_stratum=20), ref_vectors=ref,
                ref_strata=strata_ref, new_strata=strata_new)
    by = {s.value: s for s in m.strata}
    assert by["a"].scored and by["b"].scored and not by["c"].scored and by["c"].reference == 0


def test_the_batch_starts_with_the_most_novel_and_spreads():
    rng = np.random.default_rng(5)
    centres = rng.standard_normal((3, 16))
    train, _ = blobs(rng, centres, 200)
    same, _ = blobs(rng, centres, 50)
    far = blobs(rng, rng.standard_normal((2, 16)) * 3, 20, noise=0.05)[0]
    new = np.concatenate([same, far])
    order, gaps = pick_batch(train, new, 5)
    assert len(set(order.tolist())) == 5
    assert order[0] >= 50 and order[1] >= 50  # the two far groups come first
    assert np.all(np.diff(gaps) <= 1e-6)  # farthest-point order
    assert np.array_equal(order, pick_batch(train, new, 5)[0])


def test_the_batch_picks_what_select_k_center_picks_with_the_training_set_preselected():
    from curate.select.kcenter import k_center_greedy

    rng = np.random.default_rng(6)
    train = unit(rng.standard_normal((300, 24)))
    new = unit(rng.standard_normal((120, 24)))
    order, gaps = pick_batch(train, new, 30)
    ref, ref_gaps, _ = k_center_greedy(np.concatenate([train, new]), 30, preselected=np.arange(300))
    assert np.array_equal(order, ref - 300) and np.allclose(gaps, ref_gaps, atol=1e-5)
