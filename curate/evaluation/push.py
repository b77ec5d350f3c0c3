"""``curate eval push``: the sampled items become Label Studio tasks, one per item, each
showing the conversation, the gold answer (when shown) and the systems' outputs as
answers A, B, C... in the item's own order.

Blinding: a task's data holds the item id, the texts under letter keys (``output_A``) and
nothing that names a system; nor do the project's title, description, label config or
instructions (checked before anything is sent). The letters are kept in the eval
folder's ``sample.json``.

Idempotent by item id, like ``curate label push``: the item id travels in each task
(``record_id``), the project's tasks are listed before importing, and only items without a
task are imported; an interrupted push is finished by running it again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from curate.errors import CurateError, InputError
from curate.evaluation import template
from curate.evaluation.config import HumanEvalConfig
from curate.evaluation.folder import EvalFolder, ProjectInfo
from curate.evaluation.redaction import Shown
from curate.labelstudio.client import LabelStudioClient, LabelStudioError
from curate.labelstudio.push import TITLE_MAX, ensure_project, existing_record_ids
from curate.labelstudio.tasks import format_conversation
from curate.run import now_iso

CHUNK = 100


@dataclass
class EvalPushResult:
    project_id: int
    project_url: str
    created: bool
    settings_changed: list[str]
    items: int
    already: int = 0
    imported: int = 0
    not_in_sample: int = 0
    duplicated: int = 0
    redacted: dict[str, int] = field(default_factory=dict)


def project_title(cfg: HumanEvalConfig, label: str) -> str:
    return (cfg.project_title or f"curate eval: {label}")[:TITLE_MAX]


def project_marker(label: str, eval_id: str = "") -> str:
    """The project's description. It carries the eval's id: a project is found again by
    title and marker, and an eval folder made afresh (a new sample, new letters) must never
    adopt the tasks of an old one with the same name."""
    return f"curate eval {label} (blind human evaluation)" + (f" [{eval_id}]" if eval_id else "")


def project_settings(cfg: HumanEvalConfig, tpl: template.EvalTemplate, title: str, description: str) -> dict[str, Any]:
    """``reviewers`` distinct people per task, the guide shown before labeling."""
    return {
        "title": title,
        "description": description,
        "label_config": tpl.label_config,
        "expert_instruction": tpl.instructions_html,
        "show_instruction": True,
        "show_skip_button": True,
        "enable_empty_annotation": False,
        "maximum_annotations": cfg.reviewers,
        "overlap_cohort_percentage": 100,
        "show_overlap_first": True,
        "show_annotation_history": False,
        "show_collab_predictions": False,
    }


def _named(text: str, systems: list[str]) -> list[str]:
    """The systems whose name stands as a word in ``text`` (any case). A name of one or two
    characters is not looked for: it would match ordinary words ("a") and says nothing."""
    return [s for s in systems if len(s) > 2 and re.search(
        rf"(?<![0-9a-z]){re.escape(s.casefold())}(?![0-9a-z])", text.casefold())]


def check_blind(cfg: HumanEvalConfig, systems: list[str], settings: dict[str, Any]) -> None:
    """Refuse a project whose title, description, config or guide names a system (the
    title and description hold the run's and the eval's names; the config and guide the
    dimensions' criteria)."""
    if not cfg.blind:
        return
    for key in ("title", "description", "label_config", "expert_instruction"):
        named = _named(str(settings.get(key) or ""), systems)
        if named:
            what = {"title": "project title", "description": "project description", "label_config": "label config",
                    "expert_instruction": "reviewer guide"}[key]
            raise InputError(
                f"the {what} would name the system {named[0]!r}, and reviewers would see it; choose another eval "
                "name or human_eval.project_title (or rename the system)"
            )


def task_data(item_id: str, shown: Shown, letters: dict[str, str], cfg: HumanEvalConfig,
              eval_id: str = "") -> dict[str, Any]:
    """One task's data: texts under letter keys, no system name unless not blind. ``eval_id``
    (random, says nothing about the systems) ties the task to the eval whose letters it uses."""
    data: dict[str, Any] = {"record_id": item_id, "conversation": format_conversation(shown.messages)}
    if eval_id:
        data["eval_id"] = eval_id
    if cfg.show_gold:
        data["reference"] = shown.reference
    for letter, system in letters.items():
        data[template.output_key(letter)] = shown.outputs[system]
        if not cfg.blind:
            data[f"system_{letter}"] = f"Answer {letter}: {system}"
    return data


def open_project(folder: EvalFolder, label: str, cfg: HumanEvalConfig, systems: list[str],
                 client: LabelStudioClient, eval_id: str = "") -> tuple[ProjectInfo, bool, list[str]]:
    """Create the project or bring its settings up to date; remember it in the folder."""
    tpl = template.build(cfg, len(systems))
    title = project_title(cfg, label)
    settings = project_settings(cfg, tpl, title, project_marker(label, eval_id))
    check_blind(cfg, systems, settings)
    info = folder.project()
    same_server = info is not None and info.url == client.url
    project_id, created, changed = ensure_project(client, info.project_id if same_server and info else None, settings)
    if not same_server or info is None:
        info = ProjectInfo(url=client.url)
    info.project_id, info.title = project_id, title
    folder.write_project(info)  # before importing: an interrupted push still knows its project
    return info, created, changed


def missing_items(client: LabelStudioClient, project_id: int, sample_ids: list[str]) -> tuple[list[str], int, int, int]:
    """(items without a task, items with one, tasks of items outside the sample, items
    with more than one task)."""
    have = existing_record_ids(client, project_id)
    wanted = set(sample_ids)
    todo = [i for i in sample_ids if i not in have]
    return todo, len(sample_ids) - len(todo), sum(1 for r in have if r not in wanted), sum(1 for n in have.values() if n > 1)


def import_tasks(client: LabelStudioClient, project_id: int, tasks: list[dict[str, Any]],
                 progress: Callable[[int, int], None] | None = None) -> int:
    """Import in chunks; after a failure that may or may not have reached the server,
    look, and go on only if the chunk arrived (never import an item twice)."""
    done = 0
    if progress:
        progress(0, len(tasks))
    for start in range(0, len(tasks), CHUNK):
        chunk = tasks[start:start + CHUNK]
        try:
            client.import_tasks(project_id, chunk)
        except LabelStudioError as exc:
            if exc.status is not None and exc.status < 500:
                raise
            have = existing_record_ids(client, project_id)
            if not all(t["data"]["record_id"] in have for t in chunk):
                raise
        done += len(chunk)
        if progress:
            progress(done, len(tasks))
    return done


def finish(folder: EvalFolder, info: ProjectInfo, pushed: int) -> None:
    info.pushed, info.pushed_at = pushed, now_iso()
    folder.write_project(info)


def check_residual(on_residual: str, residual: dict[str, int]) -> None:
    """``redact.on_residual: fail`` stops the push before any task is imported."""
    if residual and on_residual == "fail":
        found = ", ".join(f"{k} {v}" for k, v in sorted(residual.items()))
        raise CurateError(
            f"the residual check still finds personal data after redaction ({found}); no task was imported. "
            "Add a pattern or deny-list entry, or set redact.on_residual to quarantine (the findings are "
            "overwritten) or warn"
        )
