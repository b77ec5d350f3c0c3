"""Synthetic vectors for the clustering and selection tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def blobs(n: int = 3000, centres: int = 12, dim: int = 32, seed: int = 0, noise: float = 0.35) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors around ``centres`` random directions, with the true labels."""
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(centres, dim))
    truth = rng.integers(centres, size=n)
    x = c[truth] / np.linalg.norm(c[truth], axis=1, keepdims=True) + noise / np.sqrt(dim) * rng.normal(size=(n, dim))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), truth


#: 270 Bitext tickets (see tests/fixtures/select/SOURCE.md)
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "select" / "bitext_270.jsonl"
