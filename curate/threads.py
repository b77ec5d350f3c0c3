"""Vector math whose result must not depend on how many threads ran it.

A matrix product split over more threads adds in another order, and its last bits change
(numpy's OpenBLAS gives other bits for ``x @ x.T`` on 1 and on 2 threads); a selection
that compares such numbers (the next pick of a cluster, a near-tie) can then change with
the thread count: with the machine's cores (``taskset``, ``OMP_NUM_THREADS``) and, for
torch, with the load (the embed stage sizes torch's pool to the cores free at the time).
The selection's math runs on one thread instead: the same bits on any machine of the same
kind, whatever its load, and on a busy machine no slower (measured in
``benchmarks/results/select.md``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def one_thread(*, blas: bool = True) -> Iterator[None]:
    """Run the block with torch's CPU ops, and (``blas``) the BLAS libraries numpy and
    scipy call, on one thread; restore the previous counts afterwards. Libraries with a
    pool of their own (faiss's OpenMP) keep theirs unless ``blas`` limits their BLAS."""
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        if blas:
            with threadpool_limits(limits=1, user_api="blas"):
                yield
        else:
            yield
    finally:
        torch.set_num_threads(before)
