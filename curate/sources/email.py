"""Email: an mbox file, a folder of ``.eml`` files, or a Maildir, threaded into
conversations.

- **Threads.** Messages linked by ``Message-ID`` / ``In-Reply-To`` / ``References`` become
  one Record (kind ``email``), its turns in date order. A reply whose parent is missing
  still joins its siblings through the ``References`` they share.
- **Roles.** A message from one of ``support_addresses`` or ``support_domains`` is an
  ``assistant`` turn; every other message is a ``user`` turn.
- **Text.** MIME is decoded (charsets, quoted-printable, base64); an HTML-only message is
  turned into text with an HTML parser. Quoted replies (``>`` lines, "On ... wrote:",
  Outlook's "-----Original Message-----" blocks) and signatures (``-- ``, "Sent from my
  ...", mailing-list footers) are stripped. A forward with nothing of its own keeps the
  forwarded text.
- **Attachments** are counted in ``meta`` (``attachments``), never ingested.
- **Duplicates.** A second copy of a message (same ``Message-ID``, e.g. a message that
  reached the mailbox through two lists) is skipped with reason ``duplicate_copy``.
- **Malformed messages** (no header block, no ``From``, a header that RFC 5322 allows once
  given twice with different values, a broken MIME structure, undecodable text) are
  rejects naming the file and the reason, never the text.

Events: one per thread (its Record), one per duplicate copy (a Skip) and one per malformed
message (a Reject). ``meta`` of a thread holds ``message_count``, ``attachments``,
``date_first`` / ``date_last``, ``support_messages`` and the files it came from.

Example::

    sources:
      - type: email
        name: support-inbox
        path: mail/support.mbox          # an mbox, a folder of .eml files, or a Maildir
        support_domains: [acme.com]
        support_addresses: [help@acme-mail.net]
"""

from __future__ import annotations

import email
import email.errors
import email.message
import email.utils
import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any, Literal

import xxhash
from pydantic import Field, ValidationInfo, field_validator

from curate.records import RecordError, make_record
from curate.sources.base import (
    Event,
    Reject,
    Skip,
    Source,
    SourceConfig,
    SourceState,
    check_path,
    register_source,
)
from curate.sources.htmltext import html_to_text
from curate.store import sha256_file


class EmailSourceConfig(SourceConfig):
    """Mail from an mbox file, a folder of .eml files or a Maildir."""

    path: str = Field(description="An mbox file, a single .eml, or a folder (of .eml files, a Maildir, or mboxes), relative to the config file.")
    format: Literal["auto", "mbox", "eml", "maildir"] = Field(
        default="auto",
        description="How to read `path`: auto (a file starting with 'From ' is an mbox, a folder is walked: "
        "files ending in .mbox are mboxes, Maildir tmp/ folders are left out, every other file is one message), "
        "or force one format.",
    )
    exclude: list[str] = Field(
        default_factory=list,
        description="Glob patterns (relative to `path`) of files to leave out, e.g. ['README*', 'spam/**'].",
    )
    support_addresses: list[str] = Field(
        default_factory=list, description="Sender addresses whose messages are assistant turns (case-insensitive)."
    )
    support_domains: list[str] = Field(
        default_factory=list,
        description="Sender domains whose messages are assistant turns (subdomains included), e.g. ['acme.com'].",
    )
    thread: bool = Field(default=True, description="Group messages into threads; false makes every message its own Record.")
    strip_quotes: bool = Field(default=True, description="Remove quoted replies ('>' lines, 'On ... wrote:', Outlook 'Original Message' blocks).")
    strip_signatures: bool = Field(default=True, description="Remove signatures ('-- ' blocks, 'Sent from my ...', mailing-list footers).")
    signature_patterns: list[str] = Field(
        default_factory=list,
        description="Extra regular expressions; a line matching one starts a signature (everything from it on is removed).",
    )
    reject_duplicate_headers: bool = Field(
        default=True,
        description="Reject a message that gives a once-only header (From, To, Cc, Subject, Date, Message-ID, ...) twice with different values.",
    )
    max_message_bytes: int = Field(
        default=25 * 1024 * 1024, gt=0, description="Larger messages are rejected (a mail server's usual limit is 25 MB)."
    )

    @field_validator("path")
    @classmethod
    def _exists(cls, v: str, info: ValidationInfo) -> str:
        return check_path(v, info)

    @field_validator("signature_patterns")
    @classmethod
    def _regexes(cls, v: list[str]) -> list[str]:
        for pat in v:
            try:
                re.compile(pat)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {pat!r}: {exc}") from None
        return v


