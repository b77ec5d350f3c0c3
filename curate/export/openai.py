"""OpenAI chat format: one ``{"messages": [...]}`` object per line, as the OpenAI
fine-tuning API, TRL's SFTTrainer and most trainers read it."""

from __future__ import annotations

from typing import Any


class NotExportable(ValueError):
    """A record that cannot become a training example; the message is the drop reason."""


def to_openai(messages: list[dict[str, str]], system_prompt: str | None = None) -> dict[str, Any]:
    """A chat example from a Record's turns: optional system prompt first, trailing turns
    after the last assistant reply removed (nothing would learn from them)."""
    turns = [{"role": m["role"], "content": m["content"]} for m in messages if m.get("content")]
    if system_prompt:
        turns = [{"role": "system", "content": system_prompt}] + [t for t in turns if t["role"] != "system"]
    last = max((i for i, t in enumerate(turns) if t["role"] == "assistant"), default=None)
    if last is None:
        raise NotExportable("no_assistant_turn")
    turns = turns[: last + 1]
    if not any(t["role"] == "user" for t in turns):
        raise NotExportable("no_user_turn")
    return {"messages": turns}
