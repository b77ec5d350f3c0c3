"""The export: examples per split, a histogram of tokens per example and the training
cost estimate."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import polars as pl

from curate.report.charts import histogram
from curate.report.data import RunData
from curate.report.html import Html, esc, fmt_int, fmt_num, is_number, join, tag
from curate.report.panels.base import Panel, details, kpis, not_run, note, stats_table, table

log = logging.getLogger("curate")

SPLITS = ("train", "eval", "test")
MAX_EXAMPLES = 50_000  # per split, for the histogram (totals always come from the export)
_SHAREGPT = {"system": "system", "human": "user", "gpt": "assistant"}


def build(data: RunData) -> Panel:
    title = "Export"
    e = data.entry("export")
    if e is None:
        status = data.status("export")
        return not_run("export", title,
                       "The export is switched off for this build." if status == "disabled"
                       else f"The export stage has not completed ({status})." if status
                       else "The export stage has not run in this build.",
                       "<code>curate export RUN -o DIR</code> writes the training files from a finished run.")
    st = data.stats("export")
    splits = st.get("splits") if isinstance(st.get("splits"), dict) else {}
    cost = st.get("cost") if isinstance(st.get("cost"), dict) else {}
    tok = st.get("tokens") if isinstance(st.get("tokens"), dict) else {}
    n_examples = sum(int(v.get("examples") or 0) for v in splits.values() if isinstance(v, dict)) or e.get("records_out")
    train = splits.get("train") if isinstance(splits.get("train"), dict) else {}

    amount = cost.get("amount")
    cur = cost.get("currency") or ""
    if is_number(amount):
        how = (f"{fmt_int(cost.get('train_tokens'))} tokens × {fmt_int(cost.get('epochs'))} epochs × "
               f"{fmt_num(cost.get('price_per_million_tokens'))} {cur} per million")
        cost_kpi = ("training cost estimate", f"{fmt_num(amount)} {cur}".strip(), how)
    else:
        cost_kpi = ("training cost estimate", None,
                    "set export.cost.price_per_million_tokens" if cost else "no cost figures")
    body: list[Html] = [kpis([
        ("examples exported", n_examples, st.get("format") or ""),
        ("training tokens", train.get("tokens"), "train split" + (" (estimated)" if tok.get("exact") is False else "")),
        ("trained tokens", cost.get("trained_tokens"), f"× {cost.get('epochs')} epochs" if cost.get("epochs") else ""),
        cost_kpi,
    ])]

    if splits:
        rows = []
        for name, v in splits.items():
            if not isinstance(v, dict):
                continue
            rows.append([name, fmt_int(v.get("examples")), fmt_int(v.get("tokens")), fmt_int(v.get("assistant_tokens")),
                         fmt_num(v.get("mean_tokens")), fmt_int(v.get("max_tokens")), fmt_int(v.get("groups"))])
        body.append(table(["split", "examples", "tokens", "assistant tokens", "mean per example", "longest",
                           "groups kept together"], rows, num=range(1, 7)))

    bins, how = token_histogram(data, st)
    if bins:
        body += [tag("h3", "Tokens per example"), histogram(bins, xlabel="tokens per example",
                                                            ylabel="examples", aria="histogram of tokens per example")]
    if tok.get("tokenizer") or how:
        body.append(note(Html("Tokens counted with " + str(tag("b", str(tok.get("tokenizer") or "the export's tokenizer")))
                              + (". " + str(esc(how)) if how else "."))))

    extra = []
    leak = st.get("leakage")
    if isinstance(leak, dict) and is_number(leak.get("held_out")):
        extra.append(("held-out examples mostly made of training n-grams",
                      f"{fmt_int(leak.get('eval_near_train'))} of {fmt_int(leak.get('held_out'))}"))
    decon = st.get("decontamination")
    if isinstance(decon, dict) and decon.get("files"):
        extra.append(("left out by decontamination", fmt_int(decon.get("dropped"))))
    labels = st.get("labels")
    if isinstance(labels, dict) and labels.get("used"):
        decisions = labels.get("decisions") if isinstance(labels.get("decisions"), dict) else {}
        extra.append(("reviewed labels", f"{labels.get('policy') or ''} · "
                      + ", ".join(f"{k}: {fmt_int(v)}" for k, v in decisions.items())))
    if extra:
        body.append(table(["check", "result"], extra))
    files = _files(data)
    if files:
        body.append(details("Files", table(["file", "size"], files, num=(1,))))
    if st:
        body.append(details("Figures of the export stage", stats_table(st)))
    return Panel("export", title, join(body),
                 lead="The training files: examples per split, how long they are in tokens, and what training "
                      "on them would cost.")


def token_bins(counts: list[int], n_bins: int = 20) -> list[tuple[str, float]]:
    """Equal-width bins with round edges."""
    lo, hi = min(counts), max(counts)
    if lo == hi:
        return [(fmt_int(lo), float(len(counts)))]
    raw = (hi - lo) / n_bins
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    width = next(m * mag for m in (1, 2, 2.5, 5, 10) if raw <= m * mag)
    width = max(1, int(width)) if width >= 1 else 1
    start = (lo // width) * width
    nb = int((hi - start) // width) + 1
    bins = [0] * nb
    for c in counts:
        bins[int((c - start) // width)] += 1
    return [(f"{fmt_int(start + i * width)}–{fmt_int(start + (i + 1) * width - 1)}", float(b)) for i, b in enumerate(bins)]


def token_histogram(data: RunData, st: dict[str, Any]) -> tuple[list[tuple[str, float]], str]:
    """Bins of tokens per example: the export's own histogram when its figures hold one
    (``token_histogram: {edges: [...], counts: [...]}``), else counted from the files."""
    h = st.get("token_histogram")
    if isinstance(h, dict):
        edges, counts = h.get("edges"), h.get("counts")
        if (isinstance(edges, list) and isinstance(counts, list) and len(edges) == len(counts) + 1
                and all(is_number(x) for x in edges + counts)):
            return [(f"{fmt_int(edges[i])}–{fmt_int(edges[i + 1])}", float(c)) for i, c in enumerate(counts)], ""
    per_split = token_counts(data, st)
    counts = [c for cs in per_split.values() for c in cs]
    if not counts:
        return [], ""
    how = "The histogram is counted again from the exported files"
    if any(len(cs) >= MAX_EXAMPLES for cs in per_split.values()):
        how += f" (the first {MAX_EXAMPLES:,} examples of each split)"
    else:
        splits = st.get("splits") if isinstance(st.get("splits"), dict) else {}
        same = all(isinstance(splits.get(k), dict) and splits[k].get("tokens") == sum(cs) for k, cs in per_split.items())
        how += "; its totals match the export's" if same else "; its totals differ slightly from the export's"
    return token_bins(counts), how + "."


def token_counts(data: RunData, st: dict[str, Any]) -> dict[str, list[int]]:
    """Tokens of each exported example per split, counted from the files with the
    export's tokenizer (at most MAX_EXAMPLES per split)."""
    try:
        counter = _counter(data, st)
    except Exception:  # no tokenizer here: the histogram is left out
        log.debug("report: no token counter", exc_info=True)
        return {}
    fmt = str(st.get("format") or data.config("export").get("format") or "openai")
    out: dict[str, list[int]] = {}
    for split in SPLITS:
        counts: list[int] = []
        for i, row in enumerate(_rows(data.root / "export", fmt, split)):
            if i >= MAX_EXAMPLES:
                break
            msgs = chat_of(row, fmt)
            if msgs:
                counts.append(counter.chat(msgs))
        if counts:
            out[split] = counts
    return out


