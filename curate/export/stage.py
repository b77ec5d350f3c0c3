"""The export stage: the live records of the last table become training files under
``runs/<name>/export/`` at the end of ``curate build``; ``curate export RUN -o DIR`` runs
the same code on a finished run (after labeling, with other settings, another format).

Steps, each leaving out records with a reason (listed in ``dropped.jsonl``, ids only):
labels (policy, reject, edit; agreement gates) -> examples (reasoning) -> decontamination ->
token limit -> leak-free, stratified, stable split -> files (+ the eval set's
``benchmark.jsonl``, per-example ``tokens.parquet``, schema, dataset card, manifest with
checksums)."""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from curate import __version__
from curate.conversations import TurnsConfig
from curate.errors import InputError
from curate.export.card import CardInput, render_card
from curate.export.config import ExportConfig
from curate.export.costs import labeling_costs, training_costs
from curate.export.decontaminate import NgramIndex, build_index, is_contaminated
from curate.export.examples import Drop, Item, make_items
from curate.export.formats import formatter
from curate.export.labels import label_settings, load_run_decisions
from curate.export.lost import expert_lost
from curate.labelstudio.expert import expert_records
from curate.export.review import (
    check_gates,
    compute_run_agreement,
    enforce,
    field_rows,
    gate_settings,
)
from curate.export.schemas import schema_text
from curate.export.splits import EVAL, TEST, TRAIN, assign_splits
from curate.export.splitstore import read_split, split_settings, write_split
from curate.export.tokens import TokenCounter, resolve_counter, tokenizer_files
from curate.run import now_iso
from curate.stages.base import SinkStage, StageContext, StageResult
from curate.versions.diff import change_summary, diff_tables
from curate.versions.examples import example_table
from curate.versions.store import DROPPED_SCHEMA, load_version, next_version, record_version
from curate.store import (
    WriteError,
    atomic_path,
    sha256_file,
    sha256_json,
    write_json,
    write_jsonl,
    write_text,
)

log = logging.getLogger("curate")

SPLITS = (TRAIN, EVAL, TEST)
#: the leakage check between splits: n-gram length and the share of an example's n-grams
LEAK_N = 8
LEAK_FRACTION = 0.5
#: columns the export reads (others, e.g. embeddings, are never loaded)
COLUMNS = ("id", "source", "kind", "title", "messages", "text", "meta", "content_hash", "locator", "reasoning",
           "pii", "dup_group", "dup_kind", "is_representative", "cluster", "selected", "rank", "strategy")
EXPORT_MANIFEST = "manifest.json"
BENCHMARK = "benchmark.jsonl"
TOKENS = "tokens.parquet"
#: an eval set smaller than this is too small for a benchmark (said in the summary and card)
BENCHMARK_MIN = 200


RUN_LABELS = "the run's Label Studio project"


@dataclass
class Labels:
    """Reviewed labels for an export (None decisions: a plain export of the selection)."""

    decisions: pl.DataFrame | None
    source: str | None
    task: str
    policy: str
    criteria: dict[str, str]


@dataclass
class ExportJob:
    """Everything an export needs besides the records."""

    cfg: ExportConfig
    config: dict[str, Any]  # the run's whole config, as stored in manifest.json
    manifest: dict[str, Any]
    base_dir: Path  # relative paths in the config are resolved against it
    run_root: Path | None = None
    decisions_file: Path | None = None
    policy: str | None = None
    counter: TokenCounter | None = None

    def labels(self) -> Labels:
        task, policy, criteria = label_settings(self.config)
        policy = self.policy or policy
        if self.cfg.labels == "ignore":
            return Labels(None, None, task, policy, criteria)
        decisions, source = None, None
        if self.decisions_file is not None:
            from curate.export.labels import read_decisions_file

            decisions, source = read_decisions_file(self.decisions_file), f"the file `{self.decisions_file.name}`"
        elif self.run_root is not None:
            decisions = load_run_decisions(self.run_root, policy)
            source = RUN_LABELS if decisions is not None else None
        if decisions is None and self.cfg.labels == "require":
            raise InputError("export.labels is `require` but the run has no labels; label and pull first")
        return Labels(decisions, source, task, policy, criteria)


