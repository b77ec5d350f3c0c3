"""The ``curate`` command. Each group of commands lives in its own module under
``curate/cli/`` and registers itself with ``register(app)``; errors a user can act on are
printed as one line (no traceback) and set the exit code (2: bad input or config)."""

from __future__ import annotations

import importlib
import os
import sys

import typer
from rich.markup import escape

from curate import __version__
from curate.cli.common import err_console, setup_logging
from curate.errors import CurateError

# Offline by default: no library phones home or reaches for a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

app = typer.Typer(
    name="curate",
    help=(
        "Turn support tickets, email threads and documentation into a reviewed, PII-free, "
        "deduplicated and diverse fine-tuning dataset.\n\n"
        "Start with `curate init` (a starter config), then `curate build curate.yaml`."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)

# command modules, in the order they appear in `curate --help`
COMMAND_MODULES = (
    "init", "build", "inspect", "report", "redact", "dedupe", "select",
    "label", "agreement", "eval", "export", "drift", "validate", "pii", "schema", "diff",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"curate {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More log output (-vv for debug)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    setup_logging(verbose)


for _name in COMMAND_MODULES:
    importlib.import_module(f"curate.cli.{_name}").register(app)


def main() -> None:
    """Console entry point."""
    try:
        app()
    except CurateError as exc:
        # escaped: a message may hold brackets that are not markup (pip install 'curate[ray]')
        err_console.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]: the run folder is consistent; run the same command to resume")
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
