"""The drift figures, on vectors and labels only (no text): novelty against the training
set, cluster-share shift (Jensen-Shannon divergence) overall and per stratum.

Every sum of products runs on one thread (``curate.threads.one_thread``) so that
near-ties do not depend on the machine; same inputs, same numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from curate.threads import one_thread

#: multinomial draws of the sampling null of the JSD
NULL_DRAWS = 500


#: rows per block of a distance matrix (block x reference rows floats at a time)
BLOCK = 1024


def nn_distances_within(x: np.ndarray, block: int = BLOCK) -> np.ndarray:
    """Cosine distance of each row of ``x`` (unit vectors) to its nearest *other* row."""
    n = x.shape[0]
    out = np.full(n, np.nan, dtype=np.float32)
    if n < 2:
        return out
    with one_thread():
        for s in range(0, n, block):
            sims = x[s:s + block] @ x.T
            idx = np.arange(s, min(s + block, n))
            sims[idx - s, idx] = -np.inf
            out[s:s + block] = 1.0 - sims.max(1)
    return out


def nearest(x: np.ndarray, ref: np.ndarray, block: int = BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """(index of the nearest row of ``ref``, cosine distance to it) for every row of ``x``."""
    n = x.shape[0]
    idx = np.zeros(n, dtype=np.int64)
    dist = np.zeros(n, dtype=np.float32)
    with one_thread():
        for s in range(0, n, block):
            sims = x[s:s + block] @ ref.T
            idx[s:s + block] = sims.argmax(1)
            dist[s:s + block] = 1.0 - sims.max(1)
    return idx, dist


@dataclass
class Novelty:
    threshold: float  # cosine distance beyond which a record is novel
    calibration: str  # candidates | training
    calibration_size: int
    distances: np.ndarray  # each new record's distance to its nearest training example
    novel: np.ndarray  # bool per new record

    @property
    def share(self) -> float:
        return float(self.novel.mean()) if self.novel.size else 0.0


def novelty(train: np.ndarray, new: np.ndarray, quantile: float, *, held_out: np.ndarray | None = None,
            calibrate: str = "candidates") -> Novelty:
    """Which new records lie farther from every training example than the ``quantile``
    of the reference distances.

    ``candidates``: every candidate's distance to its nearest training example other
    than itself (the left-out candidates ``held_out`` to the training set, the training
    examples to each other). The left-out ones alone sit too close (the selection chose
    the training set to cover them: 23% of unchanged new records came out novel with
    half the candidates selected), the training examples alone too far (the selection
    spreads them); together they come within a point of ``1 - quantile`` at every
    budget in benchmarks/drift_bench.py. ``training``: the training examples' own
    distances only."""
    loo = nn_distances_within(train)
    if calibrate == "candidates" and held_out is not None and held_out.shape[0] and train.shape[0]:
        ref = np.concatenate([np.clip(nearest(held_out, train)[1], 0.0, 2.0), loo])
    else:
        ref = loo
        calibrate = "training"
    ref = ref[np.isfinite(ref)]
    thr = float(np.quantile(ref, quantile)) if ref.size else float("inf")
    _, dist = nearest(new, train) if new.shape[0] and train.shape[0] else (None, np.full(new.shape[0], np.inf, np.float32))
    return Novelty(thr, calibrate, int(ref.size), dist, dist > thr)


def centroids_of(x: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cluster ids, unit mean vector of each) from labelled rows (label < 0: none)."""
    keep = labels >= 0
    ids, pos = np.unique(labels[keep], return_inverse=True)
    sums = np.zeros((ids.size, x.shape[1]), dtype=np.float64)
    np.add.at(sums, pos, x[keep].astype(np.float64))  # in row order: the same sums every time
    norms = np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    return ids, (sums / norms).astype(np.float32)


def assign(x: np.ndarray, ids: np.ndarray, cents: np.ndarray) -> np.ndarray:
    """The cluster id of the nearest centroid, per row."""
    if x.shape[0] == 0 or ids.size == 0:
        return np.full(x.shape[0], -1, dtype=np.int64)
    j, _ = nearest(x, cents)
    return ids[j]


