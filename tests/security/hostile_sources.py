"""Hostile source files, generated small and fast (the tests) or full size (the benchmark
``benchmarks/source_bombs.py``): front matter of nested YAML aliases, DOCX packages that
inflate far beyond their size or lie about it, JSONL lines and CSV fields of any size,
huge integers."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path
from typing import Any

from curate.sources.base import Reject, Skip, SourceState, get_source_class

#: a page any docs source reads
GOOD_PAGE = "---\ntitle: Resetting a password\n---\n\n# Resetting a password\n\nOpen Settings, then Security, then Reset.\n"


def alias_bomb_page(levels: int = 9, fanout: int = 9) -> str:
    """A Markdown page whose front matter is a YAML "billion laughs": ``fanout ** levels``
    leaves from under 500 bytes once the aliases are expanded."""
    lines = ["---", "a0: &a0 [" + ",".join(["lol"] * fanout) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * fanout) + "]")
    lines += ["title: Bomb", "---", "", "# Bomb", "", "Nothing to see here."]
    return "\n".join(lines) + "\n"


def write_docx(path: Path, paragraphs: list[str]) -> Path:
    """A real DOCX made by python-docx."""
    import docx

    d = docx.Document()
    d.add_heading("Printer setup", level=1)
    for p in paragraphs:
        d.add_paragraph(p)
    d.save(str(path))
    return path


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


def docx_with_document_padding(src: Path, dest: Path, padding: int, chunk: int = 1 << 24) -> Path:
    """``src`` with ``padding`` spaces after the root element of word/document.xml (valid
    XML that inflates about 1,000 times), written in chunks: any size, little memory."""
    members = _members(src.read_bytes())
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in members.items():
            if name != "word/document.xml":
                z.writestr(name, data)
                continue
            with z.open(name, "w", force_zip64=padding > (1 << 31) - 2**20) as w:
                w.write(data)
                left = padding
                block = b" " * min(chunk, max(padding, 1))
                while left > 0:
                    w.write(block[:left])
                    left -= len(block)
    return dest


def set_declared_size(path: Path, member: str, size: int) -> Path:
    """Rewrite the inflated size a ZIP's directory (and the member's local header) declare
    for ``member``, leaving its data as it is: a package that lies about its size."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo(member)
    struct.pack_into("<I", data, info.header_offset + 22, size)
    at = data.find(b"PK\x05\x06", len(data) - 22 - 0xFFFF)
    (cd,) = struct.unpack_from("<I", data, at + 16)
    while data[cd:cd + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, cd + 28)
        if bytes(data[cd + 46:cd + 46 + name_len]).decode() == member:
            struct.pack_into("<I", data, cd + 24, size)
        cd += 46 + name_len + extra_len + comment_len
    path.write_bytes(bytes(data))
    return path


def jsonl_row(i: int, q: Any = None) -> str:
    return json.dumps({"id": f"t{i}", "q": q if q is not None else f"My order {i} has not arrived.",
                       "a": "It ships tomorrow."})


def write_jsonl_with_long_line(path: Path, line_bytes: int, chunk: int = 1 << 24) -> Path:
    """Two ordinary rows around one row whose line is ``line_bytes`` long, written in chunks."""
    head = b'{"id": "big", "a": "ok", "q": "'
    tail = b'"}\n'
    with open(path, "wb") as fh:
        fh.write((jsonl_row(1) + "\n").encode())
        fh.write(head)
        left = line_bytes - len(head) - len(tail) + 1
        block = b"a" * min(chunk, max(left, 1))
        while left > 0:
            fh.write(block[:left])
            left -= len(block)
        fh.write(tail)
        fh.write((jsonl_row(2) + "\n").encode())
    return path


def write_csv_with_long_field(path: Path, field_bytes: int, chunk: int = 1 << 24) -> Path:
    """A CSV whose second row holds one quoted field of about ``field_bytes`` bytes with line
    breaks, delimiters and doubled quotes in it, between two ordinary rows."""
    piece = b'line, with "" quotes\n'
    block = piece * (chunk // len(piece))
    left = max(1, field_bytes // len(piece)) * len(piece)  # whole pieces: no '""' cut in two
    with open(path, "wb") as fh:
        fh.write(b"id,q,a\nr1,My order has not arrived.,It ships tomorrow.\n")
        fh.write(b'r2,"')
        while left > 0:
            fh.write(block[:left])
            left -= len(block)
        fh.write(b'",ok\nr3,Where is my invoice?,In your account.\n')
    return path


def read_events(type_: str, base: Path, state_dir: Path, **cfg: Any) -> list:
    """Every event of one source, read in this process (as the ingest stage reads it)."""
    cls = get_source_class(type_)
    conf = cls.Config.model_validate({"type": type_, **cfg}, context={"base_dir": base})
    return list(cls(conf, base).read(SourceState(state_dir / "state.json")))


def split(events: list) -> tuple[list[dict], list[Reject], list[Skip]]:
    return ([e for e in events if isinstance(e, dict)], [e for e in events if isinstance(e, Reject)],
            [e for e in events if isinstance(e, Skip)])
