"""Which records hold expert work: pushed to Label Studio, or labeled there.

Expert labels are the most expensive thing a run holds, so a rebuild must never lose them:
the select stage keeps these records selected whatever new data arrives, and the export
takes every labeled one that is still live (or says why it cannot, ``labeled_now_*``).

What the run knows, all under ``runs/<name>/labels/``:

- ``pushed.json``: the record ids of every task ``curate label push`` created or found in
  the project (written by push, merged push by push);
- ``snapshot.json``: every pulled task, with its annotations;
- ``decisions.parquet``: one decision per labeled record.

Reading needs no Label Studio client (the select stage and the export read it)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from curate.errors import CurateError
from curate.labelstudio.state import labels_dir
from curate.store import sha256_json, write_json

PUSHED_FILE = "pushed.json"
PUSHED = "pushed"
LABELED = "labeled"


def read_pushed(run_root: Path) -> set[str]:
    """Record ids that have a task in the run's review project (as far as push knows)."""
    path = labels_dir(run_root) / PUSHED_FILE
    if not path.is_file():
        return set()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        ids = data["record_ids"]
        if not isinstance(ids, list):
            raise TypeError
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
        raise CurateError(f"{path}: damaged; run `curate label push` again (it lists the project's tasks anew)") from None
    return {str(i) for i in ids}


def record_pushed(run_root: Path, ids: set[str] | list[str]) -> None:
    """Add ``ids`` to the run's list of pushed records (atomic write)."""
    have = read_pushed(run_root)
    new = have | {str(i) for i in ids}
    if new != have or not (labels_dir(run_root) / PUSHED_FILE).is_file():
        write_json(labels_dir(run_root) / PUSHED_FILE, {"record_ids": sorted(new)})


def _snapshot_ids(run_root: Path) -> tuple[set[str], set[str]]:
    """(record ids with a pulled task, record ids whose task has an annotation)."""
    path = labels_dir(run_root) / "snapshot.json"
    if not path.is_file():
        return set(), set()
    try:
        snap = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CurateError(f"{path}: damaged; remove it and pull again (the next pull fetches every task)") from None
    tasks, labeled = set(), set()
    for task in (snap.get("review") or {}).values():
        rid = (task.get("data") or {}).get("record_id") if isinstance(task, dict) else None
        if rid is None:
            continue
        tasks.add(str(rid))
        if any(not a.get("was_cancelled") for a in task.get("annotations") or [] if isinstance(a, dict)):
            labeled.add(str(rid))
    return tasks, labeled


def _table_ids(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    try:
        return {str(v) for v in pl.scan_parquet(path).select("record_id").collect()["record_id"].drop_nulls()}
    except (pl.exceptions.PolarsError, OSError):
        raise CurateError(f"{path}: unreadable; pull again to rebuild it") from None


def expert_records(run_root: Path | None) -> dict[str, str]:
    """``{record id: "labeled" | "pushed"}`` for every record that holds expert work."""
    if run_root is None or not labels_dir(run_root).is_dir():
        return {}
    out = {rid: PUSHED for rid in read_pushed(run_root)}
    tasks, labeled = _snapshot_ids(run_root)
    for rid in tasks:
        out.setdefault(rid, PUSHED)
    d = labels_dir(run_root)
    labeled |= _table_ids(d / "labels.parquet") | _table_ids(d / "decisions.parquet")
    for rid in labeled:
        out[rid] = LABELED
    return out


def expert_fingerprint(run_root: Path | None) -> str | None:
    """A digest of the set of records holding expert work (None: none), for the select
    stage's fingerprint: a push or a first label re-runs selection; a changed label does
    not."""
    ids = expert_records(run_root)
    return sha256_json(sorted(ids)) if ids else None
