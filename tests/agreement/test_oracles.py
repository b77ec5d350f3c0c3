"""Property-based checks against independent implementations: the `krippendorff` package
(alpha, all levels, missing ratings), scikit-learn's cohen_kappa_score (unweighted,
linear, quadratic) and confusion_matrix, and plain per-item loops written here from the
textbook definitions (Fleiss, specific agreement, agreement with the others)."""

from __future__ import annotations

import itertools
import math
import warnings

import krippendorff
import numpy as np
import polars as pl
import pytest
from agreement_data import long_from_matrix, value
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score, confusion_matrix

from curate.agreement import compute_agreement, krippendorff_alpha

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def reliability(draw, min_raters=2, max_raters=6, max_units=40, values=None, missing=True):
    """raters x units matrix of small integers with NaN for missing ratings."""
    r = draw(st.integers(min_raters, max_raters))
    u = draw(st.integers(2, max_units))
    vals = values or draw(st.lists(st.integers(0, 12), min_size=1, max_size=7, unique=True))
    p_missing = draw(st.sampled_from([0.0, 0.2, 0.5])) if missing else 0.0
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    data = rng.choice(np.array(vals, dtype=float), size=(r, u))
    # make agreement likelier than chance so alpha is not always near zero
    if draw(st.booleans()):
        base = rng.choice(np.array(vals, dtype=float), size=u)
        keep = rng.random((r, u)) < 0.7
        data = np.where(keep, base[None, :], data)
    data[rng.random((r, u)) < p_missing] = np.nan
    return data


def _oracle_alpha(data: np.ndarray, level: str) -> float:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level))
    except ValueError:  # one value in the domain: undefined
        return math.nan


def _same(ours, theirs, tol=1e-9) -> None:
    """Equal up to ``tol`` (relative) or the report's rounding to 6 decimals."""
    if theirs is None or not np.isfinite(theirs):
        assert ours is None or not np.isfinite(ours), (ours, theirs)
    else:
        assert ours is not None and ours == pytest.approx(theirs, rel=tol, abs=6e-7)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
@SETTINGS
@given(data=reliability())
def test_alpha_matches_krippendorff_package(level, data):
    theirs = _oracle_alpha(data, level)
    # the oracle leaves out units with fewer than two ratings, as the definition does
    pairable = (~np.isnan(data)).sum(axis=0) >= 2
    if pairable.sum() == 0:
        return
    _same(krippendorff_alpha(data, level), theirs)
    report = compute_agreement(long_from_matrix(data), {"x": level}, bootstrap=0)
    _same(value(report, "x", "krippendorff_alpha"), theirs)


@SETTINGS
@given(data=reliability(values=[1, 2, 3, 5, 8, 13]))
def test_ratio_alpha_matches_krippendorff_package(data):
    theirs = _oracle_alpha(data, "ratio")
    report = compute_agreement(long_from_matrix(data), {"x": "ratio"}, bootstrap=0)
    _same(value(report, "x", "krippendorff_alpha"), theirs)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_with_many_distinct_values(level):
    """More than 64 distinct values takes the paths without a full coincidence matrix."""
    rng = np.random.default_rng(7)
    truth = rng.integers(1, 400, size=120).astype(float)
    data = np.vstack([truth + rng.integers(-20, 21, size=120) for _ in range(3)])
    data = np.clip(data, 1, None)
    data[rng.random(data.shape) < 0.25] = np.nan
    assert len(np.unique(data[~np.isnan(data)])) > 64
    report = compute_agreement(long_from_matrix(data), {"x": level}, bootstrap=30)
    _same(value(report, "x", "krippendorff_alpha"), _oracle_alpha(data, level), tol=1e-7)
    ci = report["fields"]["x"]["krippendorff_alpha"]["ci"]
    assert ci is not None and ci[0] <= ci[1]


