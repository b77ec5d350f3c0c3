"""`curate build` and `curate ingest`."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
import typer
from rich.markup import escape

from curate.cli.common import console, err_console, open_config, write_records
from curate.cli.progress import RichProgress, funnel_table, stage_warnings
from curate.pipeline import build
from curate.stages import STAGE_ORDER

STAGES_HELP = ", ".join(STAGE_ORDER)


def register(app: typer.Typer) -> None:
    app.command("build")(build_cmd)
    app.command("ingest")(ingest_cmd)


def build_cmd(
    config: Path = typer.Argument(..., help="The curate.yaml to build.", show_default=False),
    until: str = typer.Option(None, "--until", help=f"Stop after this stage ({STAGES_HELP})."),
    from_: str = typer.Option(None, "--from", help="Redo this stage and every stage after it."),
    force: bool = typer.Option(False, "--force", help="Redo every stage, even those that are up to date."),
    runs_dir: Path = typer.Option(None, "--runs-dir", help="Folder for run folders (default: runs_dir in the config, 'runs')."),
    engine: str = typer.Option(None, "--engine", help="local (default) or ray."),
    address: str = typer.Option(None, "--address", help="Ray cluster address, with --engine ray."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Run the pipeline: ingest → redact → dedupe → filter → embed → select → export.

    Outputs go to `runs/<name>/`: one Parquet table per stage, `manifest.json` (counts,
    drops by reason, timings), `rejects.jsonl` and `export/train.jsonl`. Stages whose
    input and settings are unchanged are skipped, so re-running is cheap and a killed
    build resumes where it stopped. A build that exports fewer than
    `export.min_examples` examples (default 1) exits with 1 and says why in one line.
    """
    cfg = open_config(config)
    if engine or address:
        cfg.engine = cfg.engine.model_copy(update={k: v for k, v in {"type": engine, "address": address}.items() if v})
        if cfg.engine.type not in ("local", "ray"):
            from curate.errors import InputError

            raise InputError(f"--engine: expected local or ray, got {cfg.engine.type!r}")
    with RichProgress(err_console, enabled=not quiet) as progress:
        result = build(cfg, runs_dir=runs_dir, until=until, from_stage=from_, force=force, progress=progress)
    manifest = result.run.manifest()
    console.print(funnel_table(manifest))
    for w in stage_warnings(manifest):
        console.print(f"[yellow]warning[/]: {escape(w)}", highlight=False, soft_wrap=True)
    skipped = [o.name for o in result.outcomes if o.status == "skipped"]
    if skipped:
        console.print(f"[dim]up to date, skipped: {', '.join(skipped)} (use --force or --from to redo)[/]")
    train = result.run.path("export/train.jsonl")
    console.print(f"run folder: [bold]{result.run.root}[/]")
    if train.exists():
        console.print(f"training file: [bold]{train}[/]")
    card = result.run.path("export/README.md")
    if card.exists():
        console.print(f"dataset card: [bold]{card}[/]")
    report = result.run.path("report.html")
    if report.exists():
        console.print(f"report: [bold]{report}[/]")
    from curate.export.outcome import check_run_export

    exported = any(o.name == "export" and o.status in ("done", "skipped") for o in result.outcomes)
    warning = check_run_export(manifest) if exported else None  # an EmptyResult (exit 1) below export.min_examples
    if warning:
        err_console.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)


def ingest_cmd(
    config: Path = typer.Argument(..., help="The curate.yaml whose sources to read.", show_default=False),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the records (.jsonl or .parquet)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    force: bool = typer.Option(False, "--force", help="Write OUT even when it is the config file or a source file."),
) -> None:
    """Read the config's sources and write the Records, nothing else.

    Inputs that cannot become a Record are written beside OUT as `<OUT>.rejects.jsonl`,
    each with its file:line and the reason.
    """
    cfg = open_config(config)
    from curate.cli.common import refuse_overwrite

    rejects = out.with_name(out.name + ".rejects.jsonl") if out.suffix != ".jsonl" else out.with_suffix(".rejects.jsonl")
    sources = [cfg.base_dir / p for sc in cfg.sources if (p := getattr(sc, "path", None)) and (cfg.base_dir / p).is_file()]
    refuse_overwrite([config, *sources], [out, rejects], force)
    with tempfile.TemporaryDirectory(prefix="curate-ingest-") as tmp:
        with RichProgress(err_console, enabled=not quiet) as progress:
            result = build(cfg, runs_dir=Path(tmp), only=["ingest"], progress=progress, report=False)
        run = result.run
        df = pl.read_parquet(run.path("ingest.parquet")).drop("drop_reason")
        write_records(df, out)
        entry = run.stage_entry("ingest") or {}
        if run.rejects_path.exists() and run.rejects_path.stat().st_size:
            from curate.store import atomic_path
            import shutil

            with atomic_path(rejects) as t:
                shutil.copyfile(run.rejects_path, t)
    stats = entry.get("stats") or {}
    files = stats.get("files")
    # "inputs" are the units accounted for (rows, threads, chunks), not the files read
    read = (f"{files:,} file{'s' if files != 1 else ''}, " if files is not None else "") + f"{entry.get('records_in', 0):,} inputs"
    console.print(
        f"{read}: {entry.get('records_out', 0):,} records → {out}"
        + (f"; {entry.get('rejected', 0):,} rejected → {rejects}" if entry.get("rejected") else "")
        + (f"; skipped: {entry.get('dropped')}" if entry.get("dropped") else ""),
        highlight=False,
        soft_wrap=True,
    )
    for w in stats.get("warnings") or []:
        console.print(f"[yellow]warning[/]: {escape(w)}", highlight=False, soft_wrap=True)
