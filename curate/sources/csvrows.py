"""CSV rows read with bounded memory, for the csv and Jira sources.

Python's :mod:`csv` reader is given one record at a time. Where a record ends is found
here first, on the raw bytes, by the state machine the reader itself runs (Python's default
dialect: ``"`` quotes, doubled inside quotes, no escape character, lenient about text after
a closing quote): a line break ends the record unless it is inside a quoted field. The scan
jumps from quote to quote and from line break to line break with ``bytes.find``, so it is
linear and fast. A record over ``limit`` bytes is never handed to the reader, nor held:
the bytes already scanned are dropped as the scan goes on to the record's end, and the
record becomes one reject at the line it starts on, while the rows after it are read as
usual.

Lines end at ``\\n``, ``\\r\\n`` or ``\\r``, as with ``open(newline="")``, so line numbers
are those of :attr:`csv.reader.line_num`. Encodings in which those bytes are not ASCII
(UTF-16, UTF-32), or that cannot hold the delimiter in bytes of its own, are transcoded to
UTF-8 while reading. A row holding bytes its encoding cannot decode is a reject naming the
encoding.
"""

from __future__ import annotations

import codecs
import csv
import re
import sys
from collections.abc import Callable, Iterator
from typing import BinaryIO

from curate.sources.limits import too_large

_START, _FIELD, _QUOTED, _QUOTE_IN_QUOTED = range(4)
_NEWLINE = re.compile(rb"[\r\n]")
_QUOTE = b'"'
_CHUNK = 1 << 20
_MORE = -1  # the record does not end within the bytes read so far


def _lines(b: bytes) -> int:
    return b.count(b"\n") + b.count(b"\r") - b.count(b"\r\n")


class _Scanner:
    """Where the record starting at a given offset ends, found incrementally: ``find``
    returns the offset after the record's line break (or ``_MORE``) and remembers how far
    it got and in which state, so that no byte is looked at twice."""

    def __init__(self, delimiter: bytes):
        self.delim = delimiter
        self.pos = 0
        self.state = _START

    def reset(self, pos: int) -> None:
        self.pos, self.state = pos, _START

    def _newline(self, buf: bytes, at: int, eof: bool) -> int:
        """The offset after the line break at ``at``, or _MORE when a final "\\r" may be
        the first half of "\\r\\n"."""
        if buf[at] == 0x0D:
            if at + 1 < len(buf):
                return at + 2 if buf[at + 1] == 0x0A else at + 1
            if not eof:
                self.pos = at
                return _MORE
        return at + 1

    def find(self, buf: bytes, eof: bool) -> int:
        d, n = self.delim, len(buf)
        pos, state = self.pos, self.state
        while True:
            if state == _QUOTED:
                j = buf.find(_QUOTE, pos)
                if j < 0:
                    self.pos, self.state = n, _QUOTED
                    return n if eof else _MORE
                pos, state = j + 1, _QUOTE_IN_QUOTED
            elif state == _QUOTE_IN_QUOTED:
                if pos >= n or (not eof and n - pos < len(d) and d.startswith(buf[pos:])):
                    self.pos, self.state = pos, state  # the next byte decides: read more
                    return n if eof else _MORE
                c = buf[pos]
                if c == 0x22:
                    pos, state = pos + 1, _QUOTED
                elif buf.startswith(d, pos):
                    pos, state = pos + len(d), _START
                elif c in (0x0A, 0x0D):
                    self.state = state
                    return self._newline(buf, pos, eof)
                else:
                    pos, state = pos + 1, _FIELD
            else:  # at the start of a field, or in an unquoted one (quotes in it are text)
                m = _NEWLINE.search(buf, pos)
                stop = m.start() if m else n
                q = buf.find(_QUOTE, pos, stop)
                if q >= 0:  # a quote opens a quoted field only where a field starts
                    pos, state = q + 1, (_QUOTED if self._state_at(buf, pos, state, q) == _START else _FIELD)
                    continue
                if m:
                    self.state = state
                    return self._newline(buf, stop, eof)
                if eof:
                    self.pos, self.state = n, state
                    return n
                # a multi-byte delimiter may be cut at the end: look at its start again
                keep = next((i for i in range(len(d) - 1, 0, -1) if buf.endswith(d[:i])), 0)
                self.pos = max(pos, n - keep)
                self.state = self._state_at(buf, pos, state, self.pos)
                return _MORE

    def _state_at(self, buf: bytes, pos: int, state: int, at: int) -> int:
        """The state at ``at``, from ``state`` at ``pos``, with no quote or line break
        between them: a field starts right after a delimiter."""
        if at == pos:
            return state
        k = buf.rfind(self.delim, pos, at)
        return _START if k >= 0 and k + len(self.delim) == at else _FIELD


