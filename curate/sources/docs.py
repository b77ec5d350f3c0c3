"""Documentation: Markdown / MDX, HTML, PDF and DOCX files, chunked along their headings.

- **Markdown / MDX**: YAML front matter goes to ``meta`` (its ``title`` is the page title);
  MDX ``import`` / ``export`` lines and JSX tags are removed (text between tags is kept), a
  Docusaurus partial imported from a relative ``_file.md(x)`` is inlined where its tag
  stands, admonitions (``:::note``) become a plain "Note:" line, HTML comments go. Code
  blocks are kept as they are (an ``import`` inside a code block is code).
- **HTML**: parsed with selectolax; navigation, page headers and footers, sidebars, tables
  of contents and scripts are removed (semantic elements, ARIA roles and the usual
  class names), the main content (``<main>``, ``[role=main]``, ``<article>``, or the body)
  is walked into headings, paragraphs, lists, tables and code blocks. ``extractor:
  trafilatura`` uses trafilatura's main-text extraction instead (for web pages without a
  clean heading structure: one section per page).
- **PDF** (pypdf): the outline (bookmarks) gives the headings; without one, every page is
  a section. The locator is ``file.pdf#page=N``.
- **DOCX** (python-docx): "Title" and "Heading N" paragraph styles give the headings;
  lists and tables are kept as text.

Every chunk is one Record of kind ``doc`` with one ``user`` turn; its title is the heading
path ("Page > Section > Subsection") and its locator the file plus the heading's anchor.
A file with no text is skipped (``empty_document``); one that cannot be read is a reject.

Example::

    sources:
      - type: docs
        name: handbook
        path: website/docs            # a file, a folder or a glob
        include: ["**/*.md", "**/*.mdx"]
        base_url: https://example.org/docs/
        max_chars: 2000
        overlap_chars: 200
"""

from __future__ import annotations

import fnmatch
import glob
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationInfo, field_validator, model_validator

from curate.errors import require
from curate.records import RecordError, make_record
from curate.sources.base import (
    Event,
    Reject,
    Skip,
    Source,
    SourceConfig,
    SourceState,
    register_source,
)
from curate.sources.chunking import Section, make_chunks, slugify
from curate.store import sha256_file

FORMATS = {".md": "markdown", ".markdown": "markdown", ".mdx": "markdown", ".html": "html", ".htm": "html",
           ".xhtml": "html", ".pdf": "pdf", ".docx": "docx"}


class DocsSourceConfig(SourceConfig):
    """Documentation files chunked along their headings."""

    path: str = Field(description="A file, a folder (searched recursively) or a glob, relative to the config file.")
    include: list[str] = Field(
        default_factory=lambda: ["**/*.md", "**/*.mdx", "**/*.markdown", "**/*.html", "**/*.htm", "**/*.pdf", "**/*.docx"],
        description="Glob patterns (relative to `path`) of the files to read in a folder.",
    )
    exclude: list[str] = Field(
        default_factory=lambda: ["**/_*", "_*", "**/node_modules/**"],
        description="Glob patterns of files to leave out. The default leaves out Docusaurus partials (_name.mdx): "
        "they are inlined where a page imports them.",
    )
    max_chars: int = Field(default=2000, ge=200, description="Largest chunk, in characters (about 4 characters per token in English).")
    overlap_chars: int = Field(default=200, ge=0, description="Characters of a section's previous chunk repeated at the start of the next one.")
    min_chars: int = Field(default=200, ge=0, description="A section shorter than this is merged into the subsection that follows it.")
    extractor: Literal["structure", "trafilatura"] = Field(
        default="structure",
        description="HTML: 'structure' keeps the heading structure (boilerplate removed with selectolax); "
        "'trafilatura' uses trafilatura's main-text extraction (one section per page).",
    )
    remove_selectors: list[str] = Field(
        default_factory=list, description="HTML: extra CSS selectors of elements to remove (site-specific boilerplate)."
    )
    base_url: str | None = Field(
        default=None,
        description="If set, meta.url is base_url + the file's path without its extension + '#anchor' (a link to the published page).",
    )
    encoding: str = Field(default="utf-8", description="Text encoding of Markdown and HTML files (HTML's own charset declaration wins).")

    @field_validator("path")
    @classmethod
    def _exists(cls, v: str, info: ValidationInfo) -> str:
        base = (info.context or {}).get("base_dir")
        if base is not None and not _expand(Path(base), v, ["**/*"], []):
            raise ValueError(f"file not found: {v}")
        return v

    @model_validator(mode="after")
    def _sizes(self) -> DocsSourceConfig:
        if self.overlap_chars >= self.max_chars // 2:
            raise ValueError("overlap_chars must be less than half of max_chars")
        return self


