"""k-means over unit vectors, seeded and deterministic, on three backends.

- ``torch``: our own Lloyd iterations (k-means++ seeding on a sample, chunked distance
  matmuls, deterministic centroid sums), made for a CUDA GPU; it runs on the CPU too,
  which is how it is tested against the CPU backends.
- ``faiss``: faiss-cpu's Lloyd iterations from the same k-means++ seeding, trained on
  every point (faiss silently subsamples to 256 points per centroid unless told otherwise).
- ``sklearn``: scikit-learn's Lloyd k-means (``select.clusters.backend: sklearn``).

``auto`` picks torch when CUDA is present, else faiss.
Whatever the backend, clusters are renumbered by size (0 = largest; ties by the lowest
member index), so the same partition always gets the same ids."""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass

import numpy as np

from curate.devices import cuda_available
from curate.threads import one_thread

#: rows per distance block (bounded memory: block × k floats)
BLOCK = 32768


@dataclass
class KMeansResult:
    labels: np.ndarray  # (n,) int32, 0 = largest cluster
    centroids: np.ndarray  # (k, d) float32, row c = centre of cluster c
    inertia: float  # sum of squared distances to the assigned centroid
    backend: str
    seconds: float

    @property
    def k(self) -> int:
        return int(self.centroids.shape[0])


def derive_k(n: int, budget: int | None) -> int:
    """k when none is given: min(budget, ceil(sqrt(n))), at least 2, at most 5,000, at most n."""
    if n <= 1:
        return max(n, 1)
    k = math.ceil(math.sqrt(n))
    if budget is not None:
        k = min(k, budget)
    return int(max(1, min(n, max(2, min(k, 5000)))))


def pick_backend(backend: str, device: str = "auto") -> tuple[str, str]:
    """(backend, torch device) for the settings ``backend`` / ``device``: ``auto`` takes
    torch on a CUDA GPU when ``device`` allows one and there is one, else faiss."""
    if backend == "auto":
        if device != "cpu" and cuda_available():
            return "torch", "cuda"
        return "faiss", "cpu"
    if backend == "torch":
        return "torch", ("cuda" if device in ("auto", "cuda") and cuda_available() else "cpu")
    return backend, "cpu"


def kmeans(
    x: np.ndarray,
    k: int,
    *,
    seed: int = 0,
    iterations: int = 25,
    backend: str = "auto",
    device: str = "auto",
) -> KMeansResult:
    """Cluster the rows of ``x`` into ``k`` groups. Same input and seed, same result."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    n = x.shape[0]
    if n == 0:
        return KMeansResult(np.zeros(0, np.int32), np.zeros((0, x.shape[1] if x.ndim == 2 else 0), np.float32), 0.0, "none", 0.0)
    k = max(1, min(int(k), n))
    name, dev = pick_backend(backend, device)
    t0 = time.perf_counter()
    # torch's CPU ops (the k-means++ seeding, the torch backend) on one thread: their sums
    # would otherwise depend on the thread count (faiss keeps its own pool)
    with one_thread(blas=False) if dev == "cpu" else contextlib.nullcontext():
        if name == "torch":
            labels, centroids = kmeans_torch(x, k, seed=seed, iterations=iterations, device=dev)
        elif name == "faiss":
            labels, centroids = _kmeans_faiss(x, k, seed=seed, iterations=iterations)
        elif name == "sklearn":
            labels, centroids = _kmeans_sklearn(x, k, seed=seed, iterations=iterations)
        else:
            raise ValueError(f"unknown k-means backend {backend!r}")
    labels, centroids = canonical_labels(labels, centroids)
    inertia = float(_sq_dist_to_assigned(x, centroids, labels).sum())
    return KMeansResult(labels, centroids, inertia, f"{name}:{dev}" if name == "torch" else name, time.perf_counter() - t0)


# -- shared helpers --------------------------------------------------------------------------


def canonical_labels(labels: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Renumber clusters by size (desc), ties by the lowest member index; drop empty ones."""
    labels = np.asarray(labels, dtype=np.int64)
    k = centroids.shape[0]
    sizes = np.bincount(labels, minlength=k)
    first = np.full(k, labels.size, dtype=np.int64)
    np.minimum.at(first, labels, np.arange(labels.size))
    used = np.flatnonzero(sizes)
    order = used[np.lexsort((first[used], -sizes[used]))]
    remap = np.full(k, -1, dtype=np.int64)
    remap[order] = np.arange(order.size)
    return remap[labels].astype(np.int32), np.ascontiguousarray(centroids[order], dtype=np.float32)


def _sq_dist_to_assigned(x: np.ndarray, centroids: np.ndarray, labels: np.ndarray) -> np.ndarray:
    out = np.empty(x.shape[0], dtype=np.float64)
    for s in range(0, x.shape[0], BLOCK):
        diff = x[s:s + BLOCK] - centroids[labels[s:s + BLOCK]]
        out[s:s + BLOCK] = (diff.astype(np.float64) ** 2).sum(1)
    return out


# -- torch (GPU) -------------------------------------------------------------------------------


