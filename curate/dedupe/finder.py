"""Exact and MinHash near-duplicates as steps any engine runs.

1. *Signatures* (a batch step, :class:`~curate.dedupe.signatures.SignStep`, run by
   ``ops.map_batches`` over the texts): each record's exact key (xxh3-128 of its
   normalised text), the keep policy's features and MinHash signatures identical to
   datasketch's. Here, as the results come back in input order, records with the same key
   become one *node* (numbered by first appearance) and only each node's signature is kept:
   memory holds signatures, not texts.
2. *Near duplicates* (a global step over the signatures only,
   :func:`~curate.dedupe.near.near_duplicates`): LSH candidates, estimates, and the pair
   decision; pairs near the threshold are decided on their true Jaccard from the shingle
   sets of just those records (a second ``ops.map_batches``, over those rows only).
3. *Groups and keepers* (:func:`~curate.dedupe.groups.group_records`): connected
   components are the groups; within a group, records are visited by the keep policy and
   one is dropped only as a duplicate of a kept record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from curate.dedupe import policy
from curate.dedupe.config import DedupeConfig
from curate.dedupe.groups import EXACT_REASON, NEAR_REASON, group_records, node_ranks
from curate.dedupe.near import near_duplicates, true_jaccard
from curate.dedupe.signatures import FEATURE, ShingleSetStep, SignStep, input_columns
from curate.stages.base import Resources
from curate.stages.ops import InProcessOps, Ops, gpus_for
from curate.stages.timing import Phases

log = logging.getLogger("curate.dedupe")

__all__ = ["DedupeResult", "EXACT_REASON", "NEAR_REASON", "find_duplicates"]

#: records per batch of the exact-Jaccard pass
VERIFY_BATCH = 1024


@dataclass
class DedupeResult:
    """Per record (in input order) what dedupe decided, plus run figures."""

    frame: pl.DataFrame  # id, dup_group, dup_kind, is_representative, dup_of, dup_similarity, drop_reason
    info: dict[str, Any] = field(default_factory=dict)
    #: the confirmed near-duplicate pairs, as row numbers of the input (for each distinct
    #: text its first record), and their similarity
    pairs: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    pair_similarity: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))


class _Growing:
    """A 2-D array that grows by rows (amortised doubling)."""

    def __init__(self, cols: int, dtype: Any, capacity: int = 1024):
        self.a = np.empty((max(capacity, 1), cols), dtype=dtype)
        self.n = 0

    def extend(self, rows: np.ndarray) -> None:
        need = self.n + rows.shape[0]
        if need > self.a.shape[0]:
            bigger = np.empty((max(need, 2 * self.a.shape[0]), self.a.shape[1]), dtype=self.a.dtype)
            bigger[: self.n] = self.a[: self.n]
            self.a = bigger
        self.a[self.n : need] = rows
        self.n = need

    def view(self) -> np.ndarray:
        return self.a[: self.n]


def find_duplicates(
    source: Ops | pl.DataFrame | pl.LazyFrame,
    cfg: DedupeConfig,
    *,
    columns: list[str] | None = None,
    total: int | None = None,
    note: Callable[[str], None] | None = None,
    prefer: frozenset[str] | set[str] | None = None,
) -> DedupeResult:
    """Exact and near-duplicate detection over the records of ``source``: a stage's
    ``ctx.ops``, or a table whose rows are all live (run in this process).

    ``columns``: the columns the table has (``id`` and ``text`` at least; ``messages``
    and ``meta`` feed the keep policy). ``total``: the number of records, if known
    (preallocates the signatures). ``prefer``: ids of records a group keeps before any
    other (records reviewers worked on: an earlier copy of a labeled record does not
    take its place), whatever the keep policy says; the policy orders the rest."""
    if isinstance(source, Ops):
        ops = source
        assert columns is not None, "give the table's columns with ops"
    else:
        ops = InProcessOps.over(source)
        columns = columns or (source.collect_schema().names() if isinstance(source, pl.LazyFrame) else source.columns)
    note = note or (lambda _: None)
    phases = Phases()
    device = ops.device(cfg.device, setting="dedupe.device") if cfg.near else "cpu"
    step = SignStep(cfg, columns, device)
    resources = Resources(cpus=1.0, gpus=gpus_for(device), batch_size=cfg.batch_size)

    # 1. keys and signatures; nodes (distinct texts) by first appearance
    ids_parts: list[pl.Series] = []
    feature_parts: dict[str, list[np.ndarray]] = {k: [] for k in policy.feature_exprs(cfg.keep, columns, cfg.newest_field)}
    key_to_node: dict[bytes, int] = {}
    node_of_parts: list[np.ndarray] = []
    node_first_row: list[int] = []  # the record a node's signature was computed from
    sigs = _Growing(cfg.num_perm, np.uint32, capacity=total or 1024) if cfg.near else None
    empty_parts: list[np.ndarray] = []  # per node: no shingles
    row0 = 0
    for out in ops.map_batches(step, columns=input_columns(cfg, columns), batch_size=cfg.batch_size, resources=resources):
        n = out.height
        ids_parts.append(out["id"])
        for k, parts in feature_parts.items():
            parts.append(out[FEATURE + k].to_numpy())
        if cfg.exact:
            nodes = np.empty(n, dtype=np.int64)
            new_rows: list[int] = []
            for i, k in enumerate(out["key"].to_list()):
                node = key_to_node.get(k)
                if node is None:
                    node = len(node_first_row)
                    key_to_node[k] = node
                    node_first_row.append(row0 + i)
                    new_rows.append(i)
                nodes[i] = node
        else:
            base = len(node_first_row)
            nodes = np.arange(base, base + n, dtype=np.int64)
            node_first_row.extend(range(row0, row0 + n))
            new_rows = list(range(n))
        node_of_parts.append(nodes)
        if sigs is not None and new_rows:
            # a node's first record is the first of its text in its batch: always signed
            sig, empty = out["sig"].to_numpy(), out["empty"].to_numpy()
            if len(new_rows) < n:
                sig, empty = sig[new_rows], empty[new_rows]
            sigs.extend(sig)
            empty_parts.append(empty)
        row0 += n
        note(f"signatures {row0:,}" + (f"/{total:,}" if total else ""))
    out = sig = empty = None  # the last batch's rows, not held through the next phases
    phases.lap("signatures")

    n_rows = row0
    ids = pl.concat(ids_parts) if ids_parts else pl.Series("id", [], dtype=pl.Utf8)
    node_of = np.concatenate(node_of_parts) if node_of_parts else np.zeros(0, np.int64)
    n_nodes = len(node_first_row)
    first_row = np.asarray(node_first_row, dtype=np.int64)
    del ids_parts, node_of_parts, node_first_row, key_to_node
    features = {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in feature_parts.items()}
    rank = policy.ranks(cfg.keep, features, n_rows)
    if prefer:
        preferred = ids.is_in(list(prefer)).to_numpy()
        if preferred.any():
            rank = policy.preferred_first(rank, preferred)
    node_rank = node_ranks(node_of, rank, n_nodes)
    info: dict[str, Any] = {"records": n_rows, "distinct_texts": n_nodes, "device": device}

    # 2. near duplicates among the nodes, from their signatures
    edges = np.zeros((0, 2), np.int64)
    weights = np.zeros(0, np.float32)
    if sigs is not None and n_nodes > 1:
        empty = np.concatenate(empty_parts)
        note("candidate pairs")

        def exact(pairs: np.ndarray) -> np.ndarray:
            note(f"exact Jaccard of {pairs.shape[0]:,} pairs near the threshold")
            return true_jaccard(_shingle_sets(ops, cfg, np.unique(pairs.ravel()), first_row), pairs)

        near = near_duplicates(sigs.view(), empty, node_rank, cfg, exact, lap=phases.lap)
        edges, weights = near.pairs, near.similarity
        info.update(near.info)
        del sigs
    # 3. groups and keepers
    note("groups")
    frame = group_records(ids, node_of, rank, node_rank, edges, weights)
    phases.lap("groups")
    info["seconds"] = phases.seconds
    return DedupeResult(frame, info, first_row[edges], weights.astype(np.float32))


def _shingle_sets(ops: Ops, cfg: DedupeConfig, nodes: np.ndarray, first_row: np.ndarray) -> dict[int, np.ndarray]:
    """The shingle sets of ``nodes`` (ascending), from their first records' texts only."""
    sets: dict[int, np.ndarray] = {}
    it = iter(nodes.tolist())
    # smaller batches than the signatures': this pass runs while the signatures and the
    # candidate pairs are held, and a batch's shingle arrays are its peak
    size = min(cfg.batch_size, VERIFY_BATCH)
    for out in ops.map_batches(ShingleSetStep(cfg), columns=["text"], rows=first_row[nodes], batch_size=size,
                               resources=Resources(cpus=1.0, batch_size=size)):
        for b in out["shingles"].to_list():
            sets[next(it)] = np.frombuffer(b, dtype=np.uint32)
    return sets
