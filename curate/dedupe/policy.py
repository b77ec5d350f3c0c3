"""Which record of a duplicate group is kept: the representative policy.

Each policy turns a few per-record features, read in the same streaming pass as the
texts, into a rank (0 = keep first). Ties always go to the record seen first, so the
result does not depend on anything but the input order.

- ``complete``: the most complete conversation: has an assistant reply, then most
  turns, then longest text.
- ``longest``: the longest text (in characters).
- ``newest``: the latest time in the meta field ``newest_field`` (ISO 8601 text or Unix
  seconds/milliseconds); records without one come last.
- ``first``: first seen.

Whatever the policy, records with expert work (pushed to Label Studio or labeled) rank
ahead of the others (:func:`preferred_first`), so a copy arriving with new data never
takes a reviewed record's place.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np
import polars as pl

from curate.records import meta_expr

POLICIES = ("complete", "longest", "newest", "first")


def feature_exprs(policy: str, columns: list[str], newest_field: str = "created_at") -> dict[str, pl.Expr]:
    """polars expressions computing the features ``policy`` needs, by name."""
    if policy not in POLICIES:
        raise ValueError(f"unknown keep policy {policy!r}; policies are {', '.join(POLICIES)}")
    out: dict[str, pl.Expr] = {}
    if policy in ("complete", "longest"):
        out["length"] = pl.col("text").fill_null("").str.len_chars().cast(pl.Int64)
    if policy == "complete":
        if "messages" in columns:
            msgs = pl.col("messages").fill_null([])
            out["turns"] = msgs.list.len().cast(pl.Int64)
            out["assistant"] = msgs.list.eval(pl.element().struct.field("role") == "assistant").list.any().fill_null(False)
        else:
            out["turns"] = pl.lit(1, dtype=pl.Int64)
            out["assistant"] = pl.lit(False)
    if policy == "newest":
        out["time"] = (
            meta_expr(newest_field)
            if "meta" in columns
            else pl.lit(None, dtype=pl.Utf8)
        )
    return out


def parse_time(value: str | None) -> float:
    """Seconds since the epoch of an ISO 8601 text or a number (seconds, or milliseconds
    when above 10^11); NaN when absent or unreadable. Times without a zone are UTC."""
    if value is None:
        return math.nan
    v = value.strip()
    if not v:
        return math.nan
    try:
        x = float(v)
    except ValueError:
        pass
    else:
        if not math.isfinite(x):
            return math.nan
        return x / 1000.0 if abs(x) > 1e11 else x
    try:
        dt = datetime.fromisoformat(v.replace("Z", "+00:00") if v.endswith(("Z", "z")) else v)
    except ValueError:
        return math.nan
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def times(values: pl.Series) -> np.ndarray:
    return np.array([parse_time(v) for v in values.to_list()], dtype=np.float64)


def ranks(policy: str, features: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Rank of each of ``n`` records under ``policy`` (0 = keep first)."""
    index = np.arange(n, dtype=np.int64)
    if policy == "first":
        return index
    keys: list[np.ndarray] = [index]  # np.lexsort: the last key is the primary one
    if policy == "longest":
        keys.append(-features["length"])
    elif policy == "complete":
        keys += [-features["length"], -features["turns"], -features["assistant"].astype(np.int64)]
    elif policy == "newest":
        t = features["time"]
        missing = np.isnan(t)
        keys += [np.where(missing, 0.0, -t), missing]
    else:
        raise ValueError(f"unknown keep policy {policy!r}")
    order = np.lexsort(keys)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = index
    return rank


def preferred_first(rank: np.ndarray, preferred: np.ndarray) -> np.ndarray:
    """``rank`` with the ``preferred`` records ahead of all others (each side keeps its
    order)."""
    n = rank.size
    order = np.lexsort((rank, ~preferred))
    out = np.empty(n, dtype=np.int64)
    out[order] = np.arange(n, dtype=np.int64)
    return out
