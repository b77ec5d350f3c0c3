"""Load benchmark: a synthetic build of up to 1M support tickets on this machine, with the
peak memory (RSS of the build's whole process tree, sampled) and the time of every stage.

    .venv/bin/python benchmarks/load_build.py                  # 100k and 1M, redact on a 50k slice
    .venv/bin/python benchmarks/load_build.py --sizes 100000   # a scaled run only

What runs, honestly:
- ingest -> dedupe -> select -> export on the full N records. Embeddings are off: on this
  2-core CPU the embedding model does about 100-200 ticket-length texts/s (see
  benchmarks/results/embed.md), so 1M texts would take hours; selection therefore uses the
  `stratified` strategy (by category), which needs no vectors, with a budget of 20,000.
- redact (Presidio + spaCy, the stage's default settings and process pool) on a slice of
  the same records (default 50,000): its documents/s and memory are measured there and the
  time for N is extrapolated from that rate (labelled as such in the results).

Each stage runs as its own `curate build --until STAGE` (the earlier stages are current
and skipped), so every peak belongs to one stage. Results: benchmarks/results/load.md and
load.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

INTENTS = {
    "refund": ("I returned the {product} on {day} and there is still no refund for order {order}.",
               "The refund for order {order} was approved today; it reaches your account in 3-5 business days."),
    "password": ("Since version {version} I cannot log in: the password reset mail never arrives.",
                 "I re-sent the reset link; please check the spam folder, the link is valid for 24 hours."),
    "shipping": ("My {product} (order {order}) should have arrived on {day} but the tracking has not moved.",
                 "The parcel was held at the depot; it is back on the road and arrives within two days."),
    "invoice": ("Could you send me a copy of the invoice for order {order}? Our accounting needs it by {day}.",
                "The invoice for order {order} is attached; you can also download it from your account page."),
    "cancel": ("Please cancel my subscription before the next billing date on {day}.",
               "Your subscription is cancelled; you keep access until the end of the current period."),
    "crash": ("The app crashes with error 0x{code} right after the splash screen on version {version}.",
              "Version {version} has a known issue with cached settings; please update to the latest release."),
    "address": ("I moved and need to change the delivery address for order {order} before {day}.",
                "Done: the new address is saved and used for order {order} and your next orders."),
    "billing": ("I was charged twice for order {order} on {day}.",
                "You are right, the second charge was an error; we refunded it and it shows in 2-3 days."),
    "warranty": ("My {product} stopped working after {months} months. Is it still under warranty?",
                 "Yes, the warranty covers {months} months of use; we will send a replacement {product}."),
    "account": ("How do I add a second user to our company account? We bought the {plan} plan on {day}.",
                "Open Settings > Team and invite them by email; the {plan} plan includes up to five users."),
}
PRODUCTS = ["Nimbus Router X2", "Lumen Desk Lamp", "Orbit Smartwatch", "Atlas Backpack", "Vega Coffee Grinder",
            "Pulse Earbuds", "Terra Water Bottle", "Helix Keyboard", "Quartz Monitor 27", "Drift Scooter"]
FIRST = ["Maria", "John", "Aisha", "Chen", "Lukas", "Sofia", "Ravi", "Emma", "Kenji", "Olga", "Pedro", "Fatima"]
LAST = ["Garcia", "Smith", "Khan", "Wang", "Becker", "Rossi", "Patel", "Dubois", "Tanaka", "Ivanova", "Silva"]
FILLER = ("thanks in advance for your help", "this is the third time I write about it", "it is quite urgent for us",
          "we have been customers for years", "please let me know what you need from me", "I attached a screenshot")


def ticket(rng: random.Random, i: int) -> dict:
    intent = rng.choice(list(INTENTS))
    q_t, a_t = INTENTS[intent]
    kw = {
        "product": rng.choice(PRODUCTS), "order": str(rng.randint(100000, 999999)),
        "version": f"{rng.randint(1, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
        "code": f"{rng.randint(0x1000, 0xFFFF):04X}", "day": rng.choice(["Monday", "Tuesday", "March 3", "May 12"]),
        "months": str(rng.randint(3, 30)), "plan": rng.choice(["Team", "Business", "Starter"]),
    }
    first, last = rng.choice(FIRST), rng.choice(LAST)
    extra = " ".join(rng.sample(FILLER, rng.randint(1, 3)))
    q = (f"Hi,\n\n{q_t.format(**kw)} {extra.capitalize()}. You can reach me at "
         f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@example.com.\n\nThanks,\n{first} {last}")
    a = f"Hi {first},\n\n{a_t.format(**kw)}\n\nBest regards,\nSupport team"
    return {"id": f"T{i:07d}", "subject": f"{intent.title()} question", "question": q, "answer": a,
            "category": intent, "priority": rng.choice(["low", "normal", "high"])}


def generate(path: Path, n: int, seed: int = 1) -> dict:
    """``n`` tickets as JSONL: about 8% verbatim copies and 5% near copies (one sentence
    added) of earlier tickets, so that dedupe has work to do."""
    rng = random.Random(seed)
    kept: list[dict] = []
    t0 = time.perf_counter()
    exact = near = 0
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            r = rng.random()
            if kept and r < 0.08:
                row = dict(rng.choice(kept), id=f"T{i:07d}")
                exact += 1
            elif kept and r < 0.13:
                src = rng.choice(kept)
                row = dict(src, id=f"T{i:07d}", answer=src["answer"] + " Have a nice day.")
                near += 1
            else:
                row = ticket(rng, i)
                if len(kept) < 20000:
                    kept.append(row)
                elif rng.random() < 0.01:
                    kept[rng.randrange(len(kept))] = row
            fh.write(json.dumps(row) + "\n")
    return {"records": n, "exact_copies": exact, "near_copies": near, "bytes": path.stat().st_size,
            "seconds": round(time.perf_counter() - t0, 1)}


def config(name: str, data: str, redact: bool) -> dict:
    return {
        "name": name,
        "sources": [{"type": "jsonl", "name": "tickets", "path": data,
                     "fields": {"id": "id", "title": "subject", "user": "question", "assistant": "answer",
                                "meta": ["category", "priority"]}}],
        "redact": {"enabled": redact},
        "dedupe": {"enabled": True},
        "embed": {"enabled": False},
        "select": {"enabled": True, "strategy": "stratified", "stratify_by": "category", "budget": 20000},
        "export": {"system_prompt": "You are a helpful support agent.", "split": {"eval": 0.05}},
    }


class Sampler:
    """Peak RSS of a process and all its descendants, sampled every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float = 0.2):
        self.proc = psutil.Process(pid)
        self.interval = interval
        self.peak_tree = 0
        self.peak_main = 0
        self.peak_workers = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                main = self.proc.memory_info().rss
                kids = [c.memory_info().rss for c in self.proc.children(recursive=True) if c.is_running()]
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                kids, main = [], 0
            self.peak_main = max(self.peak_main, main)
            self.peak_workers = max(self.peak_workers, len(kids))
            self.peak_tree = max(self.peak_tree, main + sum(kids))
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._t.join()


