"""What a run knows about its Label Studio projects, under ``runs/<name>/labels/``::

    labels/
      project.json        server URL, project ids, task type (written by push)
      snapshot.json       the latest version of every pulled task (merged pull by pull)
      raw/<UTC time>.json what each pull fetched, as Label Studio exported it
      labels.parquet      one row per counted annotation and field
      fields.json         {field: level of measurement}
      decisions.parquet   one row per record: agreed / adjudicated / majority / disagreed / pending
      pull.json           the last pull's counts and warnings

Every file is written atomically (a temporary file renamed into place).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from curate.errors import CurateError
from curate.store import write_json

LABELS_DIR = "labels"


def labels_dir(run_root: Path) -> Path:
    return Path(run_root) / LABELS_DIR


@dataclass
class ProjectState:
    """The run's projects on one server."""

    url: str
    task: str
    project_id: int | None = None
    title: str | None = None
    adjudication_project_id: int | None = None
    adjudication_title: str | None = None
    pushed: int = 0
    pushed_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, run_root: Path) -> ProjectState | None:
        path = labels_dir(run_root) / "project.json"
        if not path.exists():
            return None
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(**raw)
        except (json.JSONDecodeError, TypeError):
            raise CurateError(f"{path}: damaged; remove it and push again (tasks are matched by record id)") from None

    def save(self, run_root: Path) -> None:
        write_json(labels_dir(run_root) / "project.json", asdict(self))


def load_snapshot(run_root: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """``{"review": {task_id: task}, "adjudication": {...}}`` (task ids as strings)."""
    path = labels_dir(run_root) / "snapshot.json"
    if not path.exists():
        return {"review": {}, "adjudication": {}}
    try:
        snap = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        raise CurateError(f"{path}: damaged; remove it and pull again (the next pull fetches every task)") from None
    snap.setdefault("review", {})
    snap.setdefault("adjudication", {})
    return snap


def save_snapshot(run_root: Path, snap: dict[str, Any]) -> None:
    write_json(labels_dir(run_root) / "snapshot.json", snap)
