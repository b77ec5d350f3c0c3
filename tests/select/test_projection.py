"""The 2-D map: PCA axes, deterministic signs, projection of every row."""

from __future__ import annotations

import numpy as np
from select_testdata import blobs

from curate.select.projection import fit_pca_2d, project


def test_axes_match_an_svd_and_signs_are_fixed():
    x, _ = blobs(n=800, dim=24, seed=2)
    mean, axes = fit_pca_2d(x)
    _, _, vt = np.linalg.svd(x - x.mean(0), full_matrices=False)
    for i in range(2):
        assert abs(abs(float(axes[i] @ vt[i])) - 1) < 1e-4
        assert axes[i][np.argmax(np.abs(axes[i]))] > 0
    xy = project(x, mean, axes)
    assert xy.shape == (800, 2) and xy.dtype == np.float32
    assert xy[:, 0].var() >= xy[:, 1].var()
    m2, a2 = fit_pca_2d(x[::-1].copy())  # row order does not matter
    np.testing.assert_allclose(a2, axes, atol=1e-4)
    np.testing.assert_allclose(m2, mean, atol=1e-5)


def test_sampled_fit_and_tiny_inputs():
    x, _ = blobs(n=3000, dim=16, seed=3)
    _, full = fit_pca_2d(x)
    _, sampled = fit_pca_2d(x, sample=1500, seed=1)
    assert abs(float(full[0] @ sampled[0])) > 0.98
    mean, axes = fit_pca_2d(x[:1])
    assert np.isfinite(project(x[:1], mean, axes)).all()
    assert fit_pca_2d(np.zeros((0, 8), np.float32))[1].shape == (2, 8)
