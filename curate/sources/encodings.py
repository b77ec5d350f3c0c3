"""Text encodings of source files: the ``encoding`` setting, checked when the config is
read, and a check of the rows themselves, which names the encoding to set when a file was
declared wrongly.

A wrong declaration fails in one of two ways, and both are found from the raw bytes of
the rows as they are read (nothing is held but counts and a small sample):

- **UTF-8 read as a single-byte encoding** (``encoding: latin-1`` on a UTF-8 file): every
  row decodes, into mojibake (``Ã©`` for ``é``). A row whose bytes hold non-ASCII
  characters and are valid UTF-8 is counted: text really written in latin-1 or cp1252 is
  almost never valid UTF-8 (an accented letter would have to be followed by exactly the
  right number of bytes from 0x80-0xBF, which are symbols and punctuation there). When
  most non-ASCII rows are valid UTF-8, the file is UTF-8.
- **Another encoding read as UTF-8**: the rows with non-UTF-8 bytes are rejected. Their
  bytes (the first 64 KiB of them) go to charset-normalizer, which guesses the encoding
  among the common ones of European, Cyrillic, Greek, Turkish, Hebrew, Arabic, Japanese,
  Chinese and Korean text; among those that decode the sample identically, the most
  common is named (cp1252 rather than cp1250 for Western European text). It is a guess,
  and the warning says "look like".

The result is one warning line per source, with counts, in the ingest output and in the
stage's stats.
"""

from __future__ import annotations

import codecs
from typing import Annotated, Any

from pydantic import AfterValidator, Field

#: bytes of rejected rows given to the guesser: enough for a confident guess, small to hold
SAMPLE_BYTES = 64 * 1024

#: the encodings a guess chooses from, most likely first: where several decode the sample
#: to the same text, the first of them is named (Python codec names, as charset-normalizer
#: gives them). Left free, charset-normalizer names rare code pages for short samples
#: (cp1006 for one accented French word, cp949 for Shift-JIS).
_CANDIDATES = ("cp1252", "latin_1", "iso8859_15", "cp1250", "iso8859_2", "cp1251", "koi8_r", "cp1253", "cp1254",
               "cp1255", "cp1256", "cp1257", "shift_jis", "cp932", "euc_jp", "gb18030", "big5", "euc_kr")


def check_encoding(value: str) -> str:
    """The ``encoding`` setting: a text encoding Python knows, else a config error."""
    try:
        info = codecs.lookup(value)
    except LookupError:
        raise ValueError(f"unknown encoding {value!r} (Python's codec names: utf-8, cp1252, latin-1, utf-16, ...)") from None
    if not getattr(info, "_is_text_encoding", True):
        raise ValueError(f"{value!r} is not a text encoding")
    return value


#: the type of an ``encoding`` setting
Encoding = Annotated[str, AfterValidator(check_encoding)]


def encoding_field(description: str = "Text encoding of the file (a BOM is removed).") -> Any:
    return Field(default="utf-8", description=description)


def is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def _single_byte_ascii(encoding: str) -> bool:
    """True for an encoding that keeps ASCII as is and has one byte per character (latin-1,
    cp1252, ...): the ones a UTF-8 file can be read with, without an error."""
    try:
        name = codecs.lookup(encoding).name
        return (name not in ("utf-8", "utf-8-sig") and len(bytes(range(256)).decode(name, "replace")) == 256
                and bytes(range(128)).decode(name) == "".join(map(chr, range(128))))
    except (LookupError, UnicodeError):
        return False


class EncodingCheck:
    """Counts, over a source's rows, what says its declared encoding is wrong; ``row`` is
    given each row's raw bytes (before decoding) and whether they decoded."""

    def __init__(self, declared: str):
        self.declared = declared
        self.utf8 = is_utf8(declared)
        self.single_byte = _single_byte_ascii(declared)
        self.rows = 0
        self.failed = 0
        self.non_ascii = 0
        self.utf8_like = 0
        self.sample = bytearray()

    def row(self, raw: bytes, decoded: bool) -> None:
        self.rows += 1
        if not decoded:
            self.failed += 1
            if len(self.sample) < SAMPLE_BYTES:
                self.sample += raw[: SAMPLE_BYTES - len(self.sample)] + b"\n"
            return
        if self.single_byte and not raw.isascii():
            self.non_ascii += 1
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return
            self.utf8_like += 1

    def verdict(self, unit: str = "row") -> str | None:
        """One line saying which encoding to set, or None when nothing points elsewhere."""
        units = f"{unit}s"
        if self.failed:
            guess = guess_encoding(bytes(self.sample))
            hint = f"they look like {guess}: set `encoding: {guess}`" if guess else "set `encoding:` to the file's encoding"
            return (f"{self.failed:,} of {self.rows:,} {units} are not valid {self.declared} and were rejected; "
                    f"{hint}")
        if self.single_byte and self.utf8_like and 2 * self.utf8_like > self.non_ascii:
            return (f"{self.utf8_like:,} of {self.rows:,} {units} look like UTF-8 read as {self.declared} "
                    f"(mojibake such as 'Ã©' for 'é'); set `encoding: utf-8`")
        return None


def guess_encoding(sample: bytes) -> str | None:
    """charset-normalizer's guess for bytes that are not UTF-8, or None."""
    if not sample:
        return None
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # a dependency; guarded so that a broken install still reads data
        return None
    best = from_bytes(sample, cp_isolation=list(_CANDIDATES)).best()
    if best is None:
        return None
    same = {best.encoding, *best.could_be_from_charset}
    return next((name for name in _CANDIDATES if name in same), best.encoding)
