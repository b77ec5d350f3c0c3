"""Expert work kept through every strategy (``kept``), and recency weights."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from select_testdata import blobs

from curate.select.cluster import kmeans
from curate.select.config import RecencyConfig, SelectConfig
from curate.select.recency import parse_time, recency_weights
from curate.select.strategies import (
    KEPT_WHY,
    allocate,
    cluster_balanced,
    k_center,
    random_sample,
    stratified,
)


@pytest.fixture(scope="module")
def data():
    x, truth = blobs(n=600, centres=6, dim=16, seed=3)
    res = kmeans(x, 6, seed=0, backend="sklearn")
    values = [f"c{t}" for t in truth]
    return x, res.labels, res.centroids, values


def run_all(data, budget, **kw):
    x, labels, centroids, values = data
    return {
        "cluster_balanced": cluster_balanced(x, labels, centroids, budget, **kw),
        "k_center": k_center(x, budget, **kw),
        "stratified": stratified(values, budget, field="topic", x=x, **kw),
        "stratified_novec": stratified(values, budget, field="topic", **kw),
        "random": random_sample(x.shape[0], budget, **kw),
    }


def test_every_strategy_keeps_expert_work_within_the_budget(data):
    kept = np.array([5, 77, 300, 301, 599], dtype=np.int64)
    for name, sel in run_all(data, 40, kept=kept).items():
        order = sel.order.tolist()
        assert len(order) == 40 and len(set(order)) == 40, name
        assert set(kept.tolist()) <= set(order), name
        assert all(KEPT_WHY in sel.why[k] for k in kept), name
        assert all(KEPT_WHY not in sel.why[i] for i in order if i not in set(kept.tolist())), name


def test_farthest_spread_keeps_expert_work_too(data):
    x, labels, centroids, values = data
    kept = np.array([1, 2, 3, 450], dtype=np.int64)
    w = np.linspace(0.1, 1.0, x.shape[0])
    for sel in (cluster_balanced(x, labels, centroids, 30, spread="farthest", kept=kept, weights=w),
                stratified(values, 30, field="topic", x=x, spread="farthest", kept=kept, weights=w)):
        assert len(sel.order) == 30 == len(set(sel.order.tolist())) and set(kept.tolist()) <= set(sel.order.tolist())


def test_kept_beyond_the_budget_are_all_selected(data):
    kept = np.arange(0, 60, 2, dtype=np.int64)  # 30 kept, budget 10
    for name, sel in run_all(data, 10, kept=kept).items():
        assert sorted(sel.order.tolist()) == kept.tolist(), name


def test_without_kept_the_selection_is_unchanged(data):
    a, b = run_all(data, 25), run_all(data, 25, kept=None)
    for name in a:
        assert a[name].order.tolist() == b[name].order.tolist()


def test_allocate_minimum_grows_a_quota_and_the_rest_fills_around():
    q = allocate([100, 100, 100], 9, 1.0, minimum=[6, 0, 0])
    assert q.tolist() == [6, 2, 1] or q.tolist() == [6, 1, 2]
    assert allocate([100, 100, 100], 2, 1.0, minimum=[0, 3, 0]).tolist() == [0, 3, 0]  # the budget grows
    assert allocate([50, 50], 20, 1.0, mass=[40.0, 10.0]).tolist() == [16, 4]


def test_parse_time():
    assert parse_time("2024-01-02T00:00:00Z") == parse_time("2024-01-02") == parse_time(1704153600)
    assert parse_time(1704153600000) == 1704153600  # milliseconds
    assert parse_time("not a date") is None and parse_time(None) is None and parse_time(True) is None


def test_recency_weights_halve_every_half_life():
    meta = [json.dumps({"created_at": d}) for d in ("2024-03-31", "2024-03-01", "2024-01-31", "garbage")] + [None]
    df = pl.DataFrame({"id": list("abcde"), "meta": meta})
    w, stats = recency_weights(df, RecencyConfig(field="meta.created_at", half_life_days=30))
    assert w[0] == 1.0 and w[1] == pytest.approx(0.5) and w[2] == pytest.approx(0.25, rel=0.05)
    assert w[3] == w[4] == w[2]  # no readable time: as the oldest dated record
    assert stats["dated"] == 3 and stats["undated"] == 2
    assert SelectConfig.model_validate({"recency": {"field": "created_at", "half_life_days": 7}}).recency.half_life_days == 7


def test_recency_favours_recent_records_in_every_strategy(data):
    x = data[0]
    n = x.shape[0]
    age = np.random.default_rng(1).uniform(0, 365, n)  # days
    w = 0.5 ** (age / 30)
    plain = run_all(data, 60)
    recent = run_all(data, 60, weights=w)
    for name in plain:
        before, after = age[plain[name].order].mean(), age[recent[name].order].mean()
        assert after < before * 0.8, (name, before, after)
