"""Exact and MinHash near-duplicates on Ray, with the local engine's results.

The same steps as :func:`curate.dedupe.finder.find_duplicates`, placed for a cluster:

1. *Keys, features, signatures* (Ray tasks over the input, in parallel): per record its
   exact key (xxh3-128 of the normalised text), the keep policy's features and, for the
   first record of each text in its batch, its MinHash signature. The signatures stay in
   Ray's object store; the driver takes ids, keys and features only.
2. *Nodes and ranks* (driver, from keys and features): one node per distinct text,
   numbered by first appearance, ranked by the keep policy, as the local engine does.
3. *Candidates* (Ray): each node's band keys, shuffled by Ray's groupby on (band, key
   range) so every bucket lands whole in one group; each group pairs its buckets with
   the local engine's bucket rule (rank order, a window of neighbours, the best-ranked
   member for the rest). The driver receives pairs of node indices.
4. *Verification*: estimated Jaccard from the signatures of the paired nodes only
   (fetched from the object store); pairs near the threshold are decided on their true
   shingle Jaccard from shingle sets computed by Ray tasks from those records' texts.
5. *Groups and keepers* (driver): union of the confirmed pairs and the greedy keep rule,
   shared with the local engine.

No record text reaches the driver: only ids, indices, hashes, signatures of paired nodes
and shingle hashes of borderline pairs.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from curate.components import components
from curate.dedupe import graph, lsh, minhash, policy
from curate.dedupe.config import DedupeConfig
from curate.dedupe.finder import DedupeResult, _per_record, best_of
from curate.dedupe.shingles import EXACT, EXACT_CASEFOLD, Normalization, normalize, shingle_hashes
from curate.engines.ray.io import ROW, read_rows
from curate.engines.ray.session import worker_environment
from curate.errors import ConfigError
from curate.stages.base import Resources

log = logging.getLogger("curate.dedupe")

#: the local engine's bucket window (lsh.candidate_pairs), so both make the same pairs
WINDOW = inspect.signature(lsh.candidate_pairs).parameters["window"].default
#: band-key rows per group of the bucket shuffle: a group is paired in one vectorised call
GROUP_ROWS = 1_000_000
FEATURE = "f_"


# -- 1. per-record work in Ray tasks -------------------------------------------------------------


def sign_batch(batch: pa.Table, cfg: DedupeConfig, columns: list[str], device: str) -> pa.Table:
    """Exact keys, policy features and (for the first record of each text in the batch)
    signatures of a batch of records."""
    import xxhash

    worker_environment(1)
    df = pl.from_arrow(batch.drop_columns([ROW]))
    assert isinstance(df, pl.DataFrame)
    n = df.height
    out: dict[str, Any] = {ROW: batch.column(ROW), "id": df["id"].cast(pl.Utf8).to_arrow()}
    feats = policy.feature_exprs(cfg.keep, columns, cfg.newest_field)
    if feats:
        fdf = df.select(**feats)
        for k in feats:
            col = fdf[k]
            out[FEATURE + k] = policy.times(col) if k == "time" else col.to_numpy().astype(np.int64)
    texts = df["text"].cast(pl.Utf8).fill_null("")
    sign = np.arange(n)
    if cfg.exact:
        buf = normalize(texts, EXACT_CASEFOLD if cfg.casefold else EXACT)
        mv = memoryview(buf.data)
        off = buf.offsets.tolist()
        hi = np.empty(n, dtype=np.uint64)
        lo = np.empty(n, dtype=np.uint64)
        first: dict[int, int] = {}
        for i in range(n):
            k = xxhash.xxh3_128_intdigest(mv[off[i] : off[i + 1]])
            hi[i] = k >> 64
            lo[i] = k & 0xFFFFFFFFFFFFFFFF
            first.setdefault(k, i)
        out["key_hi"], out["key_lo"] = hi, lo
        # a text's later copies are never the first record of its node: not signed
        sign = np.fromiter(sorted(first.values()), dtype=np.int64, count=len(first))
    if cfg.near:
        sig = np.full((n, cfg.num_perm), minhash.EMPTY, dtype=np.uint32)
        empty = np.zeros(n, dtype=bool)
        if sign.size:
            sub = texts if sign.size == n else texts.gather(sign)
            sb = shingle_hashes(normalize(sub, Normalization(lowercase=cfg.lowercase, drop_punctuation=not cfg.punctuation)),
                                cfg.ngram, cfg.shingle)
            sig[sign] = minhash.signatures(sb, cfg.num_perm, cfg.seed, device=device)
            empty[sign] = sb.counts == 0
        out["sig"] = pa.FixedSizeListArray.from_arrays(pa.array(sig.ravel(), type=pa.uint32()), cfg.num_perm)
        out["empty"] = empty
    return pa.table(out)


def column(tbl: pa.Table, name: str) -> np.ndarray:
    """A column of a table as one numpy array."""
    col = tbl.column(name).combine_chunks()
    return col.to_numpy(zero_copy_only=False)


def signature_matrix(col: pa.ChunkedArray | pa.Array, num_perm: int) -> np.ndarray:
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    return col.flatten().to_numpy().reshape(-1, num_perm)


# -- 3. LSH bands through Ray's groupby ----------------------------------------------------------


def band_rows(batch: pa.Table, bands: int, rows: int, groups: int, tables: Any, num_perm: int) -> pa.Table:
    """One row per (band, node) for the batch's records that are the first record of a
    node with shingles: the group it is shuffled to, the band key, the node and its rank."""
    import ray

    live_pos, band_node, node_rank = ray.get(tables) if isinstance(tables, ray.ObjectRef) else tables
    pos = np.searchsorted(live_pos, column(batch, ROW))
    node = band_node[pos]
    keep = node >= 0
    empty = {"g": pa.array([], pa.int64()), "key": pa.array([], pa.uint64()), "node": pa.array([], pa.int64()),
             "rank": pa.array([], pa.int64())}
    if not keep.any():
        return pa.table(empty)
    sig = signature_matrix(batch.column("sig"), num_perm)[keep]
    node = node[keep]
    rank = node_rank[node]
    g_parts, k_parts = [], []
    for b in range(bands):
        key = lsh.band_keys(sig, b, rows)
        g_parts.append(b * groups + (key % np.uint64(groups)).astype(np.int64))
        k_parts.append(key)
    return pa.table({
        "g": np.concatenate(g_parts),
        "key": np.concatenate(k_parts),
        "node": np.tile(node, bands),
        "rank": np.tile(rank, bands),
    })


def bucket_pairs(group: dict[str, np.ndarray], window: int) -> dict[str, np.ndarray]:
    """Candidate pairs of one group's buckets (all of a bucket's members are in the group),
    by the local engine's rule; the last row carries the group's bucket figures."""
    stats = lsh.CandidateStats(bands=0, rows=0)
    keys = np.asarray(group["key"], dtype=np.uint64)
    nodes = np.asarray(group["node"], dtype=np.int64)
    rank = np.asarray(group["rank"], dtype=np.int64)
    parts = [nodes[p] for p in lsh._bucket_pairs(keys, rank, window, stats)]
    pairs = np.concatenate(parts) if parts else np.zeros((0, 2), np.int64)
    pairs = np.stack([pairs.min(axis=1), pairs.max(axis=1)], axis=1) if pairs.size else pairs
    a = np.append(pairs[:, 0], -1)
    b = np.append(pairs[:, 1], -1)
    buckets = np.zeros(a.size, np.int64)
    largest = np.zeros(a.size, np.int64)
    buckets[-1], largest[-1] = stats.buckets, stats.largest_bucket
    return {"a": a, "b": b, "buckets": buckets, "largest": largest}


# -- 4. exact Jaccard of borderline pairs ---------------------------------------------------------


def shingle_sets(batch: pa.Table, cfg: DedupeConfig) -> pa.Table:
    """Each record's distinct shingle hashes (sorted), for the true Jaccard of a pair."""
    worker_environment(1)
    texts = pl.from_arrow(batch.column("text")).cast(pl.Utf8).fill_null("")
    assert isinstance(texts, pl.Series)
    norm = Normalization(lowercase=cfg.lowercase, drop_punctuation=not cfg.punctuation)
    sb = shingle_hashes(normalize(texts, norm), cfg.ngram, cfg.shingle)
    sets = [np.unique(sb.of(j)).astype(np.uint32) for j in range(texts.len())]
    offsets = np.zeros(len(sets) + 1, dtype=np.int32)
    np.cumsum([s.size for s in sets], out=offsets[1:])
    values = np.concatenate(sets) if sets else np.zeros(0, np.uint32)
    return pa.table({ROW: batch.column(ROW), "shingles": pa.ListArray.from_arrays(pa.array(offsets), pa.array(values))})


