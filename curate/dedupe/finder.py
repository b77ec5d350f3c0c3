"""Exact and MinHash near-duplicates over a stream of record batches.

One pass over the texts, batch by batch:

1. *Exact*: each text's normalised form (NFKC, whitespace, optionally case) is hashed
   (xxh3-128); records with the same hash are one *node*. Only the first record of a
   node is shingled and signed, so exact copies cost one dictionary lookup.
2. *Signatures*: word or character n-gram shingles hashed in bulk
   (:mod:`curate.dedupe.shingles`) and MinHash signatures identical to datasketch's
   (:mod:`curate.dedupe.minhash`), on the GPU with torch when asked.

Then, over the signatures only (memory is signatures, not texts):

3. *Candidates*: LSH bands chosen for recall, buckets by sorting band keys.
4. *Verification*: a candidate pair is a near duplicate when its estimated Jaccard is at
   or above the threshold; with ``verify: exact`` pairs close to the threshold are
   decided on their true shingle Jaccard (a second pass reads those records only).
5. *Groups and keepers*: connected components are the groups; within a group, records
   are visited by the representative policy and one is dropped only as a duplicate of a
   kept record (:mod:`curate.dedupe.graph`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
import xxhash

from curate.components import components
from curate.dedupe import graph, lsh, minhash, policy
from curate.dedupe.config import DedupeConfig
from curate.dedupe.shingles import EXACT, EXACT_CASEFOLD, Normalization, normalize, shingle_hashes
from curate.errors import ConfigError

log = logging.getLogger("curate.dedupe")

#: reads the given columns of the table, in batches, always in the same order
BatchReader = Callable[[list[str]], Iterator[pl.DataFrame]]

EXACT_REASON = "exact_duplicate"
NEAR_REASON = "near_duplicate"


@dataclass
class DedupeResult:
    """Per record (in input order) what dedupe decided, plus run figures."""

    frame: pl.DataFrame  # id, dup_group, dup_kind, is_representative, dup_of, dup_similarity, drop_reason
    info: dict[str, Any] = field(default_factory=dict)
    #: the confirmed near-duplicate pairs, as row numbers of the input (for each distinct
    #: text its first record), and their similarity
    pairs: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    pair_similarity: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` when a CUDA GPU is visible, else ``cpu``. torch is imported
    only when a GPU may be present (it costs seconds and hundreds of MB)."""
    if device == "cuda":
        if not minhash.cuda_available():
            raise ConfigError("dedupe.device: cuda was asked for, but torch sees no CUDA GPU (use auto or cpu)")
        return device
    if device != "auto":
        return device
    if not (os.path.exists("/dev/nvidia0") or os.path.exists("/dev/nvidiactl")):
        return "cpu"
    return "cuda" if minhash.cuda_available() else "cpu"


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


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def add(self, phase: str, t0: float) -> float:
        t = time.perf_counter()
        self.seconds[phase] = round(self.seconds.get(phase, 0.0) + t - t0, 3)
        return t


