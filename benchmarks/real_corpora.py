"""Real corpora end to end: does each become training data that trainers accept, and does
a corpus that cannot say why?

    .venv/bin/python benchmarks/real_corpora.py [--only NAME ...] [--work DIR]

For every corpus in :data:`CORPORA` (read from ../shared/data) the script writes a
curate.yaml into a work folder (default /tmp/curate-real-corpora) and runs, as a user
would, in subprocesses:

1. ``curate build`` with every stage (ingest, redact, dedupe, filter, embed, select,
   export): its exit code, and the one line a build says when its export is empty or far
   below the budget;
2. the funnel from the run's manifest, and the turns the ``turns:`` policy fixed at ingest;
3. a chat-template check: every exported chat through a strict Llama-2 chat template (the
   Jinja template inline, applied with transformers' ``apply_chat_template`` on a tokenizer
   built in memory: no hub download), and ``curate validate --strict``;
4. ``curate export RUN --format F`` for every format, each file loaded with ``datasets``
   (JSON read in 64 kB blocks, so a key missing from the first block fails as it would on a
   large file; the hf layout from its folder);
5. 5 exported examples drawn with a fixed seed, for a reviewer to judge. Their text is
   written only for corpora whose license allows it (``quotable``), else only their ids.

Results: benchmarks/results/real_corpora.json and real_corpora.md (the reviewer's verdicts
on the samples are in real_corpora_review.md, written by hand). Adding a corpus is one
:class:`Corpus` entry: its sources as a user would write them, its export format and budget.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
if not DATA.is_dir():  # a worktree beside the main checkout
    DATA = Path("/work/shared/data")
RESULTS = ROOT / "benchmarks" / "results"
SAMPLES = RESULTS / "real_corpora_samples"
sys.path.insert(0, str(ROOT))

from curate.export.config import FORMATS  # noqa: E402

SEED = 7
SAMPLE = 5
#: turns of a sample written out, and characters per turn
SAMPLE_CHARS = 1200

#: the Llama-2 chat template (as published with meta-llama/Llama-2-7b-chat-hf): roles must
#: alternate user/assistant after an optional system message, or it raises
LLAMA2_TEMPLATE = (
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
    "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
    "{% set system_message = false %}{% endif %}"
    "{% for message in loop_messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if loop.index0 == 0 and system_message != false %}"
    "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
    "{% else %}{% set content = message['content'] %}{% endif %}"
    "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' ' + content.strip() + ' ' + eos_token }}{% endif %}"
    "{% endfor %}"
)


@dataclass
class Corpus:
    name: str
    title: str
    license: str
    #: may its text be quoted in the committed samples?
    quotable: bool
    #: (data root, the corpus's work folder) -> entries of `sources:`
    sources: Callable[[Path, Path], list[dict[str, Any]]]
    #: openai (chat) or text (documents, for continued pre-training)
    format: str = "openai"
    budget: int = 200
    #: other config sections (turns:, filter:, ...)
    extra: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    #: also build with every turn kept as read (turns: keep), to count the exported chats a
    #: strict template refuses without the normalisation
    compare_turns: bool = False


CORPORA: list[Corpus] = [
    Corpus(
        "bitext", "Bitext customer support (4,514 single-turn exchanges)", "CDLA-Sharing-1.0", True,
        lambda d, w: [{"type": "csv", "name": "bitext", "kind": "ticket",
                       "path": str(d / "bitext-support" / "bitext_customer_support_training.csv"),
                       "fields": {"user": "instruction", "assistant": "response", "meta": ["category", "intent"]}}],
        budget=300,
    ),
    Corpus(
        "helpdesk", "Help-desk tickets, open-ticket v1 (600, five languages)", "CC-BY-NC-4.0", False,
        lambda d, w: [{"type": "csv", "name": "helpdesk", "kind": "ticket", "subject_in_user_turn": True,
                       "path": str(d / "support-tickets-openticket-v1" / "helpdesk_customer_tickets.csv"),
                       "fields": {"id": "id", "title": "subject", "user": "body", "assistant": "answer",
                                  "meta": ["type", "queue", "priority", "language"]}}],
        budget=100,
    ),
    Corpus(
        "twitter", "Customer support on Twitter, threads (TWCS sample, 355 tweets)", "CC-BY-NC-SA-4.0", False,
        lambda d, w: [{"type": "csv", "name": "twcs", "kind": "chat",
                       "path": str(d / "twcs-labeled-sample" / "twcs-*-preprocessed-*.csv"),
                       "fields": {"id": "tweet_id", "text": "text", "thread_by": "main_tweet_id",
                                  "in_reply_to": "in_response_to_tweet_id", "inbound": "inbound",
                                  "order_by": "created_at", "meta": ["company"]}}],
        budget=60, compare_turns=True,
        note="tweets grouped into threads by the csv source (thread_by main_tweet_id, reply links, inbound for "
             "the customer side, in time order)",
    ),
    Corpus(
        "abcd", "ABCD dialogues (3-conversation sample)", "MIT", True,
        lambda d, w: [{"type": "jsonl", "name": "abcd", "kind": "chat",
                       "path": str(d / "abcd-sample" / "abcd_sample.json"), "roles": {"action": "system"},
                       "fields": {"id": "convo_id", "messages": "original",
                                  "meta": ["scenario.flow", "scenario.subflow"]}}],
        budget=3, compare_turns=True,
        note="a JSON array read as it is, [speaker, text] pairs as turns; `action` turns (the agent's tool "
             "actions) mapped to system",
    ),
    Corpus(
        "enron", "Enron e-mail (103 messages, mbox)", "public record (FERC release); real personal data", False,
        lambda d, w: [{"type": "email", "name": "enron", "path": str(d / "email-enron-sample" / "enron_sample.mbox"),
                       "support_domains": ["enron.com"]}],
        budget=40,
        note="as support mail: senders at enron.com are the agent",
    ),
    Corpus(
        "notmuch", "notmuch test corpora (321 Maildir messages)", "GPL-3.0 (notmuch); mailing-list posts", False,
        lambda d, w: [{"type": "email", "name": "notmuch", "path": str(d / "email-notmuch-maildir" / "test" / "corpora"),
                       "support_addresses": ["cworth@cworth.org", "davem@davemloft.net", "broonie@opensource.wolfsonmicro.com"]}],
        budget=40, compare_turns=True,
        note="the maintainers who answer patches and questions are the agent",
    ),
    Corpus(
        "postgresql", "PostgreSQL 15 HTML docs, SQL command reference (sql-*.html)", "PostgreSQL License", True,
        lambda d, w: [{"type": "docs", "name": "pg", "path": str(d / "docs-postgresql15-html" / "html"),
                       "include": ["sql-*.html"], "base_url": "https://www.postgresql.org/docs/15/"}],
        format="text", budget=300,
    ),
    Corpus(
        "react-native", "React Native docs, version 0.86 (md/mdx)", "CC-BY-4.0 (docs)", True,
        lambda d, w: [{"type": "docs", "name": "rn",
                       "path": str(d / "docs-react-native-versioned" / "website" / "versioned_docs" / "version-0.86")}],
        format="text", budget=300,
    ),
]


# -- running ---------------------------------------------------------------------------------


def curate(*args: str, cwd: Path, timeout: int = 3600) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "160", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "curate", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def said(proc: subprocess.CompletedProcess) -> list[str]:
    """The error, warning and note lines a command printed."""
    return [line.strip() for line in proc.stderr.splitlines() if line.strip().startswith(("error:", "warning:", "note:"))]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()] if path.exists() else []


def data_files(folder: Path) -> dict[str, str]:
    return {s: str(folder / f"{s}.jsonl") for s in ("train", "eval", "test") if (folder / f"{s}.jsonl").exists()}


def strict_tokenizer():
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    model = WordLevel({"<unk>": 0, "<s>": 1, "</s>": 2}, unk_token="<unk>")
    return PreTrainedTokenizerFast(tokenizer_object=Tokenizer(model), bos_token="<s>", eos_token="</s>", unk_token="<unk>")


def template_check(rows: list[dict[str, Any]]) -> dict[str, Any]:
    tok = strict_tokenizer()
    failed = []
    for row in rows:
        msgs = [{"role": m["role"], "content": m["content"]} for m in row["messages"]]
        try:
            tok.apply_chat_template(msgs, tokenize=False, chat_template=LLAMA2_TEMPLATE)
        except Exception as exc:  # jinja's TemplateError from raise_exception
            failed.append({"id": (row.get("metadata") or {}).get("id"), "error": str(exc)[:120]})
    return {"template": "Llama-2 chat (strict alternation)", "checked": len(rows), "failed": len(failed),
            "failures": failed[:5]}


def load_with_datasets(folder: Path, fmt: str) -> dict[str, Any]:
    import tempfile

    import datasets
    from datasets import load_dataset

    datasets.disable_progress_bars()
    # a fresh cache each time: datasets keys a folder's cache on its name and its files'
    # relative paths, so every corpus's hf/ folder would read the first one's rows
    cache = tempfile.mkdtemp(prefix="curate-ds-")
    try:
        if fmt == "hf":
            ds = load_dataset(str(folder), cache_dir=cache)
        else:
            files = data_files(folder)
            if not files:
                return {"loaded": None, "rows": 0}
            ds = load_dataset("json", data_files=files, chunksize=64 << 10, cache_dir=cache)
        return {"loaded": True, "rows": sum(ds[s].num_rows for s in ds), "columns": sorted(next(iter(ds.values())).column_names)}
    except Exception as exc:
        return {"loaded": False, "error": f"{type(exc).__name__}: {str(exc)[:160]}"}
    finally:
        import shutil

        shutil.rmtree(cache, ignore_errors=True)


def config_of(c: Corpus, work: Path) -> dict[str, Any]:
    return {
        "name": c.name,
        "description": c.title,
        "sources": c.sources(DATA, work),
        "select": {"budget": c.budget},
        "export": {"format": c.format, "metadata": ["id"], "split": {"eval": 0.1}},
        **c.extra,
    }


def funnel(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, e in manifest.get("stages", {}).items():
        rows.append({"stage": name, "status": e.get("status"), "in": e.get("records_in"), "out": e.get("records_out"),
                     "dropped": e.get("dropped") or {}, "rejected": e.get("rejected", 0), "seconds": e.get("seconds")})
    return rows


def run_corpus(c: Corpus, work_root: Path) -> dict[str, Any]:
    import yaml

    work = work_root / c.name
    work.mkdir(parents=True, exist_ok=True)
    (work / "curate.yaml").write_text(yaml.safe_dump(config_of(c, work), sort_keys=False, allow_unicode=True))
    t0 = time.perf_counter()
    proc = curate("build", "curate.yaml", "-q", "--runs-dir", "runs", cwd=work)
    out: dict[str, Any] = {"corpus": c.name, "title": c.title, "license": c.license, "note": c.note,
                           "format": c.format, "budget": c.budget, "build_exit": proc.returncode,
                           "build_said": said(proc), "build_seconds": round(time.perf_counter() - t0, 1)}
    run = work / "runs" / c.name
    if not (run / "manifest.json").exists():
        out["failure"] = proc.stderr[-1500:]
        return out
    manifest = json.loads((run / "manifest.json").read_text())
    stages = manifest.get("stages", {})
    out["funnel"] = funnel(manifest)
    out["turn_fixes"] = ((stages.get("ingest") or {}).get("stats") or {}).get("turn_fixes", {})
    out["exported"] = (stages.get("export") or {}).get("records_out")
    export_dir = run / "export"
    rows = [r for s in ("train", "eval", "test") for r in read_jsonl(export_dir / f"{s}.jsonl")]
    if c.format == "openai" and rows:
        out["chat_template"] = template_check(rows)
        from curate.export.validate import validate_file

        strict = [validate_file(Path(f), "openai", strict=True) for f in data_files(export_dir).values()]
        out["validate_strict"] = {"lines": sum(r.rows for r in strict), "invalid": sum(r.invalid for r in strict),
                                  "problems": [p.message for r in strict for p in r.problems][:5]}
    if c.compare_turns:
        out["without_normalisation"] = unnormalised(c, work_root)
    # every format, loaded with datasets
    formats: dict[str, Any] = {}
    for fmt in FORMATS:
        dest = work / "exports" / fmt
        p = curate("export", str(run), "-o", str(dest), "--format", fmt, "--min-examples", "0", "--force", cwd=work)
        m = json.loads((dest / "manifest.json").read_text()) if (dest / "manifest.json").exists() else {}
        entry = {"exit": p.returncode, "examples": m.get("records_out"), "dropped": m.get("dropped"), "said": said(p)}
        if m.get("records_out"):
            entry["datasets"] = load_with_datasets(dest, fmt)
        formats[fmt] = entry
    out["formats"] = formats
    # samples for review
    rng = random.Random(SEED)
    picked = rng.sample(rows, min(SAMPLE, len(rows))) if rows else []
    out["samples"] = [(r.get("metadata") or {}).get("id") for r in picked]
    if c.quotable and picked:
        SAMPLES.mkdir(parents=True, exist_ok=True)
        with open(SAMPLES / f"{c.name}.jsonl", "w", encoding="utf-8") as fh:
            for r in picked:
                fh.write(json.dumps(_short(r), ensure_ascii=False) + "\n")
    if picked:  # every corpus's samples, whole, in the work folder (not committed)
        with open(work / "samples.jsonl", "w", encoding="utf-8") as fh:
            for r in picked:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return out


#: the turns: policy that keeps every turn as read (the behaviour before normalisation)
KEEP_TURNS = {"merge_same_role": False, "leading_assistant": "keep", "inner_system": "keep"}


def unnormalised(c: Corpus, work_root: Path) -> dict[str, Any]:
    """The same build with every turn kept as read: how many of its exported chats a strict
    chat template refuses, and how many `curate validate --strict` flags."""
    import yaml

    from curate.export.validate import validate_file

    work = work_root / f"{c.name}-keep-turns"
    work.mkdir(parents=True, exist_ok=True)
    cfg = {**config_of(c, work), "name": f"{c.name}-keep-turns", "turns": KEEP_TURNS}
    (work / "curate.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
    proc = curate("build", "curate.yaml", "-q", "--runs-dir", "runs", cwd=work)
    export_dir = work / "runs" / cfg["name"] / "export"
    rows = [r for s in ("train", "eval", "test") for r in read_jsonl(export_dir / f"{s}.jsonl")]
    strict = [validate_file(Path(f), "openai", strict=True) for f in data_files(export_dir).values()]
    return {"turns": KEEP_TURNS, "build_exit": proc.returncode, "exported": len(rows),
            "chat_template": template_check(rows) if rows else None,
            "validate_strict_invalid": sum(r.invalid for r in strict)}


def _short(row: dict[str, Any]) -> dict[str, Any]:
    if "messages" in row:
        return {**row, "messages": [{**m, "content": _cut(m["content"])} for m in row["messages"]]}
    if "text" in row:
        return {**row, "text": _cut(row["text"])}
    return row


def _cut(text: str) -> str:
    return text if len(text) <= SAMPLE_CHARS else text[:SAMPLE_CHARS] + f" … [{len(text) - SAMPLE_CHARS:,} more characters]"


# -- the report ------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def _drops(d: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(d.items(), key=lambda kv: -kv[1])) or "—"


def markdown(results: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = ["# Real corpora end to end", "",
             f"Run {meta['date']} on {meta['machine']} (a machine shared with other jobs: timings are indicative). "
             "`benchmarks/real_corpora.py` builds each corpus from `../shared/data` with every stage, checks the "
             "exported chats with a strict Llama-2 chat template and `curate validate --strict`, exports every format "
             "and loads each with `datasets` (JSON in 64 kB blocks). The reviewer's verdicts on the samples are in "
             "[real_corpora_review.md](real_corpora_review.md).", "",
             "| corpus | license | build exit | exported | chat template (failed / checked) | the same, turns kept as read | validate --strict | formats loaded by datasets |",
             "|---|---|---:|---:|---|---|---|---|"]
    for r in results:
        tmpl = r.get("chat_template")
        strict = r.get("validate_strict")
        fmts = r.get("formats") or {}
        loaded = [f for f, e in fmts.items() if (e.get("datasets") or {}).get("loaded")]
        failed = [f for f, e in fmts.items() if (e.get("datasets") or {}).get("loaded") is False]
        empty = [f for f, e in fmts.items() if not e.get("examples")]
        fmt_text = f"{len(loaded)} of {len(fmts)}" + (f"; failed: {', '.join(failed)}" if failed else "") + (
            f"; no examples: {', '.join(empty)}" if empty else "")
        keep = (r.get("without_normalisation") or {}).get("chat_template")
        lines.append(
            f"| {r['corpus']} | {r['license']} | {r['build_exit']} | {r.get('exported', '—')} | "
            + (f"{tmpl['failed']} / {tmpl['checked']}" if tmpl else "— (text format)" if r["format"] == "text" else "—")
            + " | " + (f"{keep['failed']} / {keep['checked']}" if keep else "—")
            + " | " + (f"{strict['invalid']} of {strict['lines']} lines invalid" if strict else "—")
            + f" | {fmt_text} |")
    lines.append("")
    for r in results:
        lines += [f"## {r['corpus']}: {r['title']}", ""]
        if r.get("note"):
            lines += [f"Setup: {r['note']}.", ""]
        lines += [f"Export format of the build: `{r['format']}`, select budget {r['budget']}; build exit code "
                  f"{r['build_exit']} in {r['build_seconds']} s."]
        for s in r.get("build_said") or []:
            lines.append(f"The build said: `{s}`")
        lines.append("")
        if r.get("failure"):
            lines += ["The build failed before writing a manifest:", "", "```", r["failure"], "```", ""]
            continue
        lines += ["| stage | status | in | out | dropped | rejected | seconds |", "|---|---|---:|---:|---|---:|---:|"]
        for f in r.get("funnel") or []:
            lines.append(f"| {f['stage']} | {f['status']} | {f['in'] if f['in'] is not None else '—'} | "
                         f"{f['out'] if f['out'] is not None else '—'} | {_drops(f['dropped'])} | {f['rejected']} | "
                         f"{f['seconds'] if f['seconds'] is not None else '—'} |")
        lines.append("")
        if r.get("turn_fixes"):
            lines += [f"Turns fixed at ingest (records): {_drops(r['turn_fixes'])}.", ""]
        if r.get("chat_template"):
            t = r["chat_template"]
            lines.append(f"Chat template ({t['template']}): {t['failed']} of {t['checked']} exported chats refused.")
        if r.get("validate_strict"):
            v = r["validate_strict"]
            lines.append(f"`curate validate --strict`: {v['invalid']} of {v['lines']} lines break strict alternation.")
        keep = r.get("without_normalisation")
        if keep and keep.get("chat_template"):
            t = keep["chat_template"]
            lines.append(f"The same build with every turn kept as read (`turns:` {json.dumps(keep['turns'])}): "
                         f"{t['failed']} of {t['checked']} exported chats refused by the template, "
                         f"{keep['validate_strict_invalid']} flagged by `curate validate --strict`.")
        lines += ["", "| format | examples | left out at export | datasets |", "|---|---:|---|---|"]
        for fmt, e in (r.get("formats") or {}).items():
            ds = e.get("datasets")
            ds_text = ("loads, " + f"{ds['rows']:,} rows") if ds and ds.get("loaded") else (
                f"fails: {ds.get('error')}" if ds else "— (no examples)")
            lines.append(f"| {fmt} | {e.get('examples') if e.get('examples') is not None else '—'} | "
                         f"{_drops(e.get('dropped') or {})} | {ds_text} |")
        ids = ", ".join(f"`{i}`" for i in r.get("samples") or [])
        lines += ["", "Samples for review (ids): " + (ids or "none (nothing exported)"), ""]
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="corpora to run (default: all): " + ", ".join(c.name for c in CORPORA))
    ap.add_argument("--work", type=Path, default=Path("/tmp/curate-real-corpora"), help="work folder (configs, runs, exports)")
    ap.add_argument("--no-write", action="store_true", help="print the results, do not write benchmarks/results")
    args = ap.parse_args()
    chosen = [c for c in CORPORA if not args.only or c.name in args.only]
    results_path = RESULTS / "real_corpora.json"
    previous = json.loads(results_path.read_text()).get("corpora", []) if results_path.exists() else []
    results = {r["corpus"]: r for r in previous}
    for c in chosen:
        print(f"{c.name}: building ...", flush=True)
        r = run_corpus(c, args.work)
        results[c.name] = r
        print(f"{c.name}: exit {r['build_exit']}, exported {r.get('exported')}, {r['build_seconds']} s; "
              + "; ".join(r.get("build_said") or []), flush=True)
    ordered = [results[c.name] for c in CORPORA if c.name in results]
    meta = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine()}
    if args.no_write:
        print(json.dumps(ordered, indent=1))
        return 0
    results_path.write_text(json.dumps({"run": meta, "corpora": ordered}, indent=1, ensure_ascii=False) + "\n")
    (RESULTS / "real_corpora.md").write_text(markdown(ordered, meta))
    print(f"wrote {results_path} and {RESULTS / 'real_corpora.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
