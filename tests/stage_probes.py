"""Batch stages for engine tests, in a module spawned workers can import (test modules are
imported by path and cannot be)."""

from __future__ import annotations

import importlib
import os
import sys

import polars as pl

from curate.pii.stage import RedactStage
from curate.stages.base import BatchStage, Resources

#: a module the probes declare unneeded; importable here (tests/ is on sys.path)
UNNEEDED = "probe_unneeded"


def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


class Probe(BatchStage):
    """Records each batch's size, the worker's pid and whether it could import
    :data:`UNNEEDED` (the module it declares unneeded)."""

    name = "probe"

    def __init__(self, config, batch_size: int = 10):
        super().__init__(config)
        self.batch_size = batch_size

    def resources(self) -> Resources:
        return Resources(cpus=1.0, batch_size=self.batch_size)

    def worker_unneeded_modules(self) -> tuple[str, ...]:
        return (UNNEEDED,)

    def process(self, batch: pl.DataFrame) -> pl.DataFrame:
        return batch.with_columns(
            pl.lit(batch.height).alias("batch_rows"),
            pl.lit(os.getpid()).alias("worker"),
            pl.lit(_importable(UNNEEDED)).alias("unneeded_importable"),
        )


class RedactProbe(RedactStage):
    """The redact stage, also telling which of PyTorch and transformers its worker had
    imported by the end of the batch."""

    def process(self, batch: pl.DataFrame) -> pl.DataFrame:
        out = super().process(batch)
        return out.with_columns(
            pl.lit(os.getpid()).alias("worker"),
            pl.lit(isinstance(sys.modules.get("torch"), type(sys))).alias("torch_loaded"),
            pl.lit(isinstance(sys.modules.get("transformers"), type(sys))).alias("transformers_loaded"),
        )
