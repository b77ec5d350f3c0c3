"""The agreement report as rich tables for the terminal."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

#: Krippendorff's guidance: alpha >= .800 reliable, >= .667 tentative conclusions only
GOOD, TENTATIVE = 0.8, 0.667


def _num(x: float) -> str:
    s = f"{abs(x):.2f}"
    s = s[1:] if s.startswith("0.") else s
    return ("−" if x < 0 and s.strip(".0") else "") + s


def _fmt(est: dict | None, pct: bool = False) -> Text:
    """The value, and its interval on a second line (keeps the table narrow)."""
    if not est or est.get("value") is None:
        return Text("—", style="dim")
    v = est["value"]
    t = Text(f"{v:.0%}" if pct else f"{v:.3f}")
    ci = est.get("ci")
    if ci:
        lo, hi = ci
        t.append(f"\n{lo:.0%}–{hi:.0%}" if pct else f"\n{_num(lo)}–{_num(hi)}", style="dim")
    return t


def _graded(est: dict | None) -> Text:
    t = _fmt(est)
    if est and est.get("value") is not None:
        v = est["value"]
        t.stylize("green" if v >= GOOD else "yellow" if v >= TENTATIVE else "red", 0, len(f"{v:.3f}"))
    return t


_SHORT = {"nominal": "nom", "interval": "int", "ratio": "ratio", "text": "text", "ordinal": "ord"}


def _kappa(f: dict) -> tuple[dict | None, str]:
    if f.get("cohen_kappa"):
        return f["cohen_kappa"], "Cohen"
    if f.get("fleiss_kappa"):
        return f["fleiss_kappa"], "Fleiss"
    return None, ""


def render(report: dict) -> Group:
    s = report["summary"]
    b = report["bootstrap"]
    fields = report["fields"]
    has_text = any(f["level"] == "text" for f in fields.values())
    has_ord = any(f.get("weighted_kappa") or f.get("mean_pairwise_weighted_kappa") for f in fields.values())
    ci = f"second line: 95% interval, bootstrap over items ({b['samples']} samples, seed {b['seed']}); " if b["samples"] else ""
    t = Table(
        title=f"Agreement — {s['items']:,} items, {s['reviewers']} reviewers, {s['labels']:,} labels",
        caption=(f"{ci}items: rated by two or more reviewers; kappa: Cohen's (two reviewers) or Fleiss'; "
                 "wκ: quadratic-weighted kappa; alpha: Krippendorff's, green ≥ .80 reliable, yellow ≥ .667 "
                 "tentative, red below; text: edit similarity, token F1 below it."),
        title_justify="left", caption_justify="left",
    )
    t.add_column("field", no_wrap=True)
    t.add_column("level", no_wrap=True)  # nom, ord, int, ratio, text
    t.add_column("items", justify="right", no_wrap=True)
    t.add_column("raters", justify="right", no_wrap=True)
    t.add_column("agree", justify="right", no_wrap=True)
    t.add_column("kappa", justify="right", no_wrap=True)
    if has_ord:
        t.add_column("wκ", justify="right", no_wrap=True)
    t.add_column("alpha", justify="right", no_wrap=True)
    if has_text:
        t.add_column("text", justify="right", no_wrap=True)
    for name, f in fields.items():
        kappa, _ = _kappa(f)
        row = [name, _SHORT.get(f["level"], "ord"), f"{f['items_compared']:,}", str(f["reviewers"]), _fmt(f.get("percent_agreement"), pct=True), _fmt(kappa)]
        if has_ord:
            w = (f.get("weighted_kappa") or f.get("mean_pairwise_weighted_kappa") or {}).get("quadratic")
            row.append(_fmt(w))
        row.append(_graded(f.get("krippendorff_alpha")))
        if has_text:
            if f["level"] == "text":
                e, tf = f.get("edit_similarity") or {}, f.get("token_f1") or {}
                row.append(Text(f"{_num(e['value'])}\n{_num(tf['value'])}") if e.get("value") is not None else Text("—", style="dim"))
            else:
                row.append(Text("—", style="dim"))
        t.add_row(*row)

    parts = [t]
    reviewers = report.get("reviewers") or {}
    if reviewers:
        r = Table(title="Reviewers", title_justify="left")
        r.add_column("reviewer")
        r.add_column("items", justify="right")
        r.add_column("agrees with others", justify="right", no_wrap=True)
        r.add_column("accept rate", justify="right", no_wrap=True)
        r.add_column("median time", justify="right")
        for name, e in reviewers.items():
            med = e.get("median_seconds")
            r.add_row(name, f"{e['items']:,}", _fmt(e.get("agreement_with_others"), pct=True),
                      _fmt(e.get("accept_rate"), pct=True), Text("—", style="dim") if med is None else Text(f"{med:.0f} s"))
        parts.append(r)
    notes = [f"{name}: {n}" for name, f in fields.items() for n in f.get("notes", [])]
    if s.get("duplicates_ignored"):
        notes.append(f"{s['duplicates_ignored']} repeated rating(s) of the same field by the same reviewer ignored (the first counts)")
    if s.get("empty_values"):
        notes.append(f"{s['empty_values']} empty value(s) are not ratings")
    if notes:
        parts.append(Text("\n".join(f"• {n}" for n in notes), style="yellow"))
    return Group(*parts)


def print_report(report: dict, console: Console) -> None:
    console.print(render(report))