def _counter(data: RunData, st: dict[str, Any]):
    from curate.export.tokens import resolve_counter

    spec = ((data.config("export").get("tokens") or {}).get("tokenizer")) or "auto"
    if (st.get("tokens") or {}).get("method") == "estimate":
        spec = "estimate"
    cfg_path = data.manifest.get("config_path")
    base = Path(cfg_path).parent if isinstance(cfg_path, str) else None
    return resolve_counter(str(spec), base)


def _rows(folder: Path, fmt: str, split: str):
    if fmt == "hf":
        for p in sorted((folder / "data").glob(f"{split}-*.parquet")):
            yield from pl.read_parquet(p).iter_rows(named=True)
        return
    p = folder / f"{split}.jsonl"
    if not p.is_file():
        return
    with open(p, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(row, dict):
                    yield row


def chat_of(row: dict[str, Any], fmt: str) -> list[dict[str, str]]:
    """An exported row as chat turns (the export counts tokens of the chat)."""
    def turns(ms: Any) -> list[dict[str, str]]:
        return [{"role": str(m.get("role")), "content": str(m.get("content") or "")} for m in ms or [] if isinstance(m, dict)]

    if "messages" in row:
        return turns(row["messages"])
    if "conversations" in row:
        return [{"role": _SHAREGPT.get(str(m.get("from")), "user"), "content": str(m.get("value") or "")}
                for m in row["conversations"] or [] if isinstance(m, dict)]
    if "prompt" in row and "completion" in row:
        p, c = row["prompt"], row["completion"]
        if isinstance(p, list):
            return turns(p) + turns(c if isinstance(c, list) else [{"role": "assistant", "content": c}])
        return [{"role": "user", "content": str(p)}, {"role": "assistant", "content": str(c).lstrip()}]
    if "instruction" in row and "output" in row:
        out = [{"role": "system", "content": str(row["system"])}] if row.get("system") else []
        for pair in row.get("history") or []:
            if isinstance(pair, list) and len(pair) == 2:
                out += [{"role": "user", "content": str(pair[0])}, {"role": "assistant", "content": str(pair[1])}]
        user = str(row.get("instruction") or "")
        if row.get("input"):
            user = f"{user}\n\n{row['input']}" if user else str(row["input"])
        return out + [{"role": "user", "content": user}, {"role": "assistant", "content": str(row["output"])}]
    return []


def _files(data: RunData) -> list[list[str]]:
    folder = data.root / "export"
    if not folder.is_dir():
        return []
    out = []
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.name.startswith("."):
            out.append([str(p.relative_to(data.root)), _size(p.stat().st_size)])
    return out[:50]


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
