"""A 64 MB JSONL line costs `curate ingest` no memory to speak of: the same input with and
without it, each in its own process, peak RSS from ``wait4``. The line is read past in
pieces of 1 MiB, so the process never holds it: the difference must stay far below the
line's own size (issue 23 allows 300 MB; full-size bombs: benchmarks/source_bombs.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_sources import jsonl_row, write_jsonl_with_long_line

MiB = 1024 * 1024


def ingest_peak(folder: Path) -> tuple[int, float, int, list[dict]]:
    """(exit code, peak RSS in MB, records, rejects) of `curate ingest` in ``folder``."""
    cfg = {"name": "m", "sources": [{"type": "jsonl", "path": "t.jsonl", "fields": {"id": "id", "user": "q", "assistant": "a"}}]}
    (folder / "curate.yaml").write_text(yaml.safe_dump(cfg))
    p = subprocess.Popen([sys.executable, "-m", "curate", "ingest", "curate.yaml", "-o", "out.jsonl", "-q"],
                         cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    records = len((folder / "out.jsonl").read_text().splitlines())
    rej = folder / "out.rejects.jsonl"
    rejects = [json.loads(x) for x in rej.read_text().splitlines()] if rej.exists() else []
    return p.returncode, usage.ru_maxrss / 1024, records, rejects


def test_a_64mb_line_adds_no_memory(tmp_path):
    plain, bombed = tmp_path / "plain", tmp_path / "bombed"
    plain.mkdir()
    bombed.mkdir()
    rows = "\n".join(jsonl_row(i) for i in range(3, 2003)) + "\n"
    (plain / "t.jsonl").write_text("\n".join([jsonl_row(1), jsonl_row(2)]) + "\n" + rows)
    write_jsonl_with_long_line(bombed / "t.jsonl", 64 * MiB)
    with open(bombed / "t.jsonl", "a") as fh:
        fh.write(rows)
    rc0, peak0, n0, rej0 = ingest_peak(plain)
    rc1, peak1, n1, rej1 = ingest_peak(bombed)
    assert (rc0, n0, rej0) == (0, 2002, [])
    assert (rc1, n1) == (0, 2002)
    assert [(r["locator"], r["reason"]) for r in rej1] == [
        ("t.jsonl:2", "line of 67,108,864 bytes, over the limit of 8,388,608 (max_record_bytes)")
    ]
    assert peak1 - peak0 < 32, (peak0, peak1)
