"""Atomic writes and checksums. A file is written beside its destination under a
temporary name, flushed to disk, then renamed: a crash never leaves a file that looks
complete. Every writer in curate goes through here."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import polars as pl

from curate.errors import CurateError


class WriteError(CurateError):
    """A file could not be written (full disk, read-only folder, ...)."""


#: how polars (Rust) reports an operating-system error inside its own exception types
_OS_ERROR = re.compile(r"\(os error (\d+)\)")


def _io_failure(exc: BaseException) -> str | None:
    """Why a write failed, when the cause is the file system: an ``OSError``'s reason, or
    the errno polars puts in its ``ComputeError`` on a full disk ("... (os error 28)").
    ``None`` for anything else (a bug, an interrupt), which is raised as it is."""
    if isinstance(exc, OSError):
        # pyarrow wraps the system's reason in its own words: prefer the system's
        if exc.errno in errno.errorcode:
            return os.strerror(exc.errno)
        return exc.strerror or str(exc)
    if isinstance(exc, Exception) and type(exc).__module__.startswith("polars"):
        m = _OS_ERROR.search(str(exc))
        if m:
            code = int(m.group(1))
            return os.strerror(code) if code in errno.errorcode else f"os error {code}"
    return None


def write_failure(dest: str | os.PathLike[str], exc: BaseException) -> BaseException:
    """``exc`` as the :class:`WriteError` of ``dest`` when the file system refused the
    write, else ``exc`` itself. For writers that must name their own file while another
    atomic write is open around them."""
    reason = _io_failure(exc)
    return WriteError(f"cannot write {dest}: {reason}") if reason is not None else exc


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _default_mode() -> int:
    """What ``open()`` would give a new file: 0o666 less the process's umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike[str], mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; on success it replaces ``dest``.

    The file gets ``mode`` (default: as ``open()`` would create it; the temporary file
    itself is private until then). On any error the temporary file is removed and
    ``dest`` is left as it was."""
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
        os.close(fd)
    except OSError as exc:
        raise WriteError(f"cannot write {dest}: {exc.strerror or exc}") from None
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, _default_mode() if mode is None else mode)
        os.replace(tmp_path, dest)
        _fsync_dir(dest.parent)
    except BaseException as exc:
        tmp_path.unlink(missing_ok=True)
        reason = _io_failure(exc)
        if reason is not None:
            raise WriteError(f"cannot write {dest}: {reason}") from None
        raise


@contextlib.contextmanager
def atomic_open(
    dest: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8", file_mode: int | None = None
) -> Iterator[IO[Any]]:
    """Open a temporary file for writing; it becomes ``dest`` when the block ends cleanly."""
    if "b" in mode:
        encoding = None
    with atomic_path(dest, file_mode) as tmp, open(tmp, mode, encoding=encoding) as fh:
        yield fh


def write_text(dest: str | os.PathLike[str], text: str, file_mode: int | None = None) -> None:
    with atomic_open(dest, file_mode=file_mode) as fh:
        fh.write(text)


def write_json(dest: str | os.PathLike[str], obj: Any, file_mode: int | None = None) -> None:
    """``file_mode=0o600`` for a file only its owner may read (credentials)."""
    text = json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False, default=str) + "\n"
    write_text(dest, text, file_mode=file_mode)


def write_jsonl(dest: str | os.PathLike[str], rows: Any) -> int:
    """Write an iterable of JSON-able rows, one per line. Returns the number written."""
    n = 0
    with atomic_open(dest) as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, default=str))
            fh.write("\n")
            n += 1
    return n


def write_parquet(dest: str | os.PathLike[str], df: pl.DataFrame) -> None:
    with atomic_path(dest) as tmp:
        df.write_parquet(tmp, compression="zstd", statistics=True)


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_json(obj: Any) -> str:
    """Hash of a JSON-able object, independent of key order."""
    data = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    # surrogatepass: a file name that is not UTF-8 (kept by Python as lone surrogates)
    # still hashes, to the same value every time
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()
