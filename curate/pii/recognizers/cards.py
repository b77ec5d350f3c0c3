"""Payment cards: 12 to 19 digits, in groups or not, with a valid Luhn checksum. Presidio's
pattern misses Mastercard 2-series numbers (2221-2720) and 19-digit cards."""

from __future__ import annotations

import regex as re

from curate.pii.recognizers.base import RegexRecognizer, Rule, digits_of, luhn_ok, words_regex

CONTEXT = words_regex(
    """card cards credit debit visa mastercard amex maestro discover diners jcb unionpay cc payment pay paid
    charge charged billing number no""".split()
)


_CARD_WORDS = words_regex(
    "card cards credit debit visa mastercard amex maestro discover diners jcb unionpay cc".split()
    + ["charged to", "charged on", "charged my", "paid with", "pay with"]
)
#: Maestro's issuer prefixes (12 to 19 digits, so shorter than other cards): with a valid
#: Luhn checksum a card without a card word
_MAESTRO = ("5018", "5020", "5038", "5893", "6304", "6759", "6761", "6762", "6763")


def _card(value: str, text: str, start: int, end: int) -> float | None:
    d = digits_of(value)
    if not 12 <= len(d) <= 19 or len(set(d)) == 1 or not luhn_ok(d):
        return None
    seps = {c for c in value if not c.isdigit()}
    if len(seps) > 1:
        return None
    if d.startswith(_MAESTRO):
        return -0.2
    if d[0] not in "23456" or len(d) < 13:
        # Luhn-valid but no usual issuer prefix (order numbers are often Luhn-valid by
        # chance): a card only when the text says so
        return -0.2 if _CARD_WORDS.search(text, max(0, start - 40), start) else None
    return 0.0


CARD_RULES = [
    Rule(
        "CREDIT_CARD",
        re.compile(r"(?<![\w\-.])\d(?:[ \-]?\d){11,18}(?![\w]|[\-.]\d)"),
        0.9, validate=_card, context=CONTEXT, boost=0.1, name="luhn",
    ),
]


def card_recognizer(language: str = "en") -> RegexRecognizer:
    return RegexRecognizer("SupportCardRecognizer", CARD_RULES, supported_language=language)
