"""The export: examples per split, a histogram of tokens per example and the training
cost estimate."""

from __future__ import annotations

import logging
import math
from typing import Any

import polars as pl

from curate.report.charts import histogram
from curate.report.data import RunData
from curate.report.html import Html, esc, fmt_int, fmt_num, is_number, join, tag
from curate.report.panels.base import Panel, details, kpis, not_run, note, stats_table, table

log = logging.getLogger("curate")

SPLITS = ("train", "eval", "test")


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
    bench = st.get("benchmark")
    if isinstance(bench, dict) and bench.get("written"):
        extra.append(("benchmark (benchmark.jsonl)", f"{fmt_int(bench.get('examples'))} eval examples, "
                      + ("expert-reviewed" if bench.get("expert_reviewed") else "not reviewed")
                      + (" — fewer than 200" if bench.get("below_minimum") else "")))
    volume = st.get("volume")
    if isinstance(volume, dict):
        for t in volume.get("tasks") or []:
            if isinstance(t, dict) and t.get("level") in ("warning", "note"):
                extra.append((f"training examples{' of ' + str(t['task']) if t.get('task') is not None else ''}",
                              f"{fmt_int(t.get('train'))} ("
                              + ("below " + fmt_int(volume.get("min_train")) if t["level"] == "warning"
                                 else "above " + fmt_int(volume.get("max_train"))) + ")"))
    review = st.get("agreement")
    if isinstance(review, dict):
        for g in review.get("gates") or []:
            if isinstance(g, dict):
                state = "not checked" if g.get("passed") is None else "passed" if g.get("passed") else "FAILED"
                extra.append((f"agreement gate {g.get('field')} {g.get('metric')} ≥ {fmt_num(g.get('minimum'))}",
                              f"{fmt_num(g.get('value')) if is_number(g.get('value')) else 'not measured'}: {state}"))
    labels = st.get("labels")
    if isinstance(labels, dict) and labels.get("used"):
        decisions = labels.get("decisions") if isinstance(labels.get("decisions"), dict) else {}
        extra.append(("reviewed labels", f"{labels.get('policy') or ''} · "
                      + ", ".join(f"{k}: {fmt_int(v)}" for k, v in decisions.items())))
    if extra:
        body.append(table(["check", "result"], extra))
    providers = cost.get("providers") if isinstance(cost.get("providers"), list) else []
    if providers:
        when = (cost.get("price_table") or {}).get("as_of") if isinstance(cost.get("price_table"), dict) else None
        rows = [[str(p.get("provider")), str(p.get("model")), f"{fmt_num(p.get('price_per_million_tokens'))} {p.get('currency') or ''}",
                 f"{fmt_num(p.get('amount'))} {p.get('currency') or ''}"] for p in providers if isinstance(p, dict)]
        body += [tag("h3", "Training cost on managed fine-tuning services"),
                 table(["provider", "model", "per 1M training tokens", f"cost ({fmt_int(cost.get('epochs'))} epochs)"], rows, num=(2, 3)),
                 note(Html(str(esc("Prices" + (f" as of {when}" if when else "") + " from the price table in the card; "
                                   "they change: check each at its source."))))]
    lc = st.get("labeling_cost") if isinstance(st.get("labeling_cost"), dict) else {}
    if lc:
        rows = [["reviews", f"{fmt_int(lc.get('reviews'))} × {fmt_num(lc.get('cost_per_review'))} {lc.get('currency') or ''}"],
                ["quality assurance", f"+{fmt_num((lc.get('qa_overhead') or 0) * 100)}%"],
                ["labeling cost", f"{fmt_num(lc.get('amount'))} {lc.get('currency') or ''}"]]
        tm = lc.get("time") if isinstance(lc.get("time"), dict) else None
        if tm:
            rows += [["reviewers' time so far", f"{fmt_num(tm.get('hours_so_far'))} h ({fmt_int(tm.get('measured_reviews'))} reviews)"],
                     ["projected in all", f"{fmt_num(tm.get('hours_projected'))} h ({fmt_int(tm.get('reviews_remaining'))} reviews to go)"]]
        body += [tag("h3", "Labeling cost"), table(["", ""], rows)]
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
    """Bins of tokens per example: from the export's per-example counts
    (``export/tokens.parquet``, written by the export with its tokenizer); the figures'
    own histogram (``token_histogram: {edges, counts}``) when the table is not there."""
    counts = token_counts(data, st)
    if counts:
        return token_bins(counts), ""
    h = st.get("token_histogram")
    if isinstance(h, dict):
        edges, hist = h.get("edges"), h.get("counts")
        if (isinstance(edges, list) and isinstance(hist, list) and len(edges) == len(hist) + 1
                and all(is_number(x) for x in edges + hist)):
            return [(f"{fmt_int(edges[i])}–{fmt_int(edges[i + 1] - 1)}", float(c)) for i, c in enumerate(hist)], ""
    return [], ""


def token_counts(data: RunData, st: dict[str, Any]) -> list[int]:
    """Tokens of each exported example, as the export counted them (never re-tokenised)."""
    name = (st.get("tokens") or {}).get("table") if isinstance(st.get("tokens"), dict) else None
    path = data.root / "export" / str(name or "tokens.parquet")
    if not path.is_file():
        return []
    try:
        return [int(x) for x in pl.read_parquet(path, columns=["tokens"])["tokens"].to_list() if x is not None]
    except Exception:  # a damaged table: the histogram is left out
        log.debug("report: cannot read %s", path, exc_info=True)
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
