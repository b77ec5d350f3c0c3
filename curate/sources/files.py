"""File sources: JSON Lines (or a JSON array), CSV and Parquet, with a field mapping.

A row becomes one Record; with ``thread_by`` or ``in_reply_to`` in the mapping, a row is a
turn and the rows of a thread become one Record (:mod:`curate.sources.rowthreads`). The
mapping (:mod:`curate.sources.fieldmap`) names the columns that hold the id, the title, the
conversation (a customer message and an agent reply, a list of turns, or a plain text) and
the metadata to keep. A row that cannot become a Record is a reject with ``file:line`` and
the reason; the build goes on. So is a line or row over ``max_record_bytes`` (read past,
never held whole) and a path below ``path`` that may not be read
(:mod:`curate.sources.roots`: links, FIFOs, the kernel's files).

Mistakes in the mapping are config errors, not a reject per row: a column the file does
not have stops the build once its header (CSV), schema (Parquet) or first objects (JSON)
are read, with one line naming the config's line and key and the file. An encoding that
looks wrong is one warning with counts (:mod:`curate.sources.encodings`).

Example::

    sources:
      - type: csv
        name: bitext
        path: data/bitext.csv          # a file, a folder or a glob
        fields:
          id: id                       # default: the row's line number
          title: subject
          user: instruction            # the customer's message
          assistant: response          # the agent's reply
          meta: [category, intent]
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator

from curate.errors import ConfigError
from curate.records import RecordError, make_record
from curate.sources.base import Event, Reject, Source, SourceConfig, SourceState, register_source
from curate.sources.csvrows import csv_records
from curate.sources.encodings import Encoding, EncodingCheck, encoding_field
from curate.sources.fieldmap import (
    DEFAULT_ROLES,
    FieldMap,
    as_text,
    flag,
    get,
    has,
    meta_value,
    turns_of,
)
from curate.sources.jsonarray import array_elements, starts_array
from curate.sources.limits import bounded_lines, max_record_bytes_field, parse_failure, too_large
from curate.sources.roots import (
    Entry,
    Refusal,
    SourceRoot,
    SymlinkPolicy,
    open_entry,
    sha256_entry,
    symlinks_field,
)
from curate.sources.rowthreads import (
    ThreadRow,
    ThreadSpill,
    normalise_id,
    order_key,
    thread_too_large,
)
from curate.sources.subject import subject_field, subject_into_user_turn

#: JSON objects looked at for a mapped key before a missing one is a config error (keys
#: may be left out of some objects; a key in none of the first ones is a mistake)
PEEK_ROWS = 100

Row = tuple[str, int, "dict[str, Any] | Reject"]


class FileSourceConfig(SourceConfig):
    """A JSONL, CSV or Parquet file (or several: a folder or a glob)."""

    path: str = Field(description="File, folder or glob, relative to the config file.")
    fields: FieldMap = Field(description="Which column holds what.")
    roles: dict[str, Literal["user", "assistant", "system"]] = Field(
        default_factory=dict,
        description="Extra role names (in `messages` lists, or in the `role` column of a thread), mapped to "
        "user/assistant/system; compared without case.",
    )
    subject_in_user_turn: bool = subject_field()
    max_record_bytes: int = max_record_bytes_field("a JSONL line, a JSON array's element, a CSV row, a Parquet row, a thread")
    symlinks: SymlinkPolicy = symlinks_field()

    @field_validator("path")
    @classmethod
    def _exists(cls, v: str, info: ValidationInfo) -> str:
        base = (info.context or {}).get("base_dir")
        if base is not None:
            root = SourceRoot(Path(base), v)
            if not _entries(root):
                raise ValueError(f"no file matches the glob {v}" if root.pattern is not None else f"file not found: {v}")
        return v


class CsvSourceConfig(FileSourceConfig):
    delimiter: str = Field(default=",", min_length=1, max_length=1, description="Field separator.")
    encoding: Encoding = encoding_field()


class JsonlSourceConfig(FileSourceConfig):
    """JSON Lines (one object per line), or a JSON document holding an array of objects."""

    encoding: Encoding = encoding_field()


def _entries(root: SourceRoot) -> list[Entry]:
    """The files of a file, a folder (hidden files left out) or a glob."""
    if root.pattern is None and root.top.is_dir():
        return root.entries(lambda rel: not rel.rpartition("/")[2].startswith("."))
    return root.entries()


class FileSource(Source):
    """Shared logic of the three file formats: rows in, Records out."""

    Config: ClassVar[type[SourceConfig]] = FileSourceConfig
    config: FileSourceConfig
    #: what a row is called in counts and warnings
    unit: ClassVar[str] = "row"
    _check: EncodingCheck | None = None
    #: the columns of all the source's files, when it has several: a metadata column that
    #: some files lack (added to an export later) is no mistake if another file has it
    _elsewhere: frozenset[str] = frozenset()

    def entries(self) -> list[Entry]:
        return _entries(SourceRoot(self.base_dir, self.config.path, self.config.symlinks))

    def files(self) -> list[Path]:
        """The files that will be read (refused paths left out)."""
        return [e.path for e in self.entries() if e.real is not None]

    def fingerprint(self) -> dict[str, Any]:
        return {
            "config": self.config.model_dump(mode="json"),
            "files": {self._rel(e.path): sha256_entry(e) for e in self.entries()},
        }

    def _rel(self, f: Path) -> str:
        try:
            return str(f.relative_to(self.base_dir))
        except ValueError:
            return str(f)

    def _roles(self) -> dict[str, str]:
        return {**DEFAULT_ROLES, **{k.lower(): v for k, v in self.config.roles.items()}}

    def read(self, state: SourceState) -> Iterator[Event]:
        self.counts, self.warnings = {}, []
        encoding = getattr(self.config, "encoding", None)
        self._check = EncodingCheck(encoding) if encoding else None
        fm = self.config.fields
        spill = ThreadSpill(self.config.max_record_bytes) if fm.threaded else None
        try:
            entries = self.entries()
            self._elsewhere = self._all_columns(entries) if len(entries) > 1 else frozenset()
            for e in entries:
                rel = self._rel(e.path)
                if e.real is None:
                    yield Reject(rel, e.refused or "not read")
                    continue
                prefix = "" if len(entries) == 1 else f"{rel}:"
                try:
                    with open_entry(e.real) as fh:
                        self.count("files")
                        for locator, row_no, row in self.rows(fh, rel):
                            if row_no:
                                self.count(f"{self.unit}s")
                            if isinstance(row, Reject):
                                yield row
                                continue
                            try:
                                if spill is not None:
                                    self._spill(spill, row, locator)
                                else:
                                    yield self.to_record(row, row_no, prefix, locator)
                            except RecordError as exc:
                                yield Reject(locator, str(exc))
                            except (RecursionError, MemoryError, ValueError) as exc:
                                yield Reject(locator, parse_failure(exc))
                except Refusal as exc:
                    yield Reject(rel, str(exc))
                except OSError as exc:
                    yield Reject(rel, f"unreadable file: {exc.strerror or type(exc).__name__}")
            if spill is not None:
                yield from self._threads(spill)
        finally:
            if spill is not None:
                spill.close()
        if self._check is not None:
            verdict = self._check.verdict(self.unit)
            if verdict:
                self.warnings.append(verdict)

    def rows(self, fh: BinaryIO, rel: str) -> Iterator[Row]:
        """(locator, row number, row or Reject) for each input row of an open file; row
        number 0 for a reject about the whole file."""
        raise NotImplementedError

    def columns(self, fh: BinaryIO) -> set[str]:
        """The columns a file declares (its header, its schema); empty where a format
        declares none (JSON)."""
        return set()

    def _all_columns(self, entries: list[Entry]) -> frozenset[str]:
        found: set[str] = set()
        for e in entries:
            if e.real is None:
                continue
            try:
                with open_entry(e.real) as fh:
                    found |= self.columns(fh)
            except (Refusal, OSError, ValueError):
                continue  # reading the file proper reports it
        return frozenset(found)

    # -- the mapping -------------------------------------------------------------------

    def check_columns(self, present: Callable[[str], bool], where: str, names: list[str] | None = None,
                      *, skip_meta: bool = False, what: str = "column") -> None:
        """A config error for the first mapped column ``present`` says the file lacks;
        ``where`` names the file (and which part of it was looked at)."""
        for keys, col in self.config.fields.columns():
            if skip_meta and keys[1] == "meta":
                continue
            if present(col) or (keys[1] == "meta" and col in self._elsewhere):
                continue
            close = difflib.get_close_matches(col, names or [], n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{self.config.where(*keys)}: no {what} {col!r} in {where}{hint}")

    def _used(self) -> set[str]:
        return {col for keys, col in self.config.fields.columns() if keys[1] != "meta"}

    def _meta(self, row: dict[str, Any]) -> dict[str, Any]:
        fm = self.config.fields
        if fm.meta == "*":
            used = self._used()
            return {k: meta_value(v, k) for k, v in row.items() if k not in used}
        return {k: meta_value(get(row, k), k) for k in fm.meta}

    def _turns(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        fm = self.config.fields
        if fm.messages:
            return turns_of(get(row, fm.messages), self._roles())
        text_role = "user"
        if fm.role:
            value = as_text(get(row, fm.role), f"column {fm.role!r}")
            mapped = self._roles().get((value or "").strip().lower())
            if mapped is None:
                raise RecordError(f"column {fm.role!r}: a role that is not user, assistant or system (map it under `roles:`)")
            text_role = mapped
        elif fm.inbound:
            text_role = "user" if flag(get(row, fm.inbound), fm.inbound) else "assistant"
        out = []
        for role, key in (("system", fm.system), ("user", fm.user), (text_role, fm.text), ("assistant", fm.assistant)):
            if key:
                value = as_text(get(row, key), "text" if key == fm.text else role)
                if value is not None:
                    out.append({"role": role, "content": value})
        return out

    def _record(self, native: str, title: str | None, messages: list[dict[str, Any]], meta: dict[str, Any],
                locator: str, reasoning: str | None = None) -> dict[str, Any]:
        if self.config.subject_in_user_turn:
            messages = subject_into_user_turn(messages, title)
        return make_record(source=self.source_id, native_id=native, kind=self.kind, messages=messages,
                           title=title, meta=meta, locator=locator, reasoning=reasoning)

    def to_record(self, row: dict[str, Any], row_no: int, prefix: str, locator: str) -> dict[str, Any]:
        fm = self.config.fields
        if fm.id:
            native = as_text(get(row, fm.id), "id")
            if native is None or not native.strip():
                raise RecordError(f"missing id in column {fm.id!r}")
        else:
            native = f"{prefix}{row_no}"
        title = as_text(get(row, fm.title), "title") if fm.title else None
        reasoning = as_text(get(row, fm.reasoning), "reasoning") if fm.reasoning else None
        return self._record(native, title, self._turns(row), self._meta(row), locator, reasoning)

    # -- threads -----------------------------------------------------------------------

    def _spill(self, spill: ThreadSpill, row: dict[str, Any], locator: str) -> None:
        """One row of a thread onto disk; RecordError when it cannot be one."""
        fm = self.config.fields
        row_id = None
        if fm.id:
            row_id = normalise_id(as_text(get(row, fm.id), "id") or "") or None
            if row_id is None and fm.in_reply_to:
                raise RecordError(f"missing id in column {fm.id!r}")
        parent = thread = None
        if fm.in_reply_to:
            parent = normalise_id(as_text(get(row, fm.in_reply_to), "in_reply_to") or "") or None
        if fm.thread_by:
            thread = normalise_id(as_text(get(row, fm.thread_by), "thread_by") or "") or None
            if thread is None and not fm.in_reply_to:
                raise RecordError(f"no thread in column {fm.thread_by!r}")
        order = None
        if fm.order_by:
            order = order_key(get(row, fm.order_by))
            if order is None:
                raise RecordError(f"column {fm.order_by!r} holds no time or number to order the thread by")
        title = as_text(get(row, fm.title), "title") if fm.title else None
        reasoning = as_text(get(row, fm.reasoning), "reasoning") if fm.reasoning else None
        payload = {"turns": self._turns(row), "title": title, "meta": self._meta(row), "thread": thread,
                   "reasoning": reasoning}
        spill.add(locator=locator, row_id=row_id, parent=parent, thread_value=thread, order=order, payload=payload)

    def _threads(self, spill: ThreadSpill) -> Iterator[Event]:
        fm = self.config.fields
        for locator, first in spill.duplicates():
            yield Reject(locator, f"duplicate row id (first at {first}): replies could not tell the rows apart")
        limit = self.config.max_record_bytes
        for rows, count, size, first in spill.threads(replies=bool(fm.in_reply_to)):
            if not rows:
                yield Reject(first, thread_too_large(size, limit) + f" ({count:,} rows)")
                continue
            try:
                yield self._thread_record(rows, count)
            except RecordError as exc:
                yield Reject(first, f"{exc} (thread of {count:,} row{'s' if count > 1 else ''})")
            except (RecursionError, MemoryError, ValueError) as exc:
                yield Reject(first, parse_failure(exc))

    def _thread_record(self, rows: list[ThreadRow], count: int) -> dict[str, Any]:
        head = rows[0]
        native = head.payload.get("thread") or head.row_id
        if not native:
            raise RecordError("a thread whose first row has no id")
        turns = [t for r in rows for t in r.payload["turns"]]
        meta = {**head.payload["meta"], "thread_rows": count}
        title = next((r.payload["title"] for r in rows if r.payload.get("title")), None)
        # the reasoning belongs to the final agent reply: the last row that carries one
        reasoning = next((r.payload["reasoning"] for r in reversed(rows) if r.payload.get("reasoning")), None)
        return self._record(native, title, turns, meta, head.locator, reasoning)


def _decode(raw: bytes, encoding: str, first: bool) -> str:
    if first and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    return raw.decode(encoding)


@register_source
class JsonlSource(FileSource):
    """One JSON object per line, or a JSON array of objects (a file starting with ``[``)."""

    type = "jsonl"
    Config = JsonlSourceConfig
    config: JsonlSourceConfig

    def rows(self, fh: BinaryIO, rel: str) -> Iterator[Row]:
        items = self._array(fh, rel) if starts_array(fh) else self._lines(fh, rel)
        yield from self._peeked(items, rel)

    def _object(self, raw: bytes, loc: str, first: bool) -> dict[str, Any] | Reject | None:
        encoding = self.config.encoding
        try:
            text = _decode(raw, encoding, first).strip()
        except UnicodeDecodeError as exc:
            if self._check is not None:
                self._check.row(raw, False)
            return Reject(loc, f"invalid {encoding} at byte {exc.start}")
        if self._check is not None:
            self._check.row(raw, True)
        if not text:
            return None  # blank lines are not inputs
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            return Reject(loc, f"invalid JSON: {exc.msg} (column {exc.colno})")
        except (RecursionError, MemoryError, ValueError) as exc:
            return Reject(loc, f"invalid JSON: {parse_failure(exc)}")
        if not isinstance(obj, dict):
            return Reject(loc, f"expected a JSON object, got {type(obj).__name__}")
        return obj

    def _lines(self, fh: BinaryIO, rel: str) -> Iterator[tuple[str, int, dict[str, Any] | Reject, int]]:
        limit = self.config.max_record_bytes
        for n, raw, size in bounded_lines(fh, limit):
            loc = f"{rel}:{n}"
            if raw is None:
                yield loc, n, Reject(loc, too_large("line", size, limit, "max_record_bytes")), 0
                continue
            obj = self._object(raw, loc, n == 1)
            if obj is not None:
                yield loc, n, obj, size

    def _array(self, fh: BinaryIO, rel: str) -> Iterator[tuple[str, int, dict[str, Any] | Reject, int]]:
        """The elements of a top-level array; the locator is ``file#n`` (elements counted
        from 1), as for Parquet rows."""
        for n, raw, problem in array_elements(fh, self.config.max_record_bytes):
            loc = f"{rel}#{n}" if n else rel
            if raw is None:
                yield loc, n, Reject(loc, problem or "unreadable"), 0
                continue
            obj = self._object(raw, loc, False)
            if obj is not None:
                yield loc, n, obj, len(raw)

    def _peeked(self, items: Iterator[tuple[str, int, dict[str, Any] | Reject, int]], rel: str) -> Iterator[Row]:
        """The rows, after checking the mapping on the first ones: a mapped key (metadata
        aside: it may be sparse) that none of the first PEEK_ROWS objects has is a config
        error. The rows looked at are held (at most max_record_bytes in all)."""
        fm = self.config.fields
        wanted = {col for keys, col in fm.columns() if keys[1] != "meta"}
        held: list[Row] = []
        held_bytes = seen = 0
        keys: set[str] = set()
        for loc, n, row, size in items:
            held.append((loc, n, row))
            held_bytes += size
            if isinstance(row, dict):
                seen += 1
                wanted = {col for col in wanted if not has(row, col)}
                keys.update(k for k in row if isinstance(k, str) and len(keys) < 1000)
            if not wanted or seen >= PEEK_ROWS or held_bytes > self.config.max_record_bytes:
                break
        if seen and wanted:
            where = f"the first {seen:,} objects of {rel}" if seen > 1 else f"the first object of {rel}"
            self.check_columns(lambda col: col not in wanted, where, sorted(keys), skip_meta=True, what="key")
        yield from held
        for loc, n, row, _ in items:
            yield loc, n, row


@register_source
class CsvSource(FileSource):
    """A CSV file with a header row; quoted fields may span lines."""

    type = "csv"
    Config = CsvSourceConfig
    config: CsvSourceConfig

    def rows(self, fh: BinaryIO, rel: str) -> Iterator[Row]:
        records = csv_records(fh, encoding=self.config.encoding, delimiter=self.config.delimiter,
                              limit=self.config.max_record_bytes, observe=self._observe())
        first = next(records, None)
        if first is None:
            return
        _, header, problem = first
        if header is None:
            yield f"{rel}:1", 0, Reject(f"{rel}:1", f"unreadable CSV header: {problem}")
            return
        header = [h.strip() for h in header]
        names = set(header)
        self.check_columns(names.__contains__, rel, header)
        for start, values, problem in records:
            loc = f"{rel}:{start}"
            if values is None:
                yield loc, start, Reject(loc, problem or "unreadable row")
                continue
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) != len(header):
                yield loc, start, Reject(loc, f"expected {len(header)} fields, found {len(values)}")
                continue
            yield loc, start, dict(zip(header, values))


    def columns(self, fh: BinaryIO) -> set[str]:
        records = csv_records(fh, encoding=self.config.encoding, delimiter=self.config.delimiter,
                              limit=self.config.max_record_bytes)
        first = next(records, None)
        return {h.strip() for h in first[1]} if first and first[1] else set()

    def _observe(self) -> Callable[[bytes, bool], None] | None:
        """The encoding check's ``row``, leaving out a header that decoded (it is not a
        row; one that did not decode is what the file's reject is about)."""
        check = self._check
        if check is None:
            return None
        header = True

        def observe(raw: bytes, decoded: bool) -> None:
            nonlocal header
            if header and decoded:
                header = False
                return
            header = False
            check.row(raw, decoded)

        return observe


