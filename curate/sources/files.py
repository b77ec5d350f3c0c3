"""File sources: JSONL, CSV and Parquet, with a field mapping.

A row becomes one Record. The mapping names the columns that hold the id, the title,
the conversation (a customer message and an agent reply, or a list of ``{role, content}``
turns, or a plain text) and the metadata to keep. A row that cannot become a Record is a
reject with ``file:line`` and the reason; the build goes on. So is a line or row over
``max_record_bytes`` (read past, never held whole) and a path below ``path`` that may not
be read (:mod:`curate.sources.roots`: links, FIFOs, the kernel's files).

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

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from curate.records import RecordError, make_record
from curate.sources.base import Event, Reject, Source, SourceConfig, SourceState, register_source
from curate.sources.csvrows import csv_records
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

#: role names seen in the wild, mapped to ours (ShareGPT, chat exports, help desks)
DEFAULT_ROLES = {
    "user": "user", "customer": "user", "human": "user", "requester": "user", "client": "user",
    "assistant": "assistant", "agent": "assistant", "gpt": "assistant", "bot": "assistant",
    "support": "assistant", "model": "assistant",
    "system": "system",
}


class FieldMap(BaseModel):
    """Which column holds what. Dotted names reach into nested JSON objects (``a.b``)."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, description="Column with a stable id. Default: the row's line number.")
    title: str | None = Field(default=None, description="Column with the subject / title.")
    system: str | None = Field(default=None, description="Column with a system message.")
    user: str | None = Field(default=None, description="Column with the customer's message.")
    assistant: str | None = Field(default=None, description="Column with the agent's reply.")
    messages: str | None = Field(
        default=None,
        description="Column with a list of turns ({role, content} or {from, value}); a JSON string in CSV.",
    )
    text: str | None = Field(default=None, description="Column with plain text (a document): one user turn.")
    reasoning: str | None = Field(
        default=None,
        description="Column with the reasoning behind the final agent reply (chain of thought), exported as "
        "`export.reasoning` says.",
    )
    meta: list[str] | Literal["*"] = Field(
        default_factory=list, description="Columns kept as metadata, or '*' for every column not used above."
    )

    @model_validator(mode="after")
    def _has_content(self) -> FieldMap:
        if not (self.user or self.assistant or self.messages or self.text):
            raise ValueError("name at least one of user, assistant, messages or text")
        if self.messages and (self.user or self.assistant or self.text):
            raise ValueError("use either messages or user/assistant/text, not both")
        return self


class FileSourceConfig(SourceConfig):
    """A JSONL, CSV or Parquet file (or several: a folder or a glob)."""

    path: str = Field(description="File, folder or glob, relative to the config file.")
    fields: FieldMap = Field(description="Which column holds what.")
    roles: dict[str, Literal["user", "assistant", "system"]] = Field(
        default_factory=dict, description="Extra role names in `messages` lists, mapped to user/assistant/system."
    )
    max_record_bytes: int = max_record_bytes_field("a JSONL line, a CSV row, a Parquet row")
    symlinks: SymlinkPolicy = symlinks_field()

    @field_validator("path")
    @classmethod
    def _exists(cls, v: str, info: ValidationInfo) -> str:
        base = (info.context or {}).get("base_dir")
        if base is not None and not _entries(SourceRoot(Path(base), v)):
            raise ValueError(f"file not found: {v}")
        return v


class CsvSourceConfig(FileSourceConfig):
    delimiter: str = Field(default=",", min_length=1, max_length=1, description="Field separator.")
    encoding: str = Field(default="utf-8", description="Text encoding of the file (a BOM is removed).")


class JsonlSourceConfig(FileSourceConfig):
    encoding: str = Field(default="utf-8", description="Text encoding of the file (a BOM is removed).")


def _entries(root: SourceRoot) -> list[Entry]:
    """The files of a file, a folder (hidden files left out) or a glob."""
    if root.pattern is None and root.top.is_dir():
        return root.entries(lambda rel: not rel.rpartition("/")[2].startswith("."))
    return root.entries()


