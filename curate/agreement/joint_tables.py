"""Per-item columns for the statistics built from pairs of ratings: joint tables of two
raters (Cohen's kappa), one per group (a pair of reviewers, or a reviewer against the
others), evaluated for all groups at once."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from curate.agreement.coefficients import cohen_from_marginals, kappa_weights

#: fixed columns of a group's table: weight, agreeing weight, linear and quadratic
#: disagreement weight; then K left-marginal and K right-marginal columns
FIXED = 4


def group_table_columns(
    unit: np.ndarray, group: np.ndarray, left: np.ndarray, right: np.ndarray, weight: np.ndarray,
    n_items: int, n_groups: int, k: int | None,
) -> sp.csr_matrix:
    """Sparse items x (groups x width) matrix; width = 4 + 2K (or 2 when ``k`` is None:
    only the weight and the agreeing weight, for fields with too many distinct values)."""
    width = FIXED + 2 * k if k is not None else 2
    base = group * width
    agree = (left == right).astype(np.float64)
    rows = [unit, unit]
    cols = [base, base + 1]
    vals = [weight, weight * agree]
    if k is not None:
        d = np.abs(left - right).astype(np.float64)
        rows += [unit, unit, unit, unit]
        cols += [base + 2, base + 3, base + FIXED + left, base + FIXED + k + right]
        vals += [weight * d, weight * d * d, weight, weight]
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_items, n_groups * width),
    )


def group_kappa_fn(n_groups: int, k: int | None, weighted: bool):
    """(B x groups*width) sums -> (B x groups*4): share agreeing, kappa, linear and
    quadratic weighted kappa (NaN where not computed)."""
    w_lin = kappa_weights(k, "linear") if (k is not None and weighted) else None
    w_quad = kappa_weights(k, "quadratic") if (k is not None and weighted) else None

    def fn(s: np.ndarray) -> np.ndarray:
        b = s.shape[0]
        width = FIXED + 2 * k if k is not None else 2
        t = s.reshape(b * n_groups, width)
        n = t[:, 0]
        with np.errstate(invalid="ignore", divide="ignore"):
            pct = np.where(n > 0, t[:, 1] / n, np.nan)
        out = np.full((b * n_groups, 4), np.nan)
        out[:, 0] = pct
        if k is not None:
            rows, cols = t[:, FIXED:FIXED + k], t[:, FIXED + k:]
            out[:, 1] = cohen_from_marginals(n, t[:, 1], rows, cols)
            if weighted:
                out[:, 2] = cohen_from_marginals(n, None, rows, cols, t[:, 2], w_lin)
                out[:, 3] = cohen_from_marginals(n, None, rows, cols, t[:, 3], w_quad)
        return out.reshape(b, n_groups * 4)

    return fn
