"""The Record: one row per unit of work (a ticket conversation, an email thread, a
document chunk), as a polars schema plus the helpers that build rows consistently.

Columns (see docs/architecture.md):

=============  =====================================  =====================================
column         type                                   notes
=============  =====================================  =====================================
id             str                                    ``<source>:<native id>[#chunk]``, stable
source         str                                    adapter type + instance, ``csv:bitext``
kind           str                                    ticket | email | doc | chat
title          str?                                   subject / page title / heading path
messages       list[struct{role, content}]            user / assistant / system turns
text           str                                    canonical flattened text
meta           str (JSON object)                      whatever the source gave (sorted keys)
content_hash   str                                    xxh3-128 of the normalised text
locator        str                                    where it came from: ``file:line``, URL…
reasoning      str?                                   the reasoning behind the final assistant
                                                      turn (chain of thought), as the source
                                                      gave it; null when it gave none
=============  =====================================  =====================================

``reasoning`` is a column of its own, not a turn: the conversation (``messages``, ``text``,
``content_hash``) stays what the customer and the agent wrote, so dedupe, filter and
selection see the same records whether or not a source carries reasoning; the export puts
it where the configured format wants it (``export.reasoning``). Redaction treats it as part
of the record's text.

Later stages add columns and never rewrite earlier tables. Every stage table also has a
``drop_reason`` column: null while the record is live, else why the stage dropped it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import polars as pl
import xxhash

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)

ROLES = ("system", "user", "assistant")
KINDS = ("ticket", "email", "doc", "chat")

MESSAGE_DTYPE = pl.Struct({"role": pl.Utf8, "content": pl.Utf8})

RECORD_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Utf8,
    "source": pl.Utf8,
    "kind": pl.Utf8,
    "title": pl.Utf8,
    "messages": pl.List(MESSAGE_DTYPE),
    "text": pl.Utf8,
    "meta": pl.Utf8,
    "content_hash": pl.Utf8,
    "locator": pl.Utf8,
    "reasoning": pl.Utf8,
}

#: The column every stage table carries: null = live, else the reason it was dropped.
DROP_COLUMN = "drop_reason"


def live(table: FrameT) -> FrameT:
    """The live rows of a stage table (``drop_reason`` null), without that column; a
    table without the column is live throughout. The one definition of a live record."""
    names = table.collect_schema().names() if isinstance(table, pl.LazyFrame) else table.columns
    if DROP_COLUMN not in names:
        return table
    return table.filter(pl.col(DROP_COLUMN).is_null()).drop(DROP_COLUMN)


_WS = re.compile(r"\s+")


def normalize_text(text: str, casefold: bool = False) -> str:
    """Unicode NFKC, whitespace collapsed to single spaces, trimmed; optionally case-folded."""
    out = _WS.sub(" ", unicodedata.normalize("NFKC", text)).strip()
    return out.casefold() if casefold else out


def content_hash(text: str, casefold: bool = False) -> str:
    """Stable hash of the normalised text (exact dedupe, cache key)."""
    return xxhash.xxh3_128_hexdigest(normalize_text(text, casefold).encode("utf-8"))


def flatten(messages: Iterable[Mapping[str, str]], title: str | None = None) -> str:
    """Canonical text of a record: the title, then the turns.

    A single turn (a document chunk, a lone question) is its content; a conversation
    prefixes each turn with its role so that who said what survives flattening."""
    turns = [m for m in messages if m.get("content")]
    parts: list[str] = []
    if title:
        parts.append(title.strip())
    if len(turns) == 1:
        parts.append(turns[0]["content"].strip())
    else:
        parts.extend(f"{m['role']}: {m['content'].strip()}" for m in turns)
    return "\n\n".join(p for p in parts if p)


def meta_dumps(meta: Mapping[str, Any] | None) -> str:
    """Serialise metadata deterministically (sorted keys, non-JSON values as strings)."""
    return json.dumps(dict(meta or {}), sort_keys=True, ensure_ascii=False, default=str)


def meta_loads(meta: str | None) -> dict[str, Any]:
    return json.loads(meta) if meta else {}


# -- the typed columns' one owner ------------------------------------------------------
#
# ``meta`` stays JSON text: its keys are whatever each source maps (a struct type would
# differ per source and per file, and every table of a run would need a union of them).
# Everything that reads a metadata field goes through meta_of / meta_get / meta_expr.
# ``pii`` and ``pii_residual`` (entity type -> count) are typed: PII_DTYPE, written by the
# redact stage through pii_column and read through pii_counts.

#: ``pii`` / ``pii_residual``: one entry per entity type found, sorted by type
PII_DTYPE = pl.List(pl.Struct({"entity": pl.Utf8, "count": pl.Int32}))
#: ``pii_languages``: values replaced per language of the record's texts
LANGUAGE_COUNTS_DTYPE = pl.List(pl.Struct({"language": pl.Utf8, "count": pl.Int32}))


def pii_column(name: str, counts: list[Mapping[str, int]], key: str = "entity") -> pl.Series:
    """A typed counts column from one ``{entity type: count}`` per row (``key`` names the
    struct field: ``entity``, or ``language`` for ``pii_languages``)."""
    dtype = pl.List(pl.Struct({key: pl.Utf8, "count": pl.Int32}))
    return pl.Series(name, [[{key: k, "count": int(v)} for k, v in sorted(c.items())] for c in counts], dtype=dtype)


def pii_counts(value: Any, key: str = "entity") -> dict[str, int]:
    """``{entity type: count}`` of a ``pii`` / ``pii_residual`` value (``key="language"``:
    of ``pii_languages``): the typed list of a table, or the JSON text of a run built
    before the columns were typed."""
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value) if value else {}
        except ValueError:
            return {}
    if isinstance(value, Mapping):
        return {str(k): int(v) for k, v in value.items()}
    out: dict[str, int] = {}
    for item in value:
        if item and item.get(key) is not None:
            out[str(item[key])] = out.get(str(item[key]), 0) + int(item.get("count") or 0)
    return out


def meta_of(meta: Any) -> dict[str, Any]:
    """A row's metadata as a dict: the JSON text of a table, or a dict already (records
    read from a file); ``{}`` when absent or unreadable."""
    if isinstance(meta, Mapping):
        return dict(meta)
    if not meta:
        return {}
    try:
        obj = json.loads(meta)
    except (ValueError, TypeError):
        return {}
    return obj if isinstance(obj, dict) else {}


def meta_get(meta: Any, key: str) -> Any:
    """The value of metadata field ``key`` (``meta.`` prefix optional; dots go into
    nested objects when the whole key is not a field itself); None when absent."""
    obj: Any = meta_of(meta)
    key = key.removeprefix("meta.")
    if key in obj:
        return obj[key]
    for part in key.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


def meta_json_path(key: str) -> str:
    """JSONPath of a (dotted) metadata field: ``ticket.created_at`` -> ``$['ticket']['created_at']``."""
    parts = [p for p in key.removeprefix("meta.").split(".") if p]
    return "$" + "".join("['" + p.replace("\\", "\\\\").replace("'", "\\'") + "']" for p in parts)


def meta_expr(key: str) -> pl.Expr:
    """A polars expression for metadata field ``key`` of the ``meta`` column, as text
    (objects and lists as JSON); null where absent."""
    return pl.col("meta").cast(pl.Utf8).str.json_path_match(meta_json_path(key))


class RecordError(ValueError):
    """A row cannot become a Record; the message is the reject reason (no record text)."""


def printable(value: str) -> str:
    """``value`` with lone surrogates written as escapes (``\\udce9``), so it can be
    stored: a file name with bytes that are not UTF-8 comes back from the file system that
    way, and a JSON ``\\ud800`` escape decodes to one."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")


