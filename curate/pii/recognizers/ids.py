"""National identifiers in the formats support text uses, next to the words that name them.
Presidio's SSN recognizer rejects numbers it knows to be invalid (078-05-1120, 000-...),
but an invalid SSN given as "my SSN" is still meant as one."""

from __future__ import annotations

import regex as re

from curate.pii.recognizers.base import RegexRecognizer, Rule, words_regex

SSN_WORDS = words_regex("ssn ssns social security soc sec ss# ss no tin itin taxpayer".split())

ID_RULES = [
    Rule(
        "US_SSN",
        re.compile(r"(?<![\w\-])\d{3}([\- ])\d{2}\1\d{4}(?![\w]|-\d)"),
        0.4, context=SSN_WORDS, boost=0.45, before=40, after=0, name="ssn_context",
    ),
]


def id_recognizer(language: str = "en") -> RegexRecognizer:
    return RegexRecognizer("SupportIdRecognizer", ID_RULES, supported_language=language)
