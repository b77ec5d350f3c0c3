"""The local engine: polars + a process pool, Parquet on local disk.

Batch stages stream their input in batches through ``process()``, in this process or in
a pool of worker processes that each call ``setup()`` once (a Presidio engine or an
embedding model is loaded once per worker, never per batch). Output batches are written
in input order, so the result does not depend on the number of workers. Global stages
return annotations keyed by id, which are joined onto the input in a streaming pass; their
steps (``ctx.ops``, :class:`LocalOps`) run in this process, or in a pool of worker
processes when ``engine.stages.<name>.concurrency`` asks for more than one. Every output
is written to a temporary file and renamed when complete."""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import os
import pickle
import sys
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from curate.engines.base import (
    StageWorker,
    check_inputs,
    check_written,
    checked_annotations,
    stage_resources,
    with_drop,
)
from curate.engines.config import EngineConfig
from curate.errors import StageError
from curate.records import DROP_COLUMN, live
from curate.stages.base import BatchStage, GlobalStage, Resources, StageContext
from curate.stages.ops import BatchFn, InProcessOps, run_step, setup_worker
from curate.store import atomic_path

_WORKER: BatchFn | None = None


def _init_worker(unneeded: tuple[str, ...], pickled_fn: bytes) -> None:
    """Runs once in each spawned worker. The step arrives pickled so that it is unpickled
    here, after the modules it does not need are marked unimportable (``None`` in
    ``sys.modules`` makes ``import`` raise ImportError, which libraries treat as "not
    installed")."""
    global _WORKER
    for name in unneeded:
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]
    # one worker per core: keep each worker's native thread pools to one thread
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "POLARS_MAX_THREADS"):
        os.environ.setdefault(var, "1")
    fn = pickle.loads(pickled_fn)
    setup_worker(fn)
    _WORKER = fn


def _run_batch(batch: pl.DataFrame) -> pl.DataFrame:
    assert _WORKER is not None
    return run_step(_WORKER, batch)


def pooled(
    fn: BatchFn, batches: Iterator[pl.DataFrame], workers: int, unneeded: Sequence[str] = ()
) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
    """``(input, fn(input))`` for each batch, in input order, computed by ``workers``
    spawned processes (each calls ``fn.setup()`` once)."""
    # spawn: a fresh interpreter per worker; forking a process whose polars/torch
    # thread pools are running can deadlock the child
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers, initializer=_init_worker, initargs=(tuple(unneeded), pickle.dumps(fn))) as pool:
        window: deque = deque()  # a few batches ahead of the one written
        for b in batches:
            window.append((b, pool.apply_async(_run_batch, (b,))))
            if len(window) >= 2 * workers:
                inp, fut = window.popleft()
                yield inp, fut.get()
        while window:
            inp, fut = window.popleft()
            yield inp, fut.get()


def iter_live_batches(path: Path, batch_size: int, columns: list[str] | None = None) -> Iterator[pl.DataFrame]:
    """Stream the live rows of a stage table in batches (drop column removed)."""
    pf = pq.ParquetFile(path)
    names = pf.schema_arrow.names
    has_drop = DROP_COLUMN in names
    cols = columns if columns is None else [c for c in columns if c in names] + ([DROP_COLUMN] if has_drop else [])
    for rb in pf.iter_batches(batch_size=batch_size, columns=cols):
        df = pl.from_arrow(rb)
        assert isinstance(df, pl.DataFrame)
        df = live(df)
        if df.height:
            yield df


def scan_live_batches(path: Path, batch_size: int, columns: Sequence[str]) -> Iterator[pl.DataFrame]:
    """The live rows of a stage table, ``columns`` of them, in batches, through polars'
    streaming engine (a global stage's steps read the texts this way: it reads the Parquet
    pages straight into polars' own string type, without pyarrow's copy and pool)."""
    lf = live_scan(path)
    names = lf.collect_schema().names()
    yield from lf.select([c for c in columns if c in names]).collect_batches(chunk_size=batch_size, maintain_order=True)


