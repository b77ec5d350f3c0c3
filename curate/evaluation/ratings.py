"""The ratings table: one row per rating (``item, system, reviewer, dimension, rating``),
from a Label Studio pull (``curate eval pull``) or from a file collected elsewhere
(``curate eval report --ratings FILE``: CSV, TSV, JSONL or Parquet with those columns).

A file's problems are one line naming the file and the line (the row for Parquet), never a
value's text beyond the column it is in."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import polars as pl

from curate.errors import InputError
from curate.evaluation.stats import RATING_SCHEMA

COLUMNS = ("item", "system", "reviewer", "dimension", "rating")


def _rows(path: Path):
    """(where, row dict) for each row of the file."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh, delimiter="\t" if suffix == ".tsv" else ",")
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError(f"{path}: no column(s) {', '.join(missing)}; a ratings file has the columns "
                                 f"{', '.join(COLUMNS)}")
            for row in reader:
                yield f"{path}:{reader.line_num}", row
    elif suffix in (".jsonl", ".ndjson"):
        with open(path, "rb") as fh:
            for n, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                try:
                    row = json.loads(raw.decode("utf-8-sig" if n == 1 else "utf-8"))
                except UnicodeDecodeError:
                    raise InputError(f"{path}:{n}: not valid UTF-8") from None
                except json.JSONDecodeError as exc:
                    raise InputError(f"{path}:{n}: invalid JSON: {exc.msg} (column {exc.colno})") from None
                if not isinstance(row, dict):
                    raise InputError(f"{path}:{n}: expected a JSON object")
                yield f"{path}:{n}", row
    elif suffix == ".parquet":
        try:
            df = pl.read_parquet(path)
        except Exception as exc:  # a damaged or foreign file: which and why, no traceback
            raise InputError(f"{path}: cannot read ({type(exc).__name__})") from None
        missing = [c for c in COLUMNS if c not in df.columns]
        if missing:
            raise InputError(f"{path}: no column(s) {', '.join(missing)}; a ratings file has the columns {', '.join(COLUMNS)}")
        for i, row in enumerate(df.select(COLUMNS).iter_rows(named=True), start=1):
            yield f"{path}: row {i}", row
    else:
        raise InputError(f"{path}: expected a .csv, .tsv, .jsonl or .parquet ratings file")


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, str):
        try:
            x = float(v.strip())
        except ValueError:
            return None
        return x if math.isfinite(x) else None
    return None


def read_ratings_file(path: str | Path) -> pl.DataFrame:
    """A ratings file as the ratings table. Every row must name an item, a system, a
    reviewer and a dimension and give a numeric rating; a rating given twice is an error."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    try:
        return _read(path)
    except UnicodeDecodeError:
        raise InputError(f"{path}: not valid UTF-8") from None
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None


def _read(path: Path) -> pl.DataFrame:
    out: dict[str, list[Any]] = {c: [] for c in COLUMNS}
    first: dict[tuple[str, ...], str] = {}
    for where, row in _rows(path):
        vals = {}
        for c in COLUMNS[:4]:
            v = row.get(c)
            if v is None or (isinstance(v, str) and not v.strip()):
                raise InputError(f"{where}: no {c}")
            if isinstance(v, (dict, list)):
                raise InputError(f"{where}: {c} must be a single value")
            vals[c] = str(v).strip()
        rating = _number(row.get("rating"))
        if rating is None:
            raise InputError(f"{where}: rating is not a number")
        key = (vals["item"], vals["system"], vals["reviewer"], vals["dimension"])
        if key in first:
            raise InputError(f"{where}: reviewer {vals['reviewer']!r} rated item {vals['item']!r}, system "
                             f"{vals['system']!r} on {vals['dimension']!r} again (first at {first[key]})")
        first[key] = where
        for c in COLUMNS[:4]:
            out[c].append(vals[c])
        out["rating"].append(rating)
    if not out["item"]:
        raise InputError(f"{path}: no ratings")
    return pl.DataFrame(out, schema=RATING_SCHEMA)


def empty_ratings() -> pl.DataFrame:
    return pl.DataFrame(schema=RATING_SCHEMA)
