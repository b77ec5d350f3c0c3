"""One raw message into a :class:`Mail`: headers checked, MIME walked, text parts decoded,
attachments counted; a message that cannot be read as mail raises :class:`Malformed`."""

from __future__ import annotations

import email
import email.errors
import email.message
import email.utils
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.header import decode_header, make_header
from email.message import Message

import xxhash

from curate.sources.htmltext import html_to_text
from curate.sources.limits import too_large

_HEADER_LINE = re.compile(rb"^[!-9;-~]+[ \t]*:")

#: headers RFC 5322 (section 3.6) allows at most once
_ONCE = ("from", "sender", "reply-to", "to", "cc", "bcc", "message-id", "in-reply-to", "references", "subject", "date")
_MSGID = re.compile(r"<([^<>\s]+)>")
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
        raise Malformed(too_large("message", len(raw), max_bytes, "max_message_bytes"))
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
