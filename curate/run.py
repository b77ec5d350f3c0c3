"""The run folder: ``runs/<name>/`` with one table per stage, ``manifest.json`` and
``rejects.jsonl``. The manifest is the resume point: a stage whose fingerprint (its
config, the code version and its input's checksum) is unchanged and whose outputs still
match their checksums is skipped."""

from __future__ import annotations

import contextlib
import json
import os
import platform
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl

from curate import __version__
from curate.errors import CurateError
from curate.records import live
from curate.store import WriteError, sha256_file, write_json

MANIFEST = "manifest.json"
REJECTS = "rejects.jsonl"
LOCK = ".build.lock"
#: folders of the run that only ``curate build`` writes (labels/ is written by
#: ``curate label``, which may run beside a build)
_BUILD_FOLDERS = ("export", "cache", "state")

_VERSIONED = (
    "polars", "pyarrow", "pydantic", "presidio-analyzer", "presidio-anonymizer", "spacy",
    "datasketch", "sentence-transformers", "torch", "scikit-learn", "ray",
)


def package_versions() -> dict[str, str]:
    out = {"curate": __version__, "python": platform.python_version()}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class RunFolder:
    """A run's folder and its manifest."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    # -- paths ------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        return self.root / name

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    @property
    def rejects_path(self) -> Path:
        return self.root / REJECTS

    def exists(self) -> bool:
        return self.manifest_path.exists()

    # -- one build at a time ----------------------------------------------------------
    def create(self) -> None:
        """Make the folder (a clear error when the file system refuses)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WriteError(f"cannot create the run folder {self.root}: {exc.strerror or exc}") from None

    @contextlib.contextmanager
    def build_lock(self) -> Iterator[None]:
        """Hold the run folder for one build: a second build of the same run waits for
        nothing and stops with a clear error. The lock goes with the process, so a killed
        build never leaves the folder locked."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on POSIX: no lock
            yield
            return
        try:
            fh = (self.root / LOCK).open("a+b")
        except OSError:  # a read-only run folder: the first write reports it clearly
            yield
            return
        with fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise CurateError(
                    f"{self.root}: another curate build is running in this run folder; "
                    "wait for it to finish (a killed build does not hold it)"
                ) from None
            yield

    def remove_stale_temp(self) -> list[str]:
        """Remove the temporary files a killed build left (``.<name>.<random>.tmp``, see
        curate.store.atomic_path): they are never complete, may be large, and the one of
        ingest holds raw text. Call only while holding :meth:`build_lock`."""
        removed = []
        folders = [self.root] + [self.root / d for d in _BUILD_FOLDERS]
        for folder in folders:
            if not folder.is_dir():
                continue
            walk = folder.rglob(".*.tmp") if folder != self.root else folder.glob(".*.tmp")
            for p in walk:
                if p.is_file():
                    with contextlib.suppress(OSError):
                        p.unlink()
                        removed.append(os.fspath(p.relative_to(self.root)))
        return sorted(removed)

    # -- manifest ---------------------------------------------------------------------
    def manifest(self) -> dict[str, Any]:
        if not self.manifest_path.exists():
            return {"stages": {}}
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            raise CurateError(f"{self.manifest_path}: damaged manifest; remove the run folder or use --force") from None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        manifest["updated_at"] = now_iso()
        write_json(self.manifest_path, manifest)

    def update_manifest(self, **fields: Any) -> dict[str, Any]:
        m = self.manifest()
        m.update(fields)
        self.write_manifest(m)
        return m

    def stage_entry(self, stage: str) -> dict[str, Any] | None:
        return self.manifest().get("stages", {}).get(stage)

    def record_stage(self, stage: str, entry: dict[str, Any]) -> None:
        m = self.manifest()
        m.setdefault("stages", {})[stage] = entry
        self.write_manifest(m)

    def is_current(self, stage: str, fingerprint: str) -> bool:
        """True when the stored output of ``stage`` was made from the same inputs and
        config and its files are intact."""
        entry = self.stage_entry(stage)
        if not entry or entry.get("status") != "done" or entry.get("fingerprint") != fingerprint:
            return False
        for name, digest in (entry.get("checksums") or {}).items():
            p = self.path(name)
            if not p.exists() or sha256_file(p) != digest:
                return False
        return True

    def checksums(self, names: list[str]) -> dict[str, str]:
        out = {}
        for name in names:
            p = self.path(name)
            if p.is_dir():
                for f in sorted(p.rglob("*")):
                    if f.is_file() and not f.name.startswith("."):
                        out[str(f.relative_to(self.root))] = sha256_file(f)
            elif p.exists():
                out[name] = sha256_file(p)
        return out

    # -- tables -----------------------------------------------------------------------
    def table(self, stage: str) -> Path:
        """The table a stage wrote (from the manifest, else ``<stage>.parquet``)."""
        entry = self.stage_entry(stage) or {}
        return self.path(entry.get("table") or f"{stage}.parquet")

    def last_table(self, stages: Sequence[str]) -> tuple[str, Path] | None:
        """The table of the last of ``stages`` (in build order) that wrote one."""
        done = self.manifest().get("stages", {})
        for s in reversed(stages):
            e = done.get(s)
            if e and e.get("status") == "done" and e.get("table"):
                return s, self.path(e["table"])
        return None

    def live(self, stage: str) -> pl.LazyFrame:
        """The records still live after ``stage`` (without the drop column)."""
        return live(pl.scan_parquet(self.table(stage)))