def kmeans_torch(
    x: np.ndarray,
    k: int,
    *,
    seed: int = 0,
    iterations: int = 25,
    device: str = "cpu",
    init: np.ndarray | None = None,
    sums: str = "auto",
    init_sample: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd's k-means in torch. Returns (labels int32, centroids float32) as numpy.

    ``init`` gives the starting centroids (else k-means++ on a seeded sample).
    ``sums`` chooses how centroid sums are formed: ``onehot`` (block-wise one-hot matmul,
    deterministic on CUDA, where ``index_add_`` uses atomics) or ``index_add`` (fast on the
    CPU); ``auto`` takes onehot on CUDA. Both give the same centroids up to rounding.
    An empty cluster is re-seeded with the point farthest from its centroid."""
    import torch

    dev = torch.device(device)
    xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(dev)
    n, d = xt.shape
    k = min(k, n)
    rng = np.random.default_rng(seed)
    if init is not None:
        c = torch.from_numpy(np.ascontiguousarray(init, dtype=np.float32)).to(dev).clone()
    else:
        c = _kmeanspp_torch(xt, k, rng, init_sample or max(64 * k, 10_000))
    if sums == "auto":
        sums = "onehot" if dev.type == "cuda" else "index_add"
    xn = (xt * xt).sum(1)
    labels = torch.empty(n, dtype=torch.long, device=dev)
    mind = torch.empty(n, dtype=torch.float32, device=dev)
    for it in range(iterations + 1):
        _assign_torch(xt, xn, c, labels, mind)
        if it == iterations:
            break
        counts = torch.bincount(labels, minlength=k).to(torch.float32)
        total = torch.zeros((k, d), dtype=torch.float32, device=dev)
        if sums == "onehot":
            ar = torch.arange(k, device=dev)
            for s in range(0, n, BLOCK):
                oh = (labels[s:s + BLOCK, None] == ar[None, :]).to(torch.float32)
                total += oh.T @ xt[s:s + BLOCK]
        else:
            total.index_add_(0, labels, xt)
        empty = counts == 0
        new_c = total / counts.clamp(min=1)[:, None]
        if bool(empty.any()):
            # re-seed empty clusters with the points worst served by their centroid
            n_empty = int(empty.sum())
            far = torch.argsort(mind, descending=True, stable=True)[:n_empty]
            new_c[torch.nonzero(empty).flatten()] = xt[far]
        moved = float((new_c - c).abs().max()) if it else 1.0
        c = new_c
        if moved == 0.0:
            _assign_torch(xt, xn, c, labels, mind)
            break
    return labels.to(torch.int32).cpu().numpy(), c.cpu().numpy()


def _assign_torch(xt, xn, c, labels, mind) -> None:
    import torch

    cn = (c * c).sum(1)
    for s in range(0, xt.shape[0], BLOCK):
        d = xn[s:s + BLOCK, None] - 2.0 * (xt[s:s + BLOCK] @ c.T) + cn[None, :]
        m, a = torch.min(d, dim=1)
        labels[s:s + BLOCK] = a
        mind[s:s + BLOCK] = m.clamp(min=0)


def _kmeanspp_torch(xt, k: int, rng: np.random.Generator, sample: int):
    """Greedy k-means++ seeding (as scikit-learn: 2 + log k candidates per step, the one
    that lowers the potential most wins) on a seeded sample of the rows. Every random
    draw comes from ``rng`` (numpy), so CPU and GPU make the same choices."""
    import torch

    n = xt.shape[0]
    if n > sample:
        idx = np.sort(rng.choice(n, size=sample, replace=False))
        xs = xt[torch.from_numpy(idx).to(xt.device)]
    else:
        xs = xt
    m = xs.shape[0]
    trials = 2 + int(math.log(k)) if k > 1 else 1
    xsn = (xs * xs).sum(1)
    first = int(rng.integers(m))
    chosen = [first]
    d2 = (xsn - 2.0 * (xs @ xs[first]) + xsn[first]).clamp(min=0)
    for _ in range(1, k):
        cum = torch.cumsum(d2.double(), 0)
        total = float(cum[-1])
        if total <= 0:  # fewer distinct points than k: take the next unused rows
            used = set(chosen)
            chosen.append(next(i for i in range(m) if i not in used))
            continue
        u = torch.from_numpy(rng.random(trials) * total).to(xs.device)
        cand = torch.searchsorted(cum, u, right=True).clamp(max=m - 1)
        dc = (xsn[:, None] - 2.0 * (xs @ xs[cand].T) + xsn[cand][None, :]).clamp(min=0)
        pot = torch.minimum(d2[:, None], dc).double().sum(0)
        best = int(torch.argmin(pot))
        chosen.append(int(cand[best]))
        d2 = torch.minimum(d2, dc[:, best])
    return xs[torch.tensor(chosen, device=xs.device)].clone()


# -- CPU libraries ----------------------------------------------------------------------------


def _kmeans_faiss(x: np.ndarray, k: int, *, seed: int, iterations: int) -> tuple[np.ndarray, np.ndarray]:
    import faiss

    n, d = x.shape
    km = faiss.Kmeans(
        d, k, niter=iterations, seed=seed, verbose=False, spherical=False,
        max_points_per_centroid=max(256, -(-n // k) + 1), min_points_per_centroid=1,
    )
    # k-means++ seeding (faiss starts from random points, which ends in worse optima)
    import torch

    init = _kmeanspp_torch(torch.from_numpy(x), k, np.random.default_rng(seed), max(64 * k, 10_000)).numpy()
    km.train(x, init_centroids=init)
    _, labels = km.index.search(x, 1)
    return labels.ravel().astype(np.int64), np.asarray(km.centroids, dtype=np.float32)


def _kmeans_sklearn(x: np.ndarray, k: int, *, seed: int, iterations: int) -> tuple[np.ndarray, np.ndarray]:
    import warnings

    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning

    km = KMeans(n_clusters=k, n_init=1, max_iter=iterations, random_state=seed, algorithm="lloyd")
    with warnings.catch_warnings():  # fewer distinct points than k: fewer clusters, said by k
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = km.fit_predict(x)
    return labels.astype(np.int64), km.cluster_centers_.astype(np.float32)
