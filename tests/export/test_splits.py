"""Splits: no duplicate group (or, on request, cluster) crosses a split; seeded; sizes by
ratio or count; stratified."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate.errors import InputError
from curate.export.splits import (
    EVAL,
    MAX_HELD_OUT,
    TEST,
    TRAIN,
    assign_splits,
    components,
    target_count,
)


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
    if target_count(eval_size, n) + target_count(test_size, n) > MAX_HELD_OUT * n:
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
@given(st.integers(1, 300), st.floats(0, 0.45), st.integers(0, 2**31))
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
    # today: all of it in eval would have written no train file; now one line, exit 2


def test_components_join_records_sharing_any_key():
    comps = components(["a", "b", "c", "d"], [["x"], ["y"], ["x", "y"], ["z"]])
    assert sorted(sorted(c) for c in comps) == [[0, 1, 2], [3]]


def _fifteen_types(n: int, seed: int = 3) -> tuple[list[str], list[list[str]], list[str]]:
    """``n`` records of 15 task types, three of them rare (2, 3 and 5 records), with
    duplicate pairs here and there."""
    rng = random.Random(seed)
    rare = {"t12": 2, "t13": 3, "t14": 5}
    common = [f"t{i:02d}" for i in range(12)]
    types = [t for t, k in rare.items() for _ in range(k)]
    types += [common[rng.randrange(len(common))] for _ in range(n - len(types))]
    ids = [f"r{i:05d}" for i in range(n)]
    keys = [[f"dup:{i // 2 if i % 7 == 0 else i}"] for i in range(n)]
    return ids, keys, types


def test_fifteen_task_types_all_in_eval_with_two_hundred_examples():
    ids, keys, types = _fifteen_types(2000)
    plan = assign_splits(ids, keys, eval_size=0.1, seed=5, strata=types, min_per_stratum=1)
    in_eval = Counter(t for t, s in zip(types, plan.splits) if s == EVAL)
    assert set(in_eval) == set(types) and len(set(types)) == 15  # every type, the rare ones too
    assert plan.sizes[EVAL] >= 200
    assert in_eval["t12"] == 1 and in_eval["t14"] >= 1
    assert sum(plan.eval_per_stratum.values()) == plan.sizes[EVAL] and set(plan.eval_per_stratum) == set(types)


def test_adding_ten_percent_moves_no_eval_example_to_train():
    ids, keys, types = _fifteen_types(2200)
    old = [i for i in range(2200) if i % 11 != 5]  # the first version: 2,000 records
    first = assign_splits([ids[i] for i in old], [keys[i] for i in old], eval_size=0.1, seed=5,
                          strata=[types[i] for i in old], min_per_stratum=1)
    previous = {ids[i]: s for i, s in zip(old, first.splits)}
    second = assign_splits(ids, keys, eval_size=0.1, seed=5, strata=types, min_per_stratum=1, previous=previous)
    now = dict(zip(ids, second.splits))
    assert all(now[rid] == side for rid, side in previous.items())  # nothing changed side, either way
    assert second.kept == len(previous)
    assert second.sizes[EVAL] >= first.sizes[EVAL] and abs(second.sizes[EVAL] - 220) <= 2  # the new ones filled it
    # without the earlier assignment the same data would move many
    fresh = dict(zip(ids, assign_splits(ids, keys, eval_size=0.1, seed=5, strata=types, min_per_stratum=1).splits))
    assert sum(1 for rid, side in previous.items() if side == EVAL and fresh[rid] == TRAIN) > 20


def test_a_new_record_joins_its_groups_earlier_side():
    ids = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
    keys = [[f"dup:{x}"] for x in ids]
    first = assign_splits(ids, keys, eval_size=2, seed=1)
    held = next(x for x, s in zip(ids, first.splits) if s == EVAL)
    previous = dict(zip(ids, first.splits))
    second = assign_splits(ids + ["k"], keys + [[f"dup:{held}"]], eval_size=2, seed=1, previous=previous)
    assert dict(zip(ids + ["k"], second.splits))["k"] == EVAL


@pytest.mark.parametrize("kwargs, message", [
    ({"eval_size": 200}, r"would take 200 of the 200 examples"),
    ({"eval_size": 0.4, "test_size": 0.2}, r"would take 120 of the 200 examples, leaving 80"),
    ({"eval_size": 10, "strata": [f"s{i % 15}" for i in range(200)], "min_per_stratum": 1},
     r"15 strata of at least 2 records need 1 eval example\(s\) each .* but eval is 10"),
    ({"eval_size": 40, "strata": ["big"] * 198 + ["pair", "pair"], "min_per_stratum": 2},
     r"stratum 'pair' has 2 records; 2 eval example\(s\) \(min_per_stratum\) would leave none to train on"),
])
def test_impossible_splits_are_one_clear_error(kwargs, message):
    ids = [f"r{i:03d}" for i in range(200)]
    with pytest.raises(InputError, match=message):
        assign_splits(ids, [[f"dup:{i}"] for i in ids], **kwargs)


def test_a_stratum_in_one_duplicate_group_cannot_give_an_eval_example():
    ids = [f"r{i}" for i in range(40)]
    keys = [["dup:same"] if i >= 38 else [f"dup:{i}"] for i in range(40)]
    strata = ["x" if i >= 38 else "y" for i in range(40)]
    with pytest.raises(InputError, match=r"stratum 'x' has 2 records in one duplicate group"):
        assign_splits(ids, keys, eval_size=5, strata=strata, min_per_stratum=1)
