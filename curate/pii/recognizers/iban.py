"""IBANs in the layouts people type: grouped by four (ES04 4871 5682 5580 7093 6449) or
run together (AT624752886603033460), followed by anything. Presidio's recognizer reads the
groups greedily, so a capital letter after the IBAN ("... 6449 Here is", "...3460 Please")
became part of the candidate and the checksum failed: the IBAN leaked. Here the candidate
is cut back, group boundary by group boundary, to the length the country's format has, and
only a cut with a valid format and mod-97 checksum is reported."""

from __future__ import annotations

import regex as re
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers.generic.iban_patterns import regex_per_country

#: a country code, check digits and up to 30 more letters or digits with single blanks
#: between them; entered only where no letter or digit comes before, so linear in the text
_CANDIDATE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){8,30}+")
_FORMAT = {cc: re.compile("^" + rx + "$") for cc, rx in regex_per_country.items()}


def iban_ok(compact: str) -> bool:
    """The mod-97 checksum of ISO 13616 over an IBAN without blanks."""
    s = compact[4:] + compact[:4]
    n = 0
    for ch in s:
        n = (n * (100 if ch.isalpha() else 10) + (ord(ch) - 55 if ch.isalpha() else ord(ch) - 48)) % 97
    return n == 1


class IbanCutRecognizer(EntityRecognizer):
    """IBAN_CODE: a valid IBAN at the start of a candidate run, whatever follows it."""

    ENTITY = "IBAN_CODE"

    def __init__(self, supported_language: str = "en"):
        super().__init__(supported_entities=[self.ENTITY], name="IbanCutRecognizer", supported_language=supported_language)

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None) -> list[RecognizerResult]:
        if entities and self.ENTITY not in entities:
            return []
        out = []
        for m in _CANDIDATE.finditer(text):
            fmt = _FORMAT.get(m.group()[:2])
            if fmt is None:
                continue
            value = m.group()
            # cut points: after a letter or digit that a blank or the end follows
            for end in range(len(value), 11, -1):
                if value[end - 1] == " " or (end < len(value) and value[end] != " "):
                    continue
                cand = value[:end]
                if end < len(text[m.start():]) and text[m.start() + end].isalnum():
                    continue  # "...3460Please": glued to a word
                compact = cand.replace(" ", "")
                if fmt.match(cand) and iban_ok(compact):
                    out.append(RecognizerResult(
                        self.ENTITY, m.start(), m.start() + end, 1.0,
                        recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                              RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id},
                    ))
                    break
        return out
