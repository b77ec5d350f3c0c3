"""One decision per labeled record, and the export policy that picks which ones to use.

Status of a record (``labels/decisions.parquet``):

- ``agreed``: its two reviewers agree on every field that counts (the agreement rule);
- ``adjudicated``: they disagreed and a third person decided in the adjudication project;
- ``majority``: they disagreed, nobody adjudicated yet, and three or more distinct reviewers
  give a strict majority on each disputed field;
- ``disagreed``: they disagreed and nothing resolved it yet (it waits for adjudication);
- ``pending``: fewer than two reviewers so far.

``load_decisions(run_dir, policy)`` is what ``curate export`` calls: ``agreed_only`` takes
agreed records, ``adjudicated`` also adjudicated ones, ``majority`` also majority ones.
"""

from __future__ import annotations

import hashlib
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from curate.agreement import item_agreement
from curate.agreement.rule import AgreementRule, FieldRule
from curate.errors import InputError
from curate.labelstudio.counting import Annotation, Counted
from curate.labelstudio.state import labels_dir
from curate.labelstudio.templates import INFORMATIONAL

DECISIONS_FILE = "decisions.parquet"
STATUSES = ("agreed", "adjudicated", "majority", "disagreed", "pending")
POLICY_STATUSES: dict[str, tuple[str, ...]] = {
    "agreed_only": ("agreed",),
    "adjudicated": ("agreed", "adjudicated"),
    "majority": ("agreed", "adjudicated", "majority"),
}

#: The decisions table (``labels/decisions.parquet``): the one definition of its columns.
#: ``curate export`` reads it (and decisions files given with ``--decisions``) through
#: :func:`normalize_decisions`.
DECISION_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.Utf8,
    "task_id": pl.Int64,
    "status": pl.Utf8,
    "decision": pl.Utf8,  # accept | edit | reject
    "corrected_response": pl.Utf8,  # response_review: replaces the last reply on edit
    "category": pl.Utf8,
    "quality": pl.Float64,
    "difficulty": pl.Utf8,  # easy | medium | hard, when the form asks for it
    "label": pl.Utf8,  # classification
    "question": pl.Utf8,  # doc_qa
    "answer": pl.Utf8,  # doc_qa; reasoning_review: the final answer as reviewed
    "reasoning": pl.Utf8,  # reasoning_review: the reasoning as reviewed
    "reviewers": pl.List(pl.Utf8),
    "adjudicator": pl.Utf8,
    "disputed": pl.List(pl.Utf8),
    "reason": pl.Utf8,
}
#: Columns a decisions file must have; the others default to null.
REQUIRED_COLUMNS = ("record_id", "decision")
#: Columns the export does not read (how a decision was reached, not what it says).
_PROCESS_COLUMNS = ("task_id", "adjudicator", "disputed", "reason")
DECISIONS = ("accept", "edit", "reject")

_VALUE_FIELDS = ("corrected_response", "category", "difficulty", "label", "question", "answer", "reasoning")


def effective_rule(rule: AgreementRule, task: str) -> AgreementRule:
    """The configured rule, with the task's informational fields (a note; doc_qa's
    free-written question and answer) never sending an item to adjudication unless the
    config says otherwise for that field."""
    fields = dict(rule.fields)
    for name in INFORMATIONAL.get(task, ()):
        fields.setdefault(name, FieldRule(adjudicate=False))
    return rule.model_copy(update={"fields": fields})


#: Fields a third person must write when the reviewers agreed but left the answer unusable.
ASKED_FOR_REASON: dict[str, tuple[str, ...]] = {
    "edit_without_correction": ("corrected_response",),
    "accept_without_question_and_answer": ("question", "answer"),
    "without_reasoning_or_answer": ("reasoning", "answer"),
}


@dataclass
class Adjudication:
    """A third person's answer. ``prefill``: the agreed values the adjudication task
    started from (field -> value as the label reads), None for a task made without them."""

    annotation: Annotation
    task_id: int
    prefill: dict[str, str] | None = None


def agreed_fields(anns: list[Annotation], levels: dict[str, str], disputed: list[str], reason: str | None,
                  task: str) -> list[str]:
    """The fields both reviewers answered and agree on, that the adjudicator is not asked
    for: they start pre-filled and keep the reviewers' value unless the adjudicator changes it."""
    skip = set(disputed) | set(ASKED_FOR_REASON.get(reason or "", ())) | set(INFORMATIONAL.get(task, ()))
    return [f for f in levels if f not in skip and len(anns) >= 2 and all(a.values.get(f) for a in anns)]


def _num(v: str | None) -> float | None:
    try:
        return float(v) if v not in (None, "") else None
    except ValueError:
        return None


