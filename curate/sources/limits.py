"""Bounded reading: no input unit (a line, a row, a file) is held in memory beyond a limit
the config sets, and no failure to parse one unit stops the others.

- :func:`bounded_lines` reads ``\\n``-terminated lines of at most ``limit`` bytes; a longer
  line is read past in pieces, never held whole, and reported with its size.
- :func:`read_capped` reads a whole file only when it is within the limit (checked on the
  open descriptor first, then while reading, for files that grow).
- :func:`parse_failure` names, without quoting the input, why a parser gave up on one
  unit: Python's limit on integer digits, nesting (``RecursionError``), memory, a decoder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, BinaryIO

from pydantic import Field

#: the default largest input unit: far above any ticket, e-mail body or documentation page,
#: low enough that a few of them in flight stay far from a machine's memory
MAX_RECORD_BYTES = 8 * 1024 * 1024


def max_record_bytes_field(what: str) -> Any:
    return Field(
        default=MAX_RECORD_BYTES,
        ge=1024,
        description=f"Largest input unit read, in bytes ({what}); a larger one is a reject, "
        "read past without being held in memory.",
    )


class TooLarge(Exception):
    """An input unit over its limit; the message is the reject reason."""

    def __init__(self, what: str, size: int, limit: int, key: str, at_least: bool = False):
        super().__init__(too_large(what, size, limit, key, at_least))


def too_large(what: str, size: int, limit: int, key: str, at_least: bool = False) -> str:
    """'line of 67,108,864 bytes, over the limit of 8,388,608 (max_record_bytes)'."""
    return f"{what} of {'more than ' if at_least else ''}{size:,} bytes, over the limit of {limit:,} ({key})"


def bounded_lines(fh: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | None, int]]:
    """(line number, line, size) for each ``\\n``-terminated line; a line longer than
    ``limit`` bytes (its newline not counted) comes as ``None`` with its size."""
    n = 0
    while True:
        raw = fh.readline(limit + 1)
        if not raw:
            return
        n += 1
        if raw.endswith(b"\n") or len(raw) <= limit:
            yield n, raw, len(raw)
            continue
        size = len(raw)
        piece = b""
        while True:
            piece = fh.readline(1 << 20)
            size += len(piece)
            if not piece or piece.endswith(b"\n"):
                break
        yield n, None, size - (1 if piece.endswith(b"\n") else 0)


def read_capped(fh: BinaryIO, limit: int, what: str, key: str) -> bytes:
    """The whole file, or :class:`TooLarge` when it holds more than ``limit`` bytes."""
    size = os.fstat(fh.fileno()).st_size
    if size > limit:
        raise TooLarge(what, size, limit, key)
    data = fh.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(what, limit, limit, key, at_least=True)
    return data


def parse_failure(exc: BaseException) -> str:
    """Why a parser failed on one input unit, never quoting it."""
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, MemoryError):
        return "too large to parse in memory"
    if isinstance(exc, UnicodeError):
        return f"undecodable text ({type(exc).__name__})"
    if isinstance(exc, ValueError) and "integer string conversion" in str(exc):
        # Python refuses to convert integers of more than sys.get_int_max_str_digits()
        return "a number with too many digits"
    return f"unreadable ({type(exc).__name__})"