def _expand(base: Path, pattern: str, include: list[str], exclude: list[str]) -> list[Path]:
    p = Path(pattern).expanduser()
    p = p if p.is_absolute() else base / p
    if p.is_file():
        return [p]
    if p.is_dir():
        out = []
        for f in sorted(p.rglob("*")):
            if not f.is_file():
                continue
            rel = f.relative_to(p).as_posix()
            if any(_match(rel, pat) for pat in include) and not any(_match(rel, pat) for pat in exclude):
                out.append(f)
        return out
    return sorted(Path(x) for x in glob.glob(str(p), recursive=True) if Path(x).is_file())


def _match(rel: str, pat: str) -> bool:
    if fnmatch.fnmatch(rel, pat):
        return True
    # "**/x" also matches "x" at the top
    return pat.startswith("**/") and fnmatch.fnmatch(rel, pat[3:])


class DocError(Exception):
    """A document that cannot be read; the message is the reject reason."""


# -- Markdown / MDX --------------------------------------------------------------------------

_FENCE = re.compile(r"^(\s{0,3})(`{3,}|~{3,})(.*)$")
_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_CUSTOM_ID = re.compile(r"\s*\{#([\w\-]+)\}\s*$")
# MDX module statements, in ES syntax only: a Markdown line of prose that starts with the
# word "import" or "export" ("import the CSV file you exported ...") is text, not code
_IMPORT = re.compile(
    r"""^\s*import\s+(?:type\s+)?(?:['"]|\{|\*\s*as\s+[\w$]+\s+from\s|[\w$]+\s*(?:,\s*(?:\{|\*)|\s+from\s+['"]))"""
)
_EXPORT = re.compile(r"^\s*export\s+(?:default\b|const\b|let\b|var\b|function\b|async\s+function\b|class\b|\{|\*)")
_IMPORT_PARTIAL = re.compile(r"""^\s*import\s+(\w+)\s+from\s+['"](\.{1,2}/[^'"]+\.mdx?)['"]""")
_JSX_LINE_START = re.compile(r"^\s*</?[A-Za-z][\w.:\-]*(\s|/?>|$)")
_TAG = re.compile(r"</?[A-Za-z][\w.:\-]*(?:\s+(?:[^<>{}\"']|\"[^\"]*\"|'[^']*'|\{(?:[^{}]|\{[^{}]*\})*\})*)?/?>")
#: a JSX tag with a template-literal attribute (``href={`...`}``): removed before code spans
_TAG_TEMPLATE_ATTR = re.compile(r"<[A-Za-z][\w.:\-]*\s[^<>]*=\{`[^`]*`\}[^<>]*>")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_SELF_CLOSING = re.compile(r"^\s*<([A-Z]\w*)\s*/>\s*$")
_ADMONITION = re.compile(r"^\s*:::(\w+)?\s*(.*)$")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_JSX_COMMENT = re.compile(r"\{/\*.*?\*/\}", re.DOTALL)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")


def split_front_matter(text: str) -> tuple[dict[str, Any], str, int]:
    """(front matter, the rest, number of lines the front matter took)."""
    if not text.startswith("---"):
        return {}, text, 0
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return {}, text, 0
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            try:
                data = yaml.safe_load("\n".join(lines[1:i])) or {}
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = f" at line {mark.line + 2}" if mark is not None else ""
                raise DocError(f"invalid YAML front matter{where}") from None
            if not isinstance(data, dict):
                raise DocError("front matter is not a mapping")
            return data, "\n".join(lines[i + 1:]), i + 1
    raise DocError("front matter is not closed (no second '---')")


def _inline(text: str) -> str:
    """Inline Markdown to text: links and images to their text, JSX/HTML tags removed
    (outside code spans)."""
    text = _TAG_TEMPLATE_ATTR.sub("", text)
    parts = []
    last = 0
    for m in _CODE_SPAN.finditer(text):
        parts.append(_inline_plain(text[last:m.start()]))
        parts.append(m.group(0))
        last = m.end()
    parts.append(_inline_plain(text[last:]))
    return "".join(parts)


def _inline_plain(text: str) -> str:
    text = _IMAGE.sub("", text)
    text = _LINK.sub(lambda m: m.group(1), text)
    return _TAG.sub("", text)


