"""Reading and validating labels, text similarity, the per-item rule."""

from __future__ import annotations

import polars as pl
import pytest

from curate.agreement import (
    AgreementRule,
    FieldRule,
    compute_agreement,
    item_agreement,
    items_to_adjudicate,
)
from curate.agreement.levels import parse_level
from curate.agreement.text import edit_similarity, normalise, token_f1
from curate.errors import InputError


def labels(rows) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["record_id", "reviewer", "field", "value"], orient="row")


# -- levels and validation ------------------------------------------------------------------


def test_parse_levels():
    assert parse_level("Nominal").kind == "nominal"
    lv = parse_level("ordinal: low, medium ,high")
    assert lv.kind == "ordinal" and lv.order == ("low", "medium", "high")
    for bad in ("categorical", "nominal:a,b", "ordinal:a,a", "ordinal:a,,b"):
        with pytest.raises(InputError):
            parse_level(bad)


def test_missing_columns_and_levels_are_user_errors():
    with pytest.raises(InputError, match="missing: value"):
        compute_agreement(pl.DataFrame({"record_id": ["a"], "reviewer": ["x"], "field": ["f"]}), {"f": "nominal"})
    df = labels([("a", "x", "f", "1"), ("a", "y", "g", "2")])
    with pytest.raises(InputError, match="no level of measurement for field.*g"):
        compute_agreement(df, {"f": "nominal"})


def test_non_numeric_values_in_a_numeric_field_are_counted_not_quoted():
    df = labels([("a", "x", "q", "3"), ("a", "y", "q", "great"), ("b", "x", "q", "n/a")])
    with pytest.raises(InputError) as exc:
        compute_agreement(df, {"q": "ordinal"})
    assert "2 value(s) are not numbers" in exc.value.message
    assert "great" not in exc.value.message  # values may hold text a reviewer typed
    with pytest.raises(InputError, match="negative"):
        compute_agreement(labels([("a", "x", "q", "-1"), ("a", "y", "q", "2")]), {"q": "ratio"})


def test_named_ordinal_order():
    df = labels([
        ("a", "x", "sev", "low"), ("a", "y", "sev", "medium"),
        ("b", "x", "sev", "high"), ("b", "y", "sev", "high"),
        ("c", "x", "sev", "low"), ("c", "y", "sev", "low"),
        ("d", "x", "sev", "low"), ("d", "y", "sev", "high"),
    ])
    rep = compute_agreement(df, {"sev": "ordinal:low,medium,high"}, bootstrap=0)
    f = rep["fields"]["sev"]
    assert f["categories"] == ["low", "medium", "high"]
    assert f["mean_abs_difference"]["value"] == pytest.approx((1 + 0 + 0 + 2) / 4)
    # within one step: a (low/medium) agrees, d (low/high) does not
    assert f["within_tolerance"]["value"] == pytest.approx(3 / 4)
    with pytest.raises(InputError, match="not in its order"):
        compute_agreement(df, {"sev": "ordinal:low,high"})


def test_duplicates_and_empty_values_are_counted():
    df = labels([
        ("a", "x", "v", "accept"), ("a", "x", "v", "reject"),  # second rating by x ignored
        ("a", "y", "v", "accept"), ("b", "x", "v", ""), ("b", "y", "v", None),
        ("b", "x", "note", ""), ("b", "y", "note", "fine"),  # an empty text is a rating
    ])
    rep = compute_agreement(df, {"v": "nominal", "note": "text"}, bootstrap=0)
    assert rep["summary"]["duplicates_ignored"] == 1
    assert rep["summary"]["empty_values"] == 2
    assert rep["fields"]["v"]["percent_agreement"]["value"] == 1.0
    assert rep["fields"]["note"]["items_compared"] == 1
    assert rep["fields"]["note"]["edit_similarity"]["value"] == 0.0


def test_no_variation_gives_undefined_kappa_and_a_note():
    df = labels([(i, r, "v", "accept") for i in "abcd" for r in "xy"])
    f = compute_agreement(df, {"v": "nominal"}, bootstrap=20)["fields"]["v"]
    assert f["percent_agreement"]["value"] == 1.0
    assert f["krippendorff_alpha"]["value"] is None and f["cohen_kappa"]["value"] is None
    assert any("no variation" in n for n in f["notes"])


