"""From a long table of labels to per-field arrays.

The input has one row per (item, reviewer, field): columns ``record_id``, ``reviewer``,
``field``, ``value`` (a string; numbers are parsed for numeric levels) and optionally
``seconds`` (time the reviewer spent on the item). Items and reviewers are numbered in
sorted order, so results do not depend on the order of the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from curate.agreement.levels import Level, format_number, parse_levels
from curate.agreement.text import normalise
from curate.errors import InputError

REQUIRED = ("record_id", "reviewer", "field", "value")


@dataclass
class FieldData:
    """The ratings of one field, sorted by item then reviewer.

    ``code`` indexes ``categories`` (all levels but text); ``num`` is the value on the
    number line (the number itself, or an ordinal label's position in its order);
    ``text`` holds normalised texts (text level only)."""

    name: str
    level: Level
    item: np.ndarray
    rater: np.ndarray
    code: np.ndarray | None = None
    num: np.ndarray | None = None
    text: list[str] | None = None
    categories: list[str] = field(default_factory=list)
    cat_values: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.item)


@dataclass
class Prepared:
    items: list[str]
    reviewers: list[str]
    fields: list[FieldData]
    duplicates: int
    empty: int
    n_labels: int
    #: per (item, reviewer): seconds spent (NaN when not recorded)
    seconds: pl.DataFrame | None


def _check_columns(labels: pl.DataFrame) -> None:
    if not isinstance(labels, pl.DataFrame):
        raise InputError("labels must be a polars DataFrame")
    missing = [c for c in REQUIRED if c not in labels.columns]
    if missing:
        raise InputError(f"labels need the columns {', '.join(REQUIRED)}; missing: {', '.join(missing)}")


def _as_text(col: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.Utf8:
        return col
    if dtype.is_float():
        # 3.0 -> "3", so a float column of levels reads like the integers people typed
        return pl.when(col == col.round(0)).then(col.cast(pl.Int64, strict=False).cast(pl.Utf8)).otherwise(col.cast(pl.Utf8))
    return col.cast(pl.Utf8)


def prepare(labels: pl.DataFrame, levels: dict[str, str | Level]) -> Prepared:
    """Validate and encode the labels. Rows with an empty value are not ratings (counted
    in ``empty``); a second rating of the same field of an item by the same reviewer is
    ignored (counted in ``duplicates``; the first one in row order counts)."""
    _check_columns(labels)
    lv = parse_levels(levels)
    has_seconds = "seconds" in labels.columns
    df = labels.select(
        pl.col("record_id").cast(pl.Utf8),
        pl.col("reviewer").cast(pl.Utf8),
        pl.col("field").cast(pl.Utf8),
        _as_text(pl.col("value"), labels.schema["value"]).alias("value"),
        *([pl.col("seconds").cast(pl.Float64, strict=False)] if has_seconds else []),
    )
    n_labels = df.height
    if df.select(pl.col("record_id").is_null().any() | pl.col("reviewer").is_null().any() | pl.col("field").is_null().any()).item():
        raise InputError("labels have rows without a record_id, reviewer or field")
    seen = set(df.get_column("field").unique().to_list())
    unknown = sorted(seen - set(lv))
    if unknown:
        raise InputError(
            f"no level of measurement for field(s) {', '.join(unknown)}; give one per field "
            "(nominal, ordinal, interval, ratio or text)"
        )
    items = sorted(df.get_column("record_id").unique().to_list())
    reviewers = sorted(df.get_column("reviewer").unique().to_list())
    item_map = pl.DataFrame({"record_id": pl.Series(items, dtype=pl.Utf8), "_item": np.arange(len(items), dtype=np.int64)})
    rev_map = pl.DataFrame({"reviewer": pl.Series(reviewers, dtype=pl.Utf8), "_rater": np.arange(len(reviewers), dtype=np.int64)})
    df = df.with_row_index("_row").join(item_map, on="record_id").join(rev_map, on="reviewer")

    seconds = None
    if has_seconds:
        seconds = (
            df.filter(pl.col("seconds").is_not_null() & (pl.col("seconds") >= 0))
            .sort("_row")
            .group_by("_item", "_rater", maintain_order=True)
            .agg(pl.col("seconds").first())
        )

    is_empty = pl.col("value").is_null() | (pl.col("value").str.strip_chars() == "")
    text_fields = [f for f, level in lv.items() if level.kind == "text"]
    # an empty text is a rating of a text field only if it is an empty string, never null
    empty_mask = pl.when(pl.col("field").is_in(text_fields)).then(pl.col("value").is_null()).otherwise(is_empty)
    empty = int(df.select(empty_mask.sum()).item())
    df = df.filter(~empty_mask)
    before = df.height
    df = df.sort("_row").unique(subset=["_item", "_rater", "field"], keep="first", maintain_order=True)
    duplicates = before - df.height

    fields = []
    parts = {k[0]: v for k, v in df.partition_by("field", as_dict=True).items()} if df.height else {}
    for name, level in lv.items():
        part = parts.get(name)
        if part is None:
            part = df.clear()
        fields.append(_encode(name, level, part.sort("_item", "_rater")))
    return Prepared(items, reviewers, fields, duplicates, empty, n_labels, seconds)


def _encode(name: str, level: Level, part: pl.DataFrame) -> FieldData:
    item = part.get_column("_item").to_numpy().astype(np.int64)
    rater = part.get_column("_rater").to_numpy().astype(np.int64)
    values = part.get_column("value")
    fd = FieldData(name, level, item, rater)
    if level.kind == "text":
        fd.text = [normalise(v) for v in values.to_list()]
        return fd
    if level.kind == "nominal":
        v = values.str.strip_chars()
        cats = sorted(v.unique().to_list())
        fd.categories = cats
        fd.code = v.replace_strict(cats, list(range(len(cats))), return_dtype=pl.Int64).to_numpy()
        fd.num = fd.code.astype(np.float64)
        fd.cat_values = np.arange(len(cats), dtype=np.float64)
        return fd
    if level.order is not None:
        v = values.str.strip_chars()
        pos = {c: i for i, c in enumerate(level.order)}
        bad = int((~v.is_in(list(level.order))).sum())
        if bad:
            raise InputError(f"field '{name}': {bad} value(s) are not in its order ({', '.join(level.order)})")
        fd.categories = list(level.order)
        fd.code = v.replace_strict(list(pos), list(pos.values()), return_dtype=pl.Int64).to_numpy()
        fd.num = fd.code.astype(np.float64)
        fd.cat_values = np.arange(len(level.order), dtype=np.float64)
        return fd
    nums = values.str.strip_chars().cast(pl.Float64, strict=False)
    bad = int(nums.is_null().sum() + nums.is_nan().sum())
    if bad:
        hint = " (name the order of labels as ordinal:a,b,c)" if level.kind == "ordinal" else ""
        raise InputError(f"field '{name}' is {level.kind} but {bad} value(s) are not numbers{hint}")
    x = nums.to_numpy().astype(np.float64)
    if not np.all(np.isfinite(x)):
        raise InputError(f"field '{name}': values must be finite numbers")
    if level.kind == "ratio" and (x < 0).any():
        raise InputError(f"field '{name}' is ratio but has negative values; use interval")
    cats, code = np.unique(x, return_inverse=True)
    fd.code = code.astype(np.int64)
    fd.num = x
    fd.cat_values = cats
    fd.categories = [format_number(c) for c in cats]
    return fd
