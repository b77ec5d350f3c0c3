"""Fields a user may name in ``export.metadata`` and ``export.split.stratify_by``: record
columns, label fields and ``meta.<key>``."""

from __future__ import annotations

from typing import Any

RECORD_FIELDS = (
    "id", "source", "kind", "title", "locator", "content_hash", "cluster", "dup_group", "dup_kind",
    "rank", "strategy",
)
LABEL_FIELDS = ("decision", "category", "quality", "label", "status", "reviewers", "difficulty")


def check_field_name(name: str, key: str) -> None:
    """Raise ValueError (a config error) for a name that can never resolve."""
    if name.startswith("meta.") and len(name) > 5:
        return
    if name in RECORD_FIELDS or name in LABEL_FIELDS:
        return
    known = ", ".join(RECORD_FIELDS + LABEL_FIELDS)
    raise ValueError(f"{key}: unknown field {name!r}; use one of {known} or meta.<key>")


def field_value(name: str, row: dict[str, Any], meta: dict[str, Any], label: dict[str, Any] | None) -> Any:
    """The value of a field for one record (None when the record does not have it)."""
    if name.startswith("meta."):
        cur: Any = meta
        for part in name[5:].split("."):
            if not isinstance(cur, dict) or part not in cur:
                return None
            cur = cur[part]
        return cur
    if name in LABEL_FIELDS:
        return (label or {}).get(name)
    return row.get(name)
