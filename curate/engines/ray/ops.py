"""A global stage's steps and heavy calls on Ray (``ctx.ops`` for a stage the Ray engine
runs; the contract is :mod:`curate.stages.ops`).

- ``map_batches``: workers read the stage's input table themselves, one read task per
  batch (the local engine's batches: exactly ``batch_size`` of the selected live rows), so
  no record text passes through the driver; a step with ``setup()`` runs in a pool of
  actors (one model each), another in Ray tasks. Results come back in input order
  (checked by ``_row``).
- ``call``: a call asking for GPUs runs in a Ray task holding them; any other runs on the
  driver, as on the local engine (shipping its input to a worker would gain nothing).
- ``device``: from the cluster: ``auto`` takes GPUs when the cluster has them;
  ``engine.stages.<name>.gpus`` sets how many per worker (0 keeps the stage on CPUs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import numpy as np
import polars as pl

from curate.devices import DEVICES
from curate.engines.base import with_overrides
from curate.engines.ray.io import ROW, read_concurrency, read_rows
from curate.engines.ray.session import worker_environment
from curate.engines.ray.workers import StepActor, stage_secrets, step_task, task_args
from curate.errors import ConfigError
from curate.stages.base import Resources, Stage
from curate.stages.ops import BatchFn, Ops

class Cluster(Protocol):
    """What the ops ask of the Ray engine (:class:`curate.engines.ray.RayEngine`)."""

    config: Any

    def override(self, stage: str) -> Any: ...
    def cluster(self) -> dict[str, float]: ...
    def check_fits(self, stage: str, cpus: float, gpus: float) -> None: ...
    def workers(self, stage: str, res: Resources, items: int, *, default: int | None = None) -> int: ...
    def stream(self, stage: str, ds: Any, *, in_order: bool = True) -> Iterator[Any]: ...


def placement(requested: str, *, setting: str, stage: str, cluster_gpus: float, gpus: float | None,
              mps: bool = False) -> str:
    """The device a Ray worker of ``stage`` computes on for the setting ``requested``.

    ``gpus``: ``engine.stages.<stage>.gpus`` when configured; otherwise a worker takes a
    GPU when the cluster has GPUs and the setting is auto or cuda. A worker without a GPU
    computes on the CPU (``mps`` is kept, where the work can use it, for a cluster of Macs)."""
    if requested not in DEVICES:
        raise ConfigError(f"{setting}: unknown device {requested!r}; devices are {', '.join(DEVICES)}")
    if requested == "cpu":
        if gpus:
            raise ConfigError(f"engine.stages.{stage}.gpus: {setting} is cpu; set it to auto or cuda to use GPUs")
        return "cpu"
    if requested == "mps" and not mps:
        raise ConfigError(f"{setting}: mps was asked for, but this computation cannot use it (use auto or cpu)")
    want = gpus if gpus is not None else (1.0 if cluster_gpus > 0 and requested in ("auto", "cuda") else 0.0)
    if want > 0 and cluster_gpus < want:
        raise ConfigError(f"engine.stages.{stage}.gpus: a worker asks for {want:g} GPU(s) but the Ray cluster has {cluster_gpus:g}")
    if requested == "cuda" and want <= 0:
        raise ConfigError(f"{setting}: cuda was asked for, but the Ray cluster has no GPU (use auto or cpu)")
    if want > 0:
        return "cuda"
    return "mps" if requested == "mps" else "cpu"


class RayOps(Ops):
    """``ctx.ops`` of one stage run by the Ray engine, over its input table."""

    def __init__(self, engine: Cluster, stage: Stage, input_path: Any, live_pos: np.ndarray):
        self.engine = engine
        self.stage = stage
        self.input_path = input_path
        self.live_pos = live_pos  # positions of the live rows in the input file

    def _resources(self, resources: Resources | None, batch_size: int = 1024) -> Resources:
        return with_overrides(resources or Resources(batch_size=batch_size), self.engine.override(self.stage.name))

    def map_batches(
        self,
        fn: BatchFn,
        *,
        columns: Sequence[str],
        rows: np.ndarray | None = None,
        batch_size: int,
        resources: Resources | None = None,
    ) -> Iterator[pl.DataFrame]:
        from ray.data import ActorPoolStrategy

        name = self.stage.name
        over = self.engine.override(name)
        res = self._resources(resources, batch_size)
        size = over.batch_size if over is not None and over.batch_size else batch_size
        phys = self.live_pos if rows is None else self.live_pos[np.asarray(rows, dtype=np.int64)]
        if phys.size == 0:
            return
        self.engine.check_fits(name, res.cpus, res.gpus)
        chunks = phys[::size]  # each batch: one read task, one block
        threads = max(1, int(res.cpus))
        secrets = stage_secrets(self.stage)
        gpu = {"num_gpus": res.gpus} if res.gpus > 0 else {}
        if callable(getattr(fn, "setup", None)):
            cluster_gpus = self.engine.cluster().get("GPU", 0.0)
            actors = self.engine.workers(name, res, chunks.size,
                                         default=int(cluster_gpus // res.gpus) if res.gpus > 0 else None)
            ds = read_rows(self.input_path, columns, rows=phys, chunks=chunks, concurrency=read_concurrency(actors))
            ds = ds.map_batches(
                StepActor, fn_constructor_args=(fn, threads, secrets), batch_size=None, batch_format="pyarrow",
                compute=ActorPoolStrategy(size=actors), num_cpus=res.cpus, **gpu,
            )
        else:
            read_args, map_args = task_args(self.engine, name, res)
            if gpu:  # a GPU task reads for itself
                read_args = {"concurrency": read_args["concurrency"]}
            ds = read_rows(self.input_path, columns, rows=phys, chunks=chunks, **read_args)
            ds = ds.map_batches(step_task, fn_kwargs={"fn": fn, "threads": threads, "secrets": secrets},
                                batch_size=None, batch_format="pyarrow", **map_args, **gpu)
        for tbl in self.engine.stream(name, ds):
            df = pl.from_arrow(tbl.drop_columns([ROW]))
            assert isinstance(df, pl.DataFrame)
            yield df

    def call(self, fn: Callable[..., Any], /, *args: Any, resources: Resources | None = None, **kwargs: Any) -> Any:
        res = self._resources(resources)
        if res.gpus <= 0:
            return fn(*args, **kwargs)
        import ray

        self.engine.check_fits(self.stage.name, res.cpus, res.gpus)
        task = ray.remote(num_gpus=res.gpus, num_cpus=res.cpus, max_retries=0)(_placed_call)
        refs = [ray.put(a) if isinstance(a, np.ndarray) else a for a in args]
        return ray.get(task.remote(fn, max(1, int(res.cpus)), *refs, **kwargs))

    def device(self, requested: str, *, setting: str, mps: bool = False) -> str:
        over = self.engine.override(self.stage.name)
        return placement(requested, setting=setting, stage=self.stage.name, mps=mps,
                         cluster_gpus=self.engine.cluster().get("GPU", 0.0),
                         gpus=over.gpus if over is not None else None)


def _placed_call(fn: Callable[..., Any], threads: int, *args: Any, **kwargs: Any) -> Any:
    worker_environment(threads)
    return fn(*args, **kwargs)
