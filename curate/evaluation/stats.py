"""The statistics of a human evaluation (docs/evaluation.md, "Statistics").

Input: one row per rating (``item, system, reviewer, dimension, rating``). An item's score
for a system on a dimension is the mean of its reviewers' ratings; everything below works
on those item scores, so an item counts once however many people rated it.

- **Means** per system and dimension with a 95% percentile bootstrap interval over items
  (``scipy.stats.bootstrap``), overall and per stratum.
- **Pairwise**: for two systems, on the items both were rated on, the share of items each
  wins, ties and loses; the mean difference with a paired bootstrap interval; a two-sided
  **sign test** (``scipy.stats.binomtest`` on wins against losses, ties left out) and the
  Benjamini-Hochberg adjustment over all the pairwise tests of the report
  (``scipy.stats.false_discovery_control``). Why a sign test: docs/evaluation.md.
- **Agreement** between raters per dimension: Krippendorff's alpha (ordinal) from
  ``curate.agreement``, the units being (item, system) pairs.
- **Preference**: how often each system's output was picked as the best.

``overall`` is the mean of an item's dimension scores (only with two or more dimensions).
"""

from __future__ import annotations

import zlib
from itertools import combinations
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

OVERALL = "overall"
NO_PREFERENCE = "none"
#: two item scores closer than this are a tie (means of a few ratings are exact fractions)
TIE_TOLERANCE = 1e-9
UNIT_SEPARATOR = "\x1f"

RATING_SCHEMA = {
    "item": pl.Utf8, "system": pl.Utf8, "reviewer": pl.Utf8, "dimension": pl.Utf8, "rating": pl.Float64,
}
PREFERENCE_SCHEMA = {"item": pl.Utf8, "reviewer": pl.Utf8, "choice": pl.Utf8}


def _rng(seed: int, key: str) -> np.random.Generator:
    """A random stream per statistic: the same seed and key give the same interval, and one
    statistic's interval does not depend on which others were computed before it."""
    return np.random.default_rng([int(seed), zlib.crc32(key.encode("utf-8"))])


def mean_ci(x: np.ndarray, *, samples: int, seed: int, key: str, level: float = 0.95) -> dict[str, Any]:
    """``{"value", "ci", "items"}``: the mean of ``x`` and its percentile bootstrap interval
    (None with fewer than two values or no resampling)."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    if n == 0:
        return {"value": None, "ci": None, "items": 0}
    value = float(x.mean())
    ci = None
    if n >= 2 and samples > 0:
        if np.ptp(x) == 0:
            ci = [value, value]  # every resample has the same mean
        else:
            res = stats.bootstrap((x,), np.mean, n_resamples=samples, confidence_level=level, method="percentile",
                                  vectorized=True, rng=_rng(seed, key))
            ci = [float(res.confidence_interval.low), float(res.confidence_interval.high)]
    return {"value": _r(value), "ci": [_r(c) for c in ci] if ci else None, "items": n}


def _r(x: float | None, digits: int = 6) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), digits)


def item_scores(ratings: pl.DataFrame) -> pl.DataFrame:
    """``item, system, dimension, score, raters``: the mean rating of each output on each
    dimension, plus ``overall`` (the mean over dimensions) when there are several."""
    per = (ratings.group_by("item", "system", "dimension")
           .agg(pl.col("rating").mean().alias("score"), pl.col("reviewer").n_unique().alias("raters")))
    dims = ratings.get_column("dimension").unique().to_list()
    if len(dims) > 1 and OVERALL not in dims:
        overall = (per.group_by("item", "system")
                   .agg(pl.col("score").mean(), pl.col("raters").min())
                   .with_columns(pl.lit(OVERALL).alias("dimension")))
        per = pl.concat([per, overall.select(per.columns)])
    return per.sort("item", "system", "dimension")


def means(scores: pl.DataFrame, systems: list[str], dimensions: list[str], *, samples: int, seed: int,
          scope: str = "all") -> dict[str, dict[str, dict[str, Any]]]:
    """``{system: {dimension: estimate}}`` over the items in ``scores``."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for s in systems:
        out[s] = {}
        for d in dimensions:
            x = scores.filter((pl.col("system") == s) & (pl.col("dimension") == d)).get_column("score").to_numpy()
            out[s][d] = mean_ci(x, samples=samples, seed=seed, key=f"mean|{scope}|{s}|{d}")
    return out


def by_stratum(scores: pl.DataFrame, strata: dict[str, dict[str, str]], systems: list[str], dimensions: list[str],
               *, samples: int, seed: int) -> dict[str, dict[str, Any]]:
    """``{field: {value: {"items": n, "means": {system: {dimension: estimate}}}}}``;
    ``strata`` maps each item to its ``{field: value}``."""
    fields: dict[str, None] = {}
    for st in strata.values():
        for f in st:
            fields.setdefault(f, None)
    out: dict[str, dict[str, Any]] = {}
    for f in fields:
        groups: dict[str, list[str]] = {}
        for item, st in strata.items():
            groups.setdefault(str(st.get(f, "(none)")), []).append(item)
        out[f] = {}
        for value in sorted(groups):
            sub = scores.filter(pl.col("item").is_in(groups[value]))
            if sub.height == 0:
                continue
            out[f][value] = {
                "items": int(sub.get_column("item").n_unique()),
                "means": means(sub, systems, dimensions, samples=samples, seed=seed, scope=f"{f}={value}"),
            }
    return out


