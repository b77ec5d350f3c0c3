"""PDF into sections (pypdf): the outline gives the headings; without one, each page is a
section."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from curate.errors import require
from curate.sources.chunking import Section
from curate.sources.docs.errors import DocError


def pdf_sections(path: Path, stem: str) -> tuple[dict[str, Any], list[Section]]:
    pypdf = require("pypdf", "docs", "The docs source (PDF files)")
    try:
        reader = pypdf.PdfReader(str(path))
        if reader.is_encrypted:
            raise DocError("encrypted PDF")
        pages = [(p.extract_text() or "") for p in reader.pages]
    except DocError:
        raise
    except Exception as exc:  # pypdf raises many types on a damaged file
        raise DocError(f"not a readable PDF ({type(exc).__name__})") from None
    info = reader.metadata or {}
    doc_title = str(info.get("/Title") or "").strip() or None
    meta: dict[str, Any] = {"pages": len(pages)}
    if doc_title:
        meta["doc_title"] = doc_title
    outline: list[tuple[int, str, int]] = []  # (level, title, page index)

    def walk(items, level: int) -> None:
        for it in items:
            if isinstance(it, list):
                walk(it, level + 1)
                continue
            try:
                page = reader.get_destination_page_number(it)
            except Exception:
                continue
            title = str(getattr(it, "title", "") or "").strip()
            if title and page is not None and page >= 0:
                outline.append((level, title, page))

    try:
        walk(reader.outline, 1)
    except Exception:
        outline = []
    root = [doc_title] if doc_title else []
    if outline and doc_title and min(outline, key=lambda x: (x[2], x[0]))[1] == doc_title:
        root = []  # the outline starts with the title itself
    if not outline:
        secs = [Section(root + [f"page {i + 1}"], f"page={i + 1}", _pdf_blocks(t), 1) for i, t in enumerate(pages)]
        return meta, [s for s in secs if s.blocks]
    # cut each page's text at the outline headings that fall on it
    outline.sort(key=lambda x: x[2])
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    first = outline[0][2]
    if first > 0 or pages[0].strip():
        pre = "\n".join(pages[:first])
        head_pos = pages[first].find(outline[0][1]) if first < len(pages) else -1
        if head_pos > 0:
            pre += "\n" + pages[first][:head_pos]
        if pre.strip():
            sections.append(Section(root or [stem], "page=1", _pdf_blocks(pre), 0))
    for k, (level, title, page) in enumerate(outline):
        start_text = pages[page]
        pos = start_text.find(title)
        body_start = pos + len(title) if pos >= 0 else 0
        if k + 1 < len(outline):
            _, ntitle, npage = outline[k + 1]
            if npage == page:
                npos = start_text.find(ntitle, body_start)
                text = start_text[body_start: npos if npos >= 0 else None]
            else:
                text = start_text[body_start:] + "\n" + "\n".join(pages[page + 1: npage])
                npos = pages[npage].find(ntitle) if npage < len(pages) else -1
                if npos > 0:
                    text += "\n" + pages[npage][:npos]
        else:
            text = start_text[body_start:] + "\n" + "\n".join(pages[page + 1:])
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        sections.append(Section(root + [s[1] for s in stack], f"page={page + 1}", _pdf_blocks(text), level))
    return meta, [s for s in sections if s.blocks]


def _pdf_blocks(text: str) -> list[str]:
    text = re.sub(r"-\n(?=[a-z])", "", text)  # words hyphenated across lines
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text)]
    return [b for b in blocks if b]
