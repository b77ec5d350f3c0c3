"""The Ray engine against the local engine, stage shape by stage shape, on a local Ray
with 2 CPUs: same tables whatever order Ray finishes the work in, curate's errors come
back as themselves, fsspec URLs, resources and the GPU placement rules."""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import ray
from helpers import write_config
from ray import cloudpickle

from curate.config import CurateConfig, load_config
from curate.engines.config import EngineConfig, StageResourcesConfig
from curate.engines.local import LocalEngine
from curate.errors import ConfigError, StageError
from curate.run import RunFolder
from curate.stages.base import BatchStage, Columns, GlobalStage, Resources, StageContext

# the stages below live in this test module, which Ray's workers cannot import: send them by value
cloudpickle.register_pickle_by_value(sys.modules[__name__])


class Tagger(BatchStage):
    """Adds ``length`` and the worker's pid; sleeps a random while per batch so batches
    finish out of order. Raises a curate error, or another error, on chosen ids. With
    ``meet`` (a folder), each worker's first batch waits until two workers have started
    one, so a slow start of the second actor cannot leave all the work to the first."""

    name = "tagger"

    def __init__(self, config, fail_on: str | None = None, crash_on: str | None = None, meet: str | None = None):
        super().__init__(config)
        self.fail_on = fail_on
        self.crash_on = crash_on
        self.meet = meet
        self._met = False

    def resources(self) -> Resources:
        return Resources(cpus=1.0, batch_size=7)

    def process(self, batch: pl.DataFrame) -> pl.DataFrame:
        if self.meet and not self._met:
            Path(self.meet, str(os.getpid())).touch()
            deadline = time.monotonic() + 60
            while len(os.listdir(self.meet)) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            self._met = True
        time.sleep(random.random() * 0.03)
        ids = set(batch["id"].to_list())
        if self.fail_on in ids:
            raise StageError("tagger: a record could not be tagged; fix the tagger")
        if self.crash_on in ids:
            raise ValueError("Maria Gonzalez maria@example.com")  # record text in a message
        return batch.with_columns(
            pl.col("text").str.len_chars().alias("length"),
            pl.when(pl.col("text").str.contains("9")).then(pl.lit("has_nine")).otherwise(None).alias("drop_reason"),
            pl.lit(os.getpid()).alias("worker"),
        )


class Lengths(GlobalStage):
    """Annotations in reverse order (the engine joins them by id), one drop."""

    name = "lengths"

    def annotate(self, ctx, table):
        df = table.select("id", pl.col("text").str.len_chars().alias("n")).collect().reverse()
        return df.with_columns(pl.when(pl.col("n") < 14).then(pl.lit("short")).otherwise(None).alias("drop_reason"))


@pytest.fixture(scope="module")
def run_config(tmp_path_factory) -> CurateConfig:
    folder = tmp_path_factory.mktemp("cfg")
    (folder / "x.jsonl").write_text('{"id": "1", "q": "x"}\n')
    return load_config(write_config(folder / "curate.yaml", {
        "name": "t", "sources": [{"type": "jsonl", "path": "x.jsonl", "fields": {"id": "id", "user": "q"}}],
    }))


def write_input(path: Path, n: int = 150, dropped: bool = True) -> Path:
    rng = random.Random(7)
    rows = {
        "id": [f"r{i:04d}" for i in range(n)],
        "text": [" ".join(str(rng.randint(0, 99)) for _ in range(rng.randint(1, 12))) for _ in range(n)],
        "drop_reason": [("before" if (dropped and i % 6 == 0) else None) for i in range(n)],
    }
    pq.write_table(pa.table(rows), path, row_group_size=23)
    return path


def ctx_for(tmp: Path, config: CurateConfig) -> StageContext:
    return StageContext(run=RunFolder(tmp), config=config)


def read(path: Path) -> pl.DataFrame:
    return pl.read_parquet(path)


def test_batch_stage_same_table_as_local_whatever_the_scheduling(ray_engine, run_config, tmp_path):
    src = write_input(tmp_path / "in.parquet")
    ctx = ctx_for(tmp_path, run_config)
    LocalEngine(EngineConfig(workers=1)).run_batch(Tagger(run_config), ctx, src, tmp_path / "local.parquet")
    meet = tmp_path / "workers"
    meet.mkdir()
    ray_engine.run_batch(Tagger(run_config, meet=str(meet)), ctx, src, tmp_path / "ray.parquet")
    local, out = read(tmp_path / "local.parquet"), read(tmp_path / "ray.parquet")
    assert out.drop("worker").equals(local.drop("worker"))
    assert pq.read_schema(tmp_path / "ray.parquet").equals(pq.read_schema(tmp_path / "local.parquet"))
    # the rows really were spread over two actors, and came back in input order anyway
    assert out["worker"].n_unique() == 2
    assert out["id"].to_list() == [f"r{i:04d}" for i in range(150) if i % 6]
    assert out.height == 125 and (out["drop_reason"] == "has_nine").sum() > 0
    # one row group per batch, as the local engine writes
    assert pq.ParquetFile(tmp_path / "ray.parquet").metadata.row_group(0).num_rows == 7


