"""PII on hostile input: 20 kB records built to make regular expressions backtrack (runs of
"a-", "A-", "Ab-", tabs then "@x.com", "+1", ASCII tables under an address line, ...) and
ordinary 20 kB ticket threads of the same size, redacted side by side in one run.

Two measurements:
- the done-when check of issue 23: the whole ``curate redact`` process (start, model load,
  worker pool, Parquet/JSONL in and out) on as many hostile records as ordinary ones, the
  two files alternated and each redacted REPEAT times; hostile must take at most 3x the
  ordinary wall time, and every hostile record must come out as a record or a quarantined
  drop (none lost, none passed on with its text unredacted);
- per family, the CPU seconds of one 20 kB record in this process (``Redactor``), against
  an ordinary record of the same size.

With ``--before PATH`` (a checkout of the code before, e.g. ``git archive REF | tar -x -C
/tmp/before``), each family's record is also redacted by that code in a subprocess, cut
off after ``--before-limit`` seconds.

    .venv/bin/python benchmarks/pii_hostile.py [--records 40] [--before /tmp/before]
    # writes benchmarks/results/pii_hostile.{md,json}
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "benchmarks" / "data" / "pii"))

RESULTS = ROOT / "benchmarks" / "results"
SIZE = 20_000


def run_of(unit: str, size: int, tail: str = "") -> str:
    body = size - len(tail)
    return (unit * (body // len(unit) + 1))[:body] + tail


#: family -> a 20 kB record; the first six are the rows of issue 23's table
FAMILIES: dict[str, str] = {
    "a-a-a-… strasse 5": run_of("a-", SIZE, " strasse 5"),
    "address line + ASCII table": ("Please ship to: 12 Main Street, Springfield, IL 62704\n\n"
                                   + run_of("+-------+-------+-------+\n| item  | qty   | price |\n", SIZE - 55)),
    "A-A-A-…": run_of("A-", SIZE),
    "Ab-Ab-Ab-…": run_of("Ab-", SIZE),
    "tabs then @x.com": run_of("\t", SIZE, "@x.com"),
    "+1+1+1…": run_of("+1", SIZE),
    "runs of -": run_of("-", SIZE, " 5 Street"),
    "runs of .": run_of(".", SIZE, "@x.com"),
    "a.a.a.…@x.com": run_of("a.", SIZE, "@x.com"),
    "digits": run_of("1", SIZE, " lives at"),
    "1 1 1 …": run_of("1 ", SIZE, ", NY 12345"),
    "Aa, Aa, … and Bo": run_of("Aa, ", SIZE, "and Bo"),
    "@@@…": run_of("@", SIZE),
    ":::…": run_of(":", SIZE),
    "'''…": run_of("'", SIZE),
    "blanks then wrote:": run_of(" ", SIZE, "Maria Lopez wrote:"),
    "name list": run_of("Maria Lopez, Jo Kim, Sam Patel, Ana Ruiz, ", SIZE, "and Bo Li"),
    "dense e-mails": run_of("jo.kim@example.com, ", SIZE),
    "dense phones": run_of("+44 20 7946 0958, ", SIZE),
    "weak SSNs": run_of("123 45 6789 ", SIZE),
    "key=value": run_of("secret_key=", SIZE, "abc123def456"),
}
ISSUE_FAMILIES = list(FAMILIES)[:6]


def ordinary_records(n: int, seed: int = 11) -> list[str]:
    """``n`` ordinary 20 kB texts: generated ticket messages (fake PII) joined."""
    from make_tickets import Gen

    gen = Gen(seed)
    out = []
    while len(out) < n:
        parts: list[str] = []
        size = 0
        while size < SIZE:
            m = gen.message().text
            parts.append(m)
            size += len(m) + 2
        out.append("\n\n".join(parts)[:SIZE])
    return out


def write_records(path: Path, texts: list[tuple[str, str]]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for rid, text in texts:
            fh.write(json.dumps({"id": rid, "text": text}, ensure_ascii=False) + "\n")


def curate_redact(inp: Path, out: Path, pythonpath: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds (with its workers) of one `curate redact` process."""
    env = {**os.environ, "PYTHONPATH": str(pythonpath), "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": ""}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "curate", "redact", str(inp), "-o", str(out), "-q"],
                       env=env, capture_output=True, text=True, cwd=inp.parent)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"curate redact failed:\n{r.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, r.stdout


