"""Presidio's own pattern recognizers, run only around the character every match holds.

Presidio's e-mail pattern starts a try at every word boundary and reads the local part
up to the "@" with an unbounded repetition: 100 kB of "a.a.a.…@x.com" takes time quadratic
in the run. A match never crosses a blank and always holds its anchor ("@"), so the
recognizer is given only the blank-free stretch around each anchor: the same matches on
any ordinary text (a stretch is at most ``reach`` characters on each side of its anchor,
far more than an e-mail address needs), in time linear in the text."""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer

import regex as re

_BLANK_BEFORE = re.compile(r"(?r)[\s\x1c-\x1f]")
_BLANK = re.compile(r"[\s\x1c-\x1f]")


def stretches(text: str, anchor: str, reach: int) -> list[tuple[int, int]]:
    """The blank-free stretches of ``text`` around each ``anchor`` (at most ``reach``
    characters on each side of it), merged where they meet."""
    out: list[list[int]] = []
    pos = text.find(anchor)
    while pos >= 0:
        if out and pos < out[-1][1]:
            pos = text.find(anchor, out[-1][1])
            continue
        lo = max(out[-1][1] if out else 0, pos - reach)
        back = _BLANK_BEFORE.search(text, lo, pos)
        start = back.end() if back else lo
        fwd = _BLANK.search(text, pos, min(len(text), pos + len(anchor) + reach))
        end = fwd.start() if fwd else min(len(text), pos + len(anchor) + reach)
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
        pos = text.find(anchor, max(end, pos + 1))
    return [(a, b) for a, b in out]


def anchor_to(recognizer: EntityRecognizer, anchor: str, reach: int) -> EntityRecognizer:
    """Make ``recognizer`` (a Presidio PatternRecognizer whose every match holds
    ``anchor`` and no blank) analyse only the stretches around its anchor. The recognizer
    keeps its name, id and context words, so scores and context work as before."""
    whole = recognizer.analyze

    def analyze(text, entities, nlp_artifacts=None, *args, **kwargs):
        spans = stretches(text, anchor, reach)
        if not spans:
            return []
        if len(spans) == 1:
            a, b = spans[0]
            view = text[a:b]
        else:
            # one call (Presidio's fixed cost per call is about 40 us): the stretches
            # in place, everything between them blank
            a, parts, pos = 0, [], 0
            for s, e in spans:
                parts += [" " * (s - pos), text[s:e]]
                pos = e
            view = "".join(parts)
        out = whole(view, entities, nlp_artifacts, *args, **kwargs)
        for r in out:
            r.start += a
            r.end += a
        return out

    recognizer.analyze = analyze
    return recognizer
