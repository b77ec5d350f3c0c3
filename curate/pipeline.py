"""``curate build``: run the stages in order over a run folder, skipping those whose
inputs and settings are unchanged, recording each in the manifest.

A stage is "current" when the manifest holds a ``done`` entry with the same fingerprint
(stage settings + curate version + the checksum of its input table) and its outputs still
match their checksums. A stage that is killed leaves its entry at ``running`` and no
complete-looking file (writes are atomic), so the next build redoes it."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from curate import __version__
from curate.config import CurateConfig
from curate.engines import get_engine
from curate.errors import CurateError, StageError
from curate.records import DROP_COLUMN
from curate.run import RunFolder, now_iso, package_versions
from curate.stages import STAGE_ORDER, stage_class
from curate.stages.base import (
    BatchStage,
    GlobalStage,
    Progress,
    SinkStage,
    SourceStage,
    Stage,
    StageContext,
    StageResult,
)
from curate.store import sha256_json

log = logging.getLogger("curate")


@dataclass
class StageOutcome:
    name: str
    status: str  # done | skipped | disabled
    entry: dict[str, Any] = field(default_factory=dict)


@dataclass
class BuildResult:
    run: RunFolder
    outcomes: list[StageOutcome]


def check_stage_name(name: str | None, option: str) -> None:
    if name is not None and name not in STAGE_ORDER:
        raise CurateError(f"{option}: unknown stage {name!r}; stages are {', '.join(STAGE_ORDER)}")


def build(
    config: CurateConfig,
    *,
    runs_dir: str | Path | None = None,
    until: str | None = None,
    from_stage: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
    only: list[str] | None = None,
    report: bool = True,
) -> BuildResult:
    """Run the build described by ``config``. ``only`` restricts to the named stages;
    ``report`` writes ``report.html`` at the end."""
    check_stage_name(until, "--until")
    check_stage_name(from_stage, "--from")
    progress = progress or Progress()
    run = RunFolder(config.run_dir(runs_dir))
    run.create()
    with run.build_lock():
        stale = run.remove_stale_temp()
        if stale:
            log.info("removed %d temporary file(s) left by an interrupted build: %s", len(stale), ", ".join(stale))
        return _build(config, run, until=until, from_stage=from_stage, force=force, progress=progress,
                      only=only, report=report)


def _build(
    config: CurateConfig,
    run: RunFolder,
    *,
    until: str | None,
    from_stage: str | None,
    force: bool,
    progress: Progress,
    only: list[str] | None,
    report: bool,
) -> BuildResult:
    engine = get_engine(config.engine)
    ctx = StageContext(run=run, config=config, progress=progress, engine=engine.name, log=log)

    manifest = run.manifest()
    manifest.setdefault("created_at", now_iso())
    manifest.update(
        {
            "name": config.name,
            "config_path": str(config.path) if config.path else None,
            "config_hash": config.config_hash(),
            "config": config.model_dump(mode="json"),
            "versions": package_versions(),
            "engine": engine.name,
        }
    )
    manifest.setdefault("stages", {})
    run.write_manifest(manifest)

    names = list(STAGE_ORDER)
    if until is not None:
        names = [n for n in names if STAGE_ORDER.index(n) <= STAGE_ORDER.index(until)]
    if only is not None:
        names = [n for n in names if n in only]
    redo_from = STAGE_ORDER.index(from_stage) if from_stage else None

    outcomes: list[StageOutcome] = []
    input_stage: str | None = None  # the stage whose table feeds the next one
    for name in names:
        stage = stage_class(name)(config)
        stage.run_root = run.root
        if not stage.enabled():
            run.record_stage(name, {"status": "disabled"})
            outcomes.append(StageOutcome(name, "disabled"))
            continue
        input_path = run.table(input_stage) if input_stage else None
        if not isinstance(stage, SourceStage) and (input_path is None or not input_path.exists()):
            prior = run.last_table(STAGE_ORDER[: STAGE_ORDER.index(name)])
            if prior is None:
                raise CurateError(f"stage {name} needs the output of an earlier stage; run without --until/--only first")
            input_stage, input_path = prior
        fingerprint = sha256_json(
            {
                "stage": name,
                "curate": __version__,
                "settings": stage.fingerprint(),
                "input": (run.stage_entry(input_stage) or {}).get("checksums", {}).get(input_path.name)
                if input_stage and input_path is not None
                else None,
            }
        )
        redo = force or (redo_from is not None and STAGE_ORDER.index(name) >= redo_from)
        if not redo and run.is_current(name, fingerprint):
            entry = run.stage_entry(name) or {}
            outcomes.append(StageOutcome(name, "skipped", entry))
            if entry.get("table"):
                input_stage = name
            continue
        entry = run_stage(stage, ctx, engine, input_path, fingerprint, input_stage)
        outcomes.append(StageOutcome(name, "done", entry))
        if entry.get("table"):
            input_stage = name
    run.update_manifest(finished_at=now_iso())
    if report:
        write_run_report(run)
    return BuildResult(run, outcomes)


def write_run_report(run: RunFolder) -> Path:
    """Write ``report.html``."""
    from curate.report import write_report

    return write_report(run)


def run_stage(
    stage: Stage,
    ctx: StageContext,
    engine: Any,
    input_path: Path | None,
    fingerprint: str,
    input_stage: str | None,
) -> dict[str, Any]:
    """Run one stage, check its accounting and record it in the manifest."""
    run = ctx.run
    started = now_iso()
    run.record_stage(stage.name, {"status": "running", "started_at": started, "input": input_stage})
    t0 = time.perf_counter()
    try:
        if isinstance(stage, SourceStage):
            result = stage.run(ctx)
            table = stage.output_file
        elif isinstance(stage, SinkStage):
            assert input_path is not None
            from curate.engines.local import count_live, live_scan

            ctx.progress.start(stage.name, count_live(input_path))
            result = stage.run(ctx, live_scan(input_path))
            ctx.progress.advance(result.records_in)
            ctx.progress.finish()
            table = None
        else:
            assert input_path is not None
            out_path = ctx.path(stage.output_file)
            if isinstance(stage, BatchStage):
                engine.run_batch(stage, ctx, input_path, out_path)
            elif isinstance(stage, GlobalStage):
                engine.run_global(stage, ctx, input_path, out_path)
            else:  # pragma: no cover - programming error
                raise TypeError(f"unknown stage shape {type(stage).__name__}")
            result = table_result(input_path, out_path)
            result.stats = stage.stats(pl.scan_parquet(out_path))
            result.outputs = [stage.output_file]
            table = stage.output_file
        result.check_accounting(stage.name)
    except CurateError as exc:
        run.record_stage(stage.name, _failed(started, exc.message))
        raise
    except KeyboardInterrupt:
        run.record_stage(stage.name, _failed(started, "interrupted"))
        raise
    except Exception as exc:
        # the message of an arbitrary exception may quote record text: keep only its type
        run.record_stage(stage.name, _failed(started, f"{type(exc).__name__} (see the log)"))
        log.debug("stage %s failed", stage.name, exc_info=True)
        raise StageError(f"stage {stage.name} failed: {type(exc).__name__}: {_safe(exc)}") from exc
    seconds = round(time.perf_counter() - t0, 3)
    entry = {
        "status": "done",
        "started_at": started,
        "finished_at": now_iso(),
        "seconds": seconds,
        "fingerprint": fingerprint,
        "input": input_stage,
        "table": table,
        "records_in": result.records_in,
        "records_out": result.records_out,
        "dropped": dict(sorted(result.dropped.items())),
        "rejected": result.rejected,
        "outputs": result.outputs,
        "checksums": run.checksums(result.outputs),
        "stats": result.stats,
    }
    run.record_stage(stage.name, entry)
    return entry


def table_result(input_path: Path, output_path: Path) -> StageResult:
    """Counts of a table stage from its input and output tables."""
    from curate.engines.local import count_live

    n_in = count_live(input_path)
    drops = (
        pl.scan_parquet(output_path)
        .group_by(DROP_COLUMN)
        .agg(pl.len().alias("n"))
        .collect()
    )
    out = 0
    dropped: dict[str, int] = {}
    for reason, n in drops.iter_rows():
        if reason is None:
            out = int(n)
        else:
            dropped[str(reason)] = int(n)
    return StageResult(records_in=n_in, records_out=out, dropped=dropped)


def _failed(started: str, error: str) -> dict[str, Any]:
    return {"status": "failed", "started_at": started, "failed_at": now_iso(), "error": error}


def _safe(exc: Exception) -> str:
    """An exception's message, only if it cannot carry record text."""
    if isinstance(exc, (OSError, MemoryError, TypeError, AttributeError, ImportError, AssertionError)):
        return str(exc)[:300]
    return "see the log with --verbose"
