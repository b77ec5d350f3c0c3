"""`curate export RUN -o DIR`: training files from a finished run (after labeling, in
another format, with other split settings)."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError

from curate.cli.common import console, err_console, run_settings
from curate.engines.local import live_scan
from curate.errors import ConfigError, InputError
from curate.export.config import FORMATS, ExportConfig
from curate.export.outcome import check_export
from curate.export.stage import ExportJob, run_export
from curate.export.summary import summary_lines

#: the config sections an export takes its settings from (the card shows description and
#: license; the label section decides which reviewed records are exported)
EXPORT_SECTIONS = ("export", "label", "description", "license")


def register(app: typer.Typer) -> None:
    app.command("export")(export_cmd)


def _size(text: str | None, option: str) -> float | int | None:
    if text is None:
        return None
    try:
        v = float(text)
    except ValueError:
        raise InputError(f"{option}: expected a ratio like 0.1 or a count like 200, got {text!r}") from None
    if v >= 1 or v == 0:
        if not v.is_integer():
            raise InputError(f"{option}: a count must be a whole number, got {text!r}")
        return int(v)
    return v


def export_cmd(
    run_path: Path = typer.Argument(..., metavar="RUN", help="A run folder (runs/NAME), or the curate.yaml that builds it (its export settings are used)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder to write the training files, card and manifest into."),
    format: str = typer.Option(None, "--format", "-f", help=f"Output format: {', '.join(FORMATS)} (default: the config's, else openai)."),
    system_prompt: str = typer.Option(None, "--system-prompt", help="Override the config's system prompt."),
    eval_size: str = typer.Option(None, "--eval", help="Eval split: a ratio (0.1) or a number of examples (200); 0 for none."),
    test_size: str = typer.Option(None, "--test", help="Test split: a ratio or a number of examples; 0 for none."),
    seed: int = typer.Option(None, "--seed", help="Seed of the split."),
    clusters_together: bool = typer.Option(None, "--clusters-together/--no-clusters-together", help="Keep each select cluster on one side of the split."),
    stratify_by: list[str] = typer.Option(None, "--stratify-by", help="Keep the share of each value of this field equal across splits (e.g. meta.category, label, difficulty); repeat for several fields."),
    min_per_stratum: int = typer.Option(None, "--min-per-stratum", min=0, help="Eval examples at least in every stratum of 2 or more records (default 1)."),
    reasoning: str = typer.Option(None, "--reasoning", help="Where reasoning goes: inline, think, field or omit (default: export.reasoning)."),
    decontaminate: list[Path] = typer.Option(None, "--decontaminate", help="A benchmark or eval file to check against (repeatable); overlapping examples are left out."),
    ngram: int = typer.Option(None, "--ngram", help="n-gram length (words) of the decontamination check."),
    tokenizer: str = typer.Option(None, "--tokenizer", help="auto, estimate, tiktoken:ENCODING or a local tokenizer folder."),
    max_tokens: int = typer.Option(None, "--max-tokens", help="Leave out examples longer than this many tokens."),
    epochs: int = typer.Option(None, "--epochs", help="Epochs for the cost estimate."),
    price: float = typer.Option(None, "--price", help="Price per million training tokens, for the cost estimate."),
    metadata: list[str] = typer.Option(None, "--metadata", help="Pass this field through into each example's metadata (repeatable): id, source, meta.KEY, label, ..."),
    policy: str = typer.Option(None, "--policy", help="Label policy: agreed_only, adjudicated or majority (default: the config's label.export_policy)."),
    decisions: Path = typer.Option(None, "--decisions", help="Use the reviewed decisions in this file (Parquet/JSONL/CSV: record_id, decision, corrected_response, label, ...)."),
    ignore_labels: bool = typer.Option(False, "--ignore-labels", help="Export the selected records as they are, even when the run has labels."),
    min_examples: int = typer.Option(None, "--min-examples", min=0, help="Fewer examples is an error (exit 1); default: export.min_examples (1)."),
    force: bool = typer.Option(False, "--force", help="Write into a non-empty folder that holds no earlier export."),
) -> None:
    """Write a run's examples as training data: `DIR/train.jsonl`, `eval.jsonl` (and
    `test.jsonl`), the dataset card `README.md`, `schema.json`, `dropped.jsonl` (every
    record left out, with its reason) and `manifest.json` (checksums).

    Settings come from the `export:` section of the config file when RUN is one, else from
    the one the run was built with (a config that differs from the build's in a way that
    matters is named in one line); options override them. With reviewed labels, only the
    records the label policy accepts are exported, rejected ones are left out and edited
    replies replace the original.

    DIR must be new, empty or an earlier export: files an earlier export wrote there and
    this one does not are removed, if unchanged. Fewer than `--min-examples` examples is
    an error that says why in one line.
    """
    settings = run_settings(run_path)
    run = settings.run
    note = settings.note(EXPORT_SECTIONS)
    if note:
        err_console.print(note, highlight=False, soft_wrap=True)
    manifest = run.manifest()
    last = run.last_table(before="export")
    if last is None:
        raise InputError(f"{run.root}: no stage table yet; run `curate build` first")
    config = settings.config
    data = dict(config.get("export") or {})
    split = dict(data.get("split") or {})
    decon = dict(data.get("decontaminate") or {})
    tokens = dict(data.get("tokens") or {})
    cost = dict(data.get("cost") or {})
    for key, value in (("format", format), ("system_prompt", system_prompt), ("metadata", metadata or None),
                       ("reasoning", reasoning)):
        if value is not None:
            data[key] = value
    for key, value in (("eval", _size(eval_size, "--eval")), ("test", _size(test_size, "--test")), ("seed", seed),
                       ("clusters_together", clusters_together),
                       ("stratify_by", (stratify_by[0] if len(stratify_by) == 1 else list(stratify_by)) if stratify_by else None),
                       ("min_per_stratum", min_per_stratum)):
        if value is not None:
            split[key] = value
    if ngram is not None:
        decon["n"] = ngram
    base_dir = settings.base_dir
    if decontaminate:
        decon["files"] = list(decon.get("files") or []) + [str(p.resolve()) for p in decontaminate]
    if tokenizer is not None:
        tokens["tokenizer"] = str(Path(tokenizer).resolve()) if Path(tokenizer).is_dir() else tokenizer
    if max_tokens is not None:
        tokens["max_tokens"] = max_tokens
    if epochs is not None:
        cost["epochs"] = epochs
    if price is not None:
        cost["price_per_million_tokens"] = price
    if ignore_labels:
        data["labels"] = "ignore"
    if min_examples is not None:
        data["min_examples"] = min_examples
    data.update(split=split, decontaminate=decon, tokens=tokens, cost=cost)
    data["enabled"] = True
    try:
        cfg = ExportConfig.model_validate(data)
    except ValidationError as exc:
        e = exc.errors()[0]
        loc = ".".join(str(p) for p in e["loc"])
        msg = e["msg"].removeprefix("Value error, ")
        raise ConfigError(f"export{'.' + loc if loc else ''}: {msg}") from None
    if policy is not None and policy not in ("agreed_only", "adjudicated", "majority"):
        raise InputError(f"--policy: expected agreed_only, adjudicated or majority, got {policy!r}")
    for f in cfg.decontaminate.files:
        p = Path(f) if Path(f).is_absolute() else base_dir / f
        if not p.is_file():
            raise InputError(f"decontaminate: {f}: file not found")
    job = ExportJob(
        cfg=cfg, config=config, manifest=manifest, base_dir=base_dir, run_root=run.root,
        decisions_file=decisions, policy=policy,
    )
    _, table = last
    outcome = run_export(live_scan(table), job, out, force=force)
    r = outcome.result
    splits = r.stats.get("splits", {})
    parts = ", ".join(f"{k} {v['examples']:,}" for k, v in splits.items())
    console.print(f"{r.records_out:,} examples ({parts or 'none'}) → [bold]{out}[/] ({cfg.format})")
    if r.dropped:
        console.print("left out: " + ", ".join(f"{k} {v:,}" for k, v in r.dropped.items()) + " (see dropped.jsonl)")
    tok = r.stats.get("tokens", {})
    total = sum(v.get("tokens", 0) for v in splits.values())
    line = f"tokens: {total:,} ({tok.get('method')})"
    cost = r.stats.get("cost", {})
    if cost.get("amount") is not None:
        line += f"; training cost at your price ≈ {cost['amount']:,.2f} {cost['currency']} for {cost['epochs']} epochs"
    console.print(line)
    console.print(f"dataset card: {out / 'README.md'}")
    select = (manifest.get("config") or {}).get("select") or {}  # the budget the selection was made to
    budget = select.get("budget") if select.get("enabled", True) else None
    stages = {k: v for k, v in (manifest.get("stages") or {}).items() if k != "export"}
    warning = check_export(stages, r.records_out, r.dropped, cfg.min_examples, budget)
    if warning:
        err_console.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    # (after the check: an export too small to use says so in one line, nothing else)
    for level, text in summary_lines(r.stats):
        if level == "info":
            console.print(text, highlight=False, soft_wrap=True)
        else:
            colour = "yellow" if level == "warning" else "cyan"
            err_console.print(f"[{colour}]{level}:[/] {text}", highlight=False, soft_wrap=True)
