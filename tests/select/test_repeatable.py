"""The selection does not depend on how many threads computed it: the picks inside a
cluster compare sums of products, which a BLAS split over more threads adds in another
order (near-ties then break differently), so the select stage computes them on one thread
(curate.threads) whatever the machine's cores, load or OMP_NUM_THREADS."""

from __future__ import annotations

import numpy as np
import polars as pl
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from curate.config import CurateConfig
from curate.embed.vectors import to_series
from curate.run import RunFolder
from curate.select.config import SelectConfig
from curate.select.stage import SelectStage
from curate.stages.base import StageContext
from curate.threads import one_thread


def clustered(n: int = 2000, k: int = 10, noise: float = 0.6, seed: int = 0) -> np.ndarray:
    """Unit vectors around ``k`` directions; with these settings two picks of a cluster are
    a near-tie that numpy's OpenBLAS breaks one way on one thread, the other on two."""
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(k, 64)).astype(np.float32)
    x = c[rng.integers(0, k, n)] + noise * rng.normal(size=(n, 64)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def select(tmp_path, threads: int) -> pl.DataFrame:
    x = clustered()
    table = pl.DataFrame({"id": [f"r{i}" for i in range(x.shape[0])]}).with_columns(to_series("embedding", x))
    cfg = CurateConfig.model_construct(name="t", sources=[], select=SelectConfig(budget=300, clusters={"k": 10, "terms": 0}))
    before = torch.get_num_threads()
    torch.set_num_threads(threads)  # as the embed stage leaves it: the cores free at the time
    try:
        with threadpool_limits(limits=threads, user_api="blas"):
            return SelectStage(cfg).annotate(StageContext(run=RunFolder(tmp_path), config=cfg), table.lazy())
    finally:
        torch.set_num_threads(before)


def test_the_selection_is_the_same_on_one_thread_and_on_two(tmp_path):
    one, two = select(tmp_path, 1), select(tmp_path, 2)
    assert one["selected"].sum() == 300
    assert two.equals(one)


def test_one_thread_puts_the_thread_counts_back():
    torch.set_num_threads(2)
    blas = {i["filepath"]: i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
    with one_thread():
        assert torch.get_num_threads() == 1
        assert all(i["num_threads"] == 1 for i in threadpool_info() if i["user_api"] == "blas")
    assert torch.get_num_threads() == 2
    assert {i["filepath"]: i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"} == blas
