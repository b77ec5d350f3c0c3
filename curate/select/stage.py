"""The select stage: from the live records, the ones worth a reviewer's time.

Every live record is a candidate: the filter stage has already dropped the unfit ones
(before they were embedded). Steps, in order: k-means over the embeddings (every record
gets a cluster), semantic dedupe inside clusters when ``dedupe.semantic`` is on, then a
strategy picks ``budget`` records with a rank and a reason; the rest drop as
``not_selected``. A 2-D projection of the vectors is kept for
the report. Strategies that need no vectors (stratified, random) also run on a table
without embeddings (the embed stage disabled)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import polars as pl

from curate.embed.vectors import to_numpy
from curate.errors import ConfigError
from curate.select.cluster import KMeansResult, derive_k, kmeans, pick_backend
from curate.select.config import VECTOR_STRATEGIES, SelectConfig
from curate.select.coverage import coverage_distances, group_coverage
from curate.select.labels import cluster_terms, sample_per_cluster
from curate.select.projection import fit_pca_2d, project
from curate.select.strategies import (
    Selection,
    cluster_balanced,
    k_center,
    random_sample,
    stratified,
)
from curate.stages.base import GlobalStage, Resources, StageContext

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
        try:
            obj = json.loads(raw) if raw else {}
        except (json.JSONDecodeError, TypeError):
            obj = {}
        v = obj.get(field) if isinstance(obj, dict) else None
        if v is None or v == "":
            out.append(MISSING)
        elif isinstance(v, (list, dict)):
            out.append(json.dumps(v, sort_keys=True, ensure_ascii=False))
        else:
            out.append(str(v))
    return out


def semantic_settings(run_config: Any) -> Any | None:
    """``dedupe.semantic`` when it exists and is enabled (it is optional)."""
    sem = getattr(getattr(run_config, "dedupe", None), "semantic", None)
    return sem if sem is not None and getattr(sem, "enabled", False) else None


class SelectStage(GlobalStage):
    """Adds cluster, selected, rank, strategy, why, proj_x, proj_y; drops the rest."""

    name: ClassVar[str] = "select"
    config_key: ClassVar[str | None] = "select"
    config: SelectConfig

    def __init__(self, config):
        super().__init__(config)
        self._info: dict[str, Any] = {}

    def fingerprint(self) -> dict[str, Any]:
        fp = super().fingerprint()
        sem = semantic_settings(self.run_config)
        fp["semantic_dedupe"] = sem.model_dump(mode="json") if sem is not None and hasattr(sem, "model_dump") else None
        return fp

    def resources(self) -> Resources:
        return Resources(cpus=1.0, gpus=0.0, concurrency=1)

    # -- the stage ----------------------------------------------------------------------
    def annotate(
        self, ctx: StageContext, table: pl.LazyFrame, *, kmeans_fn: Callable[..., KMeansResult] | None = None,
    ) -> pl.DataFrame:
        """An engine may run k-means elsewhere: ``kmeans_fn`` replaces
        :func:`curate.select.cluster.kmeans` (same arguments; e.g. on a GPU actor)."""
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
        out = self._select(ctx, df, has_vectors, sem, kmeans_fn or kmeans)
        assert out.height == df.height
        if cfg.clusters.terms and self._info.get("k"):
            ctx.progress.note("naming clusters")
            self._info["cluster_terms"] = self._cluster_terms(table, out)
        return out

    def _cluster_terms(self, table: pl.LazyFrame, out: pl.DataFrame) -> list[list[str]]:
        """Distinctive words per cluster, from a bounded sample of each cluster's requests."""
        from curate.embed.stage import embed_input

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
        texts = [embed_input(r.get("title"), r.get("messages"), r.get("text"), "request") for r in got.iter_rows(named=True)]
        return cluster_terms(texts, labels[got["_row"].to_numpy().astype(np.int64)], int(self._info["k"]), cfg.clusters.terms)

    def _select(self, ctx: StageContext, df: pl.DataFrame, has_vectors: bool, sem: Any,
                kmeans_fn: Callable[..., KMeansResult] = kmeans) -> pl.DataFrame:
        cfg = self.config
        n = df.height
        info: dict[str, Any] = {}
        drop: list[str | None] = [None] * n
        why: list[str | None] = [None] * n
        cand = np.arange(n, dtype=np.int64)

        # 1. vectors: clusters for everyone, projection for the report
        x = to_numpy(df["embedding"]) if has_vectors and n else None
        cluster = np.full(n, -1, dtype=np.int64)
        proj = np.full((n, 2), np.nan, dtype=np.float32)
        centroids = None
        if x is not None and cand.size:
            budget_hint = budget_for(cfg, int(cand.size))
            k = cfg.clusters.k or derive_k(int(cand.size), budget_hint)
            ctx.progress.note(f"k-means, k={min(k, cand.size):,}")
            res = kmeans_fn(x[cand], k, seed=cfg.seed, iterations=cfg.clusters.iterations,
                            backend=cfg.clusters.backend, device=cfg.clusters.device)
            centroids = res.centroids
            cluster[cand] = res.labels
            mean, axes = fit_pca_2d(x[cand], seed=cfg.seed)
            proj = project(x, mean, axes)
            info.update(k=res.k, kmeans_backend=res.backend, kmeans_seconds=round(res.seconds, 3),
                        inertia=round(res.inertia, 4))

        # 2. semantic dedupe inside clusters
        sem_group = None
        if sem is not None and cand.size:
            from curate.dedupe.semantic import semantic_duplicates

            ctx.progress.note("semantic dedupe")
            group, keep = semantic_duplicates(x[cand], cluster[cand], float(sem.threshold))
            sem_group = np.full(n, -1, dtype=np.int64)
            sem_group[cand] = np.asarray(group, dtype=np.int64)
            keep = np.asarray(keep, dtype=bool)
            for i in cand[~keep]:
                drop[i] = SEMANTIC_DUPLICATE
                why[i] = f"semantic duplicate (group {sem_group[i]}, cosine similarity ≥ {float(sem.threshold):.2f} to a kept record)"
            cand = cand[keep]

        # 3. selection
        budget = budget_for(cfg, int(cand.size))
        ctx.progress.note(f"{cfg.strategy}: {budget:,} of {cand.size:,}")
        t0 = time.perf_counter()
        sel = self._strategy(df, x, cand, cluster, centroids, budget)
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

    def _strategy(self, df: pl.DataFrame, x: np.ndarray | None, cand: np.ndarray, cluster: np.ndarray,
                  centroids: np.ndarray | None, budget: int) -> Selection:
        cfg = self.config
        if cand.size == 0:
            return Selection(np.zeros(0, np.int64), [])
        xc = x[cand] if x is not None else None
        if cfg.strategy == "cluster_balanced":
            assert xc is not None and centroids is not None
            return cluster_balanced(xc, cluster[cand], centroids, budget, alpha=cfg.alpha, spread=cfg.spread, seed=cfg.seed)
        if cfg.strategy == "k_center":
            assert xc is not None
            _, dev = pick_backend("torch" if cfg.clusters.backend in ("auto", "torch") else "faiss", cfg.clusters.device)
            return k_center(xc, budget, device=dev)
        if cfg.strategy == "stratified":
            assert cfg.stratify_by
            values = field_values(df[cand.tolist()] if cand.size != df.height else df, cfg.stratify_by)
            return stratified(values, budget, field=cfg.stratify_by, alpha=cfg.alpha, seed=cfg.seed, x=xc, spread=cfg.spread)
        return random_sample(int(cand.size), budget, seed=cfg.seed)

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
