"""Drift (``runs/<name>/drift.json``, written by ``curate drift RUN NEW``): the latest
comparison of new records with the run's training set. Optional: the report has this
panel only when the run has been compared. Only figures, cluster words from redacted
text and (redacted) record ids; never a record's text."""

from __future__ import annotations

from typing import Any

from curate.report.data import RunData
from curate.report.html import Html, join, tag
from curate.report.panels.base import Panel, kpis, note, table

FILE = "drift.json"


def _pct(x: Any) -> str:
    return f"{100 * x:.1f}%" if isinstance(x, (int, float)) else "—"


def _num(x: Any, digits: int = 3) -> str:
    return f"{x:.{digits}f}" if isinstance(x, (int, float)) else "—"


def build(data: RunData) -> Panel | None:
    found = data.read_json(FILE)
    if found is None or not isinstance(found[1], dict) or "novelty" not in found[1]:
        return None
    r = found[1]
    nov, sh, ref = r.get("novelty") or {}, r.get("shift") or {}, r.get("reference") or {}
    verdict = "drift" if r.get("drift") else ("no drift" if r.get("decided", True) else "not decided")
    body = [kpis([
        ("verdict", verdict, "; ".join(r.get("reasons") or []) if r.get("drift") else ""),
        ("new records", r.get("records"), str(r.get("new") or "")),
        ("novel", _pct(nov.get("share")), f"threshold {_pct(nov.get('threshold'))}; beyond {_num(nov.get('distance_threshold'))} "
                                          f"({nov.get('quantile')} quantile, {nov.get('calibration')})"),
        ("cluster-share JSD", _num(sh.get("jsd")), f"threshold {_num(sh.get('threshold'), 2)}; same-size sample of the run: "
                                                   f"median {_num(sh.get('null_median'))}"),
        ("training set", ref.get("training"), f"from the {ref.get('training_from')}"),
    ])]
    changes = sh.get("largest_changes") or []
    if changes:
        body.append(table(["cluster", "run", "new", "distinctive words"],
                          [[c.get("cluster"), _pct(c.get("reference_share")), _pct(c.get("new_share")),
                            ", ".join(c.get("terms") or [])] for c in changes[:8]],
                          num=(0, 1, 2), caption="largest changes of cluster shares"))
    strata = r.get("strata") or {}
    if strata.get("values"):
        body.append(table([strata.get("field", "stratum"), "run", "new", "novel", "JSD", "drift"],
                          [[s.get("value"), s.get("reference"), s.get("new"), _pct(s.get("novel_share")), _num(s.get("jsd")),
                            "yes" if s.get("drift") else ""] for s in strata["values"][:15]],
                          num=(1, 2, 3, 4), caption=f"per {strata.get('field')}"))
    topics = r.get("topics") or []
    if topics:
        body.append(table(["topic", "records", "distinctive words"],
                          [[t.get("topic"), t.get("size"), ", ".join(t.get("terms") or []) or "—"] for t in topics],
                          num=(0, 1), caption="new topics among the novel records"))
    body.append(note(Html("From " + str(tag("code", FILE)) + f" ({tag('code', 'curate drift')}, {r.get('created_at', '')}). "
                          "docs/drift.md explains each figure.")))
    return Panel("drift", "Drift", join(body),
                 lead="How far the latest new records have moved from the training set.")
