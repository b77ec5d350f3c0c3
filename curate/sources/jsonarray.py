"""The elements of a top-level JSON array (``[{...}, {...}]``), one at a time, each held
only up to a size limit.

Exports and datasets often come as one JSON document holding a list of objects (ABCD's
dialogues, API dumps). Parsing the document whole would hold all of it, and one broken
element would lose the rest. Here the array is split on the raw bytes: a scan that jumps
between the bytes that matter (quotes, backslashes inside strings; brackets, braces and
commas outside them) finds where each element ends at nesting depth 1. Each element is
then parsed on its own by the caller, so a broken one is one reject. An element over
``limit`` bytes is read past without being held (its bytes are dropped as the scan goes
on) and reported with its size.

ijson streams such files too, but builds every element whole before anything can check
its size and cannot go on after a syntax error; the split here is a few lines and keeps
both properties.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from curate.sources.limits import too_large

_CHUNK = 1 << 20
_OUTSIDE = re.compile(rb'[\[\]{}",]')
_INSIDE = re.compile(rb'["\\]')
_WS = b" \t\r\n"


def starts_array(fh: BinaryIO) -> bool:
    """True when the file's first character (after a UTF-8 BOM and white space) is ``[``;
    the file is left at its start."""
    head = b""
    while True:
        piece = fh.read(4096)
        head += piece
        stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip(_WS)
        if stripped or not piece or len(head) > 1 << 20:
            break
    fh.seek(0)
    return stripped.startswith(b"[")


def array_elements(fh: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | None, str | None]]:
    """(index from 1, element bytes, None) for each element of the array the file holds;
    (index, None, reason) for one over ``limit`` bytes or cut short by the end of the
    file; (0, None, reason) for what is wrong with the array itself (content after it, no
    closing bracket). The file must start with the array (:func:`starts_array`)."""
    buf = (fh.read(3).removeprefix(b"\xef\xbb\xbf") + fh.read(_CHUNK)).lstrip(_WS)
    while not buf:  # white space before the array, however long
        raw = fh.read(_CHUNK)
        if not raw:
            return
        buf = raw.lstrip(_WS)
    pos = 1  # past the opening bracket
    depth = 1  # inside the array
    in_string = False
    escape = False  # the chunk ended on a backslash inside a string
    cur = bytearray()  # the current element, while it is within the limit
    size = 0  # its size so far
    index = 0
    closed = False
    while True:
        n = len(buf)
        start = pos
        while pos < n:
            if escape:
                pos += 1
                escape = False
                continue
            if in_string:
                m = _INSIDE.search(buf, pos)
                if m is None:
                    pos = n
                    break
                j = m.start()
                if buf[j] == 0x5C:  # a backslash: the next byte is escaped
                    if j + 1 < n:
                        pos = j + 2
                    else:
                        pos, escape = n, True
                else:
                    pos, in_string = j + 1, False
                continue
            m = _OUTSIDE.search(buf, pos)
            if m is None:
                pos = n
                break
            j = m.start()
            c = buf[j]
            if c == 0x22:
                in_string = True
            elif c in (0x5B, 0x7B):
                depth += 1
            elif c in (0x5D, 0x7D):
                if depth > 1:
                    depth -= 1
                elif c == 0x5D:  # the array's closing bracket
                    size, cur = _take(cur, size, buf[start:j], limit)
                    item = _element(index + 1, cur, size, limit)
                    if item is not None:
                        index += 1
                        yield item
                    closed = True
                    pos = j + 1
                    break
                # a stray closing brace at depth 1 stays in the element, which then fails to parse
            elif depth == 1:  # a comma between elements
                size, cur = _take(cur, size, buf[start:j], limit)
                item = _element(index + 1, cur, size, limit)
                if item is not None:
                    index += 1
                    yield item
                cur, size = bytearray(), 0
                start = pos = j + 1
                continue
            pos = j + 1
        if closed:
            rest = buf[pos:]
            while not rest.strip(_WS):
                rest = fh.read(_CHUNK)
                if not rest:
                    return
            yield 0, None, "content after the JSON array, not read"
            return
        size, cur = _take(cur, size, buf[start:pos], limit)
        buf = fh.read(_CHUNK)
        pos = 0
        if not buf:
            if bytes(cur).strip(_WS) or size > len(cur):
                yield index + 1, None, "the file ends inside this element (cut short?)"
            else:
                yield 0, None, "the JSON array is not closed (the file may be cut short)"
            return


def _take(cur: bytearray, size: int, piece: bytes, limit: int) -> tuple[int, bytearray]:
    """Add ``piece`` to the element; past the limit only its size is kept."""
    size += len(piece)
    if size <= limit:
        cur += piece
    elif cur:
        cur = bytearray()
    return size, cur


def _element(index: int, cur: bytearray, size: int, limit: int) -> tuple[int, bytes | None, str | None] | None:
    if size > limit:
        return index, None, too_large("element", size, limit, "max_record_bytes")
    raw = bytes(cur).strip(_WS)
    if not raw:
        return None  # "[]" or a trailing comma: no element
    return index, raw, None
