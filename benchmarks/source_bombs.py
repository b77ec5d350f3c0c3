"""Hostile source files at full size through `curate ingest` (a real process each), and
ordinary corpora through the adapters, side by side with the code before the limits.

    .venv/bin/python benchmarks/source_bombs.py [--baseline REV] [--repeat 7]

Bombs (issue 23): front matter of nested YAML aliases (about 500 bytes), a DOCX of about
3 MB whose document.xml inflates to 3 GB (and the same DOCX with a directory that declares
100 kB for it), a 64 MB and a 200 MB JSONL line, a 5,000-digit integer, a 500 MB CSV
field. Each sits among ordinary inputs of its kind (2,002 JSONL or
2,002 CSV rows, 50 Markdown pages, 10 DOCX files). For each: the peak RSS (the process's
``ru_maxrss``, from ``wait4``) and time of `curate ingest` over the input without the bomb
and with it, the records and rejects with it, and the reject's reason. The code at
``--baseline`` (default: the commit before the limits) runs the bomb inputs too, under a
virtual-memory cap (``RLIMIT_AS``, ``--cap-gb``, default 4) and a time limit, so that a
bomb cannot take the shared machine down: its exit code and last error line are reported.

Throughput: CPU seconds to read every event of the csv, jsonl, docs and email adapters over
the corpora in ../shared/data (bitext CSV, the same rows as JSONL, React Native Markdown,
the Enron mbox), new and baseline code, each run in its own process, the two interleaved,
``--repeat`` runs each; the fastest run is reported (the machine is shared: the minimum is
the least disturbed), the median beside it.

Writes benchmarks/results/source_bombs.md and benchmarks/results/source_bombs.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# the corpora sit beside the checkout (../shared/data), or beside the folder of worktrees
DATA = next((p for p in (ROOT.parent / "shared" / "data", ROOT.parent.parent / "shared" / "data") if p.exists()),
            ROOT.parent / "shared" / "data")
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "tests" / "security"))

from hostile_sources import (
    GOOD_PAGE,
    alias_bomb_page,
    docx_with_document_padding,
    jsonl_row,
    set_declared_size,
    write_csv_with_long_field,
    write_docx,
    write_jsonl_with_long_line,
)

MiB = 1024 * 1024
FIELDS = {"id": "id", "user": "q", "assistant": "a"}
BASELINE = "bcfcfdd"  # main before the limits


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {cpu}, {mem:.1f} GiB RAM, Python {platform.python_version()}"


# -- inputs ------------------------------------------------------------------------------------


def jsonl_input(folder: Path, bomb: str | None) -> dict:
    """Rows t1 and t2, the bomb between them, then rows t3 to t2002 (2,002 in all)."""
    rows = [jsonl_row(i) for i in range(3, 2003)]
    path = folder / "t.jsonl"
    if bomb == "64 MB JSONL line":
        write_jsonl_with_long_line(path, 64 * MiB)
    elif bomb == "200 MB JSONL line":
        write_jsonl_with_long_line(path, 200 * MiB)
    else:
        middle = '{"id": "n", "q": ' + "9" * 5000 + ', "a": "x"}\n' if bomb else ""
        path.write_text(jsonl_row(1) + "\n" + middle + jsonl_row(2) + "\n")
    with open(path, "a") as fh:
        fh.write("\n".join(rows) + "\n")
    return {"type": "jsonl", "path": "t.jsonl", "fields": FIELDS}


def csv_input(folder: Path, bomb: str | None) -> dict:
    """Rows r1 and r3 around the bomb (row r2), then 2,000 more."""
    path = folder / "t.csv"
    if bomb:
        write_csv_with_long_field(path, 500 * MiB)
    else:
        path.write_text("id,q,a\nr1,My order has not arrived.,It ships tomorrow.\nr3,Where is my invoice?,In your account.\n")
    with open(path, "a", newline="") as fh:
        w = csv.writer(fh)
        for i in range(2000):
            w.writerow([f"c{i}", f"My order {i} has not arrived.", "It ships tomorrow."])
    return {"type": "csv", "path": "t.csv", "fields": FIELDS}


def markdown_input(folder: Path, bomb: str | None) -> dict:
    docs = folder / "docs"
    docs.mkdir()
    for i in range(50):
        (docs / f"page{i}.md").write_text(GOOD_PAGE.replace("Resetting a password", f"Resetting password {i}"))
    if bomb:
        (docs / "bomb.md").write_text(alias_bomb_page())
    return {"type": "docs", "path": "docs"}


def docx_input(folder: Path, bomb: str | None) -> dict:
    docs = folder / "docs"
    docs.mkdir()
    for i in range(10):
        write_docx(docs / f"guide{i}.docx", [f"Step {k} of guide {i}: hold the button." for k in range(30)])
    if bomb:
        docx_with_document_padding(docs / "guide0.docx", docs / "bomb.docx", 3_000_000_000)
        if "declares" in bomb:  # its directory says 100 kB: only inflating it tells
            set_declared_size(docs / "bomb.docx", "word/document.xml", 100_000)
    return {"type": "docs", "path": "docs"}


BOMBS = [
    ("front matter of nested YAML aliases", markdown_input),
    ("DOCX whose document.xml inflates to 3 GB", docx_input),
    ("DOCX that declares 100 kB for a document.xml inflating to 3 GB", docx_input),
    ("64 MB JSONL line", jsonl_input),
    ("200 MB JSONL line", jsonl_input),
    ("5,000-digit integer", jsonl_input),
    ("500 MB CSV field", csv_input),
]


# -- runs --------------------------------------------------------------------------------------


def run_ingest(folder: Path, pythonpath: str, cap_gb: float | None, timeout: float) -> dict:
    """`curate ingest` in its own process: exit code, seconds, peak RSS (MB), counts."""
    out = folder / "out.jsonl"
    for f in (out, folder / "out.rejects.jsonl"):
        f.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": pythonpath, "COLUMNS": "200"}

    def limit() -> None:
        if cap_gb:
            cap = int(cap_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    with open(folder / "stderr.txt", "wb") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-m", "curate", "ingest", "curate.yaml", "-o", str(out), "-q"],
                             cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=err,
                             preexec_fn=limit)  # noqa: PLW1509 - this script starts no threads
        killed = False
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - t0 > timeout:
                p.kill()
                killed = True
                _, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    records = len(out.read_bytes().splitlines()) if out.exists() else None
    rej_path = folder / "out.rejects.jsonl"
    rejects = [json.loads(x) for x in rej_path.read_text().splitlines()] if rej_path.exists() else []
    lines = (folder / "stderr.txt").read_text(errors="replace").strip().splitlines()
    return {"exit": "killed (time limit)" if killed else p.returncode, "seconds": round(seconds, 2),
            "peak_rss_mb": round(ru.ru_maxrss / 1024, 1), "records": records, "rejects": len(rejects),
            "reasons": [r["reason"] for r in rejects][:3], "last_error": lines[-1][:200] if lines else ""}


def prepare(folder: Path, build, bomb: str | None) -> None:
    folder.mkdir(parents=True)
    src = build(folder, bomb)
    (folder / "curate.yaml").write_text(yaml.safe_dump({"name": "bomb", "sources": [src]}))


def baseline_tree(rev: str, dest: Path) -> Path:
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", rev, "curate"], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


# -- throughput --------------------------------------------------------------------------------

# CPU seconds (user + system) of the read loop: on a shared machine, less disturbed by
# other jobs than wall-clock time
READ = """
import resource
from pathlib import Path
from curate.sources.base import SourceState, get_source_class
cfg = {cfg!r}
cls = get_source_class(cfg["type"])
conf = cls.Config.model_validate(cfg, context={{"base_dir": Path({base!r})}})
r0 = resource.getrusage(resource.RUSAGE_SELF)
n = sum(1 for _ in cls(conf, Path({base!r})).read(SourceState(Path({state!r}))))
r1 = resource.getrusage(resource.RUSAGE_SELF)
print(n, r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
"""


def throughput_cases(tmp: Path) -> list[tuple[str, dict, Path]]:
    bitext = DATA / "bitext-support" / "bitext_customer_support_training.csv"
    jsonl = tmp / "bitext.jsonl"
    with open(bitext, newline="", encoding="utf-8") as fh, open(jsonl, "w") as out:
        out.writelines(json.dumps(row) + "\n" for row in csv.DictReader(fh))
    fields = {"user": "instruction", "assistant": "response", "meta": ["category", "intent"]}
    return [
        ("bitext CSV", {"type": "csv", "path": str(bitext), "fields": fields}, bitext.parent),
        ("bitext as JSONL", {"type": "jsonl", "path": str(jsonl), "fields": fields}, tmp),
        ("React Native docs (md/mdx)", {"type": "docs", "path": str(DATA / "docs-react-native-versioned")}, DATA),
        ("Enron sample (mbox)", {"type": "email", "path": str(DATA / "email-enron-sample" / "enron_sample.mbox")}, DATA),
    ]


def read_rate(cfg: dict, base: Path, pythonpath: str, state: Path) -> tuple[int, float]:
    code = READ.format(cfg=cfg, base=str(base), state=str(state))
    r = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": pythonpath},
                       capture_output=True, text=True, check=True)
    n, s = r.stdout.split()
    return int(n), float(s)


# -- main --------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", default=BASELINE, help="git revision of the code before the limits")
    ap.add_argument("--cap-gb", type=float, default=4.0, help="virtual memory cap of a baseline run")
    ap.add_argument("--timeout", type=float, default=240.0, help="time limit of one baseline run (s)")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    started = datetime.now(timezone.utc)
    bombs, rates = [], []
    with tempfile.TemporaryDirectory(prefix="source-bombs-") as t:
        tmp = Path(t)
        base_code = baseline_tree(args.baseline, tmp / "baseline")
        new_code = str(ROOT)
        for name, build in BOMBS:
            print(f"{name} ...", flush=True)
            plain, bombed = tmp / "plain", tmp / "bombed"
            t0 = time.perf_counter()
            prepare(plain, build, None)
            prepare(bombed, build, name)
            made = time.perf_counter() - t0
            size = max(f.stat().st_size for f in bombed.rglob("*") if f.is_file())
            without = run_ingest(plain, new_code, None, 600)
            with_ = run_ingest(bombed, new_code, None, 600)
            before = run_ingest(bombed, str(base_code), args.cap_gb, args.timeout)
            row = {"bomb": name, "largest_file_bytes": size, "generated_s": round(made, 1), "without": without,
                   "with": with_, "added_peak_mb": round(with_["peak_rss_mb"] - without["peak_rss_mb"], 1) + 0.0,
                   "baseline_with": before}
            print(json.dumps(row), flush=True)
            bombs.append(row)
            shutil.rmtree(plain)
            shutil.rmtree(bombed)
        for label, cfg, base in throughput_cases(tmp):
            print(f"{label} ...", flush=True)
            runs: dict[str, list[tuple[int, float]]] = {"new": [], "baseline": []}
            for _ in range(args.repeat):  # interleaved, so that a busy spell hits both
                for which, pp in (("new", new_code), ("baseline", str(base_code))):
                    runs[which].append(read_rate(cfg, base, pp, tmp / f"state-{which}.json"))
            res = {which: {"events": r[0][0], "seconds": round(min(s for _, s in r), 3),
                           "median_s": round(statistics.median(s for _, s in r), 3)} for which, r in runs.items()}
            res["ratio"] = round(res["baseline"]["seconds"] / res["new"]["seconds"], 3)
            rates.append({"corpus": label, **res})
            print(json.dumps(rates[-1]), flush=True)
    result = {"machine": machine(), "started": started.isoformat(timespec="seconds"), "baseline": args.baseline,
              "cap_gb": args.cap_gb, "timeout_s": args.timeout, "bombs": bombs, "throughput": rates}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "source_bombs.json").write_text(json.dumps(result, indent=1) + "\n")
    (RESULTS / "source_bombs.md").write_text(render(result))
    print((RESULTS / "source_bombs.md").read_text())


def render(r: dict) -> str:
    out = [
        "# Hostile source files at ingest",
        "",
        f"Machine: {r['machine']}; {r['started']} UTC. Shared machine: other developers' jobs ran at the same time.",
        (f"`curate ingest` in its own process per run; peak RSS is the process's `ru_maxrss`. Baseline: the code at "
         f"`{r['baseline']}` (before the limits), run on the same bomb inputs under a {r['cap_gb']:g} GiB "
         f"virtual-memory cap and a {r['timeout_s']:.0f} s limit. Produced by `benchmarks/source_bombs.py`."),
        "",
        "| bomb | largest file | without: peak RSS | with: peak RSS | added | with: records / rejects | with: s | baseline with the bomb |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for b in r["bombs"]:
        w, wo, base = b["with"], b["without"], b["baseline_with"]
        if base["exit"] == 0:
            bl = f"exit 0, {base['records']} records, {base['rejects']} rejects, {base['peak_rss_mb']:,.0f} MB, {base['seconds']} s"
        else:
            bl = f"exit {base['exit']} after {base['seconds']} s, {base['peak_rss_mb']:,.0f} MB: `{base['last_error'][:90]}`"
        out.append(f"| {b['bomb']} | {b['largest_file_bytes']:,} B | {wo['peak_rss_mb']:,.0f} MB | {w['peak_rss_mb']:,.0f} MB | "
                   f"{round(b['added_peak_mb']) + 0:+,d} MB | {w['records']} / {w['rejects']} | {w['seconds']} | {bl} |")
    out += ["", "Reject reasons with the bomb:", ""]
    for b in r["bombs"]:
        out.append(f"- {b['bomb']}: " + "; ".join(f"`{x}`" for x in b["with"]["reasons"]))
    out += ["", "## Ordinary input: adapter throughput, new and baseline", "",
            ("CPU seconds (user + system) to read every event, each run in its own process, new and baseline interleaved; the fastest of the runs "
             "(the least disturbed on a shared machine), the median in brackets; `ratio` = baseline / new on the fastest "
             "runs (above 1: faster now)."), "",
            "| corpus | events | new s | baseline s | ratio |", "|---|---:|---:|---:|---:|"]
    for t in r["throughput"]:
        out.append(f"| {t['corpus']} | {t['new']['events']:,} | {t['new']['seconds']} ({t['new']['median_s']}) | "
                   f"{t['baseline']['seconds']} ({t['baseline']['median_s']}) | {t['ratio']} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
