"""The email source: message files found, parsed, cleaned and threaded; one Record per
thread."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import xxhash

from curate.records import RecordError, make_record
from curate.sources.base import Event, Reject, Skip, Source, SourceState, register_source
from curate.sources.email.cleaning import clean_body
from curate.sources.email.config import EmailSourceConfig
from curate.sources.email.mbox import _is_mbox, split_mbox
from curate.sources.email.parse import Mail, Malformed, parse_message
from curate.sources.email.threads import group_threads, thread_subject
from curate.store import sha256_file


@register_source
class EmailSource(Source):
    """Threads from an mbox file, a folder of .eml files or a Maildir."""

    type = "email"
    Config = EmailSourceConfig
    default_kind = "email"
    config: EmailSourceConfig

    def _root(self) -> Path:
        return self.resolve(self.config.path)

    def _rel(self, f: Path) -> str:
        try:
            return str(f.relative_to(self.base_dir))
        except ValueError:
            return str(f)

    def files(self) -> list[tuple[Path, str]]:
        """(file, 'mbox' | 'eml') in a stable order."""
        root = self._root()
        fmt = self.config.format
        if root.is_file():
            auto_mbox = root.suffix == ".mbox" or (root.suffix != ".eml" and _is_mbox(root))
            return [(root, "mbox" if fmt == "mbox" or (fmt == "auto" and auto_mbox) else "eml")]
        out: list[tuple[Path, str]] = []
        for f in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = f.relative_to(root)
            if f.name.startswith(".") or any(
                part.startswith(".") and not (root.joinpath(*rel.parts[: k + 1]) / "cur").is_dir()
                for k, part in enumerate(rel.parts[:-1])
            ):
                continue  # hidden files and folders, except Maildir++ folders (.Sent, .Archive)
            if self._excluded(rel):
                continue
            if len(rel.parts) > 1 and rel.parts[-2] == "tmp" and (f.parent.parent / "cur").is_dir():
                continue  # Maildir: messages still being delivered
            if fmt == "mbox" or (fmt == "auto" and f.suffix == ".mbox"):
                out.append((f, "mbox"))
            else:
                out.append((f, "eml"))
        return out

    def _excluded(self, rel: Path) -> bool:
        s = rel.as_posix()
        return any(fnmatch.fnmatch(s, pat) or fnmatch.fnmatch(rel.name, pat) for pat in self.config.exclude)

    def fingerprint(self) -> dict[str, Any]:
        return {
            "config": self.config.model_dump(mode="json"),
            "files": {self._rel(f): sha256_file(f) for f, _ in self.files()},
        }

    def raw_messages(self) -> Iterator[tuple[str, bytes | None, str | None]]:
        """(locator, raw bytes, None) per message, or (locator, None, reason) for a file
        that cannot be read."""
        for f, kind in self.files():
            rel = self._rel(f)
            if kind == "mbox":
                try:
                    for line, raw in split_mbox(f):
                        yield f"{rel}:{line}", raw, None
                except OSError as exc:
                    yield rel, None, f"unreadable file: {exc.strerror or type(exc).__name__}"
            else:
                try:
                    raw = f.read_bytes()
                    if raw.startswith(b"From "):  # an mbox envelope line before one message
                        raw = raw.partition(b"\n")[2]
                    yield rel, raw, None
                except OSError as exc:
                    yield rel, None, f"unreadable file: {exc.strerror or type(exc).__name__}"

    def is_support(self, address: str) -> bool:
        address = address.lower()
        if address in {a.lower() for a in self.config.support_addresses}:
            return True
        domain = address.rpartition("@")[2]
        return any(domain == d.lower().lstrip("@") or domain.endswith("." + d.lower().lstrip("@")) for d in self.config.support_domains)

    def read(self, state: SourceState) -> Iterator[Event]:
        cfg = self.config
        extra = [re.compile(p) for p in cfg.signature_patterns]
        seen: dict[str, str] = {}
        mails: list[Mail] = []
        for order, (locator, raw, problem) in enumerate(self.raw_messages()):
            if raw is None:
                yield Reject(locator, problem or "unreadable")
                continue
            try:
                mail = parse_message(raw, locator, order, cfg.max_message_bytes, cfg.reject_duplicate_headers)
            except Malformed as exc:
                yield Reject(locator, f"malformed message: {exc}")
                continue
            except RecursionError:
                yield Reject(locator, "malformed message: MIME parts nested too deeply")
                continue
            if mail.key in seen:
                yield Skip(locator, "duplicate_copy")
                continue
            seen[mail.key] = locator
            mail.text = clean_body(mail.text, cfg.strip_quotes, cfg.strip_signatures, extra)
            mails.append(mail)
        threads = group_threads(mails) if cfg.thread else [[m] for m in mails]
        for thread in threads:
            yield self._thread_event(thread)

    def _thread_event(self, thread: list[Mail]) -> Event:
        first = thread[0]
        turns = [
            {"role": "assistant" if self.is_support(m.sender) else "user", "content": m.text}
            for m in thread
            if m.text.strip()
        ]
        if not turns:
            # nothing to read: an encrypted or opaque-signed message, or attachments only
            return Skip(first.locator, "encrypted" if any(m.encrypted for m in thread) else "no_text")
        dates = [m.date for m in thread if m.date is not None]
        types: dict[str, int] = {}
        for m in thread:
            for k, v in m.attachment_types.items():
                types[k] = types.get(k, 0) + v
        meta = {
            "message_count": len(thread),
            "attachments": sum(m.attachments for m in thread),
            "attachment_types": types,
            "support_messages": sum(1 for m in thread if self.is_support(m.sender)),
            "date_first": min(dates).isoformat() if dates else None,
            "date_last": max(dates).isoformat() if dates else None,
            "files": [m.locator for m in thread],
            "empty_messages": sum(1 for m in thread if not m.text.strip()),
            "encrypted_messages": sum(1 for m in thread if m.encrypted),
            "html_only_messages": sum(1 for m in thread if m.html_only),
        }
        native = xxhash.xxh3_64_hexdigest(first.key.encode("utf-8", "surrogatepass"))
        try:
            return make_record(
                source=self.source_id,
                native_id=native,
                kind=self.kind,
                messages=turns,
                title=thread_subject(first.subject) or None,
                meta=meta,
                locator=first.locator,
            )
        except RecordError as exc:
            return Reject(first.locator, f"{exc} (thread of {len(thread)} message{'s' if len(thread) > 1 else ''})")