def tapered_batches(
    batches: Iterator[pl.DataFrame], total: int, batch_size: int, share: int = 8
) -> Iterator[pl.DataFrame]:
    """Re-cut a stream of ``total`` rows so the batches shrink towards the end: each holds
    at most ``1/share`` of the rows still to come, never fewer than an eighth of
    ``batch_size``. With full batches to the end, the last one can keep one worker busy for
    a whole batch while the others wait; tapered, the wait is at most a small batch. The cut
    depends only on the row count, not on the number of workers, so a stage sees the same
    batches whatever the pool size. Rows keep their order."""
    floor = max(1, batch_size // 8)
    remaining = total
    held: list[pl.DataFrame] = []
    have = 0
    for b in batches:
        held.append(b)
        have += b.height
        while True:
            size = min(batch_size, max(floor, -(-remaining // share)))
            if have < size:
                break
            rows = pl.concat(held) if len(held) > 1 else held[0]
            piece, rest = rows.slice(0, size), rows.slice(size)
            held, have = ([rest] if rest.height else []), rest.height
            remaining -= size
            yield piece
    if have:
        yield pl.concat(held) if len(held) > 1 else held[0]


def live_scan(path: Path) -> pl.LazyFrame:
    return live(pl.scan_parquet(path))


def count_live(path: Path) -> int:
    return int(live_scan(path).select(pl.len()).collect().item())


def empty_like(path: Path) -> pl.DataFrame:
    return live_scan(path).head(0).collect()


class LocalOps(InProcessOps):
    """A global stage's steps on this machine: in this process by default, or in
    ``engine.stages.<name>.concurrency`` spawned worker processes."""

    def __init__(self, engine: LocalEngine, stage: GlobalStage, input_path: Path):
        super().__init__(lambda columns: scan_live_batches(input_path, READ_ROWS, columns))
        self.engine = engine
        self.stage = stage
        self.input_path = input_path
        self._live: int | None = None

    def map_batches(
        self,
        fn: BatchFn,
        *,
        columns: Sequence[str],
        rows: np.ndarray | None = None,
        batch_size: int,
        resources: Resources | None = None,
    ) -> Iterator[pl.DataFrame]:
        # the step's CPUs and GPUs are this machine's: only the batch size and the pool
        # size of engine.stages.<name> apply
        over = self.engine.config.stages.get(self.stage.name)
        size = over.batch_size if over is not None and over.batch_size else batch_size
        if self._live is None:
            self._live = count_live(self.input_path)
        n = self._live if rows is None else int(np.asarray(rows).size)
        workers = min(over.concurrency if over is not None and over.concurrency else 1, -(-n // size))
        if workers <= 1:
            yield from super().map_batches(fn, columns=columns, rows=rows, batch_size=size)
            return
        for _, out in pooled(fn, self.batches(columns, rows, size), workers):
            yield out


#: rows read from Parquet at a time by a global stage's steps (they are re-cut into the
#: step's batches)
READ_ROWS = 8192


class LocalEngine:
    """Runs stages on this machine."""

    name = "local"

    def __init__(self, config: EngineConfig | None = None):
        self.config = config or EngineConfig()

    def resources(self, stage: BatchStage | GlobalStage) -> Resources:
        return stage_resources(stage, self.config)

    def workers_for(self, stage: BatchStage, total: int) -> int:
        res = self.resources(stage)
        if res.concurrency is not None:
            n = res.concurrency
        else:
            n = self.config.workers or os.cpu_count() or 1
        # not worth a pool for one or two batches
        batches = max(1, -(-total // res.batch_size))
        return max(1, min(n, batches))

    # -- batch stages ---------------------------------------------------------------------
    def run_batch(self, stage: BatchStage, ctx: StageContext, input_path: Path, output_path: Path) -> None:
        names = pq.read_schema(input_path).names
        check_inputs(stage, names)
        given = [c for c in names if c != DROP_COLUMN]
        total = count_live(input_path)
        res = self.resources(stage)
        workers = self.workers_for(stage, total)
        ctx.progress.start(stage.name, total)
        batches = tapered_batches(iter_live_batches(input_path, res.batch_size), total, res.batch_size)
        with atomic_path(output_path) as tmp:
            writer: pq.ParquetWriter | None = None
            schema: pa.Schema | None = None
            try:
                for out in self._map(stage, batches, workers):
                    out = with_drop(out)
                    table = out.to_arrow()
                    if writer is None:
                        check_written(stage, out.schema, given=given)
                        schema = table.schema
                        writer = pq.ParquetWriter(tmp, schema, compression="zstd")
                    else:
                        table = _conform(table, schema)
                    writer.write_table(table)
                    ctx.progress.advance(out.height)
                if writer is None:  # empty input: still write the output schema
                    stage.setup()
                    empty = with_drop(stage.process(empty_like(input_path)))
                    check_written(stage, empty.schema, given=given)
                    writer = pq.ParquetWriter(tmp, empty.to_arrow().schema, compression="zstd")
                    writer.write_table(empty.to_arrow())
            finally:
                if writer is not None:
                    writer.close()
        ctx.progress.finish()

    def _map(self, stage: BatchStage, batches: Iterator[pl.DataFrame], workers: int) -> Iterator[pl.DataFrame]:
        worker = StageWorker(stage)
        if workers <= 1:
            worker.setup()
            for b in batches:
                yield run_step(worker, b)
            return
        for _, out in pooled(worker, batches, workers, stage.worker_unneeded_modules()):
            yield out

    # -- global stages --------------------------------------------------------------------
    def run_global(self, stage: GlobalStage, ctx: StageContext, input_path: Path, output_path: Path) -> None:
        total = count_live(input_path)
        table = live_scan(input_path)
        check_inputs(stage, table.collect_schema().names())
        ctx.progress.start(stage.name, total)
        ann = stage.annotate(dataclasses.replace(ctx, ops=LocalOps(self, stage, input_path)), table)
        ann = checked_annotations(stage, ann, total)
        with atomic_path(output_path) as tmp:
            joined = table.join(ann.lazy(), on="id", how="left", maintain_order="left")
            joined.sink_parquet(tmp, compression="zstd", row_group_size=5000)
        ctx.progress.advance(total)
        ctx.progress.finish()


def _conform(table: pa.Table, schema: pa.Schema | None) -> pa.Table:
    if schema is None or table.schema.equals(schema):
        return table
    try:
        return table.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, KeyError, ValueError) as exc:
        raise StageError(f"a batch's columns differ from the first batch's: {exc}") from None
