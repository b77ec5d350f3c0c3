"""HTML into sections: boilerplate removed with selectolax and the main content walked into
headings, paragraphs, lists, tables and code blocks; or trafilatura's main text."""

from __future__ import annotations

import re
from typing import Any

from curate.errors import require
from curate.sources.chunking import Section, slugify

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
        # the page's title heads every heading path: its first h1, else its <title> (a
        # PostgreSQL reference page has no h1: its command name is an h2 like "Synopsis")
        h1 = main.css_first("h1")
        h1_text = _WS.sub(" ", h1.text(separator=" ")).strip() if h1 is not None else ""
        w = _HtmlWalker(h1_text or doc_title)
        w.walk(main)
        return meta, w.finish()


class _HtmlWalker:
    def __init__(self, title: str | None):
        self.root = [title] if title else []
        self.sections: list[Section] = []
        self.stack: list[tuple[int, str, str | None]] = []
        self.cur = Section(list(self.root), None, [], 0)
        self.titled = False  # the heading that repeats the title has been seen
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
        if not self.titled and not self.stack and self.root and _same(text, self.root[0]):
            # the page's own heading: the root of the path, not a level below it
            self.titled = True
            self.cur = Section(list(self.root), anchor, [], level)
            return
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, text, anchor))
        self.cur = Section(self.root + [s[1] for s in self.stack], anchor, [], level)

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


def _same(a: str, b: str) -> bool:
    """Headings equal but for white space ("(JIT)" in a <title>, "( JIT )" from the tags
    of the heading's text)."""
    return "".join(a.split()) == "".join(b.split())


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


def _decode_html(raw: bytes, default: str) -> str:
    head = raw[:2048].decode("ascii", "ignore")
    m = re.search(r"""<meta[^>]+charset\s*=\s*["']?([\w\-]+)""", head, re.IGNORECASE)
    enc = m.group(1) if m else default
    try:
        return raw.decode(enc, errors="replace")
    except LookupError:
        return raw.decode(default, errors="replace")
