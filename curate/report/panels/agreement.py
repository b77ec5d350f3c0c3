"""Reviewer agreement from ``agreement.json`` (written by ``curate agreement``): per field
with intervals, per label, confusion matrices and the per-reviewer table."""

from __future__ import annotations

from typing import Any

import polars as pl

from curate.report.charts import heat
from curate.report.data import RunData
from curate.report.html import Html, esc, fmt_int, fmt_seconds, is_number, join, tag
from curate.report.panels.base import (
    Panel,
    estimate_text,
    estimate_value,
    kpis,
    not_run,
    note,
    table,
)

FILES = ("agreement.json", "labels/agreement.json")
MAX_LABELS = 15  # larger confusion matrices are left out

#: (key in a field's entry, column title); nested keys as "a.b"
FIELD_METRICS = (
    ("percent_agreement", "agreement"),
    ("within_tolerance", "within tolerance"),
    ("cohen_kappa", "Cohen's κ"),
    ("weighted_kappa.quadratic", "weighted κ (quadratic)"),
    ("mean_pairwise_kappa", "mean pairwise κ"),
    ("fleiss_kappa", "Fleiss' κ"),
    ("krippendorff_alpha", "Krippendorff's α"),
    ("edit_similarity", "edit similarity"),
    ("token_f1", "token F1"),
    ("mean_abs_difference", "mean |difference|"),
)


