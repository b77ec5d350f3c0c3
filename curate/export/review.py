"""Reviewer agreement at export time: recomputed from the run's pulled labels (so the card
never shows figures older than the labels it exports), summarised per field, and checked
against the agreement gates of ``label.gates``.

A field's row: its level of measurement, the items both reviewers rated (n), the
agreement under the rule that sends items to adjudication, kappa (quadratic-weighted for
ordinal fields; Cohen's for two reviewers, else Fleiss') and Krippendorff's alpha, each
with its bootstrap 95% interval, and alpha's reading (Krippendorff: rely on alpha >= .800,
draw tentative conclusions from .667).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curate.errors import InputError

#: bootstrap replicates and seed: those of ``curate agreement``, so the figures match its report
BOOTSTRAP = 1000
SEED = 0
RELIABLE, TENTATIVE = 0.8, 0.667
METRICS = ("alpha", "kappa", "agreement")


def kappa_of(f: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """The field's kappa and its kind: quadratic-weighted for ordinal fields, else Cohen's
    (two reviewers) or Fleiss'."""
    if str(f.get("level", "")).startswith("ordinal"):
        w = (f.get("weighted_kappa") or f.get("mean_pairwise_weighted_kappa") or {}).get("quadratic")
        if w:
            return w, "weighted (quadratic)"
    if f.get("cohen_kappa"):
        return f["cohen_kappa"], "Cohen"
    if f.get("fleiss_kappa"):
        return f["fleiss_kappa"], "Fleiss"
    return None, ""


def agreement_of(f: dict[str, Any]) -> dict[str, Any] | None:
    """The share of items the reviewers agree on under the agreement rule."""
    if f.get("within_tolerance") and (f.get("rule") or {}).get("tolerance"):
        return f["within_tolerance"]
    return f.get("percent_agreement")


def reading(alpha: float | None) -> str:
    if alpha is None:
        return "not measured"
    return "reliable" if alpha >= RELIABLE else "tentative" if alpha >= TENTATIVE else "unreliable"


def field_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per field of an agreement report (see the module docstring)."""
    rows = []
    for name, f in (report.get("fields") or {}).items():
        if not isinstance(f, dict):
            continue
        kappa, kind = kappa_of(f)
        alpha = f.get("krippendorff_alpha")
        rows.append({
            "field": name, "level": f.get("level"), "n": f.get("items_compared", 0),
            "agreement": agreement_of(f), "kappa": kappa, "kappa_kind": kind, "alpha": alpha,
            "similarity": f.get("edit_similarity") if f.get("level") == "text" else None,
            "reading": reading((alpha or {}).get("value")) if f.get("level") != "text" else "text similarity",
        })
    return rows


def compute_run_agreement(run_root: Path, config: dict[str, Any]) -> dict[str, Any] | None:
    """The agreement report of the run's pulled labels (None when it has none), with the
    agreement rule of the config's ``label`` section."""
    from curate.agreement.compute import compute_agreement
    from curate.agreement.io import read_run_labels
    from curate.agreement.rule import AgreementRule

    if not (Path(run_root) / "labels" / "labels.parquet").exists():
        return None
    labels, levels = read_run_labels(Path(run_root))
    if labels.height == 0:
        return None
    raw = ((config.get("label") or {}).get("agreement")) or {}
    try:
        rule = AgreementRule.model_validate(raw)
    except ValueError:
        rule = AgreementRule()
    return compute_agreement(labels, levels, bootstrap=BOOTSTRAP, seed=SEED, rule=rule)


@dataclass
class GateResult:
    field: str
    metric: str  # alpha | kappa | agreement
    minimum: float
    value: float | None  # None: not measured

    @property
    def passed(self) -> bool:
        return self.value is not None and self.value >= self.minimum - 1e-12

    def describe(self) -> str:
        got = "not measured" if self.value is None else f"{self.value:.3f}"
        return f"{self.field} {self.metric} {got} (gate {self.minimum:g})"


def gate_settings(config: dict[str, Any]) -> tuple[dict[str, dict[str, float]], str]:
    """(field -> {metric: minimum}, on_fail) from the stored ``label.gates``."""
    raw = (config.get("label") or {}).get("gates") or {}
    if not isinstance(raw, dict):
        return {}, "fail"
    on_fail = str(raw.get("on_fail") or "fail")
    gates: dict[str, dict[str, float]] = {}
    for name, spec in raw.items():
        if name == "on_fail" or not isinstance(spec, dict):
            continue
        wanted = {m: float(spec[m]) for m in METRICS if spec.get(m) is not None}
        if wanted:
            gates[name] = wanted
    return gates, on_fail


def check_gates(report: dict[str, Any] | None, gates: dict[str, dict[str, float]]) -> list[GateResult]:
    """Every gate with the figure it was checked against (the point estimate)."""
    fields = (report or {}).get("fields") or {}
    out = []
    for name, wanted in gates.items():
        f = fields.get(name) or {}
        for metric, minimum in wanted.items():
            est = f.get("krippendorff_alpha") if metric == "alpha" else kappa_of(f)[0] if metric == "kappa" else agreement_of(f)
            value = (est or {}).get("value") if isinstance(est, dict) else None
            out.append(GateResult(name, metric, minimum, value if isinstance(value, (int, float)) else None))
    return out


class GateFailed(InputError):
    """The labels' agreement is below a gate of ``label.gates`` (exit 2)."""


def enforce(results: list[GateResult], on_fail: str, measured: bool) -> str | None:
    """Raise :class:`GateFailed` for a failed gate under ``on_fail: fail``; return the
    warning line under ``warn``; None when every gate passed."""
    failed = [r for r in results if not r.passed]
    if not failed:
        return None
    why = ("" if measured else " (the run has no pulled labels to measure agreement on: `curate label pull`)")
    line = ("agreement below the gate (label.gates): " + "; ".join(r.describe() for r in failed) + why)
    if on_fail == "fail":
        raise GateFailed(line + "; improve the guidelines and adjudicate, or set label.gates.on_fail: warn")
    return line
