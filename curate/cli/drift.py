"""`curate drift RUN NEW`: have new production records moved away from the run's
training set? Exit code 0: no drift, 3: drift, 1 and 2 stay errors (as every command)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from pydantic import ValidationError

from curate.cli.common import console, err_console
from curate.errors import ConfigError

#: the exit code of a comparison that finds drift (1 stays "error", 2 "bad input")
DRIFT_EXIT = 3
#: the latest comparison, kept in the run folder for `curate report`'s drift panel
REPORT_FILE = "drift.json"


def register(app: typer.Typer) -> None:
    app.command("drift")(drift_cmd)


def _settings(raw: dict, overrides: dict):
    from curate.drift.config import DriftConfig

    merged = {**raw, **{k: v for k, v in overrides.items() if v is not None}}
    try:
        return DriftConfig.model_validate(merged)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        msg = err.get("msg", "invalid value").removeprefix("Value error, ")
        raise ConfigError(f"drift.{loc}: {msg}" if loc else f"drift: {msg}") from None


def drift_cmd(
    run_path: Path = typer.Argument(..., metavar="RUN", help="A run folder (runs/NAME) or its curate.yaml."),
    new: Path = typer.Argument(
        ..., metavar="NEW",
        help="New records: a records file (.jsonl, .csv, .parquet; curate's record format, or columns the run's "
             "source of that type maps) or a config file whose sources are read.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON on stdout (nothing else there)."),
    quantile: float = typer.Option(None, "--quantile", help="Novel: beyond this quantile of the reference distances (drift.quantile, 0.95)."),
    novelty_threshold: float = typer.Option(None, "--novelty-threshold", help="Drift above this share of novel records (drift.novelty_threshold)."),
    jsd_threshold: float = typer.Option(None, "--jsd-threshold", help="Drift above this cluster-share JSD (drift.jsd_threshold)."),
    calibrate: str = typer.Option(None, "--calibrate", help="candidates (default) or training (drift.calibrate)."),
    stratify_by: str = typer.Option(None, "--stratify-by", help="Metadata field compared stratum by stratum (e.g. intent)."),
    topics: int = typer.Option(None, "--topics", help="New topics to find among the novel records (0: none)."),
    select: int = typer.Option(None, "--select", min=1, help="Write the N most novel yet diverse new records as the next labeling batch."),
    batch: Path = typer.Option(None, "--batch", help="Folder of the --select batch (default: beside the run, RUN-drift)."),
    no_save: bool = typer.Option(False, "--no-save", help=f"Do not keep the figures in the run folder ({REPORT_FILE}, the report's drift panel)."),
) -> None:
    """Compare new records with the run's training set: novelty, cluster-share shift,
    new topics.

    NEW is read by the same sources and redacted with the run's `redact:` settings,
    then embedded with the run's model (through its cache). A new record is novel when
    it lies farther from every training example than the `drift.quantile` of the
    reference distances; the cluster shares of the new records (each assigned to the
    nearest of the run's clusters) are compared with the run's by Jensen-Shannon
    divergence, overall and per stratum; the novel records are clustered and named.

    Exit code 0: no drift; 3: drift (above `drift.novelty_threshold` or
    `drift.jsd_threshold`); 1 and 2: errors, as for every command.

    Example (a weekly job): `curate drift runs/support weekly.yaml --select 200`, then on exit code 3
    `curate label push runs/support-drift` (the batch folder).
    """
    from curate.cli.common import run_settings
    from curate.drift.batch import check_batch_folder, write_batch
    from curate.drift.compare import compare
    from curate.drift.newdata import embed_new, read_new
    from curate.drift.reference import load_reference

    settings = run_settings(run_path)
    if "drift" not in (settings.run.manifest().get("config") or {}):
        # a run built before the drift section existed: its defaults are no difference
        settings.differences.pop("drift", None)
    note = settings.note(("drift",))
    if note:
        err_console.print(note, highlight=False, soft_wrap=True)
    cfg = _settings(settings.config.get("drift") or {}, {
        "quantile": quantile, "novelty_threshold": novelty_threshold, "jsd_threshold": jsd_threshold,
        "calibrate": calibrate, "stratify_by": stratify_by, "topics": topics,
    })
    run = settings.run
    out_dir = (batch or run.root.with_name(f"{run.root.name}-drift")) if select else None
    if out_dir is not None:
        check_batch_folder(out_dir, run)
    # the run's lock: a build rewriting its tables or cache meanwhile would mix two versions
    with run.build_lock():
        ref = load_reference(run)
        with err_console.status("reading and redacting the new records"):
            df, how = read_new(new, settings.config, settings.base_dir)
        if df.height == 0:
            from curate.errors import InputError

            raise InputError(f"{new}: no records to compare (none read, or all dropped by the redaction)")
        with err_console.status(f"embedding {df.height:,} new records"):
            df, info = embed_new(df, run, settings.config)
        select_cfg = settings.config.get("select") or {}
        backend = ((select_cfg.get("clusters") or {}).get("backend")) or "sklearn"
        result, m = compare(ref, df, cfg, select_cfg=select_cfg, backend="sklearn" if backend == "auto" else backend)
        result = {"run": str(run.root), "new": str(new), "read_as": how, "embedded": info.get("embedded", 0),
                  "cache_hits": info.get("cache_hits", 0), **result}
        if select:
            picked = write_batch(out_dir, run, settings.config, ref, df, m.new_clusters, m.novelty.distances,
                                 m.novelty.threshold, select)
            result["batch"] = {"folder": str(out_dir), "records": picked.height,
                               "novel": int((picked["drift_distance"].to_numpy() > m.novelty.threshold).sum())}
        if not no_save:
            from curate.run import now_iso
            from curate.store import write_json

            write_json(run.path(REPORT_FILE), {"created_at": now_iso(), **result})
    if as_json:
        typer.echo(json.dumps(result, indent=2, sort_keys=False))
    else:
        from curate.drift.render import print_summary

        print_summary(console, result)
    if result["drift"]:
        raise typer.Exit(DRIFT_EXIT)
