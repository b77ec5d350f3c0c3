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


def _share(x: float | None) -> str:
    return f"{x:.0%}" if x is not None else "—"


def _diff(e: dict[str, Any] | None) -> str:
    """A difference and its interval on one line: ``+0.90 [+0.82, +0.97]``."""
    if not e or e.get("value") is None:
        return "—"
    out = f"{e['value']:+.2f}"
    if e.get("ci"):
        out += f" [{e['ci'][0]:+.2f}, {e['ci'][1]:+.2f}]"
    return out.replace("-", "−")


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
    # no padding at the table's edges: four dimensions and "overall" then fit 80 columns
    t = Table(title="Mean rating per system (95% interval, bootstrap over items)", title_justify="left", pad_edge=False)
    t.add_column("system", no_wrap=True)
    for d in dims:
        t.add_column(d, justify="right")
    for s in rep["systems"]:
        t.add_row(s, *(_est(rep["means"][s].get(d)) for d in dims))
    console.print(t)

    if rep["pairwise"]:
        t = Table(title="Pairwise: share of items the first system rates higher / equal / lower",
                  title_justify="left")
        for c, j in (("pair, dimension", "left"), ("win", "right"), ("tie", "right"), ("loss", "right"),
                     ("Δ mean [95%]", "right"), ("p", "right"), ("q", "right")):
            t.add_column(c, justify=j, no_wrap=c != "pair, dimension")
        pairs: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for r in rep["pairwise"]:
            pairs.setdefault((r["a"], r["b"]), []).append(r)
        for (a, b), rows in pairs.items():
            t.add_row(Text(f"{a} vs {b}", style="bold"))
            for k, r in enumerate(sorted(rows, key=lambda r: r["dimension"] != OVERALL)):
                style = "bold" if r["q"] is not None and r["q"] < 0.05 else None
                t.add_row(f"  {r['dimension']}", _share(r["win_rate"]), _share(r["tie_rate"]), _share(r["loss_rate"]),
                          _diff(r["mean_difference"]), _p(r["sign_test_p"]), _p(r["q"]), style=style,
                          end_section=k == len(rows) - 1)
        console.print(t)
        console.print("p: two-sided sign test (items won against items lost, ties left out); q: Benjamini-Hochberg "
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
        t = Table(title="Overall preference", title_justify="left")
        t.add_column("system", no_wrap=True)
        t.add_column("picked", justify="right")
        t.add_column("share", justify="right")
        for s, v in pref["systems"].items():
            t.add_row(s, f"{v['count']:,}", f"{v['share']:.0%}" if v["share"] is not None else "—")
        console.print(t)
        console.print(f"{pref['answers']:,} answers on {pref['items']:,} items; {pref['none']:,} preferred none "
                      "(share: of the answers that picked one)", style="dim", highlight=False)

    shown = OVERALL if OVERALL in dims else (dims[0] if dims else None)
    for f, values in (rep.get("strata") or {}).items():
        if shown is None or not values:
            continue
        t = Table(title=f"Per {f}: {shown} mean rating", title_justify="left")
        t.add_column(f, overflow="fold")
        t.add_column("items", justify="right")
        for s in rep["systems"]:
            t.add_column(s, justify="right", overflow="fold")
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
    t.add_column("system", no_wrap=True)
    for m in metrics:
        t.add_column(METRIC_TITLES.get(m, m), justify="right")
    for s in rep["systems"]:
        t.add_row(s, *(_est(rep["scores"][s][m], 3) for m in metrics))
    console.print(t)
    for f, values in (rep.get("strata") or {}).items():
        t = Table(title=f"Per {f}", title_justify="left")
        t.add_column(f, overflow="fold")
        t.add_column("items", justify="right")
        t.add_column("system", no_wrap=True)
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
