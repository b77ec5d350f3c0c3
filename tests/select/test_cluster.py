"""k-means: the torch implementation (the GPU path, run here on the CPU) against
scikit-learn and faiss; determinism; canonical cluster ids."""

from __future__ import annotations

import numpy as np
import pytest
from select_testdata import blobs
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from curate.select.cluster import canonical_labels, derive_k, kmeans, kmeans_torch, pick_backend


def test_torch_lloyd_equals_sklearn_from_the_same_start():
    x, _ = blobs()
    init = x[np.random.default_rng(3).choice(len(x), 12, replace=False)]
    labels, centroids = kmeans_torch(x, 12, init=init, iterations=8, device="cpu")
    ref = KMeans(12, init=init, n_init=1, max_iter=8, tol=0, algorithm="lloyd").fit(x)
    assert (labels == ref.labels_).all()
    np.testing.assert_allclose(centroids, ref.cluster_centers_, atol=1e-5)


def test_onehot_sums_used_on_cuda_equal_index_add_sums():
    x, _ = blobs(seed=1)
    a = kmeans_torch(x, 12, seed=5, iterations=10, device="cpu", sums="onehot")
    b = kmeans_torch(x, 12, seed=5, iterations=10, device="cpu", sums="index_add")
    assert (a[0] == b[0]).all()
    np.testing.assert_allclose(a[1], b[1], atol=1e-5)


@pytest.mark.parametrize("backend", ["torch", "faiss", "sklearn"])
def test_each_backend_is_seeded_deterministic_and_finds_the_blobs(backend):
    x, truth = blobs(seed=2)
    r1 = kmeans(x, 12, seed=7, backend=backend, device="cpu")
    r2 = kmeans(x, 12, seed=7, backend=backend, device="cpu")
    assert (r1.labels == r2.labels).all() and np.array_equal(r1.centroids, r2.centroids)
    assert r1.backend.startswith(backend) and r1.k == 12
    assert adjusted_rand_score(truth, r1.labels) > 0.95
    sizes = np.bincount(r1.labels)
    assert (np.diff(sizes) <= 0).all(), "cluster 0 is the largest"


def test_torch_quality_matches_the_cpu_libraries():
    x, _ = blobs(n=4000, centres=40, dim=48, seed=4, noise=0.6)
    # single runs vary by ±10% with the seed: compare the mean over seeds
    inertia = {
        b: np.mean([kmeans(x, 40, seed=s, backend=b, device="cpu").inertia for s in range(6)])
        for b in ("torch", "faiss", "sklearn")
    }
    assert inertia["torch"] <= 1.04 * inertia["sklearn"], inertia
    assert abs(inertia["faiss"] - inertia["torch"]) <= 0.01 * inertia["torch"], "same seeding, same optimum"


def test_empty_clusters_are_reseeded():
    x, _ = blobs(n=500, centres=5, seed=6)
    init = np.repeat(x[:1], 5, axis=0)  # five identical starting centroids: four go empty
    labels, _ = kmeans_torch(x, 5, init=init, iterations=20, device="cpu")
    assert np.bincount(labels, minlength=5).min() > 0


def test_canonical_labels_do_not_depend_on_the_backend_numbering():
    labels = np.array([2, 2, 0, 1, 1, 1, 3])
    cents = np.arange(4, dtype=np.float32)[:, None] * np.ones((4, 2), np.float32)
    new, c = canonical_labels(labels, cents)
    assert new.tolist() == [1, 1, 2, 0, 0, 0, 3]
    assert c[:, 0].tolist() == [1, 2, 0, 3]
    # an empty cluster disappears
    new, c = canonical_labels(np.array([0, 0, 2]), np.zeros((3, 2), np.float32))
    assert new.tolist() == [0, 0, 1] and c.shape == (2, 2)


def test_derive_k():
    assert derive_k(4514, 90) == 68  # sqrt(n) when the budget is larger
    assert derive_k(4514, 20) == 20  # never more clusters than the budget
    assert derive_k(10, None) == 4
    assert derive_k(3, 1) == 2 and derive_k(1, 5) == 1
    assert derive_k(100_000_000, None) == 5000


def test_backend_choice_without_a_gpu():
    import torch

    name, dev = pick_backend("auto")
    if torch.cuda.is_available():
        assert (name, dev) == ("torch", "cuda")
    else:
        assert name == "faiss" and dev == "cpu"
        assert pick_backend("torch", "auto") == ("torch", "cpu")


def test_real_embeddings_cluster_by_intent(bitext_vectors):
    x, intents = bitext_vectors
    r = kmeans(x, 27, seed=0)
    assert adjusted_rand_score(intents, r.labels) > 0.5


@pytest.mark.parametrize("backend", ["torch", "faiss", "sklearn"])
def test_fewer_distinct_points_than_k(backend):
    x = np.repeat(blobs(n=3, seed=9)[0], 4, axis=0)  # 12 rows, 3 distinct
    r = kmeans(x, 5, seed=0, backend=backend, device="cpu")
    assert r.labels.shape == (12,) and r.k <= 5
    for j in range(3):  # identical rows end in the same cluster
        assert len(set(r.labels[4 * j:4 * j + 4].tolist())) == 1
    assert kmeans(x[:0], 3, backend=backend).labels.size == 0
