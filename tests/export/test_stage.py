"""The export stage in `curate build` and `curate export RUN -o DIR`: files, checksums in
the manifests, accounting, resume, stale files, errors."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from export_support import BITEXT, export, read_jsonl, write_pulled_labels
from helpers import NO_MODELS, run_cli, write_config

from curate.config import load_config
from curate.errors import InputError
from curate.pipeline import build
from curate.store import sha256_file


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "bitext.csv").write_bytes(BITEXT.read_bytes())
    (tmp_path / "bench.txt").write_text("nothing in common with the tickets at all, not a single word sequence\n")
    write_config(tmp_path / "curate.yaml", {
        "name": "p", "description": "Support replies.", "license": "CDLA-Sharing-1.0",
        "sources": [{"type": "csv", "name": "bitext", "path": "bitext.csv", "kind": "ticket",
                     "fields": {"id": "id", "user": "instruction", "assistant": "response", "meta": ["intent", "category"]}}],
        **NO_MODELS,
        "export": {"system_prompt": "Be brief.", "split": {"eval": 0.25, "test": 6, "stratify_by": "meta.category",
                                                              "min_per_stratum": 0},
                   "decontaminate": {"files": ["bench.txt"]}, "metadata": ["id", "meta.intent"]},
    })
    return tmp_path


def test_build_writes_splits_card_schema_and_checksums(project):
    result = build(load_config(project / "curate.yaml"), runs_dir=project / "runs")
    entry = result.run.stage_entry("export")
    assert entry["status"] == "done" and entry["input"] == "filter"
    assert entry["records_in"] == 48 == entry["records_out"] + sum(entry["dropped"].values())
    export_dir = result.run.root / "export"
    names = {p.relative_to(result.run.root).as_posix() for p in export_dir.iterdir()}
    assert names == {f"export/{n}" for n in ("train.jsonl", "eval.jsonl", "test.jsonl", "README.md", "schema.json",
                                              "benchmark.jsonl", "tokens.parquet",
                                                "dropped.jsonl", "manifest.json")}
    # every file has its checksum in the run manifest, and they match
    assert set(entry["checksums"]) == names
    for rel, digest in entry["checksums"].items():
        assert sha256_file(result.run.root / rel) == digest
    sizes = {s: len(read_jsonl(export_dir / f"{s}.jsonl")) for s in ("train", "eval", "test")}
    assert sizes == {"train": 30, "eval": 12, "test": 6}
    assert entry["stats"]["splits"]["eval"]["examples"] == 12
    row = read_jsonl(export_dir / "train.jsonl")[0]
    assert row["messages"][0] == {"role": "system", "content": "Be brief."}
    assert set(row["metadata"]) == {"id", "meta.intent"}
    # stratified: each category keeps its share in eval (rounded)
    cats = pl.read_csv(BITEXT).group_by("category").len()
    eval_ids = {r["metadata"]["id"].split(":")[-1] for r in read_jsonl(export_dir / "eval.jsonl")}
    per = pl.read_csv(BITEXT).filter(pl.col("id").is_in(list(eval_ids))).group_by("category").len()
    share = dict(zip(cats["category"], cats["len"]))
    for cat, n in zip(per["category"], per["len"]):
        assert abs(n - share[cat] * 0.25) <= 1
    # the export's own manifest lists the same files with the same checksums
    m = json.loads((export_dir / "manifest.json").read_text())
    for rel, digest in m["files"].items():
        assert sha256_file(export_dir / rel) == digest
    assert json.loads((export_dir / "schema.json").read_text())["title"] == "curate export: OpenAI chat"


def test_rebuild_skips_export_until_an_input_file_changes(project):
    cfg = load_config(project / "curate.yaml")
    build(cfg, runs_dir=project / "runs")
    again = build(load_config(project / "curate.yaml"), runs_dir=project / "runs")
    assert {o.name: o.status for o in again.outcomes}["export"] == "skipped"
    # a changed benchmark file redoes the export (its content is part of the fingerprint)
    (project / "bench.txt").write_text(read_jsonl(again.run.root / "export" / "train.jsonl")[0]["messages"][-1]["content"].replace("\n", " ") + "\n")
    third = build(load_config(project / "curate.yaml"), runs_dir=project / "runs")
    assert {o.name: o.status for o in third.outcomes}["export"] == "done"
    assert third.run.stage_entry("export")["dropped"].get("decontaminated", 0) >= 1


def test_cli_export_from_a_finished_run_in_another_format(project):
    r = run_cli("build", "curate.yaml", "-q", cwd=project)
    assert r.returncode == 0, r.stderr
    r = run_cli("export", "runs/p", "-o", "out", "--format", "hf", "--eval", "10", "--test", "0",
                "--seed", "7", "--price", "2.5", "--epochs", "4", cwd=project)
    assert r.returncode == 0, r.stderr
    assert "48 examples (train 38, eval 10)" in r.stdout and "(hf)" in r.stdout
    out = project / "out"
    assert sorted(p.name for p in (out / "data").iterdir()) == ["eval-00000-of-00001.parquet", "train-00000-of-00001.parquet"]
    m = json.loads((out / "manifest.json").read_text())
    assert m["format"] == "hf" and m["export"]["split"]["seed"] == 7 and m["records_out"] == 48
    for rel, digest in m["files"].items():
        assert sha256_file(out / rel) == digest
    assert m["stats"]["cost"]["epochs"] == 4 and m["stats"]["cost"]["price_per_million_tokens"] == 2.5
    # exporting again without a test split into the same folder removes the old files
    r = run_cli("export", "runs/p", "-o", "out", "--format", "openai", cwd=project)
    assert r.returncode == 0, r.stderr
    assert not (out / "data").exists() or not any((out / "data").iterdir())
    assert (out / "train.jsonl").exists() and (out / "test.jsonl").exists()
    r = run_cli("export", "runs/p", "-o", "out", "--test", "0", cwd=project)
    assert r.returncode == 0, r.stderr
    assert not (out / "test.jsonl").exists()


def test_cli_export_errors_are_one_line(project):
    assert run_cli("build", "curate.yaml", "-q", cwd=project).returncode == 0
    r = run_cli("export", "runs/p", "-o", "out", "--eval", "40", "--test", "20", cwd=project)
    assert r.returncode == 2 and "only 48 examples are left to split" in r.stderr
    r = run_cli("export", "runs/p", "-o", "out", "--format", "csv", cwd=project)
    assert r.returncode == 2 and "format" in r.stderr
    r = run_cli("export", "runs/p", "-o", "out", "--decontaminate", "nope.jsonl", cwd=project)
    assert r.returncode == 2 and "nope.jsonl: file not found" in r.stderr
    r = run_cli("export", "runs/p", "-o", "out", "--eval", "1.5", cwd=project)
    assert r.returncode == 2 and "--eval" in r.stderr
    r = run_cli("export", "runs/p", "-o", "out", "--stratify-by", "colour", cwd=project)
    assert r.returncode == 2 and "unknown field 'colour'" in r.stderr
    assert "Traceback" not in r.stderr


def test_config_errors_name_the_key(project):
    from curate.errors import ConfigError

    data = (project / "curate.yaml").read_text().replace("test: 6", "test: -3")
    (project / "bad.yaml").write_text(data)
    with pytest.raises(ConfigError, match=r"bad.yaml:\d+: export.split.test: .*count must be 0 or more"):
        load_config(project / "bad.yaml")
    data = (project / "curate.yaml").read_text().replace("bench.txt", "missing.txt")
    (project / "bad2.yaml").write_text(data)
    with pytest.raises(ConfigError, match=r"export.decontaminate.files: .*file not found: missing.txt"):
        load_config(project / "bad2.yaml")


def test_records_without_a_reply_and_unselected_ones_are_listed(tmp_path):
    from export_support import make_run, select_table

    base = select_table()
    first = base.row(0, named=True)
    extra = pl.DataFrame([
        {**first, "id": "csv:bitext:lonely", "messages": [{"role": "user", "content": "Only a question"}]},
        {**first, "id": "csv:bitext:unselected", "selected": False},
    ], schema=base.schema)
    run = make_run(tmp_path / "r", pl.concat([base, extra]))
    r = export(run, tmp_path / "o", split={"eval": 0}).result
    assert r.records_in == 50 and r.records_out == 48
    # the reason is the filter stage's: one rule decides what is a usable conversation
    assert r.dropped == {"no_agent_reply": 1, "not_selected": 1}
    dropped = {d["id"]: d["reason"] for d in read_jsonl(tmp_path / "o" / "dropped.jsonl")}
    assert dropped == {"csv:bitext:lonely": "no_agent_reply", "csv:bitext:unselected": "not_selected"}


def test_clusters_together_keeps_every_cluster_on_one_side(run, tmp_path):
    r = export(run, tmp_path / "o", split={"eval": 0.2, "clusters_together": True}, metadata=["id", "cluster"]).result
    sides: dict[int, set[str]] = {}
    for split in ("train", "eval"):
        for row in read_jsonl(tmp_path / "o" / f"{split}.jsonl"):
            sides.setdefault(row["metadata"]["cluster"], set()).add(split)
    assert len(sides) > 3 and all(len(s) == 1 for s in sides.values())
    assert r.stats["split"]["clusters_together"] is True


def test_duplicate_group_members_stay_together(run, tmp_path):
    # the fixture's records 0/1 and 10/11 share duplicate groups
    from export_support import bitext_rows

    ids = [f"csv:bitext:{r['id']}" for r in bitext_rows()]
    for seed in range(8):
        export(run, tmp_path / f"o{seed}", split={"eval": 0.5, "seed": seed}, metadata=["id"])
        side = {}
        for split in ("train", "eval"):
            for row in read_jsonl(tmp_path / f"o{seed}" / f"{split}.jsonl"):
                side[row["metadata"]["id"]] = split
        assert side[ids[0]] == side[ids[1]] and side[ids[10]] == side[ids[11]]


def test_unknown_column_to_export_is_an_input_error(tmp_path):
    from export_support import make_run

    run = make_run(tmp_path / "r", pl.DataFrame({"id": ["a"], "text": ["x"], "drop_reason": [None]},
                                                schema_overrides={"drop_reason": pl.Utf8}))
    with pytest.raises(InputError, match="need the columns id and messages"):
        export(run, tmp_path / "o")


def test_new_labels_or_agreement_redo_the_export_in_a_build(project):
    import yaml

    data = yaml.safe_load((project / "curate.yaml").read_text())
    data["runs_dir"] = str(project / "runs")  # the run folder the stage looks for labels in
    write_config(project / "curate.yaml", data)
    first = build(load_config(project / "curate.yaml"))
    assert {o.name: o.status for o in first.outcomes}["export"] == "done"
    assert {o.name: o.status for o in build(load_config(project / "curate.yaml")).outcomes}["export"] == "skipped"
    ids = [r["id"] for r in first.run.live("filter").select("id").collect().iter_rows(named=True)]
    write_pulled_labels(first.run.root, ids, disagree_every=5)
    again = build(load_config(project / "curate.yaml"))
    assert {o.name: o.status for o in again.outcomes}["export"] == "done"
    card = (again.run.root / "export" / "README.md").read_text()
    # the agreement of the labels as pulled, per field, recomputed by the export
    assert "| `verdict` | nominal | 48 |" in card and "| `quality` | ordinal | 48 |" in card
