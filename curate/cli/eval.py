"""`curate eval ...`: blind human evaluation of model outputs in Label Studio, and
automatic metrics, against the gold benchmark (docs/evaluation.md).

push → (reviewers rate in the browser) → pull → report; score needs no reviewers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from curate.errors import ConfigError, InputError

HELP = """Blind human evaluation of model outputs, and automatic metrics, against the gold benchmark.

1. `curate eval push BENCHMARK --system finetuned=ft.jsonl --system base=base.jsonl --run runs/NAME`
   samples items stratified like the benchmark and creates a Label Studio project: each task
   shows the conversation, the gold answer and the outputs as answers A, B, C... in a random
   order per item (the key stays in the eval folder, runs/NAME/evals/human-eval/).
2. Reviewers rate every answer on each dimension (1-5) in the browser.
3. `curate eval pull runs/NAME` fetches the ratings; `curate eval report runs/NAME` shows the
   means with 95% intervals, pairwise win/tie/loss with a sign test, and agreement.
4. `curate eval score BENCHMARK --system ...` puts exact match, token F1, ROUGE-L and embedding
   similarity side by side; `curate eval report --ratings FILE` scores ratings collected elsewhere.
"""

eval_app = typer.Typer(help=HELP, no_args_is_help=True, rich_markup_mode="markdown")

DATA_DIR_HELP = "Folder of the local Label Studio's state (default: $CURATE_LS_DATA_DIR or .labelstudio)."
SYSTEM_HELP = "NAME=PREDICTIONS.jsonl, once per system (id + output, or id + messages)."


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")


def _console():
    from curate.cli.common import console

    return console


# -- settings ----------------------------------------------------------------------------


@dataclass
class Context:
    """Where the settings come from and where the eval folder goes."""

    run_root: Path | None
    run_name: str | None
    sections: dict[str, Any]  # raw config sections (human_eval, redact, label, embed)


def _run_of_benchmark(benchmark: Path) -> Path | None:
    """The run whose export wrote ``benchmark`` (runs/NAME/export/benchmark.jsonl)."""
    root = Path(benchmark).resolve().parent.parent
    return root if (root / "manifest.json").is_file() else None


def _context(run: Path | None, config: Path | None, benchmark: Path | None = None) -> Context:
    from curate.cli.common import open_run
    from curate.config import load_config

    sections: dict[str, Any] = {}
    run_root: Path | None = None
    run_name: str | None = None
    if run is not None:
        if Path(run).is_file() and config is None:
            config = Path(run)
        run_folder = open_run(Path(run))
        run_root = run_folder.root
        manifest = run_folder.manifest()
        run_name = str(manifest.get("name") or run_root.name)
        if config is None:
            sections = dict(manifest.get("config") or {})
    elif benchmark is not None and (found := _run_of_benchmark(benchmark)) is not None:
        from curate.run import RunFolder

        run_root = found
        manifest = RunFolder(found).manifest()
        run_name = str(manifest.get("name") or found.name)
        if config is None:
            sections = dict(manifest.get("config") or {})
    if config is not None:
        cfg = load_config(config)
        sections = cfg.model_dump(mode="json")
        run_name = run_name or cfg.name
    return Context(run_root, run_name, sections)


def _section(model, raw: Any, key: str):
    from pydantic import ValidationError

    try:
        return model.model_validate(raw or {})
    except ValidationError as exc:
        e = exc.errors()[0]
        loc = ".".join(str(x) for x in e.get("loc", ()))
        msg = str(e.get("msg", "invalid value")).removeprefix("Value error, ")
        raise ConfigError(f"{key}{'.' + loc if loc else ''}: {msg}") from None


def _human_eval(ctx: Context, overrides: dict[str, Any]):
    from curate.evaluation.config import HumanEvalConfig

    base = dict(ctx.sections.get("human_eval") or {})
    base.update({k: v for k, v in overrides.items() if v is not None})
    return _section(HumanEvalConfig, base, "human_eval")


def _scale(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise InputError(f"--scale {text!r}: give the ratings as whole numbers, lowest first, e.g. 1,2,3,4,5") from None


# -- push --------------------------------------------------------------------------------


@eval_app.command("push")
def push_cmd(
    benchmark: Path = typer.Argument(..., metavar="BENCHMARK", help="benchmark.jsonl: id, messages, reference, strata, source_ids."),
    system: list[str] = typer.Option(..., "--system", "-s", help=SYSTEM_HELP),
    run: Path = typer.Option(None, "--run", help="The run (folder or curate.yaml): its settings, and the eval folder RUN/evals/NAME. "
                             "Default: the run whose export holds BENCHMARK."),
    config: Path = typer.Option(None, "--config", "-c", help="Take human_eval, redact and label settings from this curate.yaml."),
    out: Path = typer.Option(None, "--out", "-o", help="The eval folder, when it is not to live in a run."),
    name: str = typer.Option("human-eval", "--name", help="Name of the eval (its folder under RUN/evals/)."),
    sample_size: int = typer.Option(None, "--sample-size", help="Items to rate (human_eval.sample_size, default 100)."),
    reviewers: int = typer.Option(None, "--reviewers", help="Ratings per item by distinct reviewers (default 3)."),
    blind: bool = typer.Option(None, "--blind/--no-blind", help="Answers as A, B, C... in a random order per item (default) or named."),
    show_gold: bool = typer.Option(None, "--show-gold/--hide-gold", help="Show the gold answer to reviewers (default: shown)."),
    dimension: list[str] = typer.Option(None, "--dimension", "-d", help="A dimension to rate (repeat; replaces the configured ones)."),
    scale: str = typer.Option(None, "--scale", help="The rating scale, lowest first: 1,2,3,4,5."),
    preference: bool = typer.Option(None, "--preference/--no-preference", help="Ask the optional overall preference (default: asked)."),
    stratify_by: list[str] = typer.Option(None, "--stratify-by", help="Strata field the sample keeps in proportion (repeat; default: all)."),
    seed: int = typer.Option(None, "--seed", help="Seed of the sample and of the answer order."),
    data_dir: Path = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
    allow_unredacted: bool = typer.Option(False, "--allow-unredacted", help="Send the texts unredacted when redact is disabled in the config."),
) -> None:
    """Sample benchmark items and create the blind rating project in Label Studio.

    Every output goes through the run's PII redaction first (with the item's input and
    gold answer, so placeholders agree across them). Safe to repeat: items already in the
    project are not imported again. The sample and the key of the letters are written to
    the eval folder, never to Label Studio.
    """
    import re

    from curate.evaluation import push as P
    from curate.evaluation.benchmark import parse_systems, read_all
    from curate.evaluation.folder import EVALS_DIR, EvalFolder
    from curate.evaluation.plan import plan
    from curate.labelstudio.config import LabelConfig
    from curate.pii.config import RedactConfig

    console = _console()
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,59}$", name):
        raise InputError(f"--name {name!r}: letters, digits, '.', '_' or '-' (at most 60)")
    systems = parse_systems(system)
    ctx = _context(run, config, benchmark)
    cfg = _human_eval(ctx, {
        "sample_size": sample_size, "reviewers": reviewers, "blind": blind, "show_gold": show_gold,
        "dimensions": list(dimension) if dimension else None, "rating_scale": _scale(scale),
        "preference": preference, "stratify_by": list(stratify_by) if stratify_by else None, "seed": seed,
    })
    redact_cfg = _section(RedactConfig, ctx.sections.get("redact"), "redact")
    if not redact_cfg.enabled and not allow_unredacted:
        raise InputError("redact is disabled in the config, so model outputs would reach the reviewers with any personal "
                         "data in them; enable redact, or pass --allow-unredacted if the reviewers and this Label Studio "
                         "server may see the raw text")
    label_cfg = _section(LabelConfig, ctx.sections.get("label"), "label")
    if out is not None:
        root = Path(out)
    elif ctx.run_root is not None:
        root = ctx.run_root / EVALS_DIR / name
    else:
        raise InputError(f"{benchmark}: not in a run folder; give --run RUN (the eval goes to RUN/evals/{name}) or --out DIR")
    items, predictions = read_all(benchmark, systems)
    folder = EvalFolder(root)
    sample_ids, letters = plan(folder, benchmark, systems, items, cfg, label_cfg, ctx.run_root)
    label = f"{ctx.run_name}/{folder.name}" if ctx.run_name else folder.name

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from curate.evaluation.redaction import redact_items
    from curate.labelstudio.connection import open_client

    by_id = {it.id: it for it in items}
    names = [s.name for s in systems]
    with open_client(label_cfg, data_dir) as client:
        eval_id = str(folder.settings().get("eval_id") or "")
        info, created, changed = P.open_project(folder, label, cfg, names, client, eval_id)
        todo, already, foreign, duplicated = P.missing_items(client, info.project_id, sample_ids)
        redaction = redact_items([by_id[i] for i in todo], predictions,
                                 redact_cfg if redact_cfg.enabled else None, names)
        P.check_residual(redact_cfg.on_residual, dict(redaction.residual))
        tasks = [{"data": P.task_data(i, redaction.shown[i], letters[i], cfg, eval_id)} for i in todo]
        with Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(), console=console, transient=True) as bar:
            task = bar.add_task("import", total=len(tasks))
            P.import_tasks(client, info.project_id, tasks,
                           lambda done, total: bar.update(task, completed=done, total=total))
        P.finish(folder, info, already + len(tasks))
        browser = client.connection.browser_url
    settings = folder.settings()
    settings["redaction"] = {"enabled": redaction.enabled, "items": len(todo), "replaced": dict(sorted(redaction.replaced.items())),
                             "residual": dict(sorted(redaction.residual.items())), "on_residual": redact_cfg.on_residual}
    folder.write_settings(settings)
    what = "created" if created else ("updated: " + ", ".join(changed) if changed else "up to date")
    console.print(f"project {info.project_id} ({what}): {browser}/projects/{info.project_id}/data", highlight=False)
    console.print(f"{len(sample_ids):,} items sampled of {len(items):,}: {len(tasks):,} imported, {already:,} already in the "
                  f"project; {cfg.reviewers} reviewer(s) per item, {len(names)} answers each"
                  + (" (blind: A, B, C... in a random order per item)" if cfg.blind else " (not blind: named)"), highlight=False)
    if redaction.enabled and todo:
        found = ", ".join(f"{k} {v}" for k, v in sorted(redaction.replaced.items())) or "none"
        console.print(f"PII replaced in the texts sent: {found}", highlight=False)
        if redaction.residual:
            res = ", ".join(f"{k} {v}" for k, v in sorted(redaction.residual.items()))
            verb = "kept (on_residual: warn)" if redact_cfg.on_residual == "warn" else "overwritten"
            console.print(f"[yellow]warning[/]: the residual check found {res}; {verb}", highlight=False)
    elif not redaction.enabled and todo:
        console.print("[yellow]warning[/]: texts sent unredacted (--allow-unredacted)", highlight=False)
    if foreign:
        console.print(f"[yellow]note[/]: {foreign:,} task(s) in the project are for items outside this eval's sample (left in place)", highlight=False)
    if duplicated:
        console.print(f"[yellow]warning[/]: {duplicated:,} item(s) have more than one task; pull counts the first", highlight=False)
    console.print(f"eval folder: {folder.root}; reviewers: `curate label reviewers add EMAIL...`; then "
                  f"`curate eval pull {folder.root}`", highlight=False, soft_wrap=True)


# -- pull --------------------------------------------------------------------------------


def _label_config(settings: dict[str, Any]):
    from curate.labelstudio.config import LabelConfig

    raw = {k: v for k, v in (settings.get("label") or {}).items() if v is not None}
    return _section(LabelConfig, raw, "label")


@eval_app.command("pull")
def pull_cmd(
    eval_path: Path = typer.Argument(..., metavar="EVAL", help="The eval folder, or the run holding it (one eval)."),
    data_dir: Path = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
    show_warnings: int = typer.Option(10, "--warnings", min=0, help="How many warnings to print (all are in pull.json)."),
    bootstrap: int = typer.Option(1000, "--bootstrap", min=0, help="Bootstrap samples of the report's intervals."),
) -> None:
    """Fetch the ratings from Label Studio, turn the letters back into systems, and write
    ratings.parquet, preferences.parquet and report.json in the eval folder."""
    from curate.evaluation.folder import locate
    from curate.evaluation.pull import pull_eval
    from curate.labelstudio.connection import open_client

    console = _console()
    found = locate(eval_path)
    folder = found.folder
    settings = folder.settings()
    with open_client(_label_config(settings), data_dir) as client:
        res = pull_eval(folder, client)
    console.print(f"fetched {res.changed:,} new or changed task(s)" + (f" → {res.raw_path}" if res.raw_path else " (no changes since the last pull)"),
                  highlight=False)
    console.print(f"{res.items:,} items: {res.items_complete:,} rated by all reviewers, {res.items_started - res.items_complete:,} "
                  f"in progress, {res.items - res.items_started:,} not started; {res.ratings:,} ratings, "
                  f"{res.preferences:,} preference answers", highlight=False)
    if res.counts:
        console.print("not counted: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(res.counts.items())), highlight=False)
    for w in res.warnings[:show_warnings]:
        console.print(f"[yellow]warning[/]: {w}", highlight=False)
    if len(res.warnings) > show_warnings:
        console.print(f"… {len(res.warnings) - show_warnings} more warnings in {folder.path('pull.json')}", highlight=False)
    if res.ratings:
        _write_eval_report(folder, bootstrap=bootstrap, seed=0)
        console.print(f"next: curate eval report {eval_path}", highlight=False)


# -- report ------------------------------------------------------------------------------


def _write_eval_report(folder, *, bootstrap: int, seed: int) -> dict[str, Any]:
    import polars as pl

    from curate.evaluation.folder import PREFERENCES, RATINGS
    from curate.evaluation.report import REPORT_FILE, human_report
    from curate.store import write_json

    settings = folder.settings()
    path = folder.path(RATINGS)
    if not path.exists():
        raise InputError(f"{folder.root}: no ratings yet; run `curate eval pull {folder.root}` first")
    ratings = pl.read_parquet(path)
    if ratings.height == 0:
        raise InputError(f"{folder.root}: no ratings yet (nobody has rated an item); pull again later")
    prefs_path = folder.path(PREFERENCES)
    prefs = pl.read_parquet(prefs_path) if prefs_path.exists() else None
    sample = folder.sample()
    cfg = settings.get("human_eval") or {}
    expected = int(cfg.get("reviewers") or 0)
    per_item = ratings.group_by("item").agg(pl.col("reviewer").n_unique().alias("n"))
    short = per_item.filter(pl.col("n") < expected).height + (len(sample) - per_item.height)
    notes = []
    if short:
        notes.append(f"{short} of {len(sample)} items have fewer than {expected} reviewers so far; the figures will change")
    rep = human_report(
        ratings.select("item", "system", "reviewer", "dimension", "rating"), preferences=prefs,
        strata={str(it["id"]): it.get("strata") or {} for it in sample},
        systems=[s["name"] for s in settings["systems"]], dimensions=[d["name"] for d in cfg.get("dimensions") or []],
        scale=cfg.get("rating_scale"), samples=bootstrap, seed=seed,
        source={"eval": folder.name, "folder": str(folder.root), "blind": cfg.get("blind")}, notes=notes,
    )
    write_json(folder.path(REPORT_FILE), rep)
    return rep


@eval_app.command("report")
def report_cmd(
    eval_path: Path = typer.Argument(None, metavar="EVAL", help="The eval folder, or the run holding it (one eval)."),
    ratings: Path = typer.Option(None, "--ratings", help="Score ratings collected elsewhere: CSV/TSV/JSONL/Parquet with item, system, reviewer, dimension, rating."),
    benchmark: Path = typer.Option(None, "--benchmark", help="With --ratings: the benchmark, for the per-stratum figures."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON instead of tables."),
    out: Path = typer.Option(None, "--out", "-o", help="Also write the JSON report here."),
    bootstrap: int = typer.Option(1000, "--bootstrap", min=0, help="Bootstrap samples of the 95% intervals (0: none)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap (same seed, same intervals)."),
) -> None:
    """Per system and dimension: the mean rating with a 95% bootstrap interval (also per
    stratum), pairwise win/tie/loss with a sign test, agreement between raters
    (Krippendorff's alpha), and the overall preference."""
    from curate.cli.common import console
    from curate.evaluation.render import print_human
    from curate.store import write_json

    if (eval_path is None) == (ratings is None):
        raise InputError("give either an eval folder (curate eval report EVAL) or a ratings file (--ratings FILE)")
    if eval_path is not None:
        if benchmark is not None:
            raise InputError("--benchmark goes with --ratings; an eval folder knows its items' strata")
        from curate.evaluation.folder import locate

        rep = _write_eval_report(locate(eval_path).folder, bootstrap=bootstrap, seed=seed)
    else:
        rep = _ratings_report(ratings, benchmark, bootstrap=bootstrap, seed=seed)
    if out is not None:
        write_json(out, rep)
    if as_json:
        typer.echo(json.dumps(rep, indent=2, ensure_ascii=False))
    else:
        print_human(rep, console)


def _ratings_report(path: Path, benchmark: Path | None, *, bootstrap: int, seed: int) -> dict[str, Any]:
    from curate.evaluation.benchmark import read_benchmark
    from curate.evaluation.ratings import read_ratings_file
    from curate.evaluation.report import human_report

    df = read_ratings_file(path)
    strata = None
    notes = []
    if benchmark is not None:
        items = {it.id: it for it in read_benchmark(benchmark)}
        fields = list(dict.fromkeys(k for it in items.values() for k in it.strata))
        rated = df.get_column("item").unique().to_list()
        unknown = [i for i in rated if i not in items]
        if unknown:
            notes.append(f"{len(unknown)} rated item(s) are not in {benchmark} (first: {unknown[0]!r}); they count as stratum (none)")
        strata = {i: {f: items[i].stratum(f) if i in items else "(none)" for f in fields} for i in rated}
    # systems and dimensions in the order the file gives them
    return human_report(df, strata=strata, systems=df.get_column("system").unique(maintain_order=True).to_list(),
                        dimensions=df.get_column("dimension").unique(maintain_order=True).to_list(),
                        samples=bootstrap, seed=seed, source={"ratings": str(path)}, notes=notes)


# -- score -------------------------------------------------------------------------------


@eval_app.command("score")
def score_cmd(
    benchmark: Path = typer.Argument(..., metavar="BENCHMARK", help="benchmark.jsonl with the gold answers."),
    system: list[str] = typer.Option(..., "--system", "-s", help=SYSTEM_HELP),
    run: Path = typer.Option(None, "--run", help="The run whose embedding model (embed.model) to use; default: the run whose export holds BENCHMARK."),
    config: Path = typer.Option(None, "--config", "-c", help="Take the embed settings from this curate.yaml."),
    model: str = typer.Option(None, "--model", help="Embedding model instead of the run's (a local folder or all-MiniLM-L6-v2)."),
    embedding: bool = typer.Option(True, "--embedding/--no-embedding", help="Compute the embedding similarity (loads the model)."),
    stratify_by: list[str] = typer.Option(None, "--stratify-by", help="Strata field to break the figures down by (repeat; default: all)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON instead of tables."),
    out: Path = typer.Option(None, "--out", "-o", help="Also write the JSON report here."),
    items_out: Path = typer.Option(None, "--items", help="Write each item's scores (id, system, one number per metric) as JSONL."),
    bootstrap: int = typer.Option(1000, "--bootstrap", min=0, help="Bootstrap samples of the 95% intervals (0: none)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
) -> None:
    """Automatic metrics of each system against the gold answers, side by side and per
    stratum: exact match, token F1, ROUGE-L (rouge-score) and the cosine similarity of
    sentence embeddings (the run's embedding model)."""
    from curate.cli.common import console
    from curate.embed.config import EmbedConfig
    from curate.evaluation.benchmark import parse_systems, read_all
    from curate.evaluation.render import print_scores
    from curate.evaluation.report import score_report
    from curate.evaluation.sampling import strata_fields
    from curate.store import write_json, write_jsonl

    systems = parse_systems(system)
    ctx = _context(run, config, benchmark)
    items, predictions = read_all(benchmark, systems)
    fields = strata_fields(items, list(stratify_by) if stratify_by else None)
    unknown = [f for f in fields if not any(f in it.strata for it in items)]
    if unknown:
        raise InputError(f"--stratify-by: no item of {benchmark} has the strata field(s) {', '.join(unknown)}")
    embedder = None
    model_name = None
    if embedding:
        from curate.embed.model import Embedder

        embed_cfg = _section(EmbedConfig, ctx.sections.get("embed"), "embed")
        if model:
            embed_cfg = embed_cfg.model_copy(update={"model": model})
        embedder = Embedder.from_config(embed_cfg)
        model_name = embed_cfg.model
    rep, rows = score_report(items, predictions, embedder=embedder, model_name=model_name, strata_fields=fields,
                             samples=bootstrap, seed=seed, benchmark=str(benchmark))
    if out is not None:
        write_json(out, rep)
    if items_out is not None:
        write_jsonl(items_out, rows)
    if as_json:
        typer.echo(json.dumps(rep, indent=2, ensure_ascii=False))
    else:
        print_scores(rep, console)
