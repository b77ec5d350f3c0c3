"""Expert work that a rebuild could not keep: a record pushed to Label Studio or labeled
there that is no longer among the records the export reads. Never silent: each one is
listed in ``dropped.jsonl`` with the stage where it left and its own reason, counted in the
export's stats (``expert_lost``), the summary and the dataset card.

Reasons: ``labeled_now_quarantined`` (redact: ``pii_residual``, ``redaction_timeout``),
``labeled_now_duplicate`` (exact, near or semantic duplicate of a kept record),
``labeled_now_filtered`` (a filter check), ``labeled_not_selected`` (a run whose select
stage predates kept expert work), ``labeled_now_missing`` (in none of the run's tables: the
source no longer has it). A record pushed but not labeled yet gets ``pushed_now_*``.

These records are not among the export's input, so they stay outside its
``records_in = records_out + dropped`` accounting."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from curate.labelstudio.expert import LABELED
from curate.records import DROP_COLUMN

#: the run's tables that hold redacted ids, latest first (ingest holds the source's ids)
_TABLES = ("select", "embed", "filter", "dedupe", "redact")
QUARANTINE = {"pii_residual", "redaction_timeout"}
DUPLICATE = {"exact_duplicate", "near_duplicate", "semantic_duplicate"}


@dataclass
class Lost:
    id: str
    reason: str
    stage: str | None
    cause: str | None
    state: str  # labeled | pushed


def _kind(cause: str | None, stage: str | None) -> str:
    if stage is None or cause is None:
        return "missing"
    if cause in QUARANTINE:
        return "quarantined"
    if cause in DUPLICATE:
        return "duplicate"
    if cause == "not_selected":
        return "not_selected"
    return "filtered"


def where_dropped(run_root: Path, ids: list[str] | set[str]) -> dict[str, tuple[str, str | None]]:
    """For each of ``ids`` found in the run's tables: (the latest stage table holding it,
    its drop reason there; None: live). Ids in no table are left out."""
    found: dict[str, tuple[str, str | None]] = {}
    want = pl.Series(sorted(ids), dtype=pl.Utf8)
    for stage in _TABLES:
        path = Path(run_root) / f"{stage}.parquet"
        left = want.filter(~want.is_in(list(found)))
        if not path.is_file() or left.is_empty():
            continue
        lf = pl.scan_parquet(path)
        names = lf.collect_schema().names()
        if "id" not in names:
            continue
        cols = ["id"] + ([DROP_COLUMN] if DROP_COLUMN in names else [])
        rows = lf.select(cols).filter(pl.col("id").is_in(left.implode())).collect()
        for row in rows.iter_rows(named=True):
            found.setdefault(row["id"], (stage, row.get(DROP_COLUMN)))
    return found


def expert_lost(run_root: Path | None, expert: dict[str, str], present: set[str]) -> list[Lost]:
    """Every record of ``expert`` (id -> labeled | pushed) not in ``present``, with where
    and why it left the run."""
    missing = {rid: state for rid, state in expert.items() if rid not in present}
    if not missing:
        return []
    found = where_dropped(run_root, set(missing)) if run_root is not None else {}
    out = []
    for rid, state in sorted(missing.items()):
        stage, cause = found.get(rid, (None, None))
        kind = _kind(cause, stage)
        prefix = "labeled" if state == LABELED else "pushed"
        reason = f"{prefix}_not_selected" if kind == "not_selected" else f"{prefix}_now_{kind}"
        out.append(Lost(rid, reason, stage, cause, state))
    return out
