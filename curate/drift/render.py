"""The terminal summary of a drift comparison (the figures of ``compare``'s dict)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table


def verdict(result: dict[str, Any]) -> str:
    if not result.get("decided", True):
        return f"not decided: {result['records']:,} new records, fewer than drift.min_records ({result['settings']['min_records']})"
    if result["drift"]:
        return "DRIFT: " + "; ".join(result["reasons"])
    return "no drift"


def print_summary(console: Console, r: dict[str, Any]) -> None:
    nov, sh, ref = r["novelty"], r["shift"], r["reference"]
    style = "bold red" if r["drift"] else "bold green" if r.get("decided", True) else "yellow"
    console.print(f"[{style}]{escape(verdict(r))}[/]", highlight=False, soft_wrap=True)
    console.print(
        f"{r['records']:,} new records ({escape(r.get('read_as', ''))}) against {ref['training']:,} training examples "
        f"(from the {ref['training_from']}) and {ref['candidates']:,} candidates in {ref['clusters']} clusters",
        highlight=False,
    )
    console.print(
        f"novel: {nov['novel']:,} ({nov['share']:.1%}; threshold {nov['threshold']:.0%}) farther than "
        f"{nov['distance_threshold']:.3f} from every training example (the {nov['quantile']:.0%} quantile of "
        + ("the run's candidates' distances to their nearest other training example" if nov["calibration"] == "candidates"
           else "the training examples' distances to each other")
        + f"; about {1 - nov['quantile']:.0%} when nothing changed)",
        highlight=False,
    )
    console.print(
        f"cluster shares: JSD {sh['jsd']:.3f} (threshold {sh['threshold']:.2f}; a same-size sample of the run's own "
        f"records: median {sh['null_median']:.3f}, 99% below {sh['null_p99']:.3f}; p {sh['p_value']:.3f})",
        highlight=False,
    )
    if sh["largest_changes"]:
        t = Table(title="largest changes of cluster shares", title_justify="left")
        for col, just in (("cluster", "right"), ("run", "right"), ("new", "right"), ("distinctive words", "left")):
            t.add_column(col, justify=just)
        for c in sh["largest_changes"][:5]:
            t.add_row(str(c["cluster"]), f"{c['reference_share']:.1%}", f"{c['new_share']:.1%}", escape(", ".join(c.get("terms") or [])))
        console.print(t)
    strata = r.get("strata")
    if strata:
        t = Table(title=f"per {escape(strata['field'])} (largest first)", title_justify="left")
        for col in ("value", "run", "new", "novel", "JSD", "drift"):
            t.add_column(col, justify="left" if col == "value" else "right")
        for s in strata["values"][:12]:
            t.add_row(escape(s["value"]), f"{s['reference']:,}", f"{s['new']:,}",
                      "—" if s["novel_share"] is None else f"{s['novel_share']:.0%}",
                      "—" if s["jsd"] is None else f"{s['jsd']:.3f}", "yes" if s["drift"] else "")
        console.print(t)
        if strata["unseen"]:
            console.print(f"values the run never saw: {escape(', '.join(strata['unseen'][:10]))}", highlight=False)
    if r["topics"]:
        t = Table(title="new topics among the novel records", title_justify="left")
        for col, just in (("topic", "right"), ("records", "right"), ("distinctive words", "left")):
            t.add_column(col, justify=just)
        for tp in r["topics"]:
            t.add_row(str(tp["topic"]), f"{tp['size']:,}", escape(", ".join(tp["terms"]) or "—"))
        console.print(t)
    b = r.get("batch")
    if b:
        console.print(f"next labeling batch: {b['records']:,} records ({b['novel']:,} novel) → {escape(b['folder'])}; "
                      f"`curate label push {escape(b['folder'])}` sends them to Label Studio", highlight=False)
