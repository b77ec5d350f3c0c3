"""The select stage: from the live records, the ones worth a reviewer's time.

Every live record is a candidate: the filter stage has already dropped the unfit ones
(before they were embedded). Steps, in order: k-means over the embeddings (every record
gets a cluster; through ``ctx.ops.call``, so on a GPU worker when the engine has one),
semantic dedupe inside clusters when ``dedupe.semantic`` is on, then a strategy picks
``budget`` records with a rank and a reason; the rest drop as ``not_selected``. A 2-D
projection of the vectors is kept for the report. Strategies that need no vectors (stratified, random) also run on a table
without embeddings (the embed stage disabled)."""

from __future__ import annotations

import json
import time
from typing import Any, ClassVar

import numpy as np
import polars as pl

from curate.dedupe.config import SemanticDedupeConfig
from curate.embed.inputs import embed_inputs
from curate.embed.vectors import to_numpy
from curate.errors import ConfigError
from curate.labelstudio.expert import expert_fingerprint, expert_records
from curate.records import meta_get
from curate.select.cluster import derive_k, kmeans
from curate.select.config import VECTOR_STRATEGIES, SelectConfig
from curate.select.coverage import coverage_distances, group_coverage
from curate.select.labels import cluster_terms, sample_per_cluster
from curate.select.projection import fit_pca_2d, project
from curate.select.recency import recency_weights
from curate.select.strategies import (
    Selection,
    cluster_balanced,
    k_center,
    random_sample,
    stratified,
)
from curate.stages.base import Columns, GlobalStage, Resources, StageContext
from curate.stages.ops import Ops, gpus_for
from curate.threads import one_thread

NOT_SELECTED = "not_selected"
SEMANTIC_DUPLICATE = "semantic_duplicate"
MISSING = "(missing)"
#: texts per cluster read to name it
TERMS_SAMPLE = 100
_RECORD_FIELDS = ("source", "kind")


def budget_for(cfg: SelectConfig, candidates: int) -> int:
    """How many records to select out of ``candidates``."""
    if cfg.budget is not None:
        return min(cfg.budget, candidates)
    if cfg.fraction is not None:
        return min(candidates, max(1, round(cfg.fraction * candidates))) if candidates else 0
    return candidates


def field_values(df: pl.DataFrame, field: str) -> list[str]:
    """The value of a metadata field (or of ``source`` / ``kind``) per row, as text;
    rows without it get ``(missing)``."""
    if field in _RECORD_FIELDS and field in df.columns:
        return [MISSING if v is None else str(v) for v in df[field].to_list()]
    out = []
    for raw in (df["meta"].to_list() if "meta" in df.columns else [None] * df.height):
        v = meta_get(raw, field)
        if v is None or v == "":
            out.append(MISSING)
        elif isinstance(v, (list, dict)):
            out.append(json.dumps(v, sort_keys=True, ensure_ascii=False))
        else:
            out.append(str(v))
    return out


def semantic_settings(run_config: Any) -> SemanticDedupeConfig | None:
    """``dedupe.semantic`` when it is enabled."""
    sem = run_config.dedupe.semantic
    return sem if sem.enabled else None


