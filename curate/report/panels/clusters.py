"""The cluster map: the select stage's 2-D projection coloured by cluster, the selected
records highlighted, and a table of clusters with their sizes and example titles."""

from __future__ import annotations

from typing import Any

import polars as pl

from curate.records import DROP_COLUMN
from curate.report.charts import MUTED, Point, colour, scatter
from curate.report.data import RunData, display_title
from curate.report.html import Html, fmt_int, fmt_pct, join, tag
from curate.report.panels.base import Panel, details, kpis, not_run, note, stats_table

MAX_POINTS = 4000  # dots drawn (all selected ones first, then a seeded sample)
MAX_CLUSTERS = 40  # rows of the cluster table
EXAMPLES = 3  # example titles per cluster
SEED = 0


def build(data: RunData) -> Panel:
    title = "Clusters"
    if data.entry("select") is None:
        status = data.status("select")
        return not_run("clusters", title,
                       "Selection is switched off for this build." if status == "disabled"
                       else f"The select stage has not completed ({status})." if status
                       else "The select stage has not run in this build.")
    cols = data.columns("select")
    base_cols = ["id", "cluster", "selected", "rank", "proj_x", "proj_y", DROP_COLUMN]
    lf = data.scan("select", base_cols)
    if lf is None or "selected" not in cols:
        return Panel("clusters", title, join([note("The select table has no selected column."),
                                               stats_table(data.stats("select"))]))
    df = lf.collect()
    if "cluster" not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.Int32).alias("cluster"))
    if "rank" not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.Int32).alias("rank"))
    if DROP_COLUMN not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.Utf8).alias(DROP_COLUMN))
    df = df.with_columns((pl.col("selected").fill_null(False) & pl.col(DROP_COLUMN).is_null()).alias("_sel"))
    st = data.stats("select")
    n_sel = int(df["_sel"].sum())
    clustered = df.filter(pl.col("cluster").is_not_null())

    per = (
        clustered.group_by("cluster")
        .agg(pl.len().alias("size"), pl.col("_sel").sum().alias("selected"))
        .sort(["size", "cluster"], descending=[True, False])
    )
    order = {int(c): i for i, c in enumerate(per["cluster"].to_list())}
    show_text = data.redacted("select")

    body: list[Html] = [kpis([
        ("records considered", df.height, ""),
        ("selected", n_sel, fmt_pct(n_sel, df.height) + (f" · budget {fmt_int(st['budget'])}" if st.get("budget") else "")),
        ("clusters", per.height if per.height else None, (st.get("strategy") or "") + " strategy"),
        ("clusters with a selected record", int((per["selected"] > 0).sum()) if per.height else None,
         fmt_pct(int((per["selected"] > 0).sum()), per.height) if per.height else ""),
    ])]

    # the map
    pts = df.filter(pl.col("proj_x").is_not_null() & pl.col("proj_y").is_not_null()) if "proj_x" in df.columns and "proj_y" in df.columns else df.clear()
    if pts.height:
        shown = _sample(pts)
        labels = _titles(data, shown["id"].to_list(), 70) if show_text else {}
        points = []
        for r in shown.iter_rows(named=True):
            c = r["cluster"]
            ci = order.get(int(c), -1) if c is not None else -1
            lab = f"cluster {c}" if c is not None else "no cluster"
            if r["_sel"]:
                lab += f" · selected #{r['rank']}" if r.get("rank") is not None else " · selected"
            if labels.get(r["id"]):
                lab += f" · {labels[r['id']]}"
            points.append(Point(float(r["proj_x"]), float(r["proj_y"]), int(c) if c is not None else -1, bool(r["_sel"]),
                                lab, colour(ci) if ci >= 0 else MUTED))
        caption = (f"{fmt_int(len(points))} of {fmt_int(pts.height)} records drawn (every selected one, and a sample of the rest)"
                   if len(points) < pts.height else f"{fmt_int(len(points))} records")
        body.append(tag(
            "div",
            tag("div", scatter(points, aria="2-D map of the records coloured by cluster"),
                tag("div",
                    tag("label", tag("input", type="checkbox", id="sel-only"), " selected records only"),
                    tag("span", tag("i", class_="sw dot"), "other records"),
                    tag("span", tag("i", class_="sw dot sel"), "selected"),
                    class_="map-controls"),
                note(caption + ". Hover a dot for its cluster and title; click a cluster in the table to pick it out."),
                class_="map-wrap"),
            _cluster_table(data, df, per, order, show_text),
            class_="map-grid",
        ))
    else:
        body.append(note("No 2-D map: this selection ran without embeddings"
                         + (f" (strategy {st.get('strategy')})." if st.get("strategy") else ".")))
        if per.height:
            body.append(_cluster_table(data, df, per, order, show_text))
    if st:
        body.append(details("Figures of the select stage", stats_table(st)))
    return Panel("clusters", title, join(body),
                 lead="Each dot is a record, placed by a 2-D projection of its embedding and coloured by its "
                      "k-means cluster; larger outlined dots are the records selected for review.")


