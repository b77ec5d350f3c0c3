"""`curate init`: a commented starter config (and a tiny sample so the first build runs)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import typer

from curate.cli.common import console
from curate.errors import InputError
from curate.store import write_text


def register(app: typer.Typer) -> None:
    app.command("init")(init_cmd)


def init_cmd(
    directory: Path = typer.Argument(Path("."), help="Folder to write curate.yaml into (created if needed)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing curate.yaml."),
) -> None:
    """Write a commented starter `curate.yaml` and a small sample data file.

    Edit the `sources:` entry to point at your own export (JSONL, CSV, Parquet, an
    mbox, a docs folder, a Zendesk or Jira instance), then run `curate build curate.yaml`.
    """
    target = directory / "curate.yaml"
    if target.exists() and not force:
        raise InputError(f"{target} already exists (use --force to overwrite)")
    tpl = resources.files("curate") / "templates"
    write_text(target, (tpl / "curate.yaml").read_text(encoding="utf-8"))
    sample = directory / "data" / "tickets.jsonl"
    if not sample.exists():
        write_text(sample, (tpl / "tickets.jsonl").read_text(encoding="utf-8"))
    console.print(f"wrote [bold]{target}[/] and [bold]{sample}[/]")
    console.print(f"next: [bold]curate build {target}[/]")
