"""Speed of `curate export` on 20k records, against the first export (OpenAI JSONL of every
record: no split, no tokens, no decontamination, no card) measured in the same run.

    .venv/bin/python benchmarks/export_bench.py [--records 20000]

Records: the example's Bitext exchanges (examples/support-tickets), repeated with a numbered
suffix so every text is distinct. The benchmark file for decontamination: 2,000 rows of the
same replies (so its n-grams really hit). Writes benchmarks/results/export.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from curate.export.config import ExportConfig  # noqa: E402
from curate.export.formats import Example, chat_from_turns, to_openai  # noqa: E402
from curate.export.stage import ExportJob, run_export  # noqa: E402
from curate.export.tokens import resolve_counter  # noqa: E402
from curate.records import DROP_COLUMN, make_record  # noqa: E402
from curate.store import write_jsonl  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "export.md"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{os.cpu_count()} cores, {cpu}{mem}, Python {platform.python_version()}, {date.today().isoformat()}"


def records(n: int) -> pl.DataFrame:
    src = pl.read_csv(ROOT / "examples/support-tickets/data/bitext_sample.csv")
    base = list(src.iter_rows(named=True))
    rows = []
    for i in range(n):
        r = base[i % len(base)]
        rec = make_record(source="csv:bench", native_id=str(i), kind="ticket", messages=[
            {"role": "user", "content": f"{r['instruction']} (case {i})"},
            {"role": "assistant", "content": r["response"]}], meta={"category": r["category"]})
        rec.update(dup_group=f"g{i // 3}", cluster=i % 40, selected=True, pii="{}")
        rows.append(rec)
    return pl.DataFrame(rows).with_columns(pl.lit(None, dtype=pl.Utf8).alias(DROP_COLUMN))


def baseline(df: pl.DataFrame, out: Path) -> None:
    """The first version's export: every record as an OpenAI chat line."""
    rows = (to_openai(Example(id=r["id"], messages=chat_from_turns(r["messages"], "Be kind.")))
            for r in df.select("id", "messages").iter_rows(named=True))
    write_jsonl(out / "train.jsonl", rows)


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=20000)
    args = ap.parse_args()
    df = records(args.records)
    tmp = Path(tempfile.mkdtemp(prefix="export-bench-"))
    try:
        table = tmp / "select.parquet"
        df.write_parquet(table)
        bench = tmp / "bench.jsonl"
        # 100 of the example's 999 replies, among 1,900 rows of unrelated text
        replies = [r["messages"][1]["content"] for r in df.head(100).iter_rows(named=True)]
        filler = [" ".join(f"word{(i * 7 + k) % 5000}" for k in range(60)) for i in range(1900)]
        bench.write_text("".join(json.dumps({"answer": t}) + "\n" for t in replies + filler))
        manifest = {"name": "bench", "config_hash": "0" * 64, "stages": {}}
        config = {"name": "bench", "sources": []}

        def run(**settings):
            cfg = ExportConfig.model_validate({"system_prompt": "Be kind.", **settings})
            job = ExportJob(cfg=cfg, config=config, manifest=manifest, base_dir=tmp, run_root=None,
                            counter=resolve_counter(cfg.tokens.tokenizer, tmp))
            out = tmp / "out"
            shutil.rmtree(out, ignore_errors=True)
            return run_export(pl.scan_parquet(table).drop(DROP_COLUMN), job, out)

        cases = [
            ("first export (baseline): OpenAI JSONL of every record", lambda: baseline(df, tmp)),
            ("export, estimate tokens, split 10% by dup group", lambda: run(tokens={"tokenizer": "estimate"})),
            ("export, tiktoken cl100k_base, split", lambda: run()),
            ("export, tiktoken, split stratified + clusters together",
             lambda: run(split={"stratify_by": "meta.category", "clusters_together": True})),
            ("export, tiktoken, split, decontaminate (8-grams, 2,000-row benchmark)",
             lambda: run(decontaminate={"files": [str(bench)], "n": 8})),
            ("export in sharegpt format, tiktoken, split", lambda: run(format="sharegpt")),
            ("export in hf format (Parquet), tiktoken, split", lambda: run(format="hf")),
        ]
        results = []
        for name, fn in cases:
            results.append((name, timed(fn)))
        base = results[0][1]
        decon = run(decontaminate={"files": [str(bench)], "n": 8}).result
        lines = [
            "# Export benchmark",
            "",
            f"Machine: {machine()}. Shared machine: compare the ratios, measured in one run.",
            f"{args.records:,} records (Bitext exchanges made distinct), best of 3. "
            "Command: `.venv/bin/python benchmarks/export_bench.py`.",
            "",
            "| case | seconds | records/s | time vs baseline |",
            "|---|---|---|---|",
        ]
        for name, sec in results:
            lines.append(f"| {name} | {sec:.2f} | {args.records / sec:,.0f} | {sec / base:.1f}× |")
        lines += [
            "",
            f"Decontamination left out {decon.dropped.get('decontaminated', 0):,} of {args.records:,} records: those "
            "whose reply is one of the 100 in the benchmark file (about a tenth) and those sharing an 8-gram with them "
            "(Bitext's replies are templated).",
            "",
        ]
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text("\n".join(lines))
        print("\n".join(lines))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
