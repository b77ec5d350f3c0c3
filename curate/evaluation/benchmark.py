"""Reading the gold benchmark and the systems' predictions (docs/evaluation.md, "Files").

``benchmark.jsonl``, one item per line::

    {"id": "csv:bitext:17", "messages": [{"role": "user", "content": "..."}],
     "reference": "the gold answer", "strata": {"task_type": "refund", "difficulty": "hard"},
     "source_ids": ["csv:bitext:17"]}

``messages`` is the input conversation, ending before the answer; ``strata`` and
``source_ids`` may be left out. A predictions file has one line per item: ``id`` and either
``output`` (the text) or ``messages`` (the last assistant turn is the output).

A line that cannot be used stops the command with one line naming the file and the line
(exit 2). Messages name ids and keys, never the text of an item or an output.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curate.errors import InputError

ROLES = ("system", "user", "assistant")
#: A system's name: it goes into file names and report keys, never into a task.
_SYSTEM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,59}$")


@dataclass(frozen=True)
class Item:
    """One benchmark item."""

    id: str
    messages: list[dict[str, str]]
    reference: str
    strata: dict[str, Any] = field(default_factory=dict)
    source_ids: list[str] = field(default_factory=list)

    def stratum(self, name: str) -> str:
        """The item's value of a strata field as text ('(none)' when absent)."""
        v = self.strata.get(name)
        return "(none)" if v is None else str(v)


@dataclass(frozen=True)
class System:
    """A system under evaluation and where its predictions are."""

    name: str
    path: Path


def _lines(path: Path):
    """(line number, parsed JSON object) for every non-blank line of a JSONL file."""
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected a .jsonl file")
    try:
        with open(path, "rb") as fh:
            for n, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw.decode("utf-8-sig" if n == 1 else "utf-8"))
                except UnicodeDecodeError:
                    raise InputError(f"{path}:{n}: not valid UTF-8") from None
                except json.JSONDecodeError as exc:
                    raise InputError(f"{path}:{n}: invalid JSON: {exc.msg} (column {exc.colno})") from None
                if not isinstance(obj, dict):
                    raise InputError(f"{path}:{n}: expected a JSON object, got {type(obj).__name__}")
                yield n, obj
    except OSError as exc:  # unreadable (permissions, a disk error): which file, and why
        raise InputError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None


def _id(obj: dict[str, Any], where: str) -> str:
    v = obj.get("id")
    if v is None:
        raise InputError(f"{where}: no 'id'")
    if not isinstance(v, str) or not v.strip():
        raise InputError(f"{where}: 'id' must be a non-empty string")
    return v


def _messages(v: Any, where: str, key: str = "messages") -> list[dict[str, str]]:
    if not isinstance(v, list) or not v:
        raise InputError(f"{where}: '{key}' must be a non-empty list of {{role, content}} turns")
    out = []
    for i, m in enumerate(v):
        if not isinstance(m, dict):
            raise InputError(f"{where}: {key}[{i}] must be an object with 'role' and 'content'")
        role, content = m.get("role"), m.get("content")
        if role not in ROLES:
            raise InputError(f"{where}: {key}[{i}].role must be one of {', '.join(ROLES)}")
        if not isinstance(content, str):
            raise InputError(f"{where}: {key}[{i}].content must be a string")
        out.append({"role": role, "content": content})
    return out


