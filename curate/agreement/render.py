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


def _kappa(f: dict) -> tuple[dict | None, str]:
    """The field's kappa: quadratic-weighted for ordinal fields (a 4 against a 5 is a
    near miss), else Cohen's (two reviewers) or Fleiss'."""
    if f["level"].startswith("ordinal"):
        w = (f.get("weighted_kappa") or f.get("mean_pairwise_weighted_kappa") or {}).get("quadratic")
        if w:
            return w, "weighted"
    if f.get("cohen_kappa"):
        return f["cohen_kappa"], "Cohen"
    if f.get("fleiss_kappa"):
        return f["fleiss_kappa"], "Fleiss"
    return None, ""


def _rule(f: dict) -> str:
    """When two reviewers agree on the field: the rule that decides adjudication."""
    rule = f.get("rule") or {}
    if f["level"] == "text":
        return f"{rule.get('similarity', 'edit')} ≥ {_num(rule.get('threshold', 0.8))}"
    if "tolerance" in rule:
        tol = rule["tolerance"]
        return "same value" if tol == 0 else f"±{tol:g}"
    return "same label"


def _agree(f: dict) -> Text:
    """Agreement under the rule, its interval, and what it hides: exact agreement for
    numbers agreeing within a tolerance, similarity for text."""
    if f["level"] == "text":
        t = _fmt(f.get("percent_agreement"), pct=True)
        sim = (f.get("edit_similarity") or {}).get("value")
        if sim is not None:
            t.append(f"\nsim {_num(sim)}", style="dim")
        return t
    if f.get("within_tolerance") and (f.get("rule") or {}).get("tolerance"):
        t = _fmt(f["within_tolerance"], pct=True)
        exact = (f.get("percent_agreement") or {}).get("value")
        if exact is not None:
            t.append(f"\nexact {exact:.0%}", style="dim")
        return t
    return _fmt(f.get("percent_agreement"), pct=True)


#: labels shown per field in the terminal (all are in agreement.json)
MAX_LABEL_ROWS = 12


def render(report: dict) -> Group:
    s = report["summary"]
    b = report["bootstrap"]
    fields = report["fields"]
    ci = f"Second line: 95% interval, bootstrap over items ({b['samples']} samples, seed {b['seed']}). " if b["samples"] else ""
    # at most six narrow columns: the table fits an 80-column terminal
    t = Table(
        title=f"Agreement — {s['items']:,} items, {s['reviewers']} reviewers, {s['labels']:,} labels",
        caption=(f"{ci}rule: when two reviewers agree (it decides which items go to adjudication); agree: share "
                 "of items compared on which they do, with exact agreement or text similarity below; kappa: Cohen's "
                 "(two reviewers) or Fleiss', quadratic-weighted for ordinal fields; alpha: Krippendorff's, green ≥ .80 "
                 "reliable, yellow ≥ .667 tentative, red below."),
        title_justify="left", caption_justify="left",
    )
    t.add_column("field", overflow="fold", max_width=14)
    t.add_column("rule", no_wrap=True)
    t.add_column("items", justify="right", no_wrap=True)
    t.add_column("agree", justify="right", no_wrap=True)
    t.add_column("kappa", justify="right", no_wrap=True)
    t.add_column("alpha", justify="right", no_wrap=True)
    for name, f in fields.items():
        kappa, _ = _kappa(f)
        items = f"{f['items_compared']:,}"
        if f.get("reviewers", 2) != s["reviewers"]:
            items += f"\n{f['reviewers']} rev."
        t.add_row(name, _rule(f), items, _agree(f), _fmt(kappa), _graded(f.get("krippendorff_alpha")))

    parts = [t]
    per_label = _labels_table(fields)
    if per_label is not None:
        parts.append(per_label)
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


def _labels_table(fields: dict) -> Table | None:
    """Per label of each categorical field: how often it was given, how often a second
    reviewer gave it too (specific agreement), and its one-vs-rest kappa."""
    rows = []
    for name, f in fields.items():
        labels = f.get("labels") or {}
        if f["level"] != "nominal" or not labels:
            continue
        ranked = sorted(labels.items(), key=lambda kv: -kv[1].get("ratings", 0))
        for label, e in ranked[:MAX_LABEL_ROWS]:
            rows.append((name, label, e))
        if len(ranked) > MAX_LABEL_ROWS:
            rows.append((name, f"… {len(ranked) - MAX_LABEL_ROWS} more in agreement.json", None))
    if not rows:
        return None
    t = Table(title="Per label", title_justify="left",
              caption="specific: of the times one reviewer gave the label, how often the other did too; "
                      "kappa: that label against all others.", caption_justify="left")
    t.add_column("field", overflow="fold", max_width=14)
    t.add_column("label", overflow="fold", max_width=24)
    t.add_column("given", justify="right", no_wrap=True)
    t.add_column("share", justify="right", no_wrap=True)
    t.add_column("specific", justify="right", no_wrap=True)
    t.add_column("kappa", justify="right", no_wrap=True)
    last = None
    for name, label, e in rows:
        shown = name if name != last else ""
        last = name
        if e is None:
            t.add_row(shown, Text(label, style="dim"), "", "", "", "")
            continue
        share = e.get("share")
        t.add_row(shown, label, f"{e.get('ratings', 0):,}", f"{share:.0%}" if share is not None else "—",
                  _fmt(e.get("specific_agreement"), pct=True), _fmt(e.get("kappa")))
    return t


def print_report(report: dict, console: Console) -> None:
    console.print(render(report))
