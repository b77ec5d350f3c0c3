"""Properties of the agreement statistics that the oracle comparisons in tests/agreement
do not cover: invariance (renaming categories, order-preserving recoding of ordinal values,
affine recoding of interval values, shuffled rows, renamed reviewers and items), bounds and
perfect agreement, and robustness: any label table (odd values, one rater, duplicates,
empty strings, text in numeric fields) gives a report that is valid JSON, never an error."""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curate.agreement import compute_agreement
from curate.agreement.text import edit_similarity, token_f1
from curate.errors import InputError

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SCHEMA = {"record_id": pl.Utf8, "reviewer": pl.Utf8, "field": pl.Utf8, "value": pl.Utf8}
STATS = ("percent_agreement", "krippendorff_alpha", "fleiss_kappa", "cohen_kappa")


@st.composite
def ratings(draw, max_raters=5, max_items=25, values=(1, 2, 3, 4, 5)):
    """(raters x items matrix with None for missing, the values used)."""
    r = draw(st.integers(2, max_raters))
    n = draw(st.integers(2, max_items))
    vals = draw(st.lists(st.sampled_from(values), min_size=2, max_size=len(values), unique=True))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    base = rng.choice(vals, size=n)
    m = [[int(base[j]) if rng.random() < 0.6 else int(rng.choice(vals)) for j in range(n)] for _ in range(r)]
    p_missing = draw(st.sampled_from([0.0, 0.3]))
    return [[v if rng.random() >= p_missing else None for v in row] for row in m]


def table(m, recode=lambda v: str(v), raters=None, items=None) -> pl.DataFrame:
    rows = []
    for i, row in enumerate(m):
        for j, v in enumerate(row):
            if v is not None:
                rows.append({"record_id": (items or {}).get(j, f"item{j}"), "reviewer": (raters or {}).get(i, f"r{i}"),
                             "field": "x", "value": recode(v)})
    return pl.DataFrame(rows, schema=SCHEMA)


def stats(report: dict) -> dict:
    f = report["fields"]["x"]
    return {k: (f[k]["value"] if isinstance(f.get(k), dict) else f.get(k)) for k in STATS}


def close(a: dict, b: dict) -> bool:
    for k, x in a.items():
        y = b[k]
        if x is None or y is None:
            if (x is None) != (y is None):
                return False
        elif not math.isclose(x, y, rel_tol=1e-9, abs_tol=2e-6):
            return False
    return True


@SETTINGS
@given(m=ratings(), perm=st.permutations(["a", "b", "c", "d", "e"]))
def test_nominal_statistics_do_not_depend_on_category_names(m, perm):
    names = dict(zip([1, 2, 3, 4, 5], perm))
    a = compute_agreement(table(m), {"x": "nominal"}, bootstrap=0)
    b = compute_agreement(table(m, lambda v: f"cat-{names[v]}"), {"x": "nominal"}, bootstrap=0)
    assert close(stats(a), stats(b))


@SETTINGS
@given(m=ratings(), data=st.data())
def test_ordinal_alpha_depends_only_on_the_order_of_values(m, data):
    # any strictly increasing recoding (here: sorted random reals) keeps ordinal alpha
    new = sorted(data.draw(st.lists(st.integers(-1000, 1000), min_size=5, max_size=5, unique=True)))
    recode = dict(zip([1, 2, 3, 4, 5], new))
    a = compute_agreement(table(m), {"x": "ordinal"}, bootstrap=0)
    b = compute_agreement(table(m, lambda v: str(recode[v])), {"x": "ordinal"}, bootstrap=0)
    assert close({"a": a["fields"]["x"]["krippendorff_alpha"]["value"]},
                 {"a": b["fields"]["x"]["krippendorff_alpha"]["value"]})


@SETTINGS
@given(m=ratings(), scale=st.sampled_from([-3.0, 0.5, 2.0, 10.0]), shift=st.integers(-50, 50))
def test_interval_alpha_is_unchanged_by_a_linear_recoding(m, scale, shift):
    a = compute_agreement(table(m), {"x": "interval"}, bootstrap=0)
    b = compute_agreement(table(m, lambda v: repr(scale * v + shift)), {"x": "interval"}, bootstrap=0)
    assert close({"a": a["fields"]["x"]["krippendorff_alpha"]["value"]},
                 {"a": b["fields"]["x"]["krippendorff_alpha"]["value"]})


