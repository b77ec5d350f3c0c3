"""Helpers of the reliability tests: running the real `curate` command, reading a run
folder's outputs as text, checksums that ignore timestamps, processes of a build."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl

#: stage tables and files compared byte for byte between runs
TABLES = ["ingest.parquet", "redact.parquet", "dedupe.parquet", "filter.parquet", "embed.parquet", "select.parquet",
          "rejects.jsonl"]
#: export files holding the time of the export (compared with it removed)
TIMESTAMPED = {"export/README.md", "export/manifest.json"}
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)?")


def curate_env(**extra: str) -> dict[str, str]:
    """The environment of a `curate` subprocess: offline, no terminal width limit (so a
    log line is never wrapped in the middle of a value we search for)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CURATE_")}
    env.update({
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
        "TOKENIZERS_PARALLELISM": "false", "COLUMNS": "10000", "NO_COLOR": "1",
    })
    env.update(extra)
    return env


def curate_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "curate", *args]


def run_curate(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(curate_cmd(*args), cwd=cwd, env=env or curate_env(), capture_output=True, text=True,
                          timeout=timeout, check=False)


def file_text(path: Path) -> str:
    """What a file holds, as text: a Parquet table as its values (JSON lines), the rest
    decoded as UTF-8."""
    if path.suffix == ".parquet":
        return pl.read_parquet(path).write_ndjson()
    return path.read_bytes().decode("utf-8", errors="replace")


def squeeze(text: str) -> str:
    """Text without whitespace: a value split over two log lines is still found."""
    return re.sub(r"\s+", "", text)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digest_without_timestamps(path: Path) -> str:
    return hashlib.sha256(_STAMP.sub("<time>", path.read_text(encoding="utf-8")).encode()).hexdigest()


def output_digests(run: Path) -> dict[str, str]:
    """Checksums of the stage tables, rejects and every export file (timestamps removed
    from the dataset card and the export manifest; their file checksums inside the
    export manifest are removed with them)."""
    out = {}
    for name in TABLES:
        p = run / name
        if p.exists():
            out[name] = sha256(p)
    for p in sorted((run / "export").rglob("*")):
        if not p.is_file() or p.name.startswith("."):
            continue
        rel = p.relative_to(run).as_posix()
        if rel == "export/manifest.json":
            m = json.loads(p.read_text())
            m.pop("created_at", None)
            m.get("files", {}).pop("README.md", None)
            out[rel] = hashlib.sha256(json.dumps(m, sort_keys=True).encode()).hexdigest()
        elif rel in TIMESTAMPED:
            out[rel] = digest_without_timestamps(p)
        else:
            out[rel] = sha256(p)
    return out


def manifest_counts(manifest: dict[str, Any]) -> dict[str, Any]:
    """Per stage: status, counts and (for tables) the checksums the manifest recorded."""
    out = {}
    for name, e in manifest.get("stages", {}).items():
        out[name] = {k: e.get(k) for k in ("status", "records_in", "records_out", "dropped", "rejected", "input", "table")}
        out[name]["checksums"] = {f: d for f, d in (e.get("checksums") or {}).items() if not f.startswith("export/")}
    return out


def read_manifest(run: Path) -> dict[str, Any] | None:
    try:
        return json.loads((run / "manifest.json").read_text())
    except (OSError, ValueError):
        return None  # not written yet, or being replaced at this instant


def stage_status(run: Path, stage: str) -> str | None:
    m = read_manifest(run)
    return ((m or {}).get("stages", {}).get(stage) or {}).get("status")


def temp_files(run: Path) -> list[str]:
    """Temporary files of atomic writes (``.<name>.<random>.tmp``) anywhere in the run."""
    return sorted(p.relative_to(run).as_posix() for p in run.rglob(".*.tmp")) if run.exists() else []


def descendants(pid: int) -> list[int]:
    """Every living process below ``pid`` (children, grandchildren, ...), from /proc."""
    parent: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: the fields start after the last ')'
        fields = stat[stat.rfind(")") + 2:].split()
        parent[int(d.name)] = int(fields[1])
    out, frontier = [], [pid]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out += kids
        frontier += kids
    return out


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:].split()[0] != "Z"


def wait_gone(pids: list[int], timeout: float) -> list[int]:
    """Wait until none of ``pids`` lives (zombies count as gone); return those still alive."""
    deadline = time.monotonic() + timeout
    left = [p for p in pids if alive(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = [p for p in left if alive(p)]
    return left
