"""The residual check: an independent pass over redacted text, with plain patterns and
checksums only (no model, no Presidio), for what must never survive redaction: emails,
payment cards (Luhn), IBANs (mod 97), US SSNs, phone numbers, IP addresses and secrets.

Spans the redaction itself wrote (placeholders, pseudonyms, masks) are passed in and
ignored, so a fake phone number is not reported as a real one. Findings carry the type
and position only, never the value."""

from __future__ import annotations

import bisect
import itertools
from collections import Counter
from collections.abc import Iterable

import regex as re

from curate.pii.recognizers.base import digits_of, luhn_ok
from curate.pii.recognizers.network import VERSION_WORDS, ip_is_personal
from curate.pii.recognizers.credentials import KNOWN_KEYS, PRIVATE_KEY

# a local part is at most 64 characters (RFC 5321): in a run of "%" every character starts a try
_EMAIL = re.compile(r"(?<![\w.+\-])[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}(?![\w])")
_CARD = re.compile(r"(?<![\w\-.])\d(?:[ \-]?\d){12,18}(?![\w]|[\-.]\d)")
_IBAN = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?(?![\w])")
_SSN = re.compile(r"(?<![\w\-])(?!000|666|9\d\d)\d{3}([\- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\w]|-\d)")
_PHONE = [
    re.compile(
        # a group takes all the digits it can (see curate.pii.recognizers.phone)
        r"(?<![\w+])(?:\+[1-9]\d{0,3}(?:[ .\-]?\(0?\d{0,4}\))?(?:[ .\-]?\d{1,5}+){1,6}"
        r"|00[1-9]\d{0,3}(?:[ .\-]?\(0?\d{0,4}\))?(?:[ .\-]\d{1,5}){2,6})(?![\w]|[.\-]\d)"
    ),
    re.compile(r"(?<![\w)])\(\d{2,5}\)[ .\-]?\d{2,5}(?:[ .\-]?\d{2,5}){0,3}(?![\w]|[.\-]\d)"),
    re.compile(r"(?<![\w.\-])\d{3}([.\-])\d{3}\1\d{4}(?![\w]|[.\-]\d)"),
]
_IBAN_HEAD = re.compile(r"[A-Z]{2}\d{2}[ ]?$")
_LAST_GROUP = re.compile(r"(?r)[ .\-]?\d+$")
_IPV4 = re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_SECRET_CONTEXT = re.compile(
    r"(?<![\w])(?:(?i:bearer)[ \t]+[A-Za-z0-9\-._~+/]{20,}=*"
    r"|(?i:password|passwd|pwd)[ \t]*+[:=][ \t]*+(?![<*\[(])[^\s<>*]{6,}"
    r"|[A-Za-z][A-Za-z0-9+.\-]{1,15}://[^\s:/@<>]{1,64}:(?![<*])[^\s@/<>]{3,128}@)"
)

_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "CH": 21,
    "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18,
    "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23,
    "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27,
    "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29,
    "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26,
    "UA": 29, "VG": 24, "XK": 20,
}


def iban_ok(value: str) -> bool:
    s = value.replace(" ", "").upper()
    if _IBAN_LENGTHS.get(s[:2]) not in (None, len(s)) or not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    try:
        num = int("".join(str(int(c, 36)) for c in moved))
    except ValueError:
        return False
    return num % 97 == 1


def _phone_ok(value: str) -> bool:
    n = len(digits_of(value))
    return 8 <= n <= 15 and len(set(digits_of(value))) > 1