def run_stage(work: Path, cfg: Path, runs: Path, stage: str) -> dict:
    name = yaml.safe_load(cfg.read_text())["name"]
    cmd = [sys.executable, "-m", "curate", "build", str(cfg), "--runs-dir", str(runs), "--until", stage, "-q"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": ""}
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = Sampler(proc.pid)
    out, err = proc.communicate()
    sampler.stop()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"curate build --until {stage} failed ({proc.returncode}):\n{out}\n{err}")
    m = json.loads((runs / name / "manifest.json").read_text())
    e = m["stages"][stage]
    table = runs / name / f"{stage}.parquet"
    return {
        "stage": stage, "seconds": e["seconds"], "process_seconds": round(wall, 1),
        "records_in": e["records_in"], "records_out": e["records_out"], "dropped": e["dropped"],
        "rejected": e["rejected"], "peak_rss_tree_mb": round(sampler.peak_tree / 2**20),
        "peak_rss_main_mb": round(sampler.peak_main / 2**20), "workers": sampler.peak_workers,
        "table_mb": round(table.stat().st_size / 2**20, 1) if table.exists() else None,
        "load_avg_start": round(load0, 2), "load_avg_end": round(os.getloadavg()[0], 2),
        "stats": {k: e.get("stats", {}).get(k) for k in ("candidate_pairs", "largest_bucket", "buckets", "seconds")}
        if stage == "dedupe" else None,
    }


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def full_build(work: Path, n: int) -> dict:
    data = work / f"tickets-{n}.jsonl"
    gen = None
    if not data.exists():
        gen = generate(data, n)
    name = f"load-{n}"
    cfg = work / f"curate-{name}.yaml"
    cfg.write_text(yaml.safe_dump(config(name, data.name, redact=False), sort_keys=False))
    runs = work / "runs"
    shutil.rmtree(runs / name, ignore_errors=True)
    stages = []
    for stage in ("ingest", "dedupe", "select", "export"):
        r = run_stage(work, cfg, runs, stage)
        print(f"  {n:>9,} {stage:<7} {r['seconds']:>8.1f} s  peak RSS {r['peak_rss_tree_mb']:>6,} MB", flush=True)
        stages.append(r)
    return {"records": n, "generated": gen, "stages": stages}


