"""A small regex recognizer for Presidio: rules with validation and context words.

Context is scored here, on the raw text around a match, instead of by Presidio's lemma
enhancer: the NER-only spaCy pipeline curate runs has no lemmatizer, and support text is
full of labels ("Phone:", "pwd=") that lemmas would not help with anyway."""

from __future__ import annotations

import re as stdre
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import regex as re
from presidio_analyzer import EntityRecognizer, RecognizerResult


#: The longest word (a name, a street word, a label) the recognizers' patterns take as one.
#: Every repetition in a pattern is bounded by it or cannot be re-entered from many start
#: positions, so a match attempt costs the same anywhere in a text and a scan is linear in
#: its length (a run of "a-a-a-..." or tabs is not re-read from each of its characters).
WORD_MAX = 40


def words_regex(words: Iterable[str]) -> re.Pattern:
    """One case-insensitive regex matching any of ``words`` as whole words."""
    alts = sorted({w.strip().lower() for w in words if w.strip()}, key=len, reverse=True)
    return re.compile(r"(?<![\w])(?:" + "|".join(re.escape(w) for w in alts) + r")(?![\w])", re.IGNORECASE)


@dataclass
class Rule:
    """One pattern. ``group`` picks the redacted part of the match (0 = all of it).

    ``validate(value, text, start, end)`` returns a score change (0 keeps the score) or
    None to reject the match. ``context`` words within ``before``/``after`` characters
    add ``boost``; ``negative`` words just before the match reject it."""

    entity: str
    pattern: re.Pattern
    score: float
    group: int | str = 0
    validate: Callable[[str, str, int, int], float | None] | None = None
    context: re.Pattern | None = None
    boost: float = 0.35
    before: int = 40
    after: int = 20
    negative: re.Pattern | None = None
    negative_before: int = 16
    name: str = ""
    flags: dict = field(default_factory=dict)
    #: a cheap necessary condition, searched in the case-folded text before ``pattern``
    #: (a standard-library pattern of lower-case literals that every match must contain):
    #: a text without it skips the rule. It must never reject a text ``pattern`` matches.
    requires: stdre.Pattern | None = None


class RegexRecognizer(EntityRecognizer):
    """Presidio recognizer made of :class:`Rule` s."""

    def __init__(self, name: str, rules: list[Rule], supported_language: str = "en"):
        self.rules = rules
        super().__init__(
            supported_entities=sorted({r.entity for r in rules}),
            name=name,
            supported_language=supported_language,
        )

    def load(self) -> None:  # nothing to load: rules are compiled
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None) -> list[RecognizerResult]:
        wanted = set(entities) if entities else None
        out: list[RecognizerResult] = []
        folded: str | None = None
        for rule in self.rules:
            if wanted is not None and rule.entity not in wanted:
                continue
            if rule.requires is not None:
                if folded is None:
                    folded = text.casefold()
                if not rule.requires.search(folded):
                    continue
            for m in rule.pattern.finditer(text):
                start, end = m.span(rule.group)
                if start < 0 or start == end:
                    continue
                score = rule.score
                if rule.negative is not None and rule.negative.search(text, max(0, start - rule.negative_before), start):
                    continue
                if rule.validate is not None:
                    delta = rule.validate(text[start:end], text, start, end)
                    if delta is None:
                        continue
                    score += delta
                if rule.context is not None and score < 1.0 and self._near(rule, text, start, end):
                    score += rule.boost
                score = max(0.0, min(1.0, score))
                if score <= 0:
                    continue
                out.append(
                    RecognizerResult(
                        entity_type=rule.entity,
                        start=start,
                        end=end,
                        score=score,
                        recognition_metadata={
                            RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                        },
                    )
                )
        return out

    @staticmethod
    def _near(rule: Rule, text: str, start: int, end: int) -> bool:
        assert rule.context is not None
        if rule.context.search(text, max(0, start - rule.before), start):
            return True
        return bool(rule.after and rule.context.search(text, end, min(len(text), end + rule.after)))


def luhn_ok(digits: str) -> bool:
    total, alt = 0, False
    for ch in reversed(digits):
        d = ord(ch) - 48
        if alt:
            d *= 2
            if d > 9:
                d -= 9
        total += d
        alt = not alt
    return total % 10 == 0


def digits_of(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())