def test_field_with_one_reviewer_and_field_without_ratings():
    df = labels([("a", "x", "v", "1"), ("b", "x", "v", "2")])
    rep = compute_agreement(df, {"v": "nominal", "unused": "ordinal"}, bootstrap=10)
    assert rep["fields"]["v"]["krippendorff_alpha"]["value"] is None
    assert any("fewer than two reviewers" in n for n in rep["fields"]["v"]["notes"])
    assert rep["fields"]["unused"]["ratings"] == 0


def test_seed_makes_intervals_reproducible():
    rows = [(f"i{i}", r, "v", str((i * 7 + (r == "y") * (i % 3)) % 4)) for i in range(40) for r in "xy"]
    df = labels(rows)
    a = compute_agreement(df, {"v": "nominal"}, bootstrap=100, seed=1)
    b = compute_agreement(df, {"v": "nominal"}, bootstrap=100, seed=1)
    c = compute_agreement(df, {"v": "nominal"}, bootstrap=100, seed=2)

    def ci(r):
        return r["fields"]["v"]["krippendorff_alpha"]["ci"]

    assert ci(a) == ci(b) and ci(a) != ci(c)
    lo, hi = ci(a)
    assert lo <= a["fields"]["v"]["krippendorff_alpha"]["value"] <= hi
    assert compute_agreement(df, {"v": "nominal"}, bootstrap=0)["fields"]["v"]["krippendorff_alpha"]["ci"] is None


def test_reviewer_accept_rate_and_median_time():
    df = pl.DataFrame({
        "record_id": ["a", "a", "b", "b", "c", "c", "a", "a"],
        "reviewer": ["x", "y", "x", "y", "x", "y", "x", "y"],
        "field": ["verdict"] * 6 + ["quality"] * 2,
        "value": ["accept", "accept", "reject", "accept", "edit", "accept", "4", "5"],
        "seconds": [10.0, 30.0, 20.0, 50.0, 60.0, 40.0, 10.0, 30.0],
    })
    rep = compute_agreement(df, {"verdict": "nominal", "quality": "ordinal"}, bootstrap=0)
    x, y = rep["reviewers"]["x"], rep["reviewers"]["y"]
    assert x["accept_rate"]["value"] == pytest.approx(1 / 3)
    assert y["accept_rate"]["value"] == 1.0
    # time is per item: the quality row of item a repeats its verdict row's time
    assert x["median_seconds"] == 20.0 and x["timed_items"] == 3
    assert y["median_seconds"] == 40.0
    assert x["items"] == 3 and x["ratings"] == 4
    custom = compute_agreement(df, {"verdict": "nominal", "quality": "ordinal"}, bootstrap=0,
                               verdict_field="verdict", accept_value="reject")
    assert custom["reviewers"]["x"]["accept_rate"]["value"] == pytest.approx(1 / 3)
    none = compute_agreement(df, {"verdict": "nominal", "quality": "ordinal"}, bootstrap=0, verdict_field=None)
    assert "accept_rate" not in none["reviewers"]["x"]


# -- text ---------------------------------------------------------------------------------


def test_edit_similarity_and_token_f1():
    assert edit_similarity(["kitten"], ["sitting"])[0] == pytest.approx(1 - 3 / 7)
    assert edit_similarity([""], [""])[0] == 1.0
    assert edit_similarity(["abc"], [""])[0] == 0.0
    # SQuAD-style token F1: 2 common of 3 and 4 tokens
    assert token_f1(["The cat sat"], ["the cat sat down"])[0] == pytest.approx(2 * 3 / 7)
    assert token_f1(["Reset it, please!"], ["please reset it"])[0] == 1.0
    assert token_f1([""], [""])[0] == 1.0 and token_f1(["a"], [""])[0] == 0.0
    assert normalise("  Hello\n\n world ") == "Hello world"


def test_text_field_statistics():
    df = labels([
        ("a", "x", "fix", "Restart the router."), ("a", "y", "fix", "Restart the router.\n"),
        ("b", "x", "fix", "Clear the cache"), ("b", "y", "fix", "Reinstall the app"),
        ("c", "x", "fix", "Update to 2.1"), ("c", "y", "fix", "Update to 2.1 today"),
    ])
    f = compute_agreement(df, {"fix": "text"}, bootstrap=0)["fields"]["fix"]
    assert f["exact_match"]["value"] == pytest.approx(1 / 3)
    sims = edit_similarity(["Restart the router.", "Clear the cache", "Update to 2.1"],
                           ["Restart the router.", "Reinstall the app", "Update to 2.1 today"])
    assert f["edit_similarity"]["value"] == pytest.approx(sims.mean(), abs=1e-6)
    assert f["percent_agreement"]["value"] == pytest.approx(float((sims >= 0.8).mean()))


