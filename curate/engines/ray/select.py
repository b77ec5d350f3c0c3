"""The select stage's heavy part on Ray: k-means runs in a Ray task holding a GPU when the
cluster has one (torch Lloyd iterations, as the local engine runs them on a GPU machine); on
a cluster without GPUs it runs on the driver from the vectors, as the local engine does, so
the clusters are the same. The vectors (n x dim float32) must fit in the driver's memory
either way; the selection strategies and the 2-D map work from them there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from curate.engines.ray.session import worker_environment
from curate.select.cluster import KMeansResult, kmeans
from curate.select.config import ClusterConfig


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
