"""The dedupe stage's last step: from duplicate pairs of distinct texts to each record's
group and fate.

Records with the same exact key form one node (a distinct text), represented by its
best-ranked record; confirmed near-duplicate pairs link nodes. A group is a connected
component of nodes (:mod:`curate.components`), named after its best-ranked record; the
keep rule (:func:`curate.dedupe.graph.greedy_keep`) drops a node only as a duplicate of a
kept node, and within a kept node every record but the representative is an exact
duplicate of it."""

from __future__ import annotations

import numpy as np
import polars as pl

from curate.components import components
from curate.dedupe import graph

EXACT_REASON = "exact_duplicate"
NEAR_REASON = "near_duplicate"


def node_ranks(node_of: np.ndarray, rank: np.ndarray, n_nodes: int) -> np.ndarray:
    """Each node's rank: the best (lowest) rank of its records."""
    node_rank = np.full(n_nodes, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(node_rank, node_of, rank)
    return node_rank


def group_records(
    ids: pl.Series, node_of: np.ndarray, rank: np.ndarray, node_rank: np.ndarray, pairs: np.ndarray,
    similarity: np.ndarray,
) -> pl.DataFrame:
    """Per record (in input order): ``id``, ``dup_group``, ``dup_kind``,
    ``is_representative``, ``dup_of``, ``dup_similarity``, ``dup_group_size`` and
    ``drop_reason``. ``node_of``: each record's node; ``rank``: each record's rank under
    the keep policy (``node_rank``: each node's); ``pairs``: confirmed node pairs with
    their ``similarity``."""
    n_nodes = node_rank.size
    kept = graph.greedy_keep(n_nodes, pairs, similarity, node_rank)
    node_rep = best_of(node_of, rank, n_nodes)
    return record_frame(ids, node_of, node_rep, rank, components(n_nodes, pairs), kept)


def best_of(labels: np.ndarray, rank: np.ndarray, n_labels: int) -> np.ndarray:
    """For each label 0..n_labels-1, the index of its best-ranked (lowest rank) member."""
    out = np.full(n_labels, -1, dtype=np.int64)
    if labels.size == 0:
        return out
    order = np.lexsort((rank, labels))
    lab = labels[order]
    first = np.ones(lab.size, dtype=bool)
    first[1:] = lab[1:] != lab[:-1]
    out[lab[first]] = order[first]
    return out


def record_frame(
    ids: pl.Series,
    node_of: np.ndarray,
    node_rep: np.ndarray,
    rank: np.ndarray,
    comp: np.ndarray,
    kept: graph.KeepResult,
) -> pl.DataFrame:
    n = node_of.size
    rows = np.arange(n, dtype=np.int64)
    is_node_rep = node_rep[node_of] == rows
    node_kept = kept.keep[node_of]
    keep = node_kept & is_node_rep
    exact_dup = node_kept & ~is_node_rep
    near_dup = ~node_kept
    # whom a dropped record duplicates: its node's representative (exact) or the
    # representative of the kept node its node duplicates (near)
    dup_of = np.full(n, -1, dtype=np.int64)
    dup_of[exact_dup] = node_rep[node_of[exact_dup]]
    dup_of[near_dup] = node_rep[kept.dup_of[node_of[near_dup]]]
    sim = np.full(n, np.nan, dtype=np.float32)
    sim[exact_dup] = 1.0
    sim[near_dup] = kept.similarity[node_of[near_dup]]
    # the group of a record is its node's component; named after its best-ranked record
    rec_comp = comp[node_of]
    n_comp = int(comp.max()) + 1 if comp.size else 0
    comp_best = best_of(rec_comp, rank, n_comp)
    comp_size = np.bincount(rec_comp, minlength=n_comp)
    comp_nodes = np.bincount(comp, minlength=n_comp)
    size = comp_size[rec_comp]
    single_node = comp_nodes[rec_comp] == 1

    kind = np.full(n, None, dtype=object)
    kind[keep & (size > 1) & single_node] = "exact"
    kind[keep & (size > 1) & ~single_node] = "near"
    kind[exact_dup] = "exact"
    kind[near_dup] = "near"
    reason = np.full(n, None, dtype=object)
    reason[exact_dup] = EXACT_REASON
    reason[near_dup] = NEAR_REASON

    group = ids.gather(comp_best[rec_comp]) if n else ids
    dup_of_ids = ids.gather(np.where(dup_of >= 0, dup_of, 0)) if n else ids
    return pl.DataFrame(
        {
            "id": ids,
            "dup_group": group,
            "dup_kind": pl.Series(kind.tolist(), dtype=pl.Utf8),
            "is_representative": pl.Series(keep),
            "dup_of": dup_of_ids,
            "dup_similarity": pl.Series(sim),
            "dup_group_size": pl.Series(size.astype(np.int32)),
            "drop_reason": pl.Series(reason.tolist(), dtype=pl.Utf8),
        }
    ).with_columns(
        pl.when(pl.Series(dup_of >= 0)).then(pl.col("dup_of")).otherwise(None).alias("dup_of"),
        pl.col("dup_similarity").fill_nan(None),
    )
