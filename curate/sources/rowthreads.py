"""Rows that are turns of conversations (tweets, chat messages) grouped into threads.

A file source with ``thread_by`` or ``in_reply_to`` in its field mapping does not make one
Record per row: each row becomes one or more turns, and the rows of a thread become one
Record. A thread is

- the rows sharing a ``thread_by`` value (a chat log's conversation id), and/or
- the rows linked by ``in_reply_to`` (the ``id`` of the row a row answers), through rows
  that are present: replies to a row the files do not hold (a company's broadcast tweet
  outside the sample) start threads of their own, so strangers answering the same post are
  not one conversation.

Its turns are in ``order_by`` order (a time or a number), rows of equal or no order value
in file order.

Memory. The rows of a thread may be anywhere in the files (tweets of a day interleave), so
the rows wait on disk, in a temporary SQLite database in a private temporary folder that is
removed when the source has been read (it holds the rows' text, like the files it came
from). In memory are: one thread at a time (at most ``max_record_bytes``; a larger thread
is one reject, read past), and, with ``in_reply_to``, one integer per row (the union-find
of the reply links, about 8 bytes a row). SQLite sorts on disk beyond its small cache.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import tempfile
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from curate.sources.limits import too_large

#: a number written by a spreadsheet or pandas as a float: 19137.0 is the id 19137
_FLOAT_INT = re.compile(r"[+-]?\d{1,30}\.0{1,30}")
_NUMBER = re.compile(r"[+-]?(?:\d{1,30}(?:\.\d{0,30})?|\.\d{1,30})(?:[eE][+-]?\d{1,4})?")
#: Twitter's created_at: "Tue Oct 31 22:10:47 +0000 2017"
_TWITTER = "%a %b %d %H:%M:%S %z %Y"


def normalise_id(value: str) -> str:
    """An id as a row refers to it: trimmed, and ``19137.0`` (an integer id that went
    through a float column) as ``19137``, so replies find the rows they answer."""
    value = value.strip()
    if _FLOAT_INT.fullmatch(value):
        return value.partition(".")[0]
    return value


def order_key(value: Any) -> float | None:
    """A sortable number for an ``order_by`` value: a time (ISO 8601, RFC 2822, Twitter's
    format; a time without a zone is taken as UTC) in seconds since 1970, or a number as
    it is. None for a value that is none of these."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, datetime):
        return _seconds(value)
    if not isinstance(value, str):
        value = str(value)
    text = value.strip()
    if not text or len(text) > 64:
        return None
    if _NUMBER.fullmatch(text):
        return float(text)
    try:
        return _seconds(datetime.fromisoformat(text))
    except ValueError:
        pass
    for parse in (lambda t: datetime.strptime(t, _TWITTER), parsedate_to_datetime):
        try:
            return _seconds(parse(text))
        except (ValueError, TypeError, IndexError, OverflowError):
            continue
    return None


def _seconds(dt: datetime) -> float:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


@dataclass
class ThreadRow:
    """One row's part of a thread, as the spill gives it back."""

    locator: str
    row_id: str | None
    payload: dict[str, Any]


