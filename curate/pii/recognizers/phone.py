"""Phone numbers in the formats people type: international (+44 20 7946 0958, 0049 30
1234567, +41 (0)62 585 51 90), national with an area code in brackets ((72) 754-186,
(602) 272-9781), grouped digits (737 219 628, 71-33-52-22), NANP (930.167.3943) with
extensions. Presidio's recognizer accepts only numbers libphonenumber calls valid for a
few regions, so numbers from elsewhere leaked; here the format decides and a phone word
nearby ("Mobile:", "call me at") raises the score. Dates, times, versions, amounts and
numbers labelled as orders or tickets are rejected."""

from __future__ import annotations

import regex as re

from curate.pii.recognizers.base import RegexRecognizer, Rule, digits_of, words_regex
from curate.pii.recognizers.ids import SSN_WORDS

CONTEXT = words_regex(
    """phone phones telephone tel tel. tlf mobile mob cell cellphone handy fax call calls called calling
    reach reached text texts sms whatsapp signal viber number numbers no no. nr contact dial ring rang
    office desk home work direct line hotline landline answering answer voicemail messages extension ext
    registered callback call-back mobil telefon telefono téléphone portable spoke""".split()
)
# Words that make a bare run of digits a phone number ("number" alone is not enough:
# order numbers are numbers too).
STRONG_CONTEXT = words_regex(
    """phone telephone tel tel. tlf mobile mob cell cellphone handy fax call calls called calling sms whatsapp
    text reach dial ring voicemail landline hotline extension ext mobil telefon telefono téléphone portable
    callback call-back spoke""".split()
    + ["my number", "my phone number", "my mobile number", "my cell number", "reach me on"]
)
# Numbers that are something else when these words come right before them.
NEGATIVE = words_regex(
    """version ver v build release firmware patch order orders invoice ticket case ref reference sku serial
    model part kb error code port pid id iban account acct bic swift tracking zip postcode postal amount
    total price cost usd eur gbp chf $ € £ isbn return returns rma po""".split()
)

_EXT = r"(?:[ \t]*+(?:x|ext\.?|extension)[ \t]*+\d{1,5})?"
# entered only at the start of a blank run (else each blank of a run is a start that reads the rest of it)
_NO_EXT = re.compile(r"(?<![ \t])[ \t]*+(?:x|ext\.?|extension)[ \t]*+\d{1,5}$")
_DATE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")
_DIGIT_RUNS = re.compile(r"\d+")
_SSN_SHAPE = re.compile(r"^\d{3}([\- ])\d{2}\1\d{4}$")


def _check(lo: int, hi: int):
    def validate(value: str, text: str, start: int, end: int) -> float | None:
        n = len(digits_of(_NO_EXT.sub("", value)))
        if not lo <= n <= hi:
            return None
        core = value.strip()
        if _DATE.match(core):
            return None
        groups = _DIGIT_RUNS.findall(core)
        if len(set(core.replace(" ", "").replace("-", ""))) == 1:
            return None  # 000-000-0000
        # thousands separators: 1 234 567 / 12,345,678 next to a currency
        before = text[max(0, start - 4):start]
        after = text[end:end + 5].lower()
        if any(c in before for c in "$€£¥") or after.strip().startswith(("eur", "usd", "gbp", "chf", "€", "$", "%", "kb", "mb", "gb", "ms")):
            return None
        # 123-45-6789 after "SSN" / "social security no." is the SSN, not a phone
        if _SSN_SHAPE.match(core) and SSN_WORDS.search(text, max(0, start - 40), start):
            return None
        # 2021-10-01 10:32 style or a run glued to letters (build 22H2) is not a phone
        if groups and len(groups) >= 2 and all(len(g) == 1 for g in groups[1:]):
            return None
        return 0.0

    return validate