def merge_values(anns: list[Annotation], levels: dict[str, str]) -> dict[str, Any]:
    """The values of agreeing reviewers: the shared label for categories, the mean for
    numbers, the first reviewer's text (in annotation order) for free text."""
    out: dict[str, Any] = {}
    for f, level in levels.items():
        vals = [a.values[f] for a in anns if a.values.get(f)]
        if not vals:
            continue
        if level in ("ordinal", "interval", "ratio") or level.startswith("ordinal"):
            nums = [x for x in map(_num, vals) if x is not None]
            out[f] = sum(nums) / len(nums) if nums else vals[0]
        else:
            out[f] = Counter(vals).most_common(1)[0][0] if level == "nominal" else vals[0]
    return out


def _majority(values: list[str], level: str) -> str | float | None:
    """A strict majority among three or more votes (the median for numbers)."""
    if len(values) < 3:
        return None
    if level in ("ordinal", "interval", "ratio"):
        nums = [x for x in map(_num, values) if x is not None]
        return statistics.median(nums) if len(nums) >= 3 else None
    if level == "text":
        return None
    value, n = Counter(values).most_common(1)[0]
    return value if n * 2 > len(values) else None


def with_drafts(task: str, values: dict[str, Any], data: dict[str, Any] | None) -> dict[str, Any]:
    """reasoning_review: a box a reviewer left empty keeps the draft it started from."""
    if task != "reasoning_review" or values.get("verdict") not in ("accept", "edit"):
        return values
    from curate.labelstudio.tasks import DRAFT_KEY

    drafts = (data or {}).get(DRAFT_KEY) or {}
    out = dict(values)
    for f in ("reasoning", "answer"):
        if not out.get(f) and isinstance(drafts, dict) and drafts.get(f):
            out[f] = drafts[f]
    return out


def _incomplete(task: str, values: dict[str, Any]) -> str | None:
    """Why a decision cannot be used as it stands (it then needs a third person)."""
    if task == "response_review" and values.get("verdict") == "edit" and not values.get("corrected_response"):
        return "edit_without_correction"
    if task == "reasoning_review" and values.get("verdict") in ("accept", "edit") and not (
            values.get("reasoning") and values.get("answer")):
        return "without_reasoning_or_answer"
    if task == "doc_qa" and values.get("verdict") == "accept" and not (values.get("question") and values.get("answer")):
        return "accept_without_question_and_answer"
    return None


def _decision(task: str, values: dict[str, Any]) -> str | None:
    if task == "classification":
        return "accept" if values.get("label") else None
    return values.get("verdict")


def _row(rid: str, task_id: int | None, status: str, task: str, values: dict[str, Any] | None,
         reviewers: list[str], adjudicator: str | None = None, disputed: list[str] | None = None,
         reason: str | None = None) -> dict[str, Any]:
    values = values or {}
    decision = _decision(task, values) if status in POLICY_STATUSES["majority"] else None
    row: dict[str, Any] = {
        "record_id": rid, "task_id": task_id, "status": status, "decision": decision,
        "reviewers": reviewers, "adjudicator": adjudicator, "disputed": disputed or [], "reason": reason,
        "quality": None,
    }
    for f in _VALUE_FIELDS:
        row[f] = None
    if decision is not None:
        for f in _VALUE_FIELDS:
            v = values.get(f)
            row[f] = str(v) if v not in (None, "") else None
        q = values.get("quality")
        row["quality"] = float(q) if isinstance(q, (int, float)) else _num(q)
        if task == "response_review" and decision != "edit":
            row["corrected_response"] = None
    return row


def disputes(counted: Counted, levels: dict[str, str], rule: AgreementRule) -> dict[str, list[str]]:
    """Record id -> the fields its two reviewers disagree on that need a third person."""
    labels = counted.labels()
    if labels.height == 0:
        return {}
    items = item_agreement(labels, levels, rule)
    bad = items.filter(pl.col("adjudicate") & (pl.col("agree") == False))
    out: dict[str, list[str]] = {}
    for rid, f in bad.select("record_id", "field").iter_rows():
        out.setdefault(rid, []).append(f)
    return out


