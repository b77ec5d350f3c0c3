"""The example build, before and after a change: identical ids and redacted texts?

Builds ``examples/support-tickets/curate.yaml`` twice in this run, once with the working
tree's code and once with the code of ``--base`` (a git commit checked out in a temporary
worktree), each in its own runs folder, and compares what a restructuring must not change:

- per stage table: the ids, and for each its ``drop_reason`` (kept, or dropped and why);
- the redacted texts (``redact.parquet``: title, messages, text, meta), compared by record;
- the selection: which ids are selected, their rank;
- the export: the ids in train and eval.

    .venv/bin/python benchmarks/example_identity.py --base bcfcfdd

Writes ``benchmarks/results/example_identity.md`` and ``.json``; exits 1 when anything
differs (the differences are listed by id, never by text).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = Path("examples/support-tickets/curate.yaml")
TABLES = ("ingest", "redact", "dedupe", "filter", "embed", "select")
TEXT_COLUMNS = ("title", "messages", "text", "meta")


def build(code_root: Path, runs: Path) -> Path:
    """Build the example with the package at ``code_root``; the run folder."""
    env = {**os.environ, "PYTHONPATH": str(code_root), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "curate", "build", str(code_root / EXAMPLE), "--runs-dir", str(runs), "-q"]
    done = subprocess.run(cmd, cwd=code_root, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"build with {code_root} failed (exit {done.returncode}): {done.stderr[-2000:]}")
    (run,) = [p for p in runs.iterdir() if p.is_dir()]
    return run


def _drops(path: Path) -> dict[str, str | None]:
    df = pl.read_parquet(path, columns=["id", "drop_reason"])
    return dict(zip(df["id"].to_list(), df["drop_reason"].to_list()))


def _texts(path: Path) -> dict[str, str]:
    df = pl.read_parquet(path)
    cols = [c for c in TEXT_COLUMNS if c in df.columns]
    return {row["id"]: json.dumps([row[c] for c in cols], sort_keys=True, default=str) for row in df.iter_rows(named=True)}


def _selection(path: Path) -> dict[str, int | None]:
    df = pl.read_parquet(path, columns=["id", "selected", "rank"]).filter(pl.col("selected"))
    return dict(zip(df["id"].to_list(), df["rank"].to_list()))


def _export(run: Path) -> dict[str, list[str]]:
    """The exported lines of each split, as hashes (a training line carries no id)."""
    import hashlib

    out = {}
    for split in ("train", "eval"):
        f = run / "export" / f"{split}.jsonl"
        lines = f.read_text(encoding="utf-8").splitlines() if f.exists() else []
        out[split] = [hashlib.sha256(line.encode()).hexdigest() for line in lines]
    return out


def _diff_maps(a: dict, b: dict) -> dict[str, list[str]]:
    return {
        "only_before": sorted(set(a) - set(b))[:50],
        "only_after": sorted(set(b) - set(a))[:50],
        "changed": sorted(k for k in set(a) & set(b) if a[k] != b[k])[:50],
    }


def compare(before: Path, after: Path) -> dict:
    result: dict = {"tables": {}}
    for name in TABLES:
        pb, pa_ = before / f"{name}.parquet", after / f"{name}.parquet"
        if not pb.exists() and not pa_.exists():
            continue
        result["tables"][name] = _diff_maps(_drops(pb), _drops(pa_)) if pb.exists() and pa_.exists() else {
            "missing": "before" if not pb.exists() else "after"
        }
    # a stage split out of another (the filter out of select) moves a drop from one table
    # to another: compare where each record ends over the whole run too (its first drop)
    def final(run: Path) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for name in TABLES:
            p = run / f"{name}.parquet"
            if p.exists():
                for rid, reason in _drops(p).items():
                    if out.get(rid) is None:
                        out[rid] = reason
        return out

    result["final_outcome"] = _diff_maps(final(before), final(after))
    result["redacted_text"] = _diff_maps(_texts(before / "redact.parquet"), _texts(after / "redact.parquet"))
    result["selected"] = _diff_maps(_selection(before / "select.parquet"), _selection(after / "select.parquet"))
    eb, ea = _export(before), _export(after)
    result["export"] = {s: {"before": len(eb[s]), "after": len(ea[s]), "same": eb[s] == ea[s]} for s in eb}
    return result


def identical(result: dict) -> bool:
    parts = [result["final_outcome"], result["redacted_text"], result["selected"]]
    ok = all(not any(p.values()) for p in parts)
    return ok and all(v["same"] for v in result["export"].values())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="git commit to compare with")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "example_identity"))
    args = ap.parse_args()
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="curate-identity-") as tmp:
        base_root = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base_root), args.base], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            before = build(base_root, Path(tmp) / "runs-before")
            after = build(ROOT, Path(tmp) / "runs-after")
            result = compare(before, after)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base_root)], cwd=ROOT, capture_output=True)
    result.update({"base": args.base, "head": head, "identical": identical(result), "machine": platform.processor() or platform.machine()})
    Path(args.out + ".json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# Example build before and after",
        "",
        f"`{EXAMPLE}` built with commit `{args.base}` and with `{head}` (working tree), in one run of "
        "`benchmarks/example_identity.py`.",
        "",
        f"**Identical: {'yes' if result['identical'] else 'no'}**",
        "",
        "| compared | only before | only after | changed |",
        "|---|---|---|---|",
    ]
    for label, part in [("where each record ends (kept / drop reason)", result["final_outcome"]),
                        ("redacted title, messages, text, meta", result["redacted_text"]),
                        ("selected ids and rank", result["selected"])]:
        lines.append(f"| {label} | {len(part['only_before'])} | {len(part['only_after'])} | {len(part['changed'])} |")
    for name, part in result["tables"].items():
        if "missing" in part:
            lines.append(f"| `{name}.parquet` | table missing {part['missing']} | | |")
        else:
            lines.append(f"| `{name}.parquet` ids and drop reasons | {len(part['only_before'])} | {len(part['only_after'])} | {len(part['changed'])} |")
    for split, v in result["export"].items():
        lines.append(f"| export {split}: {v['before']} / {v['after']} examples | | | {'same lines, same order' if v['same'] else 'different'} |")
    lines.append("")
    lines.append("A table that exists on one side only (a stage added or split out) is listed as missing; "
                 "what counts is where each record ends over the whole run.")
    Path(args.out + ".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0 if result["identical"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
