"""``compute_agreement``: the agreement report of a long table of labels.

Per field: percent agreement, Cohen's kappa (exactly two reviewers), Fleiss' kappa,
Krippendorff's alpha, weighted kappa (ordinal), similarity (text), one-vs-rest agreement
per label, a confusion matrix and the agreement of every pair of reviewers. Per reviewer:
agreement with the others, accept rate, median time. Every figure comes with a bootstrap
95% interval over items (``bootstrap.py``).
"""

from __future__ import annotations


import numpy as np
import polars as pl
import scipy.sparse as sp

from curate import __version__
from curate.agreement.bootstrap import Estimate, Resampler
from curate.agreement.coefficients import (
    alpha_from_coincidences,
    alpha_from_disagreement,
    alpha_interval,
    fleiss_from_sums,
)
from curate.agreement.pairs import group_sizes, unit_pairs
from curate.agreement.rule import AgreementRule, ResolvedRule
from curate.agreement.ratings import FieldData, Prepared, prepare
from curate.agreement.joint_tables import group_kappa_fn, group_table_columns
from curate.agreement.text import similarity

SCHEMA_VERSION = 1
#: up to this many categories alpha is resampled from full coincidence matrices
MAX_COINCIDENCE_K = 64
#: per-label statistics, confusion matrices and kappa tables up to this many categories
MAX_LABELS = 100
#: pairs of reviewers sharing fewer items are left out of the mean pairwise kappa
MIN_PAIR_ITEMS = 5
#: pairwise tables are built for at most this many reviewers of a field
MAX_PAIR_REVIEWERS = 40


def _csr(unit, col, val, n_items, width) -> sp.csr_matrix:
    return sp.csr_matrix((np.asarray(val, dtype=np.float64), (np.asarray(unit), np.asarray(col))), shape=(n_items, width))


