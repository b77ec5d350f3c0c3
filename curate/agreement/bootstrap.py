"""Bootstrap over items for statistics that are functions of sums over items.

Every statistic in the report is ``f(sum over items of S_u)`` for some per-item vector
S_u: a share of agreeing pairs, a coincidence matrix, a joint table, per-reviewer counts.
A bootstrap replicate draws the items with replacement, which is the same as weighting
each item by how often it was drawn; so all statistics of all fields are resampled at once
with one matrix product ``W @ S`` per chunk of replicates, where W (replicates x items)
holds the draw counts. The same draws serve every field and reviewer, so the intervals
are consistent with each other, and the same seed gives the same intervals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

StatFn = Callable[[np.ndarray], np.ndarray]

#: cells of the replicate weight matrix generated at once (memory: 8 bytes each)
CHUNK_CELLS = 4_000_000


#: a column block is multiplied densely above this share of non-zero cells
DENSE_SHARE = 0.03
#: cells of one densified column block
BLOCK_CELLS = 2_000_000


def _column_blocks(s: sp.csc_matrix) -> list[tuple[np.ndarray, sp.csc_matrix, bool]]:
    """Group the columns: those with many non-zero cells go through dense BLAS products
    (in blocks of bounded size), the rest through one sparse product. Returns
    (column indices, block, dense?) triples."""
    n, p = s.shape
    nnz = np.diff(s.indptr)
    dense_cols = np.flatnonzero(nnz > DENSE_SHARE * n)
    sparse_cols = np.flatnonzero(nnz <= DENSE_SHARE * n)
    width = max(1, BLOCK_CELLS // max(n, 1))
    out = [(cols, s[:, cols], True) for cols in (dense_cols[i:i + width] for i in range(0, len(dense_cols), width))]
    if len(sparse_cols):
        out.append((sparse_cols, s[:, sparse_cols].T.tocsr(), False))
    return out


@dataclass
class Estimate:
    """A point estimate and its bootstrap percentile interval (NaN where undefined)."""

    value: float
    lo: float = float("nan")
    hi: float = float("nan")
    defined: int = 0  # replicates in which the statistic was defined

    def to_json(self, digits: int = 6) -> dict:
        def r(x: float):
            return None if x is None or not np.isfinite(x) else round(float(x), digits)

        out = {"value": r(self.value)}
        if np.isfinite(self.lo) and np.isfinite(self.hi):
            out["ci"] = [r(self.lo), r(self.hi)]
        else:
            out["ci"] = None
        return out


@dataclass
class _Stat:
    name: str
    start: int
    width: int
    fn: StatFn
    outputs: int


@dataclass
class Resampler:
    """Collects per-item columns and the functions of their sums, then evaluates them on
    the full data and on ``samples`` bootstrap replicates."""

    n_items: int
    samples: int = 1000
    seed: int = 0
    level: float = 0.95
    _cols: list = field(default_factory=list)
    _stats: list = field(default_factory=list)
    _width: int = 0

    def add(self, name: str, columns: sp.spmatrix | np.ndarray, fn: StatFn, outputs: int = 1) -> None:
        """``columns``: items x p (sparse or dense); ``fn``: (B x p sums) -> (B,) or
        (B x outputs)."""
        if sp.issparse(columns):
            cols = sp.csr_matrix(columns, dtype=np.float64)
        else:
            arr = np.asarray(columns, dtype=np.float64)
            if arr.ndim == 1:
                arr = arr[:, None]
            cols = sp.csr_matrix(arr)
        if cols.shape[0] != self.n_items:
            raise ValueError(f"{name}: {cols.shape[0]} rows for {self.n_items} items")
        self._cols.append(cols)
        self._stats.append(_Stat(name, self._width, cols.shape[1], fn, outputs))
        self._width += cols.shape[1]

    def _evaluate(self, sums: np.ndarray) -> dict[str, np.ndarray]:
        out = {}
        for s in self._stats:
            with np.errstate(invalid="ignore", divide="ignore"):
                v = np.asarray(s.fn(sums[:, s.start:s.start + s.width]), dtype=np.float64)
            out[s.name] = v.reshape(sums.shape[0], s.outputs)
        return out

    def run(self) -> dict[str, list[Estimate]]:
        if not self._stats:
            return {}
        s_all = sp.hstack(self._cols, format="csc") if len(self._cols) > 1 else self._cols[0].tocsc()
        point = self._evaluate(np.asarray(s_all.sum(axis=0)).reshape(1, -1))
        reps: dict[str, list[np.ndarray]] = {s.name: [] for s in self._stats}
        n = self.n_items
        if self.samples > 0 and n > 0:
            rng = np.random.default_rng(self.seed)
            blocks = _column_blocks(s_all)
            chunk = max(1, min(self.samples, CHUNK_CELLS // max(n, 1)))
            done = 0
            while done < self.samples:
                b = min(chunk, self.samples - done)
                draws = rng.integers(0, n, size=(b, n))
                draws += (np.arange(b, dtype=np.int64) * n)[:, None]
                w = np.bincount(draws.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)
                sums = np.empty((b, s_all.shape[1]))
                for cols, block, dense in blocks:
                    # dense BLAS beats a sparse product well before a column is full
                    sums[:, cols] = w @ block.toarray() if dense else np.asarray(block @ w.T).T
                for name, v in self._evaluate(sums).items():
                    reps[name].append(v)
                done += b
        alpha = (1.0 - self.level) / 2.0
        result: dict[str, list[Estimate]] = {}
        for s in self._stats:
            pv = point[s.name][0]
            if reps[s.name]:
                r = np.vstack(reps[s.name])
                ests = []
                for j in range(s.outputs):
                    col = r[:, j]
                    ok = np.isfinite(col)
                    # an interval from a handful of defined replicates would mislead
                    if ok.sum() >= max(10, 0.5 * len(col)) and np.isfinite(pv[j]):
                        lo, hi = np.quantile(col[ok], [alpha, 1.0 - alpha])
                        ests.append(Estimate(float(pv[j]), float(lo), float(hi), int(ok.sum())))
                    else:
                        ests.append(Estimate(float(pv[j]), defined=int(ok.sum())))
            else:
                ests = [Estimate(float(x)) for x in pv]
            result[s.name] = ests
        return result
