"""YAML front matter at the top of a Markdown / MDX page."""

from __future__ import annotations

from typing import Any

import yaml

from curate.sources.docs.errors import DocError


def split_front_matter(text: str) -> tuple[dict[str, Any], str, int]:
    """(front matter, the rest, number of lines the front matter took)."""
    if not text.startswith("---"):
        return {}, text, 0
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return {}, text, 0
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            try:
                data = yaml.safe_load("\n".join(lines[1:i])) or {}
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = f" at line {mark.line + 2}" if mark is not None else ""
                raise DocError(f"invalid YAML front matter{where}") from None
            if not isinstance(data, dict):
                raise DocError("front matter is not a mapping")
            return data, "\n".join(lines[i + 1:]), i + 1
    raise DocError("front matter is not closed (no second '---')")