def _pairs_of(data: np.ndarray, i: int, j: int):
    both = ~np.isnan(data[i]) & ~np.isnan(data[j])
    return data[i][both].astype(int), data[j][both].astype(int)


def _sk_kappa(a, b, labels, weights=None) -> float:
    if len(a) == 0:
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = cohen_kappa_score(a, b, labels=labels, weights=weights)
    return float(k)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
@SETTINGS
@given(data=reliability(min_raters=2, max_raters=2, max_units=60))
def test_cohen_kappa_matches_sklearn(weights, data):
    labels = sorted({int(v) for v in data[~np.isnan(data)]})
    a, b = _pairs_of(data, 0, 1)
    theirs = _sk_kappa(a, b, labels, weights)
    report = compute_agreement(long_from_matrix(data), {"x": "ordinal"}, bootstrap=0)
    f = report["fields"]["x"]
    if f["reviewers"] < 2:
        return
    ours = f["cohen_kappa"]["value"] if weights is None else f["weighted_kappa"][weights]["value"]
    _same(ours, theirs)
    # the pair table holds the same pair
    assert len(f.get("pairs", [])) == (1 if len(a) else 0)


@SETTINGS
@given(data=reliability(min_raters=3, max_raters=5, max_units=50))
def test_pairwise_kappas_match_sklearn(data):
    labels = sorted({int(v) for v in data[~np.isnan(data)]})
    names = [f"rater{r:02d}" for r in range(data.shape[0])]
    report = compute_agreement(long_from_matrix(data), {"x": "ordinal"}, bootstrap=0)
    pairs = {tuple(p["reviewers"]): p for p in report["fields"]["x"].get("pairs", [])}
    kappas = []
    for i, j in itertools.combinations(range(data.shape[0]), 2):
        a, b = _pairs_of(data, i, j)
        if len(a) == 0:
            assert (names[i], names[j]) not in pairs
            continue
        p = pairs[(names[i], names[j])]
        assert p["items"] == len(a)
        _same(p["percent_agreement"]["value"], float(np.mean(a == b)))
        _same(p["cohen_kappa"]["value"], _sk_kappa(a, b, labels))
        _same(p["weighted_kappa"]["quadratic"]["value"], _sk_kappa(a, b, labels, "quadratic"))
        if len(a) >= 5:
            kappas.append(_sk_kappa(a, b, labels))
    mean = report["fields"]["x"].get("mean_pairwise_kappa")
    finite = [k for k in kappas if np.isfinite(k)]
    if mean is not None and finite:
        _same(mean["value"], float(np.mean(finite)))


def _naive_fleiss(data: np.ndarray) -> float:
    """Fleiss (1971) written per subject, with each subject's own number of raters."""
    cats = sorted({v for v in data[~np.isnan(data)]})
    p_items, totals, n_all = [], {c: 0 for c in cats}, 0
    for u in range(data.shape[1]):
        col = [v for v in data[:, u] if not np.isnan(v)]
        m = len(col)
        if m < 2:
            continue
        counts = {c: col.count(c) for c in cats}
        p_items.append(sum(n * (n - 1) for n in counts.values()) / (m * (m - 1)))
        for c in cats:
            totals[c] += counts[c]
        n_all += m
    if not p_items:
        return math.nan
    p_bar = sum(p_items) / len(p_items)
    p_e = sum((t / n_all) ** 2 for t in totals.values())
    return math.nan if p_e >= 1 else (p_bar - p_e) / (1 - p_e)


@SETTINGS
@given(data=reliability())
@example(data=np.array([[np.nan, np.nan], [np.nan, np.nan]]))  # no ratings at all
def test_fleiss_and_percent_match_per_item_loops(data):
    report = compute_agreement(long_from_matrix(data), {"x": "nominal"}, bootstrap=0)
    _same(value(report, "x", "fleiss_kappa"), _naive_fleiss(data))
    shares = []
    for u in range(data.shape[1]):
        col = [v for v in data[:, u] if not np.isnan(v)]
        if len(col) >= 2:
            pairs = list(itertools.permutations(col, 2))
            shares.append(sum(x == y for x, y in pairs) / len(pairs))
    _same(value(report, "x", "percent_agreement"), float(np.mean(shares)) if shares else math.nan)