# -- the per-item rule ------------------------------------------------------------------------


def test_item_agreement_rule():
    df = labels([
        ("a", "x", "verdict", "accept"), ("a", "y", "verdict", "accept"),
        ("b", "x", "verdict", "accept"), ("b", "y", "verdict", "reject"),
        ("c", "x", "verdict", "edit"),  # one rating: nothing to compare yet
        ("a", "x", "quality", "4"), ("a", "y", "quality", "5"),
        ("b", "x", "quality", "2"), ("b", "y", "quality", "5"),
        ("a", "x", "note", "ok"), ("a", "y", "note", "totally different"),
        ("a", "z", "verdict", "reject"),
    ])
    levels = {"verdict": "nominal", "quality": "ordinal", "note": "text"}
    rule = AgreementRule(fields={"note": FieldRule(adjudicate=False)})
    t = item_agreement(df, levels, rule)
    row = {(r["record_id"], r["field"]): r for r in t.iter_rows(named=True)}
    assert row[("a", "verdict")]["agree"] is False  # z says reject
    assert row[("a", "verdict")]["pair_agreement"] == pytest.approx(1 / 3)
    assert row[("a", "verdict")]["ratings"] == 3
    assert row[("b", "verdict")]["agree"] is False
    assert row[("c", "verdict")]["agree"] is None and row[("c", "verdict")]["pair_agreement"] is None
    assert row[("a", "quality")]["agree"] is True and row[("a", "quality")]["spread"] == 1.0  # tolerance 1
    assert row[("b", "quality")]["agree"] is False and row[("b", "quality")]["spread"] == 3.0
    assert row[("a", "note")]["agree"] is False and row[("a", "note")]["adjudicate"] is False
    assert 0 <= row[("a", "note")]["min_similarity"] < 0.8
    todo = items_to_adjudicate(t)
    assert todo.to_dicts() == [{"record_id": "a", "fields": ["verdict"]}, {"record_id": "b", "fields": ["quality", "verdict"]}]
    strict = item_agreement(df, levels, AgreementRule(ordinal_tolerance=0))
    assert strict.filter((pl.col("record_id") == "a") & (pl.col("field") == "quality"))["agree"].item() is False
    lenient = item_agreement(df, levels, AgreementRule(fields={"note": FieldRule(threshold=0.0)}))
    assert lenient.filter(pl.col("field") == "note")["agree"].item() is True


def test_rule_is_reported_and_validated():
    df = labels([("a", "x", "q", "1"), ("a", "y", "q", "3")])
    rep = compute_agreement(df, {"q": "interval"}, bootstrap=0, rule=AgreementRule(numeric_tolerance=2))
    assert rep["fields"]["q"]["within_tolerance"]["value"] == 1.0
    assert rep["rule"]["numeric_tolerance"] == 2
    with pytest.raises(ValueError):
        AgreementRule(text_threshold=1.5)
    with pytest.raises(ValueError):
        AgreementRule(fields={"q": {"tolerence": 1}})


def test_item_agreement_of_empty_labels():
    t = item_agreement(labels([]), {"v": "nominal"})
    assert t.height == 0 and "agree" in t.columns


def test_empty_labels_give_an_empty_report():
    rep = compute_agreement(labels([]), {"v": "nominal"}, bootstrap=10)
    assert rep["summary"]["labels"] == 0 and rep["fields"]["v"]["ratings"] == 0
    assert rep["reviewers"] == {}


def test_report_is_strict_json():
    import json

    df = labels([(i, r, f, v) for i in "abcdef" for r in "xyz" for f, v in (("v", "accept" if i < "e" else r), ("q", "3"), ("t", "same text"))])
    rep = compute_agreement(df, {"v": "nominal", "q": "ordinal", "t": "text"}, bootstrap=50)
    text = json.dumps(rep, allow_nan=False)  # NaN never leaks: undefined is null
    assert json.loads(text) == rep
