"""File sources: JSONL, CSV and Parquet, with a field mapping.

A row becomes one Record. The mapping names the columns that hold the id, the title,
the conversation (a customer message and an agent reply, or a list of ``{role, content}``
turns, or a plain text) and the metadata to keep. A row that cannot become a Record is a
reject with ``file:line`` and the reason; the build goes on.

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

import csv
import glob
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from curate.records import RecordError, make_record
from curate.sources.base import Event, Reject, Source, SourceConfig, SourceState, register_source
from curate.store import sha256_file

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

    @field_validator("path")
    @classmethod
    def _exists(cls, v: str, info: ValidationInfo) -> str:
        base = (info.context or {}).get("base_dir")
        if base is not None and not _expand(Path(base), v):
            raise ValueError(f"file not found: {v}")
        return v


class CsvSourceConfig(FileSourceConfig):
    delimiter: str = Field(default=",", min_length=1, max_length=1, description="Field separator.")
    encoding: str = Field(default="utf-8", description="Text encoding of the file (a BOM is removed).")


class JsonlSourceConfig(FileSourceConfig):
    encoding: str = Field(default="utf-8", description="Text encoding of the file (a BOM is removed).")


def _expand(base: Path, pattern: str) -> list[Path]:
    p = Path(pattern).expanduser()
    p = p if p.is_absolute() else base / p
    if p.is_file():
        return [p]
    if p.is_dir():
        return sorted(x for x in p.rglob("*") if x.is_file() and not x.name.startswith("."))
    return sorted(Path(x) for x in glob.glob(str(p), recursive=True) if Path(x).is_file())


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

    def files(self) -> list[Path]:
        return _expand(self.base_dir, self.config.path)

    def fingerprint(self) -> dict[str, Any]:
        return {
            "config": self.config.model_dump(mode="json"),
            "files": {self._rel(f): sha256_file(f) for f in self.files()},
        }

    def _rel(self, f: Path) -> str:
        try:
            return str(f.relative_to(self.base_dir))
        except ValueError:
            return str(f)

    def read(self, state: SourceState) -> Iterator[Event]:
        files = self.files()
        for f in files:
            prefix = "" if len(files) == 1 else f"{self._rel(f)}:"
            for locator, row_no, row in self.rows(f):
                if isinstance(row, Reject):
                    yield row
                    continue
                try:
                    yield self.to_record(row, row_no, prefix, locator)
                except RecordError as exc:
                    yield Reject(locator, str(exc))

    def rows(self, path: Path) -> Iterator[tuple[str, int, dict[str, Any] | Reject]]:
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

    def rows(self, path: Path):
        with open(path, "rb") as fh:
            for n, raw in enumerate(fh, start=1):
                loc = f"{self._rel(path)}:{n}"
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
                except RecursionError:
                    yield loc, n, Reject(loc, "invalid JSON: nested too deeply")
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

    def rows(self, path: Path):
        csv.field_size_limit(sys.maxsize)
        rel = self._rel(path)
        with open(path, "rb") as bf:
            head = bf.read(3)
        enc = "utf-8-sig" if head == b"\xef\xbb\xbf" and self.config.encoding.lower().replace("_", "-") == "utf-8" else self.config.encoding
        with open(path, encoding=enc, errors="surrogateescape", newline="") as fh:
            reader = csv.reader(fh, delimiter=self.config.delimiter)
            try:
                header = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield f"{rel}:1", 1, Reject(f"{rel}:1", f"unreadable CSV header: {exc}")
                return
            header = [h.strip() for h in header]
            start = reader.line_num + 1
            while True:
                try:
                    values = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    loc = f"{rel}:{start}"
                    yield loc, start, Reject(loc, f"malformed CSV row: {exc}")
                    start = reader.line_num + 1
                    continue
                loc = f"{rel}:{start}"
                row_start, start = start, reader.line_num + 1
                if not values or all(not v.strip() for v in values):
                    continue
                if any(_has_surrogates(v) for v in values):
                    yield loc, row_start, Reject(loc, f"invalid {self.config.encoding} in this row")
                    continue
                if len(values) != len(header):
                    yield loc, row_start, Reject(loc, f"expected {len(header)} fields, found {len(values)}")
                    continue
                yield loc, row_start, dict(zip(header, values))


def _has_surrogates(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


@register_source
class ParquetSource(FileSource):
    """A Parquet file; the locator is ``file#row`` (rows counted from 1)."""

    type = "parquet"
    Config = FileSourceConfig

    def rows(self, path: Path):
        import pyarrow.parquet as pq

        rel = self._rel(path)
        try:
            pf = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises several types for a bad file
            yield f"{rel}", 0, Reject(rel, f"not a readable Parquet file: {type(exc).__name__}")
            return
        n = 0
        for batch in pf.iter_batches(batch_size=4096):
            for row in batch.to_pylist():
                n += 1
                yield f"{rel}#{n}", n, row


__all__ = ["CsvSource", "FieldMap", "FileSourceConfig", "JsonlSource", "ParquetSource"]
