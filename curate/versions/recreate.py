"""Re-creating an earlier version's files (``curate versions RUN --recreate N -o DIR``).

- With ``export.versions.keep_text`` the version kept its lines as written: they are
  written back exactly, by split.
- Without it, the version kept ids, splits, label state and hashes only. Its examples are
  rebuilt from the run's **current** tables with the version's export settings, the split
  it recorded and the run's **current** decisions; each rebuilt line is compared with the
  version's hash. Limits, said in ``recreated.json`` and by the command: a record whose
  text changed at the source or was redacted differently since, or whose labels changed,
  comes back as it is now (counted ``changed``); a record the run no longer holds (its
  source dropped it, a later ingest replaced the tables) cannot come back (``gone``);
  decontamination and the token limit are not re-applied (the version's own choice
  stands)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from curate.errors import InputError
from curate.store import write_json
from curate.versions.examples import digest
from curate.versions.store import load_version

#: the run's tables, latest first: a record is read from the latest one that holds it
_TABLES = ("select", "embed", "filter", "dedupe", "redact")


def _records(run_root: Path, ids: list[str], columns: tuple[str, ...]) -> pl.DataFrame:
    parts, left = [], set(ids)
    for stage in _TABLES:
        path = Path(run_root) / f"{stage}.parquet"
        if not path.is_file() or not left:
            continue
        lf = pl.scan_parquet(path)
        names = lf.collect_schema().names()
        if "id" not in names:
            continue
        got = lf.select([c for c in columns if c in names]).filter(pl.col("id").is_in(sorted(left))).collect()
        left -= set(got["id"].to_list())
        parts.append(got)
    return pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame({"id": []}, schema={"id": pl.Utf8})


def recreate(run_root: Path, number: int, out_dir: Path) -> dict[str, Any]:
    """Write version ``number``'s training files into ``out_dir``; returns what came back."""
    from curate.export.config import ExportConfig
    from curate.export.examples import make_items
    from curate.export.formats import formatter
    from curate.export.labels import label_settings, load_run_decisions
    from curate.export.stage import COLUMNS, _turns_policy, _write_split, data_file

    v = load_version(run_root, number)
    manifest = v.manifest
    fmt = manifest.get("format") or "openai"
    out_dir.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"version": v.number, "run": str(run_root), "format": fmt, "examples": v.examples.height}
    text = v.text_rows()
    files = []
    if text is not None:
        for split, rows in sorted(text.items()):
            _write_split(out_dir / data_file(fmt, split), rows, fmt == "hf")
            files.append(data_file(fmt, split))
        result.update(exact=True, identical=v.examples.height, changed=[], gone=[], files=files)
    else:
        cfg = ExportConfig.model_validate(manifest.get("export") or {})
        config = (manifest.get("stats") or {}).get("run_config") or {}
        run_manifest_path = Path(run_root) / "manifest.json"
        if not config and run_manifest_path.is_file():
            import json

            config = json.loads(run_manifest_path.read_text(encoding="utf-8")).get("config") or {}
        lab = (manifest.get("stats") or {}).get("labels") or {}
        task, policy, criteria = label_settings(config)
        decisions = load_run_decisions(Path(run_root), lab.get("policy") or policy) if lab.get("used") else None
        ids = v.examples["id"].to_list()
        df = _records(run_root, ids, COLUMNS)
        items, _ = make_items(df, cfg, decisions=decisions, task=lab.get("task") or task, criteria=criteria,
                              turns=_turns_policy(config))
        row_of = formatter(cfg.format, cfg.prompt_style, cfg.reasoning_field if cfg.reasoning == "field" else None)
        want = {r["id"]: r for r in v.examples.iter_rows(named=True)}
        by_split: dict[str, list[dict[str, Any]]] = {}
        changed, seen = [], set()
        for it in items:
            if it.example.id not in want:
                continue
            row = row_of(it.example)
            rec = want[it.example.id]
            seen.add(it.example.id)
            by_split.setdefault(rec["split"], []).append(row)
            if digest(row) != rec["example_hash"]:
                changed.append(it.example.id)
        for split, rows in sorted(by_split.items()):
            _write_split(out_dir / data_file(fmt, split), rows, fmt == "hf")
            files.append(data_file(fmt, split))
        gone = sorted(set(ids) - seen)
        result.update(exact=False, identical=len(seen) - len(changed), changed=sorted(changed), gone=gone, files=files)
    if not files and v.examples.height:
        raise InputError(f"{run_root}: none of version v{v.number}'s {v.examples.height:,} examples could be re-created "
                         "from the run's current tables")
    write_json(out_dir / "recreated.json", result)
    return result
