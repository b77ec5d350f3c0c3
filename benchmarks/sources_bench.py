"""Source adapters on the real corpora in ../shared/data: documents per second of each
adapter, side by side with a baseline measured in the same run, plus the integration
checks the adapters must pass on those corpora.

    .venv/bin/python benchmarks/sources_bench.py [--repeat 3]

Adapters and their baselines (the baseline is the least work that still reads the input):

- email, Enron sample (103 .eml files) and the notmuch test corpora (320 messages in
  Maildirs, with duplicate copies and broken messages): the adapter (parse, decode MIME,
  strip quotes and signatures, thread, collapse duplicates) vs. the standard library
  parsing every message with its modern API (``email.message_from_bytes`` with
  ``policy.default``, ``get_body``, ``get_content``). Documents = messages.
- docs, React Native Markdown/MDX (every .md/.mdx of the repository's docs and 10 versioned
  copies): the adapter (front matter, MDX removal, partials, sections, chunks) vs.
  markdown-it-py parsing each file to tokens. Documents = files.
- docs, PostgreSQL 15 HTML (1,169 pages): the adapter (selectolax boilerplate removal and
  heading structure, chunks) vs. trafilatura's main-text extraction of each page.

Integration checks (printed and written with the figures): notmuch's duplicate copies
collapse (every Message-ID once) and its malformed messages are rejected with reasons;
no MDX import/export line or JSX tag of the React Native docs reaches the text outside
code blocks; no navigation line of the PostgreSQL pages reaches the text.

Writes benchmarks/results/sources.md and benchmarks/results/sources.json.
"""

from __future__ import annotations

import argparse
import email
import json
import os
import platform
import re
import statistics
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from email import policy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))

