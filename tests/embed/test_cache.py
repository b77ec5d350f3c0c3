"""The embedding cache: keyed by content hash, one file per model/input/truncation."""

from __future__ import annotations

import numpy as np

from curate.embed.cache import EmbeddingCache, cache_file_name
from curate.embed.config import EmbedConfig


def test_round_trip_and_missing(tmp_path):
    path = tmp_path / "cache" / "embed-m-request.parquet"
    c = EmbeddingCache(path)
    assert c.missing(["a", "b", "a"]) == ["a", "b"]
    v = np.random.default_rng(0).normal(size=(2, 8)).astype(np.float32)
    c.add(["a", "b"], v)
    c.save()
    again = EmbeddingCache(path)
    assert len(again) == 2 and again.missing(["a", "b", "c"]) == ["c"]
    np.testing.assert_array_equal(again.get(["b", "a", "b"]), v[[1, 0, 1]])
    again.add(["c"], v[:1])
    again.save()
    assert len(EmbeddingCache(path)) == 3
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")], "no temporary files left"


def test_file_names_separate_models_inputs_and_truncation():
    names = {
        cache_file_name(EmbedConfig()),
        cache_file_name(EmbedConfig(input="text")),
        cache_file_name(EmbedConfig(max_seq_length=64)),
        cache_file_name(EmbedConfig(model="other/model")),
    }
    assert len(names) == 4
    assert cache_file_name(EmbedConfig()) == "embed-all-minilm-l6-v2-request.parquet"
    # settings that do not change vectors share the file
    assert cache_file_name(EmbedConfig(batch_size=8, threads=1)) == cache_file_name(EmbedConfig())


def test_a_vector_of_another_size_is_refused(tmp_path):
    c = EmbeddingCache(tmp_path / "c.parquet")
    c.add(["a"], np.ones((1, 4), np.float32))
    try:
        c.add(["b"], np.ones((1, 5), np.float32))
    except ValueError as exc:
        assert "differs" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("mixed sizes accepted")