# -- reading message sources --------------------------------------------------------------

_HEADER_LINE = re.compile(rb"^[!-9;-~]+[ \t]*:")
_MBOX_FROM = re.compile(rb"^>+From ")


def split_mbox(path: Path) -> Iterator[tuple[int, bytes]]:
    """Messages of an mbox file as (line of the 'From ' separator, raw bytes).

    A separator is a line starting with 'From ' at the start of the file or after a blank
    line; '>From ' lines are unescaped (mboxrd)."""
    buf: list[bytes] = []
    start = 0
    prev_blank = True
    with open(path, "rb") as fh:
        for n, line in enumerate(fh, start=1):
            if line.startswith(b"From ") and prev_blank:
                if buf or start:
                    yield start, _join_mbox(buf)
                buf = []
                start = n
                prev_blank = False
                continue
            prev_blank = line in (b"\n", b"\r\n")
            if _MBOX_FROM.match(line):
                line = line[1:]
            buf.append(line)
    if buf or start:
        yield start, _join_mbox(buf)


def _join_mbox(lines: list[bytes]) -> bytes:
    # the blank line before the next separator belongs to the mbox, not the message
    if lines and lines[-1] in (b"\n", b"\r\n"):
        lines = lines[:-1]
    return b"".join(lines)


# -- parsed messages ---------------------------------------------------------------------

#: headers RFC 5322 (section 3.6) allows at most once
_ONCE = ("from", "sender", "reply-to", "to", "cc", "bcc", "message-id", "in-reply-to", "references", "subject", "date")
_MSGID = re.compile(r"<([^<>\s]+)>")
_SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|vs|antw|tr|rif|ref)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_BAD_MIME = {
    "NoBoundaryInMultipartDefect": "multipart message without a boundary",
    "StartBoundaryNotFoundDefect": "multipart boundary never found",
    "CloseBoundaryNotFoundDefect": "multipart message cut short (closing boundary missing)",
    "MultipartInvariantViolationDefect": "broken multipart structure",
    "MissingHeaderBodySeparatorDefect": "no blank line between headers and body",
    "FirstHeaderLineIsContinuationDefect": "first header line is a continuation",
    "InvalidMultipartContentTransferEncodingDefect": "multipart part with a transfer encoding",
}
_BAD_TEXT = {
    "InvalidBase64CharactersDefect": "invalid base64 in a text part",
    "InvalidBase64PaddingDefect": "truncated base64 in a text part",
    "InvalidBase64LengthDefect": "truncated base64 in a text part",
}
_SIGNED = ("application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature")
_ENCRYPTED = ("application/pgp-encrypted", "application/pkcs7-mime", "application/x-pkcs7-mime")


class Malformed(Exception):
    """A message that cannot be read as mail; the message is the reject reason."""


@dataclass
class Mail:
    """What threading needs of one message."""

    key: str
    locator: str
    order: int
    sender: str
    date: datetime | None
    subject: str
    parents: list[str]
    text: str
    attachments: int = 0
    attachment_types: dict[str, int] = field(default_factory=dict)
    encrypted: bool = False
    html_only: bool = False


def _header(msg: Message, name: str) -> str | None:
    """A header's raw value (the compat32 parser leaves headers unparsed: fast, and no
    structured-header parser to trip over)."""
    value = msg.get(name)
    return None if value is None else str(value)


def _decoded(value: str) -> str:
    """RFC 2047 encoded words decoded (a Subject)."""
    try:
        return str(make_header(decode_header(value)))
    except (LookupError, UnicodeError, ValueError, email.errors.HeaderParseError):
        return value


