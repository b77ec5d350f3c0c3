"""`curate export RUN -o DIR`: training files from a finished run."""

from __future__ import annotations

from pathlib import Path

import typer

from curate.cli.common import console, open_run
from curate.config import CurateConfig
from curate.engines.local import live_scan
from curate.errors import InputError
from curate.export.config import ExportConfig
from curate.export.stage import export_records


def register(app: typer.Typer) -> None:
    app.command("export")(export_cmd)


def export_cmd(
    run_path: Path = typer.Argument(..., metavar="RUN", help="A run folder (runs/<name>) or its curate.yaml."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder to write the training files into."),
    system_prompt: str = typer.Option(None, "--system-prompt", help="Override the config's system prompt."),
) -> None:
    """Write the run's selected records as training data (`DIR/train.jsonl`, OpenAI chat format)."""
    run = open_run(run_path)
    manifest = run.manifest()
    last = run.last_table(before="export")
    if last is None:
        raise InputError(f"{run.root}: no stage table yet; run `curate build` first")
    cfg = ExportConfig.model_validate((manifest.get("config") or {}).get("export") or {})
    if system_prompt is not None:
        cfg = cfg.model_copy(update={"system_prompt": system_prompt})
    _, table = last
    result = export_records(live_scan(table), cfg, out)
    drops = ", ".join(f"{k}: {v}" for k, v in result.dropped.items())
    console.print(f"{result.records_out:,} examples → {out / 'train.jsonl'}" + (f" (left out: {drops})" if drops else ""))


_ = CurateConfig  # the export settings are read from the run's stored config