def jaccard(sets: dict[int, np.ndarray], pairs: np.ndarray) -> np.ndarray:
    out = np.empty(pairs.shape[0], dtype=np.float64)
    for k, (a, b) in enumerate(pairs.tolist()):
        sa, sb = sets[a], sets[b]
        inter = np.intersect1d(sa, sb, assume_unique=True).size
        union = sa.size + sb.size - inter
        out[k] = inter / union if union else 1.0
    return out


# -- the finder -----------------------------------------------------------------------------------


class RayFinder:
    """``DedupeStage.annotate``'s ``finder`` on Ray (see the module doc)."""

    def __init__(self, engine: Any, input_path: Path | str, live_pos: np.ndarray, res: Resources,
                 group_rows: int = GROUP_ROWS):
        self.engine = engine
        self.input_path = input_path
        self.live_pos = live_pos
        self.res = res
        self.group_rows = group_rows

    def _tasks(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """``read_rows`` and ``map_batches`` arguments of the stage's CPU tasks."""
        from curate.engines.ray import task_args

        return task_args(self.engine, "dedupe", self.res)

    def _signature_placement(self, cfg: DedupeConfig) -> tuple[float, str]:
        """GPUs per signature task and the device it computes on: the configured GPUs, else
        one GPU when the cluster has them and dedupe.device allows it, else the CPU."""
        over = self.engine.override("dedupe")
        have = self.engine.cluster().get("GPU", 0.0)
        if cfg.device == "cpu":
            return 0.0, "cpu"
        gpus = over.gpus if over is not None and over.gpus is not None else (1.0 if have > 0 else 0.0)
        if cfg.device == "cuda" and (gpus <= 0 or have <= 0):
            raise ConfigError("dedupe.device: cuda was asked for, but the Ray cluster has no GPU (use auto or cpu)")
        if gpus > 0:
            self.engine.check_fits("dedupe", self.res.cpus, gpus)
            return gpus, "cuda"
        return 0.0, "cpu"

    def __call__(
        self, cfg: DedupeConfig, *, columns: list[str], total: int | None = None, note: Callable[[str], None] | None = None
    ) -> DedupeResult:
        note = note or (lambda _: None)
        seconds: dict[str, float] = {}
        t = time.perf_counter()

        def lap(phase: str) -> None:
            nonlocal t
            now = time.perf_counter()
            seconds[phase] = round(seconds.get(phase, 0.0) + now - t, 3)
            t = now

        n_rows = int(self.live_pos.size)
        gpus, device = self._signature_placement(cfg) if cfg.near else (0.0, "cpu")
        feats = policy.feature_exprs(cfg.keep, columns, cfg.newest_field)
        need = ["id", "text"] + sorted(
            {c for c in ("messages", "meta") if c in columns and any(c in e.meta.root_names() for e in feats.values())}
        )
        block = max(1, min(self.res.batch_size, cfg.batch_size))

        # 1. keys, features, signatures
        note(f"signatures of {n_rows:,} records on Ray")
        read_args, map_args = self._tasks()
        if gpus > 0:
            map_args["num_gpus"] = gpus
            read_args = {"concurrency": read_args["concurrency"]}  # a GPU task reads for itself
        signed = read_rows(self.input_path, need, block_rows=block, **read_args).map_batches(
            sign_batch, fn_kwargs={"cfg": cfg, "columns": columns, "device": device},
            batch_size=block, batch_format="pyarrow", **map_args,
        ).materialize()
        small_cols = [ROW, "id"] + (["key_hi", "key_lo"] if cfg.exact else []) + [FEATURE + k for k in feats]
        small_cols += ["empty"] if cfg.near else []
        small = self.engine.collect("dedupe", signed, small_cols)
        lap("signatures")
        if small.num_rows != n_rows:
            raise AssertionError(f"dedupe: {small.num_rows} records came back from Ray for {n_rows}")
        rows_read = column(small, ROW) if n_rows else np.zeros(0, np.int64)
        if not np.array_equal(rows_read, self.live_pos):
            raise AssertionError("dedupe: Ray returned other rows than the input's live ones")

        # 2. nodes (distinct texts, by first appearance) and ranks, as the local engine
        ids = pl.Series("id", small.column("id")) if n_rows else pl.Series("id", [], dtype=pl.Utf8)
        if cfg.exact and n_rows:
            keys = np.empty(n_rows, dtype=[("h", "<u8"), ("l", "<u8")])
            keys["h"] = column(small, "key_hi")
            keys["l"] = column(small, "key_lo")
            _, first_idx, inverse = np.unique(keys, return_index=True, return_inverse=True)
            order = np.argsort(first_idx, kind="stable")
            renumber = np.empty_like(order)
            renumber[order] = np.arange(order.size)
            node_of = renumber[inverse.ravel()].astype(np.int64)
            first_row = first_idx[order].astype(np.int64)
        else:
            node_of = np.arange(n_rows, dtype=np.int64)
            first_row = np.arange(n_rows, dtype=np.int64)
        n_nodes = int(first_row.size)
        features = {k: column(small, FEATURE + k) if n_rows else np.zeros(0) for k in feats}
        rank = policy.ranks(cfg.keep, features, n_rows)
        node_rank = np.full(n_nodes, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(node_rank, node_of, rank)
        node_rep = best_of(node_of, rank, n_nodes)
        info: dict[str, Any] = {"records": n_rows, "distinct_texts": n_nodes, "device": device if cfg.near else "cpu"}

        # 3-4. near duplicates among the nodes
        edges = np.zeros((0, 2), np.int64)
        weights = np.zeros(0, np.float32)
        if cfg.near and n_nodes > 1:
            empty = column(small, "empty").astype(bool)[first_row]
            bands, rows = cfg.lsh_params()
            note("candidate pairs (LSH bands on Ray)")
            pairs, buckets, largest = self._candidates(signed, cfg, bands, rows, first_row, node_rank, ~empty, n_nodes)
            lap("candidates")
            note(f"verifying {pairs.shape[0]:,} pairs")
            est = self._estimates(signed, cfg, pairs, first_row)
            # as the local engine: candidates are the pairs whose estimate can reach the
            # threshold (the others are rejected whatever the verification)
            margin = lsh.estimate_margin(cfg.threshold, cfg.num_perm) if cfg.verify == "exact" else 0.0
            plausible = est >= np.float32(cfg.threshold - margin)
            pairs, est = pairs[plausible], est[plausible]
            accept = est >= np.float32(cfg.threshold)
            w = est.copy()
            checked = 0
            if cfg.verify == "exact" and pairs.shape[0]:
                border = np.abs(est - np.float32(cfg.threshold)) < margin
                if border.any():
                    exact_j = self._exact_jaccard(cfg, pairs[border], first_row)
                    accept[border] = exact_j >= cfg.threshold
                    w[border] = exact_j
                    checked = int(border.sum())
            edges, weights = pairs[accept], w[accept]
            lap("verify")
            info.update({
                "empty_texts": int(empty.sum()),
                "bands": bands,
                "rows": rows,
                "recall_at_threshold": round(float(lsh.candidate_probability(cfg.threshold, bands, rows)), 4),
                "buckets": buckets,
                "largest_bucket": largest,
                "candidate_pairs": int(pairs.shape[0]),
                "exact_checked_pairs": checked,
                "duplicate_pairs": int(edges.shape[0]),
            })
        # 5. groups and keepers
        note("groups")
        kept = graph.greedy_keep(n_nodes, edges, weights, node_rank)
        comp = components(n_nodes, edges)
        frame = _per_record(ids, node_of, node_rep, rank, comp, kept)
        lap("groups")
        info["seconds"] = seconds
        return DedupeResult(frame, info, first_row[edges], weights.astype(np.float32))

    def _candidates(
        self, signed: Any, cfg: DedupeConfig, bands: int, rows: int, first_row: np.ndarray, node_rank: np.ndarray,
        valid: np.ndarray, n_nodes: int,
    ) -> tuple[np.ndarray, int, int]:
        import ray

        band_node = np.full(self.live_pos.size, -1, dtype=np.int64)
        nodes = np.flatnonzero(valid)
        band_node[first_row[nodes]] = nodes
        if nodes.size < 2:
            return np.zeros((0, 2), np.int64), 0, 0
        groups = max(1, -(-int(nodes.size) // self.group_rows))
        tables = ray.put((self.live_pos, band_node, node_rank))
        banded = signed.select_columns([ROW, "sig"]).map_batches(
            band_rows, fn_kwargs={"bands": bands, "rows": rows, "groups": groups, "tables": tables, "num_perm": cfg.num_perm},
            batch_format="pyarrow", **self._tasks()[1],
        )
        # Ray's sort-based shuffle: several times faster here than its default hash
        # shuffle, whose aggregator actors cost more than a few groups are worth
        banded.context.shuffle_strategy = sort_shuffle()
        cpus = int(self.engine.cluster().get("CPU", 1.0))
        paired = banded.groupby("g", num_partitions=max(1, min(bands * groups, 4 * cpus))).map_groups(
            bucket_pairs, fn_kwargs={"window": WINDOW}, batch_format="numpy", **self._tasks()[1],
        )
        codes: list[np.ndarray] = []
        buckets = largest = 0
        for tbl in self.engine.stream("dedupe", paired, in_order=False):
            a = column(tbl, "a")
            b = column(tbl, "b")
            stat = a < 0
            buckets += int(column(tbl, "buckets")[stat].sum())
            largest = max(largest, int(column(tbl, "largest")[stat].max(initial=0)))
            if (~stat).any():
                codes.append(np.unique(a[~stat] * n_nodes + b[~stat]))
            if len(codes) > 4:  # merge as they come: memory stays at the unique pairs
                codes = [np.unique(np.concatenate(codes))]
        if not codes:
            return np.zeros((0, 2), np.int64), buckets, largest
        uniq = np.unique(np.concatenate(codes))
        return np.stack([uniq // n_nodes, uniq % n_nodes], axis=1), buckets, largest

    def _estimates(self, signed: Any, cfg: DedupeConfig, pairs: np.ndarray, first_row: np.ndarray) -> np.ndarray:
        """Estimated Jaccard of each pair, from the signatures of the paired nodes only."""
        import ray

        if pairs.shape[0] == 0:
            return np.zeros(0, np.float32)
        nodes = np.unique(pairs.ravel())
        want = ray.put(self.live_pos[first_row[nodes]])
        got = self.engine.collect("dedupe", signed.select_columns([ROW, "sig"]).map_batches(
            _rows_in, fn_kwargs={"rows": want}, batch_format="pyarrow", **self._tasks()[1],
        ))
        phys = column(got, ROW)
        if phys.size != nodes.size:
            raise AssertionError(f"dedupe: {phys.size} signatures came back from Ray for {nodes.size} nodes")
        sig = signature_matrix(got.column("sig"), cfg.num_perm)
        # row i of ``sig`` belongs to the node whose first record is at phys[i]
        node_at = nodes[np.searchsorted(self.live_pos[first_row[nodes]], phys)]
        local = np.searchsorted(node_at, pairs)
        return lsh.estimate_pairs(sig, local)

    def _exact_jaccard(self, cfg: DedupeConfig, pairs: np.ndarray, first_row: np.ndarray) -> np.ndarray:
        """True Jaccard of node pairs: shingle sets of these nodes' first records, computed
        by Ray tasks reading only those records."""
        nodes = np.unique(pairs.ravel())
        phys = self.live_pos[first_row[nodes]]
        read_args, map_args = self._tasks()
        got = self.engine.collect("dedupe", read_rows(self.input_path, ["text"], rows=phys, **read_args).map_batches(
            shingle_sets, fn_kwargs={"cfg": cfg}, batch_format="pyarrow", **map_args,
        ))
        rows = column(got, ROW)
        shingles = got.column("shingles").to_pylist()
        node_of_row = dict(zip(phys.tolist(), nodes.tolist()))
        sets = {node_of_row[int(r)]: np.asarray(s, dtype=np.uint32) for r, s in zip(rows.tolist(), shingles)}
        return jaccard(sets, pairs)


def sort_shuffle() -> Any:
    from ray.data.context import ShuffleStrategy

    return ShuffleStrategy.SORT_SHUFFLE_PULL_BASED


def _rows_in(batch: pa.Table, rows: Any) -> pa.Table:
    """The batch's rows whose ``_row`` is in ``rows`` (an object reference to an array)."""
    import ray

    want = ray.get(rows) if isinstance(rows, ray.ObjectRef) else rows
    mask = np.isin(column(batch, ROW), want)
    return batch.filter(pa.array(mask))
