"""The statistics of a human evaluation, checked against independent implementations:
item means by hand, the bootstrap interval against the t interval (scipy), the sign test
against the binomial distribution by hand, the Benjamini-Hochberg adjustment by hand and
Krippendorff's alpha against the ``krippendorff`` package."""

from __future__ import annotations

import math
from collections import defaultdict

import krippendorff
import numpy as np
import polars as pl
import pytest
from scipy import stats as sps

from curate.evaluation.report import human_report
from curate.evaluation.stats import mean_ci

SYSTEMS = ["finetuned-v3", "base-prompted", "legacy-bot"]
DIMS = ["accuracy", "tone"]
REVIEWERS = ["ann", "bea", "cal", "dev"]


@pytest.fixture(scope="module")
def data():
    """60 items; each rated by three of four reviewers (so ratings are missing), 1-5."""
    rng = np.random.default_rng(7)
    quality = {"finetuned-v3": 0.9, "base-prompted": 0.2, "legacy-bot": -0.8}
    rows, prefs, strata = [], [], {}
    for i in range(60):
        item = f"item-{i:02d}"
        strata[item] = {"task_type": ["refund", "shipping", "account"][i % 3], "difficulty": "hard" if i % 5 == 0 else "easy"}
        hardness = rng.normal(0, 0.7)
        raters = [r for k, r in enumerate(REVIEWERS) if k != i % 4]
        for s in SYSTEMS:
            for r in raters:
                for d in DIMS:
                    v = int(np.clip(round(3 + quality[s] + hardness + rng.normal(0, 0.8)), 1, 5))
                    rows.append({"item": item, "system": s, "reviewer": r, "dimension": d, "rating": float(v)})
        for r in raters[:2]:
            prefs.append({"item": item, "reviewer": r, "choice": rng.choice(["finetuned-v3", "base-prompted", None], p=[.6, .3, .1])})
    ratings = pl.DataFrame(rows)
    preferences = pl.DataFrame(prefs, schema={"item": pl.Utf8, "reviewer": pl.Utf8, "choice": pl.Utf8})
    rep = human_report(ratings, preferences=preferences, strata=strata, systems=SYSTEMS, dimensions=DIMS,
                       samples=2000, seed=1)
    return rows, prefs, strata, rep


def item_means(rows, dims=DIMS):
    """{(item, system, dimension): mean rating} by hand, with the overall score."""
    acc = defaultdict(list)
    for r in rows:
        acc[(r["item"], r["system"], r["dimension"])].append(r["rating"])
    out = {k: sum(v) / len(v) for k, v in acc.items()}
    for item, system in {(k[0], k[1]) for k in out}:
        out[(item, system, "overall")] = sum(out[(item, system, d)] for d in dims) / len(dims)
    return out


def test_means_are_means_of_item_means(data):
    rows, _, strata, rep = data
    im = item_means(rows)
    for s in SYSTEMS:
        for d in DIMS + ["overall"]:
            x = [v for (i, sy, dd), v in im.items() if sy == s and dd == d]
            est = rep["means"][s][d]
            assert est["items"] == 60
            assert est["value"] == pytest.approx(np.mean(x), abs=1e-6)
            assert est["ci"][0] < est["value"] < est["ci"][1]
    refunds = [i for i, st in strata.items() if st["task_type"] == "refund"]
    x = [im[(i, "legacy-bot", "tone")] for i in refunds]
    got = rep["strata"]["task_type"]["refund"]
    assert got["items"] == len(refunds) == 20
    assert got["means"]["legacy-bot"]["tone"]["value"] == pytest.approx(np.mean(x), abs=1e-6)
    assert set(rep["strata"]["difficulty"]) == {"easy", "hard"}


def test_bootstrap_interval_agrees_with_the_t_interval():
    rng = np.random.default_rng(0)
    x = rng.normal(3.4, 0.9, size=400)
    est = mean_ci(x, samples=4000, seed=0, key="t-check")
    lo, hi = sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
    width = hi - lo
    assert est["ci"][0] == pytest.approx(lo, abs=0.06 * width)
    assert est["ci"][1] == pytest.approx(hi, abs=0.06 * width)
    again = mean_ci(x, samples=4000, seed=0, key="t-check")
    assert again == est  # the same seed, the same interval
    assert mean_ci(np.array([4.0, 4.0, 4.0]), samples=100, seed=0, key="k")["ci"] == [4.0, 4.0]
    assert mean_ci(np.array([4.0]), samples=100, seed=0, key="k")["ci"] is None


