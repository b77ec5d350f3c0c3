"""Reviewed labels at export time: the label section's settings and the classification
prompt. The decisions themselves (their columns, the policies, reading a decisions file)
belong to :mod:`curate.labelstudio.decisions`, which needs no Label Studio client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from curate.labelstudio.decisions import (
    DECISION_SCHEMA,
    load_decisions,
    normalize_decisions,
    read_decisions_file,
)


def load_run_decisions(run_dir: Path, policy: str) -> pl.DataFrame | None:
    """The run's accepted decisions under ``policy``, as the export reads them, or None
    when it has no labels."""
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
