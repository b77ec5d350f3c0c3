"""From duplicate pairs to groups and kept records.

Groups are the connected components of the duplicate graph (:mod:`curate.components`,
scipy). Within a group the records are visited best first (by the representative
policy): a record is kept unless it is a duplicate of a record already kept, in which
case it is dropped as a duplicate of the most similar kept one. Similarity does not chain (A~B and B~C does not make A~C), so
a group may keep more than one record: with A~B, B~C and A kept, B is dropped and C,
which is not like A, is kept too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class KeepResult:
    keep: np.ndarray  # bool per node
    dup_of: np.ndarray  # int64 per node: the kept node a dropped node duplicates, else -1
    similarity: np.ndarray  # float32 per node: similarity to dup_of (NaN when kept)


def greedy_keep(n: int, pairs: np.ndarray, weight: np.ndarray, rank: np.ndarray) -> KeepResult:
    """Keep or drop each of ``n`` nodes given duplicate ``pairs`` (with similarity
    ``weight``) and a ``rank`` (lower = preferred, ties by index).

    Visiting nodes best first, a node is dropped when it is paired with a node already
    kept (its ``dup_of`` is the most similar of those, ties to the better ranked)."""
    keep = np.ones(n, dtype=bool)
    dup_of = np.full(n, -1, dtype=np.int64)
    sim = np.full(n, np.nan, dtype=np.float32)
    if pairs.shape[0] == 0:
        return KeepResult(keep, dup_of, sim)
    rank = np.asarray(rank)
    # order of visit: position of each node in (rank, index) order
    visit = np.lexsort((np.arange(n), rank))
    pos = np.empty(n, dtype=np.int64)
    pos[visit] = np.arange(n)
    a, b = pairs[:, 0], pairs[:, 1]
    # orient each pair from the earlier-visited node to the later one
    first = np.where(pos[a] < pos[b], a, b)
    later = np.where(pos[a] < pos[b], b, a)
    w = np.asarray(weight, dtype=np.float32)

    # a node's decision depends only on earlier nodes: visit the later ends in order,
    # with their earlier neighbours grouped (CSR by the later node)
    order = np.lexsort((pos[first], pos[later]))
    later_s, first_s, w_s = later[order], first[order], w[order]
    bounds = np.flatnonzero(np.diff(later_s)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [later_s.size]])

    for s, e in zip(starts.tolist(), ends.tolist()):
        node = later_s[s]
        nb = first_s[s:e]
        kept = keep[nb]
        if not kept.any():
            continue  # every earlier neighbour was dropped: this one stays
        ws = np.where(kept, w_s[s:e], -1.0)
        best = int(np.argmax(ws))  # first maximum: neighbours are in visit order
        keep[node] = False
        dup_of[node] = nb[best]
        sim[node] = ws[best]
    return KeepResult(keep, dup_of, sim)
