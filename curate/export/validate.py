"""Check a training file against the JSON Schema of its format, line by line.

Problems are reported by line number and JSON path, never by quoting the line (a file
may hold personal data): ``line 7: messages[2].role: must be one of system, user,
assistant``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curate.conversations import alternation_problem
from curate.errors import InputError
from curate.export.config import FORMATS
from curate.export.schemas import DEFAULT_REASONING_FIELD, format_schema


@dataclass
class Problem:
    line: int
    message: str


@dataclass
class Report:
    format: str
    rows: int = 0
    invalid: int = 0
    problems: list[Problem] = field(default_factory=list)  # the first ones

    @property
    def ok(self) -> bool:
        return self.invalid == 0 and self.rows > 0


def _path(parts: Any) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(the line)"


def _describe(err: Any) -> str:
    """One error in words, without the offending value."""
    v, vv = err.validator, err.validator_value
    if v == "required":
        missing = [k for k in vv if isinstance(err.instance, dict) and k not in err.instance]
        return f"missing {', '.join(repr(k) for k in missing) or 'a required key'}"
    if v == "additionalProperties":
        extra = sorted(k for k in err.instance if k not in (err.schema.get("properties") or {})) if isinstance(err.instance, dict) else []
        return f"unexpected key{'s' if len(extra) > 1 else ''} {', '.join(repr(k) for k in extra)}"
    if v == "type":
        return f"must be {' or '.join(vv) if isinstance(vv, list) else vv}, not {type(err.instance).__name__.replace('str', 'string').replace('dict', 'object').replace('list', 'array').replace('NoneType', 'null')}"
    if v == "enum":
        return f"must be one of {', '.join(map(str, vv))}"
    if v == "const":
        return f"must be {vv!r}"
    if v == "minLength":
        return "must not be empty"
    if v == "minItems":
        return f"needs at least {vv} item{'s' if vv != 1 else ''}"
    if v == "maxItems":
        return f"allows at most {vv} items"
    if v == "contains":
        return "needs at least one assistant turn" if "role" in json.dumps(vv) else "needs at least one reply turn (from: gpt)"
    if v in ("oneOf", "anyOf"):
        titles = [s.get("title") for s in vv if isinstance(s, dict) and s.get("title")]
        if titles:
            return f"matches none of the accepted shapes ({', '.join(titles)})"
        return "instruction and input are both empty"
    if v == "not":
        inst = err.instance if isinstance(err.instance, dict) else {}
        key = "weight" if "weight" in inst else next((k for k in inst if k not in ("role", "content", "from", "value")), "it")
        return f"{key} is only allowed on assistant turns"
    return f"fails `{v}`"


def _deepest(err: Any) -> Any:
    """The most specific error of a oneOf/anyOf branch when one branch is clearly meant."""
    if err.validator in ("oneOf", "anyOf") and err.context:
        best = max(err.context, key=lambda e: len(list(e.absolute_path)))
        if list(best.absolute_path):
            return best
    return err


_FIRST = {"type": 0, "required": 1, "additionalProperties": 2}


def _order(err: Any) -> tuple[int, int, str]:
    """Shallow problems first; a missing key before an unexpected one."""
    return (len(list(err.absolute_path)), _FIRST.get(err.validator, 3), str(list(err.absolute_path)))


def _without_nulls(v: Any) -> Any:
    """A Parquet row as the JSON it stands for: a struct has every field of its type, so a
    key one message lacks (the reasoning of a user turn) reads as null there."""
    if isinstance(v, dict):
        return {k: _without_nulls(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [_without_nulls(x) for x in v]
    return v


def _rows(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    """(line, parsed row or None, problem) for each line (or Parquet row)."""
    if path.suffix == ".parquet":
        import polars as pl

        try:
            df = pl.read_parquet(path)
        except Exception as exc:  # a damaged or non-Parquet file
            raise InputError(f"{path}: cannot read as Parquet ({type(exc).__name__})") from None
        for i, row in enumerate(df.iter_rows(named=True), start=1):
            yield i, _without_nulls(row), None
        return
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                yield n, None, "empty line (most loaders reject blank lines)"
                continue
            try:
                text = raw.decode("utf-8-sig" if n == 1 else "utf-8")
            except UnicodeDecodeError:
                yield n, None, "not valid UTF-8"
                continue
            try:
                yield n, json.loads(text.rstrip("\r\n")), None
            except json.JSONDecodeError as exc:
                yield n, None, f"invalid JSON: {exc.msg} (column {exc.colno})"


def detect_format(row: Any) -> str | None:
    if not isinstance(row, dict):
        return None
    if "messages" in row:
        return "openai"
    if "conversations" in row:
        return "sharegpt"
    if "instruction" in row or "output" in row:
        return "alpaca"
    if "prompt" in row and "completion" in row:
        return "prompt_completion"
    if "text" in row:
        return "text"
    return None


_SHAREGPT_ROLE = {"system": "system", "human": "user", "gpt": "assistant"}


def strict_problem(row: dict[str, Any], fmt: str) -> str | None:
    """Where a valid row breaks strict alternation (an optional system turn, then user and
    assistant turns in turn, ending with the assistant), as Llama-2- and Mistral-style chat
    templates demand; None when it does not or the format has no turns (text)."""
    if fmt in ("openai", "hf"):
        key, roles = "messages", [m.get("role") for m in row.get("messages") or []]
    elif fmt == "sharegpt":
        key, roles = "conversations", [_SHAREGPT_ROLE.get(m.get("from"), m.get("from")) for m in row.get("conversations") or []]
    elif fmt == "prompt_completion" and isinstance(row.get("prompt"), list):
        key = "prompt"
        roles = [m.get("role") for m in row["prompt"]] + [m.get("role") for m in row.get("completion") or []]
    elif fmt == "alpaca":
        for i, pair in enumerate(row.get("history") or []):
            for j, who in enumerate(("user", "assistant")):
                if isinstance(pair, list) and len(pair) > j and not str(pair[j]).strip():
                    return f"history[{i}][{j}]: an empty {who} turn (strict alternation)"
        return None
    else:
        return None
    found = alternation_problem([{"role": r} for r in roles])
    if found is None:
        return None
    i, what = found
    if key == "prompt" and i >= len(row["prompt"]):
        key, i = "completion", i - len(row["prompt"])
    return f"{key}[{i}]: {what} (strict alternation)"


def validate_file(path: Path, fmt: str | None, max_problems: int = 10, strict: bool = False,
                  reasoning_field: str = DEFAULT_REASONING_FIELD) -> Report:
    """Validate every line; keep the first ``max_problems`` problems. ``strict`` also
    checks that turns alternate (:func:`strict_problem`); ``reasoning_field`` is the key
    that may hold an assistant turn's reasoning."""
    import jsonschema

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    if fmt is None:
        fmt = "hf" if path.suffix == ".parquet" else None
        if fmt is None:
            for _, row, _problem in _rows(path):
                if row is not None:
                    fmt = detect_format(row)
                    break
        if fmt is None:
            raise InputError(f"{path}: cannot tell the format; name it with --format ({', '.join(FORMATS)})")
    if fmt not in FORMATS:
        raise InputError(f"--format: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    validator = jsonschema.Draft202012Validator(format_schema(fmt, reasoning_field))
    report = Report(format=fmt)
    for line, row, problem in _rows(path):
        report.rows += 1
        if problem is None:
            errors = sorted(validator.iter_errors(row), key=_order)
            if errors:
                e = _deepest(errors[0])
                problem = f"{_path(e.absolute_path)}: {_describe(e)}"
                if len(errors) > 1:
                    problem += f" (+{len(errors) - 1} more)"
            elif strict:
                problem = strict_problem(row, fmt)
        if problem is not None:
            report.invalid += 1
            if len(report.problems) < max_problems:
                report.problems.append(Problem(line, problem))
    return report
