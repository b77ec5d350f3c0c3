"""Per item: do its reviewers agree? The input to adjudication routing."""

from __future__ import annotations

import numpy as np
import polars as pl

from curate.agreement.compute import pair_rule
from curate.agreement.pairs import group_sizes, unit_pairs
from curate.agreement.rule import AgreementRule
from curate.agreement.ratings import prepare

ITEM_SCHEMA = {
    "record_id": pl.Utf8,
    "field": pl.Utf8,
    "level": pl.Utf8,
    "ratings": pl.Int64,
    "agree": pl.Boolean,
    "pair_agreement": pl.Float64,
    "spread": pl.Float64,
    "min_similarity": pl.Float64,
    "adjudicate": pl.Boolean,
}


def item_agreement(labels: pl.DataFrame, levels: dict[str, str], rule: AgreementRule | None = None) -> pl.DataFrame:
    """One row per (record_id, field) that has at least one rating.

    - ``agree``: every pair of the item's reviewers agrees under ``rule`` (null when fewer
      than two reviewers rated the field: nothing to compare yet);
    - ``pair_agreement``: the share of reviewer pairs that agree (1.0 with two agreeing
      reviewers, 0.0 with two disagreeing ones);
    - ``spread``: largest minus smallest value (ordinal, interval, ratio);
    - ``min_similarity``: the least similar pair of texts (text);
    - ``adjudicate``: whether the rule lets this field send an item to adjudication.
    """
    rule = rule or AgreementRule()
    prep = prepare(labels, levels)
    n_items = len(prep.items)
    items = np.asarray(prep.items, dtype=object)
    frames = []
    for fd in prep.fields:
        if fd.n == 0:
            continue
        r = rule.for_field(fd.name, fd.level.kind)
        m = group_sizes(fd.item, n_items)
        rated = np.flatnonzero(m > 0)
        left, right = unit_pairs(fd.item, ordered=False)
        ok, score = pair_rule(fd, r, left, right)
        up = fd.item[left]
        n_pairs = m * (m - 1.0) / 2.0
        ok_n = np.bincount(up, weights=ok.astype(np.float64), minlength=n_items)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(n_pairs > 0, ok_n / n_pairs, np.nan)
        agree = np.where(n_pairs > 0, ok_n == n_pairs, False)
        compared = n_pairs > 0
        spread = np.full(n_items, np.nan)
        min_sim = np.full(n_items, np.nan)
        if fd.level.numeric:
            starts = np.flatnonzero(np.r_[True, fd.item[1:] != fd.item[:-1]])
            spread[fd.item[starts]] = np.maximum.reduceat(fd.num, starts) - np.minimum.reduceat(fd.num, starts)
        if fd.level.kind == "text" and len(up):
            tmp = np.full(n_items, np.inf)
            np.minimum.at(tmp, up, score)
            min_sim = np.where(np.isfinite(tmp), tmp, np.nan)
        frames.append(pl.DataFrame({
            "record_id": items[rated].tolist(),
            "field": [fd.name] * len(rated),
            "level": [str(fd.level)] * len(rated),
            "ratings": m[rated].astype(np.int64),
            "agree": agree[rated],
            "pair_agreement": share[rated],
            "spread": np.where(compared[rated], spread[rated], np.nan) if fd.level.numeric else spread[rated],
            "min_similarity": min_sim[rated],
            "adjudicate": [r.adjudicate] * len(rated),
        }, schema=ITEM_SCHEMA).with_columns(
            pl.when(pl.Series(compared[rated])).then(pl.col("agree")).otherwise(None).alias("agree")
        ))
    if not frames:
        return pl.DataFrame(schema=ITEM_SCHEMA)
    out = pl.concat(frames).with_columns(pl.col("pair_agreement", "spread", "min_similarity").fill_nan(None))
    return out.sort("record_id", "field")


def items_to_adjudicate(item_table: pl.DataFrame) -> pl.DataFrame:
    """From :func:`item_agreement`'s table: the items whose reviewers disagree on at least
    one field that counts for adjudication, with those fields (``record_id``, ``fields``)."""
    return (
        item_table.filter(pl.col("adjudicate") & ~pl.col("agree"))  # null (not compared) is left out
        .group_by("record_id", maintain_order=True)
        .agg(pl.col("field").alias("fields"))
        .sort("record_id")
    )
