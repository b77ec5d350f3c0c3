"""The docs source: files found, parsed by format, chunked along headings, one Record per
chunk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from curate.errors import CurateError
from curate.records import RecordError, make_record
from curate.sources.base import Event, Reject, Skip, Source, SourceState, register_source
from curate.sources.chunking import Section, make_chunks
from curate.sources.docs.config import FORMATS, DocsSourceConfig, doc_entries
from curate.sources.docs.docx import docx_sections
from curate.sources.docs.errors import DocError
from curate.sources.docs.html import HtmlReader, _decode_html, trafilatura_sections
from curate.sources.docs.markdown import MarkdownReader
from curate.sources.docs.pdf import pdf_sections
from curate.sources.encodings import EncodingCheck
from curate.sources.limits import TooLarge, parse_failure, read_capped
from curate.sources.roots import Entry, Refusal, SourceRoot, open_entry, sha256_entry


@register_source
class DocsSource(Source):
    """Markdown/MDX, HTML, PDF and DOCX documentation, chunked along headings."""

    type = "docs"
    Config = DocsSourceConfig
    default_kind = "doc"
    config: DocsSourceConfig

    def entries(self) -> list[Entry]:
        cfg = self.config
        return doc_entries(self.base_dir, cfg.path, cfg.include, cfg.exclude, cfg.symlinks)

    def files(self) -> list[Path]:
        """The files that will be read (refused paths left out)."""
        return [e.path for e in self.entries() if e.real is not None]

    def _rel(self, f: Path) -> str:
        root = self.resolve(self.config.path)
        base = root if root.is_dir() else self.base_dir
        try:
            return f.relative_to(base).as_posix()
        except ValueError:
            return str(f)

    def _page(self, f: Path) -> str:
        """The file's path below ``path``, or below a glob's fixed folder (its name when
        ``path`` is the file itself)."""
        root = SourceRoot(self.base_dir, self.config.path)
        if root.is_file():
            return f.name
        try:
            return f.relative_to(root.top).as_posix()
        except ValueError:
            return f.name

    def _url(self, f: Path, anchor: str | None) -> str:
        """meta.url: base_url, the page's path (its extension as url_extension says), the
        anchor (none for a PDF page)."""
        cfg = self.config
        page = self._page(f)
        suffix = Path(page).suffix.lower()
        strip = cfg.url_extension == "strip" or (cfg.url_extension == "auto" and suffix in (".md", ".mdx", ".markdown"))
        if strip and suffix:
            page = page[: -len(suffix)]
        link = f"#{anchor}" if anchor and not anchor.startswith("page=") else ""
        return (cfg.base_url or "").rstrip("/") + "/" + page + link

    def fingerprint(self) -> dict[str, Any]:
        return {
            "config": self.config.model_dump(mode="json"),
            "files": {self._rel(e.path): sha256_entry(e) for e in self.entries()},
        }

    def parse(self, f: Path, real: Path | None = None, refused: list[str] | None = None) -> tuple[str, dict[str, Any], list[Section]]:
        """(format, meta, sections) of one file (``real``: what to open, when not ``f``);
        partials left out are added to ``refused``. Raises DocError, TooLarge, Refusal."""
        cfg = self.config
        fmt = FORMATS.get(f.suffix.lower())
        if fmt is None:
            raise DocError(f"unsupported file type {f.suffix or '(none)'}")
        binary = fmt in ("pdf", "docx")
        with open_entry(real or f) as fh:
            self.count("files")
            if binary:
                raw = read_capped(fh, cfg.max_file_bytes, f"{fmt.upper()} file", "max_file_bytes")
            else:
                raw = read_capped(fh, cfg.max_record_bytes, "file", "max_record_bytes")
        if fmt == "pdf":
            meta, secs = pdf_sections(raw, f.stem, max_pages=cfg.max_pdf_pages, max_objects=cfg.max_pdf_objects,
                                      max_text=cfg.max_unpacked_bytes)
            return fmt, meta, secs
        if fmt == "docx":
            meta, secs = docx_sections(raw, max_unpacked=cfg.max_unpacked_bytes, max_ratio=cfg.max_inflate_ratio)
            return fmt, meta, secs
        if fmt == "html":
            html = _decode_html(raw, cfg.encoding)
            if cfg.extractor == "trafilatura":
                meta, secs = trafilatura_sections(html)
            else:
                meta, secs = HtmlReader(cfg.remove_selectors).sections(html)
            return fmt, meta, secs
        try:
            text = raw.decode(cfg.encoding)
        except UnicodeDecodeError as exc:
            if self._check is not None:
                self._check.row(raw, False)
            raise DocError(f"invalid {cfg.encoding} at byte {exc.start}") from None
        if self._check is not None:
            self._check.row(raw, True)
        text = text.lstrip("\ufeff").replace("\r\n", "\n")
        root = self._root or SourceRoot(self.base_dir, cfg.path, cfg.symlinks)
        reader = MarkdownReader(real or f, cfg.encoding, root=root, max_bytes=cfg.max_record_bytes,
                                max_front_matter_bytes=cfg.max_front_matter_bytes, refused=refused)
        meta, secs = reader.sections(text)
        return fmt, {"front_matter": meta} if meta else {}, secs

    _root: SourceRoot | None = None  # the root partial imports resolve in, set by read()
    _check: EncodingCheck | None = None  # what the Markdown files' bytes say of `encoding`

    def read(self, state: SourceState) -> Iterator[Event]:
        self.counts, self.warnings = {}, []
        cfg = self.config
        self._root = SourceRoot(self.base_dir, cfg.path, cfg.symlinks)
        self._check = EncodingCheck(cfg.encoding)
        yield from self._read()
        verdict = self._check.verdict("Markdown file")
        if verdict:
            self.warnings.append(verdict)

    def _read(self) -> Iterator[Event]:
        cfg = self.config
        for entry in self.entries():
            f = entry.path
            rel = self._rel(f)
            if entry.real is None:
                yield Reject(rel, entry.refused or "not read")
                continue
            refused: list[str] = []
            try:
                fmt, meta, sections = self.parse(f, entry.real, refused)
            except (DocError, TooLarge, Refusal) as exc:
                yield Reject(rel, str(exc))
                continue
            except OSError as exc:
                yield Reject(rel, f"unreadable file: {exc.strerror or type(exc).__name__}")
                continue
            except RecursionError:
                yield Reject(rel, "document nested too deeply")
                continue
            except CurateError:
                raise  # a missing extra stops the build, with the extra's name
            except Exception as exc:  # a parser's failure on this one file
                yield Reject(rel, f"unreadable document: {parse_failure(exc)}")
                continue
            # a partial import left out: the page is read without it, the refusal reported
            for reason in refused:
                yield Reject(rel, reason)
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
                    cmeta["url"] = self._url(f, ch.anchor)
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
                except (RecursionError, MemoryError, ValueError) as exc:
                    yield Reject(locator, parse_failure(exc))
