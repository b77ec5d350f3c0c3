"""The run at a glance: what was built, when, and the headline figures of each stage."""

from __future__ import annotations

from curate.report.data import RunData
from curate.report.html import Html, fmt_int, fmt_pct, is_number, join, tag
from curate.report.panels.base import Panel, estimate_value, kpis, note
from curate.stages import STAGE_ORDER

STATUS_CLASS = {"done": "ok", "failed": "bad", "running": "warn", "disabled": "muted"}


def build(data: RunData) -> Panel:
    m = data.manifest
    chips = []
    names = list(STAGE_ORDER)
    if "label" not in names and (data.root / "labels").is_dir():
        names.insert(names.index("export") if "export" in names else len(names), "label")
    for s in names:
        if s == "label":
            status = "done" if (data.root / "agreement.json").is_file() or (data.root / "labels" / "agreement.json").is_file() else "pulled"
        else:
            status = data.status(s) or "not run"
        chips.append(tag("li", tag("span", s, class_="chip-name"), tag("span", status, class_="chip-status"),
                         class_=f"chip {STATUS_CLASS.get(status, 'muted' if status == 'not run' else 'warn')}"))
    ing = data.stages.get("ingest", {})
    ded = data.entry("dedupe") or {}
    sel = data.stats("select")
    exp = data.entry("export") or {}
    red = data.entry("redact") or {}
    n_in = ing.get("records_out") if is_number(ing.get("records_out")) else None

    pii_total = data.facts.get("pii_total")
    rs = data.stats("redact") if pii_total is None else {}
    for key in ("entities_total", "total_entities", "entities"):
        v = rs.get(key)
        if is_number(v):
            pii_total = v
            break
        if isinstance(v, dict) and v and all(is_number(x) for x in v.values()):
            pii_total = sum(v.values())
            break
    dup_dropped = sum(int(v) for v in (ded.get("dropped") or {}).values() if is_number(v)) if ded else None
    alpha = None
    found = data.read_json("agreement.json", "labels/agreement.json")
    if found and isinstance(found[1], dict) and isinstance(found[1].get("fields"), dict):
        vals = [estimate_value(f.get("krippendorff_alpha")) for f in found[1]["fields"].values() if isinstance(f, dict)]
        vals = [v for v in vals if v is not None]
        alpha = min(vals) if vals else None
    figures = [
        ("records", n_in, "after ingest"),
        ("PII entities replaced", pii_total, "" if red else "redaction did not run"),
        ("duplicates dropped", dup_dropped, fmt_pct(dup_dropped, ded.get("records_in")) if ded else "dedupe did not run"),
        ("selected for review", sel.get("selected"), f"of {fmt_int(sel.get('candidates'))} candidates" if sel else "select did not run"),
        ("lowest agreement α", alpha, "" if alpha is not None else "no reviews yet"),
        ("training examples", exp.get("records_out"), "exported" if exp else "export did not run"),
    ]
    meta = []
    for label, key in (("config", "config_path"), ("config hash", "config_hash"), ("engine", "engine"),
                       ("started", "created_at"), ("finished", "finished_at")):
        v = m.get(key)
        if v:
            meta.append(tag("span", tag("b", label), " ", str(v)[:16] if key == "config_hash" else str(v)))
    vers = m.get("versions") if isinstance(m.get("versions"), dict) else {}
    if vers.get("curate"):
        meta.append(tag("span", tag("b", "curate"), " ", str(vers["curate"])))
    desc = data.manifest.get("config", {}).get("description") if isinstance(data.manifest.get("config"), dict) else None
    body = [
        note(str(desc), "desc") if desc else Html(""),
        tag("ol", join(chips), class_="chips", aria_label="stages"),
        kpis(figures),
        tag("div", join(meta, " · "), class_="run-meta"),
    ]
    if not data.redacted(data.last_table_stage() or "ingest"):
        body.append(note("Redaction did not run on the tables of this build, so this report shows counts only: "
                         "no record text, titles or metadata values.", "warn-box"))
    return Panel("overview", "Overview", join(body), lead="")
