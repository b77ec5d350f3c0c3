"""`curate report RUN [-o FILE] [--open]`: write the run's self-contained HTML report."""

from __future__ import annotations

import webbrowser
from pathlib import Path

import typer

from curate.cli.common import console, open_run


def register(app: typer.Typer) -> None:
    app.command("report")(report_cmd)


def report_cmd(
    run_path: Path = typer.Argument(
        ..., metavar="RUN", help="A run folder (runs/NAME) or the curate.yaml that builds it.", show_default=False
    ),
    out: Path = typer.Option(None, "--out", "-o", help="Where to write the report (default: RUN/report.html)."),
    open_: bool = typer.Option(False, "--open", help="Open the report in the default web browser."),
) -> None:
    """Write the run report: one self-contained HTML file that works offline.

    It shows the funnel (records per stage, drops by reason), PII found by entity
    type, duplicate groups side by side, the cluster map with the selected records,
    distributions before and after selection, reviewer agreement and the export's
    tokens and cost. Each panel appears once its stage has run. `curate build` writes
    it at the end of every build; run this after labeling or `curate agreement` to
    bring it up to date.

    Record text comes only from redacted tables and is escaped; the file loads nothing
    from the network, so it can be mailed or attached to a ticket as is.
    """
    from curate.report import generate

    run = open_run(run_path)
    rep = generate(run, out)
    console.print(f"report: [bold]{rep.path}[/] ({rep.bytes / 1024:,.0f} KB, {rep.seconds:.1f} s)", highlight=False)
    drawn = [p.title for p in rep.panels if p.state == "ok"]
    waiting = [p.title for p in rep.panels if p.state == "not_run"]
    failed = [p.title for p in rep.panels if p.state == "error"]
    console.print(f"panels: {', '.join(drawn) or 'none'}", highlight=False)
    if waiting:
        console.print(f"[dim]not yet (their stage has not run): {', '.join(waiting)}[/]", highlight=False)
    if failed:
        console.print(f"[yellow]could not be drawn (run with -vv for details): {', '.join(failed)}[/]", highlight=False)
    if open_:
        webbrowser.open(path_uri(rep.path))


def path_uri(path: Path) -> str:
    return path.resolve().as_uri()
