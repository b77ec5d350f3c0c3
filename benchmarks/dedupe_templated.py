"""Dedupe at scale on templated support tickets, side by side with an earlier commit.

The tickets of ``benchmarks/load_build.py`` (10 intents, one template each, filled with
products, order numbers, versions, names, fillers; about 8% verbatim and 5% near copies),
turned into records exactly as ingest would (``curate.records.make_record``: title, then
the user and assistant turns) and written with ingest's row groups of 5,000 records.

Real support data is templated (macros), so LSH buckets get large: every ticket of an
intent shares the template's shingles, and the candidate pairs run into the hundreds of
millions. Each size goes through the dedupe stage (``benchmarks/dedupe_scale.py``, a
subprocess, peak RSS from ``VmHWM``) with the working tree's code and, for the sizes in
``--baseline-docs``, with the code of ``--baseline`` (a git commit, checked out in a
temporary worktree) on the same input, one after the other in this run.

    .venv/bin/python benchmarks/dedupe_templated.py --docs 100000 1000000 \
        --baseline 53a057d --baseline-docs 100000 200000

Writes benchmarks/results/dedupe_templated.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

ROW_GROUP = 5000


def templated_table(n: int, path: Path, seed: int = 1) -> dict:
    """``n`` templated tickets as a records parquet at ``path``; returns the generator's figures."""
    import polars as pl
    from load_build import generate

    from curate.records import RECORD_SCHEMA, make_record

    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        jsonl = Path(tmp) / "tickets.jsonl"
        gen = generate(jsonl, n, seed=seed)
        schema = pl.DataFrame(schema={**RECORD_SCHEMA, "drop_reason": pl.Utf8}).to_arrow().schema
        writer = pq.ParquetWriter(path, schema, compression="zstd")
        try:
            rows: list[dict] = []
            with open(jsonl, encoding="utf-8") as fh:
                for line in fh:
                    t = json.loads(line)
                    r = make_record(
                        source="jsonl:tickets", native_id=t["id"], kind="ticket", title=t["subject"],
                        messages=[{"role": "user", "content": t["question"]},
                                  {"role": "assistant", "content": t["answer"]}],
                        meta={"category": t["category"], "priority": t["priority"]},
                        locator=f"tickets.jsonl:{t['id']}",
                    )
                    r["drop_reason"] = None
                    rows.append(r)
                    if len(rows) == ROW_GROUP:
                        writer.write_table(_table(rows, schema))
                        rows = []
            if rows:
                writer.write_table(_table(rows, schema))
        finally:
            writer.close()
    return gen


def _table(rows: list[dict], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


ROOT = HERE.parent
RESULTS = HERE / "results"


def run_stage(code_root: Path, data: Path, workdir: Path) -> dict:
    """The dedupe stage of the ``curate`` package at ``code_root`` on ``data``, in a
    subprocess; the harness (``dedupe_scale.py``) is this checkout's for both sides."""
    out = workdir / "result.json"
    env = {**os.environ, "PYTHONPATH": str(code_root)}
    cmd = [sys.executable, str(HERE / "dedupe_scale.py"), str(data), str(workdir / "run"), str(out)]
    load = os.getloadavg()[0]
    subprocess.run(cmd, check=True, env=env, cwd=workdir)
    r = json.loads(out.read_text())
    r["load_before"] = round(load, 2)
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--baseline", help="git commit to compare with")
    ap.add_argument("--baseline-docs", type=int, nargs="*", default=[100_000])
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "curate-dedupe-templated")
    ap.add_argument("--out", default="dedupe_templated", help="results file name (.md and .json) in benchmarks/results")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "curate"], cwd=ROOT, capture_output=True, text=True).stdout.strip())
    base_root = None
    if args.baseline:
        base_root = args.workdir / "baseline"
        subprocess.run(["git", "worktree", "remove", "--force", str(base_root)], cwd=ROOT, capture_output=True)
        subprocess.run(["git", "worktree", "add", "--detach", str(base_root), args.baseline], cwd=ROOT, check=True,
                       capture_output=True)
    rows = []
    try:
        for n in sorted(set(args.docs) | set(args.baseline_docs if base_root else [])):
            data = args.workdir / f"templated_{n}.parquet"
            if not data.exists():
                print(f"generating {n:,} templated tickets", flush=True)
                templated_table(n, data)
            sides = [("current", ROOT)] if n in args.docs else []
            if base_root and n in args.baseline_docs:
                sides.insert(0, ("baseline", base_root))
            for side, code in sides:
                print(f"{side}: dedupe of {n:,} templated tickets", flush=True)
                t0 = time.perf_counter()
                r = run_stage(code, data, args.workdir)
                r.update(side=side, docs=n, wall_s=round(time.perf_counter() - t0, 1))
                rows.append(r)
                print(f"  peak {r['peak_rss_gib']} GiB, stage {r['stage_seconds']} s, kept {r['kept']:,}", flush=True)
    finally:
        if base_root:
            subprocess.run(["git", "worktree", "remove", "--force", str(base_root)], cwd=ROOT, capture_output=True)
    res = {
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "processor": platform.processor() or platform.machine()},
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "current": head + (" + uncommitted changes" if dirty else ""),
        "baseline": args.baseline,
        "rows": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(res, indent=2) + "\n")
    lines = [
        "# Dedupe on templated support tickets",
        "",
        f"`benchmarks/dedupe_templated.py`, {res['date']}; {res['machine']['cores']} cores, Python "
        f"{res['machine']['python']}. Current code: {res['current']}; baseline: {res['baseline'] or '-'} "
        "(the same input, one after the other in this run). Peak RSS is the stage subprocess's `VmHWM`.",
        "",
        "| docs | code | peak RSS | stage s | candidates s | verify s | candidate pairs | duplicate pairs | kept | load before |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ph = r.get("phases", {})
        lines.append(
            f"| {r['docs']:,} | {r['side']} | {r['peak_rss_gib']} GiB | {r['stage_seconds']} | {ph.get('candidates', '-')} | "
            f"{ph.get('verify', '-')} | {r.get('candidate_pairs') or 0:,} | {r.get('duplicate_pairs') or 0:,} | {r['kept']:,} | {r['load_before']} |"
        )
    by = {(r["docs"], r["side"]): r for r in rows}
    ratios = []
    for n in sorted({r["docs"] for r in rows}):
        if (n, "baseline") in by and (n, "current") in by:
            b, c = by[(n, "baseline")], by[(n, "current")]
            same = "same" if b["kept"] == c["kept"] and b["dropped"] == c["dropped"] else "DIFFERENT"
            ratios.append(f"{n:,} docs: peak memory {b['peak_rss_gib'] / c['peak_rss_gib']:.2f}x lower, stage "
                          f"{b['stage_seconds'] / c['stage_seconds']:.2f}x faster, {same} records kept and dropped")
    if ratios:
        lines += ["", "Baseline over current: " + "; ".join(ratios) + "."]
    lines += ["", "Candidate pairs: the baseline counts every distinct pair sharing a band; the current code "
              "counts those whose estimate can reach the threshold (the others are dropped as they are made)."]
    (RESULTS / f"{args.out}.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
