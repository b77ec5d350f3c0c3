"""Boilerplate: records that are mostly quoted replies, signatures, forwarded headers,
disclaimers, auto-replies or unsubscribe footers.

Every pattern runs on one line at a time; the line patterns only on lines of at most
:data:`MAX_BOILERPLATE_LINE` characters, the tail pattern anchored at the line's start
with bounded or single runs, so the cost grows linearly with the text."""

from __future__ import annotations

import re
from typing import Any

from curate.filter.base import Check, Row, Verdict, register

#: footer and header lines are short; a long line that mentions "unsubscribe" is content
MAX_BOILERPLATE_LINE = 240
# a line that is boilerplate on its own
_LINE_PATTERNS = [
    r"^\s*>",  # quoted reply
    r"^\s*sent from my \w+",
    r"^\s*get outlook for \w+",
    r"(click|tap) here to (unsubscribe|opt[ -]out)|\bunsubscribe here\b|to unsubscribe,? (click|visit|reply|go to|use)\b",
    r"you (are receiving|received|have received) this (e-?mail|message|newsletter) because",
    r"this (e-?mail|message)( and any attachments?)? (is|are|may be) (strictly )?(confidential|privileged|intended)",
    r"if you (are not|have received this) .{0,40}(intended recipient|in error)",
    r"please do not reply to this (e-?mail|message)|this is an automated (message|e-?mail|reply|response)",
    r"\b(out of (the )?office|auto-?reply|automatic reply)\b",
    r"^\s*(from|sent|to|cc|subject|date)\s*:\s*\S",  # headers of a forwarded or quoted mail
    r"^\s*\[?(cid|image|attachment)[:\]]",
]
_LINE_RE = re.compile("|".join(f"(?:{p})" for p in _LINE_PATTERNS), re.IGNORECASE)
# a line after which the rest of the message is boilerplate (signature, quoted thread)
_TAIL_RE = re.compile(
    r"^\s*(--\s*|_{5,}|-{5,}\s*original message\s*-{5,}|-{5,}\s*forwarded message\s*-{5,}|on .{4,120} wrote:\s*)$",
    re.IGNORECASE,
)


def boilerplate_share(text: str) -> float:
    """Share of the non-blank characters of ``text`` that are boilerplate."""
    total = 0
    boiler = 0
    tail = False
    for line in text.splitlines():
        size = len(line.strip())
        if not size:
            continue
        total += size
        if tail:
            boiler += size
        elif _TAIL_RE.match(line):
            tail = True
            boiler += size
        elif size <= MAX_BOILERPLATE_LINE and _LINE_RE.search(line):
            boiler += size
    return boiler / total if total else 0.0


def message_boilerplate_share(messages: list[dict[str, Any]] | None, text: str) -> float:
    """Boilerplate share over the turns (a signature ends at the end of its own turn)."""
    if not messages:
        return boilerplate_share(text)
    total = boiler = 0.0
    for m in messages:
        content = m.get("content") or ""
        size = sum(len(line.strip()) for line in content.splitlines())
        if size:
            total += size
            boiler += boilerplate_share(content) * size
    return boiler / total if total else 0.0


@register
class BoilerplateCheck(Check):
    name = "boilerplate"
    reasons = ("boilerplate",)

    def __init__(self, max_share: float):
        super().__init__()
        self.max_share = max_share

    @classmethod
    def builtin(cls, config, turns):
        return cls(config.max_boilerplate) if config.max_boilerplate is not None else None

    def check(self, row: Row) -> Verdict | None:
        share = message_boilerplate_share(row.messages, row.text)
        if share > self.max_share:
            return Verdict("boilerplate", f"boilerplate: {share:.0%} of the text (maximum {self.max_share:.0%})")
        return None
