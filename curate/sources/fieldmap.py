"""The field mapping of the file sources: which column holds what, and a row read through
it (its id, title, turns and metadata).

Dotted names reach into nested JSON objects (``a.b``). Values are text: a number becomes
its digits, bytes (a Parquet binary column) are decoded as UTF-8 (UTF-16 when a byte-order
mark says so) or the row is a reject naming the column, never ``"b'...'"``.
"""

from __future__ import annotations

import json
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from curate.records import RecordError

#: role names seen in the wild, mapped to ours (ShareGPT, chat exports, help desks)
DEFAULT_ROLES = {
    "user": "user", "customer": "user", "human": "user", "requester": "user", "client": "user",
    "assistant": "assistant", "agent": "assistant", "gpt": "assistant", "bot": "assistant",
    "support": "assistant", "model": "assistant",
    "system": "system",
}

_TRUE = frozenset({"true", "t", "1", "yes", "y"})
_FALSE = frozenset({"false", "f", "0", "no", "n"})


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
        description="Column with a list of turns ({role, content}, {from, value}, {speaker, text} or "
        "[speaker, text] pairs); a JSON string in CSV.",
    )
    text: str | None = Field(
        default=None,
        description="Column with plain text (a document): one user turn. In a thread (thread_by / in_reply_to), "
        "the row's message, whose role `role` or `inbound` gives.",
    )
    reasoning: str | None = Field(
        default=None,
        description="Column with the reasoning behind the final agent reply (chain of thought), exported as "
        "`export.reasoning` says. In a thread, the last row that has one.",
    )
    meta: list[str] | Literal["*"] = Field(
        default_factory=list, description="Columns kept as metadata, or '*' for every column not used above."
    )
    thread_by: str | None = Field(
        default=None,
        description="Column naming the conversation a row belongs to (a chat log's conversation id): the rows "
        "with one value become one Record, a turn per row.",
    )
    in_reply_to: str | None = Field(
        default=None,
        description="Column with the `id` of the row this row answers (tweets, messages with a reply-to id): rows "
        "linked by replies become one Record. A reply to a row the files do not hold starts a thread. Needs `id`.",
    )
    role: str | None = Field(
        default=None,
        description="Threads: column naming who wrote the row (customer, agent, ...: mapped like turn roles, "
        "extra names under `roles`); the role of the row's `text` turn.",
    )
    inbound: str | None = Field(
        default=None,
        description="Threads: column that is true when the customer wrote the row (a user turn) and false for the "
        "company (an assistant turn), like Twitter support data's `inbound`.",
    )
    order_by: str | None = Field(
        default=None,
        description="Threads: column ordering a thread's rows: a time (ISO 8601, RFC 2822, Twitter's "
        "'Tue Oct 31 22:10:47 +0000 2017', Unix seconds) or a number. Default: the rows' order in the files.",
    )

    @model_validator(mode="after")
    def _has_content(self) -> FieldMap:
        if not (self.user or self.assistant or self.messages or self.text):
            raise ValueError("name at least one of user, assistant, messages or text")
        if self.messages and (self.user or self.assistant or self.text):
            raise ValueError("use either messages or user/assistant/text, not both")
        threaded = bool(self.thread_by or self.in_reply_to)
        for key in ("role", "inbound", "order_by"):
            if getattr(self, key) and not threaded:
                raise ValueError(f"{key} orders or assigns the turns of a thread: name thread_by or in_reply_to too")
        if self.role and self.inbound:
            raise ValueError("give the turn's role by role or by inbound, not both")
        if (self.role or self.inbound) and not self.text:
            raise ValueError("role and inbound give the role of the row's `text` turn: map the row's message to text")
        if (self.role or self.inbound) and (self.user or self.assistant or self.messages):
            raise ValueError("with role or inbound, a row is one turn: map its message to text, not user/assistant/messages")
        if self.in_reply_to and not self.id:
            raise ValueError("in_reply_to names the id of the row answered: map the rows' ids with id")
        return self

    @property
    def threaded(self) -> bool:
        return bool(self.thread_by or self.in_reply_to)

    def columns(self) -> list[tuple[tuple[str | int, ...], str]]:
        """(config keys, column) of every column named, e.g. (('fields', 'user'), 'body')."""
        out: list[tuple[tuple[str | int, ...], str]] = []
        for key in ("id", "title", "system", "user", "assistant", "messages", "text", "reasoning",
                    "thread_by", "in_reply_to", "role", "inbound", "order_by"):
            col = getattr(self, key)
            if col:
                out.append((("fields", key), col))
        if self.meta != "*":
            out.extend((("fields", "meta", i), col) for i, col in enumerate(self.meta))
        return out


