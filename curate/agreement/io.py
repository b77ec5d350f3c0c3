"""Reading labels: a run's ``labels/labels.parquet`` + ``labels/fields.json``, or a file of
labels collected elsewhere (CSV, JSONL or Parquet; long or wide)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from curate.agreement.levels import parse_level
from curate.errors import InputError

LABELS = "labels/labels.parquet"
FIELDS = "labels/fields.json"
REPORT = "agreement.json"


def read_run_labels(root: Path) -> tuple[pl.DataFrame, dict[str, str]]:
    """The labels a run pulled from Label Studio and the level of each field."""
    labels_path, fields_path = root / LABELS, root / FIELDS
    if not labels_path.exists():
        raise InputError(f"{root}: no {LABELS} yet; pull the labels first (`curate label pull {root}`)")
    if not fields_path.exists():
        raise InputError(f"{fields_path}: not found; it names each field's level ({{\"quality\": \"ordinal\", ...}})")
    try:
        fields = json.loads(fields_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{fields_path}: invalid JSON ({exc})") from None
    if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
        raise InputError(f"{fields_path}: expected an object mapping each field to its level")
    for name, level in fields.items():
        parse_level(level, name)
    try:
        labels = pl.read_parquet(labels_path)
    except Exception as exc:  # a damaged or foreign file: say which and why, no traceback
        raise InputError(f"{labels_path}: cannot read ({type(exc).__name__})") from None
    return labels, fields


def read_label_file(
    path: Path, *, item: str = "record_id", rater: str = "reviewer", field: str | None = "field",
    value: str = "value", seconds: str | None = None, wide: bool = False,
) -> pl.DataFrame:
    """Labels from a CSV, JSONL or Parquet file, renamed to the columns agreement reads.

    Long layout (default): one row per item, rater and field. Without a field column (or
    ``field=None``) every row is one field named after the value column. Wide layout: one
    row per item and rater, every other column a field."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            df = pl.read_parquet(path)
        elif suffix in (".csv", ".tsv"):
            df = pl.read_csv(path, separator="\t" if suffix == ".tsv" else ",", infer_schema_length=0)
        elif suffix in (".jsonl", ".ndjson"):
            df = pl.read_ndjson(path, infer_schema_length=None)
        elif suffix == ".json":
            df = pl.read_json(path, infer_schema_length=None)
        else:
            raise InputError(f"{path}: expected a .csv, .tsv, .jsonl or .parquet file")
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{path}: cannot read ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})") from None

    def need(col: str, what: str) -> None:
        if col not in df.columns:
            raise InputError(f"{path}: no column '{col}' for the {what}; columns are: {', '.join(df.columns)}")

    need(item, "item (use --item-col)")
    need(rater, "rater (use --rater-col)")
    if seconds is not None:
        need(seconds, "time spent (use --seconds-col)")
    keep_seconds = [pl.col(seconds).cast(pl.Float64, strict=False).alias("seconds")] if seconds else []
    base = [pl.col(item).cast(pl.Utf8).alias("record_id"), pl.col(rater).cast(pl.Utf8).alias("reviewer")]
    if wide:
        skip = {item, rater} | ({seconds} if seconds else set())
        value_cols = [c for c in df.columns if c not in skip]
        if not value_cols:
            raise InputError(f"{path}: no field columns besides the item and rater")
        # field columns may be called anything, "field" and "value" included: unpivot
        # under private names, then strip the prefix
        tmp = [f"\x00{c}" for c in value_cols]
        df = df.select(*base, *keep_seconds, *[_to_text(df, c).alias(t) for c, t in zip(value_cols, tmp)])
        index = ["record_id", "reviewer", *(["seconds"] if seconds else [])]
        long = df.unpivot(index=index, on=tmp, variable_name="field", value_name="value")
        return long.with_columns(pl.col("field").str.strip_prefix("\x00")).select("record_id", "reviewer", "field", "value", *(["seconds"] if seconds else []))
    need(value, "value (use --value-col)")
    if field is not None and field in df.columns:
        fcol = pl.col(field).cast(pl.Utf8).alias("field")
    else:
        if field not in (None, "field"):
            need(field, "field (use --field-col)")
        fcol = pl.lit(value).alias("field")
    return df.select(*base, fcol, _to_text(df, value).alias("value"), *keep_seconds)


def _to_text(df: pl.DataFrame, col: str) -> pl.Expr:
    dtype = df.schema[col]
    e = pl.col(col)
    if dtype == pl.Utf8:
        return e
    if dtype.is_float():
        return pl.when(e == e.round(0)).then(e.cast(pl.Int64, strict=False).cast(pl.Utf8)).otherwise(e.cast(pl.Utf8)).alias(col)
    if isinstance(dtype, (pl.List, pl.Struct)):
        return e.map_elements(lambda v: json.dumps(v, sort_keys=True, default=str), return_dtype=pl.Utf8).alias(col)
    return e.cast(pl.Utf8).alias(col)


def parse_level_options(options: list[str]) -> dict[str, str]:
    """``--level quality=ordinal --level category=nominal`` -> {field: level}."""
    out: dict[str, str] = {}
    for opt in options:
        name, sep, level = opt.partition("=")
        if not sep or not name.strip() or not level.strip():
            raise InputError(f"--level '{opt}': expected FIELD=LEVEL, e.g. quality=ordinal")
        parse_level(level, name.strip())
        out[name.strip()] = level.strip()
    return out