def build_decisions(
    counted: Counted,
    levels: dict[str, str],
    rule: AgreementRule,
    task: str,
    adjudications: dict[str, Adjudication] | None = None,
) -> pl.DataFrame:
    """One row per record of the review project (see the module docstring)."""
    adjudications = adjudications or {}
    rule = effective_rule(rule, task)
    disputed = disputes(counted, levels, rule)
    rows = []
    for rid, anns in counted.counted.items():
        tid = counted.task_of.get(rid)
        reviewers = [a.reviewer for a in anns]
        if len(anns) < 2:
            rows.append(_row(rid, tid, "pending", task, None, reviewers, reason=f"{len(anns)} of 2 reviews"))
            continue
        fields = sorted(disputed.get(rid, []))
        data = counted.data_of.get(rid)
        merged = with_drafts(task, merge_values(anns, levels), data)
        reason = None
        if not fields:
            reason = _incomplete(task, merged)
            if reason is None:
                rows.append(_row(rid, tid, "agreed", task, merged, reviewers))
                continue
        adj = adjudications.get(rid)
        # a disputed field the adjudicator left blank (only possible through the API: the
        # form requires it) leaves the record undecided; a blank correction is filled below
        missing = [f for f in fields if f != "corrected_response" and not adj.annotation.values.get(f)] if adj else []
        if adj is not None and not missing:
            values = dict(merged)
            keep = set(agreed_fields(anns, levels, fields, reason, task))
            for f, v in merge_values([adj.annotation], levels).items():
                if f in keep and (adj.prefill is None or adj.annotation.values.get(f) == adj.prefill.get(f)):
                    # the reviewers agreed and the adjudicator left it as shown (or, on a task
                    # made without pre-filled answers, was never asked for it)
                    continue
                values[f] = v
            if task == "response_review" and values.get("verdict") == "edit" and not adj.annotation.values.get("corrected_response"):
                # the adjudicator chose edit without writing one: use a reviewer's correction
                values["corrected_response"] = next(
                    (a.values["corrected_response"] for a in anns if a.values.get("corrected_response")), None
                )
            values = with_drafts(task, values, data)
            if _incomplete(task, values) is None:
                rows.append(_row(rid, tid, "adjudicated", task, values, reviewers, adj.annotation.reviewer, fields))
                continue
        voters = anns + counted.extra.get(rid, [])
        if fields and len(voters) >= 3:
            values = dict(merged)
            ok = True
            for f in fields:
                m = _majority([a.values[f] for a in voters if a.values.get(f)], levels[f])
                if m is None:
                    ok = False
                    break
                values[f] = m
            if ok and task == "response_review" and values.get("verdict") == "edit":
                values["corrected_response"] = next(
                    (a.values["corrected_response"] for a in voters
                     if a.values.get("verdict") == "edit" and a.values.get("corrected_response")), None,
                )
            if ok:
                values = with_drafts(task, values, data)
            if ok and _incomplete(task, values) is None:
                rows.append(_row(rid, tid, "majority", task, values, [a.reviewer for a in voters], None, fields))
                continue
        if missing and reason is None:
            reason = f"adjudication_left_blank:{','.join(missing)}"
        rows.append(_row(rid, tid, "disagreed", task, None, reviewers, None, fields, reason))
    if not rows:
        return pl.DataFrame(schema=DECISION_SCHEMA)
    return pl.DataFrame(rows, schema=DECISION_SCHEMA).sort("record_id")


def order_for_adjudication(rid: str, anns: list[Annotation]) -> list[Annotation]:
    """The two reviewers in an order that does not depend on who was first (shown as A
    and B), stable for a record."""
    return sorted(anns, key=lambda a: hashlib.sha256(f"{rid}\0{a.reviewer}".encode()).hexdigest())


def normalize_decisions(df: pl.DataFrame, where: str) -> pl.DataFrame:
    """Decisions as the export reads them: the columns of :data:`DECISION_SCHEMA` that say
    what was decided, typed, missing optional ones null, ``reviewers`` as one text (a
    list or a comma-separated string in a file), the decision lower-cased and checked."""
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"{where}: decisions need the columns {' and '.join(REQUIRED_COLUMNS)}")
    if "reviewers" in df.columns and df.schema["reviewers"] != pl.Utf8:
        df = df.with_columns(
            pl.col("reviewers").map_elements(
                lambda v: ", ".join(map(str, v)) if isinstance(v, (list, pl.Series)) else str(v),
                return_dtype=pl.Utf8,
            )
        )
    cols = []
    for name, dtype in DECISION_SCHEMA.items():
        if name in _PROCESS_COLUMNS:
            continue
        if name == "reviewers":
            dtype = pl.Utf8
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
    """A decisions table made elsewhere (Parquet, JSONL or CSV), normalised."""
    import json

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


def load_decisions(run_dir: Path, policy: str) -> pl.DataFrame | None:
    """The decisions of a run that ``policy`` accepts (None when the run has no labels).

    policy: ``agreed_only`` | ``adjudicated`` | ``majority``."""
    if policy not in POLICY_STATUSES:
        raise InputError(f"unknown label policy {policy!r}; expected one of {', '.join(POLICY_STATUSES)}")
    path = labels_dir(Path(run_dir)) / DECISIONS_FILE
    if not path.exists():
        return None
    try:
        df = pl.read_parquet(path)
    except Exception as exc:  # a damaged file: say which, no traceback
        raise InputError(f"{path}: cannot read ({type(exc).__name__}); pull the labels again") from None
    return df.filter(pl.col("status").is_in(list(POLICY_STATUSES[policy])) & pl.col("decision").is_not_null())