def shares(labels: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The share of ``labels`` in each cluster of ``ids`` (sorted ids; others ignored)."""
    labels = np.asarray(labels, dtype=np.int64)
    if ids.size == 0:
        return np.zeros(0)
    at = np.clip(np.searchsorted(ids, labels), 0, ids.size - 1)
    hit = ids[at] == labels
    counts = np.bincount(at[hit], minlength=ids.size).astype(np.float64)
    return counts / counts.sum() if counts.sum() else counts


def jsd(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon divergence in bits (0 = same shares, 1 = disjoint)."""
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if p.sum() == 0 or q.sum() == 0:
        return float("nan")
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2

    def kl(a: np.ndarray) -> float:
        nz = a > 0
        return float((a[nz] * np.log2(a[nz] / m[nz])).sum())

    return max(0.0, 0.5 * kl(p) + 0.5 * kl(q))


def jsd_null(p: np.ndarray, n: int, *, seed: int = 0, draws: int = NULL_DRAWS) -> np.ndarray:
    """The JSD between ``p`` and the shares of ``n`` records drawn from ``p``: what a new
    sample of that size shows when nothing changed (seeded)."""
    if n <= 0 or p.sum() == 0:
        return np.zeros(0)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n, p / p.sum(), size=draws)
    return np.array([jsd(p, c) for c in counts])


@dataclass
class Shift:
    jsd: float
    null_median: float
    null_p99: float
    p_value: float  # share of null draws at least as large (with one pseudo-count)
    n_ref: int
    n_new: int
    ref_shares: np.ndarray
    new_shares: np.ndarray
    ids: np.ndarray

    def as_dict(self, top: int = 10) -> dict[str, Any]:
        diff = self.new_shares - self.ref_shares
        order = np.lexsort((self.ids, -np.abs(diff)))[:top]
        return {
            "jsd": round(self.jsd, 4), "null_median": round(self.null_median, 4), "null_p99": round(self.null_p99, 4),
            "p_value": round(self.p_value, 4), "reference_records": self.n_ref, "new_records": self.n_new,
            "largest_changes": [
                {"cluster": int(self.ids[i]), "reference_share": round(float(self.ref_shares[i]), 4),
                 "new_share": round(float(self.new_shares[i]), 4)} for i in order if diff[i] != 0
            ],
        }


def shift(ref_labels: np.ndarray, new_labels: np.ndarray, ids: np.ndarray, *, seed: int = 0) -> Shift:
    p = shares(ref_labels, ids)
    q = shares(new_labels, ids)
    d = jsd(p, q)
    null = jsd_null(p, int(new_labels.size), seed=seed)
    if null.size and np.isfinite(d):
        pval = float((1 + (null >= d - 1e-12).sum()) / (1 + null.size))
        med, p99 = float(np.median(null)), float(np.quantile(null, 0.99))
    else:
        pval, med, p99 = 1.0, float("nan"), float("nan")
    return Shift(d, med, p99, pval, int(ref_labels.size), int(new_labels.size), p, q, ids)


@dataclass
class StratumFigures:
    value: str
    reference: int
    new: int
    novel_share: float | None
    jsd: float | None
    p_value: float | None
    scored: bool
    figures: dict[str, Any] = field(default_factory=dict)


def per_stratum(ref_strata: np.ndarray, ref_labels: np.ndarray, new_strata: np.ndarray, new_labels: np.ndarray,
                novel: np.ndarray, ids: np.ndarray, *, min_new: int, seed: int = 0) -> list[StratumFigures]:
    """Novelty and cluster-share shift inside each stratum value (largest first)."""
    values = sorted(set(ref_strata.tolist()) | set(new_strata.tolist()),
                    key=lambda v: (-int((new_strata == v).sum()), -int((ref_strata == v).sum()), v))
    out = []
    for v in values:
        rm, nm = ref_strata == v, new_strata == v
        n_ref, n_new = int(rm.sum()), int(nm.sum())
        scored = n_new >= min_new and n_ref > 0
        s = shift(ref_labels[rm], new_labels[nm], ids, seed=seed) if scored else None
        out.append(StratumFigures(
            str(v), n_ref, n_new, float(novel[nm].mean()) if n_new else None,
            round(s.jsd, 4) if s else None, round(s.p_value, 4) if s else None, scored,
        ))
    return out
