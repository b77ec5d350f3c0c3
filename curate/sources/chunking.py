"""Documents as sections (a heading path, an anchor, blocks of text) and chunks cut along
them: a section that fits is one chunk; a longer one is cut between blocks (paragraphs,
code blocks, table rows) to at most ``max_chars``, each later piece starting with the last
``overlap_chars`` of the piece before; a short section is merged with the sections around
it under the same parent (:func:`merge_small`), so a heading with one sentence does not
become a chunk of its own."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field


@dataclass
class Section:
    """A run of blocks under one heading path."""

    path: list[str]
    anchor: str | None
    blocks: list[str] = field(default_factory=list)
    level: int = 0

    def size(self) -> int:
        return sum(len(b) for b in self.blocks) + 2 * max(0, len(self.blocks) - 1)


@dataclass
class Chunk:
    title: str | None
    anchor: str | None
    text: str
    path: list[str]
    part: int  # 0 for the first piece of a section
    parts: int


def slugify(text: str) -> str:
    """A GitHub / Docusaurus style anchor: lower case, punctuation dropped, spaces to '-'."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return re.sub(r" ", "-", text)


def merge_small(sections: list[Section], min_chars: int, max_chars: int | None = None) -> list[Section]:
    """Merge sections shorter than ``min_chars`` with their neighbours under the same
    parent, so that a heading with one sentence ("Parameters", a one-line option) does not
    become a chunk of its own:

    - a short section takes in the sections after it while it is short: its subsections
      (always, as a section's introduction belongs with what follows), and its next
      siblings and their subsections as long as the merged text stays within ``max_chars``;
    - a short section nothing took in joins the section before it, when that is its
      parent or a sibling (or inside one) and the merged text stays within ``max_chars``.

    A merged section's heading path is what the merged ones share (``Page > Compatibility``
    for two of its subsections); each merged heading below that becomes a line of its
    text, and the first section's anchor is kept."""
    first: list[Section] = []
    for sec in sections:
        prev = first[-1] if first else None
        if prev is not None and prev.size() < min_chars and _joins(prev, sec, max_chars, forward=True):
            first[-1] = _merge(prev, sec)
        else:
            first.append(sec)
    out: list[Section] = []
    for sec in first:
        prev = out[-1] if out else None
        if prev is not None and sec.size() < min_chars and _joins(prev, sec, max_chars, forward=False):
            out[-1] = _merge(prev, sec)
        else:
            out.append(sec)
    return [s for s in out if any(b.strip() for b in s.blocks)]


def _common(a: list[str], b: list[str]) -> list[str]:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _joins(a: Section, b: Section, max_chars: int | None, forward: bool) -> bool:
    """Whether ``b`` (right after ``a``) may be merged with it."""
    if b.path[: len(a.path)] == a.path and forward:
        return True  # a's subsection: a introduces it
    parent = a.path[:-1]
    if b.path[: len(parent)] != parent or not (_common(a.path, b.path) or not a.path):
        return False  # b is not under a's parent (a new chapter), or they share no heading
    return max_chars is None or _merge(a, b).size() <= max_chars


def _merge(a: Section, b: Section) -> Section:
    common = _common(a.path, b.path)

    def blocks(s: Section) -> list[str]:
        below = s.path[len(common):]
        return ([" > ".join(below)] if below else []) + s.blocks

    return Section(common, a.anchor, blocks(a) + blocks(b), a.level)


def _split_block(block: str, max_chars: int) -> list[str]:
    """A block longer than ``max_chars``: cut at line ends, then sentence ends, then spaces.
    A fenced code block cut in pieces gets its fence around every piece."""
    if len(block) <= max_chars:
        return [block]
    # each fence run ends where its character does: without the lookaheads, a line of
    # backticks without a line break was retried from every length (quadratic)
    fence = re.match(r"^(`{3,}(?!`)|~{3,}(?!~))[^\n]*\n", block)
    if fence and block.rstrip().endswith(fence.group(1)) and max_chars > 2 * len(fence.group(0)) + 8:
        opener = fence.group(0)
        closer = "\n" + fence.group(1)
        inner = block[len(opener): block.rstrip().rfind(fence.group(1))].strip("\n")
        room = max_chars - len(opener) - len(closer)
        return [opener + piece + closer for piece in _split_block(inner, room)]
    for sep in ("\n", ". ", " "):
        pieces = block.split(sep)
        if len(pieces) > 1:
            out: list[str] = []
            cur = ""
            for p in pieces:
                cand = f"{cur}{sep}{p}" if cur else p
                if len(cand) > max_chars and cur:
                    out.append(cur)
                    cur = p
                else:
                    cur = cand
            if cur:
                out.append(cur)
            if all(len(o) <= max_chars for o in out):
                return out
            return [x for o in out for x in _split_block(o, max_chars)]
    return [block[i: i + max_chars] for i in range(0, len(block), max_chars)]


def _overlap(blocks: list[str], n: int) -> list[str]:
    """The end of a finished chunk to repeat at the start of the next: whole trailing blocks
    that fit in ``n`` characters, else the last words of the last block (never part of a
    code block: a fence cut in half would break the text)."""
    if n <= 0 or not blocks:
        return []
    out: list[str] = []
    size = 0
    for b in reversed(blocks):
        if size + len(b) + 2 > n:
            break
        out.insert(0, b)
        size += len(b) + 2
    if out:
        return out
    last = blocks[-1]
    if last.lstrip().startswith(("```", "~~~")) or n < 40:
        return []  # no half code blocks, no word fragments
    cut = last[-n:]
    sp = cut.find(" ")
    return [cut[sp + 1:]] if 0 <= sp < len(cut) // 2 else []


def chunk_section(sec: Section, max_chars: int, overlap_chars: int) -> list[str]:
    blocks = [p for b in sec.blocks if b.strip() for p in _split_block(b.strip(), max_chars)]
    pieces: list[str] = []
    cur: list[str] = []
    size = 0
    fresh = 0  # blocks in ``cur`` that are not overlap
    for b in blocks:
        add = len(b) + (2 if cur else 0)
        if cur and size + add > max_chars and fresh:
            pieces.append("\n\n".join(cur))
            cur = _overlap(cur, min(overlap_chars, max_chars - len(b) - 2))
            size = sum(len(x) for x in cur) + 2 * max(0, len(cur) - 1)
            fresh = 0
            add = len(b) + (2 if cur else 0)
        cur.append(b)
        size += add
        fresh += 1
    if cur and fresh:
        pieces.append("\n\n".join(cur))
    return pieces


def make_chunks(sections: list[Section], max_chars: int, overlap_chars: int, min_chars: int) -> list[Chunk]:
    out: list[Chunk] = []
    for sec in merge_small(sections, min_chars, max_chars):
        pieces = chunk_section(sec, max_chars, overlap_chars)
        for i, text in enumerate(pieces):
            out.append(Chunk(" > ".join(sec.path) or None, sec.anchor, text, sec.path, i, len(pieces)))
    return out
