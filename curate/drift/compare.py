"""``curate drift``'s comparison: the figures, the decision, and the next labeling batch.

:func:`measure` works on vectors, cluster ids and strata only, so the benchmark runs the
very code the command runs; :func:`compare` adds what needs the records (topic names,
ids) and the run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from curate.drift.config import DriftConfig
from curate.drift.measure import Novelty, Shift, assign, centroids_of, novelty, per_stratum, shift
from curate.drift.reference import Reference, describe
from curate.drift.topics import new_topics
from curate.embed.inputs import embed_inputs
from curate.embed.vectors import to_numpy
from curate.select.stage import MISSING, field_values

#: strata looked for when neither drift.stratify_by nor select.stratify_by names one
STRATA_FIELDS = ("category", "intent")
#: the sampling null's p-value under which a cluster-share shift counts
SHIFT_P = 0.01


@dataclass
class Measured:
    novelty: Novelty
    shift: Shift
    new_clusters: np.ndarray
    strata: list | None
    drift: bool
    reasons: list[str]
    decided: bool


def measure(train: np.ndarray, held_out: np.ndarray, ref_clusters: np.ndarray, new: np.ndarray, cfg: DriftConfig, *,
            ref_strata: np.ndarray | None = None, new_strata: np.ndarray | None = None,
            ref_vectors: np.ndarray | None = None) -> Measured:
    """Novelty of ``new`` against ``train`` (calibrated on ``held_out``), the shift of the
    cluster shares of ``new`` (assigned to the nearest centroid of the reference
    clusters) against ``ref_clusters``, per stratum when strata are given, and the
    decision. ``ref_vectors`` are the rows ``ref_clusters`` label (default: train, then
    held_out)."""
    ref_x = ref_vectors if ref_vectors is not None else np.concatenate([train, held_out])
    nov = novelty(train, new, cfg.quantile, held_out=held_out, calibrate=cfg.calibrate)
    ids, cents = centroids_of(ref_x, ref_clusters)
    new_clusters = assign(new, ids, cents)
    sh = shift(ref_clusters[ref_clusters >= 0], new_clusters, ids, seed=cfg.seed)
    strata = None
    if ref_strata is not None and new_strata is not None:
        strata = per_stratum(ref_strata, ref_clusters, new_strata, new_clusters, nov.novel, ids,
                             min_new=cfg.min_stratum, seed=cfg.seed)
    reasons = []
    if nov.share > cfg.novelty_threshold:
        reasons.append(f"novel share {nov.share:.1%} > {cfg.novelty_threshold:.1%}")
    if sh.jsd > cfg.jsd_threshold and sh.p_value < SHIFT_P:
        reasons.append(f"cluster-share JSD {sh.jsd:.3f} > {cfg.jsd_threshold:.3f} (p {sh.p_value:.3f})")
    decided = new.shape[0] >= cfg.min_records
    return Measured(nov, sh, new_clusters, strata, bool(reasons) and decided, reasons, decided)


def strata_field(cfg: DriftConfig, select_cfg: dict[str, Any], ref: Reference, new: pl.DataFrame) -> str | None:
    """The field whose values are strata (None: none)."""
    if cfg.stratify_by:
        return cfg.stratify_by
    if select_cfg.get("stratify_by"):
        return str(select_cfg["stratify_by"])
    for f in STRATA_FIELDS:
        if any(v != MISSING for v in field_values(ref.frame, f)) and any(v != MISSING for v in field_values(new, f)):
            return f
    return None


def compare(ref: Reference, new: pl.DataFrame, cfg: DriftConfig, *, select_cfg: dict[str, Any] | None = None,
            backend: str = "sklearn") -> tuple[dict[str, Any], Measured]:
    """The drift report of the embedded new records ``new`` against ``ref`` (a JSON-able
    dict: figures, decision, new topics) and the raw measurements."""
    x = to_numpy(new["embedding"]) if new.height else np.zeros((0, ref.vectors.shape[1]), np.float32)
    field = strata_field(cfg, select_cfg or {}, ref, new)
    ref_strata = np.asarray(field_values(ref.frame, field), dtype=object) if field else None
    new_strata = np.asarray(field_values(new, field), dtype=object) if field else None
    m = measure(ref.train_vectors, ref.held_out_vectors, ref.clusters, x, cfg, ref_strata=ref_strata,
                new_strata=new_strata, ref_vectors=ref.vectors)
    nov, sh = m.novelty, m.shift
    novel_rows = np.flatnonzero(nov.novel)
    topics: list[dict[str, Any]] = []
    if novel_rows.size:
        sub = new[novel_rows.tolist()]
        topics = new_topics(x[novel_rows], embed_inputs(sub, "request"), sub["id"].to_list(), topics=cfg.topics,
                            terms=cfg.terms, seed=cfg.seed, backend=backend)
    shift_d = sh.as_dict()
    for c in shift_d["largest_changes"]:
        c["terms"] = ref.cluster_terms.get(c["cluster"], [])
    out: dict[str, Any] = {
        "records": int(new.height),
        "reference": describe(ref),
        "settings": cfg.model_dump(mode="json"),
        "novelty": {
            "share": round(nov.share, 4), "novel": int(nov.novel.sum()), "quantile": cfg.quantile,
            "distance_threshold": round(nov.threshold, 4), "calibration": nov.calibration,
            "calibration_size": nov.calibration_size, "threshold": cfg.novelty_threshold,
            "median_distance": round(float(np.median(nov.distances)), 4) if nov.distances.size else None,
        },
        "shift": {**shift_d, "threshold": cfg.jsd_threshold},
        "strata": None,
        "topics": topics,
        "drift": m.drift,
        "decided": m.decided,
        "reasons": m.reasons,
    }
    if field and m.strata is not None:
        ref_vals = set(ref_strata.tolist())
        out["strata"] = {
            "field": field,
            "values": [
                {"value": s.value, "reference": s.reference, "new": s.new,
                 "novel_share": round(s.novel_share, 4) if s.novel_share is not None else None,
                 "jsd": s.jsd, "p_value": s.p_value, "scored": s.scored,
                 "drift": bool(s.scored and ((s.novel_share or 0) > cfg.novelty_threshold
                                             or ((s.jsd or 0) > cfg.jsd_threshold and (s.p_value or 1) < SHIFT_P)))}
                for s in m.strata
            ],
            "unseen": sorted({v for v in new_strata.tolist() if v not in ref_vals and v != MISSING}),
        }
    return out, m
