"""A ZIP container (a DOCX file) checked before a parser inflates it.

python-docx reads every member of the package into memory, so a 4 MB file whose
``document.xml`` inflates to 3 GB must be refused before it is opened. In order, cheapest
first, without inflating anything until the last step:

1. the end-of-central-directory record: at most :data:`MAX_MEMBERS` members and a
   directory of at most :data:`MAX_DIRECTORY_BYTES` (so that listing them is cheap);
2. each member's declared size: their total at most ``max_unpacked`` bytes, and no member
   over 1 MiB inflating more than ``max_ratio`` times its compressed size;
3. each member inflated into a counter, never into memory: a member that inflates beyond
   its declared size (a header that lies) is refused at the first byte over it.

Only stored and deflated members are accepted (all a DOCX writer uses)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from curate.sources.docs.errors import DocError

#: a DOCX holds tens to a few thousand members (embedded images)
MAX_MEMBERS = 10_000
MAX_DIRECTORY_BYTES = 16 * 1024 * 1024
#: members smaller than this inflate to little, whatever their ratio (small XML parts
#: compress 20 to 100 times)
RATIO_FLOOR = 1024 * 1024
_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"
_LOCAL = b"PK\x03\x04"
_STEP = 1 << 16


def _directory(data: bytes) -> tuple[int, int]:
    """(members, directory size) from the end-of-central-directory record (ZIP64 too)."""
    at = data.rfind(_EOCD, max(0, len(data) - 22 - 0xFFFF))
    if at < 0 or at + 22 > len(data):
        raise DocError("not a readable DOCX file (no ZIP directory)")
    members, size = struct.unpack_from("<HI", data, at + 10)
    if members == 0xFFFF or size == 0xFFFFFFFF:
        loc = at - 20
        if loc < 0 or data[loc:loc + 4] != _EOCD64_LOCATOR:
            raise DocError("not a readable DOCX file (broken ZIP64 directory)")
        (offset,) = struct.unpack_from("<Q", data, loc + 8)
        if offset + 56 > len(data) or data[offset:offset + 4] != _EOCD64:
            raise DocError("not a readable DOCX file (broken ZIP64 directory)")
        members, size = struct.unpack_from("<QQ", data, offset + 32)
    return members, size


def _inflated_size(data: bytes, info: zipfile.ZipInfo, cap: int) -> int:
    """How many bytes a member inflates to, counted up to ``cap + 1`` and not kept."""
    at = info.header_offset
    if data[at:at + 4] != _LOCAL:
        raise DocError("not a readable DOCX file (broken ZIP member)")
    name_len, extra_len = struct.unpack_from("<HH", data, at + 26)
    start = at + 30 + name_len + extra_len
    body = memoryview(data)[start:start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        return len(body)
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise DocError("DOCX member compressed with a method DOCX does not use")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced = 0
    try:
        for pos in range(0, len(body), _STEP):
            chunk: bytes | memoryview = body[pos:pos + _STEP]
            while chunk and produced <= cap:
                produced += len(inflater.decompress(chunk, cap + 1 - produced))
                chunk = inflater.unconsumed_tail
            if produced > cap or inflater.eof:
                break
        if produced <= cap:
            produced += len(inflater.flush(cap + 1 - produced))
    except zlib.error:
        raise DocError("not a readable DOCX file (broken deflate data)") from None
    return produced


def check_zip(data: bytes, max_unpacked: int, max_ratio: float) -> None:
    """Raise :class:`DocError` unless the ZIP in ``data`` is safe to hand to a parser."""
    members, directory = _directory(data)
    if members > MAX_MEMBERS:
        raise DocError(f"DOCX of {members:,} members, over the limit of {MAX_MEMBERS:,}")
    if directory > MAX_DIRECTORY_BYTES:
        raise DocError(f"DOCX directory of {directory:,} bytes, over the limit of {MAX_DIRECTORY_BYTES:,}")
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, struct.error, EOFError) as exc:
        raise DocError(f"not a readable DOCX file ({type(exc).__name__})") from None
    total = 0
    for n, info in enumerate(infos):
        total += info.file_size
        if total > max_unpacked:
            raise DocError(f"DOCX members declared to inflate to at least {total:,} bytes, "
                           f"over the limit of {max_unpacked:,} (max_unpacked_bytes)")
        if info.file_size > RATIO_FLOOR and info.file_size > max_ratio * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise DocError(f"DOCX member {n + 1} inflates {ratio:,.0f} times, over the limit of {max_ratio:,g} (max_inflate_ratio)")
    for n, info in enumerate(infos):
        if _inflated_size(data, info, info.file_size) > info.file_size:
            raise DocError(f"DOCX member {n + 1} inflates beyond its declared size of {info.file_size:,} bytes")
