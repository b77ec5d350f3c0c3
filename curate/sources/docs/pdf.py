"""PDF into sections (pypdf): the outline gives the headings; without one, each page is a
section.

A PDF is read with limits on top of pypdf's own (which bound each stream's decompression):
the cross-reference table may list at most ``max_objects`` objects and the page tree hold
at most ``max_pages`` pages (its declared ``/Count`` is checked before the tree is walked,
and the pages found after), and the extracted text may reach at most ``max_text`` bytes,
checked page by page."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from curate.errors import require
from curate.sources.chunking import Section
from curate.sources.docs.config import MAX_PDF_OBJECTS, MAX_PDF_PAGES, MAX_UNPACKED_BYTES
from curate.sources.docs.errors import DocError
from curate.sources.limits import too_large


def _declared_pages(reader: Any) -> int:
    try:
        return int(reader.trailer["/Root"]["/Pages"].get("/Count", 0))
    except Exception:  # a damaged page tree: counted again when walked
        return 0


def pdf_sections(source: Path | bytes, stem: str, *, max_pages: int = MAX_PDF_PAGES, max_objects: int = MAX_PDF_OBJECTS,
                 max_text: int = MAX_UNPACKED_BYTES) -> tuple[dict[str, Any], list[Section]]:
    pypdf = require("pypdf", "docs", "The docs source (PDF files)")
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DocError("encrypted PDF")
        objects = sum(len(v) for v in reader.xref.values()) + len(reader.xref_objStm)
        if objects > max_objects:
            raise DocError(f"PDF of {objects:,} objects, over the limit of {max_objects:,} (max_pdf_objects)")
        declared = _declared_pages(reader)
        if declared > max_pages:
            raise DocError(f"PDF of {declared:,} pages, over the limit of {max_pages:,} (max_pdf_pages)")
        found = len(reader.pages)
        if found > max_pages:
            raise DocError(f"PDF of {found:,} pages, over the limit of {max_pages:,} (max_pdf_pages)")
        pages: list[str] = []
        size = 0
        for p in reader.pages:
            pages.append(p.extract_text() or "")
            size += len(pages[-1].encode("utf-8", "surrogatepass"))
            if size > max_text:
                raise DocError(too_large("PDF text", size, max_text, "max_unpacked_bytes", at_least=True))
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