def count_lines(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip()) if path.exists() else 0


def per_family(records: int) -> dict:
    """CPU seconds of one record of each family in this process, and of ordinary ones."""
    from curate.pii.config import RedactConfig
    from curate.pii.redactor import RecordIn, Redactor

    red = Redactor(RedactConfig())
    red.redact([RecordIn(None, [{"role": "user", "content": "warm up, Maria Lopez"}])])
    out = {}
    ordinary = ordinary_records(min(records, 5), seed=5)
    t = []
    for text in ordinary:
        c = time.process_time()
        red.redact([RecordIn(None, [{"role": "user", "content": text}])])
        t.append(time.process_time() - c)
    out["ordinary"] = {"cpu_s": round(statistics.median(t), 3)}
    for name, text in FAMILIES.items():
        c = time.process_time()
        o = red.redact([RecordIn(None, [{"role": "user", "content": text}])])[0]
        secs = time.process_time() - c
        out[name] = {"cpu_s": round(secs, 3), "x_ordinary": round(secs / out["ordinary"]["cpu_s"], 2),
                     "timed_out": o.timed_out, "pii": sum(o.pii.values())}
        print(f"  {name:28} {secs:7.3f} s ({out[name]['x_ordinary']}x ordinary)", flush=True)
    return out


_BEFORE_CODE = """
import json, sys, time
from curate.pii.config import RedactConfig
from curate.pii.redactor import RecordIn, Redactor
red = Redactor(RedactConfig())
red.redact([RecordIn(None, [{"role": "user", "content": "warm up, Maria Lopez"}])])
text = sys.stdin.read()
t = time.process_time()
red.redact([RecordIn(None, [{"role": "user", "content": text}])])
print(json.dumps({"cpu_s": time.process_time() - t}))
"""


def before(path: Path, limit: int, names: list[str]) -> dict:
    out = {}
    env = {**os.environ, "PYTHONPATH": str(path), "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": ""}
    texts = {"ordinary": ordinary_records(1, seed=5)[0], **{n: FAMILIES[n] for n in names}}
    for name, text in texts.items():
        try:
            r = subprocess.run([sys.executable, "-c", _BEFORE_CODE], input=text, env=env, cwd=path,
                               capture_output=True, text=True, timeout=limit)
            out[name] = {"cpu_s": round(json.loads(r.stdout.strip().splitlines()[-1])["cpu_s"], 3)}
        except subprocess.TimeoutExpired:
            out[name] = {"cpu_s": None, "over_s": limit}
        print(f"  before: {name:28} {out[name]}", flush=True)
    return out


def machine() -> dict:
    from pii_quality import machine as m

    info = m()
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        keep = ("Model name", "CPU(s)", "Thread(s) per core", "Core(s) per socket", "L3 cache")
        info["lscpu"] = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in lscpu.splitlines() if ":" in line)
                         if k.strip() in keep}
    except OSError:
        pass
    return info


