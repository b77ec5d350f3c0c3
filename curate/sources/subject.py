"""A ticket's subject as part of what the customer said.

A help-desk ticket's subject often carries the question ("Refund for order 4411?") while
the first message only says "see above" or adds details; a model trained on the turns
alone never sees it. With ``subject_in_user_turn: true`` the subject opens the first user
turn, a blank line before the message. A first message that already starts with the
subject (mail clients and web forms often repeat it) is left as it is. The Record's
``title`` keeps the subject either way."""

from __future__ import annotations

from typing import Any

from pydantic import Field


def subject_field() -> Any:
    return Field(
        default=False,
        description="Put the subject / title at the start of the first user turn (a blank line before the "
        "message), so that a trained model sees the question the subject asks. A message that already "
        "starts with the subject is left as it is. The title stays the Record's title.",
    )


def subject_into_user_turn(messages: list[dict[str, Any]], subject: Any) -> list[dict[str, Any]]:
    """``messages`` with ``subject`` opening the first user turn that has text; unchanged
    when there is no subject or no such turn."""
    if not isinstance(subject, str) or not subject.strip():
        return messages
    subject = subject.strip()
    for i, m in enumerate(messages):
        content = m.get("content")
        if m.get("role") != "user" or not isinstance(content, str) or not content.strip():
            continue
        body = content.strip()
        if body.casefold().startswith(subject.casefold()):
            return messages
        out = list(messages)
        out[i] = {**m, "content": f"{subject}\n\n{body}"}
        return out
    return messages
