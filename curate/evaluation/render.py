"""The reports as rich tables for the terminal (kept to about 80 columns: each estimate's
interval goes on a second line)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from curate.evaluation.stats import OVERALL

#: Krippendorff's guidance: alpha >= .800 reliable, >= .667 tentative conclusions only
GOOD, TENTATIVE = 0.8, 0.667
METRIC_TITLES = {"exact_match": "exact", "token_f1": "token F1", "rouge_l": "ROUGE-L", "embedding_similarity": "embedding"}


def _est(e: dict[str, Any] | None, digits: int = 2, pct: bool = False) -> Text:
    if not e or e.get("value") is None:
        return Text("—", style="dim")
    v = e["value"]
    t = Text(f"{v:.0%}" if pct else f"{v:.{digits}f}".replace("-", "−"))
    ci = e.get("ci")
    if ci:
        # "−0.88 to −0.27" reads better than "−0.88–−0.27"
        sep = " to " if min(ci) < 0 else "–"
        lo, hi = (f"{c:.0%}" if pct else f"{c:.{digits}f}".replace("-", "−") for c in ci)
        t.append(f"\n{lo}{sep}{hi}", style="dim")
    return t


def _p(p: float | None) -> str:
    if p is None:
        return "—"
    return "<.001" if p < 0.001 else f"{p:.3f}"


def print_human(rep: dict[str, Any], console: Console, *, strata_rows: int = 12) -> None:
    src = rep.get("source") or {}
    where = src.get("eval") or src.get("ratings") or ""
    console.print(
        f"Human evaluation{' ' + where if where else ''} — {rep['items']:,} items, {len(rep['systems'])} systems, "
        f"{rep['reviewers']} reviewers, {rep['ratings']:,} ratings", highlight=False, soft_wrap=True,
    )
    dims = rep["dimensions"] + ([OVERALL] if any(OVERALL in v for v in rep["means"].values()) and OVERALL not in rep["dimensions"] else [])
    t = Table(title="Mean rating per system (95% interval, bootstrap over items)", title_justify="left")
    t.add_column("system")
    for d in dims:
        t.add_column(d, justify="right")
    for s in rep["systems"]:
        t.add_row(s, *(_est(rep["means"][s].get(d)) for d in dims))
    console.print(t)

    if rep["pairwise"]:
        t = Table(title="Pairwise: items where the first system's mean rating is higher / equal / lower",
                  title_justify="left")
        for c, j in (("systems", "left"), ("dimension", "left"), ("win", "right"), ("tie", "right"), ("loss", "right"),
                     ("Δ mean", "right"), ("p", "right"), ("q", "right")):
            t.add_column(c, justify=j)
        for r in rep["pairwise"]:
            style = "bold" if r["q"] is not None and r["q"] < 0.05 else None
            t.add_row(f"{r['a']} vs {r['b']}", r["dimension"], f"{r['win_rate']:.0%}" if r["win_rate"] is not None else "—",
                      f"{r['tie_rate']:.0%}" if r["tie_rate"] is not None else "—",
                      f"{r['loss_rate']:.0%}" if r["loss_rate"] is not None else "—",
                      _est(r["mean_difference"]), _p(r["sign_test_p"]), _p(r["q"]), style=style)
        console.print(t)
        console.print("p: two-sided sign test (wins against losses, ties left out); q: Benjamini-Hochberg "
                      "adjusted over every row; bold: q < .05.", style="dim", highlight=False)

    if rep["agreement"]:
        t = Table(title="Agreement between raters", title_justify="left")
        for c in ("dimension", "level", "units", "alpha", "exact", "within ±1"):
            t.add_column(c, justify="left" if c in ("dimension", "level") else "right")
        for name, a in rep["agreement"].items():
            alpha = _est(a.get("alpha"), 3)
            v = (a.get("alpha") or {}).get("value")
            if v is not None:
                alpha.stylize("green" if v >= GOOD else "yellow" if v >= TENTATIVE else "red", 0, len(f"{v:.3f}"))
            t.add_row(name, a.get("level") or "", f"{a.get('units_compared') or 0:,}", alpha,
                      _est(a.get("exact_agreement"), pct=True), _est(a.get("within_one"), pct=True))
        console.print(t)
        console.print("alpha: Krippendorff's; units: outputs (item × system) rated by two or more; green ≥ .80 "
                      "reliable, yellow ≥ .667 tentative, red below.", style="dim", highlight=False)

    pref = rep.get("preference")
    if pref:
        t = Table(title=f"Overall preference ({pref['answers']:,} answers, {pref['none']:,} with none)",
                  title_justify="left")
        t.add_column("system")
        t.add_column("picked", justify="right")
        t.add_column("share", justify="right")
        for s, v in pref["systems"].items():
            t.add_row(s, f"{v['count']:,}", f"{v['share']:.0%}" if v["share"] is not None else "—")
        console.print(t)

    shown = OVERALL if OVERALL in dims else (dims[0] if dims else None)
    for f, values in (rep.get("strata") or {}).items():
        if shown is None or not values:
            continue
        t = Table(title=f"Per {f}: {shown} mean rating", title_justify="left")
        t.add_column(f)
        t.add_column("items", justify="right")
        for s in rep["systems"]:
            t.add_column(s, justify="right")
        for value, v in list(values.items())[:strata_rows]:
            t.add_row(value, f"{v['items']:,}", *(_est(v["means"].get(s, {}).get(shown)) for s in rep["systems"]))
        console.print(t)
        if len(values) > strata_rows:
            console.print(f"… {len(values) - strata_rows} more values of {f} in the JSON report", style="dim", highlight=False)
    for n in rep.get("notes") or []:
        console.print(f"[yellow]note[/]: {n}", highlight=False)


def print_scores(rep: dict[str, Any], console: Console, *, strata_rows: int = 12) -> None:
    metrics = rep["metrics"]
    console.print(f"Automatic metrics against the gold answers — {rep['items']:,} items, {len(rep['systems'])} systems"
                  + (f"; embeddings: {rep['embedding_model']}" if rep.get("embedding_model") else ""),
                  highlight=False, soft_wrap=True)
    t = Table(title="Mean per system (95% interval, bootstrap over items)", title_justify="left")
    t.add_column("system")
    for m in metrics:
        t.add_column(METRIC_TITLES.get(m, m), justify="right")
    for s in rep["systems"]:
        t.add_row(s, *(_est(rep["scores"][s][m], 3) for m in metrics))
    console.print(t)
    for f, values in (rep.get("strata") or {}).items():
        t = Table(title=f"Per {f}", title_justify="left")
        t.add_column(f)
        t.add_column("items", justify="right")
        t.add_column("system")
        for m in metrics:
            t.add_column(METRIC_TITLES.get(m, m), justify="right")
        for value, v in list(values.items())[:strata_rows]:
            for k, s in enumerate(rep["systems"]):
                t.add_row(value if k == 0 else "", f"{v['items']:,}" if k == 0 else "", s,
                          *(f"{v['metrics'][s][m]['value']:.3f}" if v["metrics"][s][m]["value"] is not None else "—"
                            for m in metrics), end_section=k == len(rep["systems"]) - 1)
        console.print(t)
        if len(values) > strata_rows:
            console.print(f"… {len(values) - strata_rows} more values of {f} in the JSON report", style="dim", highlight=False)