class ThreadSpill:
    """The rows of a source, on disk until every file has been read; then its threads."""

    def __init__(self, limit: int):
        self.limit = limit
        self._dir = tempfile.TemporaryDirectory(prefix="curate-threads-")
        self.db = sqlite3.connect(str(Path(self._dir.name) / "rows.sqlite"))
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute(
            "CREATE TABLE rows (seq INTEGER PRIMARY KEY, rid TEXT, parent TEXT, tval TEXT, okey REAL, "
            "thread INTEGER, size INTEGER, locator TEXT, payload TEXT)"
        )
        self.n = 0
        self._pending: list[tuple[Any, ...]] = []

    def close(self) -> None:
        self.db.close()
        self._dir.cleanup()

    def add(self, *, locator: str, row_id: str | None, parent: str | None, thread_value: str | None,
            order: float | None, payload: dict[str, Any]) -> None:
        # text may hold lone surrogates (a JSON "\ud800"), which SQLite cannot store as
        # TEXT: the payload is stored with them escaped, ids and locators as bytes
        text = json.dumps(payload, ensure_ascii=True, default=str)
        self.n += 1
        self._pending.append((self.n, _blob(row_id), _blob(parent), _blob(thread_value), order, len(text),
                              _blob(locator), text))
        if len(self._pending) >= 2000:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self.db.executemany(
                "INSERT INTO rows (seq, rid, parent, tval, okey, size, locator, payload) VALUES (?,?,?,?,?,?,?,?)",
                self._pending,
            )
            self._pending.clear()

    def duplicates(self) -> Iterator[tuple[str, str]]:
        """(locator, locator of the first) for each row whose id an earlier row has; those
        rows are removed (a reply could not tell which of them it answers)."""
        self._flush()
        self.db.execute("CREATE INDEX IF NOT EXISTS rows_rid ON rows (rid)")
        dups = self.db.execute(
            "SELECT r.seq, r.locator, f.locator FROM rows r JOIN (SELECT rid, MIN(seq) AS first FROM rows "
            "WHERE rid IS NOT NULL GROUP BY rid HAVING COUNT(*) > 1) d ON d.rid = r.rid "
            "JOIN rows f ON f.seq = d.first WHERE r.seq != d.first ORDER BY r.seq"
        ).fetchall()
        for seq, locator, first in dups:
            self.db.execute("DELETE FROM rows WHERE seq = ?", (seq,))
            yield _text(locator), _text(first)

    def threads(self, replies: bool) -> Iterator[tuple[list[ThreadRow], int, int, str]]:
        """(rows in order, rows in the thread, its size in bytes, its first row's locator)
        per thread, in the order of each thread's first row in the files; the rows list is
        empty for a thread over the limit."""
        self._flush()
        self._assign(replies)
        # a thread is numbered by its first row's seq, so ordering by it keeps the files' order
        cur = self.db.execute(
            "SELECT thread, size, locator, rid, payload FROM rows ORDER BY thread, okey IS NULL, okey, seq"
        )
        thread: int | None = None
        held: list[ThreadRow] = []
        count = size = 0
        first = ""
        for tid, row_size, locator, rid, payload in cur:
            if tid != thread:
                if thread is not None:
                    yield held, count, size, first
                thread, held, count, size, first = tid, [], 0, 0, _text(locator)
            count += 1
            size += row_size
            if size <= self.limit:
                held.append(ThreadRow(_text(locator), _text(rid), json.loads(payload)))
            elif held:
                held = []
        if thread is not None:
            yield held, count, size, first

    def _assign(self, replies: bool) -> None:
        """Each row's thread: the smallest ``seq`` of the rows it is linked to."""
        db = self.db
        db.execute("CREATE INDEX IF NOT EXISTS rows_tval ON rows (tval, seq)")
        if not replies:
            db.execute("UPDATE rows SET thread = COALESCE((SELECT MIN(seq) FROM rows t WHERE t.tval = rows.tval), seq)")
            return
        db.execute("CREATE INDEX IF NOT EXISTS rows_rid ON rows (rid)")
        parent = array("q", range(self.n + 1))

        def find(x: int) -> int:
            root = x
            while parent[root] != root:
                root = parent[root]
            while parent[x] != root:  # path compression
                parent[x], x = root, parent[x]
            return root

        def union(a: int, b: int) -> None:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)

        links = db.execute(
            "SELECT r.seq, p.seq FROM rows r JOIN rows p ON p.rid = r.parent WHERE r.parent IS NOT NULL"
        )
        for a, b in links:
            union(a, b)
        same = db.execute(
            "SELECT r.seq, f.first FROM rows r JOIN (SELECT tval, MIN(seq) AS first FROM rows "
            "WHERE tval IS NOT NULL GROUP BY tval) f ON f.tval = r.tval"
        )
        for a, b in same:
            union(a, b)
        db.executemany("UPDATE rows SET thread = ? WHERE seq = ?", ((find(s), s) for s in range(1, self.n + 1)))
        # rows removed as duplicates are simply not there to update


def _blob(value: str | None) -> bytes | None:
    return None if value is None else value.encode("utf-8", "surrogatepass")


def _text(value: bytes | None) -> str | None:
    return None if value is None else bytes(value).decode("utf-8", "surrogatepass")


def thread_too_large(size: int, limit: int) -> str:
    return too_large("thread", size, limit, "max_record_bytes")
