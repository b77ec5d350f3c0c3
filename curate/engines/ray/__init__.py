"""The Ray engine: the same stages through Ray Data, on a local Ray or an existing cluster.

- Batch stages (redact, filter): ``map_batches`` over a pool of actors, each calling the
  stage's ``setup()`` once (one Presidio engine per actor).
- Global stages (dedupe, embed, select) decide on the driver from ids, hashes, signatures
  and vectors, never from the texts; their steps run on the cluster through ``ctx.ops``
  (:class:`~curate.engines.ray.ops.RayOps`): per-record steps in Ray tasks or actors
  (GPUs when the cluster has them and the stage's device setting allows it), heavy calls
  that ask for a GPU in a Ray task holding one. The engine knows no stage by name.
- Workers read the input table themselves (a local path every node sees, or an fsspec
  URL); results come back in input order and the driver writes the stage's one Parquet
  table atomically, so a run folder looks the same whichever engine built it, and the
  results equal the local engine's.

Resources per stage come from the stage and ``engine.stages.<name>`` (cpus, gpus,
batch_size, concurrency). With no address (and no ``RAY_ADDRESS``) the engine starts a
private local Ray on 127.0.0.1 and shuts it down when the build ends."""

from __future__ import annotations

import dataclasses
import logging
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
from typing_extensions import Self

from curate.engines.base import StageWorker, check_inputs, check_written, checked_annotations, stage_resources
from curate.engines.config import EngineConfig
from curate.engines.ray.errors import ERROR, ERROR_TYPE, raise_if_error, task_failure
from curate.engines.ray.io import (
    ROW,
    ROW_GROUP,
    TableWriter,
    live_rows,
    live_scan,
    open_parquet,
    ordered,
    read_concurrency,
    read_rows,
)
from curate.engines.ray.ops import RayOps
from curate.engines.ray.session import RaySession
from curate.engines.ray.workers import StepActor, stage_secrets
from curate.errors import ConfigError, CurateError, StageError
from curate.records import live
from curate.stages.base import BatchStage, GlobalStage, Resources, StageContext

log = logging.getLogger("curate.ray")

__all__ = ["RayEngine"]