def _sample(pts: pl.DataFrame) -> pl.DataFrame:
    """Every selected point (up to the limit) and a seeded sample of the others."""
    if pts.height <= MAX_POINTS:
        return pts
    sel = pts.filter(pl.col("_sel"))
    if sel.height >= MAX_POINTS // 2:
        sel = sel.sample(MAX_POINTS // 2, seed=SEED)
    rest = pts.filter(~pl.col("_sel"))
    rest = rest.sample(min(rest.height, MAX_POINTS - sel.height), seed=SEED)
    return pl.concat([rest, sel])


def _titles(data: RunData, ids: list[str], n: int) -> dict[str, str]:
    """Short display titles of some records (redacted table only)."""
    if not ids:
        return {}
    lf = data.scan("select", ["id", "title", "messages", "text"])
    if lf is None:
        return {}
    rows = lf.filter(pl.col("id").is_in(ids)).collect()
    return {r["id"]: display_title(r, n) for r in rows.iter_rows(named=True)}


def _cluster_table(data: RunData, df: pl.DataFrame, per: pl.DataFrame, order: dict[int, int], show_text: bool) -> Html:
    if not per.height:
        return Html("")
    top = per.head(MAX_CLUSTERS)
    ids = top["cluster"].to_list()
    # examples: the selected records first (best rank), then any
    ex = (
        df.filter(pl.col("cluster").is_in(ids))
        .sort(["cluster", "_sel", "rank", "id"], descending=[False, True, False, False], nulls_last=True)
        .group_by("cluster", maintain_order=True)
        .head(EXAMPLES)
    )
    titles = _titles(data, ex["id"].to_list(), 90) if show_text else {}
    examples: dict[Any, list[str]] = {}
    for r in ex.iter_rows(named=True):
        examples.setdefault(r["cluster"], []).append(titles.get(r["id"]) or r["id"])
    rows = []
    for c, size, sel in top.iter_rows():
        sw = tag("i", class_="sw", style=f"background:{colour(order[int(c)])}")
        exs = tag("ul", join(tag("li", t) for t in examples.get(c, [])), class_="examples")
        rows.append(tag(
            "tr",
            tag("td", sw, str(c)), tag("td", fmt_int(size), class_="num"), tag("td", fmt_int(sel), class_="num"),
            tag("td", exs),
            class_="cl-row", data_c=str(c), tabindex="0",
        ))
    head = tag("tr", tag("th", "cluster"), tag("th", "records", class_="num"), tag("th", "selected", class_="num"),
               tag("th", "examples" + ("" if show_text else " (ids: the table is not redacted)")))
    more = per.height - top.height
    foot = note(f"…and {fmt_int(more)} smaller clusters.") if more > 0 else Html("")
    return tag("div", tag("table", tag("thead", head), tag("tbody", join(rows)), class_="tbl clusters"), foot,
               class_="tbl-wrap cl-table")
