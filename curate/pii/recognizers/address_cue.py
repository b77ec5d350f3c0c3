"""Street addresses by their place: the one to three lines after "Send it to", "Please
ship the replacement to:", "Address:", "the new address:", "Our address is" are an
address when they hold a postcode-like number or a house number and a comma, whatever the
country's street words (pl. Asnyka 807, 95-867 Warszawa; H.No. 776, Varghese Ganj,
Baranagar 125591; Ayasteeg 8 / 9473 YO / Gauw)."""

from __future__ import annotations

import regex as re
from presidio_analyzer import EntityRecognizer, RecognizerResult

from curate.pii.lexicon import english_stop_words

_CUE = re.compile(
    r"(?<![\p{L}])(?i:send[ \t]++it[ \t]++to|ship[ \t]++(?:it|them|the[ \t]++\p{L}{1,20}+|my[ \t]++\p{L}{1,20}+)[ \t]++to"
    r"|deliver[ \t]++(?:it[ \t]++)?to|(?:new|shipping|billing|mailing|delivery|postal|home|our|my)[ \t]++address(?:[ \t]++is)?"
    r"|address(?=[ \t]*+:)|bill[ \t]++to|ship[ \t]++to)(?![\p{L}])[ \t]*+:?[ \t]*+"
)
_LABEL = re.compile(r"^[\p{L}][\p{L} ]{0,30}:")
#: a full stop after a word of four letters, a number, a bracket or a state code ends the
#: address ("pl.", "H.No.", "Apt." do not)
_SENTENCE_END = re.compile(r"(?<=\p{L}{4}|\d|\)|(?<![\p{L}.])\p{Lu}{2,3})\.(?=[ \t]|$)")
_POSTCODE = re.compile(
    r"(?<![\w])(?:\d{2}-\d{3}|\d{3}[ \t]\d{2}|\d{4}[ \t]?\p{Lu}{2}|\d{4,8}|\p{Lu}\d\p{Lu}[ \t]?\d\p{Lu}\d"
    r"|\p{Lu}{1,2}\d[\p{Lu}\d]?[ \t]?\d\p{Lu}{2})(?![\w])"
)
#: a line holding a phone or account number ends the address (it is redacted as itself)
_OTHER_NUMBER = re.compile(r"\+\d|\d(?:[ \t\-./]?\d){8}")
_NUMBER = re.compile(r"(?<![\w])\d{1,5}(?:/\d{1,4})?\p{L}?(?![\w])")
MAX_LINE = 120
_TRAILING_LOWER = re.compile(r"(?<![ \t,])(?:[ \t,]++\p{Ll}++)++[ \t.,!]*+$")


#: "send it to me in 2 days", "ship them to the office": not an address
_STOP = english_stop_words()


class AddressCueRecognizer(EntityRecognizer):
    """STREET_ADDRESS: the lines after an address cue that look like an address."""

    def __init__(self, supported_language: str = "en"):
        super().__init__(supported_entities=["STREET_ADDRESS"], name="AddressCueRecognizer", supported_language=supported_language)

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None) -> list[RecognizerResult]:
        if "STREET_ADDRESS" not in entities:
            return []
        out = []
        for m in _CUE.finditer(text):
            pos = m.end()
            if text.startswith("\n", pos):
                pos += 1
            start, end = pos, pos
            for _ in range(3):
                nl = text.find("\n", pos, pos + MAX_LINE + 1)
                line_end = nl if nl >= 0 else min(len(text), pos + MAX_LINE)
                line = text[pos:line_end]
                words = line.split()
                if (not words or _LABEL.match(line.strip()) or "@" in line or line.lstrip().startswith("-")
                        or _OTHER_NUMBER.search(line) or (pos > start and words[0].lower() in _STOP)):
                    break
                stop = _SENTENCE_END.search(line)
                if stop:
                    end = pos + stop.start()
                    break
                end = pos + len(line.rstrip())
                if nl < 0:
                    break
                pos = nl + 1
            # an address ends in a postcode, a town or a region, not in "please" or "asap"
            tail = _TRAILING_LOWER.search(text, start, end)
            if tail:
                end = tail.start()
            value = text[start:end]
            first = value.split(None, 1)[0].lower() if value.split() else ""
            if first in _STOP or end - start < 6 or not (_POSTCODE.search(value) or ("," in value and _NUMBER.search(value))):
                continue
            out.append(RecognizerResult(
                "STREET_ADDRESS", start, end, 0.75,
                recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: self.name, RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id},
            ))
        return out
