"""``curate label pull``: fetch what changed in Label Studio since the last pull, keep it
raw, and rebuild the run's labels, field levels and decisions.

Incremental: the project's task list (id, updated_at) is compared with the snapshot of the
last pull, and only new or changed tasks are exported (Label Studio bumps a task's
``updated_at`` when one of its annotations is created, changed or deleted). Each pull's
fetch is kept as ``labels/raw/<UTC time>.json``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import polars as pl

from curate.errors import InputError
from curate.labelstudio.adjudicate import (
    QueueResult,
    Reopened,
    queue,
    read_adjudications,
    reopen_dead_ends,
)
from curate.labelstudio.client import LabelStudioClient, LabelStudioError
from curate.labelstudio.config import LabelConfig
from curate.labelstudio.counting import count_annotations
from curate.labelstudio.decisions import DECISIONS_FILE, build_decisions
from curate.labelstudio.state import ProjectState, labels_dir, load_snapshot, save_snapshot
from curate.labelstudio.templates import FIELD_LEVELS, field_levels
from curate.run import RunFolder, now_iso
from curate.store import write_json, write_parquet

log = logging.getLogger(__name__)

EXPORT_CHUNK = 200


@dataclass
class PullResult:
    raw_path: Path | None
    changed: dict[str, int]
    deleted: dict[str, int]
    tasks: int
    annotations_counted: int
    labels: int
    status: dict[str, int]
    counts: dict[str, int]
    warnings: list[str] = field(default_factory=list)
    adjudication: QueueResult | None = None
    reopened: list[Reopened] = field(default_factory=list)


def _users(client: LabelStudioClient) -> dict[int, str]:
    try:
        return {int(u["id"]): str(u.get("email") or u.get("username") or f"user:{u['id']}") for u in client.users()}
    except LabelStudioError as exc:
        if exc.status == 403:
            log.warning("this token cannot list users; reviewers are named by user id")
            return {}
        raise


def _instant(stamp: Any) -> Any:
    """A task's ``updated_at`` as an instant: the task list (read through the SDK's models)
    and the export (raw JSON) may write the same time differently."""
    if isinstance(stamp, str):
        try:
            return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            return stamp
    return stamp


def _fetch_changes(client: LabelStudioClient, project_id: int, known: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    listing = {str(t["id"]): _instant(t.get("updated_at")) for t in client.tasks(project_id)}
    changed = [tid for tid, up in listing.items() if tid not in known or _instant(known[tid].get("updated_at")) != up]
    deleted = [tid for tid in known if tid not in listing]
    exported: list[dict[str, Any]] = []
    if changed and len(changed) == len(listing):
        exported = client.export(project_id)
    else:
        for start in range(0, len(changed), EXPORT_CHUNK):
            exported += client.export(project_id, ids=[int(t) for t in changed[start : start + EXPORT_CHUNK]])
    return exported, deleted


def _raw_path(run_root: Path, when: datetime) -> Path:
    base = labels_dir(run_root) / "raw"
    stamp = when.strftime("%Y-%m-%dT%H-%M-%SZ")
    path, n = base / f"{stamp}.json", 1
    while path.exists():
        path, n = base / f"{stamp}-{n}.json", n + 1
    return path


def pull(
    run: RunFolder,
    run_name: str,
    cfg: LabelConfig,
    client: LabelStudioClient,
    *,
    base_dir: Path | None = None,
    adjudicate: bool | None = None,
) -> PullResult:
    state = ProjectState.load(run.root)
    if state is None or state.project_id is None:
        raise InputError(f"{run.root}: nothing pushed to Label Studio yet; run `curate label push {run.root}` first")
    if state.url != client.url:
        raise InputError(
            f"{run.root}: its project is on {state.url}, but the Label Studio in use is {client.url}; "
            f"set CURATE_LS_URL={state.url} (and its token) or push again to the new server"
        )
    if state.task != cfg.task:
        raise InputError(f"{run.root}: the project was pushed as task {state.task}, the config now says {cfg.task}")
    when = datetime.now(timezone.utc)
    users = _users(client)
    snap = load_snapshot(run.root)
    raw: dict[str, Any] = {"pulled_at": when.isoformat(timespec="seconds"), "url": client.url, "users": {str(k): v for k, v in users.items()}}
    changed: dict[str, int] = {}
    deleted: dict[str, int] = {}
    for kind, pid in (("review", state.project_id), ("adjudication", state.adjudication_project_id)):
        if pid is None:
            continue
        known = snap[kind]
        if snap.get(f"{kind}_project_id") not in (None, pid):
            known.clear()  # a different project now: start its snapshot afresh
        snap[f"{kind}_project_id"] = pid
        exported, gone = _fetch_changes(client, pid, known)
        for t in exported:
            known[str(t["id"])] = t
        for tid in gone:
            known.pop(tid, None)
        raw[kind] = {"project_id": pid, "tasks": exported, "deleted_task_ids": [int(t) for t in gone]}
        changed[kind], deleted[kind] = len(exported), len(gone)

    raw_path = None
    if any(changed.values()) or any(deleted.values()) or not (labels_dir(run.root) / "labels.parquet").exists():
        raw_path = _raw_path(run.root, when)
        write_json(raw_path, raw)
    save_snapshot(run.root, snap)

    levels = field_levels(cfg)
    fields = set(FIELD_LEVELS[cfg.task])
    counted = count_annotations(snap["review"], users, fields=fields)
    adjudications, adj_counted = read_adjudications(snap["adjudication"], users, counted, fields)
    labels = counted.labels()
    # fields of the task that reviewers may answer even when the config has no categories
    present = set(labels.get_column("field").unique().to_list()) if labels.height else set()
    for f in present - set(levels):
        levels[f] = FIELD_LEVELS[cfg.task][f]
    decisions = build_decisions(counted, levels, cfg.agreement, cfg.task, adjudications)

    out = labels_dir(run.root)
    write_parquet(out / "labels.parquet", labels)
    write_json(out / "fields.json", levels)
    write_parquet(out / DECISIONS_FILE, decisions)

    status = {s: 0 for s in ("agreed", "adjudicated", "majority", "disagreed", "pending")}
    for s, n in decisions.group_by("status").len().iter_rows():
        status[s] = n
    counts = dict(counted.counts)
    for k, v in adj_counted.counts.items():
        counts[f"adjudication_{k}"] = v
    warnings = counted.warnings + [f"adjudication: {w}" for w in adj_counted.warnings]
    result = PullResult(
        raw_path=raw_path, changed=changed, deleted=deleted, tasks=len(snap["review"]),
        annotations_counted=sum(len(a) for a in counted.counted.values()), labels=labels.height,
        status=status, counts=counts, warnings=warnings,
    )
    do_queue = cfg.adjudication.enabled and (cfg.adjudication.on_pull if adjudicate is None else adjudicate)
    if do_queue and (status["disagreed"] or status["majority"]):
        result.adjudication = queue(run.root, run_name, cfg, client, state, counted, decisions, levels=levels,
                                    base_dir=base_dir)
    if cfg.adjudication.enabled and state.adjudication_project_id is not None:
        wanted = set(decisions.filter(pl.col("status").is_in(["disagreed", "majority"]))["record_id"].to_list())
        if wanted:
            result.reopened = reopen_dead_ends(client, state.adjudication_project_id, wanted, users, counted, fields)
    write_json(out / "pull.json", {
        "pulled_at": now_iso(), "url": client.url, "project_id": state.project_id,
        "adjudication_project_id": state.adjudication_project_id,
        "raw": str(raw_path.relative_to(run.root)) if raw_path else None,
        "changed": changed, "deleted": deleted, "tasks": result.tasks,
        "annotations_counted": result.annotations_counted, "labels": result.labels,
        "status": status, "counts": counts, "warnings": warnings,
        "adjudication_queued": result.adjudication.queued if result.adjudication else 0,
        "adjudication_reopened": [asdict(r) for r in result.reopened],
    })
    return result


def decisions_summary(run_root: Path) -> pl.DataFrame | None:
    path = labels_dir(run_root) / DECISIONS_FILE
    return pl.read_parquet(path) if path.exists() else None