def parse_message(raw: bytes, locator: str, order: int, max_bytes: int, check_duplicates: bool) -> Mail:
    """Parse one raw message; raise :class:`Malformed` with the reason."""
    if len(raw) > max_bytes:
        raise Malformed(f"message larger than {max_bytes} bytes")
    head = raw.lstrip(b"\r\n")[:1000]
    if not head.strip():
        raise Malformed("empty file")
    if not _HEADER_LINE.match(head):
        raise Malformed("not an email message (no header block)")
    if b"\x00" in raw[:4096]:
        raise Malformed("binary data, not an email message")
    msg = email.message_from_bytes(raw)
    if check_duplicates:
        for name in _ONCE:
            values = [v for k, v in msg.raw_items() if k.lower() == name]
            if len(values) > 1 and len({" ".join(str(v).split()) for v in values}) > 1:
                raise Malformed(f"header {name.title()} appears {len(values)} times (RFC 5322 allows one)")
    sender_header = _header(msg, "from")
    if sender_header is None:
        raise Malformed("no From header")
    addresses = email.utils.getaddresses([sender_header])
    sender = next((a for _, a in addresses if "@" in a), "")
    if not sender:
        raise Malformed("From header has no address")
    for defect in msg.defects:
        name = type(defect).__name__
        if name in _BAD_MIME:
            raise Malformed(_BAD_MIME[name])
    msgid_header = _header(msg, "message-id") or ""
    ids = _MSGID.findall(msgid_header)
    refs = _MSGID.findall(_header(msg, "references") or "")
    irt = _MSGID.findall(_header(msg, "in-reply-to") or "")
    parents = list(dict.fromkeys(irt[:1] + refs[::-1]))
    date = _parse_date(_header(msg, "date"))
    subject = " ".join(_decoded(_header(msg, "subject") or "").split())

    body = _Body()
    _walk(msg, body, top=True)
    text = "\n\n".join(t for t in body.texts if t.strip())
    if ids:
        key = ids[0]
    else:  # no Message-ID: identical copies still collapse
        key = "sha:" + xxhash.xxh3_128_hexdigest(
            "\x00".join([sender.lower(), str(date), subject, text]).encode("utf-8", "surrogatepass")
        )
    parents = [p for p in parents if p != key]
    return Mail(
        key=key, locator=locator, order=order, sender=sender.lower(), date=date, subject=subject,
        parents=parents, text=text, attachments=body.attachments, attachment_types=body.types,
        encrypted=body.encrypted, html_only=body.html_only,
    )


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


class _Body:
    def __init__(self) -> None:
        self.texts: list[str] = []
        self.attachments = 0
        self.types: dict[str, int] = {}
        self.encrypted = False
        self.html_only = False

    def attach(self, ctype: str) -> None:
        self.attachments += 1
        self.types[ctype] = self.types.get(ctype, 0) + 1


def _walk(part: Message, body: _Body, top: bool = False) -> None:
    ctype = part.get_content_type()
    for defect in part.defects:
        name = type(defect).__name__
        if name in _BAD_MIME and not top:
            raise Malformed(_BAD_MIME[name])
    if ctype == "message/rfc822":
        inner = part.get_payload()
        inner_msg = inner[0] if isinstance(inner, list) and inner else inner
        if not isinstance(inner_msg, email.message.Message) or (
            not inner_msg.keys() and not str(inner_msg.get_payload() or "").strip()
        ):
            raise Malformed("empty message/rfc822 part")
        body.attach(ctype)
        return
    if part.is_multipart():
        subs = [p for p in part.get_payload() if isinstance(p, Message)]
        if ctype == "multipart/encrypted":
            body.encrypted = True
            return
        if ctype == "multipart/alternative":
            best = _pick_alternative(subs)
            if best is not None:
                _walk(best, body)
            for p in subs:
                if p is not best and p.get_content_disposition() == "attachment":
                    body.attach(p.get_content_type())
            return
        if ctype == "multipart/signed":
            subs = subs[:1]
        for p in subs:
            _walk(p, body)
        return
    disposition = part.get_content_disposition()
    if ctype in _SIGNED:
        return
    if ctype in _ENCRYPTED:
        body.encrypted = True
        return
    if disposition == "attachment" or not ctype.startswith("text/") or ctype not in ("text/plain", "text/html"):
        body.attach(ctype)
        return
    text = _decode_text(part)
    if ctype == "text/html":
        body.html_only = body.html_only or not body.texts
        text = html_to_text(text)
    body.texts.append(text)


def _pick_alternative(parts: list[Message]) -> Message | None:
    for want in ("text/plain", "text/html"):
        for p in parts:
            if p.get_content_type() == want and p.get_content_disposition() != "attachment":
                return p
    for p in parts:
        if p.is_multipart():
            return p
    return None


