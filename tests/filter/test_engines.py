"""The filter stage is an ordinary batch stage: the local engine's pool of spawned workers
gives the table one process gives (each worker sets its checks up, the language model
included). Ray runs it in an actor pool: tests/engines/test_ray_build.py compares its
filter.parquet with the local engine's."""

from __future__ import annotations

import json

import polars as pl

from curate.config import CurateConfig
from curate.engines.config import EngineConfig, StageResourcesConfig
from curate.engines.local import LocalEngine
from curate.filter.config import FilterConfig
from curate.filter.stage import FilterStage
from curate.records import DROP_COLUMN, make_record, records_frame
from curate.run import RunFolder
from curate.stages.base import StageContext

TEXTS = [
    ("Where is my parcel? It was due on Monday.", "It ships today, sorry for the wait."),
    ("hi", "hello"),
    ("Hallo, meine Bestellung ist nicht angekommen. Können Sie helfen?", "Natürlich, ich sehe nach."),
    ("My invoice shows the wrong address, can you fix it?", None),
]


def test_a_pool_of_workers_gives_the_table_of_one_process(tmp_path):
    rows = []
    for i in range(60):
        q, a = TEXTS[i % len(TEXTS)]
        turns = [{"role": "user", "content": f"{q} ({i})"}] + ([{"role": "assistant", "content": a}] if a else [])
        rows.append(make_record(source="t", native_id=str(i), kind="ticket", messages=turns, meta={"n": i}))
    src = tmp_path / "in.parquet"
    records_frame(rows).with_columns(pl.lit(None, dtype=pl.Utf8).alias(DROP_COLUMN)).write_parquet(src)
    cfg = CurateConfig.model_construct(name="t", sources=[], filter=FilterConfig(languages=["en"]))
    ctx = StageContext(run=RunFolder(tmp_path), config=cfg)
    out = {}
    for workers in (1, 2):
        engine = EngineConfig(workers=workers, stages={"filter": StageResourcesConfig(batch_size=8)})
        dest = tmp_path / f"w{workers}.parquet"
        LocalEngine(engine).run_batch(FilterStage(cfg), ctx, src, dest)
        out[workers] = pl.read_parquet(dest)
    assert out[2].equals(out[1])
    reasons = dict(zip(out[1]["id"].to_list(), out[1][DROP_COLUMN].to_list()))
    assert reasons["t:0"] is None and reasons["t:1"] == "too_short"
    assert reasons["t:2"] == "wrong_language" and reasons["t:3"] == "no_agent_reply"
    assert json.loads(out[1].filter(pl.col("id") == "t:0")["meta"].item()) == {"n": 0}