def _get(row: dict[str, Any], key: str) -> Any:
    if key in row:
        return row[key]
    cur: Any = row
    for part in key.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _as_text(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN from Parquet/pandas exports
        return None
    if isinstance(value, (dict, list)):
        raise RecordError(f"{what} is a {type(value).__name__}, not text")
    return str(value)


class FileSource(Source):
    """Shared logic of the three file formats: rows in, Records out."""

    Config: ClassVar[type[SourceConfig]] = FileSourceConfig
    config: FileSourceConfig

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

    def read(self, state: SourceState) -> Iterator[Event]:
        entries = self.entries()
        for e in entries:
            rel = self._rel(e.path)
            if e.real is None:
                yield Reject(rel, e.refused or "not read")
                continue
            prefix = "" if len(entries) == 1 else f"{rel}:"
            try:
                with open_entry(e.real) as fh:
                    for locator, row_no, row in self.rows(fh, rel):
                        if isinstance(row, Reject):
                            yield row
                            continue
                        try:
                            yield self.to_record(row, row_no, prefix, locator)
                        except RecordError as exc:
                            yield Reject(locator, str(exc))
                        except (RecursionError, MemoryError, ValueError) as exc:
                            yield Reject(locator, parse_failure(exc))
            except Refusal as exc:
                yield Reject(rel, str(exc))
            except OSError as exc:
                yield Reject(rel, f"unreadable file: {exc.strerror or type(exc).__name__}")

    def rows(self, fh: BinaryIO, rel: str) -> Iterator[tuple[str, int, dict[str, Any] | Reject]]:
        """(locator, row number, row or Reject) for each input row of an open file."""
        raise NotImplementedError

    def to_record(self, row: dict[str, Any], row_no: int, prefix: str, locator: str) -> dict[str, Any]:
        fm = self.config.fields
        used: set[str] = set()

        def take(key: str | None, what: str) -> str | None:
            if not key:
                return None
            used.add(key)
            return _as_text(_get(row, key), what)

        if fm.id:
            native = take(fm.id, "id")
            if native is None or not native.strip():
                raise RecordError(f"missing id in column {fm.id!r}")
        else:
            native = f"{prefix}{row_no}"
        title = take(fm.title, "title")
        messages: list[dict[str, str]] = []
        if fm.messages:
            used.add(fm.messages)
            messages = self._turns(_get(row, fm.messages))
        else:
            for role, key in (("system", fm.system), ("user", fm.user), ("user", fm.text), ("assistant", fm.assistant)):
                value = take(key, role if key != fm.text else "text")
                if value is not None:
                    messages.append({"role": role, "content": value})
        reasoning = take(fm.reasoning, "reasoning")
        if fm.meta == "*":
            meta = {k: v for k, v in row.items() if k not in used}
        else:
            meta = {k: _get(row, k) for k in fm.meta}
        return make_record(
            source=self.source_id,
            native_id=native,
            kind=self.kind,
            messages=messages,
            title=title,
            meta=meta,
            locator=locator,
            reasoning=reasoning,
        )

    def _turns(self, value: Any) -> list[dict[str, str]]:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise RecordError(f"messages column is not a JSON list: {exc.msg} at position {exc.pos}") from None
        if value is None:
            raise RecordError("messages column is empty")
        if hasattr(value, "tolist"):
            value = value.tolist()
        if not isinstance(value, list):
            raise RecordError(f"messages column is a {type(value).__name__}, not a list of turns")
        roles = {**DEFAULT_ROLES, **self.config.roles}
        out = []
        for i, turn in enumerate(value):
            if not isinstance(turn, dict):
                raise RecordError(f"turn {i} is a {type(turn).__name__}, not an object")
            role = turn.get("role", turn.get("from"))
            content = turn.get("content", turn.get("value"))
            mapped = roles.get(str(role).lower()) if role is not None else None
            if mapped is None:
                raise RecordError(f"turn {i}: unknown role {role!r} (map it under `roles:`)")
            out.append({"role": mapped, "content": _as_text(content, f"turn {i} content")})
        return out


def _decode(raw: bytes, encoding: str, first: bool) -> str:
    if first and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    return raw.decode(encoding)


@register_source
class JsonlSource(FileSource):
    """One JSON object per line."""

    type = "jsonl"
    Config = JsonlSourceConfig
    config: JsonlSourceConfig

    def rows(self, fh: BinaryIO, rel: str):
        limit = self.config.max_record_bytes
        for n, raw, size in bounded_lines(fh, limit):
            loc = f"{rel}:{n}"
            if raw is None:
                yield loc, n, Reject(loc, too_large("line", size, limit, "max_record_bytes"))
                continue
            try:
                line = _decode(raw, self.config.encoding, n == 1).strip()
            except UnicodeDecodeError as exc:
                yield loc, n, Reject(loc, f"invalid {self.config.encoding} at byte {exc.start}")
                continue
            if not line:
                continue  # blank lines are not inputs
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield loc, n, Reject(loc, f"invalid JSON: {exc.msg} (column {exc.colno})")
                continue
            except (RecursionError, MemoryError, ValueError) as exc:
                yield loc, n, Reject(loc, f"invalid JSON: {parse_failure(exc)}")
                continue
            if not isinstance(obj, dict):
                yield loc, n, Reject(loc, f"expected a JSON object, got {type(obj).__name__}")
                continue
            yield loc, n, obj


@register_source
class CsvSource(FileSource):
    """A CSV file with a header row; quoted fields may span lines."""

    type = "csv"
    Config = CsvSourceConfig
    config: CsvSourceConfig

    def rows(self, fh: BinaryIO, rel: str):
        records = csv_records(fh, encoding=self.config.encoding, delimiter=self.config.delimiter,
                              limit=self.config.max_record_bytes)
        first = next(records, None)
        if first is None:
            return
        _, header, problem = first
        if header is None:
            yield f"{rel}:1", 1, Reject(f"{rel}:1", f"unreadable CSV header: {problem}")
            return
        header = [h.strip() for h in header]
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


@register_source
class ParquetSource(FileSource):
    """A Parquet file; the locator is ``file#row`` (rows counted from 1)."""

    type = "parquet"
    Config = FileSourceConfig

    def rows(self, fh: BinaryIO, rel: str):
        import pyarrow.parquet as pq

        limit = self.config.max_record_bytes
        try:
            pf = pq.ParquetFile(fh)
        except Exception as exc:  # pyarrow raises several types for a bad file
            yield f"{rel}", 0, Reject(rel, f"not a readable Parquet file: {type(exc).__name__}")
            return
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
