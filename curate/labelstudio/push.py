"""``curate label push``: the run's selected records become Label Studio tasks.

Idempotent by record id: the record id travels in each task's data, the project's existing
tasks are listed before importing, and only records without a task are imported. A push
that was interrupted (the server went away mid-import, Ctrl-C) is finished by running it
again; no record is ever imported twice.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from curate.errors import InputError
from curate.labelstudio.client import LabelStudioClient, LabelStudioError
from curate.labelstudio.config import LabelConfig
from curate.labelstudio.expert import record_pushed
from curate.labelstudio.state import ProjectState
from curate.labelstudio.tasks import DRAFT_KEY, NotReviewable, task_data
from curate.labelstudio.templates import Template, build_template
from curate.records import DROP_COLUMN
from curate.run import RunFolder, now_iso

log = logging.getLogger(__name__)

REVIEWERS_PER_TASK = 2
TITLE_MAX = 50  # Label Studio's limit
#: the model version of the predictions that fill a reasoning_review form with the drafts
DRAFT_VERSION = "curate: draft from the source"
#: where each edited box of a reasoning_review form points (its toName)
_DRAFT_TARGETS = {"reasoning": "draft_reasoning", "answer": "draft_answer"}


def draft_result(drafts: dict[str, str]) -> list[dict[str, Any]]:
    """Label Studio result items filling the reasoning and answer boxes with the drafts."""
    return [{"from_name": k, "to_name": _DRAFT_TARGETS[k], "type": "textarea", "value": {"text": [v]}}
            for k, v in drafts.items() if k in _DRAFT_TARGETS and v]


@dataclass
class PushResult:
    project_id: int
    project_url: str
    created: bool
    settings_changed: list[str]
    selected: int = 0
    already: int = 0
    imported: int = 0
    not_reviewable: dict[str, int] = field(default_factory=dict)
    duplicated_in_project: int = 0
    no_longer_selected: int = 0


def project_title(cfg: LabelConfig, run_name: str, adjudication: bool = False) -> str:
    if adjudication:
        if cfg.adjudication.project_title:
            return cfg.adjudication.project_title[:TITLE_MAX]
        base = project_title(cfg, run_name)
        suffix = " — adjudication"
        return (base[: TITLE_MAX - len(suffix)] + suffix) if len(base) + len(suffix) > TITLE_MAX else base + suffix
    return (cfg.project_title or f"curate: {run_name}")[:TITLE_MAX]


def project_marker(run_name: str, adjudication: bool = False) -> str:
    return f"curate run {run_name} ({'adjudication' if adjudication else 'two-reviewer review'})"


def project_settings(template: Template, title: str, description: str, *, adjudication: bool = False) -> dict[str, Any]:
    """Project settings: two distinct reviewers per task (one for adjudication), the label
    config and the guidelines as instructions shown before labeling."""
    return {
        "title": title,
        "description": description,
        "label_config": template.label_config,
        "expert_instruction": template.instructions_html,
        "show_instruction": True,
        "show_skip_button": True,
        "enable_empty_annotation": False,
        "maximum_annotations": 1 if adjudication else REVIEWERS_PER_TASK,
        "overlap_cohort_percentage": 100,
        "show_overlap_first": True,
        "show_annotation_history": False,
        # the adjudicator's form starts from the agreed answers, sent as predictions
        **({"show_collab_predictions": True} if adjudication else {}),
    }


def ensure_project(
    client: LabelStudioClient, project_id: int | None, settings: dict[str, Any],
    on_create: dict[str, Any] | None = None,
) -> tuple[int, bool, list[str]]:
    """Create the project, or bring an existing one's settings up to date. ``on_create``:
    settings given only to a new project (Label Studio refuses a ``model_version`` change
    on an existing project until predictions of that version exist; an import with
    predictions sets it on a project that has none).

    Returns (id, created, names of the settings changed)."""
    existing: dict[str, Any] | None = None
    if project_id is not None:
        try:
            existing = client.project(project_id)
        except LabelStudioError as exc:
            if exc.status != 404:
                raise
            log.warning("project %s no longer exists on %s; looking for it by title", project_id, client.url)
    if existing is None:
        for p in client.projects():
            if p.get("title") == settings["title"] and settings["description"] in (p.get("description") or ""):
                existing = client.project(p["id"])
                break
    if existing is None:
        created = client.create_project({**settings, **(on_create or {})})
        return int(created["id"]), True, []
    changed = [k for k, v in settings.items() if existing.get(k) != v]
    if changed:
        client.update_project(int(existing["id"]), {k: settings[k] for k in changed})
    return int(existing["id"]), False, changed


def check_redacted(run: RunFolder, allow_unredacted: bool = False) -> None:
    """Raise unless the run's select table was built from redacted records."""
    if allow_unredacted:
        return
    status = (run.manifest().get("stages", {}).get("redact") or {}).get("status")
    if status != "done":
        why = "is disabled" if status == "disabled" else "has not run"
        raise InputError(
            f"{run.root}: the redact stage {why} for this run, so its records may hold personal "
            "data; enable redact and rebuild, or pass --allow-unredacted if the reviewers and "
            "this Label Studio server may see the raw text"
        )


