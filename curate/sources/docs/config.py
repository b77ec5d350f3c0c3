"""The docs source's settings, its limits, and the files they select."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from curate.sources.base import SourceConfig
from curate.sources.encodings import Encoding, encoding_field
from curate.sources.limits import max_record_bytes_field
from curate.sources.roots import Entry, SourceRoot, SymlinkPolicy, path_pattern, symlinks_field

#: defaults of the limits on binary documents (each a config key of the docs source)
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_INFLATE_RATIO = 100
MAX_PDF_PAGES = 5000
MAX_PDF_OBJECTS = 500_000
MAX_FRONT_MATTER_BYTES = 64 * 1024

FORMATS = {".md": "markdown", ".markdown": "markdown", ".mdx": "markdown", ".html": "html", ".htm": "html",
           ".xhtml": "html", ".pdf": "pdf", ".docx": "docx"}


class DocsSourceConfig(SourceConfig):
    """Documentation files chunked along their headings."""

    path: str = Field(description="A file, a folder (searched recursively) or a glob, relative to the config file.")
    include: list[str] = Field(
        default_factory=lambda: ["**/*.md", "**/*.mdx", "**/*.markdown", "**/*.html", "**/*.htm", "**/*.pdf", "**/*.docx"],
        description="Patterns (relative to `path`, or to a glob's folder) of the files to read, as in .gitignore: "
        "`**/` is any number of folders, none included; `*` stays within a name; a pattern without a slash "
        "matches a name at any depth.",
    )
    exclude: list[str] = Field(
        default_factory=lambda: ["**/_*", "_*", "**/node_modules/**"],
        description="Patterns (as `include`) of files to leave out; one that matches a folder leaves out all in it. "
        "The default leaves out Docusaurus partials (_name.mdx): they are inlined where a page imports them.",
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
        description="If set, meta.url is base_url + the file's path below `path` + '#anchor' (a link to the published page).",
    )
    url_extension: Literal["auto", "keep", "strip"] = Field(
        default="auto",
        description="The file's extension in meta.url: 'auto' drops .md/.mdx/.markdown (a site generator publishes "
        "them as pages without one) and keeps .html, .pdf and .docx (published as they are); 'keep' or 'strip' "
        "for every file.",
    )
    encoding: Encoding = encoding_field("Text encoding of Markdown and HTML files (HTML's own charset declaration wins).")
    max_record_bytes: int = max_record_bytes_field("a Markdown or HTML file, or a partial it imports")
    max_file_bytes: int = Field(
        default=MAX_FILE_BYTES, ge=1024, description="Largest PDF or DOCX file, in bytes; a larger one is a reject, never read."
    )
    max_unpacked_bytes: int = Field(
        default=MAX_UNPACKED_BYTES,
        ge=1024,
        description="DOCX: largest total of its members once inflated (as declared, and as found while inflating); "
        "PDF: largest extracted text, in bytes. Checked before the document is parsed (DOCX) or while its pages are read (PDF).",
    )
    max_inflate_ratio: float = Field(
        default=MAX_INFLATE_RATIO,
        gt=1,
        description="DOCX: largest inflated-to-compressed size ratio of a member over 1 MiB (a zip bomb inflates about 1,000 times).",
    )
    max_pdf_pages: int = Field(default=MAX_PDF_PAGES, ge=1, description="PDF: most pages (declared and found).")
    max_pdf_objects: int = Field(default=MAX_PDF_OBJECTS, ge=1, description="PDF: most objects in its cross-reference table.")
    max_front_matter_bytes: int = Field(
        default=MAX_FRONT_MATTER_BYTES,
        ge=64,
        description="Markdown: largest YAML front matter, in bytes. Front matter that uses YAML aliases (*name) is refused at any size.",
    )
    symlinks: SymlinkPolicy = symlinks_field()

    @field_validator("path")
    @classmethod
    def _exists(cls, v: str, info: ValidationInfo) -> str:
        base = (info.context or {}).get("base_dir")
        if base is not None and not doc_entries(Path(base), v, ["**"], []):
            glob = SourceRoot(Path(base), v).pattern is not None
            raise ValueError(f"no file matches the glob {v}" if glob else f"file not found: {v}")
        return v

    @model_validator(mode="after")
    def _sizes(self) -> DocsSourceConfig:
        if self.overlap_chars >= self.max_chars // 2:
            raise ValueError("overlap_chars must be less than half of max_chars")
        return self


def doc_entries(base: Path, pattern: str, include: list[str], exclude: list[str],
                symlinks: SymlinkPolicy = "none") -> list[Entry]:
    """The files of a file, or of a folder or a glob filtered by ``include`` / ``exclude``
    (paths relative to the folder, or to the glob's fixed folder), readable or refused
    (:mod:`curate.sources.roots`). A file the config names is read whatever they say."""
    root = SourceRoot(base, pattern, symlinks)
    if root.is_file():
        return root.entries()
    inc = [path_pattern(p) for p in include]
    exc = [path_pattern(p) for p in exclude]
    return root.entries(lambda rel: any(p.match(rel) for p in inc) and not any(p.match(rel) for p in exc))
