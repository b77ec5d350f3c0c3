"""Duplicate groups: how large they are and the largest ones with their texts side by
side (representative first)."""

from __future__ import annotations

import math

import polars as pl

from curate.records import DROP_COLUMN
from curate.report.charts import histogram
from curate.report.data import RunData
from curate.report.html import Html, fmt_int, fmt_pct, join, plural, tag
from curate.report.panels.base import Panel, details, kpis, not_run, note, stats_table
from curate.report.panels.cards import record_card

#: upper bounds of the group-size bins
BINS = (2, 3, 4, 5, 10, 20, 50, 100, 1000, 10_000, 100_000)
LARGEST = 4  # groups shown side by side
MEMBERS = 6  # members shown per group
SEMANTIC = "semantic_duplicate"  # the select stage's drop reason


def _bin_label(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}–{hi}"


def size_bins(sizes: list[int]) -> list[tuple[str, float]]:
    """(label, number of groups) per bin of group size, up to the largest group."""
    if not sizes:
        return []
    biggest = max(sizes)
    out = []
    lo = 2
    for hi in BINS:
        if lo > biggest:
            break
        out.append((_bin_label(lo, hi), float(sum(1 for s in sizes if lo <= s <= hi))))
        lo = hi + 1
    if lo <= biggest:
        out.append((f"> {BINS[-1]:,}", float(sum(1 for s in sizes if s >= lo))))
    return out


def build(data: RunData) -> Panel:
    title = "Duplicates"
    if data.entry("dedupe") is None:
        status = data.status("dedupe")
        return not_run("duplicates", title,
                       "Deduplication is switched off for this build." if status == "disabled"
                       else f"The dedupe stage has not completed ({status})." if status
                       else "The dedupe stage has not run in this build.")
    cols = data.columns("dedupe")
    if "dup_group" not in cols:
        return Panel("duplicates", title, join([note("The dedupe table has no dup_group column."),
                                                 stats_table(data.stats("dedupe"))]))
    lf = data.scan("dedupe", ["id", "dup_group", "dup_kind", "is_representative", DROP_COLUMN])
    assert lf is not None
    lf = lf.with_columns(pl.col("dup_group").cast(pl.Utf8))
    groups = (
        lf.group_by("dup_group").agg(pl.len().alias("size"))
        .filter(pl.col("size") >= 2)
        .sort(["size", "dup_group"], descending=[True, False])
        .collect()
    )
    n = int(lf.select(pl.len()).collect().item())
    drops = lf.filter(pl.col(DROP_COLUMN).is_not_null()).group_by(DROP_COLUMN).agg(pl.len().alias("n")).collect() \
        if DROP_COLUMN in cols else pl.DataFrame({DROP_COLUMN: [], "n": []})
    dropped = {str(r): int(c) for r, c in drops.iter_rows()}
    kinds: dict[str, int] = {}
    if "dup_kind" in cols:
        kk = lf.filter(pl.col("dup_kind").is_not_null()).group_by("dup_kind").agg(pl.len().alias("n")).collect()
        kinds = {str(k): int(c) for k, c in kk.iter_rows()}
    in_groups = int(groups["size"].sum()) if groups.height else 0

    body: list[Html] = [kpis([
        ("records checked", n, ""),
        ("groups of 2 or more", groups.height, f"{fmt_int(in_groups)} records in them"),
        *[(f"dropped: {r}", c, fmt_pct(c, n)) for r, c in sorted(dropped.items())],
        *[(f"{k} duplicates", c, "dup_kind") for k, c in sorted(kinds.items()) if f"{k}_duplicate" not in dropped],
    ])]
    if not groups.height:
        body.append(note("No duplicates were found."))
    else:
        sizes = groups["size"].to_list()
        body += [
            tag("h3", "Groups by size"),
            histogram(size_bins(sizes), xlabel="records in the group", ylabel="groups",
                      aria="number of duplicate groups by size", log=max(sizes) > 50 and len(sizes) > 20),
            tag("h3", f"The {min(LARGEST, groups.height)} largest groups"),
        ]
        top = groups.head(LARGEST)
        body.append(_largest(data, "dedupe", "dup_group", top["dup_group"].to_list(), top["size"].to_list()))
    sem = _semantic(data)
    if sem is not None:
        body.append(sem)
    st = data.stats("dedupe")
    if st:
        body.append(details("Figures of the dedupe stage", stats_table(st)))
    return Panel("duplicates", title, join(body),
                 lead="Records that are the same (exact) or nearly the same (MinHash) form a group; one "
                      "representative of each group is kept and the others are dropped.")