def _unicode(value: str, what: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise RecordError(f"{what} is not valid Unicode (a lone surrogate at character {exc.start})") from None
    return value


def _printable_tree(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, Mapping):
        return {printable(str(k)): _printable_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_printable_tree(v) for v in value]
    return value


def _meta_text(meta: Mapping[str, Any] | None) -> str:
    """The metadata as stored; values that came with lone surrogates (file names that
    are not UTF-8, headers) are kept with the surrogates escaped."""
    text = meta_dumps(meta)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return meta_dumps(_printable_tree(meta))
    except RecursionError:
        raise RecordError("metadata is nested too deeply") from None


def make_record(
    *,
    source: str,
    native_id: str,
    kind: str,
    messages: list[dict[str, str]],
    title: str | None = None,
    meta: Mapping[str, Any] | None = None,
    locator: str = "",
    chunk: int | str | None = None,
    reasoning: str | None = None,
) -> dict[str, Any]:
    """Build one Record row, validating what every stage relies on.

    Raises :class:`RecordError` with a reason fit for ``rejects.jsonl``."""
    if kind not in KINDS:
        raise RecordError(f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
    native_id = str(native_id).strip() if native_id is not None else ""
    if not native_id:
        raise RecordError("missing id")
    clean: list[dict[str, str]] = []
    for i, m in enumerate(messages):
        role = m.get("role")
        if role not in ROLES:
            raise RecordError(f"message {i}: unknown role {role!r}")
        content = m.get("content")
        if content is None:
            continue
        if not isinstance(content, str):
            raise RecordError(f"message {i}: content is {type(content).__name__}, not text")
        if content.strip():
            clean.append({"role": role, "content": _unicode(content, f"message {i}")})
    if not clean:
        raise RecordError("no text: every message is empty")
    if title is not None and not isinstance(title, str):
        title = str(title)
    title = printable(title.strip()) if title else None
    text = flatten(clean, title)
    if reasoning is not None and not isinstance(reasoning, str):
        raise RecordError(f"reasoning is {type(reasoning).__name__}, not text")
    reasoning = _unicode(reasoning.strip(), "reasoning") if reasoning and reasoning.strip() else None
    rid = printable(f"{source}:{native_id}" + (f"#{chunk}" if chunk is not None else ""))
    return {
        "id": rid,
        "source": source,
        "kind": kind,
        "title": title or None,
        "messages": clean,
        "text": text,
        "meta": _meta_text(meta),
        "content_hash": content_hash(text),
        "locator": printable(locator),
        "reasoning": reasoning,
    }


def records_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """A DataFrame with exactly the Record schema (also for zero rows)."""
    return pl.DataFrame(rows, schema=RECORD_SCHEMA)
