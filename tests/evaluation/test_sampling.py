"""The sample keeps the benchmark's strata in proportion, gives every stratum an item when
it can, and is the same for the same seed; the letters are a random order per item."""

from __future__ import annotations

from collections import Counter

from eval_data import benchmark_items

from curate.evaluation.benchmark import Item
from curate.evaluation.sampling import allocate, assign_letters, stratified_sample


def items(n: int | None = None) -> list[Item]:
    return [Item(i["id"], i["messages"], i["reference"], i["strata"]) for i in benchmark_items(n)]


def test_allocation_is_proportional_and_covers_rare_strata():
    sizes = {("a",): 90, ("b",): 8, ("c",): 2}
    assert allocate(sizes, 50) == {("a",): 45, ("b",): 4, ("c",): 1}
    # a stratum whose share rounds to nothing still gets one item when the sample has room
    assert allocate({("a",): 97, ("b",): 2, ("c",): 1}, 10) == {("a",): 8, ("b",): 1, ("c",): 1}
    assert sum(allocate({("a",): 5, ("b",): 5, ("c",): 5}, 2).values()) == 2  # fewer items than strata


def test_sample_follows_the_strata_of_the_benchmark():
    its = items()
    sample = stratified_sample(its, 100, ["task_type", "difficulty"], seed=3)
    assert len(sample) == 100 and len({i.id for i in sample}) == 100
    strata = Counter((i.stratum("task_type"), i.stratum("difficulty")) for i in its)
    got = Counter((i.stratum("task_type"), i.stratum("difficulty")) for i in sample)
    assert set(got) == set(strata)  # every stratum, the rare ones too
    for key, n in strata.items():
        assert abs(got[key] - 100 * n / len(its)) <= 1.5, key
    assert [i.id for i in stratified_sample(its, 100, ["task_type", "difficulty"], seed=3)] == [i.id for i in sample]
    assert {i.id for i in stratified_sample(its, 100, ["task_type", "difficulty"], seed=4)} != {i.id for i in sample}


def test_a_small_benchmark_is_rated_whole():
    its = items(12)
    assert sorted(i.id for i in stratified_sample(its, 100, ["task_type"], seed=0)) == sorted(i.id for i in its)


def test_letters_are_a_random_order_per_item():
    systems = ["finetuned-v3", "base-prompted", "legacy-bot"]
    ids = [f"i{k}" for k in range(300)]
    letters = assign_letters(ids, systems, seed=0)
    assert all(sorted(v) == ["A", "B", "C"] and sorted(v.values()) == sorted(systems) for v in letters.values())
    first = Counter(v["A"] for v in letters.values())
    assert set(first) == set(systems) and min(first.values()) > 70  # each system comes first about a third of the time
    assert assign_letters(ids, systems, seed=0) == letters
    plain = assign_letters(ids[:3], systems, seed=0, blind=False)
    assert all(v == {"A": "finetuned-v3", "B": "base-prompted", "C": "legacy-bot"} for v in plain.values())