@register_source
class ParquetSource(FileSource):
    """A Parquet file; the locator is ``file#row`` (rows counted from 1)."""

    type = "parquet"
    Config = FileSourceConfig

    def columns(self, fh: BinaryIO) -> set[str]:
        import pyarrow.parquet as pq

        try:
            return set(pq.ParquetFile(fh).schema_arrow.names)
        except Exception:  # noqa: BLE001 - pyarrow raises several types; reading the file reports it
            return set()

    def rows(self, fh: BinaryIO, rel: str) -> Iterator[Row]:
        import pyarrow.parquet as pq

        limit = self.config.max_record_bytes
        try:
            pf = pq.ParquetFile(fh)
        except Exception as exc:  # pyarrow raises several types for a bad file
            yield f"{rel}", 0, Reject(rel, f"not a readable Parquet file: {type(exc).__name__}")
            return
        names = list(pf.schema_arrow.names)
        top = set(names)
        # a dotted name reaches into a struct column
        self.check_columns(lambda col: col in top or col.split(".", 1)[0] in top, rel, names)
        n = 0
        batches = pf.iter_batches(batch_size=1024)
        while True:
            try:
                batch = next(batches, None)
            except Exception as exc:  # a damaged page: the rest of the file cannot be read
                yield f"{rel}#{n + 1}", n + 1, Reject(f"{rel}#{n + 1}", f"unreadable Parquet data from this row on: {type(exc).__name__}")
                return
            if batch is None:
                return
            # rows are measured in Arrow, before they become Python objects; a batch
            # within the limit holds no row over it
            if batch.nbytes <= limit:
                rows = batch.to_pylist()
            else:
                rows = [None] * batch.num_rows
            for i, row in enumerate(rows):
                n += 1
                loc = f"{rel}#{n}"
                if row is None:
                    one = batch.slice(i, 1)
                    if one.nbytes > limit:
                        yield loc, n, Reject(loc, too_large("row", one.nbytes, limit, "max_record_bytes"))
                        continue
                    row = one.to_pylist()[0]
                yield loc, n, row


__all__ = ["CsvSource", "FieldMap", "FileSourceConfig", "JsonlSource", "ParquetSource"]
