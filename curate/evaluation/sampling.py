"""The items to rate and the order of the outputs in each.

**Sample.** Stratified like the benchmark: the items are grouped by their values of the
strata fields, each group gets its share of the sample (largest remainder), and when the
sample has room for it every group gets at least one item, so rare task types are rated
too. Within a group the items are drawn at random. The same seed gives the same sample.

**Blinding.** Each item shows the outputs in an order of its own, drawn at random, labelled
A, B, C...; which letter is which system is kept in the eval folder and never sent to
Label Studio. The sample and the letters come from separate random streams, so adding a
system does not change which items are rated.
"""

from __future__ import annotations

import string
from collections import defaultdict

import numpy as np

from curate.evaluation.benchmark import Item

LETTERS = string.ascii_uppercase


def strata_fields(items: list[Item], wanted: list[str] | None) -> list[str]:
    """The strata fields to stratify by: ``wanted``, else every field any item has."""
    if wanted is not None:
        return list(wanted)
    seen: dict[str, None] = {}
    for it in items:
        for k in it.strata:
            seen.setdefault(k, None)
    return list(seen)


def allocate(sizes: dict[tuple, int], n: int) -> dict[tuple, int]:
    """How many items each stratum gives to a sample of ``n`` (< total): proportional by
    largest remainder, at least one per stratum when ``n`` is at least the number of
    strata. Ties go to the stratum that sorts first."""
    total = sum(sizes.values())
    keys = sorted(sizes)
    quota = {k: n * sizes[k] / total for k in keys}
    alloc = {k: int(quota[k]) for k in keys}
    left = n - sum(alloc.values())
    for k in sorted(keys, key=lambda k: (-(quota[k] - alloc[k]), k))[:left]:
        alloc[k] += 1
    if n >= len(keys):
        for k in keys:
            if alloc[k] == 0:
                # take one from the stratum with the most to spare (ties: the one that sorts first)
                donor = min((d for d in keys if alloc[d] > 1), key=lambda d: (quota[d] - alloc[d], -alloc[d], d))
                alloc[donor] -= 1
                alloc[k] = 1
    return alloc


def stratified_sample(items: list[Item], size: int, fields: list[str], seed: int) -> list[Item]:
    """``size`` items (all when the benchmark has no more), in a random order."""
    rng = np.random.default_rng([seed, 1])
    ordered = sorted(items, key=lambda it: it.id)
    if size >= len(ordered):
        chosen = ordered
    else:
        groups: dict[tuple, list[Item]] = defaultdict(list)
        for it in ordered:
            groups[tuple(it.stratum(f) for f in fields)].append(it)
        alloc = allocate({k: len(v) for k, v in groups.items()}, size)
        chosen = []
        for key in sorted(groups):
            members = groups[key]
            take = rng.choice(len(members), size=alloc[key], replace=False) if alloc[key] else []
            chosen += [members[i] for i in sorted(take)]
    order = rng.permutation(len(chosen))
    return [chosen[i] for i in order]


def assign_letters(item_ids: list[str], systems: list[str], seed: int, blind: bool = True) -> dict[str, dict[str, str]]:
    """``{item id: {letter: system}}``: a random order per item when ``blind``, else the
    systems in the order given."""
    rng = np.random.default_rng([seed, 2])
    out: dict[str, dict[str, str]] = {}
    for item_id in item_ids:
        order = rng.permutation(len(systems)) if blind else np.arange(len(systems))
        out[item_id] = {LETTERS[pos]: systems[i] for pos, i in enumerate(order)}
    return out
