"""Run the dedupe stage on a large stage table, as `curate build` does, and report peak
memory. Called by dedupe_bench.py in a subprocess so that ``ru_maxrss`` is this run's alone:

    python benchmarks/dedupe_scale.py INPUT.parquet RUN_DIR RESULT.json
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import polars as pl


def vm_hwm_gib() -> float:
    """Peak resident memory of this process image (``VmHWM``). Unlike ``ru_maxrss`` it is
    not inherited from the parent that started us."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 2**20
    raise RuntimeError("no VmHWM in /proc/self/status")


def main(inp: Path, run_dir: Path, out: Path) -> None:
    from curate.config import CurateConfig
    from curate.dedupe.config import DedupeConfig
    from curate.dedupe.stage import DedupeStage
    from curate.engines import get_engine
    from curate.pipeline import run_stage
    from curate.run import RunFolder
    from curate.stages.base import StageContext

    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    cfg = CurateConfig.model_construct(name="scale", sources=[], dedupe=DedupeConfig())
    run = RunFolder(run_dir)
    ctx = StageContext(run=run, config=cfg)
    stage = DedupeStage(cfg)
    rss_before = vm_hwm_gib()
    t0 = time.perf_counter()
    entry = run_stage(stage, ctx, get_engine(cfg.engine), inp, "scale", None)
    seconds = time.perf_counter() - t0
    peak = vm_hwm_gib()
    stats = entry["stats"]
    table = run_dir / entry["table"]
    mean_chars = pl.scan_parquet(inp).select(pl.col("text").str.len_chars().mean()).collect().item()
    result = {
        "records": entry["records_in"],
        "mean_chars": round(mean_chars),
        "kept": entry["records_out"],
        "dropped": entry["dropped"],
        "stage_seconds": round(seconds, 1),
        "phases": stats.get("seconds", {}),
        "candidate_pairs": stats.get("candidate_pairs"),
        "duplicate_pairs": stats.get("duplicate_pairs"),
        "groups": stats.get("groups"),
        "bands_rows": [stats["parameters"]["bands"], stats["parameters"]["rows"]],
        "peak_rss_gib": round(peak, 2),
        "rss_before_stage_gib": round(rss_before, 2),
        "output_rows": pl.scan_parquet(table).select(pl.len()).collect().item(),
    }
    out.write_text(json.dumps(result, indent=2))
    shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