def redact_slice(work: Path, source_n: int, k: int) -> dict:
    src = work / f"tickets-{source_n}.jsonl"
    data = work / f"tickets-slice-{k}.jsonl"
    with open(src, encoding="utf-8") as fi, open(data, "w", encoding="utf-8") as fo:
        for i, line in enumerate(fi):
            if i >= k:
                break
            fo.write(line)
    name = f"load-redact-{k}"
    cfg = work / f"curate-{name}.yaml"
    cfg.write_text(yaml.safe_dump(config(name, data.name, redact=True), sort_keys=False))
    runs = work / "runs"
    shutil.rmtree(runs / name, ignore_errors=True)
    out = []
    for stage in ("ingest", "redact"):
        r = run_stage(work, cfg, runs, stage)
        print(f"  {k:>9,} {stage:<7} {r['seconds']:>8.1f} s  peak RSS {r['peak_rss_tree_mb']:>6,} MB", flush=True)
        out.append(r)
    return {"records": k, "stages": out}


def write_results(res: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(res, indent=1) + "\n")
    m = res.get("machine_builds") or res["machine"]
    lines = [
        "# Load: a synthetic build of up to 1M tickets",
        "",
        "`.venv/bin/python benchmarks/load_build.py` (options: `--sizes`, `--redact-slice`, `--keep-builds`).",
        "",
        (f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, Python {m['python']}, {m['date']}. "
         "The machine is shared with other developers (load averages are given per stage), so times are noisy."),
        "",
        ("Synthetic tickets (10 intents, templated sentences with random products, order numbers, versions, "
         "names and email addresses; ~8% verbatim and ~5% near copies). Each stage runs as its own "
         "`curate build --until STAGE`; *peak RSS* is the sum over the build's process tree (the build and its "
         "worker processes), sampled every 0.2 s; *seconds* is the stage's time from the manifest."),
        "",
        ("**What runs.** ingest → dedupe → select (`stratified` by category, budget 20,000) → export on all N "
         "records. Embeddings are **off**: about 100-200 texts/s on this CPU (benchmarks/results/embed.md) would "
         "take hours for 1M, and `stratified` selection needs no vectors. Redaction runs on slices (below) and its "
         "time for N is **extrapolated** from the measured rate."),
        "",
    ]
    for b in res["builds"]:
        g = b.get("generated")
        lines.append(f"## {b['records']:,} records")
        lines.append("")
        if g:
            lines.append(f"Input: {g['bytes'] / 2**20:,.0f} MB of JSONL ({g['exact_copies']:,} verbatim copies, "
                         f"{g['near_copies']:,} near copies), generated in {g['seconds']} s.")
            lines.append("")
        lines.append("| stage | records in | out | dropped | seconds | records/s | peak RSS (MB) | table (MB) | load avg |")
        lines.append("|---|---:|---:|---|---:|---:|---:|---:|---|")
        for s in b["stages"]:
            rate = s["records_in"] / s["seconds"] if s["seconds"] else 0
            dropped = ", ".join(f"{k}: {v:,}" for k, v in s["dropped"].items()) or "—"
            lines.append(f"| {s['stage']} | {s['records_in']:,} | {s['records_out']:,} | {dropped} | {s['seconds']:,.1f} | "
                         f"{rate:,.0f} | {s['peak_rss_tree_mb']:,} | {s['table_mb'] if s['table_mb'] is not None else '—'} | "
                         f"{s['load_avg_start']} → {s['load_avg_end']} |")
        d = next((s.get("stats") for s in b["stages"] if s["stage"] == "dedupe" and s.get("stats")), None)
        if d:
            secs = ", ".join(f"{k} {v:,.0f} s" for k, v in (d.get("seconds") or {}).items())
            lines.append("")
            lines.append(f"Dedupe: {d['buckets']:,} LSH buckets, the largest holding {d['largest_bucket']:,} records; "
                         f"{d['candidate_pairs']:,} candidate pairs ({secs}).")
        total = sum(s["seconds"] for s in b["stages"])
        peak = max(s["peak_rss_tree_mb"] for s in b["stages"])
        lines.append("")
        lines.append(f"Total stage time {total:,.0f} s; highest peak RSS {peak:,} MB.")
        lines.append("")
    if len(res["builds"]) > 1:
        a, b = res["builds"][0], res["builds"][-1]
        lines.append(f"## Memory as the input grows ({a['records']:,} → {b['records']:,} records, "
                     f"{b['records'] / a['records']:.0f}x)")
        lines.append("")
        lines.append("| stage | peak RSS small (MB) | peak RSS large (MB) | ratio |")
        lines.append("|---|---:|---:|---:|")
        for sa, sb in zip(a["stages"], b["stages"]):
            lines.append(f"| {sa['stage']} | {sa['peak_rss_tree_mb']:,} | {sb['peak_rss_tree_mb']:,} | "
                         f"{sb['peak_rss_tree_mb'] / max(1, sa['peak_rss_tree_mb']):.2f}x |")
        lines.append("")
    slices = res.get("redact") or []
    if slices:
        rm = res["machine"]
        lines.append("## Redaction on slices of the same tickets (its time for the full builds extrapolated)")
        lines.append("")
        lines.append(f"Run {rm['date']}. Redact with its default settings (Presidio + spaCy `en_core_web_sm`, a pool of "
                     "one worker process per core).")
        lines.append("")
        lines.append("| records | seconds | records/s | peak RSS (MB) | processes | load avg |")
        lines.append("|---:|---:|---:|---:|---:|---|")
        for r in slices:
            s = next(x for x in r["stages"] if x["stage"] == "redact")
            lines.append(f"| {s['records_in']:,} | {s['seconds']:,.1f} | {s['records_in'] / s['seconds']:,.0f} | "
                         f"{s['peak_rss_tree_mb']:,} | {s['workers'] + 1} | {s['load_avg_start']} → {s['load_avg_end']} |")
        lines.append("")
        last = next(x for x in slices[-1]["stages"] if x["stage"] == "redact")
        rate = last["records_in"] / last["seconds"]
        for b in res["builds"]:
            n = b["records"]
            lines.append(f"- **Extrapolated, not measured**: redact on {n:,} records at {rate:,.0f} records/s ≈ "
                         f"{n / rate / 3600:,.1f} h on this machine.")
        lines.append("")
    (RESULTS / "load.md").write_text("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--redact-slice", type=int, nargs="*", default=[10_000, 50_000],
                    help="slices of the first size to redact (none: leave redaction out)")
    ap.add_argument("--keep-builds", action="store_true",
                    help="reuse the full builds of the last results (load.json) and run only the redact slices")
    ap.add_argument("--work", type=Path, default=Path("/tmp/curate-load"))
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    res: dict = {"machine": machine(), "builds": []}
    if args.keep_builds:
        old = json.loads((RESULTS / "load.json").read_text())
        res["builds"] = old["builds"]
        res["machine_builds"] = old.get("machine_builds") or old["machine"]
    else:
        res["machine_builds"] = res["machine"]
        for n in args.sizes:
            print(f"build of {n:,} records", flush=True)
            res["builds"].append(full_build(args.work, n))
            write_results(res)
    res["redact"] = []
    for k in args.redact_slice:
        print(f"redact on {k:,} records", flush=True)
        res["redact"].append(redact_slice(args.work, res["builds"][0]["records"], k))
        write_results(res)
    print(f"wrote {RESULTS / 'load.md'}")


if __name__ == "__main__":
    main()