class SelectStage(GlobalStage):
    """Adds cluster, selected, rank, strategy, why, proj_x, proj_y; drops the rest."""

    name: ClassVar[str] = "select"
    config_key: ClassVar[str | None] = "select"
    columns: ClassVar[Columns] = Columns(
        reads=("id",),
        # vectors for the vector strategies; metadata for stratified; texts to name clusters
        reads_optional=("embedding", "kind", "meta", "source", "title", "messages", "text"),
        writes={
            "cluster": pl.Int32,
            "selected": pl.Boolean,
            "rank": pl.Int32,
            "strategy": pl.Utf8,
            "why": pl.Utf8,
            "proj_x": pl.Float32,
            "proj_y": pl.Float32,
        },
        writes_optional={"semantic_group": pl.Int64},  # with dedupe.semantic
    )
    config: SelectConfig

    def __init__(self, config):
        super().__init__(config)
        self._info: dict[str, Any] = {}

    def fingerprint(self) -> dict[str, Any]:
        fp = super().fingerprint()
        sem = semantic_settings(self.run_config)
        fp["semantic_dedupe"] = sem.model_dump(mode="json") if sem is not None else None
        # records with expert work (pushed or labeled) are kept selected: a push or a first
        # label changes the selection's input
        fp["expert_work"] = expert_fingerprint(self._run_root())
        return fp

    def _run_root(self):
        root = getattr(self, "run_root", None)
        if root is not None:
            return root
        try:
            return self.run_config.run_dir()
        except Exception:  # a standalone `curate select` has no run folder of its own
            return None

    def resources(self) -> Resources:
        return Resources(cpus=1.0)

    # -- the stage ----------------------------------------------------------------------
    def annotate(self, ctx: StageContext, table: pl.LazyFrame) -> pl.DataFrame:
        cfg = self.config
        names = table.collect_schema().names()
        has_vectors = "embedding" in names
        sem = semantic_settings(self.run_config)
        if cfg.strategy in VECTOR_STRATEGIES and not has_vectors:
            raise ConfigError(
                f"select.strategy: {cfg.strategy} needs embeddings, but the select stage's input has no "
                "'embedding' column; enable the embed stage or use strategy stratified or random"
            )
        if sem is not None and not has_vectors:
            raise ConfigError("dedupe.semantic: needs embeddings; enable the embed stage")
        # no texts: the strategies work from vectors and metadata
        cols = [c for c in ("id", "kind", "meta", "source", "embedding") if c in names]
        df = table.select(cols).collect()
        self._expert = expert_records(ctx.run.root if ctx.run is not None else self._run_root())
        out = self._select(ctx, ctx.ops_for(table), df, has_vectors, sem)
        assert out.height == df.height
        if cfg.clusters.terms and self._info.get("k"):
            ctx.progress.note("naming clusters")
            self._info["cluster_terms"] = self._cluster_terms(table, out)
        return out

    def _cluster_terms(self, table: pl.LazyFrame, out: pl.DataFrame) -> list[list[str]]:
        """Distinctive words per cluster, from a bounded sample of each cluster's requests."""
        cfg = self.config
        live = out["drop_reason"].is_null() | (out["drop_reason"] == NOT_SELECTED).fill_null(False)
        labels = np.where(live.to_numpy() & out["cluster"].is_not_null().to_numpy(),
                          out["cluster"].fill_null(-1).to_numpy(), -1)
        rows = sample_per_cluster(labels, TERMS_SAMPLE, seed=cfg.seed)
        names = table.collect_schema().names()
        cols = [c for c in ("title", "messages", "text") if c in names]
        got = (
            table.with_row_index("_row").filter(pl.col("_row").is_in(pl.Series(rows.tolist(), dtype=pl.UInt32).implode()))
            .select("_row", *cols).collect()
        )
        texts = embed_inputs(got, "request")
        return cluster_terms(texts, labels[got["_row"].to_numpy().astype(np.int64)], int(self._info["k"]), cfg.clusters.terms)

    def _select(self, ctx: StageContext, ops: Ops, df: pl.DataFrame, has_vectors: bool,
                sem: SemanticDedupeConfig | None) -> pl.DataFrame:
        cfg = self.config
        n = df.height
        info: dict[str, Any] = {}
        cand = np.arange(n, dtype=np.int64)

        # 1. vectors: clusters for everyone (k-means where the device is: a GPU worker when
        # the engine has one), projection for the report
        x = to_numpy(df["embedding"]) if has_vectors and n else None
        cluster = np.full(n, -1, dtype=np.int64)
        proj = np.full((n, 2), np.nan, dtype=np.float32)
        centroids = None
        device = self._device(ops) if x is not None else "cpu"
        if x is not None and cand.size:
            budget_hint = budget_for(cfg, int(cand.size))
            k = cfg.clusters.k or derive_k(int(cand.size), budget_hint)
            ctx.progress.note(f"k-means, k={min(k, cand.size):,}")
            res = ops.call(kmeans, x[cand], k, seed=cfg.seed, iterations=cfg.clusters.iterations,
                           backend=cfg.clusters.backend, device=device, resources=Resources(gpus=gpus_for(device)))
            centroids = res.centroids
            cluster[cand] = res.labels
            info.update(k=res.k, kmeans_backend=res.backend, kmeans_seconds=round(res.seconds, 3),
                        inertia=round(res.inertia, 4))
        # the rest compares sums of products (near-ties decide picks): on one thread, so the
        # result does not depend on the machine's threads or load (curate.threads)
        with one_thread():
            return self._decide(ctx, ops, df, x, cluster, centroids, proj, device, sem, info)

    def _decide(self, ctx: StageContext, ops: Ops, df: pl.DataFrame, x: np.ndarray | None, cluster: np.ndarray,
                centroids: np.ndarray | None, proj: np.ndarray, device: str, sem: SemanticDedupeConfig | None,
                info: dict[str, Any]) -> pl.DataFrame:
        cfg = self.config
        n = df.height
        drop: list[str | None] = [None] * n
        why: list[str | None] = [None] * n
        cand = np.arange(n, dtype=np.int64)
        expert = getattr(self, "_expert", {}) or {}
        is_kept = np.fromiter((rid in expert for rid in df["id"].to_list()), dtype=bool, count=n)
        weights = None
        if cfg.recency is not None and n:
            weights, info["recency"] = recency_weights(df, cfg.recency)
        if x is not None and cand.size:
            mean, axes = fit_pca_2d(x[cand], seed=cfg.seed)
            proj = project(x, mean, axes)

        # 2. semantic dedupe inside clusters
        sem_group = None
        if sem is not None and cand.size:
            from curate.dedupe.semantic import semantic_duplicates

            ctx.progress.note("semantic dedupe")
            group, keep = semantic_duplicates(x[cand], cluster[cand], float(sem.threshold))
            sem_group = np.full(n, -1, dtype=np.int64)
            sem_group[cand] = np.asarray(group, dtype=np.int64)
            keep = np.asarray(keep, dtype=bool)
            # a record with expert work stays, even beside a semantic twin: its labels are kept
            keep |= is_kept[cand]
            for i in cand[~keep]:
                drop[i] = SEMANTIC_DUPLICATE
                why[i] = f"semantic duplicate (group {sem_group[i]}, cosine similarity ≥ {float(sem.threshold):.2f} to a kept record)"
            cand = cand[keep]

        # 3. selection
        budget = budget_for(cfg, int(cand.size))
        kept = np.flatnonzero(is_kept[cand])
        info["expert_work"] = {
            "kept": int(kept.size), "labeled": sum(1 for i in cand[kept] if expert.get(df["id"][int(i)]) == "labeled"),
            "known": len(expert), "not_candidates": len(expert) - int(kept.size), "budget": budget,
            "over_budget": max(int(kept.size) - budget, 0),
        }
        ctx.progress.note(f"{cfg.strategy}: {max(budget, kept.size):,} of {cand.size:,}"
                          + (f" ({kept.size:,} kept with expert work)" if kept.size else ""))
        t0 = time.perf_counter()
        sel = self._strategy(ops, df, x, cand, cluster, centroids, budget, device,
                             kept if kept.size else None, weights[cand] if weights is not None else None)
        info["select_seconds"] = round(time.perf_counter() - t0, 3)
        rank = np.full(n, -1, dtype=np.int64)
        rank[cand[sel.order]] = np.arange(1, sel.order.size + 1)
        for j, i in enumerate(cand):
            why[i] = sel.why[j]
            if rank[i] < 0:
                drop[i] = NOT_SELECTED

        if x is not None and cand.size and sel.order.size:
            cov = coverage_distances(x[cand], sel.order, seed=cfg.seed)
            base = coverage_distances(x[cand], random_sample(int(cand.size), int(sel.order.size), seed=cfg.seed).order, seed=cfg.seed)
            info["coverage"] = {
                "mean_distance": round(cov["mean_distance"], 4),
                "max_distance": round(cov["max_distance"], 4),
                "random_mean_distance": round(base["mean_distance"], 4),
                "random_max_distance": round(base["max_distance"], 4),
            }
        self._info = info

        columns: dict[str, Any] = {
            "id": df["id"],
            "cluster": _nullable_int(cluster, pl.Int32),
            "selected": pl.Series("selected", rank > 0, dtype=pl.Boolean),
            "rank": _nullable_int(rank, pl.Int32),
            "strategy": pl.Series("strategy", [cfg.strategy] * n, dtype=pl.Utf8),
            "why": pl.Series("why", why, dtype=pl.Utf8),
            "proj_x": _nullable_float(proj[:, 0]),
            "proj_y": _nullable_float(proj[:, 1]),
        }
        if sem_group is not None:
            columns["semantic_group"] = _nullable_int(sem_group, pl.Int64)
        columns["drop_reason"] = pl.Series("drop_reason", drop, dtype=pl.Utf8)
        return pl.DataFrame(columns)

    def _device(self, ops: Ops) -> str:
        """Where k-means and k-center's torch code run: a CUDA GPU when the torch backend may
        use one (``backend`` auto or torch, ``device`` not cpu) and the engine's workers
        have one, else the CPU."""
        c = self.config.clusters
        if c.backend not in ("auto", "torch"):
            return "cpu"
        return ops.device(c.device, setting="select.clusters.device")

    def _strategy(self, ops: Ops, df: pl.DataFrame, x: np.ndarray | None, cand: np.ndarray, cluster: np.ndarray,
                  centroids: np.ndarray | None, budget: int, device: str, kept: np.ndarray | None = None,
                  weights: np.ndarray | None = None) -> Selection:
        """The configured strategy over the candidates; ``kept`` (positions among them)
        are selected first and count against the budget, ``weights`` is recency."""
        cfg = self.config
        if cand.size == 0:
            return Selection(np.zeros(0, np.int64), [])
        xc = x[cand] if x is not None else None
        more = {k: v for k, v in (("kept", kept), ("weights", weights)) if v is not None}
        if cfg.strategy == "cluster_balanced":
            assert xc is not None and centroids is not None
            return cluster_balanced(xc, cluster[cand], centroids, budget, alpha=cfg.alpha, spread=cfg.spread,
                                    seed=cfg.seed, **more)
        if cfg.strategy == "k_center":
            assert xc is not None
            return ops.call(k_center, xc, budget, device=device, resources=Resources(gpus=gpus_for(device)), **more)
        if cfg.strategy == "stratified":
            assert cfg.stratify_by
            values = field_values(df[cand.tolist()] if cand.size != df.height else df, cfg.stratify_by)
            return stratified(values, budget, field=cfg.stratify_by, alpha=cfg.alpha, seed=cfg.seed, x=xc,
                              spread=cfg.spread, **more)
        return random_sample(int(cand.size), budget, seed=cfg.seed, **more)

    # -- figures for the manifest, report and dataset card ---------------------------------
    def stats(self, output: pl.LazyFrame) -> dict[str, Any]:
        cfg = self.config
        names = output.collect_schema().names()
        live_or_budget = pl.col("drop_reason").is_null() | (pl.col("drop_reason") == NOT_SELECTED)
        cols = [c for c in ("cluster", "selected", "drop_reason", "meta", "source", "kind") if c in names]
        df = output.select(cols).filter(pl.col("selected").is_not_null()).collect()
        cand = df.filter(live_or_budget)
        out: dict[str, Any] = {
            "strategy": cfg.strategy,
            "spread": cfg.spread,
            "budget": cfg.budget,
            "fraction": cfg.fraction,
            "seed": cfg.seed,
            "alpha": cfg.alpha,
            "candidates": cand.height,
            "selected": int(cand["selected"].sum()) if cand.height else 0,
        }
        if cand.height and cand["cluster"].null_count() < cand.height:
            per = (
                cand.group_by("cluster").agg(pl.len().alias("size"), pl.col("selected").sum().alias("selected"))
                .sort("cluster")
            )
            out["k"] = per.height
            out["clusters"] = [
                {"cluster": int(c), "size": int(s), "selected": int(k)} for c, s, k in per.iter_rows()
            ]
            covered = int((per["selected"] > 0).sum())
            out["clusters_covered"] = covered
            out["cluster_coverage"] = round(covered / per.height, 4) if per.height else None
        if cfg.stratify_by and cand.height:
            vals = np.asarray(field_values(cand, cfg.stratify_by), dtype=object)
            hit, total = group_coverage(vals, cand["selected"].to_numpy())
            out["stratify_by"] = cfg.stratify_by
            out["strata_covered"] = hit
            out["strata"] = total
        info = dict(self._info)
        terms = info.pop("cluster_terms", None)
        if terms is not None and "clusters" in out:
            for entry in out["clusters"]:
                c = entry["cluster"]
                entry["terms"] = terms[c] if 0 <= c < len(terms) else []
        out.update(info)
        return out


def _nullable_int(values: np.ndarray, dtype: pl.DataType) -> pl.Series:
    """-1 → null."""
    s = pl.Series(np.asarray(values, dtype=np.int64))
    return pl.select(pl.when(s >= 0).then(s).otherwise(None).cast(dtype)).to_series()


def _nullable_float(values: np.ndarray) -> pl.Series:
    return pl.Series(values.astype(np.float32), dtype=pl.Float32, nan_to_null=True)
