"""The reports as JSON: the human evaluation (``curate eval report``) and the automatic
metrics (``curate eval score``). Both hold figures, ids and names only, never the text of
an item or an output."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from curate import __version__
from curate.evaluation import stats
from curate.evaluation.benchmark import Item
from curate.evaluation.metrics import METRICS, embedding_similarity, text_scores
from curate.run import now_iso

SCHEMA_VERSION = 1
REPORT_FILE = "report.json"


def _ordered(values: list[str], first: list[str] | None) -> list[str]:
    """``first`` (those present) in its order, then the rest sorted."""
    present = set(values)
    head = [v for v in (first or []) if v in present]
    return head + sorted(present - set(head))


def human_report(
    ratings: pl.DataFrame,
    *,
    preferences: pl.DataFrame | None = None,
    strata: dict[str, dict[str, str]] | None = None,
    systems: list[str] | None = None,
    dimensions: list[str] | None = None,
    scale: list[int] | None = None,
    samples: int = 1000,
    seed: int = 0,
    source: dict[str, Any] | None = None,
    notes: list[str] | None = None,
) -> dict[str, Any]:
    """The human evaluation's report from its ratings (see :mod:`curate.evaluation.stats`)."""
    systems = _ordered(ratings.get_column("system").unique().to_list(), systems)
    dims = _ordered(ratings.get_column("dimension").unique().to_list(), dimensions)
    scores = stats.item_scores(ratings) if ratings.height else pl.DataFrame(
        schema={"item": pl.Utf8, "system": pl.Utf8, "dimension": pl.Utf8, "score": pl.Float64, "raters": pl.UInt32})
    with_overall = dims + ([stats.OVERALL] if len(dims) > 1 and stats.OVERALL not in dims else [])
    rated = ratings.get_column("item").unique().to_list()
    per_item = (ratings.group_by("item").agg(pl.col("reviewer").n_unique().alias("n"))
                if ratings.height else pl.DataFrame(schema={"item": pl.Utf8, "n": pl.UInt32}))
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "generated_by": f"curate {__version__}",
        "generated_at": now_iso(),
        "source": source or {},
        "systems": systems,
        "dimensions": dims,
        "scale": list(scale) if scale else None,
        "items": len(rated),
        "reviewers": int(ratings.get_column("reviewer").n_unique()) if ratings.height else 0,
        "ratings": int(ratings.height),
        "reviewers_per_item": {
            "min": int(per_item.get_column("n").min()) if per_item.height else 0,
            "max": int(per_item.get_column("n").max()) if per_item.height else 0,
        },
        "bootstrap": {"samples": samples, "seed": seed, "level": 0.95},
        "means": stats.means(scores, systems, with_overall, samples=samples, seed=seed),
        "strata": stats.by_stratum(scores, {i: s for i, s in (strata or {}).items() if i in set(rated)}, systems,
                                   with_overall, samples=samples, seed=seed) if strata else {},
        "pairwise": stats.pairwise(scores, systems, with_overall, samples=samples, seed=seed),
        "agreement": stats.agreement(ratings, dims, preferences, samples=samples, seed=seed),
        "preference": stats.preference_summary(preferences, systems),
        "notes": list(notes or []),
    }
    return report


def score_report(
    items: list[Item],
    predictions: dict[str, dict[str, str]],
    *,
    embedder: Any | None,
    model_name: str | None,
    strata_fields: list[str],
    samples: int = 1000,
    seed: int = 0,
    benchmark: str | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The automatic metrics of every system, overall and per stratum, and the per-item
    rows (``id, system`` and one number per metric)."""
    systems = list(predictions)
    refs = [it.reference for it in items]
    ids = [it.id for it in items]
    ref_vecs = embedder.embed(refs) if embedder is not None else None
    per_system: dict[str, dict[str, np.ndarray]] = {}
    for s in systems:
        outs = [predictions[s][i] for i in ids]
        values = text_scores(outs, refs)
        if embedder is not None:
            values["embedding_similarity"] = embedding_similarity(embedder, outs, ref_vecs)
        per_system[s] = values
    metrics = [m for m in METRICS if m in per_system[systems[0]]]

    def summary(mask: np.ndarray, scope: str) -> dict[str, dict[str, Any]]:
        return {s: {m: stats.mean_ci(per_system[s][m][mask], samples=samples, seed=seed, key=f"{scope}|{s}|{m}")
                    for m in metrics} for s in systems}

    everything = np.ones(len(items), dtype=bool)
    strata: dict[str, dict[str, Any]] = {}
    for f in strata_fields:
        values = np.array([it.stratum(f) for it in items], dtype=object)
        strata[f] = {}
        for v in sorted(set(values.tolist())):
            mask = values == v
            strata[f][v] = {"items": int(mask.sum()), "metrics": summary(mask, f"{f}={v}")}
    report = {
        "schema_version": SCHEMA_VERSION,
        "generated_by": f"curate {__version__}",
        "generated_at": now_iso(),
        "benchmark": benchmark,
        "items": len(items),
        "systems": systems,
        "metrics": metrics,
        "embedding_model": model_name if embedder is not None else None,
        "tokenizer": "letters and digits of every script, NFKC, case-folded (rouge-score with curate's tokenizer)",
        "bootstrap": {"samples": samples, "seed": seed, "level": 0.95},
        "scores": summary(everything, "all"),
        "strata": strata,
    }
    rows = [
        {"id": item_id, "system": s, **{m: round(float(per_system[s][m][k]), 6) for m in metrics}}
        for s in systems for k, item_id in enumerate(ids)
    ]
    return report, rows
