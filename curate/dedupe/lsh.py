"""Locality-sensitive hashing over MinHash signatures: bands chosen for recall, candidate
pairs from sorted band keys, verification by estimated Jaccard.

A signature of ``bands x rows`` values is cut into bands; two documents are candidates
when every value of at least one band agrees, which happens with probability
``1 - (1 - J^rows)^bands`` for Jaccard similarity ``J``. datasketch's ``MinHashLSH``
picks the split that balances false positives and false negatives: for 0.8 and 128
permutations, 9 bands of 13 rows, which makes a pair at exactly 0.8 a candidate 40% of the
time (0.70 recall on the planted duplicates of ``benchmarks/dedupe_bench.py``).
:func:`choose_bands` instead asks for a recall at the threshold (16 x 6: 0.992) and leaves
precision to verification.

Buckets are found by sorting each band's keys (numpy ``argsort``): the same candidate
pairs as ``MinHashLSH`` insert + query, without a Python object per document. A bucket
holding many documents (a template instantiated thousands of times) would give a
quadratic number of pairs, so a large bucket links each member only to its ``window``
neighbours and to the bucket's best-ranked member: enough to connect the group and to
reach the record most likely kept.

Templated data (support macros, form letters) still makes tens of millions of such pairs
over a million documents, most of them far below the threshold. ``candidate_pairs`` takes
a ``keep`` test that is applied to each band's pairs as they are made (the finder passes
"estimated Jaccard can still reach the threshold"), so memory holds the plausible pairs,
not every candidate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
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
    pairs_pruned: int = 0  # failed the ``keep`` test (counted once per band they were made in)
    pairs: int = 0


def _bucket_pairs(keys: np.ndarray, rank: np.ndarray, window: int, stats: CandidateStats) -> Iterator[np.ndarray]:
    """Pairs ``(i, j)`` (as an (m, 2) int64 array, i < j) of documents sharing a key."""
    # find the buckets with a fast sort of the keys alone; only their members (few) are
    # then ordered by rank
    order = np.argsort(keys)
    k = keys[order]
    same_next = k[1:] == k[:-1]
    if not same_next.any():
        return
    in_bucket = np.zeros(k.size, dtype=bool)
    in_bucket[1:] = same_next
    in_bucket[:-1] |= same_next
    sub = order[in_bucket]
    sub_keys = k[in_bucket]
    o = np.lexsort((rank[sub], sub_keys))
    sub, sub_keys = sub[o], sub_keys[o]
    # buckets: maximal runs of equal keys (every run here has two or more members)
    starts_mask = np.ones(sub_keys.size, dtype=bool)
    starts_mask[1:] = sub_keys[1:] != sub_keys[:-1]
    run_start = np.flatnonzero(starts_mask)
    run_len = np.diff(np.append(run_start, sub_keys.size))
    stats.buckets += int(run_start.size)
    longest = int(run_len.max())
    stats.largest_bucket = max(stats.largest_bucket, longest)
    for d in range(1, min(longest, window + 1)):
        ok = sub_keys[d:] == sub_keys[:-d]
        if not ok.any():
            break
        a = sub[:-d][ok]
        b = sub[d:][ok]
        yield np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1)
    if longest > window + 1:
        # members of large buckets beyond the window: link to the bucket's best-ranked
        bucket_start = np.repeat(run_start, run_len)
        far = np.arange(sub.size) - bucket_start > window
        a = sub[bucket_start[far]]
        b = sub[far]
        yield np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1)


#: pairs handed to ``keep`` at a time (bounds the memory of its signature gathers)
_KEEP_SLICE = 1 << 18


def candidate_pairs(
    sigs: np.ndarray,
    bands: int,
    rows: int,
    rank: np.ndarray | None = None,
    window: int = 64,
    valid: np.ndarray | None = None,
    keep: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, CandidateStats]:
    """Unique candidate pairs ``(i, j)``, i < j, of rows of ``sigs`` that agree on a band.

    ``rank`` orders members within a bucket (lower first; default: row order); ``valid``
    masks out rows that take no part (documents with no shingles); ``keep``, given an
    ``(m, 2)`` array of pairs, returns a boolean mask of those worth keeping: it sees each
    band's new pairs in slices as they are made, so pairs it rejects never accumulate."""
    n = sigs.shape[0]
    stats = CandidateStats(bands=bands, rows=rows)
    if bands * rows > sigs.shape[1]:
        raise ValueError(f"bands x rows = {bands * rows} exceeds the {sigs.shape[1]} permutations")
    if rank is None:
        rank = np.arange(n, dtype=np.int64)
    idx = None if valid is None or valid.all() else np.flatnonzero(valid)
    if (n if idx is None else idx.size) < 2:
        return np.zeros((0, 2), np.int64), stats
    sub_rank = rank if idx is None else rank[idx]
    codes: list[np.ndarray] = []
    for band in range(bands):
        keys = band_keys(sigs, band, rows)
        if idx is not None:
            keys = keys[idx]
        band_codes = []
        for p in _bucket_pairs(keys, sub_rank, window, stats):
            if idx is not None:
                p = idx[p]
            stats.pairs_generated += p.shape[0]
            c = p[:, 0] * n + p[:, 1]
            if keep is not None:
                # pairs already kept from an earlier band need no second look
                new = np.ones(c.size, dtype=bool)
                for prev in codes:
                    new &= ~_sorted_has(prev, c)
                p, c = p[new], c[new]
                for s in range(0, c.size, _KEEP_SLICE):
                    ok = keep(p[s : s + _KEEP_SLICE])
                    stats.pairs_pruned += int(ok.size - ok.sum())
                    band_codes.append(c[s : s + _KEEP_SLICE][ok])
            else:
                band_codes.append(c)
        if band_codes:
            c = np.unique(np.concatenate(band_codes))
            codes.append(c)
        # merge as we go: memory stays at the unique pairs, not bands x pairs
        if len(codes) > 4:
            codes = [np.unique(np.concatenate(codes))]
    if not codes:
        return np.zeros((0, 2), np.int64), stats
    uniq = np.unique(np.concatenate(codes))
    stats.pairs = int(uniq.size)
    return np.stack([uniq // n, uniq % n], axis=1), stats


def _sorted_has(sorted_unique: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Which ``values`` are in ``sorted_unique`` (a binary search each: unlike ``np.isin``,
    the large sorted side is not sorted again)."""
    if sorted_unique.size == 0:
        return np.zeros(values.size, dtype=bool)
    pos = np.searchsorted(sorted_unique, values)
    pos[pos == sorted_unique.size] = 0
    return sorted_unique[pos] == values


def estimate_pairs(sigs: np.ndarray, pairs: np.ndarray, chunk: int = 1 << 15) -> np.ndarray:
    """Estimated Jaccard of each pair: the share of equal signature values (float32)."""
    out = np.empty(pairs.shape[0], dtype=np.float32)
    num_perm = sigs.shape[1]
    for s in range(0, pairs.shape[0], chunk):
        p = pairs[s : s + chunk]
        eq = sigs[p[:, 0]] == sigs[p[:, 1]]
        out[s : s + chunk] = eq.sum(axis=1, dtype=np.int32) / np.float32(num_perm)
    return out


def estimate_margin(threshold: float, num_perm: int, z: float = 4.0) -> float:
    """``z`` standard errors of a Jaccard estimate near ``threshold``."""
    return z * math.sqrt(max(threshold * (1.0 - threshold), 1e-4) / num_perm)
