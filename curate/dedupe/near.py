"""Near duplicates from the signatures alone: the dedupe stage's global step.

Candidate pairs come from LSH bands (:func:`curate.dedupe.lsh.candidate_pairs`); each
band's pairs whose estimate cannot reach the threshold are dropped as they are made.
:func:`decide_pairs` is the one rule that turns a candidate into a duplicate pair: its
estimated Jaccard (the share of equal signature values) is at or above the threshold,
except that with ``verify: exact`` a pair whose estimate lies within the verification
margin of the threshold is decided on its true shingle Jaccard, which the caller computes
from those records' texts only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from curate.dedupe import lsh
from curate.dedupe.config import DedupeConfig

#: true Jaccard of node pairs (an (m, 2) array), from the records' shingle sets
ExactJaccard = Callable[[np.ndarray], np.ndarray]


@dataclass
class PairDecision:
    accept: np.ndarray  # bool per pair
    similarity: np.ndarray  # float32 per pair: the true Jaccard where checked, else the estimate
    checked: int = 0  # pairs decided on their true Jaccard


def margin(cfg: DedupeConfig) -> float:
    """How far from the threshold an estimate may be and still be verified exactly."""
    return lsh.estimate_margin(cfg.threshold, cfg.num_perm) if cfg.verify == "exact" else 0.0


def decide_pairs(pairs: np.ndarray, estimate: np.ndarray, cfg: DedupeConfig, exact: ExactJaccard | None) -> PairDecision:
    """Which candidate ``pairs`` (with their ``estimate``) are duplicates (see the module doc)."""
    threshold = np.float32(cfg.threshold)
    accept = estimate >= threshold
    sim = estimate.astype(np.float32, copy=True)
    checked = 0
    if cfg.verify == "exact" and exact is not None and pairs.shape[0]:
        border = np.abs(estimate - threshold) < margin(cfg)
        if border.any():
            true_j = exact(pairs[border])
            accept[border] = true_j >= cfg.threshold
            sim[border] = true_j
            checked = int(border.sum())
    return PairDecision(accept, sim, checked)


@dataclass
class NearDuplicates:
    pairs: np.ndarray  # (m, 2) int64 node pairs, confirmed
    similarity: np.ndarray  # float32 per pair
    info: dict[str, Any] = field(default_factory=dict)


def near_duplicates(
    sig: np.ndarray, empty: np.ndarray, rank: np.ndarray, cfg: DedupeConfig, exact: ExactJaccard | None,
    lap: Callable[[str], None] | None = None,
) -> NearDuplicates:
    """Duplicate pairs among the rows of ``sig`` (one signature per distinct text, a node);
    ``empty`` nodes (no shingle) take no part; ``rank`` orders a bucket's members (the keep
    policy: a large bucket links its members to its best-ranked one). ``lap(phase)`` marks
    the end of the ``candidates`` and ``verify`` phases."""
    lap = lap or (lambda _: None)
    bands, rows = cfg.lsh_params()
    # a pair whose estimate is below this is rejected whatever the verification, so it is
    # dropped as soon as it is made (templated data makes millions of them)
    floor = np.float32(cfg.threshold - margin(cfg))

    def plausible(p: np.ndarray) -> np.ndarray:
        return lsh.estimate_pairs(sig, p) >= floor

    pairs, stats = lsh.candidate_pairs(sig, bands, rows, rank=rank, valid=~empty, keep=plausible)
    lap("candidates")
    decision = decide_pairs(pairs, lsh.estimate_pairs(sig, pairs), cfg, exact)
    edges = pairs[decision.accept]
    lap("verify")
    info = {
        "empty_texts": int(empty.sum()),
        "bands": bands,
        "rows": rows,
        "recall_at_threshold": round(float(lsh.candidate_probability(cfg.threshold, bands, rows)), 4),
        "buckets": stats.buckets,
        "largest_bucket": stats.largest_bucket,
        # unique pairs sharing a band whose estimate can reach the threshold
        "candidate_pairs": int(pairs.shape[0]),
        # pairs made from the buckets (once per band that made them) and, of those, the
        # ones dropped at once for an estimate below the threshold
        "band_pairs": stats.pairs_generated,
        "band_pairs_pruned": stats.pairs_pruned,
        "exact_checked_pairs": decision.checked,
        "duplicate_pairs": int(edges.shape[0]),
    }
    return NearDuplicates(edges, decision.similarity[decision.accept], info)


def true_jaccard(sets: dict[int, np.ndarray], pairs: np.ndarray) -> np.ndarray:
    """Jaccard of the (sorted, distinct) shingle sets of each pair of nodes."""
    out = np.empty(pairs.shape[0], dtype=np.float64)
    for k, (a, b) in enumerate(pairs.tolist()):
        sa, sb = sets[a], sets[b]
        inter = np.intersect1d(sa, sb, assume_unique=True).size
        union = sa.size + sb.size - inter
        out[k] = inter / union if union else 1.0
    return out
