"""Steps on Ray workers: a batch stage's ``process`` or a global stage's step
(:mod:`curate.stages.ops`), in an actor when it keeps state (``setup()``: a model, a
Presidio engine, loaded once per actor) or in tasks when it does not.

The input's ``_row`` travels beside each batch, so the driver can check that what it
writes is in input order; a curate error comes back as itself (:mod:`.errors`)."""

from __future__ import annotations

import os
from typing import Any

import polars as pl
import pyarrow as pa

from curate.engines.ray.errors import error_batch
from curate.engines.ray.io import ROW
from curate.engines.ray.session import worker_environment
from curate.errors import CurateError
from curate.stages.base import Resources
from curate.stages.ops import BatchFn, run_step, setup_worker


def _apply(fn: BatchFn, batch: pa.Table) -> pa.Table:
    rows = batch.column(ROW)
    df = pl.from_arrow(batch.drop_columns([ROW]))
    assert isinstance(df, pl.DataFrame)
    try:
        out = run_step(fn, df)
    except CurateError as exc:
        return error_batch(exc)
    return out.to_arrow().append_column(ROW, rows)


class StepActor:
    """One worker of an actor pool: ``setup()`` once, then the step on each batch."""

    def __init__(self, fn: BatchFn, threads: int = 1, secrets: dict[str, str] | None = None):
        worker_environment(threads, secrets)
        self.fn = fn
        self.failed: CurateError | None = None
        try:
            setup_worker(fn)
        except CurateError as exc:  # e.g. a missing secret: reported with the first batch
            self.failed = exc

    def __call__(self, batch: pa.Table) -> pa.Table:
        if self.failed is not None:
            return error_batch(self.failed)
        return _apply(self.fn, batch)


def task_args(engine: Any, stage: str, res: Resources) -> tuple[dict[str, Any], dict[str, Any]]:
    """``read_rows`` and ``map_batches`` arguments of a stage's CPU tasks, alike so that
    Ray fuses reading into the tasks: ``res.cpus`` each, at most
    ``engine.stages.<stage>.concurrency`` (else ``engine.workers``) at once."""
    from ray.data import TaskPoolStrategy

    over = engine.override(stage)
    size = over.concurrency if over is not None and over.concurrency else engine.config.workers
    read: dict[str, Any] = {"num_cpus": res.cpus, "concurrency": size}
    mapping: dict[str, Any] = {"num_cpus": res.cpus}
    if size:
        mapping["compute"] = TaskPoolStrategy(size=size)
    return read, mapping


def stage_secrets(stage: Any) -> dict[str, str]:
    """The secrets a stage's workers read from the environment (the redact stage's salt and
    key), taken from the driver's: a cluster's nodes need not have them set."""
    cfg = getattr(stage, "config", None)
    out: dict[str, str] = {}
    for needs, env in (("needs_salt", "salt_env"), ("needs_key", "key_env")):
        check = getattr(cfg, needs, None)
        name = getattr(cfg, env, None)
        if callable(check) and check() and name and name in os.environ:
            out[name] = os.environ[name]
    return out


def step_task(batch: pa.Table, fn: BatchFn, threads: int = 1, secrets: dict[str, Any] | None = None) -> pa.Table:
    """A step that keeps no state, in a Ray task."""
    worker_environment(threads, secrets)
    return _apply(fn, batch)
