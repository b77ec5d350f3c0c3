"""The run's versions on disk::

    runs/<name>/versions/
      index.json              [{version, parent, created_at, out, examples, splits, ...}]
      v<N>/manifest.json      the export's manifest.json as written
      v<N>/examples.parquet   id, split, stratum, cluster, label state, content hashes
      v<N>/dropped.parquet    id, stage, reason, cause: what the export left out
      v<N>/examples.jsonl.gz  the lines as written, by split (only with export.versions.keep_text)

Every file is written atomically (curate.store); ``index.json`` last, so a version is
listed only once its files are complete."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from curate.errors import InputError
from curate.store import atomic_path, write_json, write_parquet

VERSIONS_DIR = "versions"
INDEX = "index.json"
EXAMPLES = "examples.parquet"
DROPPED = "dropped.parquet"
TEXT = "examples.jsonl.gz"
MANIFEST = "manifest.json"
DROPPED_SCHEMA = {"id": pl.Utf8, "stage": pl.Utf8, "reason": pl.Utf8, "cause": pl.Utf8}


def versions_dir(run_root: Path) -> Path:
    return Path(run_root) / VERSIONS_DIR


def read_index(run_root: Path) -> list[dict[str, Any]]:
    path = versions_dir(run_root) / INDEX
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise TypeError
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError):
        raise InputError(f"{path}: damaged; it lists the run's dataset versions (v<N>/ folders beside it)") from None
    return data


def next_version(run_root: Path) -> tuple[int, int | None]:
    """(the number the next export gets, its parent: the latest version, or None)."""
    index = read_index(run_root)
    last = max((int(e["version"]) for e in index), default=0)
    return last + 1, (last or None)


@dataclass
class Version:
    number: int
    entry: dict[str, Any]
    folder: Path
    examples: pl.DataFrame
    dropped: pl.DataFrame
    run_root: Path

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))

    def text_rows(self) -> dict[str, list[dict[str, Any]]] | None:
        """The lines as written, by split (None: the version kept no text)."""
        path = self.folder / TEXT
        if not path.is_file():
            return None
        out: dict[str, list[dict[str, Any]]] = {}
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                out.setdefault(rec["split"], []).append(rec["row"])
        return out


def load_version(run_root: Path, number: int | None = None) -> Version:
    """Version ``number`` of the run (None: the latest)."""
    index = read_index(run_root)
    if not index:
        raise InputError(f"{run_root}: no dataset versions yet (every export records one in {VERSIONS_DIR}/)")
    by_number = {int(e["version"]): e for e in index}
    n = max(by_number) if number is None else int(number)
    if n not in by_number:
        raise InputError(f"{run_root}: no version v{n}; it has " + ", ".join(f"v{k}" for k in sorted(by_number)))
    folder = versions_dir(run_root) / f"v{n}"
    try:
        examples = pl.read_parquet(folder / EXAMPLES)
        dropped = pl.read_parquet(folder / DROPPED)
    except (OSError, pl.exceptions.PolarsError):
        raise InputError(f"{folder}: the version's files are missing or unreadable") from None
    return Version(n, by_number[n], folder, examples, dropped, Path(run_root))


def record_version(run_root: Path, number: int, parent: int | None, manifest: dict[str, Any], examples: pl.DataFrame,
                   dropped: list[dict[str, Any]], out_dir: Path, text: dict[str, list[dict[str, Any]]] | None,
                   changes: dict[str, Any] | None) -> None:
    """Write version ``number``'s folder, then list it in the index."""
    folder = versions_dir(run_root) / f"v{number}"
    write_json(folder / MANIFEST, manifest)
    write_parquet(folder / EXAMPLES, examples)
    write_parquet(folder / DROPPED, pl.DataFrame(
        [{k: (None if d.get(k) is None else str(d.get(k))) for k in DROPPED_SCHEMA} for d in dropped],
        schema=DROPPED_SCHEMA))
    if text is not None:
        with atomic_path(folder / TEXT) as tmp, gzip.open(tmp, "wt", encoding="utf-8") as fh:
            for split, rows in text.items():
                for row in rows:
                    fh.write(json.dumps({"split": split, "row": row}, ensure_ascii=False, default=str) + "\n")
    index = [e for e in read_index(run_root) if int(e["version"]) != number]
    try:
        out = str(Path(out_dir).resolve().relative_to(Path(run_root).resolve()))
    except ValueError:
        out = str(Path(out_dir).resolve())
    index.append({
        "version": number, "parent": parent, "created_at": manifest.get("created_at"),
        "out": out, "format": manifest.get("format"), "examples": examples.height,
        "splits": dict(sorted(examples.group_by("split").len().iter_rows())) if examples.height else {},
        "text_kept": text is not None, "config_hash": manifest.get("config_hash"),
        "changes": (changes or {}).get("counts"),
    })
    write_json(versions_dir(run_root) / INDEX, sorted(index, key=lambda e: int(e["version"])))
