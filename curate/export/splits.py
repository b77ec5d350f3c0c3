"""Leak-free splits: train / eval (/ test) by ratio or count, seeded, stratified.

Records that must stay together (the same duplicate group; optionally the same cluster)
are joined into components with union-find; whole components are assigned to splits, so no
group ever crosses a split. Within each stratum, components are shuffled with the seed and
each goes to the split whose remaining need it best fills (closest fit); the sizes are
exact when every component is a single record and as close as the components allow
otherwise. The result does not depend on the input order."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from curate.errors import InputError

TRAIN, EVAL, TEST = "train", "eval", "test"
MISSING = "(missing)"


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


def assign_splits(
    ids: Sequence[str],
    keys: Sequence[Sequence[str]],
    *,
    eval_size: float | int,
    test_size: float | int = 0,
    seed: int = 13,
    strata: Sequence[str | None] | None = None,
) -> SplitPlan:
    """Assign every record to train, eval or test.

    ``keys[i]`` are the grouping keys of record i (``dup:<group>``, ``cluster:<n>``): records
    sharing a key land in the same split. ``strata[i]`` is its stratum (None: one stratum)."""
    n = len(ids)
    want = {EVAL: target_count(eval_size, n), TEST: target_count(test_size, n)}
    if want[EVAL] + want[TEST] > n:
        raise InputError(
            f"export.split: eval ({want[EVAL]}) + test ({want[TEST]}) examples asked for, "
            f"but only {n} examples are left to split"
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
    targets = {split: _largest_remainder(want[split], weights) for split in (EVAL, TEST)}

    rng = random.Random(seed)
    out = [TRAIN] * n
    comp_split: dict[str, int] = Counter()
    for s in sorted(by_stratum):
        order = list(by_stratum[s])
        rng.shuffle(order)
        need = {EVAL: targets[EVAL][s], TEST: targets[TEST][s]}
        for ci in order:
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
    return SplitPlan(
        splits=out,
        requested={TRAIN: n - want[EVAL] - want[TEST], **want},
        sizes={k: sizes.get(k, 0) for k in (TRAIN, EVAL, TEST)},
        components=len(comps),
        components_per_split={k: comp_split.get(k, 0) for k in (TRAIN, EVAL, TEST)},
        largest_component=max((len(c) for c in comps), default=0),
    )
