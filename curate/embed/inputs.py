"""What part of a record is embedded (``embed.input``): the customer's request by default."""

from __future__ import annotations

from typing import Any

import polars as pl


def embed_input(title: str | None, messages: list[dict[str, Any]] | None, text: str | None, mode: str) -> str:
    """The text embedded for a record (see ``EmbedConfig.input``)."""
    if mode == "text" or not messages:
        return text or title or ""
    users = [m.get("content") or "" for m in messages if m.get("role") == "user" and m.get("content")]
    if not users:  # nothing the customer said (an agent-only note): embed what there is
        return text or title or ""
    if mode == "first_request":
        users = users[:1]
    parts = ([title.strip()] if title and title.strip() else []) + [u.strip() for u in users]
    return "\n\n".join(parts)


def embed_inputs(df: pl.DataFrame, mode: str) -> list[str]:
    """The embedded text of each row of ``df`` (columns ``title``, ``messages``, ``text``
    where present)."""
    return [embed_input(r.get("title"), r.get("messages"), r.get("text"), mode) for r in df.iter_rows(named=True)]
