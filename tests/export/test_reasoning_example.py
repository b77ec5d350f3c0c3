"""The bundled reasoning example (examples/reasoning): it builds, and its chain-of-thought
examples export in every format and reasoning mode, validate against their schemas and
load with `datasets`; its benchmark holds every task type."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from datasets import load_dataset
from export_support import read_jsonl

from curate.config import load_config
from curate.engines.local import live_scan
from curate.export.config import FORMATS, ExportConfig
from curate.export.stage import ExportJob, run_export
from curate.export.validate import validate_file
from curate.pipeline import build
from curate.stages import STAGE_ORDER

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "reasoning"
#: every format in the example's own mode (think), and the other modes where they make sense
CASES = [(f, "think") for f in FORMATS] + [(f, "field") for f in FORMATS if f != "text"] + [
    ("openai", "inline"), ("text", "inline"), ("alpaca", "omit")]


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    root = tmp_path_factory.mktemp("reasoning")
    shutil.copytree(EXAMPLE, root / "reasoning")
    result = build(load_config(root / "reasoning" / "curate.yaml"), runs_dir=root / "runs")
    return result.run


def export(run, out: Path, **settings):
    """The run's last table exported with its config's settings and ``settings``."""
    m = run.manifest()
    cfg = ExportConfig.model_validate({**m["config"]["export"], **settings})
    job = ExportJob(cfg=cfg, config=m["config"], manifest=m, base_dir=run.root, run_root=run.root)
    return run_export(live_scan(run.last_table(STAGE_ORDER[: STAGE_ORDER.index("export")])[1]), job, out)


def _files(out: Path, fmt: str) -> dict[str, str]:
    if fmt == "hf":
        return {s: str(p) for s in ("train", "eval") for p in out.glob(f"data/{s}-*.parquet")}
    return {s: str(out / f"{s}.jsonl") for s in ("train", "eval") if (out / f"{s}.jsonl").exists()}


def test_example_builds_with_reasoning_redacted_and_a_stratified_benchmark(example):
    m = example.manifest()["stages"]["export"]
    assert m["status"] == "done" and m["records_out"] > 40
    train = read_jsonl(example.root / "export" / "train.jsonl")
    last = [r["messages"][-1]["content"] for r in train]
    assert all(c.startswith("<think>\n1. ") and "\n</think>\n\n" in c for c in last)
    # a customer's name is replaced in the reasoning as in the question
    every = (example.root / "export" / "train.jsonl").read_text() + (example.root / "export" / "eval.jsonl").read_text()
    assert "<PERSON_" in every and "Maria Lopez" not in every and "Tom Becker" not in every
    bench = read_jsonl(example.root / "export" / "benchmark.jsonl")
    assert {b["strata"]["meta.task_type"] for b in bench} == {
        "parcel_weight", "refund", "warranty", "plan_upgrade", "late_fee", "delivery_time"}
    for b in bench:
        assert set(b) == {"id", "messages", "reference", "strata", "source_ids"}
        assert b["messages"][-1]["role"] == "user" and "<think>" not in b["reference"]
    card = (example.root / "export" / "README.md").read_text()
    assert "## Reasoning" in card and "fewer than 200" in card


@pytest.mark.parametrize("fmt, mode", CASES)
def test_every_format_and_mode_validates_and_loads(example, tmp_path, fmt, mode):
    out = tmp_path / "out"
    r = export(example, out, format=fmt, reasoning=mode).result
    assert r.records_out > 40 and not r.dropped
    files = _files(out, fmt)
    assert set(files) == {"train", "eval"}
    for f in files.values():
        report = validate_file(Path(f), fmt)
        assert report.ok, (f, report.problems)
    kind = "parquet" if fmt == "hf" else "json"
    ds = load_dataset(kind, data_files=files, cache_dir=str(tmp_path / "cache"),
                      **({} if fmt == "hf" else {"chunksize": 512}))
    assert sum(ds[s].num_rows for s in ds) == r.records_out
    row = json.loads(json.dumps(ds["train"][0], default=str))
    text = json.dumps(row)
    if mode == "field":
        key = "reasoning_content"
        holder = {"alpaca": row, "prompt_completion": (row.get("completion") or [{}])[-1]}.get(
            fmt, (row.get("messages") or row.get("conversations") or [{}])[-1])
        assert str(holder[key]).startswith("1. ") and "<think>" not in text
    elif mode == "omit":
        assert "<think>" not in text and "1. " not in row["output"]
    elif mode == "think":
        assert "<think>\\n1. " in text
    else:
        assert "<think>" not in text and "1. " in text


#: the part of an open reasoning model's chat template (Qwen3's) that renders
#: ``reasoning_content``: a ``<think>`` block before the final answer
THINK_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n"
    "{% if m['role'] == 'assistant' and m.get('reasoning_content') is string %}"
    "<think>\n{{ m['reasoning_content'] }}\n</think>\n\n{% endif %}{{ m['content'] }}\n{% endfor %}"
)


def test_field_mode_renders_through_a_reasoning_chat_template_like_think_mode(example, tmp_path):
    """`reasoning: field` is for chat templates that render the key: through one (with
    TRL's own chat-template step), a field-mode example reads as the think-mode one."""
    from export_support import chat_tokenizer
    from transformers import AutoTokenizer
    from trl.data_utils import apply_chat_template

    folder = chat_tokenizer(tmp_path / "tok")
    cfg = json.loads((folder / "tokenizer_config.json").read_text())
    cfg["chat_template"] = THINK_TEMPLATE
    (folder / "tokenizer_config.json").write_text(json.dumps(cfg))
    tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    export(example, tmp_path / "field", reasoning="field")
    export(example, tmp_path / "think", reasoning="think")
    field_rows = read_jsonl(tmp_path / "field" / "train.jsonl")
    think_rows = read_jsonl(tmp_path / "think" / "train.jsonl")
    for f, t in zip(field_rows, think_rows):
        rendered = apply_chat_template({"messages": f["messages"]}, tok)["text"]
        plain = [{"role": m["role"], "content": m["content"]} for m in t["messages"]]
        assert rendered == apply_chat_template({"messages": plain}, tok)["text"]
        assert "<think>\n1. " in rendered
