"""What every engine does the same way: a stage's resources with ``engine.stages.<name>``
applied over them, and the checks of a stage's input and output against the columns it
declares (:class:`curate.stages.base.Columns`)."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from curate.engines.config import EngineConfig, StageResourcesConfig
from curate.errors import InputError, StageError
from curate.records import DROP_COLUMN
from curate.stages.base import BatchStage, Resources, Stage


class StageWorker:
    """A batch stage as a step (:mod:`curate.stages.ops`): ``setup()`` once per worker,
    then ``process()`` per batch, with ``drop_reason`` added when the stage sets none."""

    def __init__(self, stage: BatchStage):
        self.stage = stage
        self.__name__ = f"stage {stage.name}"

    def setup(self) -> None:
        self.stage.setup()

    def __call__(self, batch: pl.DataFrame) -> pl.DataFrame:
        return with_drop(self.stage.process(batch))


def with_overrides(res: Resources, over: StageResourcesConfig | None) -> Resources:
    """``res`` with the values set in ``over`` (``engine.stages.<name>``) put over it."""
    if over is None:
        return res
    return Resources(
        cpus=over.cpus or res.cpus,
        gpus=over.gpus if over.gpus is not None else res.gpus,
        batch_size=over.batch_size or res.batch_size,
        concurrency=over.concurrency or res.concurrency,
    )


def stage_resources(stage: Stage, config: EngineConfig) -> Resources:
    """The stage's own resources with ``engine.stages.<name>`` applied over them."""
    return with_overrides(stage.resources(), config.stages.get(stage.name))


def check_inputs(stage: Stage, names: Sequence[str]) -> None:
    """The input has every column the stage declares it reads."""
    if stage.columns is None:
        return
    missing = [c for c in stage.columns.reads if c not in names]
    if missing:
        raise InputError(
            f"stage {stage.name} needs the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
            f"its input has {', '.join(names)}"
        )


def check_written(stage: Stage, schema: pl.Schema | dict[str, pl.DataType], *, given: Sequence[str]) -> None:
    """Every column of ``schema`` is one the stage declares it writes (with that type),
    one of ``given`` (``id`` and ``drop_reason``; a batch stage's input columns), or
    ``drop_reason``; every column it declares always writing is there."""
    cols = stage.columns
    if cols is None:
        return
    declared = {**cols.writes_optional, **cols.writes}
    for name, dtype in schema.items():
        if name in declared:
            if dtype != declared[name] and dtype != pl.Null:
                raise StageError(f"stage {stage.name}: column {name} is {dtype}, but the stage declares {declared[name]}")
        elif name not in given and name != DROP_COLUMN:
            raise StageError(f"stage {stage.name}: wrote the column {name}, which it does not declare")
        elif name == DROP_COLUMN and dtype not in (pl.Utf8, pl.Null):
            raise StageError(f"stage {stage.name}: {DROP_COLUMN} is {dtype}, not text")
    missing = [c for c in cols.writes if c not in schema]
    if missing:
        raise StageError(f"stage {stage.name}: did not write {', '.join(missing)}, which it declares")


def checked_annotations(stage: Stage, ann: pl.DataFrame, total: int) -> pl.DataFrame:
    """A global stage's annotations, checked (one row per input record, the declared
    columns), with ``drop_reason`` added when the stage drops nothing."""
    if "id" not in ann.columns:
        raise StageError(f"stage {stage.name}: annotations have no id column")
    if ann.height != total or ann["id"].n_unique() != ann.height:
        raise StageError(f"stage {stage.name}: expected one annotation per input record ({total}), got {ann.height}")
    check_written(stage, ann.schema, given=("id",))
    return with_drop(ann)


def with_drop(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with a ``drop_reason`` column (null: every row live) when it has none."""
    if DROP_COLUMN not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.Utf8).alias(DROP_COLUMN))
    return df
