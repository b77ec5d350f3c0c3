"""How a global stage runs its heavy parts: the one interface every engine implements.

A global stage decides on the driver from small columns (ids, hashes, signatures,
vectors); the work per record (MinHash signatures, embeddings) and the heavy calls
(k-means on a GPU) go through ``ctx.ops``, which the engine gives it:

- :meth:`Ops.map_batches` runs a step over the stage's input: ``fn`` (a picklable callable
  ``DataFrame -> DataFrame``, one output row per input row) over the live rows, only
  ``columns``, only ``rows`` (positions among the live rows) when given, in batches of
  exactly ``batch_size`` rows (the last one shorter), results in input order. The batches
  are cut the same way by every engine, so a step whose result depends on its batch (an
  embedding model's padding) gives the same result everywhere. A step with a ``setup()``
  method keeps state (a model): ``setup()`` runs once per worker, before its first batch.
- :meth:`Ops.call` makes one heavy call where ``resources`` say (k-means in a GPU worker).
- :meth:`Ops.device` says which device the stage's workers get for a setting such as
  ``embed.device: auto``.

:class:`InProcessOps` runs everything in this process, in order: the local engine builds
on it, and a stage's steps run on an in-memory table through it (``InProcessOps.over``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import polars as pl

from curate import devices
from curate.errors import StageError
from curate.stages.resources import Resources

#: a step: one batch of the stage's input in, one row per input row out
BatchFn = Callable[[pl.DataFrame], pl.DataFrame]
#: reads the given columns of a table's live rows, in batches, always in the same order
BatchReader = Callable[[list[str]], Iterator[pl.DataFrame]]


def setup_worker(fn: BatchFn) -> None:
    """Call ``fn.setup()`` when the step has one (load a model once per worker)."""
    setup = getattr(fn, "setup", None)
    if callable(setup):
        setup()


def run_step(fn: BatchFn, batch: pl.DataFrame) -> pl.DataFrame:
    """``fn(batch)``, checked to give one row per input row."""
    out = fn(batch)
    if not isinstance(out, pl.DataFrame) or out.height != batch.height:
        got = out.height if isinstance(out, pl.DataFrame) else type(out).__name__
        raise StageError(f"{step_name(fn)}: returned {got} rows for {batch.height}")
    return out


def step_name(fn: BatchFn) -> str:
    return getattr(fn, "__name__", None) or type(fn).__name__


class Ops(ABC):
    """What a global stage may ask of the engine that runs it (see the module doc)."""

    @abstractmethod
    def map_batches(
        self,
        fn: BatchFn,
        *,
        columns: Sequence[str],
        rows: np.ndarray | None = None,
        batch_size: int,
        resources: Resources | None = None,
    ) -> Iterator[pl.DataFrame]:
        """``fn`` over the live rows of the stage's input (``columns`` of them; only the
        positions ``rows``, ascending, when given), in batches of ``batch_size`` rows;
        yields each batch's result, in input order. ``resources``: what one worker needs
        (CPUs, GPUs); the engine's settings for the stage (``engine.stages.<name>``)
        override them and may set the batch size."""

    @abstractmethod
    def call(self, fn: Callable[..., Any], /, *args: Any, resources: Resources | None = None, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` where ``resources`` say: a call asking for GPUs runs
        where a GPU is; anything else wherever is cheapest (here)."""

    @abstractmethod
    def device(self, requested: str, *, setting: str, mps: bool = False) -> str:
        """The device (``cpu``, ``cuda``, ``mps``) the stage's workers get for
        ``requested`` (``auto`` or a device; ``mps`` only where the work can use it);
        a ConfigError naming ``setting`` when it cannot be had."""


def gpus_for(device: str) -> float:
    """GPUs a worker computing on ``device`` asks for."""
    return 1.0 if device.startswith("cuda") else 0.0


def exact_batches(
    read: BatchReader, columns: Sequence[str], rows: np.ndarray | None, batch_size: int
) -> Iterator[pl.DataFrame]:
    """The rows ``read`` yields (only positions ``rows`` when given), re-cut into batches
    of exactly ``batch_size`` rows, the last one shorter: how every engine cuts a step's
    input."""
    batch_size = max(1, int(batch_size))
    want = None if rows is None else np.asarray(rows, dtype=np.int64)
    if want is not None and want.size == 0:
        return
    held: list[pl.DataFrame] = []
    have = 0
    end = 0  # position after the last row read
    for df in read(list(columns)):
        start, end = end, end + df.height
        done = False
        if want is not None:
            lo, hi = (int(i) for i in np.searchsorted(want, [start, end]))
            if hi - lo < df.height:
                df = df[want[lo:hi] - start]
            done = hi == want.size  # every wanted row read: no need to read on
        if df.height:
            held.append(df)
            have += df.height
            while have >= batch_size:
                joined = pl.concat(held) if len(held) > 1 else held[0]
                yield joined.slice(0, batch_size)
                rest = joined.slice(batch_size)
                held, have = ([rest] if rest.height else []), rest.height
        if done:
            break
    if have:
        yield pl.concat(held) if len(held) > 1 else held[0]


class InProcessOps(Ops):
    """Every step in this process, in order; devices of this machine. ``read`` gives the
    live rows of the stage's input (see :data:`BatchReader`)."""

    def __init__(self, read: BatchReader):
        self.read = read

    @classmethod
    def over(cls, table: pl.DataFrame | pl.LazyFrame, slice_rows: int = 50_000) -> InProcessOps:
        """Ops over an in-memory (or lazy) table whose rows are all live."""

        def read(columns: list[str]) -> Iterator[pl.DataFrame]:
            names = table.collect_schema().names() if isinstance(table, pl.LazyFrame) else table.columns
            cols = [c for c in columns if c in names]
            if isinstance(table, pl.DataFrame):
                yield from table.select(cols).iter_slices(slice_rows)
                return
            lf = table.select(cols)
            offset = 0
            while True:
                part = lf.slice(offset, slice_rows).collect()
                if not part.height:
                    return
                yield part
                offset += part.height

        return cls(read)

    def batches(self, columns: Sequence[str], rows: np.ndarray | None, batch_size: int) -> Iterator[pl.DataFrame]:
        return exact_batches(self.read, columns, rows, batch_size)

    def map_batches(
        self,
        fn: BatchFn,
        *,
        columns: Sequence[str],
        rows: np.ndarray | None = None,
        batch_size: int,
        resources: Resources | None = None,
    ) -> Iterator[pl.DataFrame]:
        started = False
        for batch in self.batches(columns, rows, batch_size):
            if not started:
                setup_worker(fn)
                started = True
            yield run_step(fn, batch)

    def call(self, fn: Callable[..., Any], /, *args: Any, resources: Resources | None = None, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    def device(self, requested: str, *, setting: str, mps: bool = False) -> str:
        return devices.resolve(requested, setting=setting, mps=mps)
