"""The agreement coefficients as formulas over sufficient statistics.

Every function here takes arrays with a leading batch axis (one row per bootstrap
replicate; the point estimate is a batch of one) and returns one value per row. They
never loop over items: the caller sums per-item contributions first (``bootstrap.py``).
Undefined values (no variation, no pairs) come out as NaN.

The small convenience wrappers at the end (:func:`krippendorff_alpha`, :func:`cohen_kappa`,
:func:`fleiss_kappa`) take the usual textbook inputs and are what the worked examples in
the tests are checked against.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# -- difference functions (Krippendorff 2011, section "difference functions") ------------


def fixed_delta(kind: str, values: np.ndarray) -> np.ndarray:
    """Squared difference matrix (K x K) for the metrics that do not depend on the data:
    nominal (0/1), interval ((c-k)^2) and ratio (((c-k)/(c+k))^2)."""
    v = np.asarray(values, dtype=np.float64)
    if kind == "nominal":
        return 1.0 - np.eye(len(v))
    diff = v[:, None] - v[None, :]
    if kind == "interval":
        return diff**2
    if kind == "ratio":
        tot = v[:, None] + v[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(tot == 0, 0.0, (diff / np.where(tot == 0, 1.0, tot)) ** 2)
        return out
    raise ValueError(f"no fixed difference function for {kind}")


def ordinal_delta(n_c: np.ndarray) -> np.ndarray:
    """Ordinal squared differences from the marginal frequencies ``n_c`` (B x K):
    delta_ck = (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2. Returns B x K x K."""
    n_c = np.asarray(n_c, dtype=np.float64)
    cum = np.cumsum(n_c, axis=-1)
    # for c <= k: cum_k - cum_c + n_c - (n_c + n_k)/2 = cum_k - cum_c + (n_c - n_k)/2;
    # for c > k the same expression is the negative of the (k, c) one, so squaring is symmetric
    t = cum[..., None, :] - cum[..., :, None] + (n_c[..., :, None] - n_c[..., None, :]) / 2.0
    return t**2


def alpha_from_coincidences(o: np.ndarray, kind: str, values: np.ndarray | None = None) -> np.ndarray:
    """Krippendorff's alpha from coincidence matrices ``o`` (B x K x K).

    alpha = 1 - (n - 1) * sum(o * delta) / sum(n_c n_k delta)."""
    o = np.asarray(o, dtype=np.float64)
    if o.ndim == 2:
        o = o[None]
    n_c = o.sum(axis=-1)
    n = n_c.sum(axis=-1)
    if kind == "ordinal":
        delta = ordinal_delta(n_c)
    else:
        if values is None:
            values = np.arange(o.shape[-1], dtype=np.float64)
        delta = fixed_delta(kind, values)[None]
    d_o = (o * delta).sum(axis=(-2, -1))
    d_e = np.einsum("bc,bck,bk->b", n_c, np.broadcast_to(delta, o.shape), n_c)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = 1.0 - (n - 1.0) * d_o / d_e
    return np.where((d_e > 0) & (n > 1), alpha, np.nan)


def alpha_interval(d_sum: np.ndarray, n: np.ndarray, s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """Interval alpha from per-item sums, with no coincidence matrix (any number of values):
    ``d_sum`` = sum over items of sum over ordered pairs (x_i - x_j)^2 / (m_u - 1);
    ``n`` pairable values, ``s1`` their sum, ``s2`` their sum of squares.
    sum_ck n_c n_k (c - k)^2 = 2 (n s2 - s1^2)."""
    d_e = 2.0 * (n * s2 - s1**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = 1.0 - (n - 1.0) * d_sum / d_e
    return np.where((d_e > 1e-12 * np.maximum(1.0, n * s2)) & (n > 1), alpha, np.nan)


def alpha_from_disagreement(d_sum: np.ndarray, n: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """alpha = 1 - (n - 1) d_sum / expected, where ``expected`` = sum_ck n_c n_k delta_ck."""
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = 1.0 - (n - 1.0) * d_sum / expected
    return np.where((expected > 0) & (n > 1), alpha, np.nan)


def kappa_weights(k: int, weights: str | None) -> np.ndarray:
    """Disagreement weights over category positions, as scikit-learn defines them."""
    idx = np.arange(k, dtype=np.float64)
    diff = np.abs(idx[:, None] - idx[None, :])
    if weights is None:
        return (diff > 0).astype(np.float64)
    if weights == "linear":
        return diff
    if weights == "quadratic":
        return diff**2
    raise ValueError(f"unknown weights {weights!r}")


def cohen_from_table(table: np.ndarray, weights: str | None = None) -> np.ndarray:
    """Cohen's kappa from joint tables (B x K x K; rows rater A, columns rater B).

    kappa = 1 - sum(w * observed) / sum(w * expected), expected = outer(row, column)
    marginals; unweighted kappa is the case w = 1 - identity."""
    t = np.asarray(table, dtype=np.float64)
    if t.ndim == 2:
        t = t[None]
    w = kappa_weights(t.shape[-1], weights)
    n = t.sum(axis=(-2, -1))
    rows = t.sum(axis=-1)
    cols = t.sum(axis=-2)
    obs = (t * w).sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        exp = np.einsum("bi,ij,bj->b", rows, w, cols) / n
        kappa = 1.0 - obs / exp
    return np.where((exp > 0) & (n > 0), kappa, np.nan)


def cohen_from_marginals(n: np.ndarray, agree: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                         weighted_obs: np.ndarray | None = None, w: np.ndarray | None = None) -> np.ndarray:
    """Cohen's kappa from the number of items ``n``, the number of (weighted) disagreements
    and the marginal counts of each rater (B x K). Without ``w`` it is the unweighted kappa
    and ``agree`` counts exact matches; with ``w`` (K x K) ``weighted_obs`` is the summed
    weight of the observed pairs."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if w is None:
            p_o = agree / n
            p_e = (rows * cols).sum(axis=-1) / n**2
            kappa = (p_o - p_e) / (1.0 - p_e)
            ok = (n > 0) & (p_e < 1.0 - 1e-12)
        else:
            exp = np.einsum("bi,ij,bj->b", rows, w, cols) / n
            kappa = 1.0 - weighted_obs / exp
            ok = (n > 0) & (exp > 0)
    return np.where(ok, kappa, np.nan)


def fleiss_from_sums(p_sum: np.ndarray, n_items: np.ndarray, cat_counts: np.ndarray) -> np.ndarray:
    """Fleiss' kappa from the sum over items of P_u (share of agreeing rater pairs in item u),
    the number of items and the total count of each category (B x K).

    With a varying number of raters per item this is the usual generalisation (each item's
    P_u from its own raters; category shares pooled over all ratings)."""
    cat_counts = np.asarray(cat_counts, dtype=np.float64)
    tot = cat_counts.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_bar = p_sum / n_items
        p = cat_counts / tot[..., None]
        p_e = (p**2).sum(axis=-1)
        kappa = (p_bar - p_e) / (1.0 - p_e)
    return np.where((n_items > 0) & (p_e < 1.0 - 1e-12), kappa, np.nan)


# -- textbook entry points ----------------------------------------------------------------


def krippendorff_alpha(reliability_data: Sequence[Sequence[float | None]] | np.ndarray, level: str = "nominal") -> float:
    """Krippendorff's alpha of a raters x units matrix with missing ratings as None/NaN
    (the layout of Krippendorff 2011 and of the ``krippendorff`` package).

    Values must be numbers; for nominal data any distinct numbers serve as labels."""
    data = np.array([[np.nan if v is None else float(v) for v in row] for row in reliability_data], dtype=np.float64)
    rater, unit = np.nonzero(~np.isnan(data))
    values = data[rater, unit]
    cats, codes = np.unique(values, return_inverse=True)
    k = len(cats)
    counts = np.zeros((data.shape[1], k))
    np.add.at(counts, (unit, codes), 1.0)
    m = counts.sum(axis=1)
    keep = m >= 2
    counts, m = counts[keep], m[keep]
    o = (np.einsum("uc,uk->ck", counts / (m - 1.0)[:, None], counts) - np.diag((counts / (m - 1.0)[:, None]).sum(axis=0)))
    return float(alpha_from_coincidences(o, level, cats)[0])


def cohen_kappa(a: Sequence, b: Sequence, weights: str | None = None, labels: Sequence | None = None) -> float:
    """Cohen's kappa of two raters' labels of the same items (optionally ``linear`` or
    ``quadratic`` weighted over the order of ``labels``, default: sorted labels seen)."""
    if len(a) != len(b):
        raise ValueError("the two raters must label the same items")
    cats = list(labels) if labels is not None else sorted(set(a) | set(b))
    pos = {c: i for i, c in enumerate(cats)}
    t = np.zeros((len(cats), len(cats)))
    for x, y in zip(a, b):
        t[pos[x], pos[y]] += 1
    return float(cohen_from_table(t, weights)[0])


def fleiss_kappa(counts: Sequence[Sequence[float]] | np.ndarray) -> float:
    """Fleiss' kappa of a subjects x categories matrix of rater counts."""
    c = np.asarray(counts, dtype=np.float64)
    m = c.sum(axis=1)
    keep = m >= 2
    c, m = c[keep], m[keep]
    p_u = ((c * (c - 1.0)).sum(axis=1)) / (m * (m - 1.0))
    return float(fleiss_from_sums(np.array([p_u.sum()]), np.array([float(len(c))]), c.sum(axis=0)[None])[0])
