"""Records (and their reviewed labels) to training examples.

Without labels every live record becomes a chat example as it is, if it is a usable
conversation by the rule the filter stage applies (:func:`curate.conversations.usable_turns`:
the same ``turns:`` normalisation, then an agent reply with a customer turn before it). A
documentation chunk has no reply: it becomes a chat example only through reviewers'
questions (``doc_qa``), else it is left out as ``doc_needs_qa``; the ``text`` format writes
documents and conversations as they are. With labels:

- only records the agreement policy accepted are exported (others: ``no_accepted_label``);
- ``reject`` leaves the record out (``rejected_by_reviewers``);
- ``edit`` replaces the last assistant turn with the reviewers' corrected response;
- a ``classification`` task becomes [criteria + text] -> label;
- a ``doc_qa`` task becomes question -> answer (optionally with the chunk as context);
- a ``reasoning_review`` task takes the reviewers' reasoning and final answer.

Reasoning (chain of thought) belongs to the final assistant turn: the reviewed one in a
``reasoning_review`` task with labels, else the record's own (``Record.reasoning``). It
is rendered as ``export.reasoning`` says (:func:`apply_reasoning`). A record of a
reasoning task without reasoning is left out (``no_reasoning``), never exported without
it; a reply that reviewers replaced (``edit``) loses the source's reasoning, which was
written for the old reply.

Every record left out gets a reason; nothing is dropped silently."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from curate.conversations import TurnsConfig, conversation_problem, is_conversation, normalize_turns
from curate.export.config import ExportConfig
from curate.export.fields import field_value
from curate.export.formats import Example, NotExportable, chat_from_turns, transcript
from curate.export.labels import labels_prompt
from curate.records import meta_of, pii_counts


@dataclass
class Item:
    """An example with what the split, decontamination and card need to know about it."""

    example: Example
    keys: list[str]  # grouping keys: records sharing one stay on one side of a split
    stratum: str | None
    texts: list[str]  # the record's own words (no system prompt or instructions)
    pii: dict[str, int] = field(default_factory=dict)
    cluster: Any = None
    decision: str | None = None
    tokens: int = 0
    split: str = "train"
    #: the value of each ``split.stratify_by`` field (for the benchmark's ``strata``)
    strata: dict[str, Any] = field(default_factory=dict)
    #: the input before the final answer, and the final answer without reasoning (the
    #: benchmark's ``messages`` and ``reference``); None for the text format
    prompt: list[dict[str, str]] | None = None
    reference: str | None = None
    #: the example's task for the volume guidance (``volume.per``), None: the export's one task
    task: str | None = None
    reasoning_tokens: int = 0
    has_reasoning: bool = False


#: a documentation chunk without reviewers' question and answer, in a chat format
DOC_NEEDS_QA = "doc_needs_qa"
#: a record of a reasoning task without (reviewed) reasoning
NO_REASONING = "no_reasoning"
REASONING_TASK = "reasoning_review"
THINK = "<think>\n{reasoning}\n</think>\n\n{answer}"
_PLACEHOLDER = re.compile(r"\{(reasoning|answer)\}")


def render_reasoning(template: str, reasoning: str, answer: str) -> str:
    """The template with {reasoning} and {answer} filled in, in one pass (a reasoning that
    itself says "{answer}" stays as written)."""
    values = {"reasoning": reasoning, "answer": answer}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def apply_reasoning(messages: list[dict[str, Any]], reasoning: str | None, cfg: ExportConfig) -> str | None:
    """Put ``reasoning`` into the final assistant turn of ``messages`` (in place) as
    ``export.reasoning`` says; returns the reasoning when it goes in its own field."""
    if not reasoning or cfg.reasoning == "omit":
        return None
    last = max((i for i, m in enumerate(messages) if m["role"] == "assistant"), default=None)
    if last is None:
        return None
    if cfg.reasoning == "field":
        return reasoning
    template = THINK if cfg.reasoning == "think" else cfg.reasoning_template
    messages[last] = {**messages[last], "content": render_reasoning(template, reasoning, messages[last]["content"])}
    return None


@dataclass
class Drop:
    id: str
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)


def _pii(value: Any) -> dict[str, int]:
    return {k: v for k, v in pii_counts(value).items() if v}


def _render_record(row: dict[str, Any]) -> str:
    """The record's conversation as the input of a classification prompt."""
    turns = [m for m in (row.get("messages") or []) if m.get("content")]
    who = {"user": "Customer", "assistant": "Agent", "system": "System"}
    if len(turns) == 1:
        body = turns[0]["content"]
    else:
        body = "\n\n".join(f"{who.get(m['role'], m['role'])}: {m['content']}" for m in turns)
    title = row.get("title")
    return f"{title}\n\n{body}" if title else body


