"""``select.recency``: recent records weigh more in selection.

A record's weight is ``0.5 ** (age_days / half_life_days)``, its age counted back from the
newest dated candidate (not from the clock, so the same data gives the same selection
tomorrow). The field holds an ISO 8601 date or time, or Unix seconds. A record without a
readable value gets the weight of the oldest dated candidate (it is not favoured).

How each strategy uses the weights: ``random`` draws without replacement in proportion to
them; ``cluster_balanced`` and ``stratified`` give a cluster or stratum a quota by the sum
of its weights instead of its size, and inside it count a member's distance to the picks
by its weight (coverage) or scale a candidate's distance by it (farthest); ``k_center``
picks the candidate with the largest weighted distance to the picks."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any

import numpy as np
import polars as pl

from curate.select.config import RecencyConfig

DAY = 86400.0


def parse_time(value: Any) -> float | None:
    """Unix seconds of an ISO 8601 text or a number (seconds; milliseconds above 1e11)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        v = float(value)
        if not math.isfinite(v):
            return None
        return v / 1000.0 if abs(v) > 1e11 else v
    text = str(value).strip()
    if not text:
        return None
    try:
        return parse_time(float(text))
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def _values(df: pl.DataFrame, field: str) -> list[Any]:
    name = field[5:] if field.startswith("meta.") else field
    if not field.startswith("meta.") and name in df.columns:
        return df[name].to_list()
    out: list[Any] = []
    for raw in (df["meta"].to_list() if "meta" in df.columns else [None] * df.height):
        try:
            obj = json.loads(raw) if raw else {}
        except (json.JSONDecodeError, TypeError):
            obj = {}
        out.append(obj.get(name) if isinstance(obj, dict) else None)
    return out


def recency_weights(df: pl.DataFrame, cfg: RecencyConfig) -> tuple[np.ndarray, dict[str, Any]]:
    """One weight per row of ``df`` (in (0, 1], the newest 1) and the figures for the
    manifest: field, half-life, newest and oldest time, rows without a time."""
    times = np.array([t if (t := parse_time(v)) is not None else np.nan for v in _values(df, cfg.field)], dtype=np.float64)
    dated = ~np.isnan(times)
    stats: dict[str, Any] = {"field": cfg.field, "half_life_days": cfg.half_life_days,
                             "dated": int(dated.sum()), "undated": int((~dated).sum())}
    if not dated.any():
        return np.ones(df.height, dtype=np.float64), {**stats, "note": "no record has a readable time: no weighting"}
    newest, oldest = float(times[dated].max()), float(times[dated].min())
    age = np.where(dated, (newest - times) / DAY, (newest - oldest) / DAY)
    w = np.power(0.5, age / cfg.half_life_days)
    w = np.maximum(w, 1e-9)  # never zero: a very old record can still be drawn
    stats.update(newest=datetime.fromtimestamp(newest, timezone.utc).isoformat(timespec="seconds"),
                 oldest=datetime.fromtimestamp(oldest, timezone.utc).isoformat(timespec="seconds"),
                 mean_weight=round(float(w.mean()), 4))
    return w, stats
