"""Texts longer than spaCy's limit are analysed in overlapping pieces: nothing is missed at
a cut, and a 10 MB ticket is redacted rather than failing the build."""

from __future__ import annotations

from curate.pii.engine import PIECE_CHARS, split_long


def test_split_long_covers_the_text_with_overlaps():
    text = ("word " * 40_000) + "\n" + ("more text here " * 10_000)
    pieces = split_long(text, size=10_000, overlap=300)
    assert pieces[0][0] == 0
    for (o1, p1), (o2, p2) in zip(pieces, pieces[1:]):
        assert o2 < o1 + len(p1), "consecutive pieces overlap"
        assert o1 + len(p1) - o2 <= 300
        assert all(len(p) <= 10_000 for _, p in pieces)
    assert pieces[-1][0] + len(pieces[-1][1]) == len(text)
    for off, p in pieces:
        assert text[off:off + len(p)] == p
    assert split_long("short") == [(0, "short")]


def test_pii_at_a_cut_and_far_into_a_long_text_is_found(default_analyzer):
    filler = "The export job keeps failing on the nightly schedule. " * 1_000
    email = "maria.lopez@example.org"
    card = "4111 1111 1111 1111"
    text = filler + f"Contact {email} now. " + filler * 2 + f"My card is {card}. " + filler
    assert len(text) > 2 * PIECE_CHARS
    # one text straddling a cut: place the email right where the first cut falls
    cut = split_long(text)[1][0] + 5
    text = text[:cut] + f" {email} " + text[cut:]
    dets = default_analyzer.analyze_texts([text])[0]
    found = {(text[d.start:d.end], d.entity) for d in dets}
    assert (email, "EMAIL_ADDRESS") in found
    assert (card, "CREDIT_CARD") in found
    assert sum(1 for d in dets if text[d.start:d.end] == email) == 2
    # spans never overlap after the pieces are merged
    spans = sorted((d.start, d.end) for d in dets)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