def _heading_text(raw: str) -> str:
    text = _inline(raw)
    text = re.sub(r"(\*\*|__|\*|_)(\S.*?\S|\S)\1", r"\2", text)
    return text.replace("`", "").strip()


class MarkdownReader:
    """Markdown / MDX text into sections."""

    def __init__(self, path: Path, encoding: str, depth: int = 0):
        self.path = path
        self.encoding = encoding
        self.depth = depth

    def clean_lines(self, text: str) -> list[str]:
        """The document's lines with MDX syntax removed and partials inlined; fenced code
        blocks untouched."""
        text = _HTML_COMMENT.sub("", _JSX_COMMENT.sub("", text))
        lines = text.split("\n")
        partials: dict[str, Path] = {}
        out: list[str] = []
        fence: str | None = None
        i = 0
        while i < len(lines):
            line = lines[i]
            m = _FENCE.match(line)
            if fence is not None:
                out.append(line)
                if m and m.group(2)[0] == fence[0] and len(m.group(2)) >= len(fence) and not m.group(3).strip():
                    fence = None
                i += 1
                continue
            if m:
                fence = m.group(2)
                out.append(line)
                i += 1
                continue
            if _IMPORT.match(line) or _EXPORT.match(line):
                pm = _IMPORT_PARTIAL.match(line)
                if pm:  # Prettier writes the '_' of a partial's name as '\_'
                    partials[pm.group(1)] = (self.path.parent / pm.group(2).replace("\\_", "_")).resolve()
                i = self._skip_statement(lines, i)
                continue
            sc = _SELF_CLOSING.match(line)
            if sc and sc.group(1) in partials and self.depth < 5:
                out.extend(self._partial(partials[sc.group(1)]))
                i += 1
                continue
            if _JSX_LINE_START.match(line):
                # a tag may span lines: join until its '>'
                j = i
                joined = line
                while not _TAG.search(joined) and j + 1 < len(lines) and j - i < 30:
                    j += 1
                    joined += " " + lines[j].strip()
                rest = _TAG.sub("", joined).strip()
                if rest:
                    out.append(rest)
                i = j + 1
                continue
            am = _ADMONITION.match(line)
            if am:
                if am.group(1):
                    label = am.group(1).capitalize()
                    title = re.sub(r"^\[(.*)\]$", r"\1", am.group(2).strip())
                    out.append(f"{label}: {title}" if title else f"{label}:")
                i += 1
                continue
            out.append(line)
            i += 1
        return out

    @staticmethod
    def _skip_statement(lines: list[str], i: int) -> int:
        """Index after an import/export statement (which may span lines)."""
        depth = 0
        j = i
        while j < len(lines):
            s = lines[j]
            depth += s.count("{") + s.count("(") + s.count("[") - s.count("}") - s.count(")") - s.count("]")
            ends = s.rstrip().endswith((";", "'", '"')) or re.search(r"""from\s+['"][^'"]+['"]\s*;?\s*$""", s)
            if depth <= 0 and (ends or not s.strip() or j + 1 >= len(lines) or not lines[j + 1].startswith((" ", "\t", "}", ")", "]"))):
                return j + 1
            j += 1
        return j

    def _partial(self, path: Path) -> list[str]:
        if not path.is_file():
            return []
        try:
            text = path.read_text(encoding=self.encoding)
        except (OSError, UnicodeDecodeError):
            return []
        _, body, _ = split_front_matter(text)
        return MarkdownReader(path, self.encoding, self.depth + 1).clean_lines(body)

    def sections(self, text: str) -> tuple[dict[str, Any], list[Section]]:
        meta, body, _ = split_front_matter(text)
        title = meta.get("title") or meta.get("sidebar_label")
        title = str(title).strip() if title else None
        lines = self.clean_lines(body)
        sections: list[Section] = []
        stack: list[tuple[int, str, str | None]] = []  # (level, text, anchor)
        root = [title] if title else []
        cur = Section(list(root), None, [], 0)
        block: list[str] = []
        fence: str | None = None
        used: dict[str, int] = {}

        def end_block() -> None:
            if block and any(b.strip() for b in block):
                cur.blocks.append("\n".join(block).strip("\n"))
            block.clear()

        prev_text = False
        for line in lines:
            m = _FENCE.match(line)
            if fence is not None:
                block.append(line)
                if m and m.group(2)[0] == fence[0] and len(m.group(2)) >= len(fence) and not m.group(3).strip():
                    fence = None
                    end_block()
                continue
            if m:
                end_block()
                fence = m.group(2)
                block.append(line)
                continue
            h = _ATX.match(line)
            setext = None
            if not h and prev_text and block and re.match(r"^\s{0,3}(=+|-+)\s*$", line) and len(block) == 1:
                setext = (1 if line.strip().startswith("=") else 2, block.pop())
            if h or setext:
                level, raw = (len(h.group(1)), h.group(2)) if h else setext
                end_block()
                if cur.blocks:
                    sections.append(cur)
                cid = _CUSTOM_ID.search(raw)
                raw = _CUSTOM_ID.sub("", raw)
                text_h = _heading_text(raw)
                anchor = cid.group(1) if cid else slugify(text_h)
                if anchor in used:
                    used[anchor] += 1
                    anchor = f"{anchor}-{used[anchor]}"
                else:
                    used[anchor] = 0
                if level == 1 and title and not stack and text_h == title:
                    cur = Section(list(root), None, [], 0)
                    prev_text = False
                    continue
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, text_h, anchor))
                cur = Section(root + [s[1] for s in stack], anchor, [], level)
                prev_text = False
                continue
            if not line.strip():
                end_block()
                prev_text = False
                continue
            if _RULE.match(line):  # a thematic break
                end_block()
                prev_text = False
                continue
            block.append(_inline(line).rstrip())
            prev_text = True
        end_block()
        if cur.blocks:
            sections.append(cur)
        return meta, sections


