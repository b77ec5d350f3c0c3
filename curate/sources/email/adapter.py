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
from curate.sources.email.mbox import is_mbox, mbox_messages
from curate.sources.email.parse import Mail, Malformed, parse_message
from curate.sources.email.threads import group_threads, thread_subject
from curate.sources.limits import TooLarge, parse_failure, read_capped, too_large
from curate.sources.roots import Entry, Refusal, SourceRoot, open_entry, sha256_entry
from curate.sources.subject import subject_into_user_turn


@register_source
class EmailSource(Source):
    """Threads from an mbox file, a folder of .eml files or a Maildir."""

    type = "email"
    Config = EmailSourceConfig
    default_kind = "email"
    config: EmailSourceConfig

    def _rel(self, f: Path) -> str:
        try:
            return str(f.relative_to(self.base_dir))
        except ValueError:
            return str(f)

    def files(self) -> list[tuple[Entry, str]]:
        """(file, 'mbox' | 'eml' | 'sniff') in a stable order; 'sniff': a file named by the
        config, an mbox when it starts with 'From '. Refused paths are entries too."""
        root = SourceRoot(self.base_dir, self.config.path, self.config.symlinks)
        fmt = self.config.format
        if root.is_file():
            entry = root.entries()[0]
            suffix = root.top.suffix
            kind = "mbox" if fmt == "mbox" or (fmt == "auto" and suffix == ".mbox") else \
                "sniff" if fmt == "auto" and suffix != ".eml" else "eml"
            return [(entry, kind)]
        top = root.top

        def accept(name: str) -> bool:
            rel = Path(name)
            if rel.name.startswith(".") or any(
                part.startswith(".") and not (top.joinpath(*rel.parts[: k + 1]) / "cur").is_dir()
                for k, part in enumerate(rel.parts[:-1])
            ):
                return False  # hidden files and folders, except Maildir++ folders (.Sent, .Archive)
            if self._excluded(rel):
                return False
            # Maildir: messages in tmp/ are still being delivered
            return not (len(rel.parts) > 1 and rel.parts[-2] == "tmp" and (top / rel).parent.parent.joinpath("cur").is_dir())

        return [
            (e, "mbox" if fmt == "mbox" or (fmt == "auto" and e.path.suffix == ".mbox") else "eml")
            for e in root.entries(accept)
        ]

    def _excluded(self, rel: Path) -> bool:
        s = rel.as_posix()
        return any(fnmatch.fnmatch(s, pat) or fnmatch.fnmatch(rel.name, pat) for pat in self.config.exclude)

    def fingerprint(self) -> dict[str, Any]:
        return {
            "config": self.config.model_dump(mode="json"),
            "files": {self._rel(e.path): sha256_entry(e) for e, _ in self.files()},
        }

    def raw_messages(self) -> Iterator[tuple[str, bytes | None, str | None]]:
        """(locator, raw bytes, None) per message, or (locator, None, reason) for a file
        that may not or cannot be read and for a message over the size limit."""
        limit = self.config.max_message_bytes
        for entry, kind in self.files():
            rel = self._rel(entry.path)
            if entry.real is None:
                yield rel, None, entry.refused or "not read"
                continue
            try:
                with open_entry(entry.real) as fh:
                    self.count("files")
                    if kind == "sniff":
                        kind = "mbox" if is_mbox(fh) else "eml"
                    if kind == "mbox":
                        for line, raw, size in mbox_messages(fh, limit):
                            self.count("messages")
                            reason = None if raw is not None else too_large("message", size, limit, "max_message_bytes")
                            yield f"{rel}:{line}", raw, reason
                        continue
                    self.count("messages")
                    try:
                        raw = read_capped(fh, limit, "message", "max_message_bytes")
                    except TooLarge as exc:
                        yield rel, None, str(exc)
                        continue
                    if raw.startswith(b"From "):  # an mbox envelope line before one message
                        raw = raw.partition(b"\n")[2]
                    yield rel, raw, None
            except Refusal as exc:
                yield rel, None, str(exc)
            except OSError as exc:
                yield rel, None, f"unreadable file: {exc.strerror or type(exc).__name__}"

    def is_support(self, address: str) -> bool:
        address = address.lower()
        if address in {a.lower() for a in self.config.support_addresses}:
            return True
        domain = address.rpartition("@")[2]
        return any(domain == d.lower().lstrip("@") or domain.endswith("." + d.lower().lstrip("@")) for d in self.config.support_domains)

    def read(self, state: SourceState) -> Iterator[Event]:
        self.counts, self.warnings = {}, []
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
            except Exception as exc:  # the email package raises many types on hostile input
                yield Reject(locator, f"malformed message: {parse_failure(exc)}")
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
        subject = thread_subject(first.subject) or None
        if self.config.subject_in_user_turn:
            turns = subject_into_user_turn(turns, subject)
        try:
            return make_record(
                source=self.source_id,
                native_id=native,
                kind=self.kind,
                messages=turns,
                title=subject,
                meta=meta,
                locator=first.locator,
            )
        except RecordError as exc:
            return Reject(first.locator, f"{exc} (thread of {len(thread)} message{'s' if len(thread) > 1 else ''})")
