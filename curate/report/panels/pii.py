"""PII found, by entity type (and by source), from the redact table's ``pii`` counts."""

from __future__ import annotations

import polars as pl

from curate.records import DROP_COLUMN, PII_DTYPE, live, pii_counts
from curate.report.charts import Bar, colour, hbars
from curate.report.data import RunData
from curate.report.html import Html, fmt_int, fmt_pct, join, tag
from curate.report.panels.base import Panel, details, kpis, not_run, note, stats_table, table
from curate.report.panels.cards import record_card


def pii_long(lf: pl.LazyFrame, dtype: pl.DataType) -> pl.LazyFrame:
    """(row, entity, n) for every entity count of every record: the typed column
    (``PII_DTYPE``), or the JSON text of a run built before it was typed (read through
    :func:`curate.records.pii_counts`)."""
    lf = lf.with_row_index("_row")
    if dtype == pl.Utf8:
        lf = lf.with_columns(pl.col("pii").map_elements(
            lambda v: [{"entity": k, "count": n} for k, n in sorted(pii_counts(v).items())], return_dtype=PII_DTYPE))
    return (
        lf.select("_row", "pii").explode("pii").drop_nulls("pii")
        .select("_row", pl.col("pii").struct.field("entity").alias("entity"),
                pl.col("pii").struct.field("count").cast(pl.Int64).alias("n"))
    )


def build(data: RunData) -> Panel:
    title = "PII"
    e = data.entry("redact")
    if e is None:
        status = data.status("redact")
        msg = ("Redaction is switched off for this build: the report shows counts only, no record text."
               if status == "disabled" else
               f"The redact stage has not completed ({status})." if status else
               "The redact stage has not run: the report shows counts only, no record text.")
        return not_run("pii", title, msg, "Turn it on with <code>redact: {enabled: true}</code> in curate.yaml.")

    cols = data.columns("redact")
    lf = data.scan("redact", ["pii", "source", "id", "drop_reason"])
    body: list[Html] = []
    if lf is None or "pii" not in cols:
        body.append(note("The redact table has no pii column; only the stage's own figures are shown."))
        body.append(stats_table(data.stats("redact")))
        return Panel("pii", title, join(body), lead="Personal data found and replaced by the redact stage.")

    dtype = pl.scan_parquet(data.table("redact")).collect_schema()["pii"]  # type: ignore[arg-type]
    long = pii_long(lf.select("pii"), dtype).filter(pl.col("n") > 0)
    rows_src = lf.select([c for c in ("source",) if c in cols]).with_row_index("_row")
    joined = long.join(rows_src, on="_row", how="left").collect()
    n_records = int(lf.select(pl.len()).collect().item())
    totals = joined.group_by("entity").agg(pl.col("n").sum()).sort(["n", "entity"], descending=[True, False])
    with_pii = joined["_row"].n_unique() if joined.height else 0
    total = int(totals["n"].sum()) if totals.height else 0
    data.facts["pii_total"] = total

    body.append(kpis([
        ("entities replaced", total, f"{totals.height} types"),
        ("records with PII", with_pii, f"{fmt_pct(with_pii, n_records)} of {fmt_int(n_records)}"),
        ("records quarantined", sum(int(v) for v in (e.get("dropped") or {}).values() if isinstance(v, int)),
         _residual_note(data.stats("redact"), e)),
    ]))
    if totals.height:
        order = {ent: i for i, ent in enumerate(totals["entity"].to_list())}
        body.append(hbars([Bar(ent, int(n), colour=colour(order[ent]), note=fmt_pct(int(n), total))
                           for ent, n in totals.iter_rows()], label_class="wide"))
    else:
        body.append(note("No PII was found in the records."))

    # by source, when there are several
    if "source" in joined.columns and joined.height and joined["source"].n_unique() > 1:
        by = joined.group_by(["source", "entity"]).agg(pl.col("n").sum())
        ents = totals["entity"].to_list()[:8]
        srcs = by.group_by("source").agg(pl.col("n").sum()).sort("n", descending=True)["source"].to_list()[:12]
        m: dict[tuple[str, str], int] = {(s, en): int(n) for s, en, n in by.iter_rows()}
        rows = [[s, *[fmt_int(m.get((s, en), 0)) if m.get((s, en)) else "·" for en in ents]] for s in srcs]
        body += [tag("h3", "By source"), table(["source", *ents], rows, num=range(1, len(ents) + 1))]

    # one redacted record as it now reads (the redacted table only)
    example = _example(data, joined)
    if example is not None:
        body += [tag("h3", "A redacted record, as later stages see it"), example]

    st = data.stats("redact")
    if st:
        body.append(details("Figures of the redact stage", stats_table(st)))
    return Panel("pii", title, join(body),
                 lead="Personal data found and replaced by the redact stage, by entity type. "
                      "Counts come from each record's pii column; the text shown is the redacted text.")


def _residual_note(st: dict, e: dict) -> str:
    res = st.get("residual") if isinstance(st.get("residual"), dict) else {}
    by = res.get("by_type") if isinstance(res.get("by_type"), dict) else {}
    if by:
        return "residual check found: " + ", ".join(f"{k} {v}" for k, v in by.items())
    return "dropped by the residual check" if e.get("dropped") else "the residual check found nothing"


def _example(data: RunData, joined: pl.DataFrame) -> Html | None:
    """The live record with the most kinds of entity (records the residual check
    quarantined are never shown: their text may still hold personal data)."""
    if not joined.height or not data.redacted("redact"):
        return None
    lf = data.scan("redact", ["id", "title", "messages", "text", DROP_COLUMN])
    if lf is None:
        return None
    lf = lf.with_row_index("_row")
    if DROP_COLUMN in data.columns("redact"):
        live_rows = live(lf).select("_row").collect()["_row"]
        joined = joined.filter(pl.col("_row").is_in(live_rows.implode()))
    if not joined.height:
        return None
    kinds = joined.group_by("_row").agg(pl.col("entity").n_unique().alias("k"), pl.col("n").sum().alias("t"))
    best = kinds.sort(["k", "t", "_row"], descending=[True, True, False]).row(0, named=True)
    row = lf.filter(pl.col("_row") == best["_row"]).collect().row(0, named=True)
    return record_card(row, badge=None)
