"""The cheap necessary conditions that let a recognizer skip a costly pattern (Rule.requires,
the address EU-suffix check) never reject a text the pattern itself matches, whatever the
case or script; and which recognizer a tied detection is credited to does not change from
process to process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate.pii.recognizers import address
from curate.pii.recognizers.names import NAME_RULES

GUARDED = [(r.name, r.pattern, r.requires) for r in NAME_RULES if r.requires is not None] + [
    *[(f"street_{i}", pat, req) for i, (pat, req) in enumerate(address._STREET_PATTERNS) if req is not None],
]

# pieces the guarded patterns are made of, in several cases and scripts
FRAGMENTS = [
    "Maria", "Lopez", "MARIA", "ŽELJKO", "Željko", "O'Brien", "Jean-Luc", "de", "van", "J.", "İlker", "ſtraße",
    "lives", "LIVES", "Lived", "resides", "is living", "moved", "relocated", "at", "AT", "in", "on", "to",
    "from", "of", "the", "our", "your", "accounting", "Billing", "IT", "help desk", "Customer service",
    "can", "Could", "please", "Thank you", "I", "we", ",", ", ", ":", ': "', ":“", '"', "“",
    "Feldstrasse", "Feldstraße", "FELDSTRAẞE", "Augsburger", "Strasse", "straße", "gasse", "Weg", "ALLEE",
    "platz", "Vägen", "VÄGEN", "katu", "Luite", "tee", "Parijsstraat", "náměstí", "NÁMĚSTÍ", "ul.", "str.",
    "42", "8", "12B", "03220", "36/4", " ", " ", "  ", "\t", "\n", ".", "!", "-", "ß", "ẞ", "K", "ſ",
]


@pytest.mark.parametrize("name,pattern,requires", GUARDED, ids=[g[0] for g in GUARDED])
def test_prefilter_passes_every_text_the_pattern_matches_examples(name, pattern, requires):
    examples = [
        "Maria Lopez lives at 12 Main St", "MARIA LOPEZ RESIDES IN Lisbon", "Tom moved to Oslo",
        "Ana from the Billing team", "Tom in IT fixed it", "Henrietta of our accounting dept",
        "Warrane, can I please speak to your boss?", "Maria, THANK YOU so much",
        'Elizabeth: "I am here"', "Jo Kim:“hello”",
        "Feldstrasse 42", "Augsburger Straße 36", "FELDSTRAẞE 7", "Luite tee 87", "03220 Parijsstraat 8",
        "Hlavní NÁMĚSTÍ 3", "Kungsvägen 12", "ul. 5", "Mannerheimintie 4",
    ]
    for text in examples:
        if pattern.search(text):
            assert requires.search(text.casefold()), (name, text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=14), st.sampled_from(GUARDED))
def test_prefilter_passes_every_text_the_pattern_matches(parts, guarded):
    name, pattern, requires = guarded
    text = "".join(parts)
    if pattern.search(text):
        assert requires.search(text.casefold()), (name, text)


@given(st.text(min_size=1, max_size=60), st.sampled_from(GUARDED))
@settings(max_examples=300, deadline=None)
def test_prefilter_passes_every_matched_arbitrary_text(text, guarded):
    name, pattern, requires = guarded
    if pattern.search(text):
        assert requires.search(text.casefold()), (name, text)


def test_tied_detections_are_credited_alike_in_every_process():
    """Presidio returns the recognizers of a request in set order; curate orders them, so
    the recognizer a tie is credited to (which decides whether the NER plausibility filter
    applies) is the same in every process."""
    code = (
        "from curate.pii.config import RedactConfig\n"
        "from curate.pii.engine import PiiAnalyzer\n"
        "a = PiiAnalyzer(RedactConfig())\n"
        "t = 'Hi Maria Lopez,\\nthe export fails.\\n\\nThanks,\\nSam Patel\\nFrom: Jo Kim <jo@example.com>'\n"
        "print(sorted((d.start, d.end, d.entity, d.source) for d in a.analyze_texts([t])[0]))\n"
    )
    outs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outs.add(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout)
    assert len(outs) == 1
    assert "SupportNameRecognizer" in outs.pop()
