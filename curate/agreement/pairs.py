"""Pairs of ratings of the same item, built with array arithmetic (no per-item loop)."""

from __future__ import annotations

import numpy as np


def unit_pairs(unit: np.ndarray, *, ordered: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i, j), i != j, of ratings that share a unit.

    ``unit`` must be sorted (ratings of one item are contiguous). ``ordered`` gives both
    (i, j) and (j, i); otherwise only i < j (so the earlier rating, in the order given, is
    always on the left)."""
    unit = np.asarray(unit)
    n = len(unit)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, unit[1:] != unit[:-1]])
    sizes = np.diff(np.r_[starts, n])
    size_of = np.repeat(sizes, sizes)  # block size of each rating
    start_of = np.repeat(starts, sizes)
    left = np.repeat(np.arange(n, dtype=np.int64), size_of)
    first = np.cumsum(size_of) - size_of
    offset = np.arange(len(left), dtype=np.int64) - np.repeat(first, size_of)
    right = np.repeat(start_of, size_of) + offset
    keep = left != right if ordered else left < right
    return left[keep], right[keep]


def group_sizes(unit: np.ndarray, n_units: int) -> np.ndarray:
    """Number of ratings of each unit (0 for units with none)."""
    return np.bincount(np.asarray(unit, dtype=np.int64), minlength=n_units).astype(np.float64)
