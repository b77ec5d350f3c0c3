"""CSV rows read with bounded memory, for the csv and Jira sources.

Python's :mod:`csv` reader is given one record at a time. Which physical lines make up a
record is decided here first, by the same state machine the reader runs (Python's default
dialect: ``"`` quotes, doubled inside quotes, no escape character): a line ends its record
unless it ends inside a quoted field. So a record over ``limit`` bytes is never handed to
the reader, nor held: its lines, however long, are scanned in pieces until the record ends,
and it becomes one reject with the line it starts on, while the rows after it are read as
usual.

Lines end at ``\\n``, ``\\r\\n`` or ``\\r``, as with ``open(newline="")``, so line numbers
are those of :attr:`csv.reader.line_num`. Encodings in which those bytes are not ASCII
(UTF-16, UTF-32) are transcoded to UTF-8 while reading; undecodable bytes are kept as
escapes, and a row holding one is a reject naming the encoding.
"""

from __future__ import annotations

import codecs
import csv
import re
import sys
from collections.abc import Iterator
from typing import BinaryIO

from curate.sources.limits import too_large

_START, _FIELD, _QUOTED, _QUOTE_IN_QUOTED = range(4)
_NEWLINE = re.compile(rb"\r\n|\r|\n")
_CHUNK = 1 << 20


def scan(text: str, state: int, delimiter: str, quote: str = '"') -> int:
    """The reader's state after ``text`` (no line breaks in it), from ``state``."""
    i, n = 0, len(text)
    if state != _QUOTED and state != _QUOTE_IN_QUOTED and quote not in text:
        # no quote: no quoted field starts; only the last character matters
        return state if not text else _START if text[-1] == delimiter else _FIELD
    while i < n:
        if state == _QUOTED:
            j = text.find(quote, i)
            if j < 0:
                return _QUOTED
            state, i = _QUOTE_IN_QUOTED, j + 1
        elif state == _QUOTE_IN_QUOTED:
            c = text[i]
            state = _QUOTED if c == quote else _START if c == delimiter else _FIELD
            i += 1
        elif state == _START:
            c = text[i]
            if c == quote:
                state = _QUOTED
            elif c != delimiter:
                state = _FIELD
                continue
            i += 1
        else:  # in an unquoted field, where quotes are plain characters
            j = text.find(delimiter, i)
            if j < 0:
                return _FIELD
            state, i = _START, j + 1
    return state


def _pieces(fh: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    """(piece, ends_line) over a binary stream: every physical line as one or more pieces,
    the last of which holds its line break (or is the end of the file)."""
    buf = b""
    open_line = False  # a piece of the current line was handed on already
    while True:
        data = fh.read(_CHUNK)
        if not data:
            if buf or open_line:
                yield buf, True
            return
        buf += data
        pos = 0
        for m in _NEWLINE.finditer(buf):
            if m.group() == b"\r" and m.end() == len(buf):
                break  # a "\r" at the end of the buffer may be the start of "\r\n"
            yield buf[pos:m.end()], True
            pos = m.end()
            open_line = False
        buf = buf[pos:]
        if len(buf) > _CHUNK:  # a long line: hand on all but a possible trailing "\r"
            cut = len(buf) - 1 if buf.endswith(b"\r") else len(buf)
            yield buf[:cut], False
            buf = buf[cut:]
            open_line = True


class _Utf8Recoder:
    """A binary stream in an encoding whose line breaks are not ASCII bytes, read as UTF-8."""

    def __init__(self, fh: BinaryIO, encoding: str):
        self.fh = fh
        self.decoder = codecs.getincrementaldecoder(encoding)(errors="surrogateescape")

    def read(self, n: int) -> bytes:
        while True:
            raw = self.fh.read(n)
            text = self.decoder.decode(raw, final=not raw)
            if text or not raw:
                return text.encode("utf-8", "surrogateescape")


def ascii_compatible(encoding: str) -> bool:
    try:
        return '\r\n",;|\t'.encode(encoding) == b'\r\n",;|\t'
    except (LookupError, UnicodeError):
        return False


def _bad_text(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def csv_records(fh: BinaryIO, *, encoding: str, delimiter: str, limit: int, label: str | None = None,
                key: str = "max_record_bytes") -> Iterator[tuple[int, list[str] | None, str | None]]:
    """(line the record starts on, its fields, None), or (line, None, reason) for a record
    that cannot be read: over ``limit`` bytes, malformed, or holding bytes undecodable in
    ``encoding`` (named ``label`` in the reason). The first record is the header. A UTF-8
    byte-order mark is removed."""
    csv.field_size_limit(sys.maxsize)  # records are bounded here, before the reader
    enc = codecs.lookup(encoding).name
    if not ascii_compatible(enc):
        fh = _Utf8Recoder(fh, enc)  # type: ignore[assignment]
        enc = "utf-8"
    label = label or encoding
    lines: list[str] = []  # the record's lines so far
    line: list[bytes] = []  # the pieces of its current line
    size = 0
    start = line_no = 1
    state = _START
    first = True
    skipping = None  # the incremental decoder of a record being read past
    for piece, ends in _pieces(fh):
        if first:
            first = False
            if enc == "utf-8" and piece.startswith(codecs.BOM_UTF8):
                piece = piece[len(codecs.BOM_UTF8):]
        size += len(piece)
        if skipping is None and size <= limit:
            line.append(piece)
            if not ends:
                continue
            text = b"".join(line).decode(enc, "surrogateescape")
            line = []
            lines.append(text)
            state = scan(text.rstrip("\r\n"), state, delimiter)
        else:
            if skipping is None:  # over the limit: from here on, scan without keeping
                skipping = codecs.getincrementaldecoder(enc)(errors="surrogateescape")
                piece, line, lines = b"".join(line) + piece, [], []
            text = skipping.decode(piece.rstrip(b"\r\n") if ends else piece, final=ends)
            state = scan(text, state, delimiter)
            if ends:
                skipping.reset()
        if not ends:
            continue
        line_no += 1
        if state == _QUOTED:
            continue  # the line break is inside a quoted field: the record goes on
        yield _record(lines, start, size, limit, skipping is not None, delimiter, key, label)
        lines, size, state, skipping, start = [], 0, _START, None, line_no
    if lines or skipping is not None:  # the file ends inside a quoted field
        yield _record(lines, start, size, limit, skipping is not None, delimiter, key, label)


def _record(lines: list[str], start: int, size: int, limit: int, skipping: bool, delimiter: str, key: str,
            encoding: str) -> tuple[int, list[str] | None, str | None]:
    if skipping:
        return start, None, too_large("row", size, limit, key)
    try:
        rows = list(csv.reader(lines, delimiter=delimiter))
    except csv.Error as exc:
        return start, None, f"malformed CSV row: {exc}"
    values = rows[0] if rows else []
    if any(_bad_text(v) for v in values):
        return start, None, f"invalid {encoding} in this row"
    return start, values, None