def pairwise(scores: pl.DataFrame, systems: list[str], dimensions: list[str], *, samples: int,
             seed: int) -> list[dict[str, Any]]:
    """Win/tie/loss of every pair of systems per dimension, with the sign test and the
    Benjamini-Hochberg adjusted p-value (``q``) over all rows."""
    rows: list[dict[str, Any]] = []
    for d in dimensions:
        # {system: {item: score}}; a system may have any name, so no pivot into columns
        by_system: dict[str, dict[str, float]] = {}
        for item, system, score in scores.filter(pl.col("dimension") == d).select("item", "system", "score").iter_rows():
            by_system.setdefault(system, {})[item] = score
        for a, b in combinations(systems, 2):
            if a not in by_system or b not in by_system:
                continue
            shared = sorted(by_system[a].keys() & by_system[b].keys())
            diff = np.array([by_system[a][i] - by_system[b][i] for i in shared], dtype=np.float64)
            n = len(diff)
            wins = int((diff > TIE_TOLERANCE).sum())
            losses = int((diff < -TIE_TOLERANCE).sum())
            ties = n - wins - losses
            decided = wins + losses
            p = float(stats.binomtest(wins, decided, 0.5).pvalue) if decided else None
            rows.append({
                "a": a, "b": b, "dimension": d, "items": n, "wins": wins, "ties": ties, "losses": losses,
                "win_rate": _r(wins / n) if n else None, "tie_rate": _r(ties / n) if n else None,
                "loss_rate": _r(losses / n) if n else None,
                "mean_difference": mean_ci(diff, samples=samples, seed=seed, key=f"diff|{a}|{b}|{d}"),
                "sign_test_p": _r(p), "q": None,
            })
    tested = [r for r in rows if r["sign_test_p"] is not None]
    if tested:
        q = stats.false_discovery_control([r["sign_test_p"] for r in tested], method="bh")
        for r, v in zip(tested, q):
            r["q"] = _r(float(v))
    return rows


def agreement(ratings: pl.DataFrame, dimensions: list[str], preferences: pl.DataFrame | None, *, samples: int,
              seed: int) -> dict[str, dict[str, Any]]:
    """Krippendorff's alpha (ordinal) per dimension over (item, system) units, with exact
    agreement and agreement within one scale step; the preference's nominal alpha."""
    from curate.agreement.compute import compute_agreement

    if ratings.height == 0:
        return {}
    rating = pl.col("rating")
    # 4.0 -> "4": ordinal categories as people wrote them
    as_text = pl.when(rating == rating.round(0)).then(rating.cast(pl.Int64).cast(pl.Utf8)).otherwise(rating.cast(pl.Utf8))
    parts = [ratings.select(
        pl.concat_str([pl.col("item"), pl.col("system")], separator=UNIT_SEPARATOR).alias("record_id"),
        "reviewer", pl.col("dimension").alias("field"), as_text.alias("value"),
    )]
    levels = {d: "ordinal" for d in dimensions}
    if preferences is not None and preferences.height and "preference" not in levels:
        parts.append(preferences.select(
            pl.col("item").alias("record_id"), "reviewer", pl.lit("preference").alias("field"),
            pl.col("choice").fill_null(NO_PREFERENCE).alias("value"),
        ))
        levels["preference"] = "nominal"
    labels = pl.concat(parts)
    report = compute_agreement(labels, levels, bootstrap=samples, seed=seed, verdict_field=None)
    out: dict[str, dict[str, Any]] = {}
    for name, f in report["fields"].items():
        entry = {
            "level": f.get("level"),
            "units_compared": f.get("items_compared"),
            "ratings": f.get("ratings"),
            "reviewers": f.get("reviewers"),
            "alpha": f.get("krippendorff_alpha"),
            "exact_agreement": f.get("percent_agreement"),
        }
        if f.get("level") == "ordinal":
            entry["within_one"] = f.get("within_tolerance")
        if f.get("notes"):
            entry["notes"] = f["notes"]
        out[name] = entry
    return out


def preference_summary(preferences: pl.DataFrame | None, systems: list[str]) -> dict[str, Any] | None:
    """How often each system's output was picked as the best (``none``: no preference)."""
    if preferences is None or preferences.height == 0:
        return None
    counts = dict(preferences.get_column("choice").fill_null(NO_PREFERENCE).value_counts().iter_rows())
    total = int(preferences.height)
    picked = total - int(counts.get(NO_PREFERENCE, 0))
    return {
        "answers": total,
        "items": int(preferences.get_column("item").n_unique()),
        "none": int(counts.get(NO_PREFERENCE, 0)),
        "systems": {s: {"count": int(counts.get(s, 0)), "share": _r(counts.get(s, 0) / picked) if picked else None}
                    for s in systems},
    }