def read_selected(run: RunFolder) -> pl.DataFrame:
    """The live, selected rows of the run's select table."""
    path = run.table("select")
    if not path.exists():
        raise InputError(
            f"{run.root}: no select table ({path.name}); run `curate build` with the select stage enabled first"
        )
    lf = pl.scan_parquet(path)
    names = lf.collect_schema().names()
    if DROP_COLUMN in names:
        lf = lf.filter(pl.col(DROP_COLUMN).is_null())
    if "selected" in names:
        lf = lf.filter(pl.col("selected").fill_null(False))
    cols = [c for c in ("id", "title", "messages", "text", "meta", "source", "kind", "cluster", "rank", "reasoning")
            if c in names]
    if "id" not in cols:
        raise InputError(f"{path}: no id column")
    df = lf.select(cols).collect()
    if "rank" in df.columns:
        df = df.sort("rank", nulls_last=True, maintain_order=True)
    return df


def existing_record_ids(client: LabelStudioClient, project_id: int) -> Counter[str]:
    """How many tasks of the project carry each record id."""
    out: Counter[str] = Counter()
    for t in client.tasks(project_id):
        rid = (t.get("data") or {}).get("record_id")
        if rid is not None:
            out[str(rid)] += 1
    return out


def push(
    run: RunFolder,
    run_name: str,
    cfg: LabelConfig,
    client: LabelStudioClient,
    *,
    base_dir: Path | None = None,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    allow_unredacted: bool = False,
) -> PushResult:
    """Create or update the review project and import the selected records not in it yet.

    Refuses a run whose redact stage did not run (reviewers would see the raw text)
    unless ``allow_unredacted``."""
    check_redacted(run, allow_unredacted)
    df = read_selected(run)
    if limit is not None:
        df = df.head(limit)
    template = build_template(cfg, base_dir)
    state = ProjectState.load(run.root)
    same_server = state is not None and state.url == client.url
    if state is not None and state.task != cfg.task and same_server and state.project_id is not None:
        raise InputError(
            f"{run.root}: its project was pushed as task {state.task}, the config now says {cfg.task}; "
            "set label.project_title to start a new project"
        )
    title = project_title(cfg, run_name)
    settings = project_settings(template, title, project_marker(run_name))
    drafts = cfg.task == "reasoning_review"
    if drafts:
        # the reasoning and answer boxes start from the drafts, sent as predictions
        settings["show_collab_predictions"] = True
    project_id, created, changed = ensure_project(
        client, state.project_id if same_server and state else None, settings,
        on_create={"model_version": DRAFT_VERSION} if drafts else None,
    )
    if not same_server or state is None:
        state = ProjectState(url=client.url, task=cfg.task)
    state.project_id, state.title, state.task = project_id, title, cfg.task
    state.save(run.root)  # before importing: an interrupted push still knows its project

    result = PushResult(project_id=project_id, project_url=f"{client.url}/projects/{project_id}/data",
                        created=created, settings_changed=changed, selected=df.height)
    have = existing_record_ids(client, project_id)
    # every record with a task is expert work a rebuild keeps selected (labels/pushed.json)
    record_pushed(run.root, set(have))
    result.duplicated_in_project = sum(1 for n in have.values() if n > 1)
    selected_ids = set(df.get_column("id").to_list())
    result.no_longer_selected = sum(1 for rid in have if rid not in selected_ids)

    todo: list[dict[str, Any]] = []
    reasons: Counter[str] = Counter()
    for row in df.iter_rows(named=True):
        if row["id"] in have:
            result.already += 1
            continue
        try:
            data = task_data(row, cfg.task)
        except NotReviewable as exc:
            reasons[str(exc)] += 1
            continue
        task: dict[str, Any] = {"data": data}
        if drafts and data.get(DRAFT_KEY):
            task["predictions"] = [{"model_version": DRAFT_VERSION, "result": draft_result(data[DRAFT_KEY])}]
        todo.append(task)
    result.not_reviewable = dict(reasons)

    done = 0
    if progress:
        progress(0, len(todo))
    for start in range(0, len(todo), cfg.chunk_size):
        chunk = todo[start : start + cfg.chunk_size]
        try:
            client.import_tasks(project_id, chunk)
        except LabelStudioError as exc:
            if exc.status is not None and exc.status < 500:
                raise
            # the import may or may not have happened: look, and go on only if it did
            have = existing_record_ids(client, project_id)
            if not all(t["data"]["record_id"] in have for t in chunk):
                raise
        record_pushed(run.root, {t["data"]["record_id"] for t in chunk})
        done += len(chunk)
        result.imported += len(chunk)
        if progress:
            progress(done, len(todo))
    state.pushed = result.already + result.imported
    state.pushed_at = now_iso()
    state.save(run.root)
    return result
