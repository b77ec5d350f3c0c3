"""Selection strategies: which candidates to send to review, in which order, and why.

Every strategy returns a :class:`Selection`: the chosen row indices in rank order (rank 1
is reviewed first, and any prefix of the ranking is itself a sensible smaller selection)
and one human-readable reason per row, chosen or not. All randomness comes from the seed.

- :func:`cluster_balanced` -- a quota per cluster growing as size^alpha; inside a cluster
  the record nearest to the centroid first, then the ones farthest from the cluster's
  earlier picks; ranks interleave the clusters round by round.
- :func:`k_center` -- greedy farthest-point coverage of the whole set.
- :func:`stratified` -- a quota per value of a metadata field, spread inside each value
  by the same rule as a cluster when vectors exist, else seeded at random.
- :func:`random_sample` -- the baseline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from curate.select.kcenter import k_center_greedy


@dataclass
class Selection:
    order: np.ndarray  # chosen row indices, rank order
    why: list[str]  # one reason per row (all rows)

    @property
    def selected(self) -> np.ndarray:
        mask = np.zeros(len(self.why), dtype=bool)
        mask[self.order] = True
        return mask


def allocate(sizes: Sequence[int], budget: int, alpha: float = 0.5) -> np.ndarray:
    """Quota per group: one for every group first when the budget allows (else one each
    for the largest groups), the rest in proportion to size^alpha by largest remainder,
    never more than a group holds. Deterministic; ties go to the lower group index."""
    sizes = np.asarray(sizes, dtype=np.int64)
    quota = np.zeros(sizes.size, dtype=np.int64)
    budget = int(min(budget, sizes.sum()))
    nonempty = np.flatnonzero(sizes > 0)
    if budget <= 0 or nonempty.size == 0:
        return quota
    if budget < nonempty.size:
        by_size = nonempty[np.lexsort((nonempty, -sizes[nonempty]))]
        quota[by_size[:budget]] = 1
        return quota
    # continuous shares clip(lam * w, 1, size) with lam set so they sum to the budget
    # (water-filling: a full group's excess moves to the others), then whole numbers by
    # largest remainder
    w = np.zeros(sizes.size, dtype=np.float64)
    w[nonempty] = sizes[nonempty].astype(np.float64) ** alpha
    lo_b, hi_b = 1, sizes.astype(np.float64)

    def shares(lam: float) -> np.ndarray:
        out = np.zeros(sizes.size)
        out[nonempty] = np.clip(lam * w[nonempty], lo_b, hi_b[nonempty])
        return out

    lo, hi = 0.0, 1.0
    while shares(hi).sum() < budget:
        hi *= 2.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if shares(mid).sum() < budget:
            lo = mid
        else:
            hi = mid
    ideal = shares(hi)
    quota = np.minimum(np.floor(ideal + 1e-9).astype(np.int64), sizes)
    left = budget - int(quota.sum())
    if left > 0:
        rem = ideal - quota
        order = [i for i in np.lexsort((np.arange(sizes.size), -rem)) if quota[i] < sizes[i]]
        for i in order[:left]:
            quota[i] += 1
    elif left < 0:  # floating error: take back from the largest shares
        for i in np.lexsort((np.arange(sizes.size), -(quota - ideal)))[: -left]:
            quota[i] -= 1
    return quota


#: members beyond which the in-cluster coverage greedy works on a seeded sample
COVER_SAMPLE = 3000


def spread_within(
    x: np.ndarray, members: np.ndarray, centre: np.ndarray | None, take: int, *,
    method: str = "coverage", seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """``take`` members of a group: the one nearest to ``centre`` (the group mean when
    None) first, then spread over the group.

    ``coverage`` (default): each next pick is the member that most reduces the distance
    of the group's members to their nearest pick (greedy facility location), so picks
    land in the dense parts the earlier picks left uncovered. ``farthest``: each next pick
    is the member farthest from the earlier picks (reaches the outskirts, outliers
    included). Returns (member indices in pick order, per pick the mean distance left
    (coverage) or its distance to the earlier picks (farthest); nan for the first)."""
    if take <= 0 or members.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    take = min(take, members.size)
    xs = x[members]
    c = xs.mean(0) if centre is None else centre
    start = int(np.argmax(xs @ c))
    if take == 1:
        return members[[start]], np.array([np.nan], np.float32)
    if method == "farthest":
        picks, gaps, _ = k_center_greedy(xs, take, start=start)
        return members[picks], gaps
    if method != "coverage":
        raise ValueError(f"unknown spread method {method!r}")
    pool = np.arange(members.size)
    if members.size > COVER_SAMPLE:
        rest = np.delete(pool, start)
        pool = np.sort(np.concatenate([[start], np.random.default_rng(seed).choice(rest, COVER_SAMPLE - 1, replace=False)]))
        take = min(take, pool.size)
    sim = xs[pool] @ xs[pool].T  # rows: members to cover, columns: candidate picks
    first = int(np.flatnonzero(pool == start)[0])
    best = sim[:, first].copy()
    chosen = [first]
    left = [float("nan")]
    taken = np.zeros(pool.size, dtype=bool)
    taken[first] = True
    for _ in range(1, take):
        gain = np.maximum(sim - best[:, None], 0.0).sum(0)
        gain[taken] = -1.0
        p = int(np.argmax(gain))
        chosen.append(p)
        taken[p] = True
        np.maximum(best, sim[:, p], out=best)
        left.append(float(np.mean(1.0 - best)))
    return members[pool[chosen]], np.array(left, dtype=np.float32)


def _interleave(groups_in_order: list[np.ndarray]) -> np.ndarray:
    """Rank order: the first pick of every group, then the second of every group, ..."""
    out: list[int] = []
    depth = max((g.size for g in groups_in_order), default=0)
    for r in range(depth):
        out.extend(int(g[r]) for g in groups_in_order if r < g.size)
    return np.array(out, dtype=np.int64)


def _ordinal(i: int) -> str:
    suffix = "th" if 10 <= i % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(i % 10, "th")
    return f"{i}{suffix}"


def cluster_balanced(
    x: np.ndarray, labels: np.ndarray, centroids: np.ndarray, budget: int, *, alpha: float = 0.5,
    spread: str = "coverage", seed: int = 0,
) -> Selection:
    """A quota per cluster (size^alpha), nearest-to-centroid first, then spread
    (see :func:`spread_within`)."""
    n = x.shape[0]
    k = centroids.shape[0]
    sizes = np.bincount(labels, minlength=k)
    quota = allocate(sizes, budget, alpha)
    why = [""] * n
    per_cluster: list[np.ndarray] = []
    cluster_order = np.lexsort((np.arange(k), -sizes))
    for c in cluster_order:
        members = np.flatnonzero(labels == c)
        q = int(quota[c])
        picks, gaps = spread_within(x, members, centroids[c], q, method=spread, seed=seed)
        per_cluster.append(picks)
        head = f"cluster {c} ({sizes[c]:,} records, quota {q})"
        for j, (p, g) in enumerate(zip(picks, gaps)):
            if j == 0:
                why[p] = f"{head}: the record nearest to the cluster centre"
            elif spread == "farthest":
                why[p] = f"{head}: {_ordinal(j + 1)} pick, farthest from the cluster's earlier picks (cosine distance {g:.2f})"
            else:
                why[p] = f"{head}: {_ordinal(j + 1)} pick, covers most of what the earlier picks left uncovered (mean distance now {g:.2f})"
        chosen = set(picks.tolist())
        better = "more representative" if spread == "coverage" else "more central or more distinct"
        rest = f"{head}: quota filled by {better} records" if q else (
            f"cluster {c} ({sizes[c]:,} records): no quota, the budget is smaller than the number of clusters"
        )
        for m in members:
            if int(m) not in chosen:
                why[m] = rest
    return Selection(_interleave(per_cluster), why)


def k_center(x: np.ndarray, budget: int, *, device: str = "cpu") -> Selection:
    """Greedy farthest-point coverage: every pick is the record least covered so far."""
    picks, gaps, final = k_center_greedy(x, budget, device=device)
    why = [""] * x.shape[0]
    chosen = set(picks.tolist())
    for r, (p, g) in enumerate(zip(picks, gaps)):
        why[p] = (
            "k-center: the record nearest to the centre of all candidates (first pick)" if r == 0
            else f"k-center: farthest from the {r:,} records picked before it (cosine distance {g:.2f})"
        )
    for i in range(x.shape[0]):
        if i not in chosen:
            why[i] = f"k-center: covered by a selected record at cosine distance {final[i]:.2f}"
    return Selection(picks, why)


def stratified(
    values: Sequence[str],
    budget: int,
    *,
    field: str,
    alpha: float = 0.5,
    seed: int = 0,
    x: np.ndarray | None = None,
    spread: str = "coverage",
) -> Selection:
    """A quota per value of ``field`` (size^alpha); within a value: spread by the vectors
    when given (see :func:`spread_within`), else a seeded random order."""
    vals = np.asarray(list(values), dtype=object)
    n = vals.size
    names = sorted(set(vals.tolist()))
    index = {v: i for i, v in enumerate(names)}
    labels = np.fromiter((index[v] for v in vals), dtype=np.int64, count=n)
    sizes = np.bincount(labels, minlength=len(names))
    quota = allocate(sizes, budget, alpha)
    rng = np.random.default_rng(seed)
    why = [""] * n
    per_group: list[np.ndarray] = []
    for g in np.lexsort((np.arange(len(names)), -sizes)):
        members = np.flatnonzero(labels == g)
        q = int(quota[g])
        head = f"{field}={names[g]} ({sizes[g]:,} records, quota {q})"
        if x is not None:
            picks, _ = spread_within(x, members, None, q, method=spread, seed=seed)
        else:
            picks = rng.permutation(members)[:q].astype(np.int64)
        per_group.append(picks)
        for j, p in enumerate(picks):
            if x is None:
                why[p] = f"{head}: drawn at random (seed {seed})"
            elif j == 0:
                why[p] = f"{head}: the record nearest to the group's centre"
            else:
                how = "farthest from" if spread == "farthest" else "covering most of what is left by"
                why[p] = f"{head}: {_ordinal(j + 1)} pick, {how} the group's earlier picks"
        chosen = set(picks.tolist())
        rest = f"{head}: quota filled" if q else f"{field}={names[g]} ({sizes[g]:,} records): no quota, the budget is smaller than the number of values"
        for m in members:
            if int(m) not in chosen:
                why[m] = rest
    return Selection(_interleave(per_group), why)


def random_sample(n: int, budget: int, *, seed: int = 0) -> Selection:
    """A seeded uniform sample; rank = draw order."""
    order = np.random.default_rng(seed).permutation(n)[: int(min(budget, n))].astype(np.int64)
    why = [f"not drawn in the random sample (seed {seed})"] * n
    for p in order:
        why[p] = f"drawn in the random sample (seed {seed})"
    return Selection(order, why)