def get(row: dict[str, Any], key: str) -> Any:
    """The value at ``key``: a column of that name, else a dotted path into nested objects."""
    if key in row:
        return row[key]
    cur: Any = row
    for part in key.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def has(row: dict[str, Any], key: str) -> bool:
    """True when the row has ``key`` (a column, or a dotted path), null or not."""
    if key in row:
        return True
    cur: Any = row
    for part in key.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return False
        cur = cur[part]
    return True


def bytes_text(value: bytes, what: str) -> str:
    """Bytes from a binary column as text: UTF-8 (a UTF-8 BOM removed), or UTF-16 when a
    byte-order mark says so; else a RecordError naming the column."""
    try:
        if value.startswith((b"\xff\xfe", b"\xfe\xff")):
            return value.decode("utf-16")
        return value.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        raise RecordError(f"{what} holds bytes that are not UTF-8 text (a binary column)") from None


def as_text(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):  # NaN from Parquet/pandas exports
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes_text(bytes(value), what)
    if isinstance(value, (dict, list)):
        raise RecordError(f"{what} is a {type(value).__name__}, not text")
    return str(value)


def meta_value(value: Any, column: str) -> Any:
    """A metadata value as stored: bytes as text (see :func:`bytes_text`), inside lists and
    objects too; everything else as it is. A value with no bytes in it (anything read from
    JSON, however deeply nested) comes back as it is, found without recursion."""
    if not _holds_bytes(value):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes_text(bytes(value), f"column {column!r}")
    if isinstance(value, list):
        return [meta_value(v, column) for v in value]
    if isinstance(value, dict):
        return {k: meta_value(v, column) for k, v in value.items()}
    return value


def _holds_bytes(value: Any) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (bytes, bytearray, memoryview)):
            return True
        if isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
    return False


def flag(value: Any, column: str) -> bool:
    """A true/false column (``inbound``): booleans, 1/0, true/false, yes/no, t/f, y/n."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = as_text(value, f"column {column!r}")
    low = (text or "").strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise RecordError(f"column {column!r} is neither true nor false")


def turns_of(value: Any, roles: dict[str, str]) -> list[dict[str, Any]]:
    """A messages column as turns: a list of {role, content}, {from, value} or
    {speaker, text} objects, or of [speaker, text] pairs (ABCD's dialogues); a JSON string
    of one (CSV)."""
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
    out = []
    for i, turn in enumerate(value):
        if isinstance(turn, (list, tuple)):
            if len(turn) != 2:
                raise RecordError(f"turn {i} is a list of {len(turn)} items, not a [speaker, text] pair")
            role, content = turn
        elif isinstance(turn, dict):
            role = next((turn[k] for k in ("role", "from", "speaker") if k in turn), None)
            content = next((turn[k] for k in ("content", "value", "text") if k in turn), None)
        else:
            raise RecordError(f"turn {i} is a {type(turn).__name__}, not an object")
        mapped = roles.get(str(role).lower()) if role is not None else None
        if mapped is None:
            raise RecordError(f"turn {i}: unknown role {role!r} (map it under `roles:`)")
        out.append({"role": mapped, "content": as_text(content, f"turn {i} content")})
    return out