def _utf8_recoder(fh: BinaryIO, encoding: str):
    decoder = codecs.getincrementaldecoder(encoding)(errors="surrogateescape")

    class _Recoded:
        def read(self, n: int) -> bytes:
            while True:
                raw = fh.read(n)
                text = decoder.decode(raw, final=not raw)
                if text or not raw:
                    return text.encode("utf-8", "surrogateescape")

    return _Recoded()


def ascii_compatible(encoding: str) -> bool:
    try:
        return '\r\n",;|\t'.encode(encoding) == b'\r\n",;|\t'
    except (LookupError, UnicodeError):
        return False


class _Feed:
    """The one record the csv reader reads next."""

    item: str | None = None

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        item, self.item = self.item, None
        if item is None:
            raise StopIteration
        return item


def csv_records(fh: BinaryIO, *, encoding: str, delimiter: str, limit: int, label: str | None = None,
                key: str = "max_record_bytes",
                observe: Callable[[bytes, bool], None] | None = None) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """(line the record starts on, its fields, None), or (line, None, reason) for a record
    that cannot be read: over ``limit`` bytes, malformed, or holding bytes undecodable in
    ``encoding`` (named ``label`` in the reason). The first record is the header. A UTF-8
    byte-order mark is removed. ``observe`` is given each record's raw bytes and whether
    they decoded (for :class:`~curate.sources.encodings.EncodingCheck`), unless the file
    is transcoded while read (UTF-16, UTF-32)."""
    csv.field_size_limit(sys.maxsize)  # records are bounded here, before the reader
    enc = codecs.lookup(encoding).name
    if not ascii_compatible(enc) or (not delimiter.isascii() and enc != "utf-8"):
        fh = _utf8_recoder(fh, enc)  # type: ignore[assignment]
        enc = "utf-8"
        observe = None
    label = label or encoding
    delim = delimiter.encode(enc)
    feed = _Feed()
    reader = csv.reader(feed, delimiter=delimiter)
    scan = _Scanner(delim)
    buf = fh.read(_CHUNK)
    if enc == "utf-8" and buf.startswith(codecs.BOM_UTF8):
        buf = buf[len(codecs.BOM_UTF8):]
    eof = not buf
    start = 0  # where the current record starts in buf
    dropped = 0  # bytes of the current record already read past (over the limit)
    dropped_lines = 0
    line = 1
    while True:
        end = scan.find(buf, eof)
        if end == _MORE:
            if dropped + len(buf) - start > limit:
                # over the limit: forget what was scanned (keeping a final "\r", which may
                # pair with a "\n" to come), count its lines, go on scanning
                cut = scan.pos - (1 if scan.pos > start and buf[scan.pos - 1] == 0x0D else 0)
                dropped += cut - start
                dropped_lines += _lines(buf[start:cut])
                buf, start = buf[cut:], 0
                scan.pos -= cut
            elif start:
                buf, scan.pos, start = buf[start:], scan.pos - start, 0
            data = fh.read(_CHUNK)
            eof = not data
            buf += data
            continue
        if end == start and eof and not dropped:
            return
        record = buf[start:end]
        size = dropped + len(record)
        if size > limit:
            yield line, None, too_large("row", size, limit, key)
        else:
            try:
                text, bad = record.decode(enc), False
            except UnicodeDecodeError:
                text, bad = record.decode(enc, "surrogateescape"), True
            if observe is not None:
                observe(record, not bad)
            if bad:
                yield line, None, f"invalid {label} in this row"
            else:
                feed.item = text
                try:
                    values = next(reader)
                except csv.Error as exc:
                    yield line, None, f"malformed CSV row: {exc}"
                except StopIteration:
                    values = []
                else:
                    yield line, values, None
        line += dropped_lines + _lines(record)
        dropped = dropped_lines = 0
        start = end
        scan.reset(end)
        if eof and start >= len(buf):
            return
