"""Markdown / MDX into sections: front matter to ``meta``, MDX statements and JSX tags
removed, Docusaurus partials inlined, admonitions as plain lines, code blocks untouched.

A partial is inlined only when its import resolves inside the source's root (under the
root's rules for symbolic links) and it is within the size limit; otherwise it is left out
and the reason is kept in :attr:`MarkdownReader.refused` for the adapter to report."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from curate.sources.chunking import Section, slugify
from curate.sources.docs.config import MAX_FRONT_MATTER_BYTES
from curate.sources.docs.frontmatter import split_front_matter
from curate.sources.docs.inline import code_spans, replace_links, strip_between
from curate.sources.limits import MAX_RECORD_BYTES, TooLarge, read_capped
from curate.sources.roots import Refusal, SourceRoot, open_entry

_FENCE = re.compile(r"^(\s{0,3})(`{3,}|~{3,})(.*)$")
# the heading's text is group 2 less a closing run of "#" (cut in Python: a lazy group
# before "\s*#*\s*$" is quadratic on a line of "#")
_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*)$")
_CUSTOM_ID = re.compile(r"\{#([\w\-]+)\}\s*$")
# MDX module statements, in ES syntax only: a Markdown line of prose that starts with the
# word "import" or "export" ("import the CSV file you exported ...") is text, not code
_IMPORT = re.compile(
    r"""^\s*import\s+(?:type\s+)?(?:['"]|\{|\*\s*as\s+[\w$]+\s+from\s|[\w$]+(?:\s*,\s*(?:\{|\*)|\s+from\s+['"]))"""
)
_EXPORT = re.compile(r"^\s*export\s+(?:default\b|const\b|let\b|var\b|function\b|async\s+function\b|class\b|\{|\*)")
_IMPORT_PARTIAL = re.compile(r"""^\s*import\s+(\w+)\s+from\s+['"](\.{1,2}/[^'"]+\.mdx?)['"]""")
_JSX_LINE_START = re.compile(r"^\s*</?[A-Za-z][\w.:\-]*(\s|/?>|$)")
# one "\s" before the attributes, not "\s+": the attributes take whitespace themselves, and
# two quantifiers over the same spaces made a run of them quadratic
_TAG = re.compile(r"</?[A-Za-z][\w.:\-]*(?:\s(?:[^<>{}\"']|\"[^\"]*\"|'[^']*'|\{(?:[^{}]|\{[^{}]*\})*\})*)?/?>")
#: a JSX tag with a template-literal attribute (``href={`...`}``): removed before code spans
_TAG_TEMPLATE_ATTR = re.compile(r"<[A-Za-z][\w.:\-]*\s[^<>]*=\{`[^`]*`\}[^<>]*>")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_SELF_CLOSING = re.compile(r"^\s*<([A-Z]\w*)\s*/>\s*$")
_ADMONITION = re.compile(r"^\s*:::(\w+)?\s*(.*)$")


def _inline(text: str) -> str:
    """Inline Markdown to text: links and images to their text, JSX/HTML tags removed
    (outside code spans)."""
    text = _TAG_TEMPLATE_ATTR.sub("", text)
    if "`" not in text:
        return _inline_plain(text)
    parts = []
    last = 0
    for start, end in code_spans(text):
        parts.append(_inline_plain(text[last:start]))
        parts.append(text[start:end])
        last = end
    parts.append(_inline_plain(text[last:]))
    return "".join(parts)


def _inline_plain(text: str) -> str:
    text = replace_links(text, images=True)
    text = replace_links(text, images=False)
    return _TAG.sub("", text)


def _heading_text(raw: str) -> str:
    text = _inline(raw)
    text = re.sub(r"(\*\*|__|\*|_)(\S.*?\S|\S)\1", r"\2", text)
    return text.replace("`", "").strip()


class MarkdownReader:
    """Markdown / MDX text into sections."""

    def __init__(self, path: Path, encoding: str, depth: int = 0, *, root: SourceRoot | None = None,
                 max_bytes: int = MAX_RECORD_BYTES, max_front_matter_bytes: int = MAX_FRONT_MATTER_BYTES,
                 refused: list[str] | None = None):
        self.path = path
        self.encoding = encoding
        self.depth = depth
        # without a root, partials may come from the page's own folder and below
        self.root = root if root is not None else SourceRoot(path.parent, ".")
        self.max_bytes = max_bytes
        self.max_front_matter_bytes = max_front_matter_bytes
        #: why partials were left out (reject reasons: never a path or text from the page)
        self.refused: list[str] = refused if refused is not None else []

    def clean_lines(self, text: str) -> list[str]:
        """The document's lines with MDX syntax removed and partials inlined; fenced code
        blocks untouched."""
        text = strip_between(strip_between(text, "{/*", "*/}"), "<!--", "-->")
        lines = text.split("\n")
        partials: dict[str, str] = {}
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
                    partials[pm.group(1)] = pm.group(2).replace("\\_", "_")
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
            ends = s.rstrip().endswith((";", "'", '"')) or re.search(r"""from\s+['"][^'"]+['"]\s*(?:;\s*)?$""", s)
            if depth <= 0 and (ends or not s.strip() or j + 1 >= len(lines) or not lines[j + 1].startswith((" ", "\t", "}", ")", "]"))):
                return j + 1
            j += 1
        return j

    def _partial(self, target: str) -> list[str]:
        try:
            path = self.root.relative_import(self.path, target)
            if not os.path.lexists(path):
                return []  # a missing partial: the page without it
            with open_entry(path) as fh:
                raw = read_capped(fh, self.max_bytes, "partial", "max_record_bytes")
        except (Refusal, TooLarge) as exc:
            self.refused.append(str(exc))
            return []
        except OSError:
            return []
        try:
            text = raw.decode(self.encoding).replace("\r\n", "\n").replace("\r", "\n")
        except UnicodeDecodeError:
            return []
        _, body, _ = split_front_matter(text, self.max_front_matter_bytes)
        return MarkdownReader(path, self.encoding, self.depth + 1, root=self.root, max_bytes=self.max_bytes,
                              max_front_matter_bytes=self.max_front_matter_bytes, refused=self.refused).clean_lines(body)

    def sections(self, text: str) -> tuple[dict[str, Any], list[Section]]:
        meta, body, _ = split_front_matter(text, self.max_front_matter_bytes)
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
                level, raw = (len(h.group(1)), h.group(2).rstrip().rstrip("#").rstrip()) if h else setext
                end_block()
                if cur.blocks:
                    sections.append(cur)
                cid = _CUSTOM_ID.search(raw)
                raw = raw[:cid.start()].rstrip() if cid else raw
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
