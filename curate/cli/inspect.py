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
    dropped: str = typer.Option(None, "--dropped", help="Show records dropped for this reason, by whichever stage dropped them (the export included)."),
    record: str = typer.Option(None, "--id", help="Show one record in full (redacted text when redact ran) and what became of it."),
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
        ids = _ids(lf, record, manifest)
        if stage is None:  # the last table that holds the record: where its story ends
            table_stage, lf = _stage_holding(run, manifest, ids) or (table_stage, lf)
        df = lf.filter(pl.col("id").is_in(ids)).collect()
        if df.height == 0:
            raise InputError(f"--id: no record with that id in the {table_stage} table")
        row = df.row(0, named=True)
        console.print(f"[bold]fate[/]: {_fate(run, table_stage, row)}", highlight=False)
        for k, v in row.items():
            if k == "messages":
                console.print("[bold]messages[/]")
                for m in v or []:
                    console.print(f"  [cyan]{m['role']}[/]: {m['content']}", highlight=False)
            elif k != "embedding":
                console.print(f"[bold]{k}[/]: {v}", highlight=False)
        return
    if dropped is not None:
        if stage is not None:
            df = lf.filter(pl.col(DROP_COLUMN) == dropped).head(rows).collect()
            _show_rows(df, f"{table_stage}: dropped as {dropped!r}", rows)
            return
        _show_dropped_anywhere(run, manifest, dropped, rows)
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


def _tables(run, manifest: dict) -> list[str]:
    """Stages with a table, in build order; ingest (raw text) only when redact did not run."""
    stages = manifest.get("stages", {})
    redacted = (stages.get("redact") or {}).get("status") == "done"
    return [s for s in STAGE_ORDER if (stages.get(s) or {}).get("status") == "done" and (stages.get(s) or {}).get("table")
            and not (s == "ingest" and redacted) and run.table(s).exists()]


def _stage_holding(run, manifest: dict, ids: list[str]) -> tuple[str, pl.LazyFrame] | None:
    """The last stage table that holds the record (by any of ``ids``: dropped there, or
    still live)."""
    for s in reversed(_tables(run, manifest)):
        lf = pl.scan_parquet(run.table(s))
        if lf.filter(pl.col("id").is_in(ids)).select(pl.len()).collect().item():
            return s, lf
    return None


def _export_drops(run) -> dict[str, dict]:
    path = run.path("export/dropped.jsonl")
    if not path.is_file():
        return {}
    out = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                out[d.get("id")] = d
    return out


def _fate(run, stage: str, row: dict) -> str:
    """What became of a record, from every stage that saw it (export included)."""
    reason = row.get(DROP_COLUMN)
    if reason is not None:
        why = row.get("filter_why") or row.get("why")
        return f"dropped by the {stage} stage: {reason}" + (f" ({why})" if why else "")
    exported = _export_drops(run).get(row["id"])
    if exported is not None:
        return f"left out by the export: {exported.get('reason')} (export/dropped.jsonl)"
    if row.get("selected"):
        done = run.path("export/manifest.json").is_file()
        return f"selected (rank {row.get('rank')})" + ("; exported" if done else "; not exported yet")
    return f"live after the {stage} stage"


def _show_dropped_anywhere(run, manifest: dict, reason: str, n: int) -> None:
    """Records dropped for ``reason`` by any stage: the stage tables, the export's
    dropped.jsonl, and the inputs ingest skipped (rejects.jsonl)."""
    shown = False
    for s in _tables(run, manifest):
        df = pl.scan_parquet(run.table(s)).filter(pl.col(DROP_COLUMN) == reason).head(n).collect()
        if df.height:
            total = (manifest["stages"][s].get("dropped") or {}).get(reason, df.height)
            _show_rows(df, f"{s}: dropped as {reason!r} ({total:,} in all)", n)
            shown = True
    ids = [i for i, d in _export_drops(run).items() if d.get("reason") == reason]
    if ids:
        last = _tables(run, manifest)[-1:]
        df = pl.DataFrame()
        if last:
            df = pl.scan_parquet(run.table(last[0])).filter(pl.col("id").is_in(ids[:n])).collect()
        if df.height:
            _show_rows(df, f"export: left out as {reason!r} ({len(ids):,} in all, listed in export/dropped.jsonl)", n)
        else:
            console.print(f"export: left out {len(ids):,} records as {reason!r} (export/dropped.jsonl)")
        shown = True
    skipped = (manifest.get("stages", {}).get("ingest") or {}).get("dropped", {}).get(reason)
    if skipped:
        console.print(f"ingest: skipped {skipped:,} inputs as {reason!r} (curate inspect RUN --rejects lists them)")
        shown = True
    if not shown:
        console.print(f"no stage dropped a record as {reason!r}")


def _display_stage(manifest: dict) -> str | None:
    """The newest table that holds redacted text (or ingest if redact is off)."""
    stages = manifest.get("stages", {})
    for s in reversed(STAGE_ORDER):
        e = stages.get(s)
        if e and e.get("status") == "done" and e.get("table"):
            return s
    return None


SHOW = ("id", "title", "text", "dup_group", "cluster", "selected", DROP_COLUMN, "filter_why")
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