def make_items(
    df: pl.DataFrame,
    cfg: ExportConfig,
    *,
    decisions: pl.DataFrame | None,
    task: str,
    criteria: dict[str, str],
    turns: TurnsConfig | None = None,
) -> tuple[list[Item], list[Drop]]:
    """One Item per exportable record, one Drop (with its reason) per other record.
    ``turns`` is the run's ``turns:`` policy (default: the defaults)."""
    policy = turns or TurnsConfig()
    by_id: dict[str, dict[str, Any]] = {}
    if decisions is not None:
        by_id = {r["record_id"]: r for r in decisions.iter_rows(named=True)}
    labels = cfg.prompts.labels or criteria
    items: list[Item] = []
    drops: list[Drop] = []
    for row in df.iter_rows(named=True):
        rid = row["id"]
        label = by_id.get(rid) if decisions is not None else None
        if decisions is not None:
            if label is None:
                drops.append(Drop(rid, "no_accepted_label"))
                continue
            if label["decision"] == "reject":
                drops.append(Drop(rid, "rejected_by_reviewers"))
                continue
        try:
            item = _item(row, label, cfg, task, labels, policy, decisions is not None)
        except NotExportable as exc:
            drops.append(Drop(rid, str(exc)))
            continue
        items.append(item)
    return items, drops


def _reasoning_of(row: dict[str, Any], label: dict[str, Any] | None, task: str,
                  with_labels: bool) -> str | None:
    """The reasoning of the record's final reply: in a reasoning task with labels, the
    reviewers' only; else the record's own."""
    if task == REASONING_TASK and with_labels:
        text = (label or {}).get("reasoning")
    else:
        text = row.get("reasoning")
    return text.strip() if isinstance(text, str) and text.strip() else None


def field_of(name: str, row: dict[str, Any], meta: dict[str, Any], label: dict[str, Any] | None,
             cfg: ExportConfig) -> Any:
    """A field's value; ``difficulty`` is the reviewers' when they gave one, else
    ``export.difficulty_field``'s."""
    v = field_value(name, row, meta, label)
    if name == "difficulty" and v in (None, "") and cfg.difficulty_field and cfg.difficulty_field != "difficulty":
        v = field_value(cfg.difficulty_field, row, meta, label)
    return v


def _stratum_text(v: Any) -> str | None:
    return None if v is None else (json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else str(v))


