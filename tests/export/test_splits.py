"""Splits: no duplicate group (or, on request, cluster) crosses a split; seeded; sizes by
ratio or count; stratified."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate.errors import InputError
from curate.export.splits import EVAL, TEST, TRAIN, assign_splits, components, target_count


@st.composite
def datasets(draw):
    n = draw(st.integers(min_value=1, max_value=120))
    n_groups = draw(st.integers(min_value=1, max_value=n))
    n_clusters = draw(st.integers(min_value=1, max_value=12))
    groups = [draw(st.integers(0, n_groups - 1)) for _ in range(n)]
    clusters = [draw(st.integers(0, n_clusters - 1)) for _ in range(n)]
    strata = [draw(st.sampled_from(["a", "b", "c", None])) for _ in range(n)]
    eval_size = draw(st.one_of(st.floats(0, 0.45), st.integers(0, n // 2)))
    test_size = draw(st.one_of(st.floats(0, 0.45), st.integers(0, n // 2)))
    together = draw(st.booleans())
    stratified = draw(st.booleans())
    seed = draw(st.integers(0, 2**31))
    return n, groups, clusters, strata, eval_size, test_size, together, stratified, seed


def _sides(ids, keys_of, splits):
    sides = defaultdict(set)
    for i, s in zip(ids, splits):
        for k in keys_of[i]:
            sides[k].add(s)
    return sides


@settings(max_examples=300, deadline=None)
@given(datasets())
def test_no_group_crosses_a_split(data):
    n, groups, clusters, strata, eval_size, test_size, together, stratified, seed = data
    if target_count(eval_size, n) + target_count(test_size, n) > n:
        with pytest.raises(InputError):
            assign_splits([str(i) for i in range(n)], [[f"dup:{g}"] for g in groups],
                          eval_size=eval_size, test_size=test_size, seed=seed)
        return
    ids = [f"r{i:04d}" for i in range(n)]
    keys = [[f"dup:{g}"] + ([f"cluster:{c}"] if together else []) for g, c in zip(groups, clusters)]
    plan = assign_splits(ids, keys, eval_size=eval_size, test_size=test_size, seed=seed,
                         strata=strata if stratified else None)
    assert len(plan.splits) == n and set(plan.splits) <= {TRAIN, EVAL, TEST}
    keys_of = dict(zip(ids, keys))
    for key, sides in _sides(ids, keys_of, plan.splits).items():
        assert len(sides) == 1, f"{key} is in {sides}"
    assert sum(plan.sizes.values()) == n
    # the same seed gives the same split, whatever the input order
    order = list(range(n))
    random.Random(seed).shuffle(order)
    again = assign_splits([ids[i] for i in order], [keys[i] for i in order], eval_size=eval_size,
                          test_size=test_size, seed=seed, strata=[strata[i] for i in order] if stratified else None)
    assert {ids[i]: s for i, s in zip(order, again.splits)} == dict(zip(ids, plan.splits))


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 300), st.floats(0, 0.5), st.integers(0, 2**31))
def test_sizes_are_exact_when_every_record_stands_alone(n, ratio, seed):
    ids = [str(i) for i in range(n)]
    plan = assign_splits(ids, [[f"dup:{i}"] for i in ids], eval_size=ratio, test_size=0.0, seed=seed)
    assert plan.sizes[EVAL] == target_count(ratio, n) == plan.requested[EVAL]
    assert plan.sizes[TEST] == 0


def test_count_or_ratio_and_three_splits():
    ids = [f"{i:03d}" for i in range(200)]
    keys = [[f"dup:{i}"] for i in ids]
    plan = assign_splits(ids, keys, eval_size=25, test_size=0.1, seed=1)
    assert plan.sizes == {TRAIN: 155, EVAL: 25, TEST: 20}
    assert assign_splits(ids, keys, eval_size=25, test_size=0.1, seed=1).splits == plan.splits
    assert assign_splits(ids, keys, eval_size=25, test_size=0.1, seed=2).splits != plan.splits


def test_duplicate_groups_move_together_and_sizes_stay_close():
    rng = random.Random(0)
    ids = [f"{i:04d}" for i in range(1000)]
    groups = [rng.randrange(300) for _ in ids]  # groups of ~3.3 records
    plan = assign_splits(ids, [[f"dup:{g}"] for g in groups], eval_size=0.1, seed=5)
    by_group = defaultdict(set)
    for g, s in zip(groups, plan.splits):
        by_group[g].add(s)
    assert all(len(s) == 1 for s in by_group.values())
    assert abs(plan.sizes[EVAL] - 100) <= 5


def test_stratified_split_keeps_shares():
    ids = [f"{i:04d}" for i in range(600)]
    strata = ["billing"] * 400 + ["shipping"] * 150 + ["refund"] * 50
    plan = assign_splits(ids, [[f"dup:{i}"] for i in ids], eval_size=0.2, seed=3, strata=strata)
    per = Counter((s, sp) for s, sp in zip(strata, plan.splits))
    assert (per["billing", EVAL], per["shipping", EVAL], per["refund", EVAL]) == (80, 30, 10)


def test_asking_for_more_than_there_is_is_a_clear_error():
    with pytest.raises(InputError, match=r"eval \(8\) \+ test \(5\) examples asked for, but only 10"):
        assign_splits([str(i) for i in range(10)], [[str(i)] for i in range(10)], eval_size=8, test_size=5)


def test_components_join_records_sharing_any_key():
    comps = components(["a", "b", "c", "d"], [["x"], ["y"], ["x", "y"], ["z"]])
    assert sorted(sorted(c) for c in comps) == [[0, 1, 2], [3]]
