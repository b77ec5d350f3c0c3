"""Locality-sensitive hashing over MinHash signatures: bands chosen for recall, candidate
pairs from sorted band keys, verification by estimated Jaccard.

A signature of ``bands x rows`` values is cut into bands; two documents are candidates
when every value of at least one band agrees, which happens with probability
``1 - (1 - J^rows)^bands`` for Jaccard similarity ``J``. datasketch's ``MinHashLSH``
picks the split that balances false positives and false negatives, which misses many
pairs just above the threshold (0.76 recall at 0.8 with 128 permutations on planted
duplicates here); :func:`choose_bands` instead asks for a recall at the threshold and
leaves precision to verification.

Buckets are found by sorting each band's keys (numpy ``argsort``): the same candidate
pairs as ``MinHashLSH`` insert + query, without a Python object per document. A bucket
holding many documents (a template instantiated thousands of times) would give a
quadratic number of pairs, so a large bucket links each member only to its ``window``
neighbours and to the bucket's best-ranked member: enough to connect the group and to
reach the record most likely kept.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from curate.dedupe.shingles import fmix64

_U64 = np.uint64


def candidate_probability(j: float | np.ndarray, bands: int, rows: int) -> float | np.ndarray:
    """Probability that two documents with Jaccard ``j`` share a band."""
    return 1.0 - (1.0 - np.power(j, rows)) ** bands


def choose_bands(threshold: float, num_perm: int, recall: float = 0.99) -> tuple[int, int]:
    """``(bands, rows)`` with ``bands * rows <= num_perm``: the most rows per band (the
    fewest dissimilar candidates) for which some number of bands still makes a pair at
    exactly ``threshold`` a candidate with probability ``recall``; the fewest such bands.
    Falls back to one row per band when even that cannot reach ``recall``."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must be in (0, 1]")
    if not 0.0 < recall < 1.0:
        raise ValueError("recall must be in (0, 1)")
    if threshold >= 1.0:
        return 1, num_perm
    for rows in range(num_perm, 0, -1):
        p = threshold**rows
        if p <= 0.0:
            continue
        bands = math.ceil(math.log1p(-recall) / math.log1p(-p)) if p < 1.0 else 1
        if bands * rows <= num_perm:
            return max(bands, 1), rows
    return num_perm, 1


def band_keys(sigs: np.ndarray, band: int, rows: int) -> np.ndarray:
    """One 64-bit key per signature for band ``band`` (rows ``band*rows`` onwards)."""
    cols = sigs[:, band * rows : (band + 1) * rows].astype(_U64)
    key = np.zeros(sigs.shape[0], dtype=_U64)
    for c in range(rows):
        key = fmix64(key ^ cols[:, c] ^ _U64(c << 32))
    return key


@dataclass
class CandidateStats:
    bands: int
    rows: int
    buckets: int = 0  # buckets with two or more documents, over all bands
    largest_bucket: int = 0
    pairs_generated: int = 0  # before removing pairs found in several bands
    pairs: int = 0


def _bucket_pairs(keys: np.ndarray, rank: np.ndarray, window: int, stats: CandidateStats) -> Iterator[np.ndarray]:
    """Pairs ``(i, j)`` (as an (m, 2) int64 array, i < j) of documents sharing a key."""
    order = np.lexsort((rank, keys))
    k = keys[order]
    same_next = k[1:] == k[:-1]
    if not same_next.any():
        return
    # run boundaries: a bucket is a maximal run of equal keys
    starts_mask = np.ones(k.size, dtype=bool)
    starts_mask[1:] = ~same_next
    run_start_idx = np.flatnonzero(starts_mask)
    run_len = np.diff(np.append(run_start_idx, k.size))
    multi = run_len > 1
    stats.buckets += int(multi.sum())
    stats.largest_bucket = max(stats.largest_bucket, int(run_len.max()))
    # only positions inside buckets of two or more matter
    member = np.repeat(multi, run_len)
    pos = np.flatnonzero(member)
    sub_order = order[pos]
    sub_keys = k[pos]
    bucket_start = np.repeat(run_start_idx[multi], run_len[multi])  # in k coordinates
    sub_first = order[bucket_start]  # the best-ranked member of each position's bucket
    longest = int(run_len.max())
    for d in range(1, min(longest, window + 1)):
        ok = sub_keys[d:] == sub_keys[:-d]
        if not ok.any():
            break
        a = sub_order[:-d][ok]
        b = sub_order[d:][ok]
        yield np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1)
    if longest > window + 1:
        # members of large buckets beyond the window: link to the bucket's best-ranked
        offset_in_bucket = pos - bucket_start
        far = offset_in_bucket > window
        if far.any():
            a = sub_first[far]
            b = sub_order[far]
            yield np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1)


def candidate_pairs(
    sigs: np.ndarray,
    bands: int,
    rows: int,
    rank: np.ndarray | None = None,
    window: int = 64,
    valid: np.ndarray | None = None,
) -> tuple[np.ndarray, CandidateStats]:
    """Unique candidate pairs ``(i, j)``, i < j, of rows of ``sigs`` that agree on a band.

    ``rank`` orders members within a bucket (lower first; default: row order); ``valid``
    masks out rows that take no part (documents with no shingles)."""
    n = sigs.shape[0]
    stats = CandidateStats(bands=bands, rows=rows)
    if bands * rows > sigs.shape[1]:
        raise ValueError(f"bands x rows = {bands * rows} exceeds the {sigs.shape[1]} permutations")
    if rank is None:
        rank = np.arange(n, dtype=np.int64)
    idx = np.arange(n, dtype=np.int64) if valid is None else np.flatnonzero(valid)
    if idx.size < 2:
        return np.zeros((0, 2), np.int64), stats
    sub = sigs[idx] if valid is not None else sigs
    sub_rank = rank[idx]
    codes: list[np.ndarray] = []
    for band in range(bands):
        keys = band_keys(sub, band, rows)
        band_codes = [p[:, 0] * n + p[:, 1] for p in _map_pairs(_bucket_pairs(keys, sub_rank, window, stats), idx)]
        if band_codes:
            c = np.unique(np.concatenate(band_codes))
            stats.pairs_generated += sum(x.size for x in band_codes)
            codes.append(c)
        # merge as we go: memory stays at the unique pairs, not bands x pairs
        if len(codes) > 4:
            codes = [np.unique(np.concatenate(codes))]
    if not codes:
        return np.zeros((0, 2), np.int64), stats
    uniq = np.unique(np.concatenate(codes))
    stats.pairs = int(uniq.size)
    return np.stack([uniq // n, uniq % n], axis=1), stats


def _map_pairs(pairs: Iterator[np.ndarray], idx: np.ndarray) -> Iterator[np.ndarray]:
    for p in pairs:
        yield idx[p]


def estimate_pairs(sigs: np.ndarray, pairs: np.ndarray, chunk: int = 1 << 15) -> np.ndarray:
    """Estimated Jaccard of each pair: the share of equal signature values (float32)."""
    out = np.empty(pairs.shape[0], dtype=np.float32)
    num_perm = sigs.shape[1]
    for s in range(0, pairs.shape[0], chunk):
        p = pairs[s : s + chunk]
        eq = sigs[p[:, 0]] == sigs[p[:, 1]]
        out[s : s + chunk] = eq.sum(axis=1, dtype=np.int32) / np.float32(num_perm)
    return out


def estimate_margin(threshold: float, num_perm: int, z: float = 3.0) -> float:
    """``z`` standard errors of a Jaccard estimate near ``threshold``."""
    return z * math.sqrt(max(threshold * (1.0 - threshold), 1e-4) / num_perm)
