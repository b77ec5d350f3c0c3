"""Inline Markdown scanned in linear time: code spans, links and images, comments.

A page is source data, so a line may be a megabyte of backticks or brackets. The natural
regular expressions for these constructs (``(`+)(.+?)\\1``, ``\\[([^\\]]*)\\]\\([^)]*\\)``,
``<!--.*?-->``) rescan the rest of the text from every opening that is never closed:
quadratic or worse (20 kB of backticks took 99 s). Each helper here finds every closing
with at most one ``str.find`` per opening and stops as soon as no closing can follow, so
its cost grows with the text, whatever the text.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Iterator

_BACKTICKS = re.compile(r"`+")
_FEW = 8  # up to this many backtick runs, pairs are compared directly


def code_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each code span, left to right: a run of backticks opens a span that
    the next run of the same length on the same line closes (CommonMark); an opening run
    with no such run after it is plain text."""
    if "`" not in text:
        return
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(text)]
    if len(runs) <= _FEW:
        yield from _few_spans(text, runs)
        return
    line_of: list[int] = []
    line = last = 0
    for s, _ in runs:  # the line of each run, counting each line break once
        line += text.count("\n", last, s)
        line_of.append(line)
        last = s
    later: dict[tuple[int, int], deque[int]] = defaultdict(deque)  # (line, length) -> runs
    for k, (s, e) in enumerate(runs):
        later[line_of[k], e - s].append(k)
    k = 0
    while k < len(runs):
        s, e = runs[k]
        same = later[line_of[k], e - s]
        while same and same[0] <= k:
            same.popleft()
        if same:
            close = same.popleft()
            yield s, runs[close][1]
            k = close + 1
        else:
            k += 1


def _few_spans(text: str, runs: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """code_spans for a line with a handful of runs (most lines that have any): each run
    compared with those after it, which costs less than indexing them."""
    k = 0
    while k < len(runs):
        s, e = runs[k]
        for j in range(k + 1, len(runs)):
            s2, e2 = runs[j]
            if e2 - s2 == e - s and text.find("\n", e, s2) < 0:
                yield s, e2
                k = j
                break
        k += 1


def strip_between(text: str, opening: str, closing: str) -> str:
    """``text`` without every ``opening ... closing`` stretch (the shortest, left to right),
    as ``re.sub(opening + ".*?" + closing, "", text, flags=re.DOTALL)`` leaves it."""
    out: list[str] = []
    pos = 0
    while True:
        i = text.find(opening, pos)
        if i < 0:
            break
        j = text.find(closing, i + len(opening))
        if j < 0:
            break  # no later opening can be closed either
        out.append(text[pos:i])
        pos = j + len(closing)
    out.append(text[pos:])
    return "".join(out)


def replace_links(text: str, *, images: bool) -> str:
    """Markdown links ``[label](target)`` replaced by their label, or (``images``) images
    ``![alt](target)`` removed: what ``re.sub(r"!?\\[([^\\]]*)\\]\\([^)]*\\)", r"\\1", text)``
    (or ``r"!\\[[^\\]]*\\]\\([^)]*\\)"`` and ``""``) gives. Every ``[`` before the same
    ``]`` shares that ``]`` and the ``)`` after it, so each is looked up once."""
    if ("![" if images else "](") not in text:
        return text  # most lines: nothing to replace
    out: list[str] = []
    pos = 0
    close = close_paren = -2  # the cached "]" and the ")" after it
    for i in (m.start() for m in re.finditer(r"\[", text)):
        if i < pos:
            continue  # inside the link just replaced
        bang = i - 1 >= pos and text[i - 1] == "!"
        if images and not bang:
            continue
        if close < i:
            close = text.find("]", i + 1)
            if close < 0:
                break  # no "]" after: no later "[" makes a link
            close_paren = -2
        if text[close + 1:close + 2] != "(":
            continue
        if close_paren == -2:
            close_paren = text.find(")", close + 2)
        if close_paren < 0:
            break  # no ")" after this "]": none after a later one either
        start = i - 1 if bang else i
        out.append(text[pos:start])
        if not images:
            out.append(text[i + 1:close])
        pos = close_paren + 1
    out.append(text[pos:])
    return "".join(out)
