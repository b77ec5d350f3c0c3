"""What a version keeps of each example: its id, split, stratum and label state, and
content hashes (never the text unless ``export.versions.keep_text``), enough to tell what
changed between two versions: added, removed, relabeled, corrected, redacted or rendered
differently, moved between splits."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import polars as pl

EXAMPLE_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Utf8,
    "split": pl.Utf8,
    "stratum": pl.Utf8,
    "cluster": pl.Utf8,
    "decision": pl.Utf8,  # accept | edit (labels in use), null: not reviewed
    "label": pl.Utf8,  # the reviewers' values as JSON (category, label, quality, ...), null: none
    "record_hash": pl.Utf8,  # the record's content_hash (its redacted text)
    "response_hash": pl.Utf8,  # the final assistant turn as exported (a correction changes it)
    "example_hash": pl.Utf8,  # the exported line
}

#: decision fields that make up an example's label state
LABEL_FIELDS = ("category", "quality", "difficulty", "label", "question", "answer", "reasoning", "corrected_response")


def digest(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _response(messages: list[dict[str, Any]] | None) -> str | None:
    for m in reversed(messages or []):
        if m.get("role") == "assistant":
            return str(m.get("content"))
    return None


def example_table(items: list[Any], rows: list[dict[str, Any]], record_hash: dict[str, str],
                  decisions: pl.DataFrame | None) -> pl.DataFrame:
    """One row per exported example (``items`` and the ``rows`` written for them, in the
    same order)."""
    labels: dict[str, str] = {}
    if decisions is not None:
        cols = [c for c in LABEL_FIELDS if c in decisions.columns]
        for r in decisions.select("record_id", *cols).iter_rows(named=True):
            vals = {k: r[k] for k in cols if r[k] is not None}
            labels[r["record_id"]] = json.dumps(vals, sort_keys=True, ensure_ascii=False, default=str)
    out: dict[str, list[Any]] = {k: [] for k in EXAMPLE_SCHEMA}
    for it, row in zip(items, rows):
        rid = it.example.id
        out["id"].append(rid)
        out["split"].append(it.split)
        out["stratum"].append(it.stratum)
        out["cluster"].append(None if it.cluster is None else str(it.cluster))
        out["decision"].append(it.decision)
        out["label"].append(labels.get(rid))
        out["record_hash"].append(record_hash.get(rid))
        resp = _response(it.example.messages)
        out["response_hash"].append(None if resp is None else digest(resp))
        out["example_hash"].append(digest(row))
    return pl.DataFrame(out, schema=EXAMPLE_SCHEMA)