def _largest(data: RunData, stage: str, group_col: str, ids: list, sizes: list[int],
             dropped_as: tuple[str, ...] | None = None) -> Html:
    """The given groups side by side, kept members first. ``dropped_as``: the drop
    reasons that mean "a duplicate" (other drops, e.g. not_selected, count as kept
    here); None: any drop."""
    show_text = data.redacted(stage)
    cols = ["id", group_col, "dup_kind", "is_representative", "dup_similarity", DROP_COLUMN]
    if show_text:
        cols += ["title", "messages", "text"]
    lf = data.scan(stage, cols)
    assert lf is not None
    ids = [str(i) for i in ids]
    members = lf.with_columns(pl.col(group_col).cast(pl.Utf8)).filter(pl.col(group_col).is_in(ids)).collect()

    def is_dup(reason: str | None) -> bool:
        return reason is not None and (dropped_as is None or reason in dropped_as)

    blocks = []
    for gid, size in zip(ids, sizes):
        rows = members.filter(pl.col(group_col) == gid).to_dicts()
        rows.sort(key=lambda r: (is_dup(r.get(DROP_COLUMN)), not r.get("is_representative"), str(r["id"])))
        cards = []
        for row in rows[:MEMBERS]:
            kept = not is_dup(row.get(DROP_COLUMN))
            kind = row.get("dup_kind")
            label = "kept" if kept else f"dropped: {row.get(DROP_COLUMN)}"
            if kind and not kept and f"{kind}_duplicate" != row.get(DROP_COLUMN):
                label += f" · {kind}"
            sim = row.get("dup_similarity")
            if not kept and isinstance(sim, float) and not math.isnan(sim) and kind != "exact":
                label += f" · similarity {sim:.2f}"
            badge = tag("span", label, class_=f"badge {'keep' if kept else 'drop'}")
            if show_text:
                cards.append(record_card(row, badge, limit=600, cls="dup"))
            else:
                cards.append(tag("div", tag("div", badge, tag("span", row.get("id") or "", class_="rec-id"), class_="rec-head"),
                                 tag("div", "text hidden: this table is not redacted", class_="muted"), class_="rec dup"))
        more = size - min(size, MEMBERS)
        hint = (tag("code", f"curate inspect {data.root} --dup-group {gid}") if group_col == "dup_group"
                else tag("code", f"curate inspect {data.root} --stage {stage}"))
        blocks.append(tag(
            "div",
            tag("div", tag("b", f"group {gid}"), f" · {fmt_int(size)} records",
                f" (showing {MEMBERS})" if more > 0 else "", " · ", hint, class_="group-head"),
            tag("div", join(cards), class_="side-by-side"),
            class_="dup-group",
        ))
    return join(blocks)


def _semantic(data: RunData) -> Html | None:
    """Semantic duplicates, found by the select stage inside clusters (``semantic_group``)."""
    if data.entry("select") is None or "semantic_group" not in data.columns("select"):
        return None
    lf = data.scan("select", ["semantic_group", DROP_COLUMN])
    assert lf is not None
    groups = (
        lf.filter(pl.col("semantic_group").is_not_null() & (pl.col("semantic_group") >= 0))
        .group_by("semantic_group").agg(pl.len().alias("size"))
        .filter(pl.col("size") >= 2)
        .sort(["size", "semantic_group"], descending=[True, False])
        .collect()
    )
    dropped = int(lf.filter(pl.col(DROP_COLUMN) == SEMANTIC).select(pl.len()).collect().item()) \
        if DROP_COLUMN in data.columns("select") else 0
    body = [tag("h3", "Semantic duplicates"),
            note(f"Found by the select stage: records in one cluster whose embeddings are nearly the same. "
                 f"{plural(groups.height, 'group')}; {plural(dropped, 'record')} dropped as {SEMANTIC}.")]
    if groups.height:
        top = groups.head(2)
        body.append(_largest(data, "select", "semantic_group", top["semantic_group"].to_list(), top["size"].to_list(),
                             dropped_as=(SEMANTIC,)))
    return join(body)