@dataclass
class ExportOutcome:
    result: StageResult
    files: list[str] = field(default_factory=list)  # relative to the output folder


def _read(table: pl.LazyFrame, extra: list[str]) -> pl.DataFrame:
    names = table.collect_schema().names()
    if "id" not in names or "messages" not in names:
        raise InputError("the records to export need the columns id and messages")
    wanted = [c for c in COLUMNS if c in names] + [c for c in extra if c in names and c not in COLUMNS]
    return table.select(wanted).collect()


def _review(job: ExportJob, labels: Labels) -> dict[str, Any] | None:
    """Agreement recomputed from the run's pulled labels (when the export uses them) and
    the gates of ``label.gates`` checked on it: a failed gate stops the export (exit 2)
    under ``on_fail: fail``. None when the export uses no labels and has no gates."""
    gates, on_fail = gate_settings(job.config)
    if labels.decisions is None:
        if not gates:
            return None
        # nothing reviewed is exported: the gates guard labels, there are none to check
        return {"measured": False, "fields": [], "on_fail": on_fail, "gate_warning": None, "checked": False,
                "gates": [{"field": f, "metric": m, "minimum": v, "value": None, "passed": None}
                          for f, ms in gates.items() for m, v in ms.items()]}
    report = None
    if job.run_root is not None and labels.source == RUN_LABELS:
        report = compute_run_agreement(job.run_root, job.config)
    results = check_gates(report, gates)
    warning = enforce(results, on_fail, measured=report is not None)
    summary = (report or {}).get("summary") or {}
    return {
        "measured": report is not None,
        "items": summary.get("items"), "reviewers": summary.get("reviewers"),
        "fields": field_rows(report) if report else [],
        "gates": [{"field": r.field, "metric": r.metric, "minimum": r.minimum, "value": r.value, "passed": r.passed}
                  for r in results],
        "on_fail": on_fail, "gate_warning": warning, "checked": bool(results),
    }


def _benchmark(items: list[Item], cfg: ExportConfig, with_labels: bool) -> dict[str, Any]:
    """The eval set as a benchmark: input messages, gold reference, strata, source ids.
    With labels, only examples reviewers accepted or corrected."""
    chosen = [it for it in items if it.split == EVAL and it.prompt is not None and it.reference is not None]
    if with_labels:
        chosen = [it for it in chosen if it.decision in ("accept", "edit")]
    rows = [{"id": it.example.id, "messages": it.prompt, "reference": it.reference,
             "strata": {k: v for k, v in it.strata.items()}, "source_ids": [it.example.id]} for it in chosen]
    reason = None
    if cfg.format == "text":
        reason = "the text format has no input and answer to compare"
    elif not rows:
        reason = "no eval examples"
    return {"written": bool(rows) and reason is None, "file": BENCHMARK, "examples": len(rows),
            "expert_reviewed": with_labels, "below_minimum": 0 < len(rows) < BENCHMARK_MIN,
            "minimum": BENCHMARK_MIN, "not_written": reason,
            "strata": dict(sorted(Counter(json.dumps(r["strata"], sort_keys=True) for r in rows).items()))
            if cfg.split.strata_fields() else {},
            "rows": rows}


def _write_tokens(path: Path, items: list[Item]) -> None:
    """Per-example token counts, for the report (it never re-tokenises the files)."""
    df = pl.DataFrame({
        "id": [it.example.id for it in items], "split": [it.split for it in items],
        "tokens": [it.tokens for it in items], "reasoning_tokens": [it.reasoning_tokens for it in items],
    }, schema={"id": pl.Utf8, "split": pl.Utf8, "tokens": pl.Int64, "reasoning_tokens": pl.Int64})
    with atomic_path(path) as tmp:
        df.write_parquet(tmp, compression="zstd")


