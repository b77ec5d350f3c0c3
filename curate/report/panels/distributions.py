"""Distributions of category / priority / source (and other categorical fields) before and
after selection, as shares, so a skewed selection shows at a glance."""

from __future__ import annotations

import polars as pl

from curate.records import DROP_COLUMN, live, meta_expr, meta_of
from curate.report.charts import paired_bars
from curate.report.data import RunData
from curate.report.html import Html, fmt_int, join, shorten, tag
from curate.report.panels.base import Panel, note

#: metadata keys shown when present (categorical by nature); the select stage's
#: stratify_by key is added. Other keys are never shown: free-form metadata may hold
#: personal data the redact stage was not told about.
META_KEYS = ("category", "priority", "intent", "type", "status", "channel", "product", "queue", "language", "tags")
TOP = 12  # values shown per field; the rest are summed as "(other)"
MAX_FIELDS = 6


def _meta_keys(data: RunData, stage: str) -> list[str]:
    keys = list(META_KEYS)
    strat = data.config("select").get("stratify_by")
    if isinstance(strat, str) and strat and strat not in ("source", "kind"):
        keys.insert(0, strat.removeprefix("meta."))
    lf = data.scan(stage, ["meta"])
    if lf is None:
        return []
    present: set[str] = set()
    for m in lf.head(2000).collect()["meta"].to_list():
        if not m:
            continue
        obj = meta_of(m)
        present.update(k for k in obj if obj[k] not in (None, ""))
    return [k for k in dict.fromkeys(keys) if k in present]


def _values(lf: pl.LazyFrame, field: str) -> pl.Expr:
    if field.startswith("meta."):
        return meta_expr(field).alias(field)
    return pl.col(field).cast(pl.Utf8).alias(field)


def _shares(df: pl.DataFrame, field: str) -> dict[str, float]:
    n = df.height
    if not n:
        return {}
    counts = df.group_by(field).agg(pl.len().alias("n"))
    return {("(missing)" if v is None else str(v)): 100.0 * c / n for v, c in counts.iter_rows()}


def build(data: RunData) -> Panel:
    title = "Distributions"
    selected = data.entry("select") is not None and data.table("select") is not None
    stage = "select" if selected else data.last_table_stage()
    if stage is None:
        return Panel("distributions", title, note("No stage table to read yet."), state="not_run")
    cols = data.columns(stage)
    fields = [c for c in ("source", "kind") if c in cols]
    meta_ok = "meta" in cols and data.redacted(stage)
    if meta_ok:
        fields += [f"meta.{k}" for k in _meta_keys(data, stage)]
    need = [c for c in ("id", "source", "kind", "selected", DROP_COLUMN) if c in cols] + (["meta"] if meta_ok else [])
    lf = data.scan(stage, need)
    if lf is None:
        return Panel("distributions", title, note("The table has none of the fields to show."), state="not_run")
    exprs = [_values(lf, f) for f in fields]
    extra = [c for c in ("selected", DROP_COLUMN) if c in cols]
    df = lf.select([*exprs, *[pl.col(c) for c in extra]]).collect()
    if selected and "selected" in df.columns:
        before = df
        after = df.filter(pl.col("selected").fill_null(False) & (pl.col(DROP_COLUMN).is_null() if DROP_COLUMN in df.columns else True))
        names = (f"before selection ({fmt_int(before.height)})", f"selected ({fmt_int(after.height)})")
        lead = ("Share of each value among the records that entered selection, and among those selected: "
                "a diverse selection spreads over the values instead of copying the largest one.")
    else:
        before = live(df)
        after = None
        names = (f"records after {stage} ({fmt_int(before.height)})", None)
        lead = f"Share of each value among the records left after the {stage} stage (the select stage has not run)."

    blocks: list[Html] = []
    single: list[str] = []
    shown = 0
    for f in fields:
        if shown >= MAX_FIELDS:
            break
        b = _shares(before, f)
        if len(b) <= 1 and f in ("source", "kind"):
            single.extend(f"{f}: {v}" for v in b)  # one value says nothing as a chart
            continue
        a = _shares(after, f) if after is not None else {}
        order = sorted(b, key=lambda v: (-b[v], v))
        top, rest = order[:TOP], order[TOP:]
        rows = [(shorten(v, 40), b[v], a.get(v, 0.0)) for v in top]
        if rest:
            rows.append((f"(other: {len(rest)} values)", sum(b[v] for v in rest), sum(a.get(v, 0.0) for v in rest)))
        chart = paired_bars(rows if after is not None else [(lab, x, None) for lab, x, _ in rows], names)
        blocks.append(tag("div", tag("h3", f.removeprefix("meta."), tag("small", f" ({len(b)} values)")), chart, class_="dist"))
        shown += 1
    if not blocks:
        msg = "Every record has the same " + (", ".join(single) if single else "source and kind")
        msg += "." if meta_ok else "; metadata is shown from redacted tables only, and redaction did not run."
        return Panel("distributions", title, note(msg), lead=lead)
    body = [tag("div", join(blocks), class_="dist-grid")]
    if single:
        body.append(note("Every record has the same " + ", ".join(single) + "."))
    if not meta_ok:
        body.append(note("Metadata fields (category, priority, …) are shown from redacted tables only; "
                         "redaction did not run in this build."))
    return Panel("distributions", title, join(body), lead=lead)
