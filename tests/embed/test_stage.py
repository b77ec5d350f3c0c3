"""The embed stage in a build: vectors for every live record, cached in the run folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from helpers import write_config

from curate.config import load_config
from curate.engines.config import EngineConfig, StageResourcesConfig
from curate.embed.inputs import embed_input
from curate.embed.vectors import to_numpy
from curate.pipeline import build


def _project(tmp_path: Path, rows: list[dict], **embed) -> Path:
    flat = [
        {"id": r["id"], "q": r["messages"][0]["content"], "a": r["messages"][1]["content"], **r["meta"]}
        for r in rows
    ]
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps(r) for r in flat) + "\n")
    write_config(tmp_path / "curate.yaml", {
        "name": "e",
        "sources": [{"type": "jsonl", "path": "t.jsonl", "kind": "ticket",
                     "fields": {"id": "id", "user": "q", "assistant": "a", "meta": ["intent", "category"]}}],
        "redact": {"enabled": False}, "dedupe": {"enabled": False},
        "embed": {"enabled": True, **embed}, "select": {"enabled": False},
    })
    return tmp_path


@pytest.fixture(scope="module")
def built(tmp_path_factory, bitext_rows, embedder):
    root = _project(tmp_path_factory.mktemp("embed"), bitext_rows[:60])
    result = build(load_config(root / "curate.yaml"), runs_dir=root / "runs", until="embed")
    return root, result


def test_every_live_record_gets_a_unit_vector(built):
    _, result = built
    df = pl.read_parquet(result.run.path("embed.parquet"))
    assert df.height == 60 and df["drop_reason"].null_count() == 60
    v = to_numpy(df["embedding"])
    assert v.shape == (60, 384)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    stats = result.run.manifest()["stages"]["embed"]["stats"]
    assert stats["embedded"] == 60 and stats["cache_hits"] == 0 and stats["dim"] == 384
    assert stats["cache_file"] == "cache/embed-all-minilm-l6-v2-request.parquet"
    assert (result.run.root / stats["cache_file"]).exists()


def test_vectors_are_of_the_customer_request(built, embedder):
    _, result = built
    df = pl.read_parquet(result.run.path("embed.parquet")).head(3)
    expect = embedder.embed([m[0]["content"] for m in df["messages"].to_list()])
    np.testing.assert_allclose(to_numpy(df["embedding"]), expect, atol=1e-5)


def test_rebuild_and_new_records_use_the_cache(built, bitext_rows):
    root, first = built
    again = build(load_config(root / "curate.yaml"), runs_dir=root / "runs", until="embed", force=True)
    stats = again.run.manifest()["stages"]["embed"]["stats"]
    assert stats["embedded"] == 0 and stats["cache_hits"] == 60
    # five more records: only those are embedded
    _project(root, bitext_rows[:65])
    grown = build(load_config(root / "curate.yaml"), runs_dir=root / "runs", until="embed")
    stats = grown.run.manifest()["stages"]["embed"]["stats"]
    assert (stats["embedded"], stats["cache_hits"]) == (5, 60)
    old = pl.read_parquet(first.run.path("embed.parquet"))
    assert pl.read_parquet(grown.run.path("embed.parquet")).height == 65
    assert old.height == 65  # same run folder, table rewritten


def test_another_model_setting_starts_its_own_cache(built, bitext_rows):
    root, _ = built
    _project(root, bitext_rows[:65], input="text", max_seq_length=64)
    res = build(load_config(root / "curate.yaml"), runs_dir=root / "runs", until="embed")
    stats = res.run.manifest()["stages"]["embed"]["stats"]
    assert stats["embedded"] == 65 and stats["cache_file"] == "cache/embed-all-minilm-l6-v2-text-len64.parquet"


def test_embed_input_modes():
    msgs = [{"role": "user", "content": "Where is my parcel?"}, {"role": "assistant", "content": "Let me check."},
            {"role": "user", "content": "It was due Monday."}]
    text = "user: Where is my parcel?\n\nassistant: Let me check.\n\nuser: It was due Monday."
    assert embed_input("Late", msgs, text, "request") == "Late\n\nWhere is my parcel?\n\nIt was due Monday."
    assert embed_input(None, msgs, text, "first_request") == "Where is my parcel?"
    assert embed_input("Late", msgs, text, "text") == text
    # nothing from the customer: the whole text
    only_agent = [{"role": "assistant", "content": "Your order shipped."}]
    assert embed_input(None, only_agent, "Your order shipped.", "request") == "Your order shipped."


def test_texts_are_embedded_in_chunks_in_first_seen_order(tmp_path, bitext_rows, embedder):
    """``engine.stages.embed.batch_size`` sets the chunk (texts per step call): the vectors
    are those of the model run on the same chunks, the first record of a repeated text is
    the one embedded, and nothing is cached with ``cache: false``."""
    rows = bitext_rows[:23] + [dict(bitext_rows[0], id="same-text-again")]  # a repeated text
    root = _project(tmp_path, rows, cache=False)
    cfg = load_config(root / "curate.yaml")
    cfg = cfg.model_copy(update={"engine": EngineConfig(stages={"embed": StageResourcesConfig(batch_size=5)})})
    res = build(cfg, runs_dir=root / "runs", until="embed")
    df = pl.read_parquet(res.run.path("embed.parquet"))
    stats = res.run.manifest()["stages"]["embed"]["stats"]
    assert (stats["distinct_texts"], stats["embedded"], stats["cache_file"]) == (23, 23, None)
    assert not (res.run.root / "cache").exists()
    texts = [m[0]["content"] for m in df["messages"].to_list()[:23]]
    chunks = np.concatenate([embedder.embed(texts[i:i + 5]) for i in range(0, 23, 5)])
    got = to_numpy(df["embedding"])
    assert np.array_equal(got[:23], chunks) and np.array_equal(got[23], got[0])
    assert 0 < stats["padding_share"] < 1