def _get(d: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(d, dict):
            return None
        d = d.get(part)
    return d


def _fields(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    f = report.get("fields")
    if isinstance(f, dict):
        return [(str(k), v) for k, v in f.items() if isinstance(v, dict)]
    if isinstance(f, list):
        return [(str(v.get("field") or v.get("name") or i), v) for i, v in enumerate(f) if isinstance(v, dict)]
    return []


def _reviewers(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    r = report.get("reviewers")
    if isinstance(r, dict):
        return [(str(k), v) for k, v in r.items() if isinstance(v, dict)]
    if isinstance(r, list):
        return [(str(v.get("reviewer") or v.get("name") or i), v) for i, v in enumerate(r) if isinstance(v, dict)]
    return []


def _grade(alpha: float | None) -> str:
    """Krippendorff's guidance: >= .800 reliable, .667-.800 tentative, below: not."""
    if alpha is None:
        return ""
    return "good" if alpha >= 0.8 else "fair" if alpha >= 0.667 else "poor"


def build(data: RunData) -> Panel:
    title = "Agreement"
    found = data.read_json(*FILES)
    if found is None or not isinstance(found[1], dict):
        labels = data.root / "labels" / "labels.parquet"
        damaged = [n for n in FILES if (data.root / n).is_file()]
        if damaged:
            msg = f"{damaged[0]} is not valid JSON (or not an object): run `curate agreement RUN` again."
        elif labels.is_file():
            try:
                n = pl.scan_parquet(labels).select(pl.len()).collect().item()
            except Exception:
                n = None
            msg = f"{fmt_int(n)} labels pulled, no agreement figures yet."
        else:
            msg = "No reviews yet."
        return not_run("agreement", title, msg,
                       "Two reviewers label the selected records in Label Studio: <code>curate label push RUN</code>, "
                       "review, <code>curate label pull RUN</code>, then <code>curate agreement RUN</code>.")
    path, rep = found
    fields = _fields(rep)
    revs = _reviewers(rep)
    summ = rep.get("summary") if isinstance(rep.get("summary"), dict) else {}
    alphas = [estimate_value(v.get("krippendorff_alpha")) for _, v in fields]
    alphas = [a for a in alphas if a is not None]

    body: list[Html] = [kpis([
        ("items reviewed", summ.get("items"), ""),
        ("reviewers", summ.get("reviewers", len(revs) or None), ""),
        ("labels", summ.get("labels"), f"{summ.get('fields', len(fields))} fields"),
        ("lowest α", min(alphas) if alphas else None, "Krippendorff's α over the fields" if alphas else "no categorical field"),
    ])]

    if fields:
        metrics = [(k, t) for k, t in FIELD_METRICS if any(_get(v, k) is not None for _, v in fields)]
        rows = []
        for name, v in fields:
            alpha = estimate_value(v.get("krippendorff_alpha"))
            cells: list[Any] = [tag("b", name), v.get("level") or "", fmt_int(v.get("items_compared", v.get("items")))]
            for k, _ in metrics:
                val = _get(v, k)
                cell = estimate_text(val)
                if k == "krippendorff_alpha" and alpha is not None:
                    cell = tag("span", cell, class_=f"grade {_grade(alpha)}")
                cells.append(cell)
            rows.append(cells)
        body += [
            tag("h3", "Per field"),
            table(["field", "level", "items", *[t for _, t in metrics]], rows, num=range(2, 3 + len(metrics))),
            note(Html("Intervals are 95% bootstrap intervals over items. Krippendorff's α: "
                      + str(tag("span", "≥ 0.80 reliable", class_="grade good")) + ", "
                      + str(tag("span", "0.667–0.80 tentative", class_="grade fair")) + ", "
                      + str(tag("span", "below: not reliable", class_="grade poor")) + ".")),
        ]
        notes = [(name, n) for name, v in fields for n in (v.get("notes") or []) if isinstance(n, str)]
        if notes:
            body.append(tag("ul", join(tag("li", tag("b", name), ": ", n) for name, n in notes), class_="notes"))

        for name, v in fields:
            blocks = []
            cm = _confusion(v.get("confusion"))
            if cm is not None:
                blocks.append(cm)
            lab = _labels(v.get("labels"))
            if lab is not None:
                blocks.append(lab)
            if blocks:
                body.append(tag("div", tag("h3", f"{name}: confusion and per label"), join(blocks), class_="field-block"))

    if revs:
        body += [tag("h3", "Per reviewer"), _reviewer_table(revs, [n for n, _ in fields])]
    src = path.relative_to(data.root) if path.is_relative_to(data.root) else path
    body.append(note(Html("From " + str(tag("code", str(src)))
                          + (f", {esc(rep['generated_by'])}" if isinstance(rep.get("generated_by"), str) else "") + ".")))
    return Panel("agreement", title, join(body),
                 lead="How often two reviewers gave the same label, corrected for chance: per field, per label, "
                      "where they disagree (confusion matrices) and per reviewer.")


def _confusion(cm: Any) -> Html | None:
    if not isinstance(cm, dict):
        return None
    labels = cm.get("labels")
    counts = cm.get("counts") or cm.get("matrix")
    if not isinstance(labels, list) or not isinstance(counts, list) or not labels or len(labels) > MAX_LABELS:
        return None
    if len(counts) != len(labels) or any(not isinstance(r, list) or len(r) != len(labels) for r in counts):
        return None
    top = max((c for r in counts for c in r if is_number(c)), default=0)
    rows_name = cm.get("rows") if isinstance(cm.get("rows"), str) else "reviewer A"
    cols_name = cm.get("columns") if isinstance(cm.get("columns"), str) else "reviewer B"
    head = tag("tr", tag("th", tag("small", f"{rows_name} ↓ · {cols_name} →")), join(tag("th", str(lab)) for lab in labels))
    body = []
    for i, (lab, r) in enumerate(zip(labels, counts)):
        cells = [tag("th", str(lab))]
        for j, c in enumerate(r):
            n = c if is_number(c) else 0
            cells.append(tag("td", fmt_int(n) if n else "·", class_="num cm" + (" diag" if i == j else ""),
                             style=heat(n, top, 212 if i == j else 8)))
        body.append(tag("tr", join(cells)))
    caption = "confusion matrix" + (" (pooled over reviewer pairs)" if cm.get("pooled_over_pairs") else "")
    return tag("div", tag("table", tag("caption", caption), tag("thead", head), tag("tbody", join(body)), class_="tbl confusion"),
               class_="tbl-wrap")


def _labels(labels: Any) -> Html | None:
    if not isinstance(labels, dict) or not labels:
        return None
    rows = []
    for lab, v in list(labels.items())[:40]:
        if not isinstance(v, dict):
            continue
        rows.append([str(lab), fmt_int(v.get("ratings")),
                     f"{100 * v['share']:.1f}%" if is_number(v.get("share")) else "—",
                     estimate_text(v.get("specific_agreement")), estimate_text(v.get("kappa")), estimate_text(v.get("alpha"))])
    if not rows:
        return None
    return table(["label", "ratings", "share", "specific agreement", "κ (one vs rest)", "α (one vs rest)"], rows,
                 num=(1, 2, 3, 4, 5), caption="per label")


def _reviewer_table(revs: list[tuple[str, dict[str, Any]]], field_names: list[str]) -> Html:
    per_field = [f for f in field_names if any(isinstance(v.get("fields"), dict) and f in v["fields"] for _, v in revs)][:6]
    rows = []
    for name, v in revs:
        med = v.get("median_seconds")
        cells: list[Any] = [
            name, fmt_int(v.get("items")), fmt_int(v.get("ratings")),
            estimate_text(v.get("agreement_with_others")), estimate_text(v.get("accept_rate")),
            fmt_seconds(med) if is_number(med) else "—",
        ]
        fv = v.get("fields") if isinstance(v.get("fields"), dict) else {}
        for f in per_field:
            e = fv.get(f) if isinstance(fv.get(f), dict) else {}
            val = next((_get(e, k) for k in ("weighted_kappa.quadratic", "kappa", "percent_agreement", "edit_similarity")
                        if _get(e, k) is not None), None)
            cells.append(estimate_text(val))
        rows.append(cells)
    header = ["reviewer", "items", "ratings", "agreement with others", "accept rate", "median time",
              *[f"{f}" for f in per_field]]
    return Html(table(header, rows, num=range(1, len(header)))
                + note("Per field: κ with the others (quadratic-weighted for ordinal fields), percent agreement "
                       "for numeric fields, edit similarity for free text." if per_field else "")) if rows else Html("")

