"""The run folder: manifest, skipping up-to-date stages, --from/--force, accounting,
atomic writes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl
import pytest

from curate.config import load_config
from curate.errors import CurateError
from curate.pipeline import build
from curate.store import WriteError, atomic_open, write_json
from helpers import NO_MODELS, run_cli, write_config


@pytest.fixture
def project(tmp_path: Path) -> Path:
    rows = [{"id": str(i), "q": f"Question number {i} about invoices", "a": f"Answer {i}"} for i in range(20)]
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n{oops\n")
    write_config(tmp_path / "curate.yaml", {
        "name": "p", "sources": [{"type": "jsonl", "path": "t.jsonl", "fields": {"id": "id", "user": "q", "assistant": "a"}}],
        **NO_MODELS, "export": {"system_prompt": "Be brief.", "split": {"eval": 0}},
    })
    return tmp_path


def cfg(project: Path):
    return load_config(project / "curate.yaml")


def statuses(result) -> dict[str, str]:
    return {o.name: o.status for o in result.outcomes}


def test_manifest_records_counts_versions_and_checksums(project):
    result = build(cfg(project), runs_dir=project / "runs")
    m = result.run.manifest()
    assert m["name"] == "p" and len(m["config_hash"]) == 64
    assert m["versions"]["curate"] and m["versions"]["polars"]
    ing = m["stages"]["ingest"]
    assert ing["status"] == "done" and ing["seconds"] >= 0
    assert (ing["records_in"], ing["records_out"], ing["rejected"]) == (21, 20, 1)
    for name, e in m["stages"].items():
        if e["status"] == "done":
            assert e["records_in"] == e["records_out"] + sum(e["dropped"].values()) + e["rejected"], name
            for f, digest in e["checksums"].items():
                assert (result.run.root / f).exists()
    assert m["stages"].get("redact", {"status": "disabled"}) == {"status": "disabled"}
    assert m["stages"]["filter"]["input"] == "ingest"  # the stages switched off pass their input on
    assert m["stages"]["export"]["input"] == "filter"
    lines = (result.run.root / "export/train.jsonl").read_text().splitlines()
    assert len(lines) == 20
    assert json.loads(lines[0])["messages"][0] == {"role": "system", "content": "Be brief."}


def test_rebuild_skips_then_from_and_force_redo(project):
    first = build(cfg(project), runs_dir=project / "runs")
    assert statuses(first) == {**statuses(first), "ingest": "done", "export": "done"}
    second = build(cfg(project), runs_dir=project / "runs")
    assert statuses(second)["ingest"] == "skipped" and statuses(second)["export"] == "skipped"
    third = build(cfg(project), runs_dir=project / "runs", from_stage="export")
    assert statuses(third)["ingest"] == "skipped" and statuses(third)["export"] == "done"
    fourth = build(cfg(project), runs_dir=project / "runs", force=True)
    assert statuses(fourth)["ingest"] == "done" and statuses(fourth)["export"] == "done"


def test_changed_input_or_settings_redo_what_depends_on_them(project):
    build(cfg(project), runs_dir=project / "runs")
    # a changed export setting redoes export only
    c = cfg(project)
    c.export.system_prompt = "Be kind."
    r = build(c, runs_dir=project / "runs")
    assert statuses(r)["ingest"] == "skipped" and statuses(r)["export"] == "done"
    # a changed source file redoes ingest and everything after it
    with open(project / "t.jsonl", "a") as fh:
        fh.write(json.dumps({"id": "new", "q": "A new question", "a": "A new answer"}) + "\n")
    r = build(cfg(project), runs_dir=project / "runs")
    assert statuses(r)["ingest"] == "done" and statuses(r)["export"] == "done"
    assert r.run.stage_entry("export")["records_in"] == 21


def test_damaged_output_is_redone(project):
    r = build(cfg(project), runs_dir=project / "runs")
    (r.run.root / "export/train.jsonl").write_text("truncated")
    r2 = build(cfg(project), runs_dir=project / "runs")
    assert statuses(r2)["export"] == "done"
    assert len((r.run.root / "export/train.jsonl").read_text().splitlines()) == 20


def test_until_stops_and_unknown_stage_is_an_error(project):
    r = build(cfg(project), runs_dir=project / "runs", until="ingest")
    assert [o.name for o in r.outcomes] == ["ingest"]
    with pytest.raises(CurateError, match="--until: unknown stage 'ingets'"):
        build(cfg(project), runs_dir=project / "runs", until="ingets")


def test_a_stage_left_running_is_redone(project):
    r = build(cfg(project), runs_dir=project / "runs")
    m = r.run.manifest()
    m["stages"]["export"]["status"] = "running"  # as a killed build leaves it
    r.run.write_manifest(m)
    r2 = build(cfg(project), runs_dir=project / "runs")
    assert statuses(r2)["export"] == "done"


def test_atomic_write_leaves_no_partial_file(tmp_path):
    dest = tmp_path / "out.json"
    write_json(dest, {"v": 1})
    with pytest.raises(RuntimeError):
        with atomic_open(dest) as fh:
            fh.write('{"v": 2, "partial": ')
            raise RuntimeError("crash in the middle")
    assert json.loads(dest.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_write_error_is_clear_when_parent_is_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(WriteError, match=r"cannot write .*file/x.json"):
        write_json(tmp_path / "file" / "x.json", {})


def test_cli_build_prints_summary_and_inspect_shows_funnel(project):
    r = run_cli("build", "curate.yaml", "-q", cwd=project)
    assert r.returncode == 0, r.stderr
    assert "Build summary" in r.stdout and "ingest" in r.stdout and "rejected: 1" in r.stdout
    assert "runs/p/export/train.jsonl" in r.stdout
    r = run_cli("inspect", "runs/p", "--rejects", cwd=project)
    assert r.returncode == 0, r.stderr
    assert "t.jsonl:21" in r.stdout and "invalid JSON" in r.stdout
    r = run_cli("inspect", "curate.yaml", "--id", "jsonl:t:3", cwd=project)
    assert r.returncode == 0 and "Question number 3" in r.stdout
    r = run_cli("export", "runs/p", "-o", "out", cwd=project)
    assert r.returncode == 0, r.stderr
    assert len((project / "out/train.jsonl").read_text().splitlines()) == 20
    r = run_cli("inspect", "runs/nope", cwd=project)
    assert r.returncode == 2 and "not a run folder" in r.stderr


def test_written_files_get_the_usual_permissions(tmp_path):
    write_json(tmp_path / "a.json", {})
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o666 & ~mask
    write_json(tmp_path / "secret.json", {}, file_mode=0o600)
    assert (tmp_path / "secret.json").stat().st_mode & 0o777 == 0o600
