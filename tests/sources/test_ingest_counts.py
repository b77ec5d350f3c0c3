"""Ingest says both what it read (files, messages, rows) and the units it accounts for
(threads, rows, chunks): in the manifest, in `curate ingest`'s line and in the build
summary; warnings come out as one line each."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from file_ingest import ingest
from helpers import run_cli, write_config

FIX = Path(__file__).resolve().parents[1] / "fixtures/sources"


def test_email_threads_are_counted_apart_from_the_files_they_came_from(tmp_path):
    shutil.copytree(FIX / "email/support", tmp_path / "mail")
    records, rejects, entry = ingest(tmp_path, {"type": "email", "name": "support", "path": "mail",
                                                "support_domains": ["example.com"]})
    assert [(r["status"], r["reason"]) for r in rejects] == [("skipped", "duplicate_copy")]
    # 7 message files: 2 threads, 1 duplicate copy
    assert entry["records_in"] == 3 and entry["records_out"] == len(records) == 2
    assert entry["stats"]["files"] == 7
    assert entry["stats"]["sources"]["email:support"] == {"records": 2, "rejected": 0, "skipped": 1,
                                                          "files": 7, "messages": 7}


def test_ingest_and_build_say_files_and_inputs_and_print_warnings(tmp_path):
    (tmp_path / "a.csv").write_bytes("id,q\n1,Grüße aus Köln\n2,plain\n".encode())
    (tmp_path / "b.csv").write_bytes("id,q\n1,café\n".encode())
    write_config(tmp_path / "curate.yaml", {"name": "t", "sources": [
        {"type": "csv", "name": "q", "path": "*.csv", "encoding": "latin-1", "fields": {"user": "q"}}],
        "redact": {"enabled": False}, "dedupe": {"enabled": False}, "embed": {"enabled": False},
        "select": {"enabled": False}, "export": {"enabled": False}})
    warning = ("warning: csv:q: 2 of 3 rows look like UTF-8 read as latin-1 (mojibake such as 'Ã©' for 'é'); "
               "set `encoding: utf-8`")
    r = run_cli("ingest", "curate.yaml", "-o", "out.jsonl", "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["2 files, 3 inputs: 3 records → out.jsonl", warning]
    r = run_cli("build", "curate.yaml", "-q", "--runs-dir", "runs", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "3 (2 files)" in r.stdout
    assert f"{warning.replace('warning: ', 'warning: ingest: ')}" in r.stdout.splitlines()
    manifest = json.loads((tmp_path / "runs/t/manifest.json").read_text())
    assert manifest["stages"]["ingest"]["stats"]["sources"]["csv:q"]["rows"] == 3
