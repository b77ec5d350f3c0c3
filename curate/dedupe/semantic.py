"""Semantic duplicates (SemDeDup style): records in the same embedding cluster whose
vectors have cosine similarity at or above a threshold.

Comparing only within clusters keeps the work near-linear: each cluster's similarity
matrix is computed in row blocks, never the whole n x n one. The pairs found go through
the same keep rule as MinHash duplicates (:func:`curate.dedupe.graph.greedy_keep`):
records are visited by priority and one is dropped only when it is similar to a record
already kept, so a chain A~B~C with A kept and A not like C keeps C.

The select stage calls :func:`semantic_duplicates` once embeddings and clusters exist and
marks the dropped records ``semantic_duplicate`` with a ``semantic_group`` column.
"""

from __future__ import annotations

import numpy as np

from curate.components import components
from curate.dedupe.graph import greedy_keep

# similarity values computed per block: 16M float32 = 64 MiB
_BLOCK_CELLS = 1 << 24


def semantic_duplicates(
    vectors: np.ndarray,
    clusters: np.ndarray,
    threshold: float,
    priority: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Find semantic duplicates within clusters.

    ``vectors``: n x d float32, L2-normalised (cosine = dot product). ``clusters``: n
    ints; records with a negative cluster (unclustered) are compared with nobody.
    ``threshold``: cosine at or above which two records of a cluster are duplicates.
    ``priority``: n numbers, higher kept first (default: lower index first); ties go to
    the lower index.

    Returns ``(group, keep)``: ``group`` (int64) is -1 for a record with no semantic
    duplicate, else the id (0, 1, ... by smallest member) of the connected group of
    duplicates it belongs to; ``keep`` (bool) is False for records dropped as a duplicate
    of a kept record."""
    vectors = np.asarray(vectors)
    clusters = np.asarray(clusters)
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be 2-D (n x d), got shape {vectors.shape}")
    n = vectors.shape[0]
    if clusters.shape != (n,):
        raise ValueError(f"clusters must have shape ({n},), got {clusters.shape}")
    if not -1.0 <= threshold <= 1.0:
        raise ValueError("threshold is a cosine similarity: it must be in [-1, 1]")
    if priority is not None:
        priority = np.asarray(priority)
        if priority.shape != (n,):
            raise ValueError(f"priority must have shape ({n},), got {priority.shape}")
        # higher priority first, ties by index: rank = position in that order
        order = np.lexsort((np.arange(n), -priority.astype(np.float64)))
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
    else:
        rank = np.arange(n, dtype=np.int64)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, bool)

    vectors = vectors.astype(np.float32, copy=False)
    pairs, sims = _similar_pairs(vectors, clusters.astype(np.int64, copy=False), np.float32(threshold))
    kept = greedy_keep(n, pairs, sims, rank).keep
    group = np.full(n, -1, dtype=np.int64)
    if pairs.shape[0]:
        labels = components(n, pairs)
        has = np.zeros(n, dtype=bool)
        has[pairs.ravel()] = True
        # number the groups 0.. in order of their smallest member
        _, inverse = np.unique(labels[has], return_inverse=True)
        group[has] = inverse
    return group, kept


def _similar_pairs(vectors: np.ndarray, clusters: np.ndarray, threshold: np.float32) -> tuple[np.ndarray, np.ndarray]:
    """All pairs (i < j) of the same non-negative cluster with dot product >= threshold."""
    order = np.argsort(clusters, kind="stable")
    c_sorted = clusters[order]
    bounds = np.flatnonzero(np.diff(c_sorted)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [order.size]])
    out_pairs: list[np.ndarray] = []
    out_sims: list[np.ndarray] = []
    for s, e in zip(starts.tolist(), ends.tolist()):
        if e - s < 2 or c_sorted[s] < 0:
            continue
        members = order[s:e]  # ascending record index within the cluster
        vm = vectors[members]
        m = members.size
        rows = max(1, _BLOCK_CELLS // m)
        for r0 in range(0, m, rows):
            r1 = min(m, r0 + rows)
            sim = vm[r0:r1] @ vm.T  # (r1-r0) x m
            ii, jj = np.nonzero(sim >= threshold)
            upper = jj > ii + r0  # each unordered pair once, no self pairs
            ii, jj = ii[upper], jj[upper]
            if ii.size:
                out_pairs.append(np.stack([members[ii + r0], members[jj]], axis=1))
                out_sims.append(sim[ii, jj].astype(np.float32))
    if not out_pairs:
        return np.zeros((0, 2), np.int64), np.zeros(0, np.float32)
    return np.concatenate(out_pairs).astype(np.int64), np.concatenate(out_sims)
