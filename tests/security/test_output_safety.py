"""Never destroy what curate does not own: an export deletes only files its own previous
export wrote (unchanged since); it refuses the run folder and non-empty folders that hold
no earlier export; a command whose output is its input refuses; run names stay inside
runs_dir. Each refusal is one line with exit code 2, and nothing is touched."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "export"))

from export_support import export, make_run  # noqa: E402
from helpers import NO_MODELS, run_cli, write_config  # noqa: E402

from curate.config import load_config  # noqa: E402
from curate.errors import ConfigError, InputError  # noqa: E402


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def one_error_line(stderr: str) -> str:
    lines = [x for x in stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in stderr, stderr
    return lines[0]


def test_export_removes_only_its_own_unchanged_files(tmp_path):
    run = make_run(tmp_path / "runs" / "t")
    out = tmp_path / "out"
    export(run, out, split={"eval": 0.25, "test": 4})
    (out / "test.jsonl").write_text((out / "test.jsonl").read_text() + "\n")  # the user changed it
    (out / "notes.txt").write_text("mine")
    victim = tmp_path / "victim.txt"
    victim.write_text("not curate's")
    # a manifest that names files curate never wrote there, or outside the folder
    m = json.loads((out / "manifest.json").read_text())
    m["files"].update({"../victim.txt": digest(victim), "notes.txt": "0" * 64})
    (out / "manifest.json").write_text(json.dumps(m))
    export(run, out, split={"eval": 0, "test": 0})
    assert not (out / "eval.jsonl").exists()  # written by the earlier export, unchanged: removed
    assert (out / "test.jsonl").exists() and (out / "notes.txt").read_text() == "mine" and victim.exists()


def test_export_refuses_a_folder_that_holds_no_earlier_export(tmp_path):
    run = make_run(tmp_path / "runs" / "t")
    out = tmp_path / "docs"
    out.mkdir()
    (out / "train.jsonl").write_text("my own file\n")
    r = run_cli("export", str(run.root), "-o", str(out))
    assert r.returncode == 2 and "not empty and holds no earlier export" in one_error_line(r.stderr)
    assert (out / "train.jsonl").read_text() == "my own file\n" and len(list(out.iterdir())) == 1
    # a run's manifest.json is not an export's
    (out / "manifest.json").write_text(json.dumps({"stages": {}, "files": {"train.jsonl": "x"}, "format": "openai"}))
    assert run_cli("export", str(run.root), "-o", str(out)).returncode == 2
    (out / "manifest.json").unlink()
    (out / "keep.txt").write_text("keep")
    r = run_cli("export", str(run.root), "-o", str(out), "--force")
    assert r.returncode == 0, r.stderr
    assert (out / "keep.txt").read_text() == "keep" and (out / "README.md").exists()


@pytest.mark.parametrize("force", [False, True])
def test_export_refuses_the_run_folder_itself(tmp_path, force):
    run = make_run(tmp_path / "runs" / "t")
    before = run.manifest_path.read_bytes()
    r = run_cli("export", str(run.root), "-o", str(run.root), *(["--force"] if force else []))
    assert r.returncode == 2 and "is the run folder" in one_error_line(r.stderr)
    assert run.manifest_path.read_bytes() == before and not (run.root / "train.jsonl").exists()
    with pytest.raises(InputError, match="is the run folder"):
        export(run, run.root / "." , split={"eval": 0})


@pytest.mark.parametrize("command", ["redact", "dedupe", "select"])
def test_a_command_whose_output_is_its_input_refuses(tmp_path, command):
    f = tmp_path / "in.jsonl"
    f.write_text("".join(json.dumps({"id": str(i), "text": f"Record number {i} about an invoice that is late."}) + "\n" for i in range(5)))
    link = tmp_path / "link.jsonl"
    link.symlink_to(f)
    before = f.read_bytes()
    for out in (f, link):
        r = run_cli(command, str(f), "-o", str(out))
        assert r.returncode == 2 and "writing it would replace the input" in one_error_line(r.stderr), r.stderr
        assert f.read_bytes() == before


def test_force_replaces_the_input(tmp_path):
    f = tmp_path / "in.jsonl"
    f.write_text("".join(json.dumps({"id": str(i), "text": "The same record text about a late invoice."}) + "\n" for i in range(3)))
    r = run_cli("dedupe", str(f), "-o", str(f), "--force")
    assert r.returncode == 0, r.stderr
    assert len(f.read_text().splitlines()) == 1  # the exact duplicates are gone


def test_ingest_refuses_to_write_over_its_config_or_source(tmp_path):
    (tmp_path / "t.jsonl").write_text(json.dumps({"id": "1", "q": "Where is my parcel?", "a": "On its way."}) + "\n")
    write_config(tmp_path / "curate.yaml", {"name": "i", "sources": [{"type": "jsonl", "path": "t.jsonl", "fields": {"id": "id", "user": "q", "assistant": "a"}}]})
    before = (tmp_path / "t.jsonl").read_bytes()
    for out in ("t.jsonl", "curate.yaml"):
        r = run_cli("ingest", "curate.yaml", "-o", out, cwd=tmp_path)
        assert r.returncode == 2 and "replace the input" in one_error_line(r.stderr)
    assert (tmp_path / "t.jsonl").read_bytes() == before


@pytest.mark.parametrize("name", ["..", ".", "..."])
def test_run_names_made_of_dots_are_config_errors(tmp_path, name):
    (tmp_path / "t.jsonl").write_text(json.dumps({"id": "1", "q": "Where is my parcel?", "a": "On its way."}) + "\n")
    write_config(tmp_path / "curate.yaml", {"name": name, **NO_MODELS,
                                            "sources": [{"type": "jsonl", "path": "t.jsonl", "fields": {"id": "id", "user": "q", "assistant": "a"}}]})
    with pytest.raises(ConfigError, match="only dots"):
        load_config(tmp_path / "curate.yaml")
    r = run_cli("build", "curate.yaml", cwd=tmp_path)
    assert r.returncode == 2 and "only dots" in one_error_line(r.stderr)
    assert not (tmp_path / "manifest.json").exists() and not (tmp_path / "ingest.parquet").exists()


def test_a_run_folder_resolving_outside_runs_dir_is_a_config_error(tmp_path):
    (tmp_path / "t.jsonl").write_text(json.dumps({"id": "1", "q": "Where is my parcel?", "a": "On its way."}) + "\n")
    write_config(tmp_path / "curate.yaml", {"name": "escape", **NO_MODELS,
                                            "sources": [{"type": "jsonl", "path": "t.jsonl", "fields": {"id": "id", "user": "q", "assistant": "a"}}]})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "escape").symlink_to(elsewhere)
    r = run_cli("build", "curate.yaml", cwd=tmp_path)
    assert r.returncode == 2 and "outside runs" in one_error_line(r.stderr)
    assert list(elsewhere.iterdir()) == []
