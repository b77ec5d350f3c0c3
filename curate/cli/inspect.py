"""`curate inspect RUN`: the funnel, drops by reason, rejects and sample rows."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import typer
from rich.table import Table

from curate.cli.common import console, open_run
from curate.cli.progress import funnel_table
from curate.errors import InputError
from curate.records import DROP_COLUMN
from curate.stages import STAGE_ORDER


def register(app: typer.Typer) -> None:
    app.command("inspect")(inspect_cmd)


def _short(text: str | None, n: int = 100) -> str:
    if text is None:
        return ""
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def inspect_cmd(
    run_path: Path = typer.Argument(..., metavar="RUN", help="A run folder (runs/<name>) or its curate.yaml."),
    stage: str = typer.Option(None, "--stage", help="Show sample rows of this stage's table (default: the last)."),
    rows: int = typer.Option(5, "--rows", "-n", help="How many sample rows."),
    rejects: bool = typer.Option(False, "--rejects", help="List the rejected and skipped inputs with their reasons."),
    dropped: str = typer.Option(None, "--dropped", help="Show records a stage dropped for this reason."),
    record: str = typer.Option(None, "--id", help="Show one record in full (redacted text when redact ran)."),
    dup_group: str = typer.Option(None, "--dup-group", help="Show every record of a duplicate group."),
) -> None:
    """Show what a run did: counts per stage, drops by reason, and sample rows.

    The text shown comes from the redacted tables when the redact stage ran, never
    from the raw ingest table.
    """
    run = open_run(run_path)
    manifest = run.manifest()
    console.print(funnel_table(manifest, title=f"Run {manifest.get('name', run.root.name)}"))

    if rejects:
        _show_rejects(run.rejects_path, rows)
        return
    table_stage = stage or _display_stage(manifest)
    if table_stage is None:
        return
    if table_stage not in STAGE_ORDER:
        raise InputError(f"--stage: unknown stage {table_stage!r}; stages are {', '.join(STAGE_ORDER)}")
    if table_stage == "ingest" and (manifest.get("stages", {}).get("redact") or {}).get("status") == "done":
        raise InputError(
            f"--stage ingest: the ingest table holds the raw, unredacted text and is not shown; inspect a later "
            f"stage (redact, dedupe, ...) or read {run.table('ingest')} yourself if you are allowed to"
        )
    path = run.table(table_stage)
    if not path.exists():
        raise InputError(f"--stage: stage {table_stage} has no table in {run.root}")
    lf = pl.scan_parquet(path)
    names = lf.collect_schema().names()
    if dup_group is not None:
        if "dup_group" not in names:
            raise InputError("--dup-group: this run has no dedupe table; run the dedupe stage first")
        lf = pl.scan_parquet(run.table("dedupe"))
        group = dup_group
        df = lf.filter(pl.col("dup_group").cast(pl.Utf8) == group).collect()
        if df.height == 0:
            # a record id: show the group that record belongs to
            owner = lf.filter(pl.col("id").is_in(_ids(lf, dup_group, manifest))).select("dup_group").collect()
            if owner.height == 0:
                raise InputError("--dup-group: no group or record with that name")
            group = str(owner.item())
            df = lf.filter(pl.col("dup_group").cast(pl.Utf8) == group).collect()
        df = df.sort("is_representative", descending=True, maintain_order=True)
        _show_rows(df, f"duplicate group {group} ({df.height} records, kept first)", len(df), wide=True)
        return
    if record is not None:
        df = lf.filter(pl.col("id").is_in(_ids(lf, record, manifest))).collect()
        if df.height == 0:
            raise InputError(f"--id: no record with that id in the {table_stage} table")
        row = df.row(0, named=True)
        for k, v in row.items():
            if k == "messages":
                console.print("[bold]messages[/]")
                for m in v or []:
                    console.print(f"  [cyan]{m['role']}[/]: {m['content']}", highlight=False)
            elif k != "embedding":
                console.print(f"[bold]{k}[/]: {v}", highlight=False)
        return
    if dropped is not None:
        df = lf.filter(pl.col(DROP_COLUMN) == dropped).head(rows).collect()
        _show_rows(df, f"{table_stage}: dropped as {dropped!r}", rows)
        return
    df = lf.head(rows).collect()
    _show_rows(df, f"{table_stage}: first {rows} rows", rows)


def _ids(lf: pl.LazyFrame, record_id: str, manifest: dict) -> list[str]:
    """``record_id`` and, once redaction ran, the keyed hash it was replaced by if it
    held personal data: a record is found by the id its source gave it."""
    if (manifest.get("stages", {}).get("redact") or {}).get("status") != "done" or "source" not in lf.collect_schema().names():
        return [record_id]
    from curate.pii.ids import lookup

    salt_env = ((manifest.get("config") or {}).get("redact") or {}).get("salt_env") or "CURATE_PII_SALT"
    sources = lf.select(pl.col("source").unique()).collect()["source"].to_list()
    return lookup(record_id, sources, salt_env)


def _display_stage(manifest: dict) -> str | None:
    """The newest table that holds redacted text (or ingest if redact is off)."""
    stages = manifest.get("stages", {})
    for s in reversed(STAGE_ORDER):
        e = stages.get(s)
        if e and e.get("status") == "done" and e.get("table"):
            return s
    return None


SHOW = ("id", "title", "text", "dup_group", "cluster", "selected", DROP_COLUMN)
#: the columns that explain a duplicate group
DUP_SHOW = ("id", "is_representative", "dup_kind", "dup_of", "dup_similarity", "title", "text", DROP_COLUMN)


def _show_rows(df: pl.DataFrame, title: str, n: int, wide: bool = False) -> None:
    cols = [c for c in (DUP_SHOW if wide else SHOW) if c in df.columns]
    t = Table(title=title, title_justify="left", show_lines=True)
    for c in cols:
        t.add_column(c, overflow="fold")
    for row in df.head(n).iter_rows(named=True):
        t.add_row(*[_short(row[c], 400 if wide and c == "text" else 100) for c in cols])
    console.print(t)


def _show_rejects(path: Path, n: int) -> None:
    if not path.exists():
        console.print("no rejects")
        return
    t = Table(title="rejected and skipped inputs", title_justify="left")
    for c in ("status", "source", "locator", "reason"):
        t.add_column(c, overflow="fold")
    shown = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            t.add_row(r.get("status", ""), r.get("source", ""), r.get("locator", ""), r.get("reason", ""))
            shown += 1
            if shown >= max(n, 20):
                break
    console.print(t)
