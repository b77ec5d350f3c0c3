"""Recognizers built from the config: your own identifiers (customer, order and account
numbers) as regexes, and deny-list terms."""

from __future__ import annotations

import regex as re
from presidio_analyzer import EntityRecognizer, PatternRecognizer

from curate.pii.config import PatternConfig
from curate.pii.recognizers.base import RegexRecognizer, Rule, words_regex


def pattern_recognizers(patterns: list[PatternConfig], language: str = "en") -> list[EntityRecognizer]:
    rules = []
    for i, p in enumerate(patterns):
        flags = re.IGNORECASE if p.ignore_case else 0
        pat = re.compile(p.regex, flags)
        group: int | str = "value" if "value" in pat.groupindex else 0
        rules.append(
            Rule(
                p.entity, pat, p.score, group=group,
                context=words_regex(p.context) if p.context else None, boost=0.2, name=f"pattern_{i}",
            )
        )
    return [RegexRecognizer("ConfiguredPatternRecognizer", rules, supported_language=language)] if rules else []


def deny_list_recognizers(deny: dict[str, list[str]], language: str = "en") -> list[EntityRecognizer]:
    out: list[EntityRecognizer] = []
    for entity, terms in deny.items():
        terms = [t for t in terms if t.strip()]
        if terms:
            out.append(
                PatternRecognizer(
                    supported_entity=entity, deny_list=terms, name=f"DenyList_{entity}",
                    supported_language=language, deny_list_score=1.0,
                )
            )
    return out
