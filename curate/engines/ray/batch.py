"""Batch stages on Ray: ``map_batches`` over an actor pool.

Each actor calls the stage's ``setup()`` once (a Presidio engine, a model) and then
``process()`` on batches; the input's ``_row`` travels beside the batch, so the driver
can check that what it writes is in input order."""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from curate.engines.ray.errors import error_batch
from curate.engines.ray.io import ROW
from curate.engines.ray.session import worker_environment
from curate.errors import CurateError, StageError
from curate.records import DROP_COLUMN
from curate.stages.base import BatchStage


def with_drop(df: pl.DataFrame) -> pl.DataFrame:
    if DROP_COLUMN not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.Utf8).alias(DROP_COLUMN))
    return df


class StageActor:
    """One worker of a batch stage (an actor of Ray Data's pool)."""

    def __init__(self, stage: BatchStage, threads: int = 1, secrets: dict[str, str] | None = None):
        worker_environment(threads, secrets)
        self.stage = stage
        self.failed: CurateError | None = None
        try:
            stage.setup()
        except CurateError as exc:  # e.g. a missing secret: reported with the first batch
            self.failed = exc

    def __call__(self, batch: pa.Table) -> pa.Table:
        if self.failed is not None:
            return error_batch(self.failed)
        rows = batch.column(ROW)
        df = pl.from_arrow(batch.drop_columns([ROW]))
        assert isinstance(df, pl.DataFrame)
        try:
            out = self.stage.process(df)
        except CurateError as exc:
            return error_batch(exc)
        if out.height != df.height:
            return error_batch(StageError(f"stage {self.stage.name}: process() returned {out.height} rows for {df.height}"))
        return with_drop(out).to_arrow().append_column(ROW, rows)