# -- HTML ------------------------------------------------------------------------------------

_HTML_DROP = "script,style,noscript,template,svg,nav,header,footer,aside,form,button,iframe,[role=navigation],[role=banner],[role=contentinfo],[role=search],[aria-hidden=true]"
_BOILER_TOKENS = ("nav", "breadcrumb", "sidebar", "menu", "footer", "header", "toc", "pagination", "skip", "cookie",
                  "edit-this-page", "headerlink", "theme-doc-footer", "sr-only", "visually-hidden")
_MAIN = ("main", "[role=main]", "article", "#content", "#main-content", ".content", "#docContent", ".document", "body")
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_HTML_BLOCK = {"p", "div", "section", "article", "main", "blockquote", "dl", "dt", "dd", "ul", "ol", "figure",
               "figcaption", "table", "thead", "tbody", "tfoot", "caption", "center", "details", "summary", "address"}
_WS = re.compile(r"\s+")


def _boilerplate(node) -> bool:
    attrs = node.attributes
    for key in ("class", "id"):
        for token in (attrs.get(key) or "").lower().split():
            if token.startswith(_BOILER_TOKENS) or token.endswith(("-nav", "-navigation", "-toc", "-sidebar", "-footer", "-header", "_nav", "_toc")):
                return True
    return False


class HtmlReader:
    """HTML into sections with selectolax."""

    def __init__(self, remove: list[str]):
        self.remove = remove

    def sections(self, html: str) -> tuple[dict[str, Any], list[Section]]:
        from selectolax.lexbor import LexborHTMLParser

        tree = LexborHTMLParser(html)
        title_node = tree.css_first("title")
        doc_title = _WS.sub(" ", title_node.text()).strip() if title_node else None
        meta: dict[str, Any] = {"doc_title": doc_title} if doc_title else {}
        for sel in (_HTML_DROP, *self.remove):
            for node in tree.css(sel):
                node.decompose()
        for node in tree.css("[class],[id]"):
            if node.tag not in ("html", "body", "main") and _boilerplate(node):
                node.decompose()
        main = None
        for sel in _MAIN:
            main = tree.css_first(sel)
            if main is not None and main.text(strip=True):
                break
        if main is None:
            return meta, []
        w = _HtmlWalker(doc_title)
        w.walk(main)
        return meta, w.finish()


