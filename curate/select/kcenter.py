"""Greedy k-center (farthest-point) selection over unit vectors.

Each pick is the record farthest (cosine distance) from everything picked so far, which
is the classic 2-approximation of the smallest radius that covers the whole set. The
numpy path serves the CPU; the torch path is the same loop for a CUDA GPU (tested on the
CPU against the numpy one). Ties go to the lowest index on both."""

from __future__ import annotations

import numpy as np


def nearest_to_mean(x: np.ndarray) -> int:
    """Index of the row most similar to the mean direction (a deterministic start)."""
    m = x.mean(0)
    return int(np.argmax(x @ m))


def k_center_greedy(
    x: np.ndarray,
    budget: int,
    *,
    start: int | None = None,
    preselected: np.ndarray | None = None,
    device: str = "cpu",
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pick ``budget`` rows of ``x`` (unit vectors) by farthest-point traversal.

    Returns (picked indices in pick order, the cosine distance of each pick to the earlier
    ones at the time it was picked (the first: nan), final distance of every row to its
    nearest pick). ``preselected`` rows count as already covered (not returned).
    ``weights`` (positive, one per row): each pick is the row with the largest weighted
    distance instead (recency: a recent record far from the picks goes first)."""
    n = x.shape[0]
    if preselected is not None and len(preselected) == 0:
        preselected = None
    budget = int(min(budget, n - (0 if preselected is None else len(preselected))))
    if budget <= 0 or n == 0:
        mind = np.full(n, np.nan, dtype=np.float32)
        return np.zeros(0, np.int64), np.zeros(0, np.float32), mind
    if device != "cpu":
        return _k_center_torch(x, budget, start, preselected, device, weights)
    w = None if weights is None else np.asarray(weights, dtype=np.float32)
    x = np.ascontiguousarray(x, dtype=np.float32)
    mind = np.full(n, np.inf, dtype=np.float32)
    picks: list[int] = []
    gaps: list[float] = []
    if preselected is not None and len(preselected):
        for p in np.asarray(preselected, dtype=np.int64):
            np.minimum(mind, 1.0 - x @ x[p], out=mind)
        mind[np.asarray(preselected, dtype=np.int64)] = -np.inf
    for _ in range(budget):
        if not picks and preselected is None:
            p = nearest_to_mean(x) if start is None else int(start)
            gap = float("nan")
        else:
            p = int(np.argmax(mind if w is None else np.where(np.isneginf(mind), -np.inf, mind * w)))
            gap = float(mind[p])
        picks.append(p)
        gaps.append(gap)
        np.minimum(mind, 1.0 - x @ x[p], out=mind)
        mind[p] = -np.inf
    final = _final_distances(x, np.array(picks), preselected)
    return np.array(picks, dtype=np.int64), np.array(gaps, dtype=np.float32), final


def _final_distances(x: np.ndarray, picks: np.ndarray, preselected: np.ndarray | None) -> np.ndarray:
    from curate.select.coverage import nearest_distance

    chosen = picks if preselected is None else np.concatenate([np.asarray(preselected, np.int64), picks])
    return nearest_distance(x, x[chosen])


def _k_center_torch(x, budget, start, preselected, device, weights=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import torch

    dev = torch.device(device)
    wt = None if weights is None else torch.from_numpy(np.asarray(weights, dtype=np.float32)).to(dev)
    xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(dev)
    n = xt.shape[0]
    mind = torch.full((n,), float("inf"), dtype=torch.float32, device=dev)
    neg = torch.tensor(float("-inf"), device=dev)
    picks: list[int] = []
    gaps: list[float] = []
    if preselected is not None and len(preselected):
        pre = torch.from_numpy(np.asarray(preselected, dtype=np.int64)).to(dev)
        for p in pre.tolist():
            torch.minimum(mind, 1.0 - xt @ xt[p], out=mind)
        mind[pre] = neg
    for _ in range(budget):
        if not picks and preselected is None:
            p = int(torch.argmax(xt @ xt.mean(0))) if start is None else int(start)
            gap = float("nan")
        else:
            score = mind if wt is None else torch.where(torch.isneginf(mind), mind, mind * wt)
            p = int(torch.argmax(score))  # first maximal index, as numpy
            gap = float(mind[p])
        picks.append(p)
        gaps.append(gap)
        torch.minimum(mind, 1.0 - xt @ xt[p], out=mind)
        mind[p] = neg
    return np.array(picks, dtype=np.int64), np.array(gaps, dtype=np.float32), _final_distances(x, np.array(picks), preselected)