class RayEngine:
    """Runs stages on Ray. Use as a context manager, or call :meth:`close` (a build that
    does neither still shuts its local Ray down when the engine is collected or the
    process exits)."""

    name = "ray"

    def __init__(self, config: EngineConfig | None = None):
        self.config = config or EngineConfig(type="ray")
        self.session = RaySession(self.config.address, num_cpus=self.config.workers)
        self._closer = weakref.finalize(self, RaySession.stop, self.session)

    # -- the cluster ------------------------------------------------------------------------
    def start(self) -> Any:
        """Connect to the cluster, or start the local Ray (once)."""
        return self.session.start()

    def close(self) -> None:
        self._closer()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cluster(self) -> dict[str, float]:
        return self.session.cluster_resources()

    def resources(self, stage: BatchStage | GlobalStage) -> Resources:
        return stage_resources(stage, self.config)

    def override(self, stage: str) -> Any:
        """``engine.stages.<stage>`` as configured (None when not given)."""
        return self.config.stages.get(stage)

    def check_fits(self, stage: str, cpus: float, gpus: float) -> None:
        """A worker that asks for more than the cluster has would wait forever: say so."""
        have = self.cluster()
        if gpus > 0 and have.get("GPU", 0.0) < gpus:
            raise ConfigError(
                f"engine.stages.{stage}.gpus: a worker asks for {gpus:g} GPU(s) but the Ray cluster has "
                f"{have.get('GPU', 0.0):g}"
            )
        if cpus > have.get("CPU", 0.0):
            raise ConfigError(
                f"engine.stages.{stage}.cpus: a worker asks for {cpus:g} CPUs but the Ray cluster has {have.get('CPU', 0.0):g}"
            )

    def workers(self, stage: str, res: Resources, items: int, *, default: int | None = None) -> int:
        """How many actors or tasks at once: ``engine.stages.<stage>.concurrency``, else
        ``engine.workers``, else ``default``, else as many as the cluster's CPUs (GPUs for
        a GPU stage) hold; never more than there are ``items`` (batches) to give them."""
        over = self.override(stage)
        if over is not None and over.concurrency:
            n = over.concurrency
        elif self.config.workers:
            n = self.config.workers
        elif default is not None:
            n = default
        else:
            have = self.cluster()
            n = int(have.get("CPU", 1.0) // max(res.cpus, 1e-9))
            if res.gpus > 0:
                n = min(n, int(have.get("GPU", 0.0) // res.gpus))
        return max(1, min(n, max(1, items)))

    # -- batch stages -----------------------------------------------------------------------
    def run_batch(self, stage: BatchStage, ctx: StageContext, input_path: Path, output_path: Path) -> None:
        from ray.data import ActorPoolStrategy

        self.start()
        res = self.resources(stage)
        self.check_fits(stage.name, res.cpus, res.gpus)
        names = live_scan(input_path).collect_schema().names()
        check_inputs(stage, names)
        total = int(live_rows(input_path).size)
        ctx.progress.start(stage.name, total)
        worker = StageWorker(stage)
        with TableWriter(output_path, row_group_size=res.batch_size) as writer:
            if total == 0:  # still write the output schema, as the local engine does
                worker.setup()
                empty = worker(live_scan(input_path).head(0).collect())
                check_written(stage, empty.schema, given=names)
                writer.write(empty)
            else:
                actors = self.workers(stage.name, res, -(-total // res.batch_size))
                log.info("%s: %d actor(s) of %g CPU, %g GPU, batches of %d", stage.name, actors, res.cpus, res.gpus, res.batch_size)
                ds = read_rows(input_path, block_rows=res.batch_size, concurrency=read_concurrency(actors)).map_batches(
                    StepActor,
                    fn_constructor_args=(worker, max(1, int(res.cpus)), stage_secrets(stage)),
                    batch_size=res.batch_size,
                    batch_format="pyarrow",
                    compute=ActorPoolStrategy(size=actors),
                    num_cpus=res.cpus,
                    **({"num_gpus": res.gpus} if res.gpus > 0 else {}),
                )
                for tbl in self.stream(stage.name, ds):
                    tbl = tbl.drop_columns([ROW])
                    if writer.rows == 0:
                        check_written(stage, pl.from_arrow(tbl.slice(0, 0)).schema, given=names)
                    writer.write(tbl)
                    ctx.progress.advance(tbl.num_rows)
                if writer.rows != total:  # before the table is put in place
                    raise StageError(f"stage {stage.name}: the ray engine received {writer.rows} rows for {total}")
        ctx.progress.finish()

    def stream(self, stage: str, ds: Any, *, in_order: bool = True) -> Iterator[pa.Table]:
        """The batches of ``ds``, in input order (checked by ``_row``) unless ``in_order`` is
        false, with curate errors raised as themselves and Ray failures as a StageError
        naming the stage."""
        try:
            batches = _errors_raised(ds.iter_batches(batch_size=None, batch_format="pyarrow"))
            yield from (ordered(batches) if in_order else batches)
        except CurateError:
            raise
        except Exception as exc:
            if type(exc).__module__.startswith("ray"):
                log.debug("stage %s: Ray failure", stage, exc_info=True)
                raise task_failure(stage, exc) from exc
            raise

    # -- global stages ----------------------------------------------------------------------
    def run_global(self, stage: GlobalStage, ctx: StageContext, input_path: Path, output_path: Path) -> None:
        self.start()
        rows = live_rows(input_path)
        total = int(rows.size)
        table = live_scan(input_path)
        check_inputs(stage, table.collect_schema().names())
        ctx.progress.start(stage.name, total)
        ops = RayOps(self, stage, input_path, rows)
        ann = checked_annotations(stage, stage.annotate(dataclasses.replace(ctx, ops=ops, engine=self.name), table), total)
        write_joined(input_path, ann, output_path)
        ctx.progress.advance(total)
        ctx.progress.finish()


def _errors_raised(batches: Iterator[pa.Table]) -> Iterator[pa.Table]:
    for tbl in batches:
        raise_if_error(tbl)
        if ERROR in tbl.column_names:
            tbl = tbl.drop_columns([c for c in (ERROR, ERROR_TYPE) if c in tbl.column_names])
        yield tbl


def write_joined(input_path: Path | str, ann: pl.DataFrame, output_path: Path | str) -> None:
    """The live input rows with the annotations joined by id, in input order, as one table.
    The driver streams the input once; annotations are put in input order first (a join of
    the ids alone), so each input slice meets its own rows."""
    ids = live_scan(input_path).select("id").collect()
    if ann.height == ids.height and ann["id"].equals(ids["id"]):
        aligned = ann  # already in input order (dedupe, embed, select): no copy of the vectors
    else:
        aligned = ids.join(ann, on="id", how="left", maintain_order="left")
    if aligned.height != ids.height:
        raise StageError("annotations do not match the input's ids one to one")
    extra = aligned.drop("id")
    with TableWriter(output_path) as writer, open_parquet(input_path) as pf:
        offset = 0
        for rb in pf.iter_batches(batch_size=ROW_GROUP):
            df = pl.from_arrow(rb)
            assert isinstance(df, pl.DataFrame)
            df = live(df)
            if not df.height:
                continue
            part = aligned["id"].slice(offset, df.height)
            if not part.equals(df["id"]):
                raise StageError("annotations came out of input order; the stage table was not written")
            writer.write(pl.concat([df, extra.slice(offset, df.height)], how="horizontal"))
            offset += df.height
        if writer.rows == 0:
            schema = live_scan(input_path).head(0).collect()
            writer.write(pl.concat([schema, extra.head(0)], how="horizontal"))