def main() -> None:
    ap = argparse.ArgumentParser(description="PII redaction on hostile vs ordinary 20 kB records")
    ap.add_argument("--records", type=int, default=42, help="records per file (hostile: the families in turn)")
    ap.add_argument("--repeat", type=int, default=2, help="process runs of each file, alternated")
    ap.add_argument("--before", type=Path, help="a checkout of the code before, for a per-family comparison")
    ap.add_argument("--before-limit", type=int, default=120)
    ap.add_argument("--out", type=Path, default=RESULTS / "pii_hostile")
    args = ap.parse_args()
    info = machine()
    loads = {"start": os.getloadavg()}
    names = list(FAMILIES)
    hostile = [(f"h{i}", FAMILIES[names[i % len(names)]]) for i in range(args.records)]
    ordinary = [(f"o{i}", t) for i, t in enumerate(ordinary_records(args.records))]
    res: dict = {"records": args.records, "chars_per_record": SIZE, "families": names, "repeat": args.repeat}
    with tempfile.TemporaryDirectory(prefix="pii-hostile-") as tmp:
        d = Path(tmp)
        write_records(d / "hostile.jsonl", hostile)
        write_records(d / "ordinary.jsonl", ordinary)
        runs: dict[str, list] = {"ordinary": [], "hostile": []}
        for k in range(args.repeat):
            for side in ("ordinary", "hostile"):
                out = d / f"{side}-out-{k}.jsonl"
                wall, cpu, stdout = curate_redact(d / f"{side}.jsonl", out, ROOT)
                held = out.with_name(f"{out.stem}.quarantined{out.suffix}")
                runs[side].append({"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "records_out": count_lines(out),
                                   "quarantined": count_lines(held), "summary": stdout.strip().splitlines()[0]})
                print(side, runs[side][-1], flush=True)
        loads["after_processes"] = os.getloadavg()
    res["process"] = runs
    wall = {s: statistics.median(r["wall_s"] for r in runs[s]) for s in runs}
    cpu = {s: statistics.median(r["cpu_s"] for r in runs[s]) for s in runs}
    res["ratio_wall"] = round(wall["hostile"] / wall["ordinary"], 2)
    res["ratio_cpu"] = round(cpu["hostile"] / cpu["ordinary"], 2)
    res["every_hostile_record_accounted"] = all(r["records_out"] + r["quarantined"] == args.records for r in runs["hostile"])
    res["done_when_met"] = res["ratio_wall"] <= 3 and res["every_hostile_record_accounted"]
    print("per family (this process):", flush=True)
    res["per_family"] = per_family(args.records)
    if args.before:
        res["before"] = before(args.before, args.before_limit, ISSUE_FAMILIES)
    loads["end"] = os.getloadavg()
    info["load_avg"] = {k: [round(x, 2) for x in v] for k, v in loads.items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Path(str(args.out) + ".json").write_text(json.dumps({"machine": info, "results": res}, indent=2, ensure_ascii=False) + "\n")
    Path(str(args.out) + ".md").write_text(report(info, res))
    print(report(info, res))


def report(info: dict, res: dict) -> str:
    lc = info.get("lscpu", {})
    p = res["process"]
    lines = [
        "# PII redaction: hostile vs ordinary 20 kB records", "",
        f"Machine: {info['cores']} cores ({lc.get('Model name', info['cpu'])}), {info['ram_gib']} GiB RAM, "
        f"Python {info['python']}, {info['date']}. Shared with other developers while it ran: load average "
        f"{info['load_avg']['start']} at the start, {info['load_avg']['end']} at the end (1/5/15 min); the "
        "ratios are what was measured side by side. `benchmarks/pii_hostile.py`, one process run.", "",
        f"## The whole `curate redact` process: {res['records']} records of {res['chars_per_record']:,} characters each", "",
        f"Hostile file: the {len(res['families'])} families below in turn; ordinary file: generated ticket messages "
        f"(fake PII) joined to the same size. Each file redacted {res['repeat']} times, alternated; medians.", "",
        "| file | wall s (runs) | CPU s with workers (runs) | records out | quarantined |",
        "|---|---|---|---|---|",
    ]
    for side in ("ordinary", "hostile"):
        rs = p[side]
        lines.append(f"| {side} | {', '.join(str(r['wall_s']) for r in rs)} | {', '.join(str(r['cpu_s']) for r in rs)} | "
                     f"{rs[-1]['records_out']} | {rs[-1]['quarantined']} |")
    lines += [
        "",
        f"**Hostile / ordinary: {res['ratio_wall']}x wall, {res['ratio_cpu']}x CPU** (done when: at most 3x). "
        f"Every hostile record came out as a record or a quarantined drop: **{res['every_hostile_record_accounted']}**.", "",
        "## Per family: one 20 kB record in one process (CPU seconds)", "",
        "| family | CPU s | × ordinary | PII replaced | over budget |" + (" code before (CPU s) |" if "before" in res else ""),
        "|---|---|---|---|---|" + ("---|" if "before" in res else ""),
    ]
    b = res.get("before", {})

    def before_cell(name: str) -> str:
        if name not in b:
            return " – |" if b else ""
        v = b[name]
        return f" {v['cpu_s']} |" if v.get("cpu_s") is not None else f" > {v['over_s']} (cut off) |"

    pf = res["per_family"]
    lines.append(f"| ordinary ticket thread | {pf['ordinary']['cpu_s']} | 1.00 | – | – |" + before_cell("ordinary"))
    for name in res["families"]:
        v = pf[name]
        lines.append(f"| {name} | {v['cpu_s']} | {v['x_ordinary']} | {v['pii']} | {'yes' if v['timed_out'] else 'no'} |"
                     + before_cell(name))
    lines += ["", "NER (spaCy) runs over every record; the per-family time includes it. A hostile record costs "
              "more or less than an ordinary one by how many tokens and detections it holds, never by the "
              "square of its length.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