def sign_test_by_hand(wins: int, losses: int) -> float:
    n, k = wins + losses, min(wins, losses)
    tail = sum(math.comb(n, j) for j in range(k + 1)) / 2**n
    return min(1.0, 2 * tail) if wins != losses else 1.0


def test_pairwise_wins_sign_test_and_bh(data):
    rows, _, _, rep = data
    im = item_means(rows)
    pvalues = []
    for r in rep["pairwise"]:
        diffs = [im[(i, r["a"], r["dimension"])] - im[(i, r["b"], r["dimension"])]
                 for i in {k[0] for k in im}]
        wins = sum(d > 1e-9 for d in diffs)
        losses = sum(d < -1e-9 for d in diffs)
        assert (r["wins"], r["losses"], r["ties"]) == (wins, losses, len(diffs) - wins - losses)
        assert r["win_rate"] + r["tie_rate"] + r["loss_rate"] == pytest.approx(1.0, abs=1e-5)
        assert r["sign_test_p"] == pytest.approx(sign_test_by_hand(wins, losses), rel=1e-5, abs=1e-6)
        assert r["mean_difference"]["value"] == pytest.approx(np.mean(diffs), abs=1e-6)
        pvalues.append(r["sign_test_p"])
    assert len(rep["pairwise"]) == 3 * 3  # three pairs, two dimensions and the overall score
    # Benjamini-Hochberg by hand: p * m / rank, made monotone from the largest p down
    m = len(pvalues)
    order = np.argsort(pvalues)
    q = np.empty(m)
    running = 1.0
    for rank in range(m, 0, -1):
        idx = order[rank - 1]
        running = min(running, pvalues[idx] * m / rank)
        q[idx] = running
    assert [r["q"] for r in rep["pairwise"]] == pytest.approx(list(q), abs=2e-6)
    best = next(r for r in rep["pairwise"] if (r["a"], r["b"], r["dimension"]) == ("finetuned-v3", "legacy-bot", "overall"))
    assert best["win_rate"] > 0.8 and best["q"] < 0.001


def test_alpha_matches_the_krippendorff_package(data):
    rows, prefs, _, rep = data
    units = sorted({(r["item"], r["system"]) for r in rows})
    col = {u: k for k, u in enumerate(units)}
    for d in DIMS:
        matrix = np.full((len(REVIEWERS), len(units)), np.nan)
        for r in rows:
            if r["dimension"] == d:
                matrix[REVIEWERS.index(r["reviewer"]), col[(r["item"], r["system"])]] = r["rating"]
        expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="ordinal")
        got = rep["agreement"][d]
        assert got["level"] == "ordinal" and got["units_compared"] == len(units)
        assert got["alpha"]["value"] == pytest.approx(expected, abs=1e-5)
        assert got["alpha"]["ci"][0] < got["alpha"]["value"] < got["alpha"]["ci"][1]
    items = sorted({p["item"] for p in prefs})
    codes = {"finetuned-v3": 1, "base-prompted": 2, None: 3}
    matrix = np.full((len(REVIEWERS), len(items)), np.nan)
    for p in prefs:
        matrix[REVIEWERS.index(p["reviewer"]), items.index(p["item"])] = codes[p["choice"]]
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    assert rep["agreement"]["preference"]["alpha"]["value"] == pytest.approx(expected, abs=1e-5)


def test_preference_shares(data):
    _, prefs, _, rep = data
    pref = rep["preference"]
    picked = [p["choice"] for p in prefs if p["choice"] is not None]
    assert pref["answers"] == len(prefs) and pref["none"] == len(prefs) - len(picked)
    for s in SYSTEMS:
        assert pref["systems"][s]["count"] == picked.count(s)
        assert pref["systems"][s]["share"] == pytest.approx(picked.count(s) / len(picked), abs=1e-6)


def test_a_single_dimension_has_no_overall_and_pairs_need_shared_items():
    # systems named like the table's own columns (a ratings file may name them anything)
    ratings = pl.DataFrame([
        {"item": i, "system": s, "reviewer": "ann", "dimension": "accuracy", "rating": float(v)}
        for i, s, v in [("x", "item", 5), ("x", "score", 3), ("y", "item", 4), ("z", "score", 2)]
    ])
    rep = human_report(ratings, samples=0)
    assert set(rep["means"]["item"]) == {"accuracy"} and rep["means"]["item"]["accuracy"]["ci"] is None
    (pair,) = rep["pairwise"]
    assert (pair["a"], pair["b"]) == ("item", "score")
    assert (pair["items"], pair["wins"], pair["ties"], pair["losses"]) == (1, 1, 0, 0)
    assert pair["sign_test_p"] == 1.0
