"""Messages out of an mbox file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

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


def _is_mbox(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(5) == b"From "
