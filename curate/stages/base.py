"""The stage contract. A stage is a small object with a name, a config model and one of
three shapes; the engine (``curate.engines``) decides batch sizes, processes, threads and
GPUs, so no stage knows which engine runs it.

- :class:`BatchStage` -- a pure function ``batch -> batch`` over polars DataFrames
  (redact, filter). ``setup()`` runs once per worker (load a model
  there). ``process()`` returns the same rows in the same order, with new or rewritten
  columns, and may set ``drop_reason``.
- :class:`GlobalStage` -- needs the whole table at once (dedupe clustering, select).
  ``annotate()`` reads only the columns it needs from a lazy scan and returns one row per
  input ``id`` with the columns it adds (and ``drop_reason``); the engine joins them onto
  the input in a streaming pass, so memory is bounded by what the stage keeps (signatures,
  vectors), not by the texts.
- :class:`SourceStage` / :class:`SinkStage` -- the edges: ingest produces Records and
  rejects; export writes files.

Every table a stage writes holds every record that entered it, live ones with a null
``drop_reason``; the next stage reads only the live ones. Accounting, checked by the
engine at the end of every stage: records in = records out + dropped (by reason) +
rejected.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import polars as pl
from pydantic import BaseModel

if TYPE_CHECKING:  # pragma: no cover
    from curate.config import CurateConfig
    from curate.run import RunFolder


@dataclass(frozen=True)
class Resources:
    """What one worker of a stage needs. Engines map these onto processes, Ray actors or
    GPUs; ``None`` lets the engine choose."""

    cpus: float = 1.0
    gpus: float = 0.0
    batch_size: int = 1024
    concurrency: int | None = None


class Progress:
    """Progress sink handed to stages by the engine (a no-op unless the CLI attaches one)."""

    def start(self, stage: str, total: int | None) -> None:  # noqa: D401 - interface
        pass

    def advance(self, n: int) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass
class StageContext:
    """Everything a stage may use besides its input table."""

    run: RunFolder
    config: CurateConfig
    progress: Progress = field(default_factory=Progress)
    engine: str = "local"
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("curate"))

    def path(self, name: str) -> Path:
        return self.run.path(name)


@dataclass
class StageResult:
    """What a stage tells the manifest beyond the counts the engine takes from the table."""

    records_in: int = 0
    records_out: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    rejected: int = 0
    outputs: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    def check_accounting(self, stage: str) -> None:
        total = self.records_out + sum(self.dropped.values()) + self.rejected
        if total != self.records_in:
            raise AssertionError(
                f"stage {stage}: accounting does not add up: in={self.records_in} but "
                f"out={self.records_out} + dropped={sum(self.dropped.values())} "
                f"+ rejected={self.rejected} = {total}"
            )


class Stage(ABC):
    """Base of every stage. Subclasses set ``name`` and ``config_key`` (the attribute of
    :class:`~curate.config.CurateConfig` holding their config)."""

    name: ClassVar[str]
    #: attribute of CurateConfig with this stage's settings (None: no settings)
    config_key: ClassVar[str | None] = None
    #: the table this stage writes, ``<name>.parquet`` unless overridden
    output_name: ClassVar[str | None] = None

    def __init__(self, config: CurateConfig):
        self.run_config = config
        self.config: BaseModel | None = getattr(config, self.config_key) if self.config_key else None
        #: the run folder this stage belongs to, set by the pipeline before fingerprint()
        #: (a stage whose output depends on files in the run, e.g. labels, reads them there)
        self.run_root: Path | None = None

    # -- what decides whether a stored output is still valid ------------------------
    def fingerprint(self) -> dict[str, Any]:
        """JSON-able description of everything besides the input table that determines
        this stage's output. A change re-runs the stage (and everything after it)."""
        return {"config": self.config.model_dump(mode="json") if self.config is not None else None}

    def resources(self) -> Resources:
        return Resources()

    @property
    def output_file(self) -> str:
        return self.output_name or f"{self.name}.parquet"

    def enabled(self) -> bool:
        """A disabled stage is skipped and its input passes through to the next stage."""
        return bool(getattr(self.config, "enabled", True)) if self.config is not None else True

    def stats(self, output: pl.LazyFrame) -> dict[str, Any]:
        """Figures for the manifest, report and dataset card, computed from the output."""
        return {}


class BatchStage(Stage):
    """``batch -> batch``. Must be picklable before ``setup()`` (it is sent to workers)."""

    def setup(self) -> None:
        """Load heavy resources once per worker process or actor."""

    def worker_unneeded_modules(self) -> tuple[str, ...]:
        """Top-level modules a worker process that runs only this stage never needs.

        The local engine's spawned workers mark them unimportable before they unpickle the
        stage, so libraries that merely import them when installed start without them
        (spaCy imports PyTorch through thinc whenever it is installed; a CNN pipeline
        never uses it). Only name a module whose absence every library in the stage's path
        handles as "not installed". Default: none."""
        return ()

    @abstractmethod
    def process(self, batch: pl.DataFrame) -> pl.DataFrame:
        """Return the batch's rows, in order, with this stage's columns."""


class GlobalStage(Stage):
    """Needs the whole table; returns annotations keyed by ``id``."""

    @abstractmethod
    def annotate(self, ctx: StageContext, table: pl.LazyFrame) -> pl.DataFrame:
        """One row per input id: ``id``, the new columns, and optionally ``drop_reason``."""


class SourceStage(Stage):
    """Produces the first table (ingest)."""

    @abstractmethod
    def run(self, ctx: StageContext) -> StageResult:
        """Write ``ctx.path(self.output_file)`` and the rejects; return the counts."""


class SinkStage(Stage):
    """Consumes the last table and writes files (export)."""

    output_name: ClassVar[str | None] = "export"

    @abstractmethod
    def run(self, ctx: StageContext, table: pl.LazyFrame) -> StageResult:
        """Write the stage's files under the run folder; return the counts."""