def read_benchmark(path: str | Path) -> list[Item]:
    """Every item of a benchmark file, in file order; one-line errors for bad lines."""
    path = Path(path)
    items: list[Item] = []
    first_line: dict[str, int] = {}
    for n, obj in _lines(path):
        where = f"{path}:{n}"
        item_id = _id(obj, where)
        if item_id in first_line:
            raise InputError(f"{where}: id {item_id!r} appears again (first on line {first_line[item_id]})")
        first_line[item_id] = n
        if "messages" not in obj:
            raise InputError(f"{where}: no 'messages' (the input conversation)")
        messages = _messages(obj["messages"], where)
        if messages[-1]["role"] == "assistant":
            raise InputError(f"{where}: 'messages' ends with an assistant turn; the input ends before the answer, "
                             "which goes in 'reference'")
        if not any(m["role"] == "user" for m in messages):
            raise InputError(f"{where}: 'messages' has no user turn")
        ref = obj.get("reference")
        if not isinstance(ref, str) or not ref.strip():
            raise InputError(f"{where}: 'reference' (the gold answer) must be a non-empty string")
        strata = obj.get("strata") or {}
        if not isinstance(strata, dict):
            raise InputError(f"{where}: 'strata' must be an object of field: value")
        for k, v in strata.items():
            if isinstance(v, (dict, list)):
                raise InputError(f"{where}: strata.{k} must be a single value (text, number or true/false)")
        sources = obj.get("source_ids") or []
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            raise InputError(f"{where}: 'source_ids' must be a list of strings")
        items.append(Item(item_id, messages, ref, dict(strata), list(sources)))
    if not items:
        raise InputError(f"{path}: no items (an empty benchmark)")
    return items


def parse_systems(specs: list[str]) -> list[System]:
    """``NAME=PREDICTIONS.jsonl`` options, in the order given."""
    if not specs:
        raise InputError("give at least one system: --system NAME=PREDICTIONS.jsonl")
    out: list[System] = []
    for spec in specs:
        name, sep, file = spec.partition("=")
        name, file = name.strip(), file.strip()
        if not sep or not name or not file:
            raise InputError(f"--system: expected NAME=PREDICTIONS.jsonl, got {spec!r}")
        if not _SYSTEM_NAME.match(name):
            raise InputError(f"--system {name!r}: a name is letters, digits, '.', '_' or '-' (at most 60)")
        if any(s.name == name for s in out):
            raise InputError(f"--system {name!r} is given twice")
        out.append(System(name, Path(file)))
    from curate.evaluation.config import MAX_SYSTEMS

    if len(out) > MAX_SYSTEMS:
        raise InputError(f"{len(out)} systems: at most {MAX_SYSTEMS} can be compared side by side")
    return out


def read_predictions(path: str | Path, benchmark: dict[str, Item], benchmark_path: str | Path) -> dict[str, str]:
    """``{item id: output}`` of a predictions file. Every benchmark item must have exactly
    one prediction and every prediction a benchmark item."""
    path = Path(path)
    out: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for n, obj in _lines(path):
        where = f"{path}:{n}"
        item_id = _id(obj, where)
        if item_id in first_line:
            raise InputError(f"{where}: id {item_id!r} appears again (first on line {first_line[item_id]})")
        first_line[item_id] = n
        if item_id not in benchmark:
            raise InputError(f"{where}: id {item_id!r} is not in the benchmark {benchmark_path}")
        if "output" in obj and obj["output"] is not None:
            if not isinstance(obj["output"], str):
                raise InputError(f"{where}: 'output' must be a string")
            out[item_id] = obj["output"]
        elif "messages" in obj:
            turns = _messages(obj["messages"], where)
            answers = [m["content"] for m in turns if m["role"] == "assistant"]
            if not answers:
                raise InputError(f"{where}: 'messages' has no assistant turn (the output)")
            out[item_id] = answers[-1]
        else:
            raise InputError(f"{where}: no 'output' (text) or 'messages' (the last assistant turn is the output)")
    missing = [i for i in benchmark if i not in out]
    if missing:
        raise InputError(
            f"{path}: no prediction for {len(missing)} of {len(benchmark)} benchmark item(s) (first: id {missing[0]!r})"
        )
    return out


def read_all(benchmark_path: str | Path, systems: list[System]) -> tuple[list[Item], dict[str, dict[str, str]]]:
    """The benchmark and ``{system: {item id: output}}``."""
    items = read_benchmark(benchmark_path)
    by_id = {i.id: i for i in items}
    return items, {s.name: read_predictions(s.path, by_id, benchmark_path) for s in systems}
