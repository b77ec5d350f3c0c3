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


def allocate(sizes: Sequence[int], budget: int, alpha: float = 0.5, *,
             minimum: Sequence[int] | None = None, mass: Sequence[float] | None = None) -> np.ndarray:
    """Quota per group: one for every group first when the budget allows (else one each
    for the largest groups), the rest in proportion to size^alpha by largest remainder,
    never more than a group holds. Deterministic; ties go to the lower group index.

    ``minimum``: records a group must get (kept expert work); the budget grows to their sum
    when it is smaller. ``mass``: the group's weight instead of its size (recency: the sum
    of its records' weights); quotas still never exceed a group's size."""
    sizes = np.asarray(sizes, dtype=np.int64)
    floor = np.zeros(sizes.size, dtype=np.int64) if minimum is None else np.minimum(np.asarray(minimum, np.int64), sizes)
    quota = np.zeros(sizes.size, dtype=np.int64)
    budget = int(min(max(budget, int(floor.sum())), sizes.sum()))
    nonempty = np.flatnonzero(sizes > 0)
    if budget <= 0 or nonempty.size == 0:
        return quota
    weight_of = sizes.astype(np.float64) if mass is None else np.asarray(mass, dtype=np.float64)
    if budget < nonempty.size:
        quota = floor.copy()
        open_ = nonempty[floor[nonempty] == 0]
        by_size = open_[np.lexsort((open_, -weight_of[open_]))]
        quota[by_size[: budget - int(floor.sum())]] = 1
        return quota
    # continuous shares clip(lam * w, 1, size) with lam set so they sum to the budget
    # (water-filling: a full group's excess moves to the others), then whole numbers by
    # largest remainder
    w = np.zeros(sizes.size, dtype=np.float64)
    w[nonempty] = np.maximum(weight_of[nonempty], 1e-12) ** alpha
    lo_b, hi_b = np.maximum(floor, 1).astype(np.float64), sizes.astype(np.float64)

    def shares(lam: float) -> np.ndarray:
        out = np.zeros(sizes.size)
        out[nonempty] = np.clip(lam * w[nonempty], lo_b[nonempty], hi_b[nonempty])
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
    quota = np.maximum(np.minimum(np.floor(ideal + 1e-9).astype(np.int64), sizes), floor)
    left = budget - int(quota.sum())
    if left > 0:
        rem = ideal - quota
        order = [i for i in np.lexsort((np.arange(sizes.size), -rem)) if quota[i] < sizes[i]]
        for i in order[:left]:
            quota[i] += 1
    elif left < 0:  # floating error: take back from the largest shares
        order = [i for i in np.lexsort((np.arange(sizes.size), -(quota - ideal))) if quota[i] > floor[i]]
        for i in order[: -left]:
            quota[i] -= 1
    return quota


#: members beyond which the in-cluster coverage greedy works on a seeded sample
COVER_SAMPLE = 3000


