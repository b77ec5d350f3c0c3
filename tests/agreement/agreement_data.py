"""Turning textbook layouts into the long label table agreement reads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "agreement"


def reference() -> dict:
    return json.loads((FIXTURES / "reference_values.json").read_text())


def fmt(v) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() else repr(v)


def long_from_matrix(data, field: str = "x", raters: list[str] | None = None) -> pl.DataFrame:
    """raters x units matrix (None/NaN = missing) -> long table."""
    rows = []
    for r, row in enumerate(data):
        name = raters[r] if raters else f"rater{r:02d}"
        for u, v in enumerate(row):
            if v is None or (isinstance(v, float) and np.isnan(v)):
                continue
            rows.append({"record_id": f"u{u:04d}", "reviewer": name, "field": field, "value": fmt(v)})
    return pl.DataFrame(rows, schema={"record_id": pl.Utf8, "reviewer": pl.Utf8, "field": pl.Utf8, "value": pl.Utf8})


def long_from_counts(counts, field: str = "x") -> pl.DataFrame:
    """subjects x categories rater counts (Fleiss layout) -> long table; raters are slots."""
    rows = []
    for s, row in enumerate(counts):
        slot = 0
        for c, n in enumerate(row):
            for _ in range(int(n)):
                rows.append({"record_id": f"s{s:03d}", "reviewer": f"slot{slot:02d}", "field": field, "value": f"c{c}"})
                slot += 1
    return pl.DataFrame(rows)


def value(report: dict, field: str, *path):
    node = report["fields"][field]
    for p in path:
        node = node[p]
    return node["value"] if isinstance(node, dict) and "value" in node else node