def _histogram(counts: list[int], bins: int = 20) -> dict[str, list[int]] | None:
    """Tokens per example in equal-width bins: ``edges`` (bins + 1) and ``counts``."""
    if not counts:
        return None
    lo, hi = min(counts), max(counts)
    width = max(1, -(-(hi - lo + 1) // bins))
    edges = [lo + i * width for i in range(bins + 1) if lo + (i - 1) * width <= hi]
    n = len(edges) - 1
    out = [0] * n
    for c in counts:
        out[min((c - lo) // width, n - 1)] += 1
    return {"edges": edges, "counts": out}


def _reasoning_stats(items: list[Item], cfg: ExportConfig, task: str) -> dict[str, Any]:
    return {"mode": cfg.reasoning, "field": cfg.reasoning_field if cfg.reasoning == "field" else None,
            "template": cfg.reasoning_template if cfg.reasoning == "inline" else None,
            "required": task == "reasoning_review",
            "examples_with_reasoning": sum(1 for it in items if it.has_reasoning)}


def _volume(items: list[Item], cfg: ExportConfig) -> dict[str, Any]:
    """Training examples per task against the volume guidance."""
    v = cfg.volume
    per = Counter((it.task if v.per else None) for it in items if it.split == TRAIN)
    if not per:
        per = Counter({None: 0})
    tasks = []
    for task, n in sorted(per.items(), key=lambda kv: (kv[0] is None, str(kv[0]))):
        level = "warning" if n < v.min_train else "note" if n > v.max_train else "ok"
        tasks.append({"task": task, "train": n, "level": level})
    return {"per": v.per, "min_train": v.min_train, "max_train": v.max_train, "tasks": tasks}


def _resolve(base_dir: Path, name: str) -> Path:
    p = Path(name).expanduser()
    return p if p.is_absolute() else base_dir / p


def _write_split(path: Path, rows: list[dict[str, Any]], parquet: bool) -> None:
    if not parquet:
        write_jsonl(path, rows)
        return
    df = pl.DataFrame(rows, infer_schema_length=None, strict=False)
    with atomic_path(path) as tmp:
        df.write_parquet(tmp, compression="zstd", statistics=True)


def data_file(fmt: str, split: str) -> str:
    return f"data/{split}-00000-of-00001.parquet" if fmt == "hf" else f"{split}.jsonl"


def _turns_policy(config: dict[str, Any]) -> TurnsConfig:
    """The run's ``turns:`` policy (a run built before it existed: the defaults)."""
    try:
        return TurnsConfig.model_validate(config.get("turns") or {})
    except ValueError:
        return TurnsConfig()


def run_export(table: pl.LazyFrame, job: ExportJob, out_dir: Path, *, force: bool = False,
               owned: bool = False) -> ExportOutcome:
    """Write the training files, card and manifest into ``out_dir``.

    ``out_dir`` must be new, empty or a previous export (its ``manifest.json``), unless
    ``force``; ``owned`` says it is the run's own ``export/`` folder, which only curate
    writes. Files a previous export wrote and this one does not are removed only when
    they still hold what that export wrote (their checksums in its manifest)."""
    check_output_folder(out_dir, job.run_root, force=force, owned=owned)
    cfg = job.cfg
    result = StageResult()
    named = cfg.metadata + cfg.split.strata_fields() + [f for f in (cfg.volume.per, cfg.difficulty_field) if f]
    extra = [f for f in named if not f.startswith("meta.")]
    df = _read(table, extra)
    result.records_in = df.height
    drops: list[Drop] = []
    # records with expert work (pushed to Label Studio or labeled) are exported whatever
    # their selection says; the others only when selected
    expert = expert_records(job.run_root)
    if "selected" in df.columns:
        keep = pl.col("selected").ne(False) | pl.col("selected").is_null() | pl.col("id").is_in(list(expert))
        for rid in df.filter(~keep)["id"]:
            drops.append(Drop(rid, "not_selected"))
        df = df.filter(keep)
    selected = df.height
    # expert work that left the run since it was pushed or labeled: reported, never silent
    lost = expert_lost(job.run_root, expert, set(df["id"].to_list()))

    labels = job.labels()
    # agreement of the labels as pulled now, and the gates, before anything is written
    review = _review(job, labels)
    items, more = make_items(df, cfg, decisions=labels.decisions, task=labels.task, criteria=labels.criteria,
                             turns=_turns_policy(job.config))
    drops += more

    # decontamination against the user's benchmark files
    decon: dict[str, Any] = {"files": [], "dropped": 0, "n": cfg.decontaminate.n,
                             "min_shared": cfg.decontaminate.min_shared, "min_fraction": cfg.decontaminate.min_fraction}
    if cfg.decontaminate.files:
        paths = [_resolve(job.base_dir, f) for f in cfg.decontaminate.files]
        index = build_index(paths, cfg.decontaminate.n, cfg.decontaminate.fields)
        decon["files"] = [{"name": p.name, "sha256": sha256_file(p)} for p in paths]
        decon["benchmark_texts"] = index.texts
        kept = []
        for it, m in zip(items, index.match_many([it.texts for it in items])):
            if is_contaminated(m, cfg.decontaminate.min_shared, cfg.decontaminate.min_fraction):
                assert m is not None
                drops.append(Drop(it.example.id, "decontaminated",
                                  {"benchmark": m.where, "shared_ngrams": m.shared, "fraction": round(m.fraction, 4)}))
            else:
                kept.append(it)
        decon["dropped"] = len(items) - len(kept)
        items = kept

    # tokens, and the length limit
    counter = job.counter or resolve_counter(cfg.tokens.tokenizer, job.base_dir)
    kept = []
    assistant_tokens: dict[str, int] = {}
    lengths = counter.texts([m["content"] for it in items for m in it.example.messages])
    # reasoning in its own field is rendered by the trainer's chat template: counted as
    # tokens of the final assistant turn
    field_lengths = iter(counter.texts([it.example.reasoning for it in items if it.example.reasoning]))
    pos = 0
    for it in items:
        msgs = it.example.messages
        lens = lengths[pos : pos + len(msgs)]
        pos += len(msgs)
        it.reasoning_tokens = next(field_lengths) if it.example.reasoning else 0
        # a text example is one text, with no turn markers around it
        it.tokens = lens[0] if cfg.format == "text" else counter.chat(msgs, lens) + it.reasoning_tokens
        if cfg.tokens.max_tokens is not None and it.tokens > cfg.tokens.max_tokens:
            drops.append(Drop(it.example.id, "too_long", {"tokens": it.tokens, "max_tokens": cfg.tokens.max_tokens}))
            continue
        assistant_tokens[it.example.id] = 0 if cfg.format == "text" else sum(
            n for m, n in zip(msgs, lens) if m["role"] == "assistant" and m.get("weight", 1)
        ) + it.reasoning_tokens
        kept.append(it)
    items = kept

    # the split: stratified, and stable across the run's exports with the same settings
    settings = split_settings(cfg.split)
    stored = read_split(job.run_root) if cfg.split.stable else None
    reuse = stored is not None and stored.settings == settings
    plan = assign_splits(
        [it.example.id for it in items], [it.keys for it in items],
        eval_size=cfg.split.eval, test_size=cfg.split.test, seed=cfg.split.seed,
        strata=[it.stratum for it in items] if cfg.split.strata_fields() else None,
        min_per_stratum=cfg.split.min_per_stratum,
        previous=stored.assignment if reuse and stored is not None else None,
    )
    moved = 0
    for it, split in zip(items, plan.splits):
        it.split = split
        if stored is not None and not reuse and stored.assignment.get(it.example.id, split) != split:
            moved += stored.assignment[it.example.id] != TRAIN or split != TRAIN
    leakage = _leak_check(items) if any(it.split != TRAIN for it in items) else None

    # files
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(f"cannot create the export folder {out_dir}: {exc.strerror or exc}") from None
    previous = _previous_files(out_dir)
    reasoning_key = cfg.reasoning_field if cfg.reasoning == "field" else None
    row_of = formatter(cfg.format, cfg.prompt_style, reasoning_key)
    written: list[str] = []
    data_files: dict[str, str] = {}
    split_stats: dict[str, dict[str, Any]] = {}
    for split in SPLITS:
        chosen = [it for it in items if it.split == split]
        if not chosen:
            continue
        rel = data_file(cfg.format, split)
        _write_split(out_dir / rel, [row_of(it.example) for it in chosen], cfg.format == "hf")
        written.append(rel)
        data_files[split] = rel
        toks = [it.tokens for it in chosen]
        split_stats[split] = {
            "examples": len(chosen),
            "tokens": sum(toks),
            "assistant_tokens": sum(assistant_tokens[it.example.id] for it in chosen),
            "mean_tokens": round(sum(toks) / len(toks), 1),
            "max_tokens": max(toks),
            "groups": plan.components_per_split.get(split, 0),
        }
    bench = _benchmark(items, cfg, labels.decisions is not None)
    if bench["written"]:
        write_jsonl(out_dir / BENCHMARK, bench.pop("rows"))
        written.append(BENCHMARK)
    else:
        bench.pop("rows")
    _write_tokens(out_dir / TOKENS, items)
    write_text(out_dir / "schema.json", schema_text(cfg.format, cfg.reasoning_field))
    write_jsonl(out_dir / "dropped.jsonl", [
        *({"id": d.id, "stage": "export", "reason": d.reason, **d.detail} for d in drops),
        *({"id": lo.id, "stage": lo.stage or "sources", "reason": lo.reason, "cause": lo.cause, "expert_work": lo.state}
          for lo in lost),
    ])
    written += [TOKENS, "schema.json", "dropped.jsonl"]
    # the assignment is kept once the files that use it are written (a read-only run folder
    # or export folder stops the export before either holds half of it)
    if cfg.split.stable and job.run_root is not None:
        kept_before = stored.assignment if reuse and stored is not None else {}
        write_split(job.run_root, settings, {**kept_before, **{it.example.id: it.split for it in items}})

    dropped = Counter(d.reason for d in drops)
    result.dropped = dict(sorted(dropped.items()))
    result.records_out = len(items)
    train_tokens = split_stats.get(TRAIN, {}).get("tokens", 0)
    eval_tokens = split_stats.get(EVAL, {}).get("tokens", 0)
    stats: dict[str, Any] = {
        "format": cfg.format,
        "splits": split_stats,
        "split": {
            "seed": cfg.split.seed, "clusters_together": cfg.split.clusters_together,
            "stratify_by": cfg.split.stratify_by, "min_per_stratum": cfg.split.min_per_stratum,
            "requested": plan.requested, "sizes": plan.sizes,
            "groups": plan.components_per_split, "components": plan.components,
            "largest_component": plan.largest_component, "eval_per_stratum": plan.eval_per_stratum,
            "stable": cfg.split.stable, "kept_from_earlier": plan.kept, "group_conflicts": plan.conflicts,
            "drawn_anew": bool(cfg.split.stable and stored is not None and stored.assignment and not reuse),
            "moved_since_earlier": moved,
            "eval_below_benchmark_minimum": 0 < plan.sizes.get(EVAL, 0) < BENCHMARK_MIN,
        },
        "benchmark": bench,
        "reasoning": _reasoning_stats(items, cfg, labels.task),
        "tokens": {"tokenizer": counter.describe(), "method": counter.method, "exact": counter.exact, "table": TOKENS},
        "token_histogram": _histogram([it.tokens for it in items]),
        "cost": training_costs(train_tokens, eval_tokens, cfg.cost),
        "labeling_cost": labeling_costs(job.run_root, job.config.get("label") or {}, selected),
        "volume": _volume(items, cfg),
        "decontamination": decon,
        "labels": {
            "used": labels.decisions is not None, "source": labels.source, "task": labels.task,
            "policy": labels.policy,
            "decisions": dict(Counter(it.decision for it in items if it.decision)) if labels.decisions is not None else {},
        },
        "agreement": review,
        "expert_work": {
            "records": len(expert), "labeled": sum(1 for v in expert.values() if v == "labeled"),
            "exported": sum(1 for it in items if it.example.id in expert),
            "lost": dict(sorted(Counter(lo.reason for lo in lost).items())),
        },
        "pii": dict(sorted(sum((Counter(it.pii) for it in items), Counter()).items())),
        "leakage": leakage,
    }
    # the version this export is, and what changed since its parent
    dropped_rows = [{"id": d.id, "stage": "export", "reason": d.reason, "cause": None} for d in drops] + [
        {"id": lo.id, "stage": lo.stage or "sources", "reason": lo.reason, "cause": lo.cause} for lo in lost]
    version = _version(job, items, row_of, df, labels, dropped_rows)
    if version is not None:
        stats["version"] = version["stats"]
    stats["funnel_entry"] = {"records_in": result.records_in, "records_out": result.records_out,
                             "dropped": result.dropped, "rejected": 0}
    created = now_iso()
    files = [(rel, (out_dir / rel).stat().st_size, sha256_file(out_dir / rel)) for rel in written]
    card = render_card(CardInput(
        name=str(job.config.get("name") or job.manifest.get("name") or out_dir.name), config=job.config,
        manifest=job.manifest, export=stats, data_files=data_files, files=files,
        created_at=created, version=__version__,
    ))
    write_text(out_dir / "README.md", card)
    written.append("README.md")
    stats.pop("funnel_entry")
    checksums = {rel: sha256_file(out_dir / rel) for rel in written}
    write_json(out_dir / EXPORT_MANIFEST, {
        "created_at": created, "curate": __version__, "run": job.manifest.get("name"),
        "config_hash": job.manifest.get("config_hash"), "format": cfg.format,
        "export": cfg.model_dump(mode="json"),
        "records_in": result.records_in, "records_out": result.records_out, "dropped": result.dropped,
        "stats": stats, "files": checksums,
    })
    written.append(EXPORT_MANIFEST)
    if version is not None and job.run_root is not None:
        record_version(job.run_root, version["stats"]["version"], version["stats"]["parent"],
                       read_export_manifest(out_dir) or {}, version["examples"], dropped_rows, out_dir,
                       version["text"], version["changes"])
    for stale, digest in previous.items():
        p = out_dir / stale
        if stale not in written and p.is_file() and not p.is_symlink() and sha256_file(p) == digest:
            p.unlink()
    result.outputs = written
    result.stats = stats
    return ExportOutcome(result=result, files=written)


def _version(job: ExportJob, items: list[Item], row_of: Any, df: pl.DataFrame, labels: Labels,
             dropped_rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The number, parent and changes of the version this export becomes (None: an export
    without a run folder is no version of anything)."""
    if job.run_root is None:
        return None
    number, parent = next_version(job.run_root)
    rows = [row_of(it.example) for it in items]
    hashes = dict(zip(df["id"].to_list(), df["content_hash"].to_list())) if "content_hash" in df.columns else {}
    table = example_table(items, rows, hashes, labels.decisions)
    changes, note = None, None
    if parent is not None:
        try:
            before = load_version(job.run_root, parent)
        except InputError as exc:
            note = f"the parent version could not be read: {exc}"
        else:
            changes = diff_tables(before.examples, table, pl.DataFrame(dropped_rows, schema=DROPPED_SCHEMA), job.run_root)
    text = None
    if job.cfg.versions.keep_text:
        text = {}
        for it, row in zip(items, rows):
            text.setdefault(it.split, []).append(row)
    stats = {"version": number, "parent": parent, "summary": change_summary(changes) if note is None else note,
             "changes": None if changes is None else {k: changes[k] for k in
                                                      ("counts", "removed_by_reason", "changed_by_kind", "moved_by_splits", "strata")},
             "text_kept": text is not None}
    return {"stats": stats, "examples": table, "text": text, "changes": changes}


def read_export_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of a previous export in ``folder``, or None when there is none (a run's
    own manifest.json is not an export's: it has stages, not files and a format)."""
    p = folder / EXPORT_MANIFEST
    if not p.is_file():
        return None
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError):
        return None
    if not isinstance(data, dict) or "stages" in data or not isinstance(data.get("files"), dict) or "format" not in data:
        return None
    return data


def _previous_files(out_dir: Path) -> dict[str, str]:
    """Files a previous export wrote here, with their checksums (removed when this export
    does not write them, if unchanged since)."""
    data = read_export_manifest(out_dir)
    if data is None:
        return {}
    root = out_dir.resolve()
    out = {}
    for f, digest in data["files"].items():
        # only names inside the folder: never follow a path or a link out of it
        if not isinstance(f, str) or not isinstance(digest, str) or Path(f).is_absolute() or ".." in Path(f).parts:
            continue
        if (out_dir / f).resolve().is_relative_to(root):
            out[f] = digest
    return out


def check_output_folder(out_dir: Path, run_root: Path | None, *, force: bool, owned: bool) -> None:
    """Refuse to write an export where it would destroy what curate does not own: the run
    folder itself (its manifest.json would be replaced, even with ``force``), or a
    non-empty folder that is not a previous export (unless ``force``)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: is a file, not a folder; name a folder for the export")
    if run_root is not None and out_dir.resolve() == Path(run_root).resolve():
        raise InputError(
            f"{out_dir}: is the run folder; an export there would replace the run's manifest.json. "
            "Choose another folder (the build writes its own export to RUN/export)"
        )
    if owned or force or not out_dir.is_dir():
        return
    if any(out_dir.iterdir()) and read_export_manifest(out_dir) is None:
        raise InputError(
            f"{out_dir}: the folder is not empty and holds no earlier export (no export manifest.json); "
            "choose a new or empty folder, or add --force to write into it (files of the same names are replaced, "
            "nothing else is deleted)"
        )


def _leak_check(items: list[Item]) -> dict[str, Any]:
    """How many held-out examples mostly consist of n-grams that occur in train."""
    index = NgramIndex(LEAK_N)
    train = [it for it in items if it.split == TRAIN]
    index.add_many([t for it in train for t in it.texts], [it.example.id for it in train for _ in it.texts])
    held = [it for it in items if it.split != TRAIN]
    matches = index.match_many([it.texts for it in held])
    near = sum(1 for m in matches if m is not None and m.fraction >= LEAK_FRACTION)
    return {"n": LEAK_N, "min_fraction": LEAK_FRACTION, "held_out": len(held), "eval_near_train": near}


class ExportStage(SinkStage):
    name: ClassVar[str] = "export"
    config_key: ClassVar[str | None] = "export"
    config: ExportConfig

    def _base_dir(self) -> Path:
        return self.run_config.base_dir

    def fingerprint(self) -> dict[str, Any]:
        """The export's settings, the parts of the run config shown in the card, and the
        content of every file it reads besides its input table (benchmarks, tokenizer,
        labels)."""
        base = self._base_dir()
        files = [_resolve(base, f) for f in self.config.decontaminate.files]
        files += tokenizer_files(self.config.tokens.tokenizer, base)
        # the pipeline may tell the stage its run folder (--runs-dir); else the config's
        run_root = getattr(self, "run_root", None) or self.run_config.run_dir()
        label_files = []
        if run_root.is_dir():
            # the labels: decisions, the card's agreement (computed from them) and the
            # labeling cost (project.json: what was pushed)
            label_files = [p for p in sorted((run_root / "labels").rglob("*")) if p.is_file()] if (run_root / "labels").is_dir() else []
        cfg = self.run_config.model_dump(mode="json")
        return {
            "config": self.config.model_dump(mode="json"),
            "card": {k: cfg.get(k) for k in ("name", "description", "license", "sources", "turns", "redact", "dedupe",
                                             "filter", "select", "label")},
            "files": {str(p): sha256_file(p) for p in files if p.is_file()},
            "labels": sha256_json({str(p.relative_to(run_root)): sha256_file(p) for p in label_files}) if label_files else None,
        }

    def run(self, ctx: StageContext, table: pl.LazyFrame) -> StageResult:
        job = ExportJob(
            cfg=self.config, config=ctx.config.model_dump(mode="json"), manifest=ctx.run.manifest(),
            base_dir=ctx.config.base_dir, run_root=ctx.run.root,
        )
        outcome = run_export(table, job, ctx.path("export"), owned=True)
        outcome.result.outputs = [f"export/{f}" for f in outcome.files]
        from curate.export.summary import summary_lines

        for level, text in summary_lines(outcome.result.stats):
            if level != "info":
                log.warning("export: %s", text)
        return outcome.result