from curate.sources.base import Reject, Skip, SourceState, get_source_class


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        kb = int(next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return {"cores": str(os.cpu_count()), "cpu": cpu, "ram": mem, "python": platform.python_version(),
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "note": "shared machine: other developers' jobs run at the same time; compare the ratios, not the absolute figures"}


def run_adapter(type_: str, cfg: dict, base: Path) -> tuple[list, float]:
    cls = get_source_class(type_)
    conf = cls.Config.model_validate({"type": type_, **cfg}, context={"base_dir": base})
    src = cls(conf, base)
    t0 = time.perf_counter()
    events = list(src.read(SourceState(Path("/nonexistent/state.json"))))
    return events, time.perf_counter() - t0


def timed(fn, repeat: int) -> tuple[object, float]:
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, statistics.median(times)


# -- baselines ----------------------------------------------------------------------------------


def stdlib_email(files: list[Path]) -> int:
    n = 0
    for f in files:
        raw = f.read_bytes()
        if raw.startswith(b"From "):
            raw = raw.partition(b"\n")[2]
        msg = email.message_from_bytes(raw, policy=policy.default)
        body = msg.get_body(("plain", "html"))
        if body is not None:
            try:
                body.get_content()
            except (LookupError, UnicodeError, KeyError):
                pass
        n += 1
    return n


def markdown_it(files: list[Path]) -> int:
    from markdown_it import MarkdownIt

    md = MarkdownIt()
    for f in files:
        md.parse(f.read_text(encoding="utf-8"))
    return len(files)


def trafilatura_pages(files: list[Path]) -> int:
    import trafilatura

    for f in files:
        trafilatura.extract(f.read_text(encoding="utf-8", errors="replace"), include_tables=True)
    return len(files)


# -- integration checks -----------------------------------------------------------------------


def prose(text: str):
    fence = False
    for line in text.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
            continue
        if not fence:
            yield re.sub(r"`[^`]*`", "", line)


def check_notmuch(events: list, corpus: Path) -> dict:
    recs = [e for e in events if isinstance(e, dict)]
    rejects = [e for e in events if isinstance(e, Reject)]
    skips = Counter(e.reason for e in events if isinstance(e, Skip))
    # independent count: distinct Message-IDs among the files that parse with a From header
    ids: Counter = Counter()
    for f in sorted(p for p in corpus.rglob("*") if p.is_file() and p.name != "README"):
        raw = f.read_bytes()
        if raw.startswith(b"From "):
            raw = raw.partition(b"\n")[2]
        mid = email.message_from_bytes(raw, policy=policy.compat32).get("Message-ID")
        if mid:
            ids[mid.strip()] += 1
    copies = sum(n - 1 for n in ids.values())
    in_threads = sum(json.loads(r["meta"])["message_count"] for r in recs)
    thread_skips = skips["encrypted"] + skips["no_text"]
    return {
        "messages": sum(1 for f in corpus.rglob("*") if f.is_file() and f.name != "README"),
        "threads": len(recs),
        "messages_in_threads": in_threads,
        "duplicate_copies_skipped": skips["duplicate_copy"],
        "duplicate_copies_expected (same Message-ID, stdlib count)": copies,
        "threads_skipped": {k: v for k, v in skips.items() if k != "duplicate_copy"},
        "thread_skips": thread_skips,
        "rejects": [{"file": str(Path(r.locator).relative_to(corpus)) if r.locator.startswith(str(corpus)) else r.locator, "reason": r.reason} for r in rejects],
    }


def check_rn(events: list) -> dict:
    bad = Counter()
    examples = []
    for e in events:
        if not isinstance(e, dict):
            continue
        for line in prose(e["messages"][0]["content"]):
            for name, pat in (("import/export line", r"^\s*(import|export)\s"), ("JSX tag", r"</?[A-Z][A-Za-z]+[\s/>]"),
                              ("admonition fence", r"^:::")):
                if re.search(pat, line):
                    bad[name] += 1
                    if len(examples) < 5:
                        examples.append((e["locator"], line[:100]))
    return {"leftovers": dict(bad), "examples": examples}


def check_pg(events: list) -> dict:
    bad = Counter()
    nav = {"Prev", "Next", "Up", "Home", "Prev Up Next", "Submit correction", "Table of Contents"}
    for e in events:
        if not isinstance(e, dict):
            continue
        for line in e["messages"][0]["content"].split("\n"):
            s = line.strip()
            if s in nav or s.startswith("If you see anything in the documentation that is not correct"):
                bad[s[:40]] += 1
    return {"navigation_lines": dict(bad)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (the median is reported)")
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"{DATA} not found: the benchmark reads the shared corpora")
    rows = []
    checks = {}

    def bench(label: str, type_: str, cfg: dict, base: Path, n_docs: int, baseline_name: str, baseline) -> list:
        events, secs = None, []
        for _ in range(args.repeat):
            events, s = run_adapter(type_, cfg, base)
            secs.append(s)
        adapter_s = statistics.median(secs)
        _, base_s = timed(baseline, args.repeat)
        recs = sum(1 for e in events if isinstance(e, dict))
        rows.append({
            "corpus": label, "adapter": type_, "documents": n_docs, "records": recs,
            "adapter_docs_per_s": round(n_docs / adapter_s, 1), "baseline": baseline_name,
            "baseline_docs_per_s": round(n_docs / base_s, 1), "adapter_vs_baseline": round(base_s / adapter_s, 3),
        })
        print(f"{label:32s} {type_:6s} {n_docs:6d} docs  {n_docs / adapter_s:9.1f} docs/s  "
              f"baseline {baseline_name}: {n_docs / base_s:9.1f} docs/s  ratio {base_s / adapter_s:.2f}", flush=True)
        return events

    enron = DATA / "email-enron-sample" / "eml"
    enron_files = sorted(enron.glob("*.eml"))
    bench("Enron sample (.eml)", "email", {"path": str(enron), "support_domains": ["enron.com"]}, ROOT,
          len(enron_files), "stdlib email parse", lambda: stdlib_email(enron_files))
    enron_mbox = DATA / "email-enron-sample" / "enron_sample.mbox"
    bench("Enron sample (mbox)", "email", {"path": str(enron_mbox)}, ROOT, len(enron_files),
          "stdlib email parse", lambda: stdlib_email(enron_files))

    notmuch = DATA / "email-notmuch-maildir" / "test" / "corpora"
    nm_files = sorted(p for p in notmuch.rglob("*") if p.is_file() and p.name != "README")
    events = bench("notmuch corpora (Maildir)", "email", {"path": str(notmuch), "exclude": ["README"]}, ROOT,
                   len(nm_files), "stdlib email parse", lambda: stdlib_email(nm_files))
    checks["notmuch"] = check_notmuch(events, notmuch)

    rn = DATA / "docs-react-native-versioned"
    rn_files = sorted(p for p in rn.rglob("*") if p.suffix in (".md", ".mdx") and not p.name.startswith("_") and p.name != "README.md")
    events = bench("React Native docs (md/mdx)", "docs", {"path": str(rn), "exclude": ["**/_*", "_*", "README.md"]}, ROOT,
                   len(rn_files), "markdown-it parse", lambda: markdown_it(rn_files))
    checks["react_native"] = check_rn(events)

    pg = DATA / "docs-postgresql15-html" / "html"
    pg_files = sorted(pg.glob("*.html"))
    events = bench("PostgreSQL 15 HTML", "docs", {"path": str(pg)}, ROOT, len(pg_files),
                   "trafilatura extract", lambda: trafilatura_pages(pg_files))
    checks["postgresql"] = check_pg(events)
    checks["postgresql"]["skipped"] = dict(Counter(e.reason for e in events if isinstance(e, Skip)))

    m = machine()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sources.json").write_text(json.dumps({"machine": m, "results": rows, "checks": checks}, indent=2, ensure_ascii=False) + "\n")
    lines = [
        "# Source adapters: documents per second",
        "",
        f"Machine: {m['cores']} cores, {m['cpu']}, {m['ram']} RAM, Python {m['python']}; {m['date']}.",
        f"{m['note'].capitalize()}. Median of {args.repeat} runs; `ratio` = baseline time / adapter time "
        "(below 1: the adapter does more work than its baseline).",
        "",
        "| corpus | adapter | documents | records | adapter docs/s | baseline | baseline docs/s | ratio |",
        "|---|---|---:|---:|---:|---|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['corpus']} | {r['adapter']} | {r['documents']} | {r['records']} | {r['adapter_docs_per_s']} | "
                     f"{r['baseline']} | {r['baseline_docs_per_s']} | {r['adapter_vs_baseline']} |")
    nm = checks["notmuch"]
    lines += [
        "",
        "## Integration checks",
        "",
        f"- notmuch corpora: {nm['messages']} message files → {nm['threads']} threads holding "
        f"{nm['messages_in_threads']} messages; {nm['duplicate_copies_skipped']} duplicate copies skipped "
        f"(files sharing a Message-ID, counted independently with the standard library: "
        f"{nm['duplicate_copies_expected (same Message-ID, stdlib count)']}); threads skipped: {nm['threads_skipped']}.",
        "- notmuch rejects: " + "; ".join(f"`{r['file']}`: {r['reason']}" for r in nm["rejects"]),
        f"- React Native docs, lines outside code blocks that still hold MDX syntax: {checks['react_native']['leftovers'] or 'none'}.",
        f"- PostgreSQL HTML, navigation lines left in the text: {checks['postgresql']['navigation_lines'] or 'none'}; "
        f"skipped: {checks['postgresql']['skipped']} (chapter pages that hold only a table of contents).",
        "",
    ]
    (RESULTS / "sources.md").write_text("\n".join(lines))
    print("\n".join(lines[-7:]))


if __name__ == "__main__":
    main()
