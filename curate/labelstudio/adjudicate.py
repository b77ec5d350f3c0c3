"""Adjudication: records whose two reviewers disagree go to a second Label Studio project,
one annotation per task, for a third person. The task shows the item as the reviewers saw
it plus what each of them answered (as reviewer A and B). The next pull reads the
adjudicator's annotation and the record's status becomes ``adjudicated``.

The adjudicator starts from the fields the reviewers agree on, pre-filled (a Label Studio
prediction, model version ``PREFILL_VERSION``), and is asked for the disputed ones; an
agreed value stays the reviewers' unless the adjudicator changes it (decisions.py).

An adjudication by one of the record's own reviewers, or one posted in someone else's
name, does not count (it is warned about and the record stays disagreed). Label Studio
then counts the task as done (one annotation per task), so nobody else would be offered
it: ``reopen_dead_ends`` makes room for one more answer on such tasks, keeping the answer
that does not count in Label Studio. Label Studio's Community edition cannot keep a user
away from a task (task assignment is an Enterprise feature), so the guidelines ask
adjudicators to skip items they reviewed, and pulls re-open what slips through.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from curate.labelstudio.config import LabelConfig
from curate.labelstudio.counting import Counted, count_annotations, result_values
from curate.labelstudio.decisions import (
    Adjudication,
    agreed_fields,
    merge_values,
    order_for_adjudication,
)
from curate.labelstudio.push import (
    ensure_project,
    existing_record_ids,
    project_marker,
    project_settings,
    project_title,
)
from curate.labelstudio.state import ProjectState
from curate.labelstudio.templates import build_template

if TYPE_CHECKING:
    from curate.labelstudio.client import LabelStudioClient

#: The model version of the predictions that pre-fill the agreed fields.
PREFILL_VERSION = "curate: agreed by both reviewers"
#: Task data key holding the pre-filled values (field -> value as a label reads).
PREFILL_KEY = "curate_prefill"

FIELD_NAMES = {
    "verdict": "verdict",
    "category": "category",
    "quality": "quality (1-5)",
    "corrected_response": "corrected reply",
    "label": "label",
    "question": "question",
    "answer": "answer",
    "reasoning": "reasoning",
    "difficulty": "difficulty",
    "note": "note",
}
_MULTILINE = ("corrected_response", "question", "answer", "reasoning", "note")


def reviews_text(rid: str, counted: Counted, disputed: list[str], reason: str | None,
                 prefilled: list[str] | None = None) -> str:
    """What the two reviewers answered, as plain text for the adjudicator. Values start at
    the beginning of their line, never indented: a correction copied from here is the
    reviewer's text as written."""
    anns = order_for_adjudication(rid, counted.counted.get(rid, []))
    parts = []
    if disputed:
        parts.append("They disagree on: " + ", ".join(FIELD_NAMES.get(f, f) for f in disputed) + ".")
    if reason == "edit_without_correction":
        parts.append("They chose edit, but neither wrote a corrected reply: write it.")
    elif reason == "accept_without_question_and_answer":
        parts.append("They accepted the passage, but no complete question and answer was written: write them.")
    elif reason == "without_reasoning_or_answer":
        parts.append("They kept the item, but the reasoning or the final answer is missing: write it.")
    if prefilled:
        parts.append("Already filled in, as both reviewers answered (change only if you disagree): "
                     + ", ".join(FIELD_NAMES.get(f, f) for f in prefilled) + ".")
    for letter, a in zip("AB", anns):
        lines = [f"── Reviewer {letter} ──"]
        for f in FIELD_NAMES:
            v = a.values.get(f)
            if not v:
                continue
            if f in _MULTILINE:
                lines.append(f"{FIELD_NAMES[f]}:\n{v}")
            else:
                lines.append(f"{FIELD_NAMES[f]}: {v}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _controls(label_config: str) -> dict[str, tuple[str, str]]:
    """Control name -> (tag, toName) of a label config."""
    root = ET.fromstring(label_config)
    return {el.get("name"): (el.tag, el.get("toName")) for el in root.iter() if el.get("toName") and el.get("name")}


def prefill_result(values: dict[str, Any], controls: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """Label Studio result items that show ``values`` in the form (a prediction)."""
    out = []
    for name, v in values.items():
        tag, to = controls.get(name, (None, None))
        if tag == "Choices":
            value: dict[str, Any] = {"choices": str(v).split("|")}
        elif tag == "Rating":
            value = {"rating": int(float(v) + 0.5)}  # 4 and 5 agree: the form shows 5, the decision keeps 4.5
        elif tag == "Number":
            value = {"number": float(v)}
        elif tag == "TextArea":
            value = {"text": [str(v)]}
        else:
            continue
        out.append({"from_name": name, "to_name": to, "type": tag.lower(), "value": value})
    return out


@dataclass
class QueueResult:
    project_id: int | None
    queued: int = 0
    already: int = 0
    created: bool = False
    prefilled: int = 0


def queue(
    run_root: Path,
    run_name: str,
    cfg: LabelConfig,
    client: LabelStudioClient,
    state: ProjectState,
    counted: Counted,
    decisions: pl.DataFrame,
    *,
    levels: dict[str, str],
    base_dir: Path | None = None,
) -> QueueResult:
    """Send every record whose reviewers disagree (``disagreed``, and ``majority``: a vote
    is a fallback, a third person's decision is better) and that has no adjudication task
    yet to the adjudication project (created on first use). Idempotent by record id."""
    todo = decisions.filter(pl.col("status").is_in(["disagreed", "majority"]))
    if todo.height == 0 and state.adjudication_project_id is None:
        return QueueResult(project_id=None)
    template = build_template(cfg, base_dir, adjudication=True)
    controls = _controls(template.label_config)
    title = project_title(cfg, run_name, adjudication=True)
    settings = project_settings(template, title, project_marker(run_name, adjudication=True), adjudication=True)
    pid, created, _ = ensure_project(client, state.adjudication_project_id, settings,
                                     on_create={"model_version": PREFILL_VERSION})
    state.adjudication_project_id, state.adjudication_title = pid, title
    state.save(run_root)
    have = existing_record_ids(client, pid)
    result = QueueResult(project_id=pid, created=created)
    tasks: list[dict[str, Any]] = []
    for rid, disputed, reason in todo.select("record_id", "disputed", "reason").iter_rows():
        if rid in have:
            result.already += 1
            continue
        anns = counted.counted.get(rid, [])
        disputed = list(disputed or [])
        merged = merge_values(anns, levels)
        agreed = {f: merged[f] for f in agreed_fields(anns, levels, disputed, reason, cfg.task) if f in merged}
        prefill = prefill_result(agreed, controls)
        data = dict(counted.data_of.get(rid) or {})
        data["record_id"] = rid
        data["review_task_id"] = counted.task_of.get(rid)
        data["reviews"] = reviews_text(rid, counted, disputed, reason, [r["from_name"] for r in prefill])
        data[PREFILL_KEY] = result_values(prefill)
        task: dict[str, Any] = {"data": data}
        if prefill:
            task["predictions"] = [{"model_version": PREFILL_VERSION, "result": prefill}]
            result.prefilled += 1
        tasks.append(task)
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
            prefill = (tasks.get(str(a.task_id), {}).get("data") or {}).get(PREFILL_KEY)
            out[rid] = Adjudication(annotation=a, task_id=a.task_id,
                                    prefill=prefill if isinstance(prefill, dict) else None)
            break
    return out, adj


@dataclass
class Reopened:
    task_id: int
    record_id: str
    answered_by: list[str] = field(default_factory=list)


def reopen_dead_ends(
    client: LabelStudioClient, project_id: int, wanted: set[str], users: dict[int, str], review: Counted,
    fields: set[str],
) -> list[Reopened]:
    """Adjudication tasks that Label Studio counts as done but that hold no answer curate
    can use (by one of the record's own reviewers, posted in someone else's name, empty)
    get room for one more person: the task's overlap becomes one more than the people who
    answered it, so it is back in the queue for anyone else; the answers stay in Label
    Studio. ``wanted``: the records that still need a decision.

    Looks at the tasks as they are now on the server, so a valid answer given since the
    last pull is never re-opened."""
    closed = {str(t["id"]): t for t in client.tasks(project_id)
              if t.get("is_labeled") and str((t.get("data") or {}).get("record_id")) in wanted}
    if not closed:
        return []
    fresh = {str(t["id"]): t for t in client.export(project_id, ids=[int(i) for i in closed])}
    valid, _ = read_adjudications(fresh, users, review, fields)
    out: list[Reopened] = []
    for tid, t in sorted(fresh.items(), key=lambda kv: int(kv[0])):
        rid = str((t.get("data") or {}).get("record_id"))
        if rid in valid or tid not in closed:
            continue
        # what Label Studio counts: distinct people with an answer that was not skipped
        done_by = {a.get("completed_by") for a in t.get("annotations") or [] if not a.get("was_cancelled")}
        overlap = max(len(done_by) + 1, int(closed[tid].get("overlap") or 1))
        client.update_task(int(tid), overlap=overlap, is_labeled=False)
        names = sorted(users.get(int(u), f"user:{u}") if isinstance(u, int) else str(u) for u in done_by if u is not None)
        out.append(Reopened(task_id=int(tid), record_id=rid, answered_by=names))
    return out