def find_duplicates(
    read: BatchReader,
    cfg: DedupeConfig,
    *,
    columns: list[str],
    total: int | None = None,
    note: Callable[[str], None] | None = None,
) -> DedupeResult:
    """Run exact and near-duplicate detection over the records ``read`` yields.

    ``columns``: the columns the table has (``id`` and ``text`` at least; ``messages``
    and ``meta`` feed the representative policy). ``total``: the number of records, if
    known (preallocates the signatures)."""
    note = note or (lambda _: None)
    timer = _Timer()
    t0 = time.perf_counter()
    device = resolve_device(cfg.device)
    shingle_norm = Normalization(lowercase=cfg.lowercase, drop_punctuation=not cfg.punctuation)
    exact_norm = EXACT_CASEFOLD if cfg.casefold else EXACT
    feats = policy.feature_exprs(cfg.keep, columns, cfg.newest_field)
    need_cols = ["id", "text"] + sorted({c for c in ("messages", "meta") if c in columns and _uses(feats, c)})

    ids_parts: list[pl.Series] = []
    feature_parts: dict[str, list[np.ndarray]] = {k: [] for k in feats}
    key_to_node: dict[int, int] = {}
    node_of_parts: list[np.ndarray] = []
    node_first_row: list[int] = []  # the record a node's signature was computed from
    sigs = _Growing(cfg.num_perm, np.uint32, capacity=total or 1024) if cfg.near else None
    empty_parts: list[np.ndarray] = []  # per node: no shingles
    row0 = 0
    for df in read(need_cols):
        n = df.height
        if n == 0:
            continue
        ids_parts.append(df["id"].cast(pl.Utf8))
        if feats:
            fdf = df.select(**feats)
            for k in feats:
                col = fdf[k]
                feature_parts[k].append(policy.times(col) if k == "time" else col.to_numpy().astype(np.int64))
        texts = df["text"].cast(pl.Utf8).fill_null("")
        # 1. exact: one node per distinct normalised text
        if cfg.exact:
            buf = normalize(texts, exact_norm)
            mv = memoryview(buf.data)
            off = buf.offsets.tolist()
            nodes = np.empty(n, dtype=np.int64)
            new_rows: list[int] = []
            for i in range(n):
                k = xxhash.xxh3_128_intdigest(mv[off[i] : off[i + 1]])
                node = key_to_node.get(k)
                if node is None:
                    node = len(node_first_row)
                    key_to_node[k] = node
                    node_first_row.append(row0 + i)
                    new_rows.append(i)
                nodes[i] = node
            del buf, mv
        else:
            base = len(node_first_row)
            nodes = np.arange(base, base + n, dtype=np.int64)
            node_first_row.extend(range(row0, row0 + n))
            new_rows = list(range(n))
        node_of_parts.append(nodes)
        # 2. signatures of the new nodes
        if sigs is not None and new_rows:
            sub = texts if len(new_rows) == n else texts.gather(new_rows)
            sb = shingle_hashes(normalize(sub, shingle_norm), cfg.ngram, cfg.shingle)
            sigs.extend(minhash.signatures(sb, cfg.num_perm, cfg.seed, device=device))
            empty_parts.append(sb.counts == 0)
        row0 += n
        note(f"signatures {row0:,}" + (f"/{total:,}" if total else ""))
    t = timer.add("signatures", t0)

    n_rows = row0
    ids = pl.concat(ids_parts) if ids_parts else pl.Series("id", [], dtype=pl.Utf8)
    del ids_parts
    node_of = np.concatenate(node_of_parts) if node_of_parts else np.zeros(0, np.int64)
    del node_of_parts
    n_nodes = len(node_first_row)
    first_row = np.asarray(node_first_row, dtype=np.int64)
    del node_first_row, key_to_node
    features = {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in feature_parts.items()}
    rank = policy.ranks(cfg.keep, features, n_rows)
    del features
    # a node's rank and representative: its best-ranked record
    node_rank = np.full(n_nodes, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(node_rank, node_of, rank)
    node_rep = best_of(node_of, rank, n_nodes)

    info: dict[str, Any] = {
        "records": n_rows,
        "distinct_texts": n_nodes,
        "device": device,
    }
    # 3-4. near duplicates among the nodes
    edges = np.zeros((0, 2), np.int64)
    weights = np.zeros(0, np.float32)
    if sigs is not None and n_nodes > 1:
        sig = sigs.view()
        empty = np.concatenate(empty_parts) if empty_parts else np.zeros(0, bool)
        bands, rows = cfg.lsh_params()
        margin = lsh.estimate_margin(cfg.threshold, cfg.num_perm) if cfg.verify == "exact" else 0.0
        # a pair whose estimate is below this is rejected whatever the verification, so
        # it is dropped as soon as it is made (templated data makes millions of them)
        floor = np.float32(cfg.threshold - margin)

        def plausible(p: np.ndarray) -> np.ndarray:
            return lsh.estimate_pairs(sig, p) >= floor

        note("candidate pairs")
        pairs, cstats = lsh.candidate_pairs(sig, bands, rows, rank=node_rank, valid=~empty, keep=plausible)
        t = timer.add("candidates", t)
        note(f"verifying {pairs.shape[0]:,} pairs")
        est = lsh.estimate_pairs(sig, pairs)
        accept = est >= np.float32(cfg.threshold)
        w = est.copy()
        checked = 0
        if cfg.verify == "exact" and pairs.shape[0]:
            border = np.abs(est - np.float32(cfg.threshold)) < margin
            if border.any():
                exact_j = _exact_jaccard(read, pairs[border], first_row, n_rows, cfg, shingle_norm)
                accept[border] = exact_j >= cfg.threshold
                w[border] = exact_j
                checked = int(border.sum())
        edges, weights = pairs[accept], w[accept]
        t = timer.add("verify", t)
        info.update(
            {
                "empty_texts": int(empty.sum()),
                "bands": bands,
                "rows": rows,
                "recall_at_threshold": round(float(lsh.candidate_probability(cfg.threshold, bands, rows)), 4),
                "buckets": cstats.buckets,
                "largest_bucket": cstats.largest_bucket,
                # unique pairs sharing a band whose estimate can reach the threshold
                "candidate_pairs": int(pairs.shape[0]),
                # pairs made from the buckets (once per band that made them) and, of
                # those, the ones dropped at once for an estimate below the threshold
                "band_pairs": cstats.pairs_generated,
                "band_pairs_pruned": cstats.pairs_pruned,
                "exact_checked_pairs": checked,
                "duplicate_pairs": int(edges.shape[0]),
            }
        )
        del sigs, sig
    # 5. groups and keepers
    note("groups")
    kept_nodes = graph.greedy_keep(n_nodes, edges, weights, node_rank)
    comp = components(n_nodes, edges)
    frame = _per_record(ids, node_of, node_rep, rank, comp, kept_nodes)
    timer.add("groups", t)
    info["seconds"] = timer.seconds
    return DedupeResult(frame, info, first_row[edges], weights.astype(np.float32))


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


def _uses(feats: dict[str, pl.Expr], column: str) -> bool:
    return any(column in e.meta.root_names() for e in feats.values())


def _per_record(
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


def _exact_jaccard(
    read: BatchReader,
    pairs: np.ndarray,
    first_row: np.ndarray,
    n_rows: int,
    cfg: DedupeConfig,
    norm: Normalization,
) -> np.ndarray:
    """True Jaccard of the shingle sets of node pairs: a second pass over the table that
    shingles only the records of these nodes."""
    nodes = np.unique(pairs.ravel())
    want = np.zeros(n_rows, dtype=bool)
    want[first_row[nodes]] = True
    row_node = {int(first_row[v]): int(v) for v in nodes}
    sets: dict[int, np.ndarray] = {}
    row0 = 0
    for df in read(["text"]):
        n = df.height
        sel = np.flatnonzero(want[row0 : row0 + n])
        if sel.size:
            texts = df["text"].cast(pl.Utf8).fill_null("").gather(sel)
            sb = shingle_hashes(normalize(texts, norm), cfg.ngram, cfg.shingle)
            for j, i in enumerate(sel.tolist()):
                sets[row_node[row0 + i]] = np.unique(sb.of(j))
        row0 += n
    out = np.empty(pairs.shape[0], dtype=np.float64)
    for k, (a, b) in enumerate(pairs.tolist()):
        sa, sb_ = sets[a], sets[b]
        inter = np.intersect1d(sa, sb_, assume_unique=True).size
        union = sa.size + sb_.size - inter
        out[k] = inter / union if union else 1.0
    return out
