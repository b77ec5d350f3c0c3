"""The published worked examples (tests/fixtures/agreement/SOURCE.md), through the
textbook functions and through the full report from a long label table."""

from __future__ import annotations

import numpy as np
import pytest
from agreement_data import long_from_counts, long_from_matrix, reference, value

from curate.agreement import cohen_kappa, compute_agreement, fleiss_kappa, krippendorff_alpha

REF = reference()
ALPHA_CASES = [
    (ex["id"], ex["data"], level, published)
    for ex in REF["krippendorff_alpha"]
    for level, published in ex["published_alpha"].items()
]


@pytest.mark.parametrize(("case", "data", "level", "published"), ALPHA_CASES, ids=[f"{c[0]}-{c[2]}" for c in ALPHA_CASES])
def test_krippendorff_alpha_matches_published(case, data, level, published):
    assert round(krippendorff_alpha(data, level), 3) == pytest.approx(published, abs=1e-9)
    report = compute_agreement(long_from_matrix(data), {"x": level}, bootstrap=0)
    assert round(value(report, "x", "krippendorff_alpha"), 3) == pytest.approx(published, abs=1e-9)


def test_krippendorff_2011_counts_in_report():
    data = REF["krippendorff_alpha"][0]["data"]
    report = compute_agreement(long_from_matrix(data), {"x": "nominal"}, bootstrap=0)
    f = report["fields"]["x"]
    # unit 12 has one rating only and unit 11 two: 11 units can be compared, 41 ratings in all
    assert f["items"] == 12
    assert f["items_compared"] == 11
    assert f["ratings"] == 41
    assert f["reviewers"] == 4


def test_fleiss_kappa_matches_published():
    ex = REF["fleiss_kappa"][0]
    assert round(fleiss_kappa(ex["counts"]), 3) == pytest.approx(0.210)
    report = compute_agreement(long_from_counts(ex["counts"]), {"x": "nominal"}, bootstrap=0)
    assert round(value(report, "x", "fleiss_kappa"), 3) == pytest.approx(0.210)
    # Wikipedia's intermediate figures: P-bar = 0.378, P_e = 0.213
    assert value(report, "x", "percent_agreement") == pytest.approx(0.378, abs=5e-4)


def test_cohen_kappa_matches_published():
    c = REF["cohen_kappa"][0]["confusion"]
    a = ["yes"] * (c["yes_yes"] + c["yes_no"]) + ["no"] * (c["no_yes"] + c["no_no"])
    b = ["yes"] * c["yes_yes"] + ["no"] * c["yes_no"] + ["yes"] * c["no_yes"] + ["no"] * c["no_no"]
    assert cohen_kappa(a, b) == pytest.approx(0.40)
    data = [[1 if x == "yes" else 0 for x in a], [1 if x == "yes" else 0 for x in b]]
    report = compute_agreement(long_from_matrix(data, raters=["reader_a", "reader_b"]), {"x": "nominal"}, bootstrap=0)
    assert value(report, "x", "cohen_kappa") == pytest.approx(0.40)
    assert value(report, "x", "percent_agreement") == pytest.approx(0.70)
    conf = report["fields"]["x"]["confusion"]
    assert conf["rows"] == "reader_a" and conf["columns"] == "reader_b"
    # labels sort as "0" (no), "1" (yes)
    assert conf["counts"] == [[c["no_no"], c["no_yes"]], [c["yes_no"], c["yes_yes"]]]


def test_reference_examples_under_any_row_order():
    data = REF["krippendorff_alpha"][0]["data"]
    df = long_from_matrix(data)
    a = compute_agreement(df, {"x": "ordinal"}, bootstrap=50, seed=3)
    b = compute_agreement(df.sample(fraction=1.0, shuffle=True, seed=11), {"x": "ordinal"}, bootstrap=50, seed=3)
    assert a == b
    assert np.isfinite(value(a, "x", "krippendorff_alpha"))
