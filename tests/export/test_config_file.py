"""`curate export CONFIG.yaml` uses that file's export settings; where the file differs
from the configuration the run was built with in a way that matters, one line says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from export_support import read_jsonl
from helpers import NO_MODELS, run_cli, write_config

from curate.cli.common import differing_keys, run_settings
from curate.config import load_config
from curate.pipeline import build


@pytest.fixture
def project(tmp_path: Path) -> Path:
    rows = [{"id": str(i), "turns": [{"role": "user", "content": f"Where is parcel {i}? It is late."},
                                     {"role": "assistant", "content": "Let me check."},
                                     {"role": "user", "content": "Thanks, and the invoice?"},
                                     {"role": "assistant", "content": f"Invoice {i} is attached."}]} for i in range(12)]
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    write_config(tmp_path / "curate.yaml", {
        "name": "p", "sources": [{"type": "jsonl", "path": "t.jsonl", "kind": "chat", "fields": {"id": "id", "messages": "turns"}}],
        **NO_MODELS, "export": {"split": {"eval": 0}},
    })
    build(load_config(tmp_path / "curate.yaml"), runs_dir=tmp_path / "runs")
    return tmp_path


def edit(project: Path, **sections) -> None:
    data = yaml.safe_load((project / "curate.yaml").read_text())
    for key, value in sections.items():
        data[key] = {**(data.get(key) or {}), **value} if isinstance(value, dict) else value
    write_config(project / "curate.yaml", data)


def test_export_uses_the_given_config_files_export_settings(project):
    edit(project, export={"format": "openai", "last_turn_only": True, "split": {"eval": 0}})
    r = run_cli("export", "curate.yaml", "-o", "out", cwd=project)
    assert r.returncode == 0, r.stderr
    rows = read_jsonl(project / "out" / "train.jsonl")
    assert [m.get("weight") for m in rows[0]["messages"] if m["role"] == "assistant"] == [0, 1]
    notes = [line for line in r.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "curate.yaml's settings" in notes[0] and "export.last_turn_only" in notes[0]
    assert "build" not in notes[0]  # the run's tables are as this config builds them

    # the run folder itself: the stored settings, and one line naming the edit in the file
    # it was built from (never ignored without a word)
    r = run_cli("export", "runs/p", "-o", "out2", cwd=project)
    assert r.returncode == 0
    notes = [line for line in r.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "using the settings stored in the run; curate.yaml now differs (export.last_turn_only)" in notes[0]
    assert all("weight" not in m for m in read_jsonl(project / "out2" / "train.jsonl")[0]["messages"])


def test_a_config_whose_build_settings_differ_says_the_tables_are_older(project):
    edit(project, filter={"min_chars": 5}, description="Parcels")
    r = run_cli("export", "curate.yaml", "-o", "out", cwd=project)
    assert r.returncode == 0, r.stderr
    notes = [line for line in r.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1
    assert "(description)" in notes[0] and "built with other filter settings (filter.min_chars)" in notes[0]
    assert "curate build curate.yaml" in notes[0]
    assert "Parcels" in (project / "out" / "README.md").read_text()  # the file's description is used


def test_settings_helper(project, monkeypatch):
    monkeypatch.chdir(project)  # runs_dir is relative to the working directory
    s = run_settings(project / "curate.yaml")
    assert s.config_file is not None and s.differences == {} and s.note(("export",)) is None
    assert s.run.root.resolve() == (project / "runs" / "p").resolve()
    stored = run_settings(project / "runs" / "p")  # the stored config, compared with the file it came from
    assert stored.stored and stored.config_file is not None and stored.differences == {} and stored.note(("export",)) is None
    assert differing_keys({"a": {"b": 1, "c": [1]}}, {"a": {"b": 2, "c": [1], "d": 0}}, "x") == ["x.a.b", "x.a.d"]