class _HtmlWalker:
    def __init__(self, doc_title: str | None):
        self.doc_title = doc_title
        self.sections: list[Section] = []
        self.stack: list[tuple[int, str, str | None]] = []
        self.cur = Section([doc_title] if doc_title else [], None, [], 0)
        self.inline: list[str] = []
        self.used: dict[str, int] = {}

    def flush(self) -> None:
        text = _WS.sub(" ", "".join(self.inline)).strip()
        if text:
            self.cur.blocks.append(text)
        self.inline = []

    def block(self, text: str) -> None:
        self.flush()
        if text.strip():
            self.cur.blocks.append(text)

    def heading(self, node, level: int) -> None:
        self.flush()
        text = _WS.sub(" ", node.text(separator=" ")).strip()
        if not text:
            return
        anchor = _html_anchor(node) or slugify(text)
        if anchor in self.used:
            self.used[anchor] += 1
            anchor = f"{anchor}-{self.used[anchor]}"
        else:
            self.used[anchor] = 0
        if self.cur.blocks:
            self.sections.append(self.cur)
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, text, anchor))
        self.cur = Section([s[1] for s in self.stack], anchor, [], level)

    def walk(self, node) -> None:
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag not in ("-text", "-comment") and _is_admonition(child):
                # a note or warning box: its heading is a label, not a section
                self.flush()
                for h in child.css("h1,h2,h3,h4,h5,h6"):
                    label = _WS.sub(" ", h.text(separator=" ")).strip()
                    h.replace_with(f"{label}: " if label else "")
                self.walk(child)
                self.flush()
                continue
            if tag == "-text":
                self.inline.append(child.text(deep=False) or "")
            elif tag in _HEADINGS:
                self.heading(child, _HEADINGS[tag])
            elif tag == "pre":
                code = (child.text(deep=True) or "").strip("\n")
                self.block(f"```\n{code}\n```" if code.strip() else "")
            elif tag == "br":
                self.inline.append("\n")
                self.flush()
            elif tag == "li":
                self.flush()
                mark = len(self.cur.blocks)
                cur = self.cur
                self.walk(child)
                self.flush()
                if self.cur is cur:  # the item's paragraphs as one block, "- " in front
                    parts = cur.blocks[mark:]
                    if parts:
                        item = "- " + "\n  ".join("\n".join(parts).split("\n"))
                        cur.blocks[mark:] = [item]
            elif tag == "tr":
                cells = [_WS.sub(" ", c.text(separator=" ")).strip() for c in child.css("td,th")]
                self.block(" | ".join(c for c in cells if c))
            elif tag in ("table", "thead", "tbody", "tfoot"):
                self.flush()
                self.walk(child)
                self.flush()
            elif tag in ("img", "hr", "input", "select", "textarea", "-comment"):
                continue
            elif tag in _HTML_BLOCK:
                self.flush()
                self.walk(child)
                self.flush()
            else:
                self.walk(child)

    def finish(self) -> list[Section]:
        self.flush()
        if self.cur.blocks:
            self.sections.append(self.cur)
        return self.sections


_ADMONITIONS = {"note", "warning", "tip", "caution", "important", "admonition", "callout", "alert", "hint", "danger"}


def _is_admonition(node) -> bool:
    tokens = set((node.attributes.get("class") or "").lower().split())
    return bool(tokens & _ADMONITIONS) or any(t.startswith("admonition") for t in tokens)


def _html_anchor(node) -> str | None:
    if node.attributes.get("id"):
        return node.attributes["id"]
    for a in node.css("a[id],a[name]"):
        return a.attributes.get("id") or a.attributes.get("name")
    text = node.text(strip=True)
    parent = node.parent
    for _ in range(5):
        if parent is None:
            break
        pid = parent.attributes.get("id") if parent.tag not in ("body", "html") else None
        if pid:
            first = parent.css_first("h1,h2,h3,h4,h5,h6")
            if first is not None and first.text(strip=True) == text:
                return pid
            break
        parent = parent.parent
    return None


def trafilatura_sections(html: str) -> tuple[dict[str, Any], list[Section]]:
    trafilatura = require("trafilatura", "docs", "The docs source (extractor: trafilatura)")
    doc = trafilatura.bare_extraction(html, include_tables=True, favor_recall=True, with_metadata=True)
    if doc is None:
        return {}, []
    title = getattr(doc, "title", None)
    text = getattr(doc, "text", None) or ""
    blocks = [b.strip() for b in re.split(r"\n\s*\n|\n", text) if b.strip()]
    meta = {"doc_title": title} if title else {}
    return meta, [Section([title] if title else [], None, blocks, 0)] if blocks else []


# -- PDF and DOCX ------------------------------------------------------------------------------


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


def docx_sections(path: Path) -> tuple[dict[str, Any], list[Section]]:
    docx = require("docx", "docs", "The docs source (DOCX files)")
    try:
        document = docx.Document(str(path))
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


# -- the adapter -----------------------------------------------------------------------------


