"""`curate validate FILE --format X`: check a training file against its format's schema."""

from __future__ import annotations

from pathlib import Path

import typer

from curate.cli.common import console
from curate.errors import CurateError
from curate.export.config import FORMATS


def register(app: typer.Typer) -> None:
    app.command("validate")(validate_cmd)


class InvalidFile(CurateError):
    exit_code = 1


def validate_cmd(
    file: Path = typer.Argument(..., help="A training file: JSONL, or Parquet for the hf format."),
    format: str = typer.Option(None, "--format", "-f", help=f"The file's format: {', '.join(FORMATS)}. Default: guessed from the first line."),
    max_errors: int = typer.Option(10, "--max-errors", min=1, help="How many bad lines to list."),
    strict: bool = typer.Option(False, "--strict", help="Also require strictly alternating turns (optional system turn, then user/assistant in turn, ending with the assistant), as Llama-2- and Mistral-style chat templates do."),
    reasoning_field: str = typer.Option("reasoning_content", "--reasoning-field", help="The key of assistant messages (alpaca: of the row) that may hold the reasoning (export.reasoning_field)."),
) -> None:
    """Check that every line of FILE is a valid example of its format (the JSON Schemas
    in `schemas/export-*.schema.json`).

    Lists the first bad lines with their numbers and what is wrong (never their content).
    Exit code 0 when the file is valid, 1 when it is not. `--strict` also checks that
    the turns alternate.
    """
    from curate.export.validate import validate_file

    report = validate_file(file, format, max_errors, strict=strict, reasoning_field=reasoning_field)
    if report.rows == 0:
        raise InvalidFile(f"{file}: no examples in the file")
    for p in report.problems:
        console.print(f"{file}:{p.line}: {p.message}", highlight=False, soft_wrap=True)
    if report.invalid:
        more = report.invalid - len(report.problems)
        raise InvalidFile(
            f"{file}: {report.invalid:,} of {report.rows:,} lines are not valid {report.format} examples"
            + (f" ({more:,} more not listed)" if more > 0 else "")
        )
    console.print(f"{file}: {report.rows:,} valid {report.format} examples" + (", turns strictly alternating" if strict else ""))
