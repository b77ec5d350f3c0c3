"""Strategies: budgets, quotas, ranks, reasons and determinism."""

from __future__ import annotations

import numpy as np
import pytest
from select_testdata import blobs

from curate.select.cluster import kmeans
from curate.select.coverage import coverage_distances, group_coverage
from curate.select.strategies import (
    allocate,
    cluster_balanced,
    k_center,
    random_sample,
    spread_within,
    stratified,
)


def test_allocate_sums_to_the_budget_and_respects_sizes():
    sizes = [500, 100, 20, 3, 0]
    for budget in (1, 4, 10, 50, 623, 1000):
        q = allocate(sizes, budget, 0.5)
        assert q.sum() == min(budget, 623) and (q <= sizes).all()
        if budget >= 4:
            assert (q[:4] >= 1).all(), "every non-empty group is covered once the budget allows"
        assert q[4] == 0
    assert allocate([10, 10, 10], 2, 0.5).tolist() == [1, 1, 0]  # ties: the lower index
    assert allocate([400, 100], 50, 1.0).tolist() == [40, 10]  # proportional
    assert allocate([400, 100], 50, 0.0).tolist() == [25, 25]  # equal
    assert allocate([400, 100], 50, 0.5).tolist() == [33, 17]  # between
    assert allocate([2, 300], 100, 0.0).tolist() == [2, 98]  # a full group's share moves on


def test_cluster_balanced_quotas_ranks_and_reasons():
    x, _ = blobs(n=1200, seed=1)
    km = kmeans(x, 12, seed=0)
    sel = cluster_balanced(x, km.labels, km.centroids, 60)
    assert sel.order.size == 60 and len(set(sel.order.tolist())) == 60
    q = allocate(np.bincount(km.labels), 60, 0.5)
    assert (np.bincount(km.labels[sel.order], minlength=12) == q).all()
    # ranks interleave clusters: the first 12 picks are one per cluster, the central ones
    first = sel.order[:12]
    assert sorted(km.labels[first].tolist()) == list(range(12))
    for i in first:
        c = km.labels[i]
        members = np.flatnonzero(km.labels == c)
        assert i == members[np.argmax(x[members] @ km.centroids[c])]
        assert "nearest to the cluster centre" in sel.why[i]
    assert all(sel.why), "every row has a reason"
    unpicked = np.setdiff1d(np.arange(1200), sel.order)
    assert "quota filled" in sel.why[unpicked[0]]


def test_coverage_spread_beats_farthest_spread_and_random_on_mean_distance():
    x, _ = blobs(n=2000, centres=8, seed=2, noise=0.8)
    km = kmeans(x, 8, seed=0)
    cov = cluster_balanced(x, km.labels, km.centroids, 80, spread="coverage")
    far = cluster_balanced(x, km.labels, km.centroids, 80, spread="farthest")
    rnd = random_sample(2000, 80, seed=0)
    d = {name: coverage_distances(x, s.order, sample=None)["mean_distance"] for name, s in
         (("coverage", cov), ("farthest", far), ("random", rnd))}
    assert d["coverage"] < d["random"] < d["farthest"] or d["coverage"] < min(d["random"], d["farthest"]), d
    assert d["coverage"] <= 0.9 * d["random"], d


def test_spread_within_samples_large_groups():
    from curate.select import strategies

    x, _ = blobs(n=500, seed=4)
    old = strategies.COVER_SAMPLE
    strategies.COVER_SAMPLE = 100
    try:
        picks, left = spread_within(x, np.arange(500), None, 10, seed=3)
        again, _ = spread_within(x, np.arange(500), None, 10, seed=3)
    finally:
        strategies.COVER_SAMPLE = old
    assert picks.size == 10 and len(set(picks.tolist())) == 10 and (picks == again).all()
    assert picks[0] == int(np.argmax(x @ x.mean(0)))
    assert np.all(np.diff(left[1:]) <= 1e-6), "each pick leaves less uncovered"


def test_k_center_reasons_name_distances():
    x, _ = blobs(n=400, seed=5)
    sel = k_center(x, 15)
    assert sel.order.size == 15
    assert "first pick" in sel.why[sel.order[0]] and "cosine distance" in sel.why[sel.order[3]]
    rest = np.setdiff1d(np.arange(400), sel.order)
    assert "covered by a selected record" in sel.why[rest[0]]


def test_stratified_with_and_without_vectors():
    x, _ = blobs(n=300, seed=6)
    values = ["billing"] * 200 + ["shipping"] * 80 + ["(missing)"] * 20
    with_x = stratified(values, 30, field="category", alpha=1.0, x=x)
    labels = np.array(values)
    picked = labels[with_x.order]
    assert [int((picked == v).sum()) for v in ("billing", "shipping", "(missing)")] == [20, 8, 2]
    assert with_x.why[with_x.order[0]].startswith("category=billing (200 records, quota 20)")
    no_x = stratified(values, 30, field="category", alpha=1.0, seed=1)
    assert sorted(labels[no_x.order].tolist()) == sorted(picked.tolist())
    assert (stratified(values, 30, field="category", alpha=1.0, seed=1).order == no_x.order).all()
    assert not (stratified(values, 30, field="category", alpha=1.0, seed=2).order == no_x.order).all()
    assert "drawn at random (seed 1)" in no_x.why[no_x.order[0]]


def test_random_sample_is_seeded():
    a, b, c = random_sample(1000, 50, seed=1), random_sample(1000, 50, seed=1), random_sample(1000, 50, seed=2)
    assert (a.order == b.order).all() and not (a.order == c.order).all()
    assert random_sample(10, 50).order.size == 10


@pytest.mark.parametrize("strategy", ["cluster_balanced", "k_center"])
def test_real_embeddings_cover_the_intents(bitext_vectors, strategy):
    x, intents = bitext_vectors
    budget = 27
    if strategy == "cluster_balanced":
        km = kmeans(x, 27, seed=0)
        sel = cluster_balanced(x, km.labels, km.centroids, budget)
    else:
        sel = k_center(x, budget)
    covered, total = group_coverage(intents, sel.selected)
    base = np.mean([group_coverage(intents, random_sample(len(x), budget, seed=s).selected)[0] for s in range(5)])
    assert total == 27 and covered >= base, (covered, base)
    if strategy == "cluster_balanced":
        mine = coverage_distances(x, sel.order, sample=None)["mean_distance"]
        rnd = np.mean([coverage_distances(x, random_sample(len(x), budget, seed=s).order, sample=None)["mean_distance"]
                       for s in range(5)])
        assert mine <= 0.85 * rnd, (mine, rnd)
