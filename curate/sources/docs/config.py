"""The docs source's settings and the files they select."""

from __future__ import annotations

import fnmatch
import glob
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from curate.sources.base import SourceConfig

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