def test_curate_error_in_an_actor_comes_back_as_itself(ray_engine, run_config, tmp_path):
    src = write_input(tmp_path / "in.parquet")
    with pytest.raises(StageError, match="a record could not be tagged; fix the tagger"):
        ray_engine.run_batch(Tagger(run_config, fail_on="r0100"), ctx_for(tmp_path, run_config), src, tmp_path / "o.parquet")
    assert not (tmp_path / "o.parquet").exists()
    assert not list(tmp_path.glob(".o.parquet.*"))  # no temporary file left


def test_other_errors_name_the_stage_never_the_message(ray_engine, run_config, tmp_path):
    src = write_input(tmp_path / "in.parquet")
    with pytest.raises(StageError) as info:
        ray_engine.run_batch(Tagger(run_config, crash_on="r0050"), ctx_for(tmp_path, run_config), src, tmp_path / "o.parquet")
    assert "tagger" in info.value.message and "Ray task failed" in info.value.message
    assert "Maria" not in info.value.message and "example.com" not in info.value.message
    assert not (tmp_path / "o.parquet").exists()


def test_empty_input_writes_the_schema(ray_engine, run_config, tmp_path):
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["x", "y"], "drop_reason": ["gone", "gone"]}), src)
    ctx = ctx_for(tmp_path, run_config)
    LocalEngine(EngineConfig(workers=1)).run_batch(Tagger(run_config), ctx, src, tmp_path / "local.parquet")
    ray_engine.run_batch(Tagger(run_config), ctx, src, tmp_path / "ray.parquet")
    out = read(tmp_path / "ray.parquet")
    assert out.height == 0 and out.schema == read(tmp_path / "local.parquet").schema


def test_global_stage_joined_by_id_in_input_order(ray_engine, run_config, tmp_path):
    src = write_input(tmp_path / "in.parquet")
    ctx = ctx_for(tmp_path, run_config)
    LocalEngine().run_global(Lengths(run_config), ctx, src, tmp_path / "local.parquet")
    ray_engine.run_global(Lengths(run_config), ctx, src, tmp_path / "ray.parquet")
    out = read(tmp_path / "ray.parquet")
    assert out.equals(read(tmp_path / "local.parquet"))
    assert out["id"].to_list() == [f"r{i:04d}" for i in range(150) if i % 6]
    assert (out["drop_reason"] == "short").sum() > 0


def test_fsspec_urls_in_and_out(ray_engine, run_config, tmp_path):
    """Tables named by fsspec URLs (here fsspec's ``local://`` protocol, which goes
    through fsspec exactly as ``s3://`` or ``gs://`` would)."""
    src = write_input(tmp_path / "in.parquet")
    ctx = ctx_for(tmp_path, run_config)
    url_in = f"local://{src}"
    ray_engine.run_batch(Tagger(run_config), ctx, url_in, f"local://{tmp_path}/batch.parquet")
    ray_engine.run_global(Lengths(run_config), ctx, url_in, f"local://{tmp_path}/global.parquet")
    LocalEngine(EngineConfig(workers=1)).run_batch(Tagger(run_config), ctx, src, tmp_path / "batch_local.parquet")
    LocalEngine().run_global(Lengths(run_config), ctx, src, tmp_path / "global_local.parquet")
    assert read(tmp_path / "batch.parquet").drop("worker").equals(read(tmp_path / "batch_local.parquet").drop("worker"))
    assert read(tmp_path / "global.parquet").equals(read(tmp_path / "global_local.parquet"))
    assert not list(tmp_path.glob(".*.tmp"))


def test_local_ray_listens_on_loopback_only(ray_engine):
    import psutil

    procs = [psutil.Process()] + psutil.Process().children(recursive=True)
    names = {p.name() for p in procs if p.is_running()}
    assert any("raylet" in n or "gcs_server" in n for n in names), names
    listening = []
    for p in procs:
        try:
            conns = p.net_connections(kind="inet")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        listening += [c.laddr.ip for c in conns if c.status == psutil.CONN_LISTEN]
    assert listening, "no Ray process listens at all"
    assert all(ip in ("127.0.0.1", "::ffff:127.0.0.1", "::1") for ip in listening), listening


