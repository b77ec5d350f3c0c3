"""DOCX into sections (python-docx): "Title" and "Heading N" styles give the headings; lists
and tables are kept as text. The package is checked first (:mod:`.archive`); python-docx
parses its XML without resolving entities, and lxml's default limits on depth and text
size hold."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from curate.errors import require
from curate.sources.chunking import Section, slugify
from curate.sources.docs.archive import check_zip
from curate.sources.docs.config import MAX_INFLATE_RATIO, MAX_UNPACKED_BYTES
from curate.sources.docs.errors import DocError


def docx_sections(source: Path | bytes, *, max_unpacked: int = MAX_UNPACKED_BYTES,
                  max_ratio: float = MAX_INFLATE_RATIO) -> tuple[dict[str, Any], list[Section]]:
    docx = require("docx", "docs", "The docs source (DOCX files)")
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    check_zip(data, max_unpacked, max_ratio)  # before python-docx inflates every member
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # a bad zip, a missing part, ...
        raise DocError(f"not a readable DOCX file ({type(exc).__name__})") from None
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    doc_title = (document.core_properties.title or "").strip() or None
    meta: dict[str, Any] = {"doc_title": doc_title} if doc_title else {}
    sections: list[Section] = []
    stack: list[tuple[int, str, str]] = []
    root: list[str] = []
    cur = Section([], None, [], 0)
    used: dict[str, int] = {}
    for el in document.element.body.iterchildren():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(el, document)
            text = para.text.strip()
            style = (para.style.name if para.style is not None else "") or ""
            level = 0
            if style == "Title":
                level = -1
            else:
                m = re.match(r"Heading (\d)", style)
                if m:
                    level = int(m.group(1))
            if level == -1 and text:
                root = [text]
                meta.setdefault("doc_title", text)
                if cur.blocks:
                    sections.append(cur)
                cur = Section(list(root), None, [], 0)
                continue
            if level > 0 and text:
                if cur.blocks:
                    sections.append(cur)
                anchor = slugify(text)
                if anchor in used:
                    used[anchor] += 1
                    anchor = f"{anchor}-{used[anchor]}"
                else:
                    used[anchor] = 0
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, text, anchor))
                cur = Section(root + [s[1] for s in stack], anchor, [], level)
                continue
            if text:
                prefix = "- " if "List" in style else ""
                if style.startswith(("Code", "HTML Preformatted", "Source")) or "Code" in style:
                    text = f"```\n{para.text}\n```"
                cur.blocks.append(prefix + text)
        elif tag == "tbl":
            table = Table(el, document)
            rows = []
            for row in table.rows:
                cells = []
                for c in row.cells:
                    t = " ".join(c.text.split())
                    if t and (not cells or cells[-1] != t):  # merged cells repeat
                        cells.append(t)
                if cells:
                    rows.append(" | ".join(cells))
            if rows:
                cur.blocks.append("\n".join(rows))
    if cur.blocks:
        sections.append(cur)
    return meta, sections
