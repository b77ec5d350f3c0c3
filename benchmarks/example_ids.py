"""What a build decided, per record id, in a form that does not depend on which stage
decided it: the check that a change to the stage layout (a stage moved, split or merged)
keeps a build's results.

    python benchmarks/example_ids.py runs/support-tickets -o ids.json
    python benchmarks/example_ids.py A.json --compare B.json

The summary holds: every dropped id with its reason (whichever stage dropped it), the
selected ids in rank order, the exported ids per split with export's own drops, the
rejected inputs, and the sha256 of the redacted texts (id, title, turns) in id order."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import polars as pl


def summarise(run: Path) -> dict:
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    stages = manifest.get("stages", {})
    dropped: dict[str, list[str]] = {}
    for name, entry in stages.items():
        table = entry.get("table")
        if entry.get("status") != "done" or not table or not (run / table).exists():
            continue
        lf = pl.scan_parquet(run / table)
        if "drop_reason" not in lf.collect_schema().names():
            continue
        for rid, reason in lf.filter(pl.col("drop_reason").is_not_null()).select("id", "drop_reason").collect().iter_rows():
            if reason != "not_selected":
                dropped.setdefault(reason, []).append(rid)
    selected: list[str] = []
    not_selected: list[str] = []
    if (run / "select.parquet").exists():
        sel = pl.read_parquet(run / "select.parquet", columns=["id", "selected", "rank", "drop_reason"])
        selected = sel.filter(pl.col("selected")).sort("rank")["id"].to_list()
        not_selected = sorted(sel.filter(pl.col("drop_reason") == "not_selected")["id"].to_list())
    exported: dict[str, list[str]] = {}
    export_dropped: dict[str, list[str]] = {}
    exp = run / "export"
    for split in ("train", "eval", "test"):
        f = exp / f"{split}.jsonl"
        if f.exists():
            exported[split] = [json.loads(line).get("metadata", {}).get("id", "?") for line in f.read_text().splitlines()]
    if (exp / "dropped.jsonl").exists():
        for line in (exp / "dropped.jsonl").read_text().splitlines():
            d = json.loads(line)
            if d["reason"] != "not_selected":
                export_dropped.setdefault(d["reason"], []).append(d["id"])
    export_rows = {s: len(v) for s, v in exported.items()}
    export_sha = {s: hashlib.sha256((exp / f"{s}.jsonl").read_bytes()).hexdigest() for s in exported}
    rejects = []
    if (run / "rejects.jsonl").exists():
        rejects = sorted((r["status"], r["locator"], r["reason"]) for r in map(json.loads, (run / "rejects.jsonl").read_text().splitlines()))
    texts = hashlib.sha256()
    if (run / "redact.parquet").exists():
        red = pl.read_parquet(run / "redact.parquet", columns=["id", "title", "messages", "text"]).sort("id")
        for row in red.iter_rows(named=True):
            texts.update(json.dumps(row, sort_keys=True, ensure_ascii=False).encode())
            texts.update(b"\n")
    return {
        "dropped": {k: sorted(v) for k, v in sorted(dropped.items())},
        "selected_in_rank_order": selected,
        "not_selected": not_selected,
        "export_rows": export_rows,
        "export_files_sha256": export_sha,
        "export_dropped": {k: sorted(v) for k, v in sorted(export_dropped.items())},
        "rejects": rejects,
        "redacted_texts_sha256": texts.hexdigest(),
    }


def compare(a: dict, b: dict) -> list[str]:
    out = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            out.append(key)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, help="a run folder, or a summary .json with --compare")
    ap.add_argument("-o", "--out", type=Path, help="write the summary here")
    ap.add_argument("--compare", type=Path, help="a summary to compare with; exit 1 when they differ")
    args = ap.parse_args()
    summary = json.loads(args.run.read_text()) if args.run.suffix == ".json" else summarise(args.run)
    if args.out:
        args.out.write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    if args.compare:
        other = json.loads(args.compare.read_text())
        diff = compare(summary, other)
        counts = {k: (len(v) if isinstance(v, list) else sum(map(len, v.values())) if isinstance(v, dict) and all(isinstance(x, list) for x in v.values()) else v)
                  for k, v in summary.items() if k not in ("export_files_sha256", "redacted_texts_sha256")}
        print(json.dumps(counts, sort_keys=True))
        print("identical" if not diff else "differ: " + ", ".join(diff))
        return 1 if diff else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
