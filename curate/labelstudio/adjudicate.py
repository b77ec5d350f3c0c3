"""Adjudication: records whose two reviewers disagree go to a second Label Studio project,
one annotation per task, for a third person. The task shows the item as the reviewers saw
it plus what each of them answered (as reviewer A and B). The next pull reads the
adjudicator's annotation and the record's status becomes ``adjudicated``.

An adjudication by one of the record's own reviewers, or one posted in someone else's
name, does not count (it is warned about and the record stays disagreed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from curate.labelstudio.client import LabelStudioClient
from curate.labelstudio.config import LabelConfig
from curate.labelstudio.counting import Counted, count_annotations
from curate.labelstudio.decisions import Adjudication, order_for_adjudication
from curate.labelstudio.push import (
    ensure_project,
    existing_record_ids,
    project_marker,
    project_settings,
    project_title,
)
from curate.labelstudio.state import ProjectState
from curate.labelstudio.templates import build_template

FIELD_NAMES = {
    "verdict": "verdict",
    "category": "category",
    "quality": "quality (1-5)",
    "corrected_response": "corrected reply",
    "label": "label",
    "question": "question",
    "answer": "answer",
    "note": "note",
}
_MULTILINE = ("corrected_response", "question", "answer", "note")


def reviews_text(rid: str, counted: Counted, disputed: list[str], reason: str | None) -> str:
    """What the two reviewers answered, as plain text for the adjudicator."""
    anns = order_for_adjudication(rid, counted.counted.get(rid, []))
    parts = []
    if disputed:
        parts.append("They disagree on: " + ", ".join(FIELD_NAMES.get(f, f) for f in disputed) + ".")
    if reason == "edit_without_correction":
        parts.append("They chose edit, but neither wrote a corrected reply.")
    elif reason == "accept_without_question_and_answer":
        parts.append("They accepted the passage, but no complete question and answer was written.")
    for letter, a in zip("AB", anns):
        lines = [f"Reviewer {letter}"]
        for f in FIELD_NAMES:
            v = a.values.get(f)
            if not v:
                continue
            if f in _MULTILINE:
                lines.append(f"  {FIELD_NAMES[f]}:\n" + "\n".join("    " + line for line in v.splitlines()))
            else:
                lines.append(f"  {FIELD_NAMES[f]}: {v}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


@dataclass
class QueueResult:
    project_id: int | None
    queued: int = 0
    already: int = 0
    created: bool = False


def queue(
    run_root: Path,
    run_name: str,
    cfg: LabelConfig,
    client: LabelStudioClient,
    state: ProjectState,
    counted: Counted,
    decisions: pl.DataFrame,
    *,
    base_dir: Path | None = None,
) -> QueueResult:
    """Send every record whose reviewers disagree (``disagreed``, and ``majority``: a vote
    is a fallback, a third person's decision is better) and that has no adjudication task
    yet to the adjudication project (created on first use). Idempotent by record id."""
    todo = decisions.filter(pl.col("status").is_in(["disagreed", "majority"]))
    if todo.height == 0 and state.adjudication_project_id is None:
        return QueueResult(project_id=None)
    template = build_template(cfg, base_dir, adjudication=True)
    title = project_title(cfg, run_name, adjudication=True)
    settings = project_settings(template, title, project_marker(run_name, adjudication=True), adjudication=True)
    pid, created, _ = ensure_project(client, state.adjudication_project_id, settings)
    state.adjudication_project_id, state.adjudication_title = pid, title
    state.save(run_root)
    have = existing_record_ids(client, pid)
    result = QueueResult(project_id=pid, created=created)
    tasks: list[dict[str, Any]] = []
    for rid, disputed, reason in todo.select("record_id", "disputed", "reason").iter_rows():
        if rid in have:
            result.already += 1
            continue
        data = dict(counted.data_of.get(rid) or {})
        data["record_id"] = rid
        data["review_task_id"] = counted.task_of.get(rid)
        data["reviews"] = reviews_text(rid, counted, list(disputed or []), reason)
        tasks.append({"data": data})
    for start in range(0, len(tasks), cfg.chunk_size):
        client.import_tasks(pid, tasks[start : start + cfg.chunk_size])
        result.queued += len(tasks[start : start + cfg.chunk_size])
    return result


def read_adjudications(
    tasks: dict[str, dict[str, Any]], users: dict[int, str], review: Counted, fields: set[str],
) -> tuple[dict[str, Adjudication], Counted]:
    """The valid adjudication of each record: the first annotation, in the adjudication
    project, by someone who is neither of the record's two reviewers."""
    adj = count_annotations(tasks, users, reviewers=10**6, fields=fields)
    out: dict[str, Adjudication] = {}
    for rid, anns in adj.counted.items():
        reviewers = {a.reviewer for a in review.counted.get(rid, [])}
        for a in anns:
            if a.reviewer in reviewers:
                adj.warn(
                    "self_adjudication",
                    f"adjudication task {a.task_id}: annotation {a.id} is by {a.reviewer}, one of the record's two "
                    "reviewers; it does not count",
                )
                continue
            out[rid] = Adjudication(annotation=a, task_id=a.task_id)
            break
    return out, adj
