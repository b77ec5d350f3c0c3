"""What changed between two dataset versions (``curate diff``, the card, the report).

- **added**: examples in the newer version only;
- **removed**: examples in the older version only, each with a reason: the newer export's
  own (``rejected_by_reviewers``, ``no_accepted_label``, ``too_long``, ``labeled_now_*``,
  ...), else where the record left the run (``deduplicated``, ``quarantined``, ``filtered``,
  ``no_longer_selected``, ``missing_from_sources``) when the newer version is the run's
  latest (the run's tables describe it), else ``not_recorded``;
- **changed**: examples in both whose content differs: ``labeled`` (reviewed for the first
  time), ``relabeled`` (the reviewers' decision or values changed), ``corrected_response`` (the final reply), ``different_text`` (the
  record's content hash: new wording or a different redaction), ``rendered_differently``
  (the same record and labels, another format or setting);
- **moved**: examples whose split changed.

Counts per stratum (the split's strata, else ``(all)``)."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import polars as pl

from curate.export.lost import DUPLICATE, QUARANTINE, where_dropped
from curate.versions.store import Version

#: an export's own drop reasons mapped to the diff's words
_EXPORT_REASON = {"not_selected": "no_longer_selected"}
ALL = "(all)"


def _from_run_cause(stage: str | None, cause: str | None) -> str:
    if stage is None or cause is None:
        return "missing_from_sources"
    if cause in DUPLICATE:
        return "deduplicated"
    if cause in QUARANTINE:
        return "quarantined"
    if cause == "not_selected":
        return "no_longer_selected"
    return "filtered"


def _export_reason(reason: str) -> str:
    if reason.endswith("_now_duplicate"):
        return "deduplicated"
    if reason.endswith("_now_quarantined"):
        return "quarantined"
    if reason.endswith("_now_filtered"):
        return "filtered"
    if reason.endswith("_now_missing"):
        return "missing_from_sources"
    return _EXPORT_REASON.get(reason, reason)


def diff_tables(old: pl.DataFrame, new: pl.DataFrame, new_dropped: pl.DataFrame | None = None,
                run_root: Path | None = None) -> dict[str, Any]:
    """The changes from ``old`` to ``new`` (examples tables of two versions). ``run_root``:
    the run whose current tables explain removals the newer export did not list."""
    a = {r["id"]: r for r in old.iter_rows(named=True)}
    b = {r["id"]: r for r in new.iter_rows(named=True)}
    added = sorted(set(b) - set(a))
    removed_ids = sorted(set(a) - set(b))
    why: dict[str, str] = {}
    if new_dropped is not None and new_dropped.height:
        for r in new_dropped.filter(pl.col("id").is_in(removed_ids)).iter_rows(named=True):
            why.setdefault(r["id"], _export_reason(r["reason"]))
    rest = [i for i in removed_ids if i not in why]
    if rest and run_root is not None:
        for rid, (stage, cause) in where_dropped(run_root, rest).items():
            why[rid] = _from_run_cause(stage, cause)
    removed = [{"id": i, "reason": why.get(i, "not_recorded")} for i in removed_ids]
    changed, moved = [], []
    for rid in sorted(set(a) & set(b)):
        x, y = a[rid], b[rid]
        kinds = []
        if (x["decision"], x["label"]) != (y["decision"], y["label"]):
            kinds.append("labeled" if x["decision"] is None and x["label"] is None else "relabeled")
        if x["response_hash"] != y["response_hash"] and x["record_hash"] == y["record_hash"]:
            kinds.append("corrected_response")
        if x["record_hash"] != y["record_hash"]:
            kinds.append("different_text")
        if not kinds and x["example_hash"] != y["example_hash"]:
            kinds.append("rendered_differently")
        if kinds:
            changed.append({"id": rid, "kinds": kinds})
        if x["split"] != y["split"]:
            moved.append({"id": rid, "from": x["split"], "to": y["split"]})
    strata: dict[str, Counter[str]] = defaultdict(Counter)

    def stratum(row: dict[str, Any]) -> str:
        return row.get("stratum") or ALL

    for i in added:
        strata[stratum(b[i])]["added"] += 1
    for r in removed:
        strata[stratum(a[r["id"]])]["removed"] += 1
    for c in changed:
        strata[stratum(b[c["id"]])]["changed"] += 1
    for m in moved:
        strata[stratum(b[m["id"]])]["moved"] += 1
    return {
        "counts": {"before": len(a), "after": len(b), "added": len(added), "removed": len(removed),
                   "changed": len(changed), "moved": len(moved), "unchanged": len(set(a) & set(b)) - len(
                       {c["id"] for c in changed} | {m["id"] for m in moved})},
        "removed_by_reason": dict(sorted(Counter(r["reason"] for r in removed).items())),
        "changed_by_kind": dict(sorted(Counter(k for c in changed for k in c["kinds"]).items())),
        "moved_by_splits": dict(sorted(Counter(f"{m['from']} -> {m['to']}" for m in moved).items())),
        "strata": {s: dict(sorted(c.items())) for s, c in sorted(strata.items())},
        "added": added, "removed": removed, "changed": changed, "moved": moved,
    }


def diff_versions(old: Version, new: Version, *, latest: bool) -> dict[str, Any]:
    """The changes from version ``old`` to ``new``; ``latest``: ``new`` is its run's latest
    version (the run's tables then explain removals)."""
    out = diff_tables(old.examples, new.examples, new.dropped, new.run_root if latest else None)
    out["from"] = {"run": str(old.run_root), "version": old.number, "created_at": old.entry.get("created_at")}
    out["to"] = {"run": str(new.run_root), "version": new.number, "created_at": new.entry.get("created_at")}
    return out


def change_summary(changes: dict[str, Any] | None) -> str:
    """One line: ``+12 added, -3 removed (deduplicated 2, ...), 4 changed (...), 1 moved``."""
    if not changes:
        return "no earlier version"
    c = changes["counts"]
    parts = [f"+{c['added']:,} added"]
    rm = f"-{c['removed']:,} removed"
    if changes.get("removed_by_reason"):
        rm += " (" + ", ".join(f"{k} {v:,}" for k, v in changes["removed_by_reason"].items()) + ")"
    parts.append(rm)
    ch = f"{c['changed']:,} changed"
    if changes.get("changed_by_kind"):
        ch += " (" + ", ".join(f"{k} {v:,}" for k, v in changes["changed_by_kind"].items()) + ")"
    parts.append(ch)
    parts.append(f"{c['moved']:,} moved between splits")
    return ", ".join(parts)
