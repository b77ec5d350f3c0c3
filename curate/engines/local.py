"""The local engine: polars + a process pool, Parquet on local disk.

Batch stages stream their input in batches through ``process()``, in this process or in
a pool of worker processes that each call ``setup()`` once (a Presidio engine or an
embedding model is loaded once per worker, never per batch). Output batches are written
in input order, so the result does not depend on the number of workers. Global stages
return annotations keyed by id, which are joined onto the input in a streaming pass.
Every output is written to a temporary file and renamed when complete."""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from curate.engines.config import EngineConfig, stage_resources
from curate.errors import StageError
from curate.records import DROP_COLUMN
from curate.stages.base import BatchStage, GlobalStage, Resources, StageContext
from curate.store import atomic_path

_WORKER_STAGE: BatchStage | None = None


def _init_worker(unneeded: tuple[str, ...], pickled_stage: bytes) -> None:
    """Runs once in each spawned worker. The stage arrives pickled so that it is unpickled
    here, after the modules it does not need are marked unimportable (``None`` in
    ``sys.modules`` makes ``import`` raise ImportError, which libraries treat as "not
    installed")."""
    global _WORKER_STAGE
    for name in unneeded:
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]
    # one worker per core: keep each worker's native thread pools to one thread
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "POLARS_MAX_THREADS"):
        os.environ.setdefault(var, "1")
    stage = pickle.loads(pickled_stage)
    stage.setup()
    _WORKER_STAGE = stage


def _run_batch(batch: pl.DataFrame) -> pl.DataFrame:
    assert _WORKER_STAGE is not None
    return _WORKER_STAGE.process(batch)


def iter_live_batches(path: Path, batch_size: int, columns: list[str] | None = None) -> Iterator[pl.DataFrame]:
    """Stream the live rows of a stage table in batches (drop column removed)."""
    pf = pq.ParquetFile(path)
    names = pf.schema_arrow.names
    has_drop = DROP_COLUMN in names
    cols = columns if columns is None else [c for c in columns if c in names] + ([DROP_COLUMN] if has_drop else [])
    for rb in pf.iter_batches(batch_size=batch_size, columns=cols):
        df = pl.from_arrow(rb)
        assert isinstance(df, pl.DataFrame)
        if has_drop:
            df = df.filter(pl.col(DROP_COLUMN).is_null()).drop(DROP_COLUMN)
        if df.height:
            yield df


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
    lf = pl.scan_parquet(path)
    if DROP_COLUMN in lf.collect_schema().names():
        lf = lf.filter(pl.col(DROP_COLUMN).is_null()).drop(DROP_COLUMN)
    return lf


def count_live(path: Path) -> int:
    return int(live_scan(path).select(pl.len()).collect().item())


def empty_like(path: Path) -> pl.DataFrame:
    return live_scan(path).head(0).collect()


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
                    out = _with_drop(out)
                    table = out.to_arrow()
                    if writer is None:
                        schema = table.schema
                        writer = pq.ParquetWriter(tmp, schema, compression="zstd")
                    else:
                        table = _conform(table, schema)
                    writer.write_table(table)
                    ctx.progress.advance(out.height)
                if writer is None:  # empty input: still write the output schema
                    stage.setup()
                    empty = _with_drop(stage.process(empty_like(input_path)))
                    writer = pq.ParquetWriter(tmp, empty.to_arrow().schema, compression="zstd")
                    writer.write_table(empty.to_arrow())
            finally:
                if writer is not None:
                    writer.close()
        ctx.progress.finish()

    def _map(self, stage: BatchStage, batches: Iterator[pl.DataFrame], workers: int) -> Iterator[pl.DataFrame]:
        if workers <= 1:
            stage.setup()
            for b in batches:
                yield _checked(stage, b, stage.process(b))
            return
        # spawn: a fresh interpreter per worker; forking a process whose polars/torch
        # thread pools are running can deadlock the child
        ctx = mp.get_context("spawn")
        initargs = (tuple(stage.worker_unneeded_modules()), pickle.dumps(stage))
        with ctx.Pool(workers, initializer=_init_worker, initargs=initargs) as pool:
            for b, out in _zip_inputs(batches, pool, workers):
                yield _checked(stage, b, out)

    # -- global stages --------------------------------------------------------------------
    def run_global(self, stage: GlobalStage, ctx: StageContext, input_path: Path, output_path: Path) -> None:
        total = count_live(input_path)
        ctx.progress.start(stage.name, total)
        ann = stage.annotate(ctx, live_scan(input_path))
        if "id" not in ann.columns:
            raise StageError(f"stage {stage.name}: annotations have no id column")
        if ann.height != total or ann["id"].n_unique() != ann.height:
            raise StageError(
                f"stage {stage.name}: expected one annotation per input record ({total}), got {ann.height}"
            )
        ann = _with_drop(ann)
        with atomic_path(output_path) as tmp:
            joined = live_scan(input_path).join(ann.lazy(), on="id", how="left", maintain_order="left")
            joined.sink_parquet(tmp, compression="zstd", row_group_size=5000)
        ctx.progress.advance(total)
        ctx.progress.finish()


def _zip_inputs(batches: Iterator[pl.DataFrame], pool, workers: int):
    """Feed the pool a few batches ahead and yield (input, output) in input order."""
    from collections import deque

    window: deque = deque()
    for b in batches:
        window.append((b, pool.apply_async(_run_batch, (b,))))
        if len(window) >= 2 * workers:
            inp, fut = window.popleft()
            yield inp, fut.get()
    while window:
        inp, fut = window.popleft()
        yield inp, fut.get()


def _checked(stage: BatchStage, inp: pl.DataFrame, out: pl.DataFrame) -> pl.DataFrame:
    if out.height != inp.height:
        raise StageError(f"stage {stage.name}: process() returned {out.height} rows for {inp.height}")
    return out


def _with_drop(df: pl.DataFrame) -> pl.DataFrame:
    if DROP_COLUMN not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.Utf8).alias(DROP_COLUMN))
    return df


def _conform(table: pa.Table, schema: pa.Schema | None) -> pa.Table:
    if schema is None or table.schema.equals(schema):
        return table
    try:
        return table.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, KeyError, ValueError) as exc:
        raise StageError(f"a batch's columns differ from the first batch's: {exc}") from None
