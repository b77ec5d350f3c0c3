"""The eval folder: what one human evaluation knows. By default it lives in the run,
``runs/<name>/evals/<eval name>/``::

    eval.json           the settings, the benchmark and each system's predictions file
                        (path, sha256), the strata fields, the redaction counts
    sample.json         the items rated, in task order: id, strata, and which letter is
                        which system (the blinding key: never sent to Label Studio)
    project.json        the Label Studio server, project id, tasks pushed
    raw/<UTC time>.json what each pull fetched, as Label Studio exported it
    snapshot.json       the latest version of every task (merged pull by pull)
    ratings.parquet     item, system, reviewer, dimension, rating, annotation_id, task_id, seconds
    preferences.parquet item, reviewer, choice (a system, or null for no preference)
    pull.json           the last pull's counts and warnings
    report.json         the last report (curate eval report; the run report's panel reads it)

Only ``raw/`` and ``snapshot.json`` hold texts: the tasks as Label Studio exported them,
that is, as reviewers saw them (redacted). Every file is written atomically.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from curate.errors import CurateError, InputError
from curate.store import write_json

EVALS_DIR = "evals"
SETTINGS = "eval.json"
SAMPLE = "sample.json"
PROJECT = "project.json"
SNAPSHOT = "snapshot.json"
RATINGS = "ratings.parquet"
PREFERENCES = "preferences.parquet"
PULL = "pull.json"


@dataclass
class ProjectInfo:
    """Where the eval's tasks are."""

    url: str
    project_id: int | None = None
    title: str | None = None
    pushed: int = 0
    pushed_at: str | None = None


class EvalFolder:
    """Reading and writing an eval folder's files."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, name: str) -> Path:
        return self.root / name

    def exists(self) -> bool:
        return self.path(SETTINGS).exists()

    @property
    def name(self) -> str:
        return self.root.name

    def _read(self, name: str, what: str) -> Any:
        p = self.path(name)
        if not p.exists():
            return None
        try:
            return json.loads(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise CurateError(f"{p}: damaged ({what}); restore it from a backup or start a new eval") from None

    def settings(self) -> dict[str, Any]:
        data = self._read(SETTINGS, "the eval's settings")
        if not isinstance(data, dict):
            raise InputError(f"{self.root}: not an eval folder (no {SETTINGS}); `curate eval push` makes one")
        return data

    def write_settings(self, data: dict[str, Any]) -> None:
        write_json(self.path(SETTINGS), data)

    def sample(self) -> list[dict[str, Any]]:
        data = self._read(SAMPLE, "the sample and its blinding key")
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise InputError(f"{self.root}: no {SAMPLE}; push the eval first")
        return data["items"]

    def write_sample(self, items: list[dict[str, Any]]) -> None:
        write_json(self.path(SAMPLE), {"items": items})

    def project(self) -> ProjectInfo | None:
        data = self._read(PROJECT, "the Label Studio project")
        if data is None:
            return None
        try:
            return ProjectInfo(**data)
        except TypeError:
            raise CurateError(f"{self.path(PROJECT)}: damaged; remove it and push again (tasks are matched by item id)") from None

    def write_project(self, info: ProjectInfo) -> None:
        write_json(self.path(PROJECT), asdict(info))

    def snapshot(self) -> dict[str, Any]:
        data = self._read(SNAPSHOT, "the tasks pulled so far")
        return data if isinstance(data, dict) else {"tasks": {}}

    def write_snapshot(self, snap: dict[str, Any]) -> None:
        write_json(self.path(SNAPSHOT), snap)


@dataclass
class Located:
    """An eval folder and the run it belongs to (None for one outside a run)."""

    folder: EvalFolder
    run_root: Path | None = None
    others: list[str] = field(default_factory=list)


def evals_of_run(run_root: Path) -> list[EvalFolder]:
    base = Path(run_root) / EVALS_DIR
    if not base.is_dir():
        return []
    return [EvalFolder(p) for p in sorted(base.iterdir()) if (p / SETTINGS).is_file()]


def locate(path: Path) -> Located:
    """An eval folder given as itself, or as the run holding exactly one eval."""
    p = Path(path)
    if (p / SETTINGS).is_file():
        run_root = p.parent.parent if p.parent.name == EVALS_DIR and (p.parent.parent / "manifest.json").is_file() else None
        return Located(EvalFolder(p), run_root)
    if (p / "manifest.json").is_file():
        found = evals_of_run(p)
        if len(found) == 1:
            return Located(found[0], p)
        if not found:
            raise InputError(f"{p}: this run has no eval yet; `curate eval push BENCHMARK --system NAME=FILE --run {p}`")
        names = ", ".join(f.name for f in found)
        raise InputError(f"{p}: this run has {len(found)} evals ({names}); give one: {p / EVALS_DIR}/NAME")
    raise InputError(f"{p}: not an eval folder (no {SETTINGS}) and not a run folder")
