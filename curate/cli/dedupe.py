"""`curate dedupe IN -o OUT`: exact and near-duplicate removal on a records file,
outside a build (the same stage code as `curate build`)."""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl
import typer
from pydantic import ValidationError

from curate.cli.common import console, write_records
from curate.errors import ConfigError, InputError

DEDUPE_COLUMNS = (
    "dup_group", "dup_kind", "is_representative", "dup_of", "dup_similarity", "dup_group_size",
)
OUTPUT_SUFFIXES = (".jsonl", ".ndjson", ".json", ".parquet")


def register(app: typer.Typer) -> None:
    app.command("dedupe")(dedupe_cmd)


def dedupe_cmd(
    in_path: Path = typer.Argument(
        ..., metavar="IN", help="Records (.jsonl or .parquet) with an 'id' and a 'text' and/or 'messages'."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the kept records (.jsonl or .parquet)."),
    threshold: float = typer.Option(
        0.8, "--threshold", "-t", help="Jaccard similarity of shingle sets at or above which two records are near duplicates."
    ),
    num_perm: int = typer.Option(128, "--num-perm", help="MinHash permutations per signature (more: more precise, slower)."),
    ngram: int = typer.Option(5, "--ngram", help="Shingle length, in words (or characters with --shingle char)."),
    shingle: str = typer.Option("word", "--shingle", help="Shingles are word n-grams (word) or character n-grams (char)."),
    keep: str = typer.Option(
        "complete", "--keep",
        help="Which record of a group to keep: complete (has an agent reply, most turns, longest), longest, newest or first.",
    ),
    newest_field: str = typer.Option("created_at", "--newest-field", help="Meta field with the record's date, for --keep newest."),
    casefold: bool = typer.Option(False, "--casefold", help="Exact duplicates: ignore upper/lower case."),
    no_near: bool = typer.Option(False, "--exact-only", help="Only exact duplicates, no MinHash near duplicates."),
    groups: Path = typer.Option(
        None, "--groups",
        help="Also write every input id with its dup_group, whether it was kept, why not and whom it duplicates (.jsonl, .parquet or .csv).",
    ),
    force: bool = typer.Option(False, "--force", help="Write OUT (or --groups) even when it is IN, replacing the input."),
) -> None:
    """Remove exact and near-duplicate records.

    Exact duplicates have the same text after Unicode and whitespace normalisation; near
    duplicates share most of their word 5-grams (MinHash LSH, Jaccard >= --threshold).
    Each group of duplicates keeps its best record by --keep; a record is dropped only when
    it is a duplicate of a record that is kept.

    Example: `curate dedupe tickets.jsonl -o unique.jsonl --groups groups.csv`
    """
    from curate.cli.standalone import standalone_stage
    from curate.dedupe.config import DedupeConfig
    from curate.records import DROP_COLUMN

    raw = {
        "threshold": threshold, "num_perm": num_perm, "ngram": ngram, "shingle": shingle, "keep": keep,
        "newest_field": newest_field, "casefold": casefold, "near": not no_near,
    }
    try:
        section = DedupeConfig.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        msg = err.get("msg", "invalid value").removeprefix("Value error, ")
        raise ConfigError(f"--{loc.replace('_', '-')}: {msg}" if loc else f"dedupe: {msg}") from None
    if out.suffix not in OUTPUT_SUFFIXES:
        raise InputError(f"{out}: expected a .jsonl or .parquet output file")
    if groups is not None and groups.suffix not in OUTPUT_SUFFIXES + (".csv",):
        raise InputError(f"{groups}: expected a .jsonl, .parquet or .csv groups file")
    from curate.cli.common import refuse_overwrite

    refuse_overwrite([in_path], [out, groups], force)

    t0 = time.perf_counter()
    with standalone_stage("dedupe", section, in_path) as (table, entry):
        kept = table.filter(pl.col(DROP_COLUMN).is_null()).drop([DROP_COLUMN, *DEDUPE_COLUMNS], strict=False)
        write_records(kept, out)
        if groups is not None:
            write_groups(table, groups)
    seconds = time.perf_counter() - t0
    stats = entry.get("stats") or {}
    dropped = entry.get("dropped") or {}
    n_in = entry.get("records_in", 0)
    n_groups = stats.get("groups", 0)
    console.print(
        f"{n_in:,} records → {entry.get('records_out', 0):,} kept; dropped "
        f"{dropped.get('exact_duplicate', 0):,} exact and {dropped.get('near_duplicate', 0):,} near duplicates "
        f"in {n_groups:,} group{'' if n_groups == 1 else 's'} ({seconds:.1f} s)",
        highlight=False,
    )
    params = stats.get("parameters") or {}
    if params.get("near"):
        console.print(
            f"MinHash: {params['shingle']} {params['ngram']}-grams, {params['num_perm']} permutations, "
            f"{params['bands']} bands x {params['rows']} rows, threshold {params['threshold']}; "
            f"{stats.get('candidate_pairs', 0):,} candidate pairs, {stats.get('duplicate_pairs', 0):,} confirmed",
            highlight=False,
        )
    console.print(f"wrote {entry.get('records_out', 0):,} records → {out}", highlight=False)
    if groups is not None:
        console.print(f"wrote {n_in:,} ids with their group → {groups}", highlight=False)


def write_groups(table: pl.DataFrame, path: Path) -> None:
    """Every id with its group and what happened to it, largest groups first."""
    from curate.records import DROP_COLUMN
    from curate.store import atomic_path, write_jsonl, write_parquet

    df = (
        table.select(
            "id", "dup_group", "dup_group_size", "dup_kind", "is_representative",
            pl.col(DROP_COLUMN).is_null().alias("kept"), DROP_COLUMN, "dup_of", "dup_similarity",
        )
        .with_row_index("_order")
        .sort(["dup_group_size", "dup_group", "is_representative", "_order"], descending=[True, False, True, False])
        .drop("_order")
    )
    if path.suffix == ".parquet":
        write_parquet(path, df)
    elif path.suffix == ".csv":
        with atomic_path(path) as tmp:
            df.write_csv(tmp)
    else:
        write_jsonl(path, df.iter_rows(named=True))
