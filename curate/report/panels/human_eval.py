"""Blind human evaluation (``runs/<name>/evals/*/report.json``, written by ``curate eval
pull`` and ``curate eval report``): per eval, the mean rating per system and dimension
with its interval, the pairwise comparison on the overall score and the raters'
agreement. Optional: the report has this panel only when the run has an eval."""

from __future__ import annotations

from typing import Any

from curate.report.data import RunData
from curate.report.html import Html, fmt_int, join, tag
from curate.report.panels.base import Panel, estimate_text, estimate_value, kpis, note, table

EVALS = "evals"
REPORT = "report.json"


def _reports(data: RunData) -> list[tuple[str, dict[str, Any]]]:
    base = data.root / EVALS
    if not base.is_dir():
        return []
    out = []
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        found = data.read_json(f"{EVALS}/{folder.name}/{REPORT}")
        if found is not None and isinstance(found[1], dict) and isinstance(found[1].get("means"), dict):
            out.append((folder.name, found[1]))
    return out


def _pct(x: Any) -> str:
    return f"{100 * x:.0f}%" if isinstance(x, (int, float)) else "—"


def _p(x: Any) -> str:
    if not isinstance(x, (int, float)):
        return "—"
    return "< 0.001" if x < 0.001 else f"{x:.3f}"


def _one(name: str, rep: dict[str, Any]) -> Html:
    systems = [str(s) for s in rep.get("systems") or []]
    dims = [str(d) for d in rep.get("dimensions") or []]
    means = rep.get("means") or {}
    if any("overall" in (means.get(s) or {}) for s in systems) and "overall" not in dims:
        dims.append("overall")
    agreement = rep.get("agreement") or {}
    alphas = [a for a in (estimate_value((v or {}).get("alpha")) for v in agreement.values()) if a is not None]
    body = [tag("h3", f"Eval {name}" + ("" if (rep.get("source") or {}).get("blind", True) else " (not blind)")),
            kpis([("items rated", rep.get("items"), ""), ("reviewers", rep.get("reviewers"), ""),
                  ("ratings", rep.get("ratings"), ""),
                  ("lowest α", min(alphas) if alphas else None, "Krippendorff's α (ordinal) over the dimensions")])]
    rows = [[tag("b", s), *(estimate_text((means.get(s) or {}).get(d)) for d in dims)] for s in systems]
    body.append(table(["system", *dims], rows, num=range(1, len(dims) + 1), caption="mean rating [95% interval]"))
    main = "overall" if "overall" in dims else (dims[0] if dims else None)
    pairs = [r for r in rep.get("pairwise") or [] if isinstance(r, dict) and r.get("dimension") == main]
    if pairs:
        body.append(table(
            ["comparison", "items", "win", "tie", "loss", "Δ mean", "p (sign test)", "q (BH)"],
            [[f"{r.get('a')} vs {r.get('b')}", fmt_int(r.get("items")), _pct(r.get("win_rate")), _pct(r.get("tie_rate")),
              _pct(r.get("loss_rate")), estimate_text(r.get("mean_difference")), _p(r.get("sign_test_p")), _p(r.get("q"))]
             for r in pairs],
            num=range(1, 8), caption=f"pairwise on {main}",
        ))
    if agreement:
        body.append(table(
            ["dimension", "units", "Krippendorff's α", "exact", "within ±1"],
            [[k, fmt_int(v.get("units_compared")), estimate_text(v.get("alpha")), estimate_text(v.get("exact_agreement")),
              estimate_text(v.get("within_one"))] for k, v in agreement.items() if isinstance(v, dict)],
            num=range(1, 5), caption="agreement between raters",
        ))
    for n in rep.get("notes") or []:
        body.append(note(str(n), "warn-box"))
    return join(body)


def build(data: RunData) -> Panel | None:
    reports = _reports(data)
    if not reports:
        return None
    body = [_one(name, rep) for name, rep in reports]
    body.append(note(Html("From " + str(tag("code", f"{EVALS}/NAME/{REPORT}")) + " (<code>curate eval report</code>). "
                          "Intervals: 95% bootstrap over items; p: two-sided sign test on items won and lost; "
                          "q: Benjamini-Hochberg adjusted. docs/evaluation.md explains each figure.")))
    return Panel("human_eval", "Human evaluation", join(body),
                 lead="Reviewers rated the systems' answers to benchmark items without knowing which system wrote which.")