def _ratio(s: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(s[:, 1] > 0, s[:, 0] / s[:, 1], np.nan)


def pair_rule(fd: FieldData, rule: ResolvedRule, left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whether each pair of ratings agrees under ``rule``, and the pair's score (text:
    similarity; numeric: absolute difference; nominal: 1 for the same label)."""
    if fd.level.kind == "text":
        a = [fd.text[i] for i in left]
        b = [fd.text[i] for i in right]
        score = similarity(rule.similarity, a, b)
        return score >= rule.threshold - 1e-12, score
    if fd.level.kind == "nominal":
        same = fd.code[left] == fd.code[right]
        return same, same.astype(np.float64)
    diff = np.abs(fd.num[left] - fd.num[right])
    return diff <= rule.tolerance + 1e-9, diff


class _FieldReport:
    """Registers one field's statistics and assembles its part of the report."""

    def __init__(self, fd: FieldData, prep: Prepared, rs: Resampler, rule: ResolvedRule):
        self.fd, self.prep, self.rs, self.rule = fd, prep, rs, rule
        self.key = f"f:{fd.name}:"
        self.report: dict = {}
        self.notes: list[str] = []
        n_items = len(prep.items)
        self.m = group_sizes(fd.item, n_items)
        self.pairable = self.m >= 2
        with np.errstate(divide="ignore"):
            self.inv = np.where(self.pairable, 1.0 / np.maximum(self.m - 1.0, 1.0), 0.0)
        self.raters = np.unique(fd.rater)
        # ordered pairs: both directions; unordered: left is the reviewer first by name
        self.ol, self.or_ = unit_pairs(fd.item, ordered=True)
        self.ul, self.ur = unit_pairs(fd.item, ordered=False)
        self.reviewer_cols: sp.csr_matrix | None = None  # items x (R*2): weight, agreeing weight
        self._pair_meta: list[tuple[str, str, int]] = []
        self._pair_eligible = 0
        self._label_counts = np.zeros(0, dtype=np.int64)
        self._text_pairs: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0))

    # -- registration -------------------------------------------------------------------
    def register(self) -> None:
        fd = self.fd
        rating_pairable = self.pairable[fd.item] if fd.n else np.zeros(0, bool)
        items_rated = int((self.m > 0).sum())
        self.report.update({
            "level": str(fd.level),
            "items": items_rated,
            "items_compared": int(self.pairable.sum()),
            "ratings": int(fd.n),
            "reviewers": len(self.raters),
            "ratings_per_item": {
                "min": int(self.m[self.m > 0].min()) if items_rated else 0,
                "max": int(self.m.max()) if items_rated else 0,
                "mean": round(float(self.m[self.m > 0].mean()), 3) if items_rated else 0.0,
            },
        })
        if fd.n == 0:
            self.notes.append("no ratings of this field")
            return
        if len(self.raters) < 2:
            self.notes.append("fewer than two reviewers rated this field: agreement cannot be measured")
        elif not self.pairable.any():
            self.notes.append("no item was rated by two reviewers: agreement cannot be measured")
        if fd.level.kind == "text":
            self._register_text()
        else:
            self._register_values(rating_pairable)
        self._register_reviewers()

    def _register_rule(self, ok_pairs: np.ndarray, unit_pairs_: np.ndarray, n_pairs_u: np.ndarray) -> None:
        n_items = len(self.prep.items)
        ok_count = np.bincount(unit_pairs_, weights=ok_pairs.astype(np.float64), minlength=n_items)
        agree_u = (self.pairable & (ok_count == n_pairs_u)).astype(np.float64)
        self.rs.add(self.key + "rule", np.column_stack([agree_u, self.pairable.astype(np.float64)]), _ratio)

    def _register_values(self, rating_pairable: np.ndarray) -> None:
        fd, rs = self.fd, self.rs
        n_items = len(self.prep.items)
        k = len(fd.categories)
        self.report["categories"] = fd.categories if k <= MAX_LABELS else f"{k} distinct values"
        up = fd.item[self.ol]
        cl, cr = fd.code[self.ol], fd.code[self.or_]
        inv_p = self.inv[up]
        pair_den = self.m * (self.m - 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            p_u = np.where(self.pairable, np.bincount(up, weights=(cl == cr).astype(np.float64), minlength=n_items) / pair_den, 0.0)
        pairable_f = self.pairable.astype(np.float64)
        rs.add(self.key + "percent", np.column_stack([p_u, pairable_f]), _ratio)

        # within the rule (tolerance for numeric levels)
        ok, _ = pair_rule(fd, self.rule, self.ul, self.ur)
        n_upairs = self.m * (self.m - 1.0) / 2.0
        self._register_rule(ok, fd.item[self.ul], n_upairs)

        # Krippendorff's alpha
        kind = fd.level.kind
        m_p = self.m * self.pairable
        if k <= MAX_COINCIDENCE_K:
            c = _csr(up, cl * k + cr, inv_p, n_items, k * k)
            vals = fd.cat_values
            rs.add(self.key + "alpha", c, lambda s, k=k, kind=kind, vals=vals: alpha_from_coincidences(s.reshape(-1, k, k), kind, vals))
        elif kind == "interval":
            x = fd.num
            d_u = np.bincount(up, weights=(x[self.ol] - x[self.or_]) ** 2 * inv_p, minlength=n_items)
            xp = np.where(rating_pairable, x, 0.0)
            s1 = np.bincount(fd.item, weights=xp, minlength=n_items)
            s2 = np.bincount(fd.item, weights=xp * xp, minlength=n_items)
            rs.add(self.key + "alpha", np.column_stack([d_u, m_p, s1, s2]),
                   lambda s: alpha_interval(s[:, 0], s[:, 1], s[:, 2], s[:, 3]))
        elif kind == "nominal":
            d_u = np.bincount(up, weights=(cl != cr) * inv_p, minlength=n_items)
            counts = _csr(fd.item[rating_pairable], fd.code[rating_pairable], np.ones(int(rating_pairable.sum())), n_items, k)
            cols = sp.hstack([sp.csr_matrix(np.column_stack([d_u, m_p])), counts], format="csr")
            rs.add(self.key + "alpha", cols,
                   lambda s: alpha_from_disagreement(s[:, 0], s[:, 1], s[:, 1] ** 2 - (s[:, 2:] ** 2).sum(axis=1)))
        else:
            # ordinal or ratio with many distinct values: the expected disagreement of the
            # whole sample is kept fixed in the replicates (a K x K matrix per replicate
            # would not fit); the point estimate is exact
            n_c = np.bincount(fd.code[rating_pairable], minlength=k).astype(np.float64)
            delta_of = _pair_delta(kind, fd.cat_values, n_c)
            d_u = np.bincount(up, weights=delta_of(cl, cr) * inv_p, minlength=n_items)
            n_tot = n_c.sum()
            expected = _expected_blocked(n_c, delta_of)
            de = expected / (n_tot * (n_tot - 1.0)) if n_tot > 1 else np.nan
            rs.add(self.key + "alpha", np.column_stack([d_u, m_p]),
                   lambda s, de=de: np.where(s[:, 1] > 1, 1.0 - (s[:, 0] / s[:, 1]) / de, np.nan) if de and de > 0 else np.full(len(s), np.nan))
            self.notes.append(f"{k} distinct values: the interval for alpha keeps the expected disagreement fixed")

        if fd.level.numeric:
            mad_u = np.where(self.pairable, np.bincount(up, weights=np.abs(fd.num[self.ol] - fd.num[self.or_]), minlength=n_items) / np.where(pair_den > 0, pair_den, 1.0), 0.0)
            rs.add(self.key + "mean_abs_diff", np.column_stack([mad_u, pairable_f]), _ratio)

        if not fd.level.categorical or k > MAX_LABELS:
            if fd.level.categorical:
                self.notes.append(f"{k} labels: per-label statistics and kappa left out (more than {MAX_LABELS})")
            return

        # Fleiss' kappa (any number of reviewers per item)
        counts_p = _csr(fd.item[rating_pairable], fd.code[rating_pairable], np.ones(int(rating_pairable.sum())), n_items, k)
        cols = sp.hstack([sp.csr_matrix(np.column_stack([p_u, pairable_f])), counts_p], format="csr")
        rs.add(self.key + "fleiss", cols, lambda s: fleiss_from_sums(s[:, 0], s[:, 1], s[:, 2:]))

        weighted = fd.level.kind == "ordinal"
        two = len(self.raters) == 2
        if two:
            ul_items = fd.item[self.ul]
            t = group_table_columns(ul_items, np.zeros(len(self.ul), dtype=np.int64), fd.code[self.ul], fd.code[self.ur],
                                    np.ones(len(self.ul)), n_items, 1, k)
            rs.add(self.key + "cohen", t, group_kappa_fn(1, k, weighted), outputs=4)
        self._register_pairs(k, weighted)
        self._register_labels(k, counts_p, two)
        # confusion matrix (no interval: counts)
        cm = np.bincount(fd.code[self.ul] * k + fd.code[self.ur], minlength=k * k).reshape(k, k)
        names = self.prep.reviewers
        self.report["confusion"] = {
            "labels": fd.categories,
            "rows": names[self.raters[0]] if two else "reviewer first by name in each pair",
            "columns": names[self.raters[1]] if two else "the other reviewer of the pair",
            "pooled_over_pairs": not two,
            "counts": cm.astype(int).tolist(),
        }

    def _register_pairs(self, k: int, weighted: bool) -> None:
        fd, rs = self.fd, self.rs
        n_items = len(self.prep.items)
        if len(self.raters) > MAX_PAIR_REVIEWERS:
            self.notes.append(f"{len(self.raters)} reviewers: the table of reviewer pairs is left out")
            return
        r = len(self.prep.reviewers)
        pid = fd.rater[self.ul] * r + fd.rater[self.ur]
        uniq, group, shared = np.unique(pid, return_inverse=True, return_counts=True)
        if len(uniq) == 0:
            return
        g = len(uniq)
        t = group_table_columns(fd.item[self.ul], group, fd.code[self.ul], fd.code[self.ur], np.ones(len(self.ul)), n_items, g, k)
        base_fn = group_kappa_fn(g, k, weighted)
        eligible = shared >= MIN_PAIR_ITEMS

        def fn(s: np.ndarray) -> np.ndarray:
            per = base_fn(s)
            if not eligible.any():
                mean = np.full((s.shape[0], 3), np.nan)
            else:
                v = per.reshape(s.shape[0], g, 4)[:, eligible, 1:]
                ok = np.isfinite(v)
                with np.errstate(invalid="ignore", divide="ignore"):
                    mean = np.where(ok, v, 0.0).sum(axis=1) / ok.sum(axis=1)
            return np.hstack([per, mean])

        rs.add(self.key + "pairs", t, fn, outputs=g * 4 + 3)
        names = self.prep.reviewers
        self._pair_meta = [(names[u // r], names[u % r], int(n)) for u, n in zip(uniq, shared)]
        self._pair_eligible = int(eligible.sum())

    def _register_labels(self, k: int, counts_p: sp.csr_matrix, two: bool) -> None:
        fd, rs = self.fd, self.rs
        n_items = len(self.prep.items)
        coo = counts_p.tocoo()
        u, c, n_uk = coo.row, coo.col, coo.data
        m_u = self.m[u]
        a = _csr(u, c, n_uk * (n_uk - 1.0), n_items, k)               # agreeing pairs on the label
        b = _csr(u, c, n_uk * (m_u - 1.0), n_items, k)                 # pairs involving the label
        d = _csr(u, c, n_uk * (m_u - n_uk) / (m_u - 1.0), n_items, k)  # off-diagonal coincidences
        e = _csr(u, c, n_uk * (m_u - n_uk) / (m_u * (m_u - 1.0)), n_items, k)
        base = sp.csr_matrix(np.column_stack([self.m * self.pairable, self.pairable.astype(np.float64)]))
        blocks = [base, a, b, d, e, counts_p]
        if two:
            ui = fd.item[self.ul]
            left, right = fd.code[self.ul], fd.code[self.ur]
            same = left == right
            blocks += [_csr(ui[same], left[same], np.ones(int(same.sum())), n_items, k),
                       _csr(ui, left, np.ones(len(ui)), n_items, k), _csr(ui, right, np.ones(len(ui)), n_items, k)]
        cols = sp.hstack(blocks, format="csr")

        def fn(s: np.ndarray, k=k, two=two) -> np.ndarray:
            n, n_units = s[:, :1], s[:, 1:2]
            A, Bm, D, E, N = (s[:, 2 + i * k: 2 + (i + 1) * k] for i in range(5))
            with np.errstate(invalid="ignore", divide="ignore"):
                specific = np.where(Bm > 0, A / Bm, np.nan)
                prevalence = np.where(n > 0, N / n, np.nan)
                alpha = np.where((N > 0) & (N < n), 1.0 - (n - 1.0) * D / (N * (n - N)), np.nan)
                if two:
                    diag, rows, cols_ = (s[:, 2 + 5 * k + i * k: 2 + 5 * k + (i + 1) * k] for i in range(3))
                    pairs = n_units  # with two reviewers every compared item is one pair
                    agree = pairs - rows - cols_ + 2.0 * diag
                    p_o = agree / pairs
                    p_e = (rows * cols_ + (pairs - rows) * (pairs - cols_)) / pairs**2
                else:
                    p_o = 1.0 - 2.0 * E / n_units
                    p = N / n
                    p_e = p**2 + (1.0 - p) ** 2
                kappa = np.where(p_e < 1.0 - 1e-12, (p_o - p_e) / (1.0 - p_e), np.nan)
            return np.hstack([specific, kappa, alpha, prevalence])

        rs.add(self.key + "labels", cols, fn, outputs=4 * k)
        self._label_counts = np.bincount(fd.code, minlength=k)

    def _register_text(self) -> None:
        fd, rs = self.fd, self.rs
        n_items = len(self.prep.items)
        ul, ur = self.ul, self.ur
        a = [fd.text[i] for i in ul]
        b = [fd.text[i] for i in ur]
        edit = similarity("edit", a, b)
        f1 = similarity("token_f1", a, b)
        exact = np.fromiter((x == y for x, y in zip(a, b)), dtype=np.float64, count=len(a))
        up = fd.item[ul]
        n_pairs = self.m * (self.m - 1.0) / 2.0
        den = np.where(n_pairs > 0, n_pairs, 1.0)
        pf = self.pairable.astype(np.float64)

        def mean_u(x):
            return np.bincount(up, weights=x, minlength=n_items) / den

        exact_all = (np.bincount(up, weights=exact, minlength=n_items) == n_pairs) & self.pairable
        rs.add(self.key + "edit", np.column_stack([mean_u(edit), pf]), _ratio)
        rs.add(self.key + "token_f1", np.column_stack([mean_u(f1), pf]), _ratio)
        rs.add(self.key + "exact", np.column_stack([exact_all.astype(np.float64), pf]), _ratio)
        ok = (edit if self.rule.similarity == "edit" else f1) >= self.rule.threshold - 1e-12
        self._register_rule(ok, up, n_pairs)
        self._text_pairs = (edit, f1)

    def _register_reviewers(self) -> None:
        """Each reviewer against the others on the same items; every item counts once per
        reviewer (its other reviewers weighted 1/(m-1))."""
        fd, rs = self.fd, self.rs
        n_items = len(self.prep.items)
        r = len(self.prep.reviewers)
        if fd.n == 0 or len(self.ol) == 0:
            return
        up = fd.item[self.ol]
        w = self.inv[up]
        group = fd.rater[self.ol]
        if fd.level.kind == "text":
            edit, f1 = self._text_pairs
            # ordered pairs from the unordered similarities: each pair counts for both sides
            ul, ur = self.ul, self.ur
            units = np.concatenate([fd.item[ul], fd.item[ul]])
            grp = np.concatenate([fd.rater[ul], fd.rater[ur]])
            ww = self.inv[units]
            width = 3
            cols = sp.csr_matrix((np.concatenate([ww, ww * np.tile(edit, 2), ww * np.tile(f1, 2)]),
                                  (np.tile(units, 3), np.concatenate([grp * width, grp * width + 1, grp * width + 2]))),
                                 shape=(n_items, r * width))

            def fn(s: np.ndarray) -> np.ndarray:
                t = s.reshape(s.shape[0], r, width)
                with np.errstate(invalid="ignore", divide="ignore"):
                    return np.concatenate([t[:, :, 1] / t[:, :, 0], t[:, :, 2] / t[:, :, 0]], axis=1)

            rs.add(self.key + "reviewers", cols, fn, outputs=2 * r)
            return
        k = len(fd.categories)
        kk = k if (fd.level.categorical and k <= MAX_LABELS) else None
        t = group_table_columns(up, group, fd.code[self.ol], fd.code[self.or_], w, n_items, r, kk)
        rs.add(self.key + "reviewers", t, group_kappa_fn(r, kk, fd.level.kind == "ordinal"), outputs=4 * r)
        self.reviewer_cols = group_table_columns(up, group, fd.code[self.ol], fd.code[self.or_], w, n_items, r, None)

    # -- assembly -----------------------------------------------------------------------
    def assemble(self, est: dict[str, list[Estimate]]) -> dict:
        fd, rep = self.fd, self.report
        key = self.key

        def one(name: str, i: int = 0):
            return est[key + name][i].to_json() if key + name in est else None

        if fd.level.kind == "text":
            rep["percent_agreement"] = one("rule")
            rep["exact_match"] = one("exact")
            rep["edit_similarity"] = one("edit")
            rep["token_f1"] = one("token_f1")
            rep["rule"] = {"similarity": self.rule.similarity, "threshold": self.rule.threshold}
        else:
            rep["percent_agreement"] = one("percent")
            if fd.level.kind != "nominal":
                rep["within_tolerance"] = one("rule")
                rep["rule"] = {"tolerance": self.rule.tolerance}
            rep["krippendorff_alpha"] = one("alpha")
            if key + "mean_abs_diff" in est:
                rep["mean_abs_difference"] = one("mean_abs_diff")
            if key + "fleiss" in est or (fd.n == 0 and fd.level.categorical):
                # a labelled field with no ratings yet names its kappa too, as null
                rep["fleiss_kappa"] = one("fleiss")
            if key + "cohen" in est:
                rep["cohen_kappa"] = one("cohen", 1)
                if fd.level.kind == "ordinal":
                    rep["weighted_kappa"] = {"linear": one("cohen", 2), "quadratic": one("cohen", 3)}
            if key + "pairs" in est:
                ests = est[key + "pairs"]
                g = len(self._pair_meta)
                pairs = []
                for i, (a, b, n) in enumerate(self._pair_meta):
                    entry = {"reviewers": [a, b], "items": n, "percent_agreement": ests[4 * i].to_json(),
                             "cohen_kappa": ests[4 * i + 1].to_json()}
                    if fd.level.kind == "ordinal":
                        entry["weighted_kappa"] = {"linear": ests[4 * i + 2].to_json(), "quadratic": ests[4 * i + 3].to_json()}
                    pairs.append(entry)
                rep["pairs"] = pairs
                if len(self.raters) > 2:
                    mean = {"value": ests[4 * g].to_json()["value"], "ci": ests[4 * g].to_json()["ci"],
                            "pairs_used": self._pair_eligible, "min_shared_items": MIN_PAIR_ITEMS}
                    rep["mean_pairwise_kappa"] = mean
                    if fd.level.kind == "ordinal":
                        rep["mean_pairwise_weighted_kappa"] = {"linear": ests[4 * g + 1].to_json(), "quadratic": ests[4 * g + 2].to_json()}
            if key + "labels" in est:
                ests = est[key + "labels"]
                k = len(fd.categories)
                labels = {}
                for j, cat in enumerate(fd.categories):
                    labels[cat] = {
                        "ratings": int(self._label_counts[j]),
                        "share": ests[3 * k + j].to_json()["value"],
                        "specific_agreement": ests[j].to_json(),
                        "kappa": ests[k + j].to_json(),
                        "alpha": ests[2 * k + j].to_json(),
                    }
                rep["labels"] = labels
            if rep.get("krippendorff_alpha", {}) and rep["krippendorff_alpha"]["value"] is None and self.pairable.any():
                self.notes.append("no variation in the compared ratings: chance-corrected coefficients are undefined")
        if "confusion" in rep:
            rep["confusion"] = rep.pop("confusion")  # keep the large matrix near the end
        rep["notes"] = self.notes
        return rep


def _pair_delta(kind: str, values: np.ndarray, n_c: np.ndarray):
    """Squared difference of two codes, for ratio and ordinal metrics, without a K x K matrix."""
    if kind == "ratio":
        def delta(a, b):
            x, y = values[a], values[b]
            tot = x + y
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(tot == 0, 0.0, ((x - y) / np.where(tot == 0, 1.0, tot)) ** 2)
        return delta
    cum = np.cumsum(n_c)

    def delta(a, b):  # ordinal
        return (cum[b] - cum[a] + (n_c[a] - n_c[b]) / 2.0) ** 2
    return delta


def _expected_blocked(n_c: np.ndarray, delta_of, block: int = 1024) -> float:
    """sum_ck n_c n_k delta_ck, in blocks of rows so memory stays bounded."""
    k = len(n_c)
    idx = np.arange(k)
    total = 0.0
    for start in range(0, k, block):
        a = idx[start:start + block]
        d = delta_of(a[:, None], idx[None, :])
        total += float(n_c[a] @ d @ n_c)
    return total


def compute_agreement(
    labels: pl.DataFrame,
    levels: dict[str, str],
    *,
    bootstrap: int = 1000,
    seed: int = 0,
    verdict_field: str | None = "verdict",
    accept_value: str = "accept",
    rule: AgreementRule | None = None,
) -> dict:
    """Agreement statistics of ``labels`` (columns record_id, reviewer, field, value and
    optionally seconds) with ``levels`` giving each field's level of measurement
    (nominal | ordinal | ordinal:a,b,c | interval | ratio | text).

    Returns a JSON-able report: ``summary``, ``fields`` (per field), ``reviewers`` (per
    reviewer). Every estimate is ``{"value": x, "ci": [lo, hi]}``, the interval a
    percentile bootstrap over items with ``bootstrap`` replicates and ``seed``
    (``bootstrap=0``: no intervals). ``rule`` decides when an item's reviewers agree
    (reported as ``percent_agreement`` for text fields and ``within_tolerance`` for numeric
    ones; the same rule :func:`item_agreement` applies)."""
    if bootstrap < 0:
        raise ValueError("bootstrap must be >= 0")
    rule = rule or AgreementRule()
    prep = prepare(labels, levels)
    rs = Resampler(len(prep.items), samples=bootstrap, seed=int(seed) & 0xFFFFFFFF)
    frs = []
    for fd in prep.fields:
        fr = _FieldReport(fd, prep, rs, rule.for_field(fd.name, fd.level.kind))
        fr.register()
        frs.append(fr)
    rev = _ReviewerReport(prep, rs, frs, verdict_field, accept_value)
    rev.register()
    est = rs.run()
    fields = {fr.fd.name: fr.assemble(est) for fr in frs}
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_by": f"curate {__version__}",
        "summary": {
            "labels": prep.n_labels,
            "items": len(prep.items),
            "reviewers": len(prep.reviewers),
            "fields": len(prep.fields),
            "empty_values": prep.empty,
            "duplicates_ignored": prep.duplicates,
        },
        "bootstrap": {
            "samples": bootstrap, "seed": seed, "unit": "item", "confidence": 0.95, "method": "percentile",
        },
        "rule": rule.model_dump(),
        "fields": fields,
        "reviewers": rev.assemble(est),
    }


class _ReviewerReport:
    def __init__(self, prep: Prepared, rs: Resampler, frs: list[_FieldReport], verdict_field: str | None, accept_value: str):
        self.prep, self.rs, self.frs = prep, rs, frs
        self.verdict = next((fr.fd for fr in frs if verdict_field and fr.fd.name == verdict_field), None)
        self.accept_value = accept_value

    def register(self) -> None:
        r = len(self.prep.reviewers)
        n_items = len(self.prep.items)
        mats = [fr.reviewer_cols for fr in self.frs if fr.reviewer_cols is not None]
        if mats:
            total = mats[0]
            for m in mats[1:]:
                total = total + m
            self.rs.add("r:overall", total, group_kappa_fn(r, None, False), outputs=4 * r)
        fd = self.verdict
        if fd is not None and fd.level.kind != "text" and fd.n:
            acc = np.array([c == self.accept_value for c in fd.categories], dtype=np.float64)[fd.code]
            cols = sp.csr_matrix((np.concatenate([np.ones(fd.n), acc]), (np.concatenate([fd.item, fd.item]),
                                  np.concatenate([fd.rater * 2, fd.rater * 2 + 1]))), shape=(n_items, 2 * r))

            def fn(s: np.ndarray) -> np.ndarray:
                t = s.reshape(s.shape[0], r, 2)
                with np.errstate(invalid="ignore", divide="ignore"):
                    return np.where(t[:, :, 0] > 0, t[:, :, 1] / t[:, :, 0], np.nan)

            self.rs.add("r:accept", cols, fn, outputs=r)

    def assemble(self, est: dict[str, list[Estimate]]) -> dict:
        prep = self.prep
        r = len(prep.reviewers)
        ratings = np.zeros(r, dtype=np.int64)
        keys = []
        for fr in self.frs:
            ratings += np.bincount(fr.fd.rater, minlength=r)
            keys.append(fr.fd.rater * max(len(prep.items), 1) + fr.fd.item)
        pairs = np.unique(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.int64)
        items = np.bincount(pairs // max(len(prep.items), 1), minlength=r).tolist()
        med: dict[int, tuple[float, int]] = {}
        if prep.seconds is not None and prep.seconds.height:
            agg = prep.seconds.group_by("_rater").agg(pl.col("seconds").median().alias("med"), pl.len().alias("n"))
            for row in agg.iter_rows(named=True):
                med[int(row["_rater"])] = (float(row["med"]), int(row["n"]))
        rated = [set(fr.raters.tolist()) for fr in self.frs]
        out = {}
        for i, name in enumerate(prep.reviewers):
            entry: dict = {"items": items[i], "ratings": int(ratings[i])}
            if "r:overall" in est:
                entry["agreement_with_others"] = est["r:overall"][4 * i].to_json()
            per_field = {}
            for fr, raters in zip(self.frs, rated):
                key = fr.key + "reviewers"
                if key not in est or i not in raters:
                    continue
                e = est[key]
                if fr.fd.level.kind == "text":
                    per_field[fr.fd.name] = {"edit_similarity": e[i].to_json(), "token_f1": e[r + i].to_json()}
                else:
                    f = {"percent_agreement": e[4 * i].to_json()}
                    if fr.fd.level.categorical and len(fr.fd.categories) <= MAX_LABELS:
                        f["kappa"] = e[4 * i + 1].to_json()
                        if fr.fd.level.kind == "ordinal":
                            f["weighted_kappa"] = {"linear": e[4 * i + 2].to_json(), "quadratic": e[4 * i + 3].to_json()}
                    per_field[fr.fd.name] = f
            entry["fields"] = per_field
            if "r:accept" in est:
                entry["accept_rate"] = est["r:accept"][i].to_json()
            if i in med:
                entry["median_seconds"] = round(med[i][0], 3)
                entry["timed_items"] = med[i][1]
            out[name] = entry
        return out


__all__ = ["compute_agreement", "pair_rule"]