def test_resources_come_from_the_stage_and_the_config(ray_engine, run_config):
    from curate.engines.ray import RayEngine

    stage = Tagger(run_config)
    assert ray_engine.resources(stage) == Resources(cpus=1.0, batch_size=7)
    # engine.workers=2 caps the default; a stage's concurrency beats it; never more than batches
    assert ray_engine.workers("tagger", ray_engine.resources(stage), 100) == 2
    eng = RayEngine(EngineConfig(type="ray", stages={"tagger": StageResourcesConfig(concurrency=3, batch_size=50)}))
    res = eng.resources(stage)
    assert (res.batch_size, res.cpus) == (50, 1.0)
    assert eng.workers("tagger", res, 100) == 3 and eng.workers("tagger", res, 2) == 2
    # without either: as many as the cluster's CPUs hold
    assert RayEngine(EngineConfig(type="ray")).workers("tagger", res, 100) == int(ray.cluster_resources()["CPU"])
    # a worker that can never be placed is a configuration error, not a hang
    with pytest.raises(ConfigError, match="GPU"):
        ray_engine.check_fits("embed", 1.0, 1.0)
    with pytest.raises(ConfigError, match="CPUs"):
        ray_engine.check_fits("redact", 64.0, 0.0)


def test_gpu_placement_rules():
    """Where a stage's GPU work goes on a cluster: a GPU per worker when the cluster has
    GPUs and the setting allows it, ``engine.stages.<name>.gpus`` over that, else the CPU;
    what cannot be placed is a configuration error naming the setting."""
    from curate.engines.ray.ops import placement

    def place(requested, have, gpus=None, mps=False):
        return placement(requested, setting="embed.device", stage="embed", cluster_gpus=have, gpus=gpus, mps=mps)

    assert place("auto", 4.0) == "cuda" and place("cuda", 2.0, 0.5) == "cuda"
    assert place("auto", 0.0) == "cpu" and place("cpu", 4.0) == "cpu"
    assert place("auto", 8.0, gpus=0.0) == "cpu"  # engine.stages.embed.gpus: 0 keeps it on CPUs
    assert place("mps", 0.0, mps=True) == "mps"  # a cluster of Macs
    with pytest.raises(ConfigError, match="^embed.device: cuda was asked for, but the Ray cluster has no GPU"):
        place("cuda", 0.0)
    with pytest.raises(ConfigError, match="^engine.stages.embed.gpus: a worker asks for 2 GPU.s. but the Ray cluster has 1"):
        place("auto", 1.0, gpus=2.0)
    with pytest.raises(ConfigError, match="^engine.stages.embed.gpus: embed.device is cpu"):
        place("cpu", 4.0, gpus=1.0)
    with pytest.raises(ConfigError, match="mps"):
        place("mps", 0.0)


class Steps(GlobalStage):
    """A global stage whose work is two steps through ``ctx.ops``: a stateless one over
    every record and a stateful one (``setup``) over chosen records; each sleeps a random
    while so Ray finishes them out of order."""

    name = "steps"

    def annotate(self, ctx, table):
        
        ops = ctx.ops_for(table)
        ids = table.select("id").collect()["id"]
        lengths = pl.concat(list(ops.map_batches(count_words, columns=["text"], batch_size=9)))
        rows = np.arange(0, ids.len(), 4)
        tagged = pl.concat(list(ops.map_batches(Stamp(), columns=["id", "text"], rows=rows, batch_size=5)))
        tag = np.full(ids.len(), None, dtype=object)
        tag[rows] = tagged["tag"].to_list()
        assert ops.device("auto", setting="steps.device") == "cpu"
        assert ops.call(np.add, 2, 3) == 5
        return pl.DataFrame({"id": ids, "words": lengths["words"], "tag": pl.Series(tag.tolist(), dtype=pl.Utf8)})


def count_words(batch: pl.DataFrame) -> pl.DataFrame:
    time.sleep(random.random() * 0.02)
    return batch.select(pl.col("text").str.split(" ").list.len().alias("words"))


class Stamp:
    """A step that keeps state: ``setup`` runs once per worker before its first batch."""

    def __init__(self):
        self.ready = False

    def setup(self):
        self.ready = True

    def __call__(self, batch: pl.DataFrame) -> pl.DataFrame:
        assert self.ready
        time.sleep(random.random() * 0.02)
        return batch.select((pl.col("id") + "/" + pl.lit(str(batch.height))).alias("tag"))


