"""The quality pre-filter of the select stage: records unfit for a reviewer's time are
dropped before selection, each with a reason (``drop_reason``) and an explanation
(``why``) that quotes figures, never text.

Lengths count the characters of the turns (not the role prefixes of ``text``). Checks,
cheapest first (the first that fails is the reason): ``too_short``,
``too_long``, ``no_agent_reply``, ``boilerplate``, ``wrong_language``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import polars as pl

from curate.select.config import QualityConfig

CONVERSATION_KINDS = ("ticket", "email", "chat")

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


def content_chars(messages: list[dict[str, Any]] | None, text: str) -> int:
    """Characters of what was said (the turns, without the role prefixes of ``text``)."""
    if not messages:
        return len(text.strip())
    return sum(len((m.get("content") or "").strip()) for m in messages)


def has_agent_reply(messages: list[dict[str, Any]] | None) -> bool:
    return any(m.get("role") == "assistant" and (m.get("content") or "").strip() for m in messages or [])


def meta_language(meta: str | None) -> str | None:
    if not meta:
        return None
    try:
        obj = json.loads(meta)
    except (json.JSONDecodeError, TypeError):
        return None
    if not isinstance(obj, dict):
        return None
    for key in ("language", "lang", "locale"):
        v = obj.get(key)
        if isinstance(v, str) and v.strip():
            return v.strip().lower().replace("_", "-").split("-")[0]
    return None


class LanguageDetector:
    """py3langid (97 languages, model shipped in the package), loaded once per filter run."""

    def __init__(self) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self._ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)

    def __call__(self, text: str) -> str:
        return str(self._ident.classify(text[:2000])[0])


@dataclass
class QualityResult:
    reasons: list[str | None]  # per row: None = keep
    why: list[str | None]  # per row: the figures behind a drop

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.reasons:
            if r is not None:
                out[r] = out.get(r, 0) + 1
        return out


def quality_filter(df: pl.DataFrame, cfg: QualityConfig) -> QualityResult:
    """Check every row of ``df`` (columns text, and when present messages, kind, meta)."""
    n = df.height
    if not cfg.enabled or n == 0:
        return QualityResult([None] * n, [None] * n)
    texts = df["text"].fill_null("").to_list()
    messages = df["messages"].to_list() if "messages" in df.columns else [None] * n
    kinds = df["kind"].to_list() if "kind" in df.columns else [None] * n
    metas = df["meta"].to_list() if "meta" in df.columns else [None] * n
    wanted = {lang.lower() for lang in cfg.languages} if cfg.languages else None
    detector: LanguageDetector | None = None
    reasons: list[str | None] = [None] * n
    why: list[str | None] = [None] * n
    for i in range(n):
        text = texts[i]
        size = content_chars(messages[i], text)
        if size < cfg.min_chars:
            reasons[i], why[i] = "too_short", f"too short: {size:,} characters (minimum {cfg.min_chars:,})"
            continue
        if cfg.max_chars is not None and size > cfg.max_chars:
            reasons[i], why[i] = "too_long", f"too long: {size:,} characters (maximum {cfg.max_chars:,})"
            continue
        if cfg.require_agent_reply and (kinds[i] in CONVERSATION_KINDS) and not has_agent_reply(messages[i]):
            reasons[i], why[i] = "no_agent_reply", f"a {kinds[i]} with no agent reply"
            continue
        if cfg.max_boilerplate is not None:
            share = message_boilerplate_share(messages[i], text)
            if share > cfg.max_boilerplate:
                reasons[i] = "boilerplate"
                why[i] = f"boilerplate: {share:.0%} of the text (maximum {cfg.max_boilerplate:.0%})"
                continue
        if wanted is not None:
            lang = meta_language(metas[i])
            how = "meta.language"
            if lang is None:
                detector = detector or LanguageDetector()
                lang, how = detector(text), "detected"
            if lang not in wanted:
                reasons[i] = "wrong_language"
                why[i] = f"language {lang} ({how}), not in {', '.join(sorted(wanted))}"
    return QualityResult(reasons, why)
