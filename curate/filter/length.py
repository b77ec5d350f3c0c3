"""Length checks: too little to review or learn from, or too much to review.

Lengths count the characters of the turns (not the role prefixes of ``text``)."""

from __future__ import annotations

from curate.filter.base import Check, Row, Verdict, register


@register
class MinLength(Check):
    name = "min_length"
    reasons = ("too_short",)

    def __init__(self, min_chars: int):
        super().__init__()
        self.min_chars = min_chars

    @classmethod
    def builtin(cls, config, turns):
        return cls(config.min_chars) if config.min_chars > 0 else None

    def check(self, row: Row) -> Verdict | None:
        size = row.content_chars
        if size < self.min_chars:
            return Verdict("too_short", f"too short: {size:,} characters (minimum {self.min_chars:,})")
        return None


@register
class MaxLength(Check):
    name = "max_length"
    reasons = ("too_long",)

    def __init__(self, max_chars: int):
        super().__init__()
        self.max_chars = max_chars

    @classmethod
    def builtin(cls, config, turns):
        return cls(config.max_chars) if config.max_chars is not None else None

    def check(self, row: Row) -> Verdict | None:
        size = row.content_chars
        if size > self.max_chars:
            return Verdict("too_long", f"too long: {size:,} characters (maximum {self.max_chars:,})")
        return None
