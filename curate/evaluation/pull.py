"""``curate eval pull``: the annotations of the eval's project become ratings.

Every pull exports the project's tasks, keeps what changed since the last pull as
``raw/<UTC time>.json``, and rebuilds ``ratings.parquet`` and ``preferences.parquet`` from
all tasks, turning letters back into systems with the blinding key in ``sample.json``.

Which annotations count follows ``curate label pull`` (``curate.labelstudio.counting``):
per task the first annotation of each of the first ``reviewers`` distinct people; skipped,
empty and impersonated annotations (created or changed in someone else's name) and extra
ones are reported and not counted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import polars as pl

from curate.errors import InputError
from curate.evaluation import template
from curate.evaluation.config import HumanEvalConfig
from curate.evaluation.folder import PREFERENCES, PULL, RATINGS, EvalFolder
from curate.evaluation.stats import PREFERENCE_SCHEMA
from curate.labelstudio.client import LabelStudioClient, LabelStudioError
from curate.labelstudio.counting import MAX_WARNINGS, count_annotations
from curate.run import now_iso
from curate.store import write_json, write_parquet

log = logging.getLogger(__name__)

RATING_ROWS_SCHEMA = {
    "item": pl.Utf8, "system": pl.Utf8, "reviewer": pl.Utf8, "dimension": pl.Utf8, "rating": pl.Float64,
    "annotation_id": pl.Int64, "task_id": pl.Int64, "seconds": pl.Float64,
}


@dataclass
class EvalPullResult:
    raw_path: Path | None
    changed: int
    deleted: int
    tasks: int
    annotations: int
    ratings: int
    preferences: int
    items_complete: int
    items_started: int
    items: int
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _users(client: LabelStudioClient) -> dict[int, str]:
    try:
        return {int(u["id"]): str(u.get("email") or u.get("username") or f"user:{u['id']}") for u in client.users()}
    except LabelStudioError as exc:
        if exc.status == 403:
            log.warning("this token cannot list users; reviewers are named by user id")
            return {}
        raise


def _raw_path(root: Path, when: datetime) -> Path:
    base = root / "raw"
    stamp = when.strftime("%Y-%m-%dT%H-%M-%SZ")
    path, n = base / f"{stamp}.json", 1
    while path.exists():
        path, n = base / f"{stamp}-{n}.json", n + 1
    return path


def pull_eval(folder: EvalFolder, client: LabelStudioClient) -> EvalPullResult:
    settings = folder.settings()
    cfg = HumanEvalConfig.model_validate(settings["human_eval"])
    systems = [s["name"] for s in settings["systems"]]
    sample = folder.sample()
    info = folder.project()
    if info is None or info.project_id is None:
        raise InputError(f"{folder.root}: nothing pushed to Label Studio yet; run `curate eval push` first")
    if info.url != client.url:
        raise InputError(f"{folder.root}: its project is on {info.url}, but the Label Studio in use is {client.url}; "
                         f"set CURATE_LS_URL={info.url} (and its token)")
    when = datetime.now(timezone.utc)
    users = _users(client)
    exported = client.export(info.project_id)
    snap = folder.snapshot()
    known: dict[str, Any] = snap.get("tasks") or {}
    if snap.get("project_id") not in (None, info.project_id):
        known = {}
    now = {str(t["id"]): t for t in exported}
    changed = [t for tid, t in now.items() if known.get(tid) != t]
    deleted = [int(tid) for tid in known if tid not in now]
    raw_path = None
    if changed or deleted or not folder.path(RATINGS).exists():
        raw_path = _raw_path(folder.root, when)
        write_json(raw_path, {"pulled_at": when.isoformat(timespec="seconds"), "url": client.url,
                              "project_id": info.project_id, "users": {str(k): v for k, v in users.items()},
                              "tasks": changed, "deleted_task_ids": deleted})
    folder.write_snapshot({"project_id": info.project_id, "tasks": now})

    fields = set(template.control_names(cfg, len(systems)))
    counted = count_annotations(now, users, reviewers=cfg.reviewers, fields=fields)
    letters_of = {str(it["id"]): it["letters"] for it in sample}
    eval_id = settings.get("eval_id")
    ratings: list[dict[str, Any]] = []
    prefs: list[dict[str, Any]] = []

    started = complete = 0
    for rid, anns in counted.counted.items():
        letters = letters_of.get(rid)
        if letters is None:
            counted.warn("not_in_sample", f"task {counted.task_of[rid]} is for item {rid!r}, which is not in this eval's sample; ignored")
            continue
        if eval_id and counted.data_of[rid].get("eval_id") != eval_id:
            # its answers were ordered by another eval's letters: reading them with ours would swap systems
            counted.warn("other_eval", f"task {counted.task_of[rid]} (item {rid!r}) was not pushed by this eval; ignored")
            continue
        if anns:
            started += 1
        if len(anns) >= cfg.reviewers:
            complete += 1
        for a in anns:
            for name, value in a.values.items():
                if name == template.PREFERENCE:
                    if value != template.NO_PREFERENCE and value not in letters:
                        counted.warn("bad_value", f"annotation {a.id} on task {a.task_id}: preference {value!r} is not an answer of the task; ignored")
                        continue
                    prefs.append({"item": rid, "reviewer": a.reviewer,
                                  "choice": None if value == template.NO_PREFERENCE else letters[value]})
                    continue
                parsed = template.parse_field(name)
                if parsed is None or parsed[1] not in letters:
                    counted.warn("bad_value", f"annotation {a.id} on task {a.task_id}: field {name} is not a question of the task; ignored")
                    continue
                try:
                    rating = float(value)
                except ValueError:
                    counted.warn("bad_value", f"annotation {a.id} on task {a.task_id}: {name} is not a rating; ignored")
                    continue
                ratings.append({"item": rid, "system": letters[parsed[1]], "reviewer": a.reviewer, "dimension": parsed[0],
                                "rating": rating, "annotation_id": a.id, "task_id": a.task_id, "seconds": a.seconds})
    rating_df = pl.DataFrame(ratings, schema=RATING_ROWS_SCHEMA) if ratings else pl.DataFrame(schema=RATING_ROWS_SCHEMA)
    pref_df = pl.DataFrame(prefs, schema=PREFERENCE_SCHEMA) if prefs else pl.DataFrame(schema=PREFERENCE_SCHEMA)
    write_parquet(folder.path(RATINGS), rating_df)
    write_parquet(folder.path(PREFERENCES), pref_df)
    result = EvalPullResult(
        raw_path=raw_path, changed=len(changed), deleted=len(deleted), tasks=len(now),
        annotations=sum(len(a) for a in counted.counted.values()), ratings=rating_df.height, preferences=pref_df.height,
        items_complete=complete, items_started=started, items=len(sample),
        counts={k: v for k, v in counted.counts.items() if v}, warnings=counted.warnings[:MAX_WARNINGS],
    )
    write_json(folder.path(PULL), {
        "pulled_at": now_iso(), "url": client.url, "project_id": info.project_id,
        "raw": str(raw_path.relative_to(folder.root)) if raw_path else None,
        "changed": result.changed, "deleted": result.deleted, "tasks": result.tasks,
        "annotations_counted": result.annotations, "ratings": result.ratings, "preferences": result.preferences,
        "items": result.items, "items_started": started, "items_complete": complete,
        "counts": result.counts, "warnings": result.warnings,
    })
    return result