def _item(
    row: dict[str, Any], label: dict[str, Any] | None, cfg: ExportConfig, task: str, labels: dict[str, str],
    policy: TurnsConfig, with_labels: bool = False,
) -> Item:
    meta = meta_of(row.get("meta"))
    kind = row.get("kind") or "record"
    # the turns as ingest normalises them (a no-op on a run built with normalisation)
    norm = normalize_turns(row.get("messages"), policy, kind)
    if norm.drop is not None:
        raise NotExportable(norm.drop)
    turns = norm.messages
    instruction = inp = text = None
    reasoning = _reasoning_of(row, label, task, with_labels)
    if task == REASONING_TASK:
        if label is not None and (label.get("answer") or "").strip():
            turns = _edited(turns, {"corrected_response": label["answer"]})
        if reasoning is None:
            raise NotExportable(NO_REASONING)
    elif label is not None and label.get("decision") == "edit" and task == "response_review":
        reasoning = None  # the source's reasoning led to the reply the reviewers replaced
    if task in ("classification", "doc_qa") and label is not None:
        reasoning = None  # the record's reasoning is for its reply, not for the label or question
    if cfg.format == "text":
        if label is not None and label.get("decision") == "edit" and task == "response_review":
            turns = _edited(turns, label)
        turns = [dict(t) for t in turns]
        apply_reasoning(turns, reasoning if is_conversation(kind) else None, cfg)
        text = transcript(turns, row.get("title"), document=not is_conversation(kind))
        chat = [{"role": "user", "content": text}]
        texts = [m["content"] for m in turns]
    elif label is not None and task == "classification":
        answer = (label.get("label") or "").strip()
        if not answer:
            raise NotExportable("no_label")
        if labels and answer not in labels:
            raise NotExportable("label_not_in_config")
        instruction = cfg.prompts.classification.format(labels=labels_prompt(labels), kind=kind)
        inp = _render_record(row)
        chat = [{"role": "user", "content": f"{instruction}\n\n{inp}"}, {"role": "assistant", "content": answer}]
        texts = [m["content"] for m in turns]
    elif label is not None and task == "doc_qa":
        q, a = (label.get("question") or "").strip(), (label.get("answer") or "").strip()
        if not q or not a:
            raise NotExportable("no_question_answer")
        context = _render_record(row)
        if cfg.prompts.doc_qa_context:
            prompt = cfg.prompts.doc_qa.format(question=q, context=context)
        else:
            prompt = q
        chat = [{"role": "user", "content": prompt}, {"role": "assistant", "content": a}]
        texts = [q, a] + ([context] if cfg.prompts.doc_qa_context else [])
    else:
        if label is not None and label["decision"] == "edit" and task != REASONING_TASK:
            turns = _edited(turns, label)
        if not is_conversation(kind) and not any(t["role"] == "assistant" for t in turns):
            raise NotExportable(DOC_NEEDS_QA)
        problem = conversation_problem(turns)
        if problem is not None:
            raise NotExportable(problem)
        chat = turns
        texts = [m["content"] for m in chat_from_turns(turns, None) if m["role"] != "system"]
    prompt = reference = None
    field_reasoning = None
    if text is not None:
        messages = chat
    else:
        messages = chat_from_turns(chat, cfg.system_prompt, cfg.last_turn_only)
        prompt = [{"role": m["role"], "content": m["content"]} for m in messages[:-1]]
        reference = messages[-1]["content"]
        field_reasoning = apply_reasoning(messages, reasoning, cfg)
    if reasoning:
        texts = texts + [reasoning]
    metadata = {}
    for name in cfg.metadata:
        metadata[name] = field_of(name, row, meta, label, cfg)
    keys = []
    if row.get("dup_group") is not None:
        keys.append(f"dup:{row['dup_group']}")
    else:
        # without dedupe, identical texts still stay together
        keys.append(f"hash:{row.get('content_hash') or row['id']}")
    if cfg.split.clusters_together and row.get("cluster") is not None:
        keys.append(f"cluster:{row['cluster']}")
    strata: dict[str, Any] = {}
    stratum = None
    names = cfg.split.strata_fields()
    if names:
        strata = {n: field_of(n, row, meta, label, cfg) for n in names}
        parts = [_stratum_text(strata[n]) for n in names]
        # one field: its value as it is (None: missing); several: the values joined
        stratum = parts[0] if len(parts) == 1 else json.dumps(parts)
    task_of = _stratum_text(field_of(cfg.volume.per, row, meta, label, cfg)) if cfg.volume.per else None
    ex = Example(id=row["id"], messages=messages, metadata=metadata, instruction=instruction, input=inp, text=text,
                 reasoning=field_reasoning)
    return Item(
        example=ex, keys=keys, stratum=stratum, texts=texts, pii=_pii(row.get("pii")),
        cluster=row.get("cluster"), decision=(label or {}).get("decision"),
        strata=strata, prompt=prompt, reference=reference, task=task_of, has_reasoning=reasoning is not None,
    )


def _edited(turns: list[dict[str, str]], label: dict[str, Any]) -> list[dict[str, str]]:
    """The turns with the reviewers' corrected response as the last agent reply."""
    fix = (label.get("corrected_response") or "").strip()
    if not fix:
        raise NotExportable("edit_without_correction")
    last = max((i for i, t in enumerate(turns) if t["role"] == "assistant"), default=None)
    if last is None:
        # a reviewer wrote the reply a conversation was missing
        return turns + [{"role": "assistant", "content": fix}]
    return turns[:last] + [{"role": "assistant", "content": fix}]