@register_source
class DocsSource(Source):
    """Markdown/MDX, HTML, PDF and DOCX documentation, chunked along headings."""

    type = "docs"
    Config = DocsSourceConfig
    default_kind = "doc"
    config: DocsSourceConfig

    def files(self) -> list[Path]:
        return _expand(self.base_dir, self.config.path, self.config.include, self.config.exclude)

    def _rel(self, f: Path) -> str:
        root = self.resolve(self.config.path)
        base = root if root.is_dir() else self.base_dir
        try:
            return f.relative_to(base).as_posix()
        except ValueError:
            return str(f)

    def _page(self, f: Path) -> str:
        """The file's path below ``path`` (its name when ``path`` is the file itself)."""
        root = self.resolve(self.config.path)
        return f.relative_to(root).as_posix() if root.is_dir() else f.name

    def fingerprint(self) -> dict[str, Any]:
        return {
            "config": self.config.model_dump(mode="json"),
            "files": {self._rel(f): sha256_file(f) for f in self.files()},
        }

    def parse(self, f: Path) -> tuple[str, dict[str, Any], list[Section]]:
        fmt = FORMATS.get(f.suffix.lower())
        if fmt is None:
            raise DocError(f"unsupported file type {f.suffix or '(none)'}")
        if fmt == "pdf":
            meta, secs = pdf_sections(f, f.stem)
            return fmt, meta, secs
        if fmt == "docx":
            meta, secs = docx_sections(f)
            return fmt, meta, secs
        raw = f.read_bytes()
        if fmt == "html":
            html = _decode_html(raw, self.config.encoding)
            if self.config.extractor == "trafilatura":
                meta, secs = trafilatura_sections(html)
            else:
                meta, secs = HtmlReader(self.config.remove_selectors).sections(html)
            return fmt, meta, secs
        try:
            text = raw.decode(self.config.encoding)
        except UnicodeDecodeError as exc:
            raise DocError(f"invalid {self.config.encoding} at byte {exc.start}") from None
        text = text.lstrip("\ufeff").replace("\r\n", "\n")
        meta, secs = MarkdownReader(f, self.config.encoding).sections(text)
        return fmt, {"front_matter": meta} if meta else {}, secs

    def read(self, state: SourceState) -> Iterator[Event]:
        cfg = self.config
        for f in self.files():
            rel = self._rel(f)
            try:
                fmt, meta, sections = self.parse(f)
            except DocError as exc:
                yield Reject(rel, str(exc))
                continue
            except OSError as exc:
                yield Reject(rel, f"unreadable file: {exc.strerror or type(exc).__name__}")
                continue
            except RecursionError:
                yield Reject(rel, "document nested too deeply")
                continue
            if not sections:
                yield Skip(rel, "empty_document")
                continue
            if not any(s.path for s in sections):
                for s in sections:
                    s.path = [Path(rel).stem]
            chunks = make_chunks(sections, cfg.max_chars, cfg.overlap_chars, cfg.min_chars)
            for n, ch in enumerate(chunks):
                locator = f"{rel}#{ch.anchor}" if ch.anchor else rel
                cmeta = {
                    **meta,
                    "format": fmt,
                    "file": rel,
                    "anchor": ch.anchor,
                    "heading_path": ch.path,
                    "chunk": n,
                    "chunks": len(chunks),
                    "section_part": ch.part,
                    "section_parts": ch.parts,
                }
                if cfg.base_url:
                    page = re.sub(r"\.(mdx?|markdown|html?|xhtml)$", "", self._page(f))
                    cmeta["url"] = cfg.base_url.rstrip("/") + "/" + page + (f"#{ch.anchor}" if ch.anchor and not ch.anchor.startswith("page=") else "")
                try:
                    yield make_record(
                        source=self.source_id,
                        native_id=rel,
                        chunk=n,
                        kind=self.kind,
                        messages=[{"role": "user", "content": ch.text}],
                        title=ch.title,
                        meta=cmeta,
                        locator=locator,
                    )
                except RecordError as exc:
                    yield Reject(locator, str(exc))


def _decode_html(raw: bytes, default: str) -> str:
    head = raw[:2048].decode("ascii", "ignore")
    m = re.search(r"""<meta[^>]+charset\s*=\s*["']?([\w\-]+)""", head, re.IGNORECASE)
    enc = m.group(1) if m else default
    try:
        return raw.decode(enc, errors="replace")
    except LookupError:
        return raw.decode(default, errors="replace")


__all__ = ["DocsSource", "DocsSourceConfig", "HtmlReader", "MarkdownReader"]
