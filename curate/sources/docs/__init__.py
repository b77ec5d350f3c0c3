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

from curate.sources.docs.adapter import DocsSource
from curate.sources.docs.config import FORMATS, DocsSourceConfig
from curate.sources.docs.docx import docx_sections
from curate.sources.docs.errors import DocError
from curate.sources.docs.frontmatter import split_front_matter
from curate.sources.docs.html import HtmlReader, trafilatura_sections
from curate.sources.docs.markdown import MarkdownReader
from curate.sources.docs.pdf import pdf_sections

__all__ = [
    "FORMATS",
    "DocError",
    "DocsSource",
    "DocsSourceConfig",
    "HtmlReader",
    "MarkdownReader",
    "docx_sections",
    "pdf_sections",
    "split_front_matter",
    "trafilatura_sections",
]
