"""The metadata a record carries, as fields to redact: every text value (at any depth) and
every key of a nested object, less the fields known to be safe (``meta_keep``). Numbers,
booleans and nulls are left as they are, and so are the top-level keys (the source's field
names). Each value is read with the key it stands under ("phone: 415 555 0132"), the
context its recognizers would find in a form."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MetaField:
    """One text of the metadata: a value, or the key of a nested object."""

    path: tuple  # keys and list indices to the value; for a key, to the object holding it
    text: str
    label: str  # the key the value stands under ("" for a key)
    is_key: bool = False


def _dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path if isinstance(p, str))


def _kept(path: tuple, keep: list[str]) -> bool:
    d = _dotted(path)
    return any(d == k or d.startswith(k + ".") for k in keep)


def meta_fields(meta: Any, fields: list[str], keep: list[str]) -> list[MetaField]:
    """The texts of ``meta`` to redact, in a fixed order (sorted keys)."""
    out: list[MetaField] = []
    if not fields or not isinstance(meta, dict):
        return out

    def walk(node: Any, path: tuple, label: str) -> None:
        if path and _kept(path, keep):
            return
        if isinstance(node, str):
            out.append(MetaField(path, node, label))
        elif isinstance(node, dict):
            for k in sorted(node, key=str):
                if path and isinstance(k, str) and not _kept(path + (k,), keep):
                    out.append(MetaField(path, k, "", is_key=True))
                walk(node[k], path + (k,), str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, path + (i,), label)

    if "*" in fields:
        walk(meta, (), "")
        return out
    for f in dict.fromkeys(fields):
        node: Any = meta
        path: tuple = ()
        for part in f.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
                path += (part,)
            else:
                node = None
                break
        if node is not None:
            walk(node, path, path[-1])
    return out


def apply(meta: dict[str, Any], replaced: list[tuple[MetaField, str]]) -> dict[str, Any]:
    """A copy of ``meta`` with the fields' new texts: values first, then keys renamed from
    the deepest objects up (a key that would repeat another one gets ``~2``, ``~3``...)."""
    out = json.loads(json.dumps(meta)) if meta else {}
    renames: dict[tuple, dict[str, str]] = {}
    for f, text in replaced:
        if f.is_key:
            if text != f.text:
                renames.setdefault(f.path, {})[f.text] = text
            continue
        node = out
        for p in f.path[:-1]:
            node = node[p]
        node[f.path[-1]] = text
    for path in sorted(renames, key=len, reverse=True):
        node = out
        for p in path[:-1]:
            node = node[p]
        old = node[path[-1]] if path else out
        new: dict[str, Any] = {}
        names = renames[path]
        unchanged = {k for k in old if k not in names}
        for k, v in old.items():
            name = names.get(k, k)
            if k in names:
                base, n = name, 2
                while name in new or name in unchanged:
                    name, n = f"{base}~{n}", n + 1
            new[name] = v
        if path:
            node[path[-1]] = new
        else:
            out = new
    return out
