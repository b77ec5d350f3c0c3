"""A record shown as a card: its title and turns, clipped and escaped."""

from __future__ import annotations

from typing import Any

from curate.report.html import Html, clip, join, tag


def record_card(row: dict[str, Any], badge: Html | None, limit: int = 900, cls: str = "") -> Html:
    """A record as a card: its title and turns (clipped), escaped."""
    parts: list[Html] = []
    head = [badge] if badge is not None else []
    head.append(tag("span", row.get("id") or "", class_="rec-id"))
    parts.append(tag("div", join(head), class_="rec-head"))
    if row.get("title"):
        parts.append(tag("div", clip(row["title"], 200), class_="rec-title"))
    msgs = [m for m in (row.get("messages") or []) if isinstance(m, dict) and m.get("content")]
    budget = limit
    if msgs:
        for m in msgs:
            if budget <= 0:
                parts.append(tag("div", "…", class_="turn muted"))
                break
            text = clip(m["content"], budget)
            budget -= len(text)
            parts.append(tag("div", tag("span", m.get("role") or "", class_="role"), tag("span", text, class_="content"),
                             class_=f"turn {m.get('role') or ''}"))
    elif row.get("text"):
        parts.append(tag("div", clip(row["text"], limit), class_="turn"))
    return tag("div", join(parts), class_=f"rec {cls}".strip())
