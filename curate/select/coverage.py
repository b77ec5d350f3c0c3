"""How well a selection covers the records: the cosine distance from every record to its
nearest selected record (mean and maximum), and how many groups (clusters, intents,
categories) have at least one selected record."""

from __future__ import annotations

import numpy as np

BLOCK = 16384


def nearest_distance(x: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Cosine distance (1 - cos) of every row of ``x`` to its nearest row of ``chosen``
    (both unit vectors). No rows chosen: nan."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    chosen = np.ascontiguousarray(chosen, dtype=np.float32)
    if chosen.shape[0] == 0:
        return np.full(x.shape[0], np.nan, dtype=np.float32)
    out = np.empty(x.shape[0], dtype=np.float32)
    for s in range(0, x.shape[0], BLOCK):
        sim = x[s:s + BLOCK] @ chosen.T
        out[s:s + BLOCK] = np.clip(1.0 - sim.max(1), 0.0, 2.0)
    return out


def coverage_distances(x: np.ndarray, selected: np.ndarray, *, sample: int | None = 20_000, seed: int = 0) -> dict[str, float]:
    """Mean and max distance to the nearest selected record, over all rows (or a seeded
    sample of ``sample`` rows when there are more)."""
    idx = np.flatnonzero(selected) if selected.dtype == bool else np.asarray(selected)
    rows = x
    if sample is not None and x.shape[0] > sample:
        rows = x[np.sort(np.random.default_rng(seed).choice(x.shape[0], sample, replace=False))]
    d = nearest_distance(rows, x[idx])
    if not d.size or np.isnan(d).all():
        return {"mean_distance": float("nan"), "max_distance": float("nan")}
    return {"mean_distance": float(d.mean()), "max_distance": float(d.max())}


def group_coverage(groups: np.ndarray, selected: np.ndarray) -> tuple[int, int]:
    """(groups with a selected member, groups) for a label per row."""
    groups = np.asarray(groups)
    all_groups = set(groups.tolist())
    hit = set(groups[np.asarray(selected, dtype=bool)].tolist())
    return len(hit), len(all_groups)
