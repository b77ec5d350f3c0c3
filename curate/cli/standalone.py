"""Run one stage on a records file, outside a build: the pattern behind
``curate redact IN -o OUT``, ``curate dedupe IN -o OUT`` and ``curate select IN -o OUT``
(the filter stage, then select).

The input (JSONL or Parquet with ``id`` and ``text`` and/or ``messages``) is put in a
temporary run folder as if ingest had produced it; the stage runs through the same engine
and the same accounting as in a build; the caller gets the stage's full output table."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
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
    with standalone_stages([(stage_name, section)], in_path, engine=engine, progress=progress,
                           prepare={stage_name: prepare} if prepare else None) as (tables, entries):
        yield tables[stage_name], entries[stage_name]


@contextlib.contextmanager
def standalone_stages(
    stages: list[tuple[str, BaseModel]],
    in_path: Path,
    *,
    engine: EngineConfig | None = None,
    progress: Progress | None = None,
    prepare: dict[str, Callable[[pl.DataFrame], pl.DataFrame]] | None = None,
) -> Iterator[tuple[dict[str, pl.DataFrame], dict[str, dict[str, Any]]]]:
    """Run several stages in order on the records in ``in_path``, each on the live records
    of the one before (``curate select`` runs filter, then select).

    Yields (output table per stage, manifest entry per stage). ``prepare[name](df)`` may
    add columns a stage needs to its input (the live records of the stage before it)."""
    classes = []
    for name, _ in stages:
        cls = stage_class(name)
        if cls is None:  # pragma: no cover - every built-in stage exists
            raise RuntimeError(f"stage {name} is not available")
        classes.append(cls)
    df = read_records(in_path)
    sections = {cls.config_key: section for cls, (_, section) in zip(classes, stages) if cls.config_key}
    cfg = CurateConfig.model_construct(name="standalone", sources=[], **sections)
    if engine is not None:
        cfg = cfg.model_copy(update={"engine": engine})
    tables: dict[str, pl.DataFrame] = {}
    entries: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix=f"curate-{stages[-1][0]}-") as tmp:
        run = RunFolder(tmp)
        ctx = StageContext(run=run, config=cfg, progress=progress or Progress())
        for i, (cls, (name, _)) in enumerate(zip(classes, stages)):
            if i:
                df = tables[stages[i - 1][0]].filter(pl.col(DROP_COLUMN).is_null()).drop(DROP_COLUMN)
            if prepare and prepare.get(name):
                df = prepare[name](df)
            inp = run.path(f"input-{name}.parquet")
            write_parquet(inp, df.with_columns(pl.lit(None, dtype=pl.Utf8).alias(DROP_COLUMN)))
            stage = cls(cfg)
            entries[name] = run_stage(stage, ctx, get_engine(cfg.engine), inp, "standalone", None)
            tables[name] = pl.read_parquet(run.path(stage.output_file)) if entries[name].get("table") else pl.DataFrame()
        yield tables, entries
