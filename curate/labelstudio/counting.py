"""Which annotations count. Label Studio's Community edition accepts a third annotation
posted directly and lets an admin post one in another user's name, so the rules are
enforced here, on what was exported:

- per task, annotations are taken in the order they were created;
- skipped (cancelled) and empty annotations are not ratings;
- an annotation created or last changed by someone other than the reviewer it is
  attributed to (``updated_by`` ≠ ``completed_by``) is *impersonated*: not counted, warned;
- the first annotation of each of the first two distinct reviewers counts; a second
  annotation by the same reviewer and any annotation by a third reviewer are *extra*:
  not counted in ``labels.parquet`` (so agreement is always two independent reviewers),
  warned, and kept aside as extra votes for the ``majority`` policy.

Warnings name tasks, annotations and reviewers, never record text.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import polars as pl

LABEL_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.Utf8,
    "task_id": pl.Int64,
    "annotation_id": pl.Int64,
    "reviewer": pl.Utf8,
    "field": pl.Utf8,
    "value": pl.Utf8,
    "seconds": pl.Float64,
    "created_at": pl.Utf8,
}

MAX_WARNINGS = 200


@dataclass
class Annotation:
    """One annotation, reduced to what curate uses."""

    id: int
    task_id: int
    record_id: str
    reviewer: str
    values: dict[str, str]
    seconds: float | None
    created_at: str


@dataclass
class Counted:
    """The outcome of applying the counting rules to a project's tasks."""

    counted: dict[str, list[Annotation]] = field(default_factory=dict)  # record id -> ≤ 2, in order
    extra: dict[str, list[Annotation]] = field(default_factory=dict)  # record id -> further distinct reviewers
    task_of: dict[str, int] = field(default_factory=dict)  # record id -> task id
    data_of: dict[str, dict[str, Any]] = field(default_factory=dict)  # record id -> task data
    counts: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    def warn(self, kind: str, message: str) -> None:
        self.counts[kind] += 1
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)

    def labels(self) -> pl.DataFrame:
        rows = [
            {
                "record_id": a.record_id, "task_id": a.task_id, "annotation_id": a.id, "reviewer": a.reviewer,
                "field": f, "value": v, "seconds": a.seconds, "created_at": a.created_at,
            }
            for anns in self.counted.values() for a in anns for f, v in a.values.items()
        ]
        return pl.DataFrame(rows, schema=LABEL_SCHEMA) if rows else pl.DataFrame(schema=LABEL_SCHEMA)


def _format_number(x: Any) -> str:
    f = float(x)
    return str(int(f)) if f.is_integer() else repr(f)


def result_values(result: list[dict[str, Any]] | None) -> dict[str, str]:
    """``{field: value}`` from an annotation's result list (values as strings; a
    multi-choice answer joined with ``|``; empty answers left out)."""
    out: dict[str, list[str]] = {}
    for r in result or []:
        name = r.get("from_name")
        value = r.get("value") or {}
        kind = r.get("type")
        if not name:
            continue
        if kind == "choices":
            items = [str(c) for c in value.get("choices") or []]
            text = "|".join(sorted(items))
        elif kind == "rating":
            text = _format_number(value["rating"]) if value.get("rating") is not None else ""
        elif kind == "number":
            text = _format_number(value["number"]) if value.get("number") is not None else ""
        elif kind == "textarea":
            text = "\n".join(str(t) for t in value.get("text") or []).strip()
        else:
            text = json.dumps(value, sort_keys=True, ensure_ascii=False)
        if text:
            out.setdefault(name, []).append(text)
    return {k: "\n".join(v) for k, v in out.items()}


def _user_id(v: Any) -> int | None:
    if isinstance(v, dict):
        v = v.get("id")
    try:
        return int(v) if v is not None else None
    except (TypeError, ValueError):
        return None


def reviewer_name(user_id: int | None, users: dict[int, str]) -> str:
    if user_id is None:
        return "unknown"
    return users.get(user_id) or f"user:{user_id}"


def count_annotations(
    tasks: dict[str, dict[str, Any]], users: dict[int, str], *, reviewers: int = 2, fields: set[str] | None = None,
) -> Counted:
    """Apply the counting rules to exported tasks (``{task id: task}``)."""
    out = Counted()
    seen_records: dict[str, int] = {}
    for _, task in sorted(tasks.items(), key=lambda kv: int(kv[0])):
        tid = int(task["id"])
        rid = (task.get("data") or {}).get("record_id")
        if rid is None:
            out.warn("task_without_record_id", f"task {tid} has no record_id in its data (not imported by curate); ignored")
            continue
        rid = str(rid)
        if rid in seen_records:
            out.warn("duplicate_task", f"record {rid} has a second task ({tid}, first {seen_records[rid]}); the second is ignored")
            continue
        seen_records[rid] = tid
        out.task_of[rid] = tid
        out.data_of[rid] = task.get("data") or {}
        counted: list[Annotation] = []
        counted_by: set[str] = set()
        anns = sorted(task.get("annotations") or [], key=lambda a: (str(a.get("created_at") or ""), int(a.get("id") or 0)))
        for a in anns:
            aid = int(a.get("id") or 0)
            by = _user_id(a.get("completed_by"))
            who = reviewer_name(by, users)
            if a.get("was_cancelled"):
                out.counts["skipped"] += 1
                continue
            values = result_values(a.get("result"))
            if fields is not None:
                unknown = sorted(set(values) - fields)
                if unknown:
                    out.warn("unknown_field", f"annotation {aid} on task {tid} has field(s) {', '.join(unknown)} that the task type does not define; ignored")
                values = {k: v for k, v in values.items() if k in fields}
            if not values:
                out.warn("empty", f"annotation {aid} on task {tid} by {who} is empty; not counted")
                continue
            editor = _user_id(a.get("updated_by"))
            if by is None or (editor is not None and editor != by):
                out.warn(
                    "impersonated",
                    f"annotation {aid} on task {tid} is attributed to {who} but was created or changed by "
                    f"{reviewer_name(editor, users)}; not counted",
                )
                continue
            lead = a.get("lead_time")
            ann = Annotation(
                id=aid, task_id=tid, record_id=rid, reviewer=who, values=values,
                seconds=float(lead) if isinstance(lead, (int, float)) and lead >= 0 else None,
                created_at=str(a.get("created_at") or ""),
            )
            if who in counted_by:
                out.warn("same_reviewer_again", f"task {tid}: a further annotation ({aid}) by {who}; only their first counts")
                continue
            if len(counted) >= reviewers:
                out.warn("extra_reviewer", f"task {tid}: annotation {aid} by {who} is beyond the first {reviewers} reviewers; not counted")
                if who not in {e.reviewer for e in out.extra.get(rid, [])}:
                    out.extra.setdefault(rid, []).append(ann)
                continue
            counted.append(ann)
            counted_by.add(who)
        out.counted[rid] = counted
    return out
