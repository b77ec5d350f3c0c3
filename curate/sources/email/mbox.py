"""Messages out of an mbox file, read line by line in bounded pieces: a message over the
size limit is read past without being held, and a line of any length never is held whole."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

_MBOX_FROM = re.compile(rb"^>+From ")
_PIECE = 1 << 20


def split_mbox(path: Path, limit: int = sys.maxsize) -> Iterator[tuple[int, bytes | None]]:
    """(line of the 'From ' separator, raw bytes or None when over ``limit``) for each
    message of the mbox file at ``path``."""
    with open(path, "rb") as fh:
        for line, raw, _ in mbox_messages(fh, limit):
            yield line, raw


def mbox_messages(fh: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | None, int]]:
    """Messages of an mbox file as (line of the 'From ' separator, raw bytes, size); the
    bytes are ``None`` for a message over ``limit`` bytes.

    A separator is a line starting with 'From ' at the start of the file or after a blank
    line; '>From ' lines are unescaped (mboxrd)."""
    buf: list[bytes] = []
    size = 0
    start = 0
    n = 0
    prev_blank = True
    line_start = True  # the next piece starts a line
    in_separator = False  # the rest of a long separator line follows
    while piece := fh.readline(_PIECE):
        starts, line_start = line_start, piece.endswith(b"\n")
        if not starts:
            if in_separator:
                in_separator = not line_start
                continue
            prev_blank = False
        else:
            n += 1
            if piece.startswith(b"From ") and prev_blank:
                if buf or start or size:
                    yield start, _join_mbox(buf) if size <= limit else None, size
                buf, size, start, prev_blank = [], 0, n, False
                in_separator = not line_start
                continue
            prev_blank = piece in (b"\n", b"\r\n")
            if _MBOX_FROM.match(piece):
                piece = piece[1:]
        size += len(piece)
        if size <= limit:
            buf.append(piece)
        elif buf:
            buf = []  # over the limit: read past the rest of this message
    if buf or start or size:
        yield start, _join_mbox(buf) if size <= limit else None, size


def _join_mbox(lines: list[bytes]) -> bytes:
    # the blank line before the next separator belongs to the mbox, not the message
    if lines and lines[-1] in (b"\n", b"\r\n"):
        lines = lines[:-1]
    return b"".join(lines)


def is_mbox(fh: BinaryIO) -> bool:
    """True when an open file starts like an mbox (its position is put back)."""
    head = fh.read(5)
    fh.seek(0)
    return head == b"From "
