"""The select stage's heavy parts on Ray.

- The quality filter (lengths, boilerplate, language detection: per record, CPU-bound)
  runs in Ray tasks over the texts; the driver receives a reason and an explanation per
  record, never the text.
- k-means runs in a Ray task holding a GPU when the cluster has one (torch Lloyd
  iterations, as the local engine runs them on a GPU machine); on a cluster without GPUs
  it runs on the driver from the vectors, as the local engine does, so the clusters are
  the same. The vectors (n x dim float32) must fit in the driver's memory either way; the
  selection strategies and the 2-D map work from them there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from curate.engines.ray.io import ROW, read_rows
from curate.engines.ray.session import worker_environment
from curate.select.cluster import KMeansResult, kmeans
from curate.select.config import ClusterConfig, QualityConfig
from curate.select.quality import QualityResult, quality_filter
from curate.stages.base import Resources


def quality_batch(batch: pa.Table, cfg: QualityConfig) -> pa.Table:
    worker_environment(1)
    df = pl.from_arrow(batch.drop_columns([ROW]))
    assert isinstance(df, pl.DataFrame)
    q = quality_filter(df, cfg)
    return pa.table({
        ROW: batch.column(ROW),
        "reason": pa.array(q.reasons, type=pa.string()),
        "why": pa.array(q.why, type=pa.string()),
    })


class RayQuality:
    """``SelectStage.annotate``'s ``quality`` on Ray."""

    def __init__(self, engine: Any, input_path: Path | str, res: Resources, expected: int):
        self.engine = engine
        self.input_path = input_path
        self.res = res
        self.expected = expected

    def __call__(self, text_columns: list[str], cfg: QualityConfig) -> QualityResult:
        from curate.engines.ray import task_args

        read_args, map_args = task_args(self.engine, "select", self.res)
        ds = read_rows(self.input_path, text_columns, block_rows=self.res.batch_size, **read_args).map_batches(
            quality_batch, fn_kwargs={"cfg": cfg}, batch_size=self.res.batch_size, batch_format="pyarrow", **map_args,
        )
        tbl = self.engine.collect("select", ds, [ROW, "reason", "why"])
        if tbl.num_rows != self.expected:
            raise AssertionError(f"select: {tbl.num_rows} quality results came back from Ray for {self.expected}")
        return QualityResult(tbl.column("reason").to_pylist(), tbl.column("why").to_pylist())


def kmeans_gpus(clusters: ClusterConfig, cluster_gpus: float, gpus: float | None) -> float:
    """GPUs for the k-means task: ``engine.stages.select.gpus`` when configured, else one
    when the cluster has GPUs and the settings allow the torch backend on CUDA; 0 runs
    k-means on the driver."""
    if gpus is not None:
        return gpus
    if clusters.backend in ("auto", "torch") and clusters.device != "cpu" and cluster_gpus > 0:
        return 1.0
    return 0.0


def _kmeans_task(x: np.ndarray, k: int, kwargs: dict[str, Any]) -> KMeansResult:
    worker_environment(1)
    return kmeans(x, k, **kwargs)


def remote_kmeans(x: np.ndarray, k: int, *, gpus: float, cpus: float = 1.0, **kwargs: Any) -> KMeansResult:
    """:func:`curate.select.cluster.kmeans` in a Ray task holding ``gpus`` GPUs."""
    import ray

    task = ray.remote(num_gpus=gpus, num_cpus=cpus, max_retries=0)(_kmeans_task)
    return ray.get(task.remote(ray.put(np.ascontiguousarray(x, dtype=np.float32)), k, kwargs))


class RayKMeans:
    """``SelectStage.annotate``'s ``kmeans_fn`` on Ray."""

    def __init__(self, engine: Any, clusters: ClusterConfig):
        self.engine = engine
        self.clusters = clusters

    def __call__(self, x: np.ndarray, k: int, **kwargs: Any) -> KMeansResult:
        over = self.engine.override("select")
        gpus = kmeans_gpus(self.clusters, self.engine.cluster().get("GPU", 0.0), over.gpus if over is not None else None)
        if gpus <= 0:
            return kmeans(x, k, **kwargs)
        self.engine.check_fits("select", 1.0, gpus)
        return remote_kmeans(x, k, gpus=gpus, **kwargs)
