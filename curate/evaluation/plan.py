"""An eval's plan: which items are rated and which letter is which system in each, made on
the first push and read back on every later one.

The plan is tied to its inputs by a fingerprint (the benchmark's and each predictions
file's sha256, the system names, the ``human_eval`` settings). A later push with other
inputs is refused: its tasks would mix with the first push's in one project, under letters
that no longer match.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from curate.errors import InputError
from curate.evaluation.benchmark import Item, System
from curate.evaluation.config import HumanEvalConfig
from curate.evaluation.folder import EvalFolder
from curate.evaluation.sampling import assign_letters, strata_fields, stratified_sample
from curate.labelstudio.config import LabelConfig
from curate.run import now_iso
from curate.store import sha256_file, sha256_json


def plan(folder: EvalFolder, benchmark: Path, systems: list[System], items: list[Item], cfg: HumanEvalConfig,
         label_cfg: LabelConfig, run_root: Path | None) -> tuple[list[str], dict[str, dict[str, str]]]:
    """(item ids in task order, ``{item id: {letter: system}}``), written to the folder
    (``eval.json``, ``sample.json``) when it has no plan yet."""
    bench = {"path": str(Path(benchmark).resolve()), "sha256": sha256_file(benchmark), "items": len(items)}
    sys_entries = [{"name": s.name, "path": str(s.path.resolve()), "sha256": sha256_file(s.path)} for s in systems]
    settings = cfg.model_dump(mode="json")
    fingerprint = sha256_json({"benchmark": bench["sha256"], "systems": [(s["name"], s["sha256"]) for s in sys_entries],
                               "human_eval": settings})
    if folder.exists():
        old = folder.settings()
        if old.get("fingerprint") != fingerprint:
            diff = []
            if (old.get("benchmark") or {}).get("sha256") != bench["sha256"]:
                diff.append("the benchmark")
            if [(s.get("name"), s.get("sha256")) for s in old.get("systems") or []] != [(s["name"], s["sha256"]) for s in sys_entries]:
                diff.append("the systems or their predictions")
            if old.get("human_eval") != settings:
                diff.append("the human_eval settings")
            raise InputError(f"{folder.root}: this eval was pushed with other inputs ({', '.join(diff) or 'its fingerprint'} "
                             "changed); give a new --name to start another eval, or put the old inputs back")
        sample = folder.sample()
        return [str(it["id"]) for it in sample], {str(it["id"]): it["letters"] for it in sample}
    fields = strata_fields(items, cfg.stratify_by)
    unknown = [f for f in fields if not any(f in it.strata for it in items)]
    if unknown:
        raise InputError(f"stratify_by: no item of {benchmark} has the strata field(s) {', '.join(unknown)}")
    chosen = stratified_sample(items, cfg.sample_size, fields, cfg.seed)
    letters = assign_letters([it.id for it in chosen], [s.name for s in systems], cfg.seed, cfg.blind)
    folder.write_settings({
        # random: it names this plan in Label Studio (project description, task data) and says nothing of the systems
        "name": folder.name, "eval_id": uuid.uuid4().hex[:12],
        "run": str(run_root) if run_root else None, "created_at": now_iso(),
        "benchmark": bench, "systems": sys_entries, "human_eval": settings, "strata_fields": fields,
        "label": {"url": label_cfg.url, "timeout": label_cfg.timeout, "retries": label_cfg.retries},
        "fingerprint": fingerprint,
    })
    folder.write_sample([{"id": it.id, "strata": {f: it.stratum(f) for f in fields}, "letters": letters[it.id]}
                         for it in chosen])
    return [it.id for it in chosen], letters
