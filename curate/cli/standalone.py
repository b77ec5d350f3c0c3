"""Run one stage on a records file, outside a build: the pattern behind
``curate redact IN -o OUT``, ``curate dedupe IN -o OUT`` and ``curate select IN -o OUT``.

The input (JSONL or Parquet with ``id`` and ``text`` and/or ``messages``) is put in a
temporary run folder as if ingest had produced it; the stage runs through the same engine
and the same accounting as in a build; the caller gets the stage's full output table."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel

from curate.cli.common import read_records
from curate.config import CurateConfig
from curate.engines import get_engine
from curate.engines.config import EngineConfig
from curate.pipeline import run_stage
from curate.records import DROP_COLUMN
from curate.run import RunFolder
from curate.stages import stage_class
from curate.stages.base import Progress, StageContext
from curate.store import write_parquet


@contextlib.contextmanager
def standalone_stage(
    stage_name: str,
    section: BaseModel,
    in_path: Path,
    *,
    engine: EngineConfig | None = None,
    progress: Progress | None = None,
    prepare: Any = None,
) -> Iterator[tuple[pl.DataFrame, dict[str, Any]]]:
    """Run ``stage_name`` with settings ``section`` on the records in ``in_path``.

    Yields (output table with ``drop_reason``, manifest entry). ``prepare(df)`` may add
    columns the stage needs (e.g. embeddings) before it runs."""
    cls = stage_class(stage_name)
    if cls is None:  # pragma: no cover - every built-in stage exists
        raise RuntimeError(f"stage {stage_name} is not available")
    df = read_records(in_path)
    if prepare is not None:
        df = prepare(df)
    cfg = CurateConfig.model_construct(name="standalone", sources=[], **{cls.config_key: section} if cls.config_key else {})
    if engine is not None:
        cfg = cfg.model_copy(update={"engine": engine})
    with tempfile.TemporaryDirectory(prefix=f"curate-{stage_name}-") as tmp:
        run = RunFolder(tmp)
        inp = run.path("input.parquet")
        write_parquet(inp, df.with_columns(pl.lit(None, dtype=pl.Utf8).alias(DROP_COLUMN)))
        ctx = StageContext(run=run, config=cfg, progress=progress or Progress())
        stage = cls(cfg)
        entry = run_stage(stage, ctx, get_engine(cfg.engine), inp, "standalone", None)
        out = pl.read_parquet(run.path(stage.output_file)) if entry.get("table") else pl.DataFrame()
        yield out, entry
