"""Reviewed labels at export time.

The labeling package provides ``curate.labelstudio.decisions.load_decisions(run_dir,
policy)``: one row per record the agreement policy accepts (``agreed_only``,
``adjudicated``, ``majority``), with the columns below, or None when the run has no
labels. A decisions file in the same shape (Parquet, JSONL or CSV) can also be given to
``curate export --decisions FILE`` (labels collected in another tool).

===================  =======================================================================
column               meaning
===================  =======================================================================
record_id            the Record id
status               how the decision was reached (agreed, adjudicated, majority, ...)
decision             accept | edit | reject
corrected_response   the reviewers' reply; replaces the last assistant turn on ``edit``
category, quality    response-review fields (pass through as metadata on request)
label                classification: the answer of the example
question, answer     doc_qa: the example's question and answer
reviewers            who reviewed (a list or a comma-separated string)
===================  =======================================================================
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from curate.errors import InputError

DECISION_COLUMNS: dict[str, pl.DataType] = {
    "record_id": pl.Utf8,
    "status": pl.Utf8,
    "decision": pl.Utf8,
    "corrected_response": pl.Utf8,
    "category": pl.Utf8,
    "quality": pl.Float64,
    "label": pl.Utf8,
    "question": pl.Utf8,
    "answer": pl.Utf8,
    "reviewers": pl.Utf8,
}
DECISIONS = ("accept", "edit", "reject")
POLICIES = ("agreed_only", "adjudicated", "majority")
TASKS = ("response_review", "classification", "doc_qa")


def normalize_decisions(df: pl.DataFrame, where: str) -> pl.DataFrame:
    """The documented columns, typed; missing optional columns filled with nulls."""
    if "record_id" not in df.columns or "decision" not in df.columns:
        raise InputError(f"{where}: decisions need the columns record_id and decision")
    if "reviewers" in df.columns and df.schema["reviewers"] != pl.Utf8:
        df = df.with_columns(
            pl.col("reviewers").map_elements(
                lambda v: ", ".join(map(str, v)) if isinstance(v, (list, pl.Series)) else str(v),
                return_dtype=pl.Utf8,
            )
        )
    cols = []
    for name, dtype in DECISION_COLUMNS.items():
        if name in df.columns:
            cols.append(pl.col(name).cast(dtype, strict=False))
        else:
            cols.append(pl.lit(None, dtype=dtype).alias(name))
    df = df.select(cols).with_columns(pl.col("decision").str.to_lowercase().str.strip_chars())
    bad = df.filter(~pl.col("decision").is_in(list(DECISIONS)) | pl.col("decision").is_null())
    if bad.height:
        raise InputError(
            f"{where}: decision must be one of {', '.join(DECISIONS)} "
            f"({bad.height} rows are not, e.g. record {bad['record_id'][0]!r})"
        )
    dups = df["record_id"].is_duplicated()
    if dups.any():
        raise InputError(f"{where}: record {df.filter(dups)['record_id'][0]!r} has more than one decision")
    return df


def read_decisions_file(path: Path) -> pl.DataFrame:
    """A decisions table from Parquet, JSONL or CSV."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    try:
        if path.suffix == ".parquet":
            df = pl.read_parquet(path)
        elif path.suffix in (".jsonl", ".ndjson"):
            rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
            df = pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()
        elif path.suffix == ".csv":
            df = pl.read_csv(path, infer_schema_length=0)
        else:
            raise InputError(f"{path}: expected a .parquet, .jsonl or .csv decisions file")
    except (json.JSONDecodeError, pl.exceptions.ComputeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read decisions ({type(exc).__name__})") from None
    return normalize_decisions(df, str(path))


def load_run_decisions(run_dir: Path, policy: str) -> pl.DataFrame | None:
    """The run's accepted decisions under ``policy``, or None when it has no labels (or the
    labeling package is not installed)."""
    try:
        from curate.labelstudio.decisions import load_decisions  # type: ignore[import-not-found]
    except ImportError:
        return None
    df = load_decisions(run_dir, policy)
    if df is None:
        return None
    return normalize_decisions(df, f"{run_dir} (labels, policy {policy})")


def label_settings(config: dict[str, Any]) -> tuple[str, str, dict[str, str]]:
    """(task, export policy, label -> decision criteria) from the stored ``label:`` section,
    whatever shape the labels take there (a list of names, of {name, criteria} objects, or
    a mapping)."""
    label = config.get("label") or {}
    task = str(label.get("task") or "response_review")
    policy = str(label.get("export_policy") or "adjudicated")
    criteria: dict[str, str] = {}
    raw = label.get("labels", label.get("classes", label.get("categories")))
    if isinstance(raw, dict):
        for k, v in raw.items():
            criteria[str(k)] = _criteria_text(v)
    elif isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict):
                name = item.get("name") or item.get("value") or item.get("label")
                if name:
                    criteria[str(name)] = _criteria_text(item)
            elif item is not None:
                criteria[str(item)] = ""
    return task, policy, criteria


def _criteria_text(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, dict):
        for key in ("criteria", "description", "definition", "hint", "help"):
            if v.get(key):
                return str(v[key])
    return ""


def labels_prompt(criteria: dict[str, str]) -> str:
    lines = ["Labels:"]
    for name, text in criteria.items():
        lines.append(f"- {name}: {text}" if text else f"- {name}")
    return "\n".join(lines)
