"""The 2-D map of the records shown in the report: a PCA projection of the embeddings.

PCA is deterministic, needs no extra dependency and keeps the global layout (clusters
far apart stay far apart). The axes are fitted on at most ``sample`` rows (seeded) and
every row is projected; signs are fixed so the same data always gives the same map."""

from __future__ import annotations

import numpy as np


def fit_pca_2d(x: np.ndarray, *, sample: int = 50_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(mean, 2 × d axes) of the rows of ``x``."""
    x = np.asarray(x, dtype=np.float32)
    d = x.shape[1] if x.ndim == 2 else 0
    if x.shape[0] == 0:
        return np.zeros(d, np.float32), np.zeros((2, d), np.float32)
    fit = x
    if x.shape[0] > sample:
        fit = x[np.sort(np.random.default_rng(seed).choice(x.shape[0], sample, replace=False))]
    mean = fit.mean(0)
    centred = (fit - mean).astype(np.float64)
    # eigenvectors of the d x d covariance: the same axes as an SVD of the rows, far cheaper
    vals, vecs = np.linalg.eigh(centred.T @ centred)
    top = np.argsort(-vals, kind="stable")[:2]
    axes = np.zeros((2, d), dtype=np.float64)
    axes[: top.size] = vecs[:, top].T
    for i in range(2):  # sign convention: the largest loading is positive
        j = int(np.argmax(np.abs(axes[i])))
        if axes[i, j] < 0:
            axes[i] = -axes[i]
    return mean.astype(np.float32), axes.astype(np.float32)


def project(x: np.ndarray, mean: np.ndarray, axes: np.ndarray) -> np.ndarray:
    """(n, 2) coordinates."""
    return ((np.asarray(x, dtype=np.float32) - mean) @ axes.T).astype(np.float32)
