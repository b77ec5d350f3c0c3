"""Ingest one config's sources as `curate build` does (the ingest stage only, no report)
and hand back what a user would look at: the records, the rejects, the manifest entry."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from helpers import write_config

from curate.config import load_config
from curate.pipeline import build


def ingest(tmp_path: Path, *sources: dict, name: str = "t") -> tuple[list[dict], list[dict], dict]:
    cfg = write_config(tmp_path / "curate.yaml", {"name": name, "sources": list(sources)})
    result = build(load_config(cfg), runs_dir=tmp_path / "runs", only=["ingest"], report=False, force=True)
    run = result.run.root
    records = pl.read_parquet(run / "ingest.parquet").to_dicts()
    for r in records:
        r["meta"] = json.loads(r["meta"])
    p = run / "rejects.jsonl"
    rejects = [json.loads(line) for line in p.read_text().splitlines()] if p.exists() else []
    return records, rejects, result.run.manifest()["stages"]["ingest"]