def spread_within(
    x: np.ndarray, members: np.ndarray, centre: np.ndarray | None, take: int, *,
    method: str = "coverage", seed: int = 0, kept: np.ndarray | None = None, weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``take`` members of a group: the one nearest to ``centre`` (the group mean when
    None) first, then spread over the group.

    ``coverage`` (default): each next pick is the member that most reduces the distance
    of the group's members to their nearest pick (greedy facility location), so picks
    land in the dense parts the earlier picks left uncovered. ``farthest``: each next pick
    is the member farthest from the earlier picks (reaches the outskirts, outliers
    included). Returns (member indices in pick order, per pick the mean distance left
    (coverage) or its distance to the earlier picks (farthest); nan for the first).

    ``kept``: members (row indices of ``x``) picked before anything else, whatever the
    rule says (expert work); the rule then fills the rest around them. ``weights``: a
    weight per row of ``x`` (recency): under coverage a member's distance counts by its
    weight, under farthest a candidate's distance is scaled by its weight."""
    if take <= 0 or members.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    kept_local = np.zeros(0, np.int64)
    if kept is not None and len(kept):
        pos = {int(m): j for j, m in enumerate(members.tolist())}
        kept_local = np.array([pos[int(k)] for k in kept], dtype=np.int64)
    take = max(min(take, members.size), kept_local.size)
    xs = x[members]
    ws = None if weights is None else np.asarray(weights, dtype=np.float64)[members]
    c = xs.mean(0) if centre is None else centre
    if kept_local.size == 0 and ws is None and take == 1:
        return members[[int(np.argmax(xs @ c))]], np.array([np.nan], np.float32)
    if kept_local.size == 0:
        score = xs @ c if ws is None else (xs @ c + 1.0) * ws
        start_at = np.array([int(np.argmax(score))], np.int64)
    else:
        start_at = kept_local
    if take <= start_at.size:
        return members[start_at[:take]], np.full(min(take, start_at.size), np.nan, np.float32)
    if method == "farthest":
        if start_at.size == 1 and kept_local.size == 0 and ws is None:
            picks, gaps, _ = k_center_greedy(xs, take, start=int(start_at[0]))
            return members[picks], gaps
        picks, gaps, _ = k_center_greedy(xs, take - start_at.size, preselected=start_at, weights=ws)
        return (members[np.concatenate([start_at, picks])],
                np.concatenate([np.full(start_at.size, np.nan, np.float32), gaps]))
    if method != "coverage":
        raise ValueError(f"unknown spread method {method!r}")
    pool = np.arange(members.size)
    if members.size > COVER_SAMPLE:
        rest = np.setdiff1d(pool, start_at)
        extra = max(COVER_SAMPLE - start_at.size, 0)
        drawn = np.random.default_rng(seed).choice(rest, min(extra, rest.size), replace=False)
        pool = np.sort(np.concatenate([start_at, drawn]))
        take = min(take, pool.size)
    sim = xs[pool] @ xs[pool].T  # rows: members to cover, columns: candidate picks
    where = {int(m): j for j, m in enumerate(pool.tolist())}
    firsts = [where[int(m)] for m in start_at]
    best = sim[:, firsts].max(1)
    chosen = list(firsts)
    left = [float("nan")] * len(firsts)
    taken = np.zeros(pool.size, dtype=bool)
    taken[firsts] = True
    wp = None if ws is None else ws[pool]
    for _ in range(len(firsts), take):
        gap = np.maximum(sim - best[:, None], 0.0)
        gain = gap.sum(0) if wp is None else wp @ gap
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


KEPT_WHY = "kept: expert work in Label Studio (pushed or labeled), never dropped by a rebuild"


def _kept_mask(n: int, kept: np.ndarray | None) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    if kept is not None and len(kept):
        mask[np.asarray(kept, dtype=np.int64)] = True
    return mask


def cluster_balanced(
    x: np.ndarray, labels: np.ndarray, centroids: np.ndarray, budget: int, *, alpha: float = 0.5,
    spread: str = "coverage", seed: int = 0, kept: np.ndarray | None = None, weights: np.ndarray | None = None,
) -> Selection:
    """A quota per cluster (size^alpha), nearest-to-centroid first, then spread
    (see :func:`spread_within`). ``kept`` rows are selected first and count against
    their cluster's quota (which grows to hold them); ``weights`` (recency) weigh the
    quotas (a cluster's mass is the sum of its weights) and the spread."""
    n = x.shape[0]
    k = centroids.shape[0]
    sizes = np.bincount(labels, minlength=k)
    is_kept = _kept_mask(n, kept)
    kept_per = np.bincount(labels[is_kept], minlength=k) if is_kept.any() else None
    mass = np.bincount(labels, weights=weights, minlength=k) if weights is not None else None
    quota = allocate(sizes, budget, alpha, minimum=kept_per, mass=mass)
    why = [""] * n
    per_cluster: list[np.ndarray] = []
    cluster_order = np.lexsort((np.arange(k), -sizes))
    for c in cluster_order:
        members = np.flatnonzero(labels == c)
        q = int(quota[c])
        keep_here = members[is_kept[members]] if kept_per is not None and kept_per[c] else None
        picks, gaps = spread_within(x, members, centroids[c], q, method=spread, seed=seed, kept=keep_here, weights=weights)
        per_cluster.append(picks)
        head = f"cluster {c} ({sizes[c]:,} records, quota {q})"
        for j, (p, g) in enumerate(zip(picks, gaps)):
            if is_kept[p]:
                why[p] = f"{head}: {KEPT_WHY}"
            elif j == 0:
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


def k_center(x: np.ndarray, budget: int, *, device: str = "cpu", kept: np.ndarray | None = None,
             weights: np.ndarray | None = None) -> Selection:
    """Greedy farthest-point coverage: every pick is the record least covered so far.
    ``kept`` rows come first and the traversal starts around them; ``weights`` (recency)
    scale each candidate's distance."""
    pre = np.asarray(kept, dtype=np.int64) if kept is not None and len(kept) else None
    rest = budget - (0 if pre is None else pre.size)
    picks, gaps, final = k_center_greedy(x, max(rest, 0), preselected=pre, device=device, weights=weights)
    if pre is not None:
        if rest <= 0:
            from curate.select.coverage import nearest_distance

            final = nearest_distance(x, x[pre])
        picks = np.concatenate([pre, picks])
        gaps = np.concatenate([np.full(pre.size, np.nan, np.float32), gaps])
    why = [""] * x.shape[0]
    chosen = set(picks.tolist())
    is_kept = _kept_mask(x.shape[0], pre)
    for r, (p, g) in enumerate(zip(picks, gaps)):
        why[p] = (
            f"k-center: {KEPT_WHY}" if is_kept[p]
            else "k-center: the record nearest to the centre of all candidates (first pick)" if r == 0
            else f"k-center: farthest from the {r:,} records picked before it (cosine distance {g:.2f})"
        )
    for i in range(x.shape[0]):
        if i not in chosen:
            why[i] = f"k-center: covered by a selected record at cosine distance {final[i]:.2f}"
    return Selection(picks, why)


def _weighted_order(rng: np.random.Generator, members: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """A seeded random order of ``members``; with weights, a weighted draw without
    replacement (Efraimidis-Spirakis keys: heavier records tend to come first)."""
    if weights is None:
        return rng.permutation(members).astype(np.int64)
    u = rng.random(members.size)
    keys = np.log(np.maximum(u, 1e-300)) / np.maximum(np.asarray(weights, np.float64)[members], 1e-12)
    return members[np.argsort(-keys, kind="stable")].astype(np.int64)


def stratified(
    values: Sequence[str],
    budget: int,
    *,
    field: str,
    alpha: float = 0.5,
    seed: int = 0,
    x: np.ndarray | None = None,
    spread: str = "coverage",
    kept: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> Selection:
    """A quota per value of ``field`` (size^alpha); within a value: spread by the vectors
    when given (see :func:`spread_within`), else a seeded random order. ``kept`` rows are
    selected first and count against their value's quota; ``weights`` (recency) weigh the
    quotas, the spread and the random draw."""
    vals = np.asarray(list(values), dtype=object)
    n = vals.size
    names = sorted(set(vals.tolist()))
    index = {v: i for i, v in enumerate(names)}
    labels = np.fromiter((index[v] for v in vals), dtype=np.int64, count=n)
    sizes = np.bincount(labels, minlength=len(names))
    is_kept = _kept_mask(n, kept)
    kept_per = np.bincount(labels[is_kept], minlength=len(names)) if is_kept.any() else None
    mass = np.bincount(labels, weights=weights, minlength=len(names)) if weights is not None else None
    quota = allocate(sizes, budget, alpha, minimum=kept_per, mass=mass)
    rng = np.random.default_rng(seed)
    why = [""] * n
    per_group: list[np.ndarray] = []
    for g in np.lexsort((np.arange(len(names)), -sizes)):
        members = np.flatnonzero(labels == g)
        q = int(quota[g])
        head = f"{field}={names[g]} ({sizes[g]:,} records, quota {q})"
        keep_here = members[is_kept[members]] if kept_per is not None and kept_per[g] else None
        if x is not None:
            picks, _ = spread_within(x, members, None, q, method=spread, seed=seed, kept=keep_here, weights=weights)
        elif keep_here is None and weights is None:
            picks = rng.permutation(members)[:q].astype(np.int64)
        else:
            others = members[~is_kept[members]]
            first = keep_here if keep_here is not None else np.zeros(0, np.int64)
            picks = np.concatenate([first, _weighted_order(rng, others, weights)])[: max(q, first.size)].astype(np.int64)
        per_group.append(picks)
        for j, p in enumerate(picks):
            if is_kept[p]:
                why[p] = f"{head}: {KEPT_WHY}"
            elif x is None:
                why[p] = f"{head}: drawn at random (seed {seed}{', weighted by recency' if weights is not None else ''})"
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


def random_sample(n: int, budget: int, *, seed: int = 0, kept: np.ndarray | None = None,
                  weights: np.ndarray | None = None) -> Selection:
    """A seeded uniform sample; rank = draw order. ``kept`` rows come first and count
    against the budget; ``weights`` (recency) make it a weighted draw without replacement."""
    if (kept is None or not len(kept)) and weights is None:
        order = np.random.default_rng(seed).permutation(n)[: int(min(budget, n))].astype(np.int64)
    else:
        is_kept = _kept_mask(n, kept)
        first = np.asarray(kept if kept is not None else [], dtype=np.int64)
        drawn = _weighted_order(np.random.default_rng(seed), np.flatnonzero(~is_kept), weights)
        order = np.concatenate([first, drawn])[: int(min(max(budget, first.size), n))].astype(np.int64)
    how = f"seed {seed}{', weighted by recency' if weights is not None else ''}"
    why = [f"not drawn in the random sample ({how})"] * n
    for p in order:
        why[p] = f"drawn in the random sample ({how})"
    if kept is not None:
        for p in np.asarray(kept, dtype=np.int64):
            why[p] = KEPT_WHY
    return Selection(order, why)
