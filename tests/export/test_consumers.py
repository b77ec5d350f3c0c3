"""Every format loads with the libraries that consume it: `datasets` for all, a
tokenizer's chat template and TRL's dataset utilities for the chat formats, and each
validates against its schema with `curate validate`."""

from __future__ import annotations

from pathlib import Path

import pytest
from datasets import load_dataset
from export_support import chat_tokenizer, export, make_run, read_jsonl, select_table

from curate.export.config import FORMATS
from curate.export.validate import validate_file

SYSTEM = "You are a precise support agent."


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, Path]:
    """One export per format (and the text style of prompt/completion) of the same run."""
    root = tmp_path_factory.mktemp("consumers")
    run = make_run(root / "runs" / "tickets", select_table())
    out = {}
    for fmt in FORMATS:
        out[fmt] = root / fmt
        export(run, out[fmt], format=fmt, system_prompt=SYSTEM, split={"eval": 0.25, "test": 4},
               metadata=["id", "meta.intent"])
    out["prompt_completion_text"] = root / "pc_text"
    export(run, out["prompt_completion_text"], format="prompt_completion", prompt_style="text", split={"eval": 0.25})
    out["openai_weights"] = root / "weights"
    export(run, out["openai_weights"], format="openai", last_turn_only=True, split={"eval": 0.25})
    return out


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    from transformers import AutoTokenizer

    folder = chat_tokenizer(tmp_path_factory.mktemp("tok") / "tok")
    return AutoTokenizer.from_pretrained(str(folder), local_files_only=True)


def data_files(d: Path) -> dict[str, str]:
    return {s: str(d / f"{s}.jsonl") for s in ("train", "eval", "test") if (d / f"{s}.jsonl").exists()}


@pytest.mark.parametrize("name", list(FORMATS) + ["prompt_completion_text", "openai_weights"])
def test_every_file_validates_against_its_schema(exports, name):
    d = exports[name]
    fmt = {"prompt_completion_text": "prompt_completion", "openai_weights": "openai"}.get(name, name)
    files = sorted(d.glob("data/*.parquet")) if fmt == "hf" else [d / f"{s}.jsonl" for s in data_files(d)]
    assert files
    for f in files:
        report = validate_file(f, fmt)
        assert report.ok, (f, report.problems)
        assert report.rows > 0


@pytest.mark.parametrize("name", [f for f in FORMATS if f != "hf"] + ["prompt_completion_text", "openai_weights"])
def test_jsonl_formats_load_with_datasets(exports, name, tmp_path):
    """On multi-turn data, read in small blocks: a line with a key the first block did not
    have (alpaca's history on some lines only) fails ("column names don't match")."""
    d = exports[name]
    # a cache of its own: datasets keys a folder's cache on its name and relative file
    # paths, so an earlier session's folder of the same name would be read instead
    ds = load_dataset("json", data_files=data_files(d), chunksize=512, cache_dir=str(tmp_path / "a"))
    assert ds["train"].num_rows == len(read_jsonl(d / "train.jsonl"))
    assert sum(ds[s].num_rows for s in ds) == 48
    # the card's `configs` make the folder itself loadable
    again = load_dataset(str(d), chunksize=512, cache_dir=str(tmp_path / "b"))
    assert {s: again[s].num_rows for s in again} == {s: ds[s].num_rows for s in ds}
    # every line of a file has the same keys
    for split in data_files(d):
        rows = read_jsonl(d / f"{split}.jsonl")
        assert len({tuple(sorted(r)) for r in rows}) == 1, (name, split)


def test_hf_layout_loads_from_the_folder(exports, tmp_path):
    d = exports["hf"]
    ds = load_dataset(str(d), cache_dir=str(tmp_path))
    assert set(ds) == {"train", "eval", "test"}
    assert ds["test"].num_rows == 4 and ds["eval"].num_rows == 12 and ds["train"].num_rows == 32
    row = ds["train"][0]
    assert row["messages"][0] == {"role": "system", "content": SYSTEM}
    assert set(row["metadata"]) == {"id", "meta.intent"}


def test_openai_and_hf_render_with_a_chat_template(exports, tokenizer):
    for name in ("openai", "openai_weights"):
        for row in read_jsonl(exports[name] / "train.jsonl"):
            msgs = [{"role": m["role"], "content": m["content"]} for m in row["messages"]]
            text = tokenizer.apply_chat_template(msgs, tokenize=False)
            assert text.startswith("<|system|>" if name == "openai" else "<|user|>")
            assert text.rstrip().endswith(msgs[-1]["content"].rstrip())
    ds = load_dataset(str(exports["hf"]), cache_dir=str(exports["hf"].parent / "hf-cache"))
    text = tokenizer.apply_chat_template(ds["eval"][0]["messages"], tokenize=False)
    assert text.count("<|assistant|>") >= 1


def test_trl_reads_the_chat_formats(exports, tokenizer):
    from trl.data_utils import (
        apply_chat_template,
        is_conversational,
        is_conversational_from_value,
        maybe_convert_to_chatml,
    )

    openai_row = read_jsonl(exports["openai"] / "train.jsonl")[0]
    assert is_conversational({"messages": openai_row["messages"]})
    out = apply_chat_template({"messages": openai_row["messages"]}, tokenizer)
    assert out["text"].startswith("<|system|>\n" + SYSTEM)

    share = read_jsonl(exports["sharegpt"] / "train.jsonl")[0]
    assert is_conversational_from_value({"conversations": share["conversations"]})
    chatml = maybe_convert_to_chatml({"conversations": share["conversations"]})
    # ShareGPT's speaker names, as axolotl and LLaMA-Factory map them by default
    assert [m["role"] for m in chatml["messages"]][:3] == ["system", "human", "gpt"]
    roles = {"system": "system", "human": "user", "gpt": "assistant"}
    msgs = [{"role": roles[m["role"]], "content": m["content"]} for m in chatml["messages"]]
    assert tokenizer.apply_chat_template(msgs, tokenize=False).startswith("<|system|>\n" + SYSTEM)

    pc = read_jsonl(exports["prompt_completion"] / "train.jsonl")[0]
    assert is_conversational({"prompt": pc["prompt"], "completion": pc["completion"]})
    out = apply_chat_template({"prompt": pc["prompt"], "completion": pc["completion"]}, tokenizer)
    assert out["prompt"].endswith("<|assistant|>\n")  # generation prompt added to the prompt
    assert pc["completion"][0]["content"] in out["completion"]

    text_pc = read_jsonl(exports["prompt_completion_text"] / "train.jsonl")[0]
    assert not is_conversational(text_pc)
    assert text_pc["prompt"].endswith("Assistant:") and text_pc["completion"].startswith(" ")


def test_alpaca_rows_have_the_fields_alpaca_trainers_read(exports):
    rows = read_jsonl(exports["alpaca"] / "train.jsonl")
    assert all(r["output"] and r["instruction"] and r["system"] == SYSTEM for r in rows)
    multi = [r for r in rows if r["history"]]
    assert multi and all(len(pair) == 2 for r in multi for pair in r["history"])
    assert any(r["history"] == [] for r in rows)  # single-turn rows say so


def test_text_rows_are_transcripts(exports):
    rows = read_jsonl(exports["text"] / "train.jsonl") + read_jsonl(exports["text"] / "eval.jsonl")
    assert all(r["text"].startswith("Customer: ") and "\n\nAgent: " in r["text"] for r in rows)
    assert all(SYSTEM not in r["text"] for r in rows)  # a system prompt is for chats
    assert any(r["text"].count("Agent: ") == 2 for r in rows)  # multi-turn conversations whole