def _decode_text(part: Message) -> str:
    """A text part's content: transfer encoding undone, then its charset decoded (unknown
    or wrong charsets fall back to UTF-8, then Latin-1, never failing)."""
    payload = part.get_payload(decode=True)
    for defect in part.defects:
        name = type(defect).__name__
        if name in _BAD_TEXT:
            raise Malformed(_BAD_TEXT[name])
    if not isinstance(payload, bytes):
        return str(payload or "")
    charset = (part.get_content_charset() or "").strip().strip('"') or "utf-8"
    if charset in ("us-ascii", "ascii"):
        charset = "utf-8"  # 8-bit text mislabelled as ASCII is common
    for enc in (charset, "utf-8"):
        try:
            return payload.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1")


# -- quotes and signatures -----------------------------------------------------------------

_ATTRIBUTION = re.compile(r"(wrote|writes|schrieb|a écrit|escribió|scrisse|skrev|napisał)\s*:\s*$", re.IGNORECASE)
_OUTLOOK = re.compile(
    r"^\s*(-{3,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original)\s*-{3,}|_{20,})\s*$",
    re.IGNORECASE,
)
_FORWARD_MARK = re.compile(r"^\s*-{3,}\s*(Forwarded (message|by)|Begin forwarded message|Weitergeleitete Nachricht)", re.IGNORECASE)
_HEADER_IN_BODY = re.compile(r"^\s*\*?(From|Sent|To|Cc|Date|Subject|Von|Gesendet|An|Betreff|De|Envoyé|À|Objet)\s*:\*?", re.IGNORECASE)
_SIG_DEFAULTS = [
    re.compile(r"^--\s?$"),
    re.compile(r"^\s*Sent from my \w+", re.IGNORECASE),
    re.compile(r"^\s*(Get Outlook for|Sent from Mail for Windows|Von meinem \w+ gesendet)", re.IGNORECASE),
]
_LIST_FOOTER = re.compile(r"^_{10,}\s*$")


def strip_quotes(text: str, _depth: int = 0) -> str:
    """Remove quoted earlier messages. A message that is nothing but a forward keeps the
    forwarded text (without the forwarded headers)."""
    lines = _drop_forward_marks(text.splitlines())
    found = _quote_start(lines)
    if found is not None:
        start, body = found
        own = "\n".join(lines[:start])
        if _has_text(own):
            lines = lines[:start]
        elif _depth < 3:  # a bare forward: the forwarded message is the content
            return strip_quotes("\n".join(lines[body:]), _depth + 1)
        else:
            lines = lines[body:]
    quoted = [ln.lstrip().startswith(">") for ln in lines]
    for i in range(1, len(lines) - 1):
        # a quoted line wrapped by a mail client leaves a short unquoted stub between quotes
        if not quoted[i] and quoted[i - 1] and quoted[i + 1] and lines[i].strip() and len(lines[i].split()) <= 4:
            quoted[i] = True
    out: list[str] = []
    for i, line in enumerate(lines):
        if quoted[i]:
            # the attribution line ("On Mon, X wrote:") just before a quote goes too
            while out and not out[-1].strip():
                out.pop()
            if out and _ATTRIBUTION.search(out[-1]):
                out.pop()
                if out and out[-1].strip() and len(out[-1]) < 80 and _looks_like_attribution_start(out[-1]):
                    out.pop()
            continue
        out.append(line)
    return "\n".join(out)


def _drop_forward_marks(lines: list[str]) -> list[str]:
    """Remove "--- Forwarded by ... ---" lines (and the rest of such a line when wrapped)."""
    out: list[str] = []
    wrapped = False
    for line in lines:
        if _FORWARD_MARK.match(line):
            wrapped = not line.rstrip().endswith("---")
            continue
        if wrapped:
            wrapped = False
            if line.rstrip().endswith("---"):
                continue
        out.append(line)
    return out


def _quote_start(lines: list[str]) -> tuple[int, int] | None:
    """Where an inlined earlier message starts (Outlook's "Original Message", Lotus Notes'
    "Name / date / To: / cc: / Subject:" block, a bare "From: ... Sent: ..." block) and
    where its body starts."""
    for i, line in enumerate(lines):
        if _OUTLOOK.match(line) and (line.strip().startswith("-") or _next_is_header(lines, i)):
            return i, _skip_headers(lines, i + 1)
        if _HEADER_IN_BODY.match(line) and _header_cluster(lines, i):
            return _attribution_above(lines, i), _skip_headers(lines, i)
    return None