class _Spans:
    """Spans (start, end) with an overlap test in logarithmic time: the residual check
    of a text with thousands of placeholders must not compare every finding with each.
    Spans may be added between tests only while they do not overlap each other (the
    phone numbers, each tested against all found before it)."""

    def __init__(self, spans: Iterable[tuple[int, int]] = ()):
        self._static = sorted(spans)
        self._reach = list(itertools.accumulate((b for _, b in self._static), max))
        self._disjoint: list[tuple[int, int]] = []

    def add_disjoint(self, s: int, e: int) -> None:
        bisect.insort(self._disjoint, (s, e))

    def overlaps(self, s: int, e: int) -> bool:
        """Whether a span overlaps [s, e): one starting before e that ends after s."""
        i = bisect.bisect_left(self._static, (e,))
        if i > 0 and self._reach[i - 1] > s:
            return True
        j = bisect.bisect_left(self._disjoint, (e,))
        return j > 0 and self._disjoint[j - 1][1] > s


def find_residuals(
    text: str, checks: Iterable[str], ignore: list[tuple[int, int]] | None = None
) -> list[tuple[str, int, int]]:
    """(entity type, start, end) of PII patterns in ``text`` outside the ``ignore`` spans."""
    checks = set(checks)
    ignored = _Spans(ignore or [])
    found: list[tuple[str, int, int]] = []
    reported: list[_Spans] = []  # what was found before the first phone number, then the phone numbers

    def add(entity: str, s: int, e: int) -> None:
        if entity == "PHONE_NUMBER":
            if not reported:
                reported.append(_Spans((a, b) for _, a, b in found))
            if reported[0].overlaps(s, e):
                return  # digits inside a card or IBAN (or another phone pattern's number) already reported
        if not ignored.overlaps(s, e):
            found.append((entity, s, e))
            if entity == "PHONE_NUMBER":
                reported[0].add_disjoint(s, e)

    if "EMAIL_ADDRESS" in checks and "@" in text:
        for m in _EMAIL.finditer(text):
            add("EMAIL_ADDRESS", *m.span())
    if "CREDIT_CARD" in checks:
        for m in _CARD.finditer(text):
            d = digits_of(m.group())
            if _IBAN_HEAD.search(text, max(0, m.start() - 5), m.start()):
                continue  # the digits of an IBAN-shaped string
            if 13 <= len(d) <= 19 and d[0] in "23456" and len(set(d)) > 1 and len({c for c in m.group() if not c.isdigit()}) <= 1 and luhn_ok(d):
                add("CREDIT_CARD", *m.span())
    if "IBAN_CODE" in checks:
        for m in _IBAN.finditer(text):
            if iban_ok(m.group()):
                add("IBAN_CODE", *m.span())
    if "US_SSN" in checks:
        for m in _SSN.finditer(text):
            add("US_SSN", *m.span())
    if "PHONE_NUMBER" in checks:
        for pat in _PHONE:
            for m in pat.finditer(text):
                value = m.group()
                # a greedy match may run into the next number: drop trailing groups
                while (not _phone_ok(value) and len(digits_of(value)) > 15) or len(set(value) & set(" .-")) > 1 and "." in value:
                    shorter = _LAST_GROUP.sub("", value)
                    if shorter == value:
                        break
                    value = shorter
                if _phone_ok(value) and not VERSION_WORDS.search(text, max(0, m.start() - 12), m.start()):
                    add("PHONE_NUMBER", m.start(), m.start() + len(value))
    if "IP_ADDRESS" in checks:
        for m in _IPV4.finditer(text):
            if ip_is_personal(m.group()) and not VERSION_WORDS.search(text, max(0, m.start() - 12), m.start()) \
                    and text[max(0, m.start() - 1):m.start()] not in ("v", "V"):
                add("IP_ADDRESS", *m.span())
        if ":" in text:
            for m in _IPV6.finditer(text):
                v = m.group()
                if len(v) >= 6 and (any(c.isalpha() for c in v) or "::" in v) and ip_is_personal(v):
                    add("IP_ADDRESS", *m.span())
    if "SECRET" in checks:
        for pat in (KNOWN_KEYS, PRIVATE_KEY, _SECRET_CONTEXT):
            for m in pat.finditer(text):
                add("SECRET", *m.span())
    return found


def count_types(found: Iterable[tuple[str, int, int]]) -> dict[str, int]:
    return dict(sorted(Counter(f[0] for f in found).items()))
