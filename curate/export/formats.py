"""Training-file formats. Every example is first a canonical chat (system / user /
assistant turns); a format is a function from that chat to one row of its file.

=================  =========================================================================
format             one row
=================  =========================================================================
openai             ``{"messages": [{"role", "content", "weight"?}, ...]}`` -- OpenAI
                   fine-tuning, TRL's SFTTrainer (conversational), axolotl ``chat_template``
sharegpt           ``{"conversations": [{"from": "system"|"human"|"gpt", "value"}, ...]}`` --
                   axolotl, LLaMA-Factory, FastChat
alpaca             ``{"instruction", "input", "output", "system", "history"}`` -- Stanford
                   Alpaca, LLaMA-Factory (``history``: earlier [user, assistant] pairs;
                   ``system`` and ``history`` on every line, empty when there are none, so
                   that ``datasets`` reads every line with the same columns)
prompt_completion  ``{"prompt": [...], "completion": [...]}`` (conversational) or
                   ``{"prompt": str, "completion": str}`` (text) -- TRL's prompt-completion
                   type: the loss is on the completion only
hf                 ``messages`` column in Parquet files under ``data/``, with the card's
                   ``configs`` so that ``datasets.load_dataset(DIR)`` reads it
text               ``{"text": str}`` -- continued pre-training: a document chunk under its
                   heading path, a conversation as a transcript (``Customer:``/``Agent:``)
=================  =========================================================================

Every line of a file has the same keys (``metadata`` on every line when
``export.metadata`` names fields), so loaders that read a file in blocks never meet a
column the first block did not have.

Reasoning (``export.reasoning``): ``inline`` and ``think`` are already part of the final
assistant content when a format sees the example; ``field`` puts it in its own key
(``export.reasoning_field``, default ``reasoning_content``) of every assistant message
(null except on the final one, so that every message has the same keys), of the
completion message (prompt_completion) or of the row (alpaca: it has no assistant
message).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from curate.conversations import conversation_problem


class NotExportable(ValueError):
    """A record that cannot become a training example; the message is the drop reason."""


@dataclass
class Example:
    """One training example before formatting."""

    id: str
    messages: list[dict[str, Any]]  # role, content (+ weight on assistant turns)
    metadata: dict[str, Any] = field(default_factory=dict)
    #: for single-turn tasks (classification, doc QA): the instruction and its input, kept
    #: apart so that the alpaca format can put them in their own fields
    instruction: str | None = None
    input: str | None = None
    #: for the text format: the whole example as one text
    text: str | None = None
    #: the final assistant turn's reasoning when it goes in a field of its own
    reasoning: str | None = None


def chat_from_turns(
    messages: list[dict[str, Any]], system_prompt: str | None = None, last_turn_only: bool = False
) -> list[dict[str, Any]]:
    """A record's turns as a training chat: the configured system prompt first (replacing
    the record's own), turns after the last assistant reply removed (nothing would learn
    from them), and with ``last_turn_only`` a ``weight`` on every assistant turn."""
    turns = [{"role": m["role"], "content": m["content"]} for m in messages if m.get("content")]
    if system_prompt:
        turns = [{"role": "system", "content": system_prompt}] + [t for t in turns if t["role"] != "system"]
    problem = conversation_problem(turns)  # the filter stage's rule (curate.conversations)
    if problem is not None:
        raise NotExportable(problem)
    last = max(i for i, t in enumerate(turns) if t["role"] == "assistant")
    turns = turns[: last + 1]
    if last_turn_only:
        for i, t in enumerate(turns):
            if t["role"] == "assistant":
                t["weight"] = 1 if i == last else 0
    return turns


def _plain(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"role": m["role"], "content": m["content"]} for m in messages]


def _split_last(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(everything before the final assistant turn, the final assistant turn)."""
    assert messages and messages[-1]["role"] == "assistant"
    return messages[:-1], messages[-1]


def _with_reasoning(turns: list[dict[str, Any]], roles: list[str], ex: Example, key: str | None) -> list[dict[str, Any]]:
    """``key`` on every assistant turn: the reasoning on the last one, null elsewhere."""
    if key is None:
        return turns
    last = max((i for i, r in enumerate(roles) if r == "assistant"), default=None)
    for i, (t, r) in enumerate(zip(turns, roles)):
        if r == "assistant":
            t[key] = ex.reasoning if i == last else None
    return turns


def to_openai(ex: Example, reasoning_field: str | None = None) -> dict[str, Any]:
    msgs = [dict(m) for m in ex.messages]
    row: dict[str, Any] = {"messages": _with_reasoning(msgs, [m["role"] for m in msgs], ex, reasoning_field)}
    if ex.metadata:
        row["metadata"] = ex.metadata
    return row


_SHAREGPT_FROM = {"system": "system", "user": "human", "assistant": "gpt"}


def to_sharegpt(ex: Example, reasoning_field: str | None = None) -> dict[str, Any]:
    turns = [{"from": _SHAREGPT_FROM[m["role"]], "value": m["content"]} for m in ex.messages]
    row: dict[str, Any] = {
        "conversations": _with_reasoning(turns, [m["role"] for m in ex.messages], ex, reasoning_field)
    }
    if ex.metadata:
        row["metadata"] = ex.metadata
    return row


