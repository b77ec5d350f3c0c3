"""The run's split assignment, kept so that a record once held out stays held out.

``runs/<name>/split.json`` holds the split settings and, for every record an export of
the run ever assigned, its side. The next export with the same settings keeps those sides
and assigns only the records new since (:func:`curate.export.splits.assign_splits` with
``previous``): a model evaluated on a later version of the dataset was never trained on
an earlier version's eval set, and the other way round. Records missing from an export
(left out this time, another label policy) keep their entry.

Other split settings (seed, sizes, strata, grouping) make a new assignment: the file then
holds the new one, and the export says how many held-out examples moved."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curate.export.config import SplitConfig
from curate.store import write_json

FILE = "split.json"
VERSION = 1


def split_settings(split: SplitConfig) -> dict[str, Any]:
    """The settings that define an assignment (``stable`` itself does not)."""
    return {"version": VERSION, **split.model_dump(mode="json", exclude={"stable"})}


@dataclass
class StoredSplit:
    settings: dict[str, Any] | None = None
    assignment: dict[str, str] = field(default_factory=dict)


def read_split(run_root: Path | None) -> StoredSplit:
    """The run's stored assignment (empty when there is none or it cannot be read)."""
    if run_root is None:
        return StoredSplit()
    p = Path(run_root) / FILE
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return StoredSplit()
    if not isinstance(data, dict) or not isinstance(data.get("assignment"), dict):
        return StoredSplit()
    assignment = {str(k): str(v) for k, v in data["assignment"].items() if v in ("train", "eval", "test")}
    settings = data.get("settings") if isinstance(data.get("settings"), dict) else None
    return StoredSplit(settings, assignment)


def write_split(run_root: Path, settings: dict[str, Any], assignment: dict[str, str]) -> None:
    write_json(Path(run_root) / FILE, {"settings": settings, "assignment": dict(sorted(assignment.items()))})
