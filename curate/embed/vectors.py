"""Moving vectors between polars columns (``list[f32]``) and numpy matrices, without
going through Python lists."""

from __future__ import annotations

import numpy as np
import polars as pl

#: The dtype of the ``embedding`` column.
EMBEDDING_DTYPE = pl.List(pl.Float32)


def to_numpy(col: pl.Series) -> np.ndarray:
    """(n, dim) float32 from a list/array column; every row must be present and equally long."""
    if col.len() == 0:
        return np.zeros((0, 0), dtype=np.float32)
    if col.null_count():
        raise ValueError("some rows have no vector")
    if isinstance(col.dtype, pl.Array):
        arr = col
    else:
        lens = col.list.len()
        dim = int(lens[0])
        if int(lens.min()) != dim or int(lens.max()) != dim:
            raise ValueError("vectors differ in length")
        arr = col.cast(pl.Array(pl.Float32, dim))
    return np.ascontiguousarray(arr.to_numpy(), dtype=np.float32)


def to_series(name: str, vectors: np.ndarray) -> pl.Series:
    """A ``list[f32]`` column from an (n, dim) matrix."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2:
        raise ValueError("expected a 2-D matrix")
    if vectors.shape[0] == 0:
        return pl.Series(name, [], dtype=EMBEDDING_DTYPE)
    return pl.Series(name, vectors, dtype=pl.Array(pl.Float32, vectors.shape[1])).cast(EMBEDDING_DTYPE)
