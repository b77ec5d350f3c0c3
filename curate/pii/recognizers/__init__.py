"""Recognizers Presidio lacks for support data. Each is a Presidio ``EntityRecognizer``,
so they also work in a plain ``AnalyzerEngine``."""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer

from curate.pii.config import RedactConfig
from curate.pii.recognizers.address import StreetAddressRecognizer
from curate.pii.recognizers.address_cue import AddressCueRecognizer
from curate.pii.recognizers.cards import card_recognizer
from curate.pii.recognizers.custom import deny_list_recognizers, pattern_recognizers
from curate.pii.recognizers.iban import IbanCutRecognizer
from curate.pii.recognizers.ids import id_recognizer
from curate.pii.recognizers.lexicon_names import LexiconNameRecognizer
from curate.pii.recognizers.names import (
    NameListRecognizer,
    OrgAsPersonRecognizer,
    TranscriptRecognizer,
    name_recognizer,
)
from curate.pii.recognizers.network import ip_recognizer, username_recognizer
from curate.pii.recognizers.phone import phone_recognizer
from curate.pii.recognizers.credentials import secret_recognizer


def support_recognizers(config: RedactConfig) -> list[EntityRecognizer]:
    """curate's recognizers for ``config`` (its patterns and deny list included)."""
    lang = config.language
    recs: list[EntityRecognizer] = [
        name_recognizer(lang),
        NameListRecognizer(lang),
        OrgAsPersonRecognizer(lang),
        TranscriptRecognizer(lang),
        LexiconNameRecognizer(lang),
        StreetAddressRecognizer(lang),
        AddressCueRecognizer(lang),
        phone_recognizer(lang),
        card_recognizer(lang),
        ip_recognizer(lang),
        secret_recognizer(lang),
        username_recognizer(lang),
        id_recognizer(lang),
        IbanCutRecognizer(lang),
    ]
    recs += pattern_recognizers(config.patterns, lang)
    recs += deny_list_recognizers(config.deny_list, lang)
    return recs


__all__ = ["support_recognizers"]