def test_steps_of_a_global_stage_give_the_local_results_in_input_order(ray_engine, run_config, tmp_path):
    src = write_input(tmp_path / "in.parquet")
    ctx = ctx_for(tmp_path, run_config)
    LocalEngine().run_global(Steps(run_config), ctx, src, tmp_path / "local.parquet")
    ray_engine.run_global(Steps(run_config), ctx, src, tmp_path / "ray.parquet")
    out = read(tmp_path / "ray.parquet")
    assert out.equals(read(tmp_path / "local.parquet"))
    live = [f"r{i:04d}" for i in range(150) if i % 6]
    assert out["id"].to_list() == live
    # the stateful step saw exactly the chosen records, in batches of 5 (the last one shorter)
    tags = out["tag"].drop_nulls().to_list()
    assert [t.split("/")[0] for t in tags] == live[::4]
    assert [t.split("/")[1] for t in tags] == ["5"] * 30 + ["2"] * 2


def test_a_heavy_call_asking_for_a_gpu_needs_one_on_the_cluster(ray_engine, run_config, tmp_path):
    """On a cluster without GPUs a call asking for one is a configuration error, not a
    hang; a GPU task runs the call as here (checked with the same function on a CPU)."""
    from curate.engines.ray.ops import RayOps, _placed_call
    from curate.select.cluster import kmeans

    src = write_input(tmp_path / "in.parquet")
    ops = RayOps(ray_engine, Steps(run_config), src, np.arange(3))
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 16)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    with pytest.raises(ConfigError, match="GPU"):
        ops.call(kmeans, x, 6, resources=Resources(gpus=1.0))
    here = kmeans(x, 6, seed=5, iterations=10, backend="torch", device="cpu")
    there = ray.get(ray.remote(num_cpus=1)(_placed_call).remote(kmeans, 1, x, 6, seed=5, iterations=10, backend="torch",
                                                                   device="cpu"))
    assert there.backend == here.backend == "torch:cpu"
    assert np.array_equal(there.labels, here.labels) and np.array_equal(there.centroids, here.centroids)


def dedupe_input(path: Path) -> Path:
    """Records with a template filled in 80 times (one LSH bucket larger than the pairing
    window), exact copies differing in case and spacing, empty texts, dates for the keep
    policy, and rows an earlier stage dropped."""
    rng = random.Random(11)
    words = ["order", "invoice", "refund", "account", "shipping", "address", "payment", "card", "delivery", "store"]
    template = ("Hello, thank you for contacting us about order {n}. We have checked the shipment and it left our "
                "warehouse this morning; the courier expects to deliver it within three working days. You can follow "
                "it in your account under Orders, where the tracking link is shown next to the order. If anything is "
                "missing when it arrives, reply to this message and we will send the rest at no cost.")
    texts, meta = [], []
    for i in range(260):
        if i % 3 == 0 and i < 240:
            texts.append(template.format(n=10000 + i))
        elif i % 17 == 1:
            texts.append(texts[i - 1].upper().replace(" ", "  ") if texts else "x")
        elif i % 29 == 2:
            texts.append("")
        else:
            texts.append(" ".join(rng.choice(words) for _ in range(rng.randint(3, 40))))
        meta.append(f'{{"created_at": "2024-0{1 + i % 9}-1{i % 10}T10:00:00Z"}}' if i % 5 else None)
    rows = {
        "id": [f"d{i:04d}" for i in range(len(texts))],
        "text": texts,
        "meta": meta,
        "drop_reason": [("before" if i % 23 == 5 else None) for i in range(len(texts))],
    }
    pq.write_table(pa.table(rows), path, row_group_size=50)
    return path


@pytest.mark.parametrize("settings", [
    # copies that differ in case are one text, signed from their first record (case kept)
    {"casefold": True, "lowercase": False, "threshold": 0.7, "bands": 20, "rows": 5},
    {"keep": "newest", "exact": False, "shingle": "char", "ngram": 6, "verify": "estimate"},
])
def test_dedupe_on_ray_equals_local(ray_engine, tmp_path, settings):
    """The dedupe stage through both engines: its signature and shingle-set steps run in
    Ray tasks in batches of 37, the rest on the driver; the same table and figures."""
    from curate.dedupe.config import DedupeConfig
    from curate.dedupe.stage import DedupeStage

    src = dedupe_input(tmp_path / "d.parquet")
    config = CurateConfig.model_construct(name="t", sources=[], dedupe=DedupeConfig(batch_size=37, device="cpu", **settings))
    ctx = ctx_for(tmp_path, config)
    here, there = DedupeStage(config), DedupeStage(config)
    LocalEngine().run_global(here, ctx, src, tmp_path / "local.parquet")
    ray_engine.run_global(there, ctx, src, tmp_path / "ray.parquet")
    assert read(tmp_path / "ray.parquet").equals(read(tmp_path / "local.parquet"))
    assert {k: v for k, v in there._info.items() if k != "seconds"} == {k: v for k, v in here._info.items() if k != "seconds"}
    # what is compared is there: a bucket beyond the pairing window, dropped duplicates,
    # pairs verified on their true Jaccard
    assert here._info["largest_bucket"] > 65
    assert read(tmp_path / "local.parquet")["drop_reason"].drop_nulls().len() > 20
    assert here._info["exact_checked_pairs"] > 0 or settings.get("verify") == "estimate"