@SETTINGS
@given(m=ratings(), seed=st.integers(0, 2**31 - 1), level=st.sampled_from(["nominal", "ordinal", "interval"]))
def test_row_order_and_names_of_reviewers_and_items_do_not_matter(m, seed, level):
    rng = np.random.default_rng(seed)
    raters = {i: f"reviewer-{rng.integers(1 << 30)}-{i}" for i in range(len(m))}
    items = {j: f"rec-{rng.integers(1 << 30)}-{j}" for j in range(len(m[0]))}
    t = table(m, raters=raters, items=items)
    shuffled = t.sample(fraction=1.0, shuffle=True, seed=seed)
    a = compute_agreement(table(m), {"x": level}, bootstrap=0)
    b = compute_agreement(shuffled, {"x": level}, bootstrap=0)
    assert close(stats(a), stats(b))


@SETTINGS
@given(m=ratings(), level=st.sampled_from(["nominal", "ordinal", "interval"]))
def test_estimates_and_intervals_stay_in_bounds(m, level):
    rep = compute_agreement(table(m), {"x": level}, bootstrap=50, seed=1)
    json.dumps(rep, allow_nan=False)  # agreement.json is strict JSON: no NaN, no Infinity
    f = rep["fields"]["x"]
    lo_bound = {"percent_agreement": 0.0}
    for k in STATS:
        est = f.get(k)
        if not isinstance(est, dict) or est["value"] is None:
            continue
        assert lo_bound.get(k, -math.inf) - 1e-9 <= est["value"] <= 1 + 1e-9, (k, est)
        if k in ("cohen_kappa", "fleiss_kappa"):
            assert est["value"] >= -1 - 1e-9, (k, est)
        ci = est.get("ci")
        if ci and None not in ci:
            assert ci[0] <= ci[1] + 1e-12, (k, ci)


@SETTINGS
@given(n=st.integers(2, 30), r=st.integers(2, 6), seed=st.integers(0, 1000),
       level=st.sampled_from(["nominal", "ordinal", "interval"]))
def test_perfect_agreement_is_one(n, r, seed, level):
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, size=n)
    truth[0], truth[1] = 1, 2  # at least two values: chance-corrected statistics are defined
    m = [[int(v) for v in truth] for _ in range(r)]
    s = stats(compute_agreement(table(m), {"x": level}, bootstrap=0))
    assert s["percent_agreement"] == 1.0 and s["krippendorff_alpha"] == 1.0
    if level == "nominal":
        assert s["fleiss_kappa"] == 1.0
        if r == 2:
            assert s["cohen_kappa"] == 1.0


odd_value = st.one_of(
    st.text(max_size=8), st.sampled_from(["", " ", "1", "2", "3", "1.5", "-0", "nan", "NaN", "inf", "1e308", "x", "ACCEPT"]),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(st.sampled_from(["i1", "i2", "i3", "i4"]), st.sampled_from(["ann", "bea", "cal"]),
                            st.sampled_from(["verdict", "quality", "score", "note"]), odd_value), max_size=40),
    bootstrap=st.sampled_from([0, 20]),
)
def test_any_label_table_gives_a_json_report(rows, bootstrap):
    labels = pl.DataFrame([{"record_id": i, "reviewer": r, "field": f, "value": v} for i, r, f, v in rows], schema=SCHEMA)
    levels = {"verdict": "nominal", "quality": "ordinal", "score": "interval", "note": "text"}
    try:
        rep = compute_agreement(labels, levels, bootstrap=bootstrap, seed=3)
    except InputError as exc:
        # text in a numeric field is the user's to fix: one line naming the field, no value quoted
        msg = exc.message
        assert "\n" not in msg and ("'quality'" in msg or "'score'" in msg), msg
        assert "are not numbers" in msg or "must be finite numbers" in msg, msg
        return
    text = json.dumps(rep, allow_nan=False)
    assert json.loads(text)["summary"]["labels"] + rep["summary"]["duplicates_ignored"] >= 0
    for name, f in rep["fields"].items():
        assert f["items_compared"] <= f["items"], name


@settings(max_examples=100, deadline=None)
@given(a=st.lists(st.text(max_size=40), min_size=1, max_size=8), b=st.lists(st.text(max_size=40), min_size=1, max_size=8))
def test_text_similarities_are_symmetric_bounded_and_one_for_the_same_text(a, b):
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    for fn in (edit_similarity, token_f1):
        ab, ba, aa = fn(a, b), fn(b, a), fn(a, a)
        assert np.all((ab >= -1e-12) & (ab <= 1 + 1e-12)), (fn.__name__, ab)
        assert np.allclose(ab, ba), fn.__name__
        assert np.allclose(aa, 1.0), (fn.__name__, a, aa)