@SETTINGS
@given(data=reliability(max_raters=4))
def test_per_label_statistics_match_binarised_oracles(data):
    report = compute_agreement(long_from_matrix(data), {"x": "nominal"}, bootstrap=0)
    f = report["fields"]["x"]
    if "labels" not in f:
        return
    two = f["reviewers"] == 2
    for label, entry in f["labels"].items():
        c = float(label)
        binary = np.where(np.isnan(data), np.nan, (data == c).astype(float))
        _same(entry["alpha"]["value"], _oracle_alpha(binary, "nominal"))
        # specific agreement: agreeing pairs on the label / pairs involving it
        agree = involve = 0
        for u in range(data.shape[1]):
            col = [v for v in data[:, u] if not np.isnan(v)]
            if len(col) < 2:
                continue
            for x, y in itertools.permutations(col, 2):
                agree += x == c and y == c
                involve += x == c
        _same(entry["specific_agreement"]["value"], agree / involve if involve else math.nan)
        if two:
            rows = np.flatnonzero(~np.isnan(data).any(axis=0))
            if len(rows):
                a = (data[0, rows] == c).astype(int)
                b = (data[1, rows] == c).astype(int)
                _same(entry["kappa"]["value"], _sk_kappa(a, b, [0, 1]))


@SETTINGS
@given(data=reliability(min_raters=2, max_raters=2, max_units=50))
def test_confusion_matrix_matches_sklearn(data):
    report = compute_agreement(long_from_matrix(data), {"x": "nominal"}, bootstrap=0)
    f = report["fields"]["x"]
    if f["reviewers"] < 2:
        return
    a, b = _pairs_of(data, 0, 1)
    labels = [int(x) for x in f["confusion"]["labels"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one label only: sklearn warns, the matrix is still right
        expected = confusion_matrix(a, b, labels=labels).tolist() if len(a) else [[0] * len(labels) for _ in labels]
    assert f["confusion"]["counts"] == expected


@SETTINGS
@given(data=reliability(min_raters=2, max_raters=5))
def test_reviewer_agreement_with_others_matches_loop(data):
    report = compute_agreement(long_from_matrix(data), {"x": "nominal"}, bootstrap=0)
    for r in range(data.shape[0]):
        name = f"rater{r:02d}"
        shares = []
        for u in range(data.shape[1]):
            if np.isnan(data[r, u]):
                continue
            others = [data[o, u] for o in range(data.shape[0]) if o != r and not np.isnan(data[o, u])]
            if others:
                shares.append(sum(o == data[r, u] for o in others) / len(others))
        entry = report["reviewers"].get(name)
        if entry is None:
            assert np.isnan(data[r]).all()
            continue
        got = entry["fields"].get("x", {}).get("percent_agreement", {}).get("value")
        _same(got, float(np.mean(shares)) if shares else math.nan)
        _same(entry.get("agreement_with_others", {}).get("value"), float(np.mean(shares)) if shares else math.nan)


def test_bootstrap_equals_naive_resampling_with_the_same_draws():
    """The vectorised bootstrap gives exactly the interval of recomputing alpha (with the
    krippendorff package) and kappa (with scikit-learn) on each resampled item set."""
    rng = np.random.default_rng(1)
    truth = rng.integers(1, 6, size=60)
    data = np.vstack([np.where(rng.random(60) < 0.7, truth, rng.integers(1, 6, size=60)) for _ in range(2)]).astype(float)
    data[0, rng.random(60) < 0.15] = np.nan
    samples, seed = 200, 5
    report = compute_agreement(long_from_matrix(data), {"x": "ordinal"}, bootstrap=samples, seed=seed)
    f = report["fields"]["x"]
    # items are numbered in sorted record_id order, which is column order here
    draws = np.random.default_rng(seed).integers(0, data.shape[1], size=(samples, data.shape[1]))
    alphas, kappas, quad = [], [], []
    labels = sorted({int(v) for v in data[~np.isnan(data)]})
    for d in draws:
        sub = data[:, d]
        alphas.append(_oracle_alpha(sub, "ordinal"))
        a, b = _pairs_of(sub, 0, 1)
        kappas.append(_sk_kappa(a, b, labels))
        quad.append(_sk_kappa(a, b, labels, "quadratic"))
    for got, reps in ((f["krippendorff_alpha"], alphas), (f["cohen_kappa"], kappas), (f["weighted_kappa"]["quadratic"], quad)):
        reps = np.array(reps)
        lo, hi = np.quantile(reps[np.isfinite(reps)], [0.025, 0.975])
        assert got["ci"] == [pytest.approx(round(lo, 6), abs=2e-6), pytest.approx(round(hi, 6), abs=2e-6)]


def test_missing_ratings_are_left_out_not_counted_as_disagreement():
    full = np.array([[1, 2, 3, 1, 2], [1, 2, 3, 1, 2]], dtype=float)
    gappy = np.array([[1, 2, 3, 1, 2, 3, np.nan], [1, 2, 3, 1, 2, np.nan, 1]], dtype=float)
    a = compute_agreement(long_from_matrix(full), {"x": "nominal"}, bootstrap=0)
    b = compute_agreement(long_from_matrix(gappy), {"x": "nominal"}, bootstrap=0)
    assert value(a, "x", "krippendorff_alpha") == pytest.approx(1.0)
    assert value(b, "x", "krippendorff_alpha") == pytest.approx(1.0)
    assert value(b, "x", "percent_agreement") == pytest.approx(1.0)
    assert b["fields"]["x"]["items"] == 7 and b["fields"]["x"]["items_compared"] == 5


def test_long_table_with_polars_types():
    """Numbers stored as numbers (not strings) read the same."""
    data = np.array([[1, 2, 3, 4, 2], [1, 2, 4, 4, 1]], dtype=float)
    df = long_from_matrix(data)
    as_int = df.with_columns(pl.col("value").cast(pl.Int64))
    as_float = df.with_columns(pl.col("value").cast(pl.Float64))
    base = compute_agreement(df, {"x": "ordinal"}, bootstrap=20)
    assert compute_agreement(as_int, {"x": "ordinal"}, bootstrap=20) == base
    assert compute_agreement(as_float, {"x": "ordinal"}, bootstrap=20) == base


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
@SETTINGS
@given(data=reliability(max_raters=4, max_units=25), tolerance=st.sampled_from([0, 1, 2.5]))
def test_item_agreement_matches_pairwise_loop(level, data, tolerance):
    from curate.agreement import AgreementRule, item_agreement

    rule = AgreementRule(ordinal_tolerance=tolerance, numeric_tolerance=tolerance)
    t = item_agreement(long_from_matrix(data), {"x": level}, rule)
    rows = {r["record_id"]: r for r in t.iter_rows(named=True)}
    for u in range(data.shape[1]):
        col = [v for v in data[:, u] if not np.isnan(v)]
        key = f"u{u:04d}"
        if not col:
            assert key not in rows
            continue
        row = rows[key]
        assert row["ratings"] == len(col)
        if len(col) < 2:
            assert row["agree"] is None
            continue
        pairs = list(itertools.combinations(col, 2))
        ok = [(x == y) if level == "nominal" else abs(x - y) <= tolerance for x, y in pairs]
        assert row["agree"] == all(ok)
        assert row["pair_agreement"] == pytest.approx(sum(ok) / len(ok))
        if level != "nominal":
            assert row["spread"] == pytest.approx(max(col) - min(col))
