"""YAML front matter at the top of a Markdown / MDX page.

Front matter is data, written by whoever wrote the page, so it is loaded with limits: at
most ``max_bytes``, and never with aliases. A YAML alias (``*name``) repeats an anchored
node by reference: a few hundred bytes of nested aliases stand for billions of nodes once
anything walks the result (the page's ``meta`` is dumped to JSON), so the loader stops at
the first alias, before any node is built. Pages rarely need them; one that uses them is a
reject."""

from __future__ import annotations

from typing import Any

import yaml

from curate.sources.docs.config import MAX_FRONT_MATTER_BYTES
from curate.sources.docs.errors import DocError
from curate.sources.limits import parse_failure, too_large


class _AliasFound(Exception):
    def __init__(self, line: int):
        self.line = line


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing aliases while composing (before construction)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise _AliasFound(self.peek_event().start_mark.line)
        return super().compose_node(parent, index)


def load_front_matter(block: str) -> Any:
    """The YAML of a front matter block (its lines between the ``---``), or DocError."""
    loader = _NoAliasLoader(block)
    try:
        return loader.get_single_data()
    except _AliasFound as exc:
        raise DocError(f"front matter uses a YAML alias at line {exc.line + 2} (aliases are refused)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        raise DocError(f"invalid YAML front matter{where}") from None
    except (RecursionError, MemoryError, ValueError, OverflowError) as exc:
        raise DocError(f"invalid YAML front matter: {parse_failure(exc)}") from None
    finally:
        loader.dispose()


def split_front_matter(text: str, max_bytes: int = MAX_FRONT_MATTER_BYTES) -> tuple[dict[str, Any], str, int]:
    """(front matter, the rest, number of lines the front matter took)."""
    if not text.startswith("---"):
        return {}, text, 0
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return {}, text, 0
    size = 0
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            data = load_front_matter("\n".join(lines[1:i])) or {}
            if not isinstance(data, dict):
                raise DocError("front matter is not a mapping")
            return data, "\n".join(lines[i + 1:]), i + 1
        size += len(lines[i].encode("utf-8", "surrogatepass")) + 1
        if size > max_bytes:
            raise DocError(too_large("front matter", size, max_bytes, "max_front_matter_bytes", at_least=True))
    raise DocError("front matter is not closed (no second '---')")