def test_dedupe_on_ray_with_nothing_live(ray_engine, tmp_path):
    from curate.dedupe.config import DedupeConfig
    from curate.dedupe.stage import DedupeStage

    src = tmp_path / "d.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["x y", "x y"], "drop_reason": ["gone", "gone"]}), src)
    config = CurateConfig.model_construct(name="t", sources=[], dedupe=DedupeConfig(device="cpu"))
    ctx = ctx_for(tmp_path, config)
    LocalEngine().run_global(DedupeStage(config), ctx, src, tmp_path / "local.parquet")
    ray_engine.run_global(DedupeStage(config), ctx, src, tmp_path / "ray.parquet")
    out = read(tmp_path / "ray.parquet")
    assert out.height == 0 and out.schema == read(tmp_path / "local.parquet").schema


def test_embed_actors_embed_the_local_chunks(ray_engine, tmp_path):
    """Missing texts are embedded in chunks of ``engine.stages.embed.batch_size`` in
    first-seen order, two actors sharing them: each vector equals the model's output for
    the same chunk here, bit for bit; the cache is written in the local engine's order."""
    from ray_testdata import write_slice

    from curate.embed.cache import cache_file_name
    from curate.embed.inputs import embed_input
    from curate.embed.model import Embedder
    from curate.embed.stage import EmbedStage
    from curate.engines.ray import RayEngine
    from curate.pipeline import build

    config = load_config(write_slice(tmp_path))
    ingest = build(config, runs_dir=tmp_path / "runs", only=["ingest"], report=False).run
    table = ingest.path("ingest.parquet")
    engine = RayEngine(EngineConfig(type="ray", workers=2, stages={"embed": StageResourcesConfig(batch_size=40)}))
    stage = EmbedStage(config)
    stage.run_root = ingest.root
    ctx = StageContext(run=ingest, config=config, engine="ray")
    engine.run_global(stage, ctx, table, tmp_path / "embed.parquet")
    out = pl.read_parquet(tmp_path / "embed.parquet")
    assert stage._info["embedded"] == out["content_hash"].n_unique() > 80 and stage._info["device"] == "cpu"

    first = out.unique("content_hash", keep="first", maintain_order=True)
    texts = [embed_input(r["title"], r["messages"], r["text"], config.embed.input) for r in first.iter_rows(named=True)]
    model = Embedder.from_config(config.embed)
    want = np.concatenate([model.embed(texts[i:i + 40]) for i in range(0, len(texts), 40)])
    got = np.asarray(first["embedding"].to_list(), dtype=np.float32)
    assert np.array_equal(got, want)
    cached = pl.read_parquet(ingest.path("cache") / cache_file_name(config.embed))
    assert cached["content_hash"].to_list() == first["content_hash"].to_list()
    # a second run finds every vector in the cache
    again = EmbedStage(config)
    engine.run_global(again, ctx, table, tmp_path / "embed2.parquet")
    assert again._info["embedded"] == 0 and pl.read_parquet(tmp_path / "embed2.parquet").equals(out)


class Declared(BatchStage):
    """Declares ``length`` but also writes ``worker``."""

    name = "declared"
    columns = Columns(reads=("id", "text"), writes={"length": pl.UInt32})

    def process(self, batch: pl.DataFrame) -> pl.DataFrame:
        return batch.with_columns(pl.col("text").str.len_chars().alias("length"), pl.lit(os.getpid()).alias("worker"))


def test_declared_columns_are_checked_on_ray_too(ray_engine, run_config, tmp_path):
    src = write_input(tmp_path / "in.parquet")
    with pytest.raises(StageError, match="wrote the column worker, which it does not declare"):
        ray_engine.run_batch(Declared(run_config), ctx_for(tmp_path, run_config), src, tmp_path / "o.parquet")
    assert not (tmp_path / "o.parquet").exists()