PHONE_RULES = [
    Rule(  # 07.1141.8886 / 0456.872.655: dotted, needs a phone word nearby
        "PHONE_NUMBER",
        re.compile(rf"(?<![\w.\-])\d{{2,4}}\.\d{{3,4}}\.\d{{3,4}}{_EXT}(?![\w]|[.\-]\d)"),
        0.3, validate=_check(9, 12), context=CONTEXT, boost=0.45, negative=NEGATIVE, name="dotted",
    ),
    Rule(  # +44 20 7946 0958 / 0049 30 1234567 / +41 (0)62 585 51 90 / +1-903-140-4508x769
        "PHONE_NUMBER",
        re.compile(
            # a group takes all the digits it can (up to 5): with optional separators a long
            # run of digits could otherwise be split into groups in thousands of ways
            rf"(?<![\w+])(?:\+[1-9]\d{{0,3}}(?:[ \t.\-]?\(0?\d{{0,4}}\))?(?:[ \t.\-]?\d{{1,5}}+){{1,6}}"
            rf"|00[1-9]\d{{0,3}}(?:[ \t.\-]?\(0?\d{{0,4}}\))?(?:[ \t.\-]\d{{1,5}}){{2,6}}){_EXT}(?![\w]|[.\-]\d)"
        ),
        0.75, validate=_check(8, 16), context=CONTEXT, boost=0.2, name="international",
    ),
    Rule(  # (602) 272-9781 / (72) 754-186 / (0)20 7946 0958
        "PHONE_NUMBER",
        re.compile(rf"(?<![\w)])\(\d{{1,5}}\)[ \t.\-]?\d{{2,5}}(?:[ \t.\-]?\d{{2,5}}){{0,3}}{_EXT}(?![\w])"),
        0.6, validate=_check(6, 14), context=CONTEXT, boost=0.3, negative=NEGATIVE, name="area_code",
    ),
    Rule(  # 930.167.3943 / 212-555-0199 (NANP)
        "PHONE_NUMBER",
        re.compile(rf"(?<![\w.\-])\d{{3}}([.\-])\d{{3}}\1\d{{4}}{_EXT}(?![\w]|[.\-]\d)"),
        0.6, validate=_check(10, 10), context=CONTEXT, boost=0.3, negative=NEGATIVE, name="nanp",
    ),
    Rule(  # 737 219 628 / 71-33-52-22 / 07700 900 461 / 668 5702: needs a phone word nearby
        "PHONE_NUMBER",
        re.compile(rf"(?<![\w.\-/:,])\d{{2,6}}(?:[ \t\-]\d{{2,8}}){{1,5}}{_EXT}(?![\w]|[.\-/:,]\d)"),
        0.3, validate=_check(7, 14), context=CONTEXT, boost=0.45, negative=NEGATIVE, name="grouped",
    ),
    Rule(  # a number right after an e-mail address in a signature or a bracket:
        # "jane@x.com | 797 723 514", "<hugues@x.me, 08885674478>", "(janne@x.me, 01375624238)"
        "PHONE_NUMBER",
        re.compile(
            r"(?<![\w.+\-])[\w.+\-]{1,64}+@[\w\-]{1,63}+(?:\.[\w\-]{1,63}+){1,8}+[ \t]*+[|,;/][ \t]*+"
            r"(?P<v>\+?\(?\d(?:[ \-().]?\d|/\d){6,16}+)(?![\w]|[.\-/:]\d)"
        ),
        0.7, group="v", validate=_check(7, 15), negative=NEGATIVE, name="after_email",
    ),
    Rule(  # T: 02 54 89 10 57 / M: 06 42929543 (signature labels)
        "PHONE_NUMBER",
        re.compile(
            r"(?:^|(?<=[\n \t|(]))(?:T|M|P|F|Tel|Mob|Ph|Cell|Tél)[ \t]*+[:.][ \t]*+"
            r"(?P<v>\+?\(?\d(?:[ \-().]?\d|/\d){6,16}+)(?![\w]|[.\-/:]\d)"
        ),
        0.7, group="v", validate=_check(7, 15), name="labelled",
    ),
    Rule(  # 0463/29964137 / 030/1234 5678: an area code and a slash (Austria, Germany), next to a phone word
        "PHONE_NUMBER",
        re.compile(r"(?<![\w.\-/:,])0\d{1,4}/\d{3,10}(?:[ \t\-]\d{2,5}){0,3}(?![\w]|[.\-/:,]\d)"),
        0.3, validate=_check(7, 14), context=CONTEXT, boost=0.45, negative=NEGATIVE, name="slash_area",
    ),
    Rule(  # "Zdenka <04340506537>" / "Bohuslav Tůma <600 920 554>": a number where the address
        # of a "Name <address>" signature stands
        "PHONE_NUMBER",
        re.compile(r"(?<=\p{L}[ \t]?)<(?P<v>\+?\(?\d(?:[ \-().]?\d|/\d){6,16}+)>"),
        0.7, group="v", validate=_check(7, 15), negative=NEGATIVE, name="name_bracket",
    ),
    Rule(  # 5403926876 / 07700900461: a bare run of digits, only next to a phone word
        "PHONE_NUMBER",
        re.compile(rf"(?<![\w.\-/:,#])\d{{9,14}}{_EXT}(?![\w]|[.\-/:,]\d)"),
        0.15, validate=_check(9, 14), context=STRONG_CONTEXT, boost=0.5, negative=NEGATIVE, name="digits",
    ),
]


def phone_recognizer(language: str = "en") -> RegexRecognizer:
    return RegexRecognizer("SupportPhoneRecognizer", PHONE_RULES, supported_language=language)
