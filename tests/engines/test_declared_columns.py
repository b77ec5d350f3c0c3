"""A stage declares the columns it reads and writes (``Columns``); the engine checks its
input and its output against the declaration and refuses what does not match, before any
table is written."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate.config import CurateConfig
from curate.engines.config import EngineConfig
from curate.engines.local import LocalEngine
from curate.errors import InputError, StageError
from curate.run import RunFolder
from curate.stages.base import BatchStage, Columns, GlobalStage, StageContext


class Lengths(BatchStage):
    name = "lengths"
    columns = Columns(reads=("id", "text"), writes={"length": pl.Int64})

    def __init__(self, config, extra: dict | None = None):
        super().__init__(config)
        self.extra = extra or {}

    def process(self, batch: pl.DataFrame) -> pl.DataFrame:
        out = batch.with_columns(pl.col("text").str.len_chars().cast(pl.Int64).alias("length"))
        return out.with_columns(**self.extra) if self.extra else out


class Flags(GlobalStage):
    name = "flags"
    columns = Columns(reads=("id",), writes={"flag": pl.Boolean}, writes_optional={"note": pl.Utf8})

    def __init__(self, config, frame):
        super().__init__(config)
        self.frame = frame

    def annotate(self, ctx, table):
        ids = table.select("id").collect()["id"]
        return self.frame(ids)


@pytest.fixture
def setup(tmp_path):
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": ["a", "b", "c"], "text": ["x", "yy", "zzz"], "drop_reason": [None, None, "gone"]}), src)
    cfg = CurateConfig.model_construct(name="t", sources=[])
    return cfg, StageContext(run=RunFolder(tmp_path), config=cfg), src, tmp_path / "out.parquet"


def test_a_batch_stage_writes_what_it_declares(setup):
    cfg, ctx, src, out = setup
    LocalEngine(EngineConfig(workers=1)).run_batch(Lengths(cfg), ctx, src, out)
    assert pl.read_parquet(out)["length"].to_list() == [1, 2]
    with pytest.raises(StageError, match="wrote the column secret, which it does not declare"):
        LocalEngine(EngineConfig(workers=1)).run_batch(Lengths(cfg, {"secret": pl.lit(1)}), ctx, src, out)
    with pytest.raises(StageError, match="column length is Int32, but the stage declares Int64"):
        LocalEngine(EngineConfig(workers=1)).run_batch(Lengths(cfg, {"length": pl.lit(1, dtype=pl.Int32)}), ctx, src, out)


def test_a_global_stage_writes_what_it_declares(setup):
    cfg, ctx, src, out = setup
    engine = LocalEngine()
    engine.run_global(Flags(cfg, lambda ids: pl.DataFrame({"id": ids, "flag": [True, False]})), ctx, src, out)
    engine.run_global(Flags(cfg, lambda ids: pl.DataFrame({"id": ids, "flag": [True, False], "note": ["n", None]})),
                      ctx, src, out)
    assert pl.read_parquet(out).columns == ["id", "text", "flag", "note", "drop_reason"]
    with pytest.raises(StageError, match="did not write flag, which it declares"):
        engine.run_global(Flags(cfg, lambda ids: pl.DataFrame({"id": ids})), ctx, src, tmp := out.with_name("x.parquet"))
    assert not tmp.exists()
    with pytest.raises(StageError, match="wrote the column extra"):
        engine.run_global(Flags(cfg, lambda ids: pl.DataFrame({"id": ids, "flag": [True, True], "extra": [1, 2]})),
                          ctx, src, out)


def test_a_missing_input_column_is_named_before_the_stage_runs(setup, tmp_path):
    cfg, ctx, _, out = setup
    src = tmp_path / "no_text.parquet"
    pq.write_table(pa.table({"id": ["a"]}), src)
    with pytest.raises(InputError, match="^stage lengths needs the column text; its input has id$"):
        LocalEngine(EngineConfig(workers=1)).run_batch(Lengths(cfg), ctx, src, out)
