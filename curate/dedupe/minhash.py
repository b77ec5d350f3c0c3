"""MinHash signatures in bulk, identical to datasketch's.

datasketch 2.x (``affine32`` scheme) turns a set of 32-bit hashes into a signature by
pre-mixing each hash with the MurmurHash3 32-bit finaliser and taking, per permutation
*k*, ``min(a_k * h + b_k mod 2^32)``. Here that runs over every shingle of a batch of
documents at once (numpy: one multiply-add over a shingles x permutations block and a
segmented minimum; torch: the same on a GPU), with datasketch's own permutations, so a
signature equals ``datasketch.MinHash(num_perm, seed, hashfunc=identity)`` fed the same
shingle hashes (tested).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from curate.dedupe.shingles import ShingleBatch

_U32 = np.uint32
EMPTY = np.uint32(0xFFFFFFFF)  # the value of a permutation no shingle reached

# shingles per block on the CPU: 1 MiB of uint32 stays in cache
_CPU_BLOCK = 1 << 18
# shingles per block on a torch device: 32k shingles x 128 permutations x int64 = 32 MiB
_BLOCK = 1 << 15


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's ``(a, b)`` for ``num_perm`` permutations and ``seed`` (uint32)."""
    from datasketch import MinHash

    m = MinHash(num_perm=num_perm, seed=seed, scheme="affine32")
    a, b = m.permutations
    a = np.ascontiguousarray(a, dtype=_U32)
    b = np.ascontiguousarray(b, dtype=_U32)
    a.flags.writeable = False
    b.flags.writeable = False
    return a, b


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, datasketch's pre-mix."""
    h = h ^ (h >> _U32(16))
    h = h * _U32(0x85EBCA6B)
    h = h ^ (h >> _U32(13))
    h = h * _U32(0xC2B2AE35)
    return h ^ (h >> _U32(16))


def signatures_numpy(batch: ShingleBatch, num_perm: int, seed: int = 1) -> np.ndarray:
    """One signature (row of ``num_perm`` uint32) per document of ``batch``; a document
    with no shingle gets the all-``EMPTY`` row."""
    a, b = permutations(num_perm, seed)
    counts = batch.counts
    n_docs = counts.size
    out = np.full((num_perm, n_docs), EMPTY, dtype=_U32)
    if batch.hashes.size == 0:
        return np.ascontiguousarray(out.T)
    hv = fmix32(batch.hashes.astype(_U32, copy=False))
    offsets = batch.offsets
    # one permutation at a time over a block of documents' shingles: a 1-D multiply-add
    # and a segmented minimum over a block that stays in cache are far faster than a
    # shingles x permutations matrix
    tmp = np.empty(_CPU_BLOCK, dtype=_U32)
    d0 = 0
    while d0 < n_docs:
        s0 = int(offsets[d0])
        d1 = int(np.searchsorted(offsets, s0 + _CPU_BLOCK, side="right")) - 1
        d1 = min(max(d1, d0 + 1), n_docs)
        s1 = int(offsets[d1])
        has = counts[d0:d1] > 0
        if s1 > s0:
            h = hv[s0:s1]
            t = tmp[: s1 - s0] if s1 - s0 <= tmp.size else np.empty(s1 - s0, dtype=_U32)
            starts = offsets[d0:d1][has] - s0
            cols = np.flatnonzero(has) + d0
            full = cols.size == d1 - d0
            for k in range(num_perm):
                np.multiply(h, a[k], out=t)
                np.add(t, b[k], out=t)
                if full:
                    out[k, d0:d1] = np.minimum.reduceat(t, starts)
                else:
                    out[k, cols] = np.minimum.reduceat(t, starts)
        d0 = d1
    return np.ascontiguousarray(out.T)


# -- torch (GPU) ----------------------------------------------------------------------------

_M32 = 0xFFFFFFFF


def _mul32(x: Any, c: Any) -> Any:
    """``x * c mod 2^32`` for int64 tensors holding values below 2^32, without int64
    overflow: ``c`` is split into 16-bit halves."""
    lo = c & 0xFFFF
    hi = c >> 16
    return (x * lo + (((x * hi) & 0xFFFF) << 16)) & _M32


def _fmix32_torch(h: Any) -> Any:
    h = h ^ (h >> 16)
    h = _mul32(h, 0x85EBCA6B)
    h = h ^ (h >> 13)
    h = _mul32(h, 0xC2B2AE35)
    return h ^ (h >> 16)


def signatures_torch(batch: ShingleBatch, num_perm: int, seed: int = 1, device: str = "cuda") -> np.ndarray:
    """:func:`signatures_numpy` computed with torch on ``device`` (a GPU; ``"cpu"`` for
    tests). 32-bit unsigned arithmetic is done in int64 with explicit masks, since torch
    lacks most uint32 kernels; the result is bit-identical."""
    import torch

    a_np, b_np = permutations(num_perm, seed)
    counts = batch.counts
    n_docs = counts.size
    out = np.full((n_docs, num_perm), EMPTY, dtype=_U32)
    if batch.hashes.size == 0:
        return out
    dev = torch.device(device)
    a = torch.from_numpy(a_np.astype(np.int64)).to(dev)
    b = torch.from_numpy(b_np.astype(np.int64)).to(dev)
    hv = _fmix32_torch(torch.from_numpy(batch.hashes.astype(np.int64)).to(dev))
    doc_of = torch.from_numpy(np.repeat(np.arange(n_docs, dtype=np.int64), counts)).to(dev)
    result = torch.full((n_docs, num_perm), _M32, dtype=torch.int64, device=dev)
    # a GPU holds far larger blocks than the CPU cache wants
    block = _BLOCK * (8 if dev.type == "cuda" else 1)
    for s0 in range(0, hv.numel(), block):
        h = hv[s0 : s0 + block, None]
        phv = (_mul32(h, a[None, :]) + b[None, :]) & _M32
        idx = doc_of[s0 : s0 + block, None].expand_as(phv)
        result.scatter_reduce_(0, idx, phv, reduce="amin", include_self=True)
    out[:] = result.cpu().numpy().astype(_U32)
    return out


def signatures(batch: ShingleBatch, num_perm: int, seed: int = 1, device: str = "cpu") -> np.ndarray:
    """Signatures on ``device``: ``cpu`` (numpy) or a torch device (``cuda``, ``cuda:1``)."""
    if device == "cpu":
        return signatures_numpy(batch, num_perm, seed)
    return signatures_torch(batch, num_perm, seed, device=device)


def jaccard_estimate(sig_a: np.ndarray, sig_b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of signature rows (pairwise, row by row)."""
    return (sig_a == sig_b).mean(axis=-1)
