"""The lines an export prints after its counts (``curate export``) or logs (a build):
the benchmark, the volume guidance, the agreement gates, the training cost on a few
providers and the labeling cost. Each line is (level, text), level ``warning``, ``note``
or ``info``."""

from __future__ import annotations

from typing import Any

#: providers shown in the terminal (the card lists them all)
SHOWN_PROVIDERS = 4


def _money(v: Any, cur: Any) -> str:
    return f"{v:,.2f} {cur}" if isinstance(v, (int, float)) else "?"


def summary_lines(stats: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    sp = stats.get("split") or {}
    n_eval = (sp.get("sizes") or {}).get("eval", 0)
    if sp.get("eval_below_benchmark_minimum"):
        out.append(("warning", f"the eval set has {n_eval:,} examples, fewer than the 200 a benchmark needs"))
    if sp.get("drawn_anew"):
        out.append(("note", f"the split settings changed since the run's earlier export: the split was drawn anew "
                            f"({sp.get('moved_since_earlier', 0):,} held-out examples changed side)"))
    b = stats.get("benchmark") or {}
    if b.get("written"):
        who = "expert-reviewed" if b.get("expert_reviewed") else "not reviewed"
        out.append(("info", f"benchmark: {b.get('examples', 0):,} eval examples ({who}) → {b.get('file')}"))
    ver = stats.get("version") or {}
    if ver:
        parent = f"parent v{ver['parent']}: {ver.get('summary')}" if ver.get("parent") else "the run's first version"
        out.append(("info", f"dataset version v{ver['version']} ({parent}; `curate diff` for the details)"))
    xw = stats.get("expert_work") or {}
    if xw.get("lost"):
        out.append(("warning", f"{sum(xw['lost'].values()):,} records with expert work (pushed or labeled) are no "
                               "longer in the run: " + ", ".join(f"{k} {v:,}" for k, v in xw["lost"].items())
                               + " (listed in dropped.jsonl)"))
    v = stats.get("volume") or {}
    for t in v.get("tasks") or []:
        name = f"task {t['task']}: " if t.get("task") is not None else ""
        if t.get("level") == "warning":
            out.append(("warning", f"{name}{t['train']:,} training examples, fewer than {v.get('min_train'):,}: "
                                   "they rarely produce a meaningful improvement (export.volume.min_train)"))
        elif t.get("level") == "note":
            out.append(("note", f"{name}{t['train']:,} training examples, more than {v.get('max_train'):,}: returns "
                                "diminish; quality and coverage matter more (export.volume.max_train)"))
    ag = stats.get("agreement") or {}
    if ag.get("gate_warning"):
        out.append(("warning", ag["gate_warning"]))
    elif ag.get("gates") and ag.get("checked"):
        out.append(("info", "agreement gates passed: " + ", ".join(
            f"{g['field']} {g['metric']} {g['value']:.2f} ≥ {g['minimum']:g}" for g in ag["gates"] if g.get("value") is not None)))
    cost = stats.get("cost") or {}
    providers = sorted(cost.get("providers") or [], key=lambda p: p.get("price_per_million_tokens") or 0)
    if providers:
        pick = providers if len(providers) <= SHOWN_PROVIDERS else [
            providers[round(i * (len(providers) - 1) / (SHOWN_PROVIDERS - 1))] for i in range(SHOWN_PROVIDERS)]
        when = (cost.get("price_table") or {}).get("as_of")
        out.append(("info", f"training ({cost.get('epochs')} epochs) on managed services"
                            + (f", prices as of {when}" if when else "") + ": "
                            + "; ".join(f"{p['provider']} {p['model']} {_money(p.get('amount'), p.get('currency'))}"
                                        for p in pick) + " (all in the card)"))
    lc = stats.get("labeling_cost") or {}
    if lc:
        line = (f"labeling: {lc.get('reviews', 0):,} reviews × {_money(lc.get('cost_per_review'), lc.get('currency'))} "
                f"+ {round((lc.get('qa_overhead') or 0) * 100)}% QA ≈ {_money(lc.get('amount'), lc.get('currency'))}")
        tm = lc.get("time")
        if tm:
            line += (f"; reviewers' time so far {tm['hours_so_far']:,} h, projected {tm['hours_projected']:,} h "
                     f"({tm['reviews_remaining']:,} reviews to go)")
        out.append(("info", line))
    return out
