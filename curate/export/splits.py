"""Leak-free splits: train / eval (/ test) by ratio or count, seeded, stratified, stable.

Records that must stay together (the same duplicate group; optionally the same cluster)
are joined into components with union-find; whole components are assigned to splits, so no
group ever crosses a split. Within each stratum, components are shuffled with the seed and
each goes to the split whose remaining need it best fills (closest fit); the sizes are
exact when every component is a single record and as close as the components allow
otherwise. The result does not depend on the input order.

Each stratum of at least 2 records gets at least ``min_per_stratum`` eval examples; the
rest of the eval target is shared in proportion to the strata's sizes. A split that cannot
be made as asked (held-out sets taking most of the examples, a stratum minimum that cannot
be met) raises :class:`~curate.errors.InputError` with one line.

With ``previous`` (the run's earlier assignment, :mod:`curate.export.splitstore`), every
record assigned before keeps its side; records new since fill what the strata still need.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from curate.errors import InputError

TRAIN, EVAL, TEST = "train", "eval", "test"
MISSING = "(missing)"
#: held-out sets (eval + test) may take at most this share of the examples
MAX_HELD_OUT = 0.5


def target_count(size: float | int, n: int) -> int:
    """A ratio or a count as a number of records out of ``n``."""
    if isinstance(size, float):
        return int(size * n + 0.5)
    return int(size)


@dataclass
class SplitPlan:
    splits: list[str]  # per input record, in input order
    requested: dict[str, int]
    sizes: dict[str, int]
    components: int
    components_per_split: dict[str, int] = field(default_factory=dict)
    largest_component: int = 0
    #: records that kept their side from the earlier assignment; components whose earlier
    #: members were on different sides (each member kept where it was)
    kept: int = 0
    conflicts: int = 0
    #: eval examples per stratum (stratified splits only)
    eval_per_stratum: dict[str, int] = field(default_factory=dict)


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if ra < rb:
                self.parent[rb] = ra
            else:
                self.parent[ra] = rb


def components(ids: Sequence[str], keys: Sequence[Sequence[str]]) -> list[list[int]]:
    """Indices of records grouped so that records sharing any key are together."""
    uf = _UnionFind(len(ids))
    first: dict[str, int] = {}
    for i, ks in enumerate(keys):
        for k in ks:
            if k in first:
                uf.union(first[k], i)
            else:
                first[k] = i
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(ids)):
        groups[uf.find(i)].append(i)
    return list(groups.values())


def _largest_remainder(total: int, weights: dict[str, int]) -> dict[str, int]:
    """``total`` shared out in proportion to ``weights`` (integers that add up)."""
    s = sum(weights.values())
    if s == 0 or total == 0:
        return {k: 0 for k in weights}
    raw = {k: total * w / s for k, w in weights.items()}
    out = {k: int(v) for k, v in raw.items()}
    rest = total - sum(out.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - out[k]), k))[:rest]:
        out[k] += 1
    return out


def _stratum_targets(total: int, sizes: dict[str, int], minimum: int) -> dict[str, int]:
    """``total`` shared out in proportion to ``sizes``, every stratum of at least 2
    records getting at least ``minimum`` (water-filling: the strata held at the minimum
    leave the proportional share to the others)."""
    eligible = {s for s, n in sizes.items() if n >= 2}
    fixed: dict[str, int] = {}
    while True:
        rest = {s: w for s, w in sizes.items() if s not in fixed}
        out = _largest_remainder(max(total - sum(fixed.values()), 0), rest)
        low = {s for s, v in out.items() if s in eligible and v < minimum}
        if not low:
            return {**out, **fixed}
        for s in low:
            fixed[s] = minimum


def _label(stratum: str) -> str:
    return "(records without a value)" if stratum == MISSING else repr(stratum)


def _check_minimum(minimum: int, want_eval: int, weights: dict[str, int], comps: list[list[int]],
                   by_stratum: dict[str, list[int]]) -> None:
    """One line when the strata minimum cannot be met."""
    eligible = sorted(s for s, w in weights.items() if w >= 2)
    if minimum * len(eligible) > want_eval:
        raise InputError(
            f"export.split: {len(eligible)} strata of at least 2 records need {minimum} eval example(s) each "
            f"(min_per_stratum), {minimum * len(eligible)} in all, but eval is {want_eval}; raise split.eval "
            "or lower split.min_per_stratum"
        )
    for s in eligible:
        sizes = sorted(len(comps[ci]) for ci in by_stratum[s])
        # the smallest set of whole groups holding `minimum` records must leave one to train on
        taken = 0
        for size in sizes:
            if taken >= minimum:
                break
            taken += size
        if weights[s] - taken < 1:
            one_group = len(sizes) == 1
            raise InputError(
                f"export.split: stratum {_label(s)} has {weights[s]} records"
                + (" in one duplicate group" if one_group else "")
                + f"; {minimum} eval example(s) (min_per_stratum) would leave none to train on: "
                "lower split.min_per_stratum, or add records of it"
            )


def assign_splits(
    ids: Sequence[str],
    keys: Sequence[Sequence[str]],
    *,
    eval_size: float | int,
    test_size: float | int = 0,
    seed: int = 13,
    strata: Sequence[str | None] | None = None,
    min_per_stratum: int = 0,
    previous: dict[str, str] | None = None,
) -> SplitPlan:
    """Assign every record to train, eval or test.

    ``keys[i]`` are the grouping keys of record i (``dup:<group>``, ``cluster:<n>``): records
    sharing a key land in the same split. ``strata[i]`` is its stratum (None: one stratum).
    ``previous``: record id -> split of an earlier assignment, kept for the records in it."""
    n = len(ids)
    previous = previous or {}
    want = {EVAL: target_count(eval_size, n), TEST: target_count(test_size, n)}
    held = want[EVAL] + want[TEST]
    if held > n:
        raise InputError(
            f"export.split: eval ({want[EVAL]}) + test ({want[TEST]}) examples asked for, "
            f"but only {n} examples are left to split"
        )
    if held > MAX_HELD_OUT * n:
        raise InputError(
            f"export.split: eval ({want[EVAL]}) + test ({want[TEST]}) would take {held} of the {n} examples, "
            f"leaving {n - held} to train on; ask for at most {int(MAX_HELD_OUT * n)} held-out examples, or add records"
        )
    comps = components(ids, keys)
    # deterministic regardless of input order: order components by their smallest id
    comps = [sorted(c, key=lambda i: ids[i]) for c in comps]
    comps.sort(key=lambda c: ids[c[0]])
    stratum_of: list[str] = []
    for c in comps:
        if strata is None:
            stratum_of.append("")
            continue
        votes = Counter(MISSING if strata[i] is None else str(strata[i]) for i in c)
        stratum_of.append(min(votes, key=lambda s: (-votes[s], s)))
    by_stratum: dict[str, list[int]] = defaultdict(list)
    for ci, s in enumerate(stratum_of):
        by_stratum[s].append(ci)
    weights = {s: sum(len(comps[ci]) for ci in cis) for s, cis in by_stratum.items()}
    minimum = min_per_stratum if (strata is not None and want[EVAL] > 0) else 0
    if minimum:
        _check_minimum(minimum, want[EVAL], weights, comps, by_stratum)
    targets = {EVAL: _stratum_targets(want[EVAL], weights, minimum), TEST: _largest_remainder(want[TEST], weights)}

    rng = random.Random(seed)
    out = [TRAIN] * n
    comp_split: dict[str, int] = Counter()
    kept = conflicts = 0
    for s in sorted(by_stratum):
        order = list(by_stratum[s])
        rng.shuffle(order)
        need = {EVAL: targets[EVAL][s], TEST: targets[TEST][s]}
        fresh = []
        for ci in order:
            before = Counter(previous[ids[i]] for i in comps[ci] if ids[i] in previous)
            if not before:
                fresh.append(ci)
                continue
            # the side its earlier members were on; a component whose members were on
            # different sides (its grouping changed) keeps each of them where it was
            side = min(before, key=lambda k: (-before[k], k))
            conflicts += len(before) > 1
            for i in comps[ci]:
                out[i] = previous.get(ids[i], side)
                kept += ids[i] in previous
                if out[i] in need:
                    need[out[i]] -= 1
            comp_split[side] += 1
        for ci in fresh:
            size = len(comps[ci])
            # the split with the largest unmet need that this component does not overfill by
            # more than it fills
            best = max((EVAL, TEST), key=lambda k: (need[k], k == EVAL))
            split = best if need[best] > 0 and 2 * need[best] >= size else TRAIN
            if split == TRAIN:
                other = TEST if best == EVAL else EVAL
                if need[other] > 0 and 2 * need[other] >= size:
                    split = other
            if split != TRAIN:
                need[split] -= size
            comp_split[split] += 1
            for i in comps[ci]:
                out[i] = split
    sizes = Counter(out)
    per_stratum: dict[str, int] = {}
    if strata is not None:
        for ci, s in enumerate(stratum_of):
            per_stratum[s] = per_stratum.get(s, 0) + sum(1 for i in comps[ci] if out[i] == EVAL)
    return SplitPlan(
        splits=out,
        requested={TRAIN: n - want[EVAL] - want[TEST], **want},
        sizes={k: sizes.get(k, 0) for k in (TRAIN, EVAL, TEST)},
        components=len(comps),
        components_per_split={k: comp_split.get(k, 0) for k in (TRAIN, EVAL, TEST)},
        largest_component=max((len(c) for c in comps), default=0),
        kept=kept, conflicts=conflicts,
        eval_per_stratum=dict(sorted(per_stratum.items())),
    )
