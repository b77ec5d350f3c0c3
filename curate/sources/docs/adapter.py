"""The docs source: files found, parsed by format, chunked along headings, one Record per
chunk."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from curate.records import RecordError, make_record
from curate.sources.base import Event, Reject, Skip, Source, SourceState, register_source
from curate.sources.chunking import Section, make_chunks
from curate.sources.docs.config import FORMATS, DocsSourceConfig, _expand
from curate.sources.docs.docx import docx_sections
from curate.sources.docs.errors import DocError
from curate.sources.docs.html import HtmlReader, _decode_html, trafilatura_sections
from curate.sources.docs.markdown import MarkdownReader
from curate.sources.docs.pdf import pdf_sections
from curate.store import sha256_file


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