def _header_cluster(lines: list[str], i: int) -> bool:
    names = set()
    for ln in lines[i: i + 7]:
        m = _HEADER_IN_BODY.match(ln)
        if m:
            names.add(m.group(1).lower())
    return len(names) >= 3 or (len(names) >= 2 and bool(names & {"subject", "betreff", "objet", "sent", "gesendet", "envoyé"}))


def _attribution_above(lines: list[str], i: int) -> int:
    k = i
    while k > 0 and not lines[k - 1].strip():
        k -= 1
    top = k
    for _ in range(2):
        if top > 0 and lines[top - 1].strip() and len(lines[top - 1].strip()) < 70:
            top -= 1
        else:
            break
    block = " ".join(lines[top:k])
    if top < k and (_DATEISH.search(block) or "@" in block):
        return top
    return min(i, k)


_DATEISH = re.compile(r"\d{1,2}[/:.]\d{2}")


def _looks_like_attribution_start(line: str) -> bool:
    return bool(re.match(r"^\s*(On|Am|Le|El|Il|Den)\b", line))


def _next_is_header(lines: list[str], i: int) -> bool:
    following = [ln for ln in lines[i + 1: i + 4] if ln.strip()]
    return bool(following) and bool(_HEADER_IN_BODY.match(following[0]))


def _skip_headers(lines: list[str], i: int) -> int:
    in_header = False
    while i < len(lines):
        ln = lines[i]
        if not ln.strip():
            if in_header and i + 1 < len(lines) and _HEADER_IN_BODY.match(lines[i + 1]):
                i += 1
                continue
            if in_header:
                return i + 1
            i += 1
            continue
        if _HEADER_IN_BODY.match(ln):
            in_header = True
        elif in_header and (ln[:1] in (" ", "\t") or any(_HEADER_IN_BODY.match(x) for x in lines[i + 1: i + 3])):
            pass  # a folded header line
        else:
            return i
        i += 1
    return i


def _has_text(s: str) -> bool:
    return any(c.isalnum() for c in s)


def strip_signature(text: str, extra: list[re.Pattern[str]]) -> str:
    """Cut the text at the first line that starts a signature or a mailing-list footer."""
    lines = text.splitlines()
    patterns = _SIG_DEFAULTS + extra
    for i, line in enumerate(lines):
        if any(p.search(line) for p in patterns):
            return "\n".join(lines[:i])
        if _LIST_FOOTER.match(line) and any("mailing list" in ln.lower() or "list-info" in ln.lower() or "listinfo" in ln.lower() for ln in lines[i + 1: i + 5]):
            return "\n".join(lines[:i])
    return text


def clean_body(text: str, quotes: bool, signatures: bool, extra: list[re.Pattern[str] | str]) -> str:
    """A message's own words: quotes and signature removed, blank runs collapsed."""
    extra = [re.compile(p) if isinstance(p, str) else p for p in extra]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if quotes:
        text = strip_quotes(text)
    if signatures:
        text = strip_signature(text, extra)
    lines = [ln.rstrip() for ln in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def thread_subject(subject: str) -> str:
    return _SUBJECT_PREFIX.sub("", subject).strip()


# -- threading ---------------------------------------------------------------------------


def group_threads(mails: list[Mail]) -> list[list[Mail]]:
    """Connected components over Message-ID, In-Reply-To and References (a missing parent
    still links its replies). Each thread is sorted by date, then by reading order."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    for m in mails:
        a = find(m.key)
        for p in m.parents:
            b = find(p)
            if a != b:
                parent[b] = a
    groups: dict[str, list[Mail]] = {}
    for m in mails:
        groups.setdefault(find(m.key), []).append(m)
    far = datetime.max.replace(tzinfo=timezone.utc)
    threads = [sorted(g, key=lambda m: (m.date or far, m.order)) for g in groups.values()]
    threads.sort(key=lambda t: min(m.order for m in t))
    return threads


# -- the adapter -----------------------------------------------------------------------------


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


def _is_mbox(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(5) == b"From "


__all__ = ["EmailSource", "EmailSourceConfig", "clean_body", "group_threads", "parse_message", "split_mbox"]
