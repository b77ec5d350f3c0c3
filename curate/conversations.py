"""One notion of a usable conversation, decided in one place.

Real conversations rarely alternate neatly: a customer writes three tweets before the agent
answers, a thread starts with the agent's reply to a message that is not in the data, a
dialogue log interleaves the agent's actions (``action`` / ``system`` turns) with what was
said. Strict chat templates (Llama-2, Mistral) refuse all of these, and a trainer learns
nothing from a conversation without a customer turn before the agent's reply.

- :func:`normalize_turns` applies the ``turns:`` policy (:class:`TurnsConfig`) to one
  record's turns: mid-conversation system turns, leading agent turns, same-role runs. The
  ingest stage runs it on every conversation (its ``turn_fixes`` column names what it
  changed; a record the policy leaves out is skipped with the reason), so every later
  table holds normalised turns.
- :func:`usable_turns` is the rule the filter stage and the export both apply: the same
  normalisation (a no-op on records ingest already normalised), then
  :func:`conversation_problem`. The filter therefore drops exactly what the export would,
  and a selected record is an exportable one.
- :func:`alternation_problem` is the strict check (``curate validate --strict``).

Documents (kind ``doc``: one user turn holding a chunk) are not conversations: nothing
here changes or drops them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from curate.records import content_hash, flatten

#: record kinds whose turns are a dialogue between a customer and an agent
CONVERSATION_KINDS = ("ticket", "email", "chat")

#: fix reasons (``turn_fixes``): the record stays, its turns changed
MERGED_TURNS = "merged_turns"
DROPPED_SYSTEM_TURN = "dropped_system_turn"
DROPPED_LEADING_ASSISTANT = "dropped_leading_assistant"
#: drop reasons: the record cannot be a training conversation
SYSTEM_TURN_INSIDE = "system_turn_inside"
STARTS_WITH_ASSISTANT = "starts_with_assistant"
NO_USER_TURN = "no_user_turn"
NO_AGENT_REPLY = "no_agent_reply"

#: the ingest table's column listing a record's fix reasons (null: its turns are as read)
FIXES_COLUMN = "turn_fixes"

FIX_REASONS = (MERGED_TURNS, DROPPED_SYSTEM_TURN, DROPPED_LEADING_ASSISTANT)
DROP_REASONS = (SYSTEM_TURN_INSIDE, STARTS_WITH_ASSISTANT, NO_USER_TURN, NO_AGENT_REPLY)


class TurnsConfig(BaseModel):
    """How a conversation's turns are normalised at ingest (and checked again by the filter
    stage and the export, with the same rule)."""

    model_config = ConfigDict(extra="forbid")

    merge_same_role: bool = Field(
        default=True,
        description=(
            "Join consecutive turns of the same role into one (paragraphs separated by a blank line): "
            "fix reason merged_turns. Off: such records keep their runs, and strict chat templates refuse them."
        ),
    )
    leading_assistant: Literal["drop", "drop_record", "keep"] = Field(
        default="drop",
        description=(
            "Agent turns before the customer's first turn (a thread that starts with the agent's reply to a "
            "message that is not in the data): drop = remove those turns (fix reason dropped_leading_assistant); "
            "drop_record = leave the record out (reason starts_with_assistant); keep = leave them (strict chat "
            "templates refuse such conversations)."
        ),
    )
    inner_system: Literal["drop", "drop_record", "keep"] = Field(
        default="drop",
        description=(
            "System turns after the conversation started (agent actions, notices, a dialogue log's `action` "
            "turns mapped to system): drop = remove them (fix reason dropped_system_turn); drop_record = leave "
            "the record out (reason system_turn_inside); keep = leave them in place (strict chat templates "
            "refuse them). System turns before the first customer or agent turn are the system prompt: kept."
        ),
    )


@dataclass
class Normalised:
    """The outcome of :func:`normalize_turns`."""

    messages: list[dict[str, str]]
    fixes: list[str] = field(default_factory=list)  # fix reasons, in the order applied
    drop: str | None = None  # the record cannot be a conversation: why

    @property
    def changed(self) -> bool:
        return bool(self.fixes)


def is_conversation(kind: str | None) -> bool:
    return kind in CONVERSATION_KINDS


def _turns(messages: Iterable[Mapping[str, Any]] | None) -> list[dict[str, str]]:
    return [{"role": str(m["role"]), "content": str(m["content"])} for m in messages or []
            if m.get("content") and str(m["content"]).strip()]


def normalize_turns(messages: Iterable[Mapping[str, Any]] | None, policy: TurnsConfig, kind: str | None = "chat") -> Normalised:
    """The turns of one record after the ``turns:`` policy. A document is returned as it
    is. Idempotent: normalising normalised turns changes nothing."""
    turns = _turns(messages)
    if not is_conversation(kind):
        return Normalised(turns)
    fixes: list[str] = []

    # system turns after the first customer or agent turn
    out: list[dict[str, str]] = []
    started = False
    for t in turns:
        if t["role"] != "system":
            started = True
        elif started and policy.inner_system != "keep":
            if policy.inner_system == "drop_record":
                return Normalised(turns, fixes, SYSTEM_TURN_INSIDE)
            if DROPPED_SYSTEM_TURN not in fixes:
                fixes.append(DROPPED_SYSTEM_TURN)
            continue
        out.append(t)

    # agent turns before the customer's first turn
    first_user = next((i for i, t in enumerate(out) if t["role"] == "user"), len(out))
    leading = [i for i in range(first_user) if out[i]["role"] == "assistant"]
    if leading and policy.leading_assistant != "keep":
        if policy.leading_assistant == "drop_record":
            return Normalised(turns, fixes, STARTS_WITH_ASSISTANT)
        fixes.append(DROPPED_LEADING_ASSISTANT)
        drop = set(leading)
        out = [t for i, t in enumerate(out) if i not in drop]

    if policy.merge_same_role:
        merged: list[dict[str, str]] = []
        for t in out:
            if merged and merged[-1]["role"] == t["role"]:
                merged[-1] = {"role": t["role"], "content": merged[-1]["content"] + "\n\n" + t["content"]}
                if MERGED_TURNS not in fixes:
                    fixes.append(MERGED_TURNS)
            else:
                merged.append(dict(t))
        out = merged

    if not any(t["role"] in ("user", "assistant") for t in out):
        # only agent turns (all dropped as leading) or only system turns: nobody asked anything
        return Normalised(turns, fixes, NO_USER_TURN)
    return Normalised(out, fixes)


def conversation_problem(messages: Iterable[Mapping[str, Any]] | None) -> str | None:
    """Why a conversation cannot be a training example, or None when it can: it needs an
    agent reply (``no_agent_reply``) with a customer turn before it (``no_user_turn``).
    Turns after the last agent reply are left out of an example, so they do not matter."""
    roles = [t["role"] for t in _turns(messages)]
    last = max((i for i, r in enumerate(roles) if r == "assistant"), default=None)
    if last is None:
        return NO_AGENT_REPLY
    if "user" not in roles[:last]:
        return NO_USER_TURN
    return None


def usable_turns(
    messages: Iterable[Mapping[str, Any]] | None, kind: str | None, policy: TurnsConfig
) -> tuple[list[dict[str, str]], str | None]:
    """The rule the filter stage and the export share: (normalised turns, None) for a
    usable conversation, (turns, reason) otherwise. Documents pass unchanged."""
    norm = normalize_turns(messages, policy, kind)
    if norm.drop is not None:
        return norm.messages, norm.drop
    if not is_conversation(kind):
        return norm.messages, None
    return norm.messages, conversation_problem(norm.messages)


def alternation_problem(messages: Iterable[Mapping[str, Any]] | None) -> tuple[int, str] | None:
    """(turn index, what is wrong) for the first turn that breaks strict alternation
    (optional leading system turn, then user, assistant, user, ..., ending with the
    assistant), or None. This is what Llama-2- and Mistral-style chat templates demand."""
    roles = [str(m.get("role")) for m in messages or []]
    start = 1 if roles and roles[0] == "system" else 0
    if start == len(roles):
        return (len(roles), "no user or assistant turn")
    for i in range(start, len(roles)):
        want = "user" if (i - start) % 2 == 0 else "assistant"
        role = roles[i]
        if role == want:
            continue
        if role == "system":
            return (i, "two system turns in a row" if i == start else "a system turn after the conversation started")
        if i == start:
            return (i, f"starts with {'an' if role == 'assistant' else 'a'} {role} turn")
        return (i, f"two {role} turns in a row")
    if roles[-1] != "assistant":
        return (len(roles) - 1, "ends with a user turn")
    return None


def normalize_record(record: dict[str, Any], policy: TurnsConfig) -> tuple[dict[str, Any], str | None]:
    """A Record (a dict from :func:`curate.records.make_record`) with normalised turns:
    ``turn_fixes`` lists what changed (None when nothing did), ``text`` and
    ``content_hash`` follow the new turns. Returns (record, drop reason or None)."""
    norm = normalize_turns(record.get("messages"), policy, record.get("kind"))
    if norm.drop is not None:
        return record, norm.drop
    if not norm.changed:
        return {**record, FIXES_COLUMN: None}, None
    text = flatten(norm.messages, record.get("title"))
    return {**record, "messages": norm.messages, "text": text, "content_hash": content_hash(text),
            FIXES_COLUMN: norm.fixes}, None
