"""`curate schema`: the JSON Schema of curate.yaml."""

from __future__ import annotations

from pathlib import Path

import typer

from curate.cli.common import console
from curate.config import config_json_schema_text
from curate.store import write_text


def register(app: typer.Typer) -> None:
    app.command("schema")(schema_cmd)


def schema_cmd(
    out: Path = typer.Option(None, "--out", "-o", help="Write to this file instead of printing."),
) -> None:
    """Print (or write) the JSON Schema of curate.yaml, for editors and CI checks."""
    text = config_json_schema_text()
    if out:
        write_text(out, text)
        console.print(f"wrote {out}")
    else:
        typer.echo(text, nl=False)
