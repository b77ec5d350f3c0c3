"""Records → Label Studio task data, per task type.

The text comes from the select table, which holds redacted records only. It is passed as
task data and shown with ``<Text>`` tags, so markup inside a ticket is displayed as typed.
"""

from __future__ import annotations

from typing import Any

from curate.records import meta_get

ROLE_NAMES = {"user": "Customer", "assistant": "Agent", "system": "System"}


#: shown where a reasoning_review item has no draft
NO_DRAFT = "(none: write it in the box below)"
#: task data key holding the drafts the reasoning and answer boxes start from
DRAFT_KEY = "curate_draft"


class NotReviewable(ValueError):
    """A record that the task type cannot show; the message is the reason."""


def _turns(messages: Any) -> list[dict[str, str]]:
    out = []
    for m in messages or []:
        role, content = m.get("role"), m.get("content")
        if role and content and content.strip():
            out.append({"role": role, "content": content.strip()})
    return out


def format_conversation(turns: list[dict[str, str]]) -> str:
    return "\n\n".join(f"{ROLE_NAMES.get(t['role'], t['role'])}: {t['content']}" for t in turns)


def task_data(row: dict[str, Any], task: str) -> dict[str, Any]:
    """The ``data`` of one Label Studio task for a select-table row."""
    base: dict[str, Any] = {
        "record_id": row["id"],
        "title": row.get("title") or "",
        "source": row.get("source") or "",
        "kind": row.get("kind") or "",
    }
    if row.get("cluster") is not None:
        base["cluster"] = int(row["cluster"])
    category = _meta_category(row.get("meta"))
    if category:
        base["source_category"] = category
    turns = _turns(row.get("messages"))
    if task == "reasoning_review":
        last = max((i for i, t in enumerate(turns) if t["role"] == "assistant"), default=None)
        context = turns[:last] if last is not None else turns
        if not any(t["role"] == "user" for t in context):
            raise NotReviewable("no_customer_turn")
        reasoning = (row.get("reasoning") or "").strip()
        answer = turns[last]["content"] if last is not None else ""
        base["conversation"] = format_conversation(context)
        # shown as they are; the boxes reviewers edit start from the same drafts (a prediction)
        base["draft_reasoning"] = reasoning or NO_DRAFT
        base["draft_answer"] = answer or NO_DRAFT
        base[DRAFT_KEY] = {k: v for k, v in (("reasoning", reasoning), ("answer", answer)) if v}
        return base
    if task == "response_review":
        last = max((i for i, t in enumerate(turns) if t["role"] == "assistant"), default=None)
        if last is None:
            raise NotReviewable("no_agent_reply")
        context = turns[:last]
        if not any(t["role"] == "user" for t in context):
            raise NotReviewable("no_customer_turn")
        base["conversation"] = format_conversation(context)
        base["response"] = turns[last]["content"]
    else:
        if len(turns) == 1:
            text = turns[0]["content"]  # a document chunk, a lone question
        elif turns:
            text = format_conversation(turns)
        else:
            text = (row.get("text") or "").strip()
        if not text:
            raise NotReviewable("empty_text")
        base["text"] = text
    return base


def _meta_category(meta: Any) -> str | None:
    value = meta_get(meta, "category")
    return str(value) if value not in (None, "") else None
