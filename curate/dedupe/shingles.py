"""Text normalisation and shingle hashing, vectorised over a batch of texts.

Nothing here makes one Python string per shingle (the bottleneck of the naive way). A
batch of texts is one UTF-8 buffer with offsets (Arrow's layout):

- *Normalisation* maps bytes through a table (whitespace to a space, optionally ASCII
  upper case to lower case and ASCII punctuation to a space) and drops the spaces that
  start, end or repeat in a text, all with numpy over the whole buffer. Texts with any
  non-ASCII byte first go through polars (Unicode NFKC, Unicode lower case, punctuation and
  whitespace classes); the byte pass then leaves them unchanged.
- *Shingle hashing*: every byte gets a tabulated 64-bit value and a prefix sum of
  ``value * P^-position`` (arithmetic modulo 2^64, which is what unsigned numpy integers
  do) gives the polynomial hash of any span in O(1). A shingle is a span: from the start
  of word *i* to the end of word *i + n - 1* (word n-grams) or from code point *i* to code
  point *i + n - 1* (character n-grams). The 64-bit span hash goes through the MurmurHash3
  finaliser and its top 32 bits are the shingle's hash, the input MinHash expects
  (datasketch's ``affine32`` scheme).

A shingle's hash depends only on its bytes, not on where it sits, so it is the same in
every document, batch and run (:func:`python_shingle_hash` is the one-string reference).
Polynomial hashes modulo 2^64 collide on crafted inputs thousands of bytes long; shingles
are a few dozen bytes.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl
import pyarrow as pa

ShingleKind = Literal["word", "char"]

_U64 = np.uint64
_MASK64 = (1 << 64) - 1
# odd multiplier (the golden ratio in 64 bits) and its inverse modulo 2^64
_P = 0x9E3779B97F4A7C15
_P_INV = pow(_P, -1, 1 << 64)
# tabulated byte values: fixed, so hashes are the same in every process and run
_TABLE = np.random.default_rng(0x5EED5A1F).integers(0, 1 << 64, size=256, dtype=np.uint64, endpoint=False)
_SPACE = 0x20
# bytes hashed per chunk: the power tables stay this long (2 x 16 MiB)
_CHUNK_BYTES = 1 << 21


# -- normalisation --------------------------------------------------------------------------


def _byte_table(lowercase: bool, drop_punctuation: bool) -> np.ndarray:
    t = np.arange(256, dtype=np.uint8)
    for c in b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f":
        t[c] = _SPACE
    if lowercase:
        t[ord("A") : ord("Z") + 1] += 32
    if drop_punctuation:
        for c in range(128):
            ch = chr(c)
            if not (ch.isalnum() or ch == "_"):
                t[c] = _SPACE
    return t


@dataclass(frozen=True)
class Normalization:
    """How texts are normalised before hashing. Always: Unicode NFKC and runs of
    whitespace as one space, trimmed. ``lowercase``: case-insensitive (Unicode lower
    case). ``drop_punctuation``: everything but letters, digits and ``_`` counts as a
    space (so ``don't`` is two words)."""

    lowercase: bool = False
    drop_punctuation: bool = False

    def table(self) -> np.ndarray:
        return _byte_table(self.lowercase, self.drop_punctuation)

    def unicode(self, texts: list[str]) -> pl.Series:
        """The Unicode part of the normalisation, for texts with non-ASCII characters:
        NFKC (Python's, which skips texts already in NFKC), Unicode lower case, and
        non-ASCII whitespace (and punctuation) as spaces. The byte pass does the rest."""
        out = pl.Series([unicodedata.normalize("NFKC", t) for t in texts], dtype=pl.Utf8)
        if self.lowercase:
            out = out.str.to_lowercase()
        # only non-ASCII characters: ASCII is the byte table's job, and the rare matches
        # keep the regex fast
        pattern = r"[^\x00-\x7F\w]" if self.drop_punctuation else r"[\s&&[^\x00-\x7F]]"
        return out.str.replace_all(pattern, " ")


EXACT = Normalization()
EXACT_CASEFOLD = Normalization(lowercase=True)


@dataclass
class TextBuffer:
    """Texts as one UTF-8 buffer: text *d* is ``data[offsets[d]:offsets[d + 1]]``."""

    data: np.ndarray  # uint8
    offsets: np.ndarray  # int64, len = texts + 1

    def __len__(self) -> int:
        return self.offsets.size - 1

    def text(self, d: int) -> str:
        return self.data[self.offsets[d] : self.offsets[d + 1]].tobytes().decode("utf-8")

    def texts(self) -> list[str]:
        return [self.text(d) for d in range(len(self))]


def text_buffer(texts: pl.Series) -> TextBuffer:
    """The UTF-8 bytes and offsets of a string Series (nulls as empty texts)."""
    arr = texts.cast(pl.Utf8).fill_null("").to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    _, off_buf, data_buf = arr.buffers()
    n = len(arr)
    offsets = np.frombuffer(off_buf, dtype=np.int64, count=n + 1, offset=arr.offset * 8)
    start, end = int(offsets[0]), int(offsets[-1])
    if end > start:
        data = np.frombuffer(data_buf, dtype=np.uint8, count=end - start, offset=start)
    else:
        data = np.zeros(0, np.uint8)
    return TextBuffer(data, offsets - start)


def _per_text(positions: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """How many of the (sorted) byte ``positions`` fall in each text."""
    doc = np.searchsorted(offsets, positions, side="right") - 1
    return np.bincount(doc, minlength=offsets.size - 1)


def _non_ascii_rows(buf: TextBuffer) -> np.ndarray:
    if buf.data.size == 0 or buf.data.max() < 0x80:
        return np.zeros(len(buf), dtype=bool)
    return _per_text(np.flatnonzero(buf.data >= 0x80), buf.offsets) > 0


def normalize(texts: pl.Series, how: Normalization) -> TextBuffer:
    """Normalise a batch of texts (see :class:`Normalization`) into one buffer."""
    texts = texts.cast(pl.Utf8).fill_null("")
    buf = text_buffer(texts)
    if buf.data.size == 0:
        return TextBuffer(buf.data, np.zeros_like(buf.offsets))
    rows = np.flatnonzero(_non_ascii_rows(buf))
    if rows.size:
        fixed = how.unicode(texts.gather(rows).to_list())
        texts = texts.clone()
        texts.scatter(rows, fixed)
        buf = text_buffer(texts)
    return _collapse(buf, how.table())


def _collapse(buf: TextBuffer, table: np.ndarray) -> TextBuffer:
    """Map bytes through ``table`` and keep a space only between two non-spaces of the
    same text."""
    data, offsets = buf.data, buf.offsets
    mapped = table[data]
    n = mapped.size
    if n == 0:
        return TextBuffer(mapped, np.zeros_like(offsets))
    is_sp = mapped == _SPACE
    # keep a non-space, or a space followed by a non-space of the same text
    keep = np.empty(n, dtype=bool)
    keep[:-1] = is_sp[1:]
    keep[-1] = True
    lengths = np.diff(offsets)
    nonempty = lengths > 0
    keep[offsets[1:][nonempty] - 1] = True  # a text's last byte: no next byte
    keep &= is_sp
    np.logical_not(keep, out=keep)
    # ... but not the last space of a run that starts the text (rare: loop over those)
    starts = offsets[:-1][nonempty]
    for d in np.flatnonzero(nonempty)[is_sp[starts]]:
        s, e = offsets[d], offsets[d + 1]
        rest = np.flatnonzero(~is_sp[s:e])
        keep[s : s + (rest[0] if rest.size else e - s)] = False
    dropped = np.flatnonzero(~keep)  # few: repeated, leading and trailing spaces
    if dropped.size == 0:
        return TextBuffer(mapped, offsets.copy())
    new_offsets = np.zeros(offsets.size, dtype=np.int64)
    np.cumsum(lengths - _per_text(dropped, offsets), out=new_offsets[1:])
    return TextBuffer(mapped[keep], new_offsets)


# -- shingles -------------------------------------------------------------------------------


def _powers(base: int, n: int) -> np.ndarray:
    """base**0 .. base**(n-1) modulo 2^64."""
    out = np.full(max(n, 1), base, dtype=_U64)
    out[0] = 1
    return np.cumprod(out, dtype=_U64)[:n]


class _PowerCache:
    """Powers of P and P^-1 for positions within a chunk, grown on demand."""

    def __init__(self) -> None:
        self.p = np.zeros(0, _U64)
        self.p_inv = np.zeros(0, _U64)

    def ensure(self, n: int) -> None:
        if n > self.p.size:
            size = max(1 << int(np.ceil(np.log2(max(n, 2)))), 1 << 12)
            self.p = _powers(_P, size)
            self.p_inv = _powers(_P_INV, size)


_POWERS = _PowerCache()


def fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser (an avalanching bijection)."""
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> _U64(33))


@dataclass
class ShingleBatch:
    """The shingle hashes of a batch of texts, concatenated: the hashes of text *d* are
    ``hashes[offsets[d]:offsets[d + 1]]``. A text with no shingles (empty after
    normalisation) has an empty range."""

    hashes: np.ndarray  # uint32
    offsets: np.ndarray  # int64, len = texts + 1

    @property
    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)

    def __len__(self) -> int:
        return self.offsets.size - 1

    def of(self, d: int) -> np.ndarray:
        return self.hashes[self.offsets[d] : self.offsets[d + 1]]


def shingle_hashes(buf: TextBuffer, ngram: int, kind: ShingleKind = "word") -> ShingleBatch:
    """Hash every word (or character) ``ngram``-gram of each normalised text.

    ``buf`` comes from :func:`normalize` (single spaces, none at either end). A text with
    fewer than ``ngram`` units is one shingle: the whole text; an empty text has none."""
    if ngram < 1:
        raise ValueError("ngram must be at least 1")
    if kind not in ("word", "char"):
        raise ValueError(f"unknown shingle kind {kind!r}")
    n_docs = len(buf)
    lengths = np.diff(buf.offsets)
    parts: list[np.ndarray] = []
    counts = np.zeros(n_docs, np.int64)
    d0 = 0
    while d0 < n_docs:
        # texts whose bytes fit in one chunk (at least one text)
        b0 = buf.offsets[d0]
        d1 = int(np.searchsorted(buf.offsets, b0 + _CHUNK_BYTES, side="right")) - 1
        d1 = min(max(d1, d0 + 1), n_docs)
        b1 = buf.offsets[d1]
        if b1 > b0:
            h, c = _chunk_shingles(buf.data[b0:b1], buf.offsets[d0 : d1 + 1] - b0, lengths[d0:d1], ngram, kind)
            parts.append(h)
            counts[d0:d1] = c
        d0 = d1
    offsets = np.zeros(n_docs + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    hashes = np.concatenate(parts) if parts else np.zeros(0, np.uint32)
    return ShingleBatch(hashes, offsets)


def _chunk_shingles(
    data: np.ndarray, offsets: np.ndarray, lengths: np.ndarray, ngram: int, kind: str
) -> tuple[np.ndarray, np.ndarray]:
    n = data.size
    n_docs = lengths.size
    nonempty = lengths > 0
    # unit (word or code point) starts and ends, in byte positions, in order
    if kind == "word":
        is_sp = data == _SPACE
        start_mask = np.zeros(n, dtype=bool)
        start_mask[1:] = is_sp[:-1]
        start_mask[offsets[:-1][nonempty]] = True
        end_mask = np.zeros(n + 1, dtype=bool)
        end_mask[:-1] = is_sp
        end_mask[offsets[1:][nonempty]] = True
        starts = np.flatnonzero(start_mask)
        ends = np.flatnonzero(end_mask)
    else:
        starts = np.flatnonzero((data & 0xC0) != 0x80)  # first byte of each code point
        ends = np.empty_like(starts)
        ends[:-1] = starts[1:]
        ends[-1] = n  # texts end on a code point boundary, so no end crosses a text
    units_per_doc = np.zeros(n_docs, np.int64)
    unit_doc = np.searchsorted(offsets, starts, side="right") - 1
    units_per_doc[:] = np.bincount(unit_doc, minlength=n_docs)
    first_unit = np.zeros(n_docs + 1, np.int64)
    np.cumsum(units_per_doc, out=first_unit[1:])
    # shingle i of a text spans units i .. i+n-1; short texts give one whole-text shingle
    per_doc = np.where(units_per_doc >= ngram, units_per_doc - ngram + 1, np.minimum(units_per_doc, 1))
    local = np.arange(starts.size) - first_unit[unit_doc]
    s_unit = np.flatnonzero(local < per_doc[unit_doc])
    last_unit = np.minimum(s_unit + ngram - 1, first_unit[unit_doc[s_unit] + 1] - 1)
    span_s = starts[s_unit]
    span_e = ends[last_unit]
    # prefix sums of T[byte] * P^-position: the difference over a span times
    # P^(end-1) is the span's polynomial hash, wherever the span sits
    _POWERS.ensure(n + 1)
    prefix = np.zeros(n + 1, dtype=_U64)
    np.cumsum(_TABLE[data] * _POWERS.p_inv[:n], out=prefix[1:])
    h = (prefix[span_e] - prefix[span_s]) * _POWERS.p[span_e - 1]
    return (fmix64(h) >> _U64(32)).astype(np.uint32), per_doc


def python_shingles(text: str, ngram: int, kind: ShingleKind = "word") -> list[str]:
    """The shingles of one normalised text as strings: the reference the vectorised
    hashing is tested against, and what the naive baseline hashes."""
    if not text:
        return []
    units = text.split(" ") if kind == "word" else list(text)
    sep = " " if kind == "word" else ""
    if len(units) < ngram:
        return [text]
    return [sep.join(units[i : i + ngram]) for i in range(len(units) - ngram + 1)]


def python_shingle_hash(shingle: str) -> int:
    """The 32-bit hash :func:`shingle_hashes` gives ``shingle``, one string at a time."""
    h = 0
    for b in shingle.encode("utf-8"):
        h = (h * _P + int(_TABLE[b])) & _MASK64
    return int(fmix64(np.array([h], dtype=_U64))[0] >> _U64(32))