def _merge_runs(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Consecutive turns of the same role joined (alpaca history needs strict pairs)."""
    out: list[dict[str, str]] = []
    for m in messages:
        if out and out[-1]["role"] == m["role"]:
            out[-1] = {"role": m["role"], "content": out[-1]["content"] + "\n\n" + m["content"]}
        else:
            out.append({"role": m["role"], "content": m["content"]})
    return out


def to_alpaca(ex: Example, reasoning_field: str | None = None) -> dict[str, Any]:
    system = "\n\n".join(m["content"] for m in ex.messages if m["role"] == "system")
    turns = _merge_runs([m for m in ex.messages if m["role"] != "system"])
    before, last = _split_last(turns)
    if ex.instruction is not None:
        instruction, inp = ex.instruction, ex.input or ""
        before = before[:-1]
    else:
        prompt = before[-1] if before and before[-1]["role"] == "user" else None
        instruction, inp = (prompt["content"] if prompt else ""), ""
        before = before[:-1] if prompt else before
    history: list[list[str]] = []
    pending: str | None = None
    for m in before:  # user/assistant pairs; a lone assistant turn gets an empty prompt
        if m["role"] == "user":
            if pending is not None:
                history.append([pending, ""])
            pending = m["content"]
        else:
            history.append([pending or "", m["content"]])
            pending = None
    if pending is not None:
        instruction = pending + "\n\n" + instruction if instruction else pending
    row: dict[str, Any] = {"instruction": instruction, "input": inp, "output": last["content"],
                           "system": system, "history": history}
    if reasoning_field is not None:
        row[reasoning_field] = ex.reasoning
    if ex.metadata:
        row["metadata"] = ex.metadata
    return row


_TEXT_ROLE = {"system": "System", "user": "User", "assistant": "Assistant"}


def render_text(messages: list[dict[str, Any]]) -> str:
    """A conversation as plain text, ending with the cue for the next assistant turn."""
    parts = [f"{_TEXT_ROLE[m['role']]}: {m['content']}" for m in messages]
    return "\n\n".join(parts + ["Assistant:"])


def to_prompt_completion(ex: Example, style: str = "conversational", reasoning_field: str | None = None) -> dict[str, Any]:
    before, last = _split_last(ex.messages)
    if style == "text":
        row: dict[str, Any] = {"prompt": render_text(before), "completion": " " + last["content"]}
    else:
        prompt = _with_reasoning(_plain(before), [m["role"] for m in before], Example("", []), reasoning_field)
        reply: dict[str, Any] = {"role": "assistant", "content": last["content"]}
        if reasoning_field is not None:
            reply[reasoning_field] = ex.reasoning
        row = {"prompt": prompt, "completion": [reply]}
    if ex.metadata:
        row["metadata"] = ex.metadata
    return row


def to_hf(ex: Example, reasoning_field: str | None = None) -> dict[str, Any]:
    msgs = _plain(ex.messages)
    row: dict[str, Any] = {"messages": _with_reasoning(msgs, [m["role"] for m in msgs], ex, reasoning_field)}
    if ex.metadata:
        row["metadata"] = ex.metadata
    return row


_SPEAKER = {"system": "System", "user": "Customer", "assistant": "Agent"}


def transcript(messages: list[dict[str, Any]], title: str | None = None, document: bool = False) -> str:
    """A record as plain text: a document's title (its heading path) and body, or a
    conversation's turns, each under its speaker."""
    turns = [m for m in messages if m.get("content")]
    if document:
        body = [m["content"].strip() for m in turns]
    else:
        body = [f"{_SPEAKER.get(m['role'], m['role'])}: {m['content'].strip()}" for m in turns]
    return "\n\n".join(p for p in ([title.strip()] if title else []) + body if p)


def to_text(ex: Example) -> dict[str, Any]:
    row: dict[str, Any] = {"text": ex.text if ex.text is not None else transcript(ex.messages)}
    if ex.metadata:
        row["metadata"] = ex.metadata
    return row


def formatter(fmt: str, prompt_style: str = "conversational",
              reasoning_field: str | None = None) -> Callable[[Example], dict[str, Any]]:
    """The row function of a format; ``reasoning_field``: the key that holds the reasoning
    (``export.reasoning: field``), None when it is inline or left out."""
    key = reasoning_field
    if fmt == "openai":
        return lambda ex: to_openai(ex, key)
    if fmt == "sharegpt":
        return lambda ex: to_sharegpt(ex, key)
    if fmt == "alpaca":
        return lambda ex: to_alpaca(ex, key)
    if fmt == "prompt_completion":
        return lambda ex: to_prompt_completion(ex, prompt_style, None if prompt_style == "text" else key)
    if fmt == "hf":
        return lambda ex: to_hf(ex, key)
    if fmt == "text":
        return to_text
    raise ValueError(f"unknown format {fmt!r}")


FORMAT_TITLES = {
    "openai": "OpenAI chat (`messages`)",
    "sharegpt": "ShareGPT (`conversations` with `from`/`value`)",
    "alpaca": "Alpaca (`instruction`/`input`/`output`)",
    "prompt_completion": "prompt/completion (TRL)",
    "hf": "Hugging Face datasets (Parquet, `messages`)",
    "text": "plain text (`text`, for continued pre-training)",
}
