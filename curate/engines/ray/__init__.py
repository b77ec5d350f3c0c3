"""The Ray engine: the same stages through Ray Data, on a local Ray or an existing cluster.

- Batch stages (redact, filter): ``map_batches`` over a pool of actors, each calling the stage's
  ``setup()`` once (one Presidio engine per actor).
- Global stages run their heavy parts on the cluster and decide on the driver from ids,
  indices, signatures and vectors, never from the texts:
  dedupe (signatures in tasks, LSH bands through Ray's groupby, union-find on the driver,
  :mod:`curate.engines.ray.dedupe`), embed (cache looked up and written on the driver,
  missing texts embedded by actors, on GPUs when the cluster has them,
  :mod:`curate.engines.ray.embed`), select (k-means on a GPU actor when the cluster has
  one, else on the driver, :mod:`curate.engines.ray.select`).
  Another global stage runs on the driver, as on the local engine.
- Workers read the input table themselves (a local path every node sees, or an fsspec
  URL); results come back in input order and the driver writes the stage's one Parquet
  table atomically, so a run folder looks the same whichever engine built it, and the
  results equal the local engine's.

Resources per stage come from the stage and ``engine.stages.<name>`` (cpus, gpus,
batch_size, concurrency). With no address (and no ``RAY_ADDRESS``) the engine starts a
private local Ray on 127.0.0.1 and shuts it down when the build ends."""

from __future__ import annotations

import logging
import os
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
from typing_extensions import Self

from curate.engines.config import EngineConfig, stage_resources
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
from curate.engines.ray.session import RaySession
from curate.errors import ConfigError, CurateError, StageError
from curate.records import DROP_COLUMN
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

        from curate.engines.ray.batch import StageActor, with_drop

        self.start()
        res = self.resources(stage)
        self.check_fits(stage.name, res.cpus, res.gpus)
        total = int(live_rows(input_path).size)
        ctx.progress.start(stage.name, total)
        with TableWriter(output_path, row_group_size=res.batch_size) as writer:
            if total == 0:  # still write the output schema, as the local engine does
                stage.setup()
                writer.write(with_drop(stage.process(live_scan(input_path).head(0).collect())))
            else:
                actors = self.workers(stage.name, res, -(-total // res.batch_size))
                log.info("%s: %d actor(s) of %g CPU, %g GPU, batches of %d", stage.name, actors, res.cpus, res.gpus, res.batch_size)
                ds = read_rows(input_path, block_rows=res.batch_size, concurrency=read_concurrency(actors)).map_batches(
                    StageActor,
                    fn_constructor_args=(stage, max(1, int(res.cpus)), stage_secrets(stage)),
                    batch_size=res.batch_size,
                    batch_format="pyarrow",
                    compute=ActorPoolStrategy(size=actors),
                    num_cpus=res.cpus,
                    **({"num_gpus": res.gpus} if res.gpus > 0 else {}),
                )
                for tbl in self.stream(stage.name, ds):
                    writer.write(tbl.drop_columns([ROW]))
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

    def collect(self, stage: str, ds: Any, columns: list[str] | None = None) -> pa.Table:
        """The rows of ``ds`` (small columns only: ids, indices, figures) on the driver,
        in input order."""
        parts = list(self.stream(stage, ds.select_columns(columns) if columns else ds))
        if not parts:
            return pa.table({})
        return pa.concat_tables(parts, promote_options="default")

    # -- global stages ----------------------------------------------------------------------
    def run_global(self, stage: GlobalStage, ctx: StageContext, input_path: Path, output_path: Path) -> None:
        self.start()
        rows = live_rows(input_path)
        total = int(rows.size)
        ctx.progress.start(stage.name, total)
        hooks = global_hooks(self, stage, input_path, rows)
        ann = stage.annotate(ctx, live_scan(input_path), **hooks)
        if "id" not in ann.columns:
            raise StageError(f"stage {stage.name}: annotations have no id column")
        if ann.height != total or ann["id"].n_unique() != ann.height:
            raise StageError(
                f"stage {stage.name}: expected one annotation per input record ({total}), got {ann.height}"
            )
        if DROP_COLUMN not in ann.columns:
            ann = ann.with_columns(pl.lit(None, dtype=pl.Utf8).alias(DROP_COLUMN))
        write_joined(input_path, ann, output_path)
        ctx.progress.advance(total)
        ctx.progress.finish()


def task_args(engine: RayEngine, stage: str, res: Resources) -> tuple[dict[str, Any], dict[str, Any]]:
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


def _errors_raised(batches: Iterator[pa.Table]) -> Iterator[pa.Table]:
    for tbl in batches:
        raise_if_error(tbl)
        if ERROR in tbl.column_names:
            tbl = tbl.drop_columns([c for c in (ERROR, ERROR_TYPE) if c in tbl.column_names])
        yield tbl


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


def global_hooks(engine: RayEngine, stage: GlobalStage, input_path: Path, rows: np.ndarray) -> dict[str, Any]:
    """The parts of a global stage that run on the cluster, as ``annotate`` keywords."""
    from curate.stages import stage_class

    kinds = {name: stage_class(name) for name in ("dedupe", "embed", "select")}
    if kinds["dedupe"] is not None and isinstance(stage, kinds["dedupe"]):
        from curate.engines.ray.dedupe import RayFinder

        return {"finder": RayFinder(engine, input_path, rows, engine.resources(stage))}
    if kinds["embed"] is not None and isinstance(stage, kinds["embed"]):
        from curate.engines.ray.embed import RayEmbedMissing

        return {"embed_missing": RayEmbedMissing(engine, stage.config, input_path, rows, engine.resources(stage))}
    if kinds["select"] is not None and isinstance(stage, kinds["select"]):
        from curate.engines.ray.select import RayKMeans

        return {"kmeans_fn": RayKMeans(engine, stage.config.clusters)}
    return {}


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
        has_drop = DROP_COLUMN in pf.schema_arrow.names
        offset = 0
        for rb in pf.iter_batches(batch_size=ROW_GROUP):
            df = pl.from_arrow(rb)
            assert isinstance(df, pl.DataFrame)
            if has_drop:
                df = df.filter(pl.col(DROP_COLUMN).is_null()).drop(DROP_COLUMN)
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

