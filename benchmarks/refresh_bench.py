"""Continuous curation on real data: does a refresh keep every expert label?

GitHub issues (NLBSE'24 issue report classification: 3,000 real issues from five
repositories, 2016-2023, each with a created_at time and a bug / feature / question
label; ../shared/data/github-issues-nlbse24) in time order. For each selection strategy:

1. build a run on the oldest 2,700 issues (select a budget of 150);
2. simulate expert labels on the whole selection (a decisions table as `curate label pull`
   writes it: two reviewers agreed, the issue's own label) and rebuild (the export is v2);
3. add the next 270 issues (10% more, all newer) and rebuild;
4. count the labeled records still selected and exported, the new records to push, the
   labeled records reported lost (labeled_now_*), and the versions' diff;
5. side by side, the same refresh without the labels (the selection as it was before
   expert work was kept): how many earlier picks fall out of the selection, i.e. the
   labels a rebuild would have dropped as not_selected.

Then recency: the refresh build with ``select.recency`` (created_at, half-life 180 days)
against without, by the share of the newest 270 issues among the picks.

Redaction is off (the issues are public and the count of kept labels does not depend on
it; ids then stay the source's). Embeddings: the default model, cached per run.

    .venv/bin/python benchmarks/refresh_bench.py [--budget 150] [--strategies cluster_balanced,k_center,stratified,random]

Writes benchmarks/results/refresh.md and refresh.json."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import polars as pl
import yaml
from shared_data import shared_data

ROOT = Path(__file__).resolve().parent.parent
DATA = shared_data() / "github-issues-nlbse24"
RESULTS = ROOT / "benchmarks" / "results"
BASE, ADDED = 2700, 270
DECISION_SCHEMA = None  # imported lazily (curate)


def machine() -> dict:
    from embed_bench import machine as m  # same folder

    return m()


def issues() -> pl.DataFrame:
    df = pl.concat([pl.read_csv(DATA / f"issues_{s}.csv", infer_schema=False) for s in ("train", "test")])
    df = df.with_columns(pl.col("body").fill_null(""), pl.col("title").fill_null(""))
    df = df.sort("created_at", "repo", "title", maintain_order=True).with_row_index("n")
    return df.with_columns(("gh-" + pl.col("n").cast(pl.Utf8)).alias("id")).drop("n")


def record_ids(df: pl.DataFrame) -> list[str]:
    """The ids curate gives the rows (source type, source name, the row's id)."""
    return [f"csv:gh:{i}" for i in df["id"].to_list()]


def write_csv(df: pl.DataFrame, path: Path) -> None:
    df.select("id", "repo", "created_at", "label", "title", "body").write_csv(path)


#: select.fraction instead of a fixed budget (set by --fraction): more records, a larger budget
FRACTION: list[float] = []


def config(name: str, strategy: str, budget: int, recency: bool = False) -> dict:
    select: dict = {"strategy": strategy, "seed": 0}
    if FRACTION:
        select["fraction"] = FRACTION[0]
    else:
        select["budget"] = budget
    if strategy == "stratified":
        select["stratify_by"] = "repo"
    if recency:
        select["recency"] = {"field": "meta.created_at", "half_life_days": 180}
    return {
        "name": name,
        "sources": [{"type": "csv", "name": "gh", "path": "issues.csv", "kind": "doc",
                     "fields": {"id": "id", "title": "title", "text": "body", "meta": ["repo", "created_at", "label"]}}],
        "redact": {"enabled": False},
        "select": select,
        "label": {"task": "classification", "labels": ["bug", "feature", "question"]},
        "export": {"format": "text", "split": {"eval": 0.1, "test": 0.0}, "min_examples": 1},
    }


def build(work: Path, cfg: dict) -> float:
    (work / "curate.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "curate", "build", "curate.yaml"], cwd=work, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    if r.returncode != 0:
        raise SystemExit(f"build failed in {work}:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return time.perf_counter() - t


def selected(run: Path) -> set[str]:
    return set(pl.read_parquet(run / "select.parquet").filter(pl.col("selected").fill_null(False))["id"].to_list())


def label(run: Path, ids: set[str], truth: dict[str, str]) -> None:
    from curate.labelstudio.decisions import DECISION_SCHEMA

    ids_ = sorted(ids)
    df = pl.DataFrame({"record_id": ids_, "status": ["agreed"] * len(ids_), "decision": ["accept"] * len(ids_),
                       "label": [truth[i] for i in ids_], "reviewers": [["r1", "r2"]] * len(ids_)})
    df = df.with_columns([pl.lit(None, dtype=t).alias(c) for c, t in DECISION_SCHEMA.items() if c not in df.columns])
    (run / "labels").mkdir(exist_ok=True)
    df.select(list(DECISION_SCHEMA)).cast(DECISION_SCHEMA).write_parquet(run / "labels" / "decisions.parquet")


def exported(run: Path) -> set[str]:
    m = json.loads((run / "versions" / "index.json").read_text())[-1]
    ex = pl.read_parquet(run / "versions" / f"v{m['version']}" / "examples.parquet")
    return set(ex["id"].to_list())


NAME = "refresh"


def run_of(work: Path) -> Path:
    return work / "runs" / NAME


def prepare(tmp: Path, budget: int, all_issues: pl.DataFrame) -> tuple[Path, Path, dict[str, float]]:
    """Two runs every strategy starts from (their tables up to embed and the embedding
    cache shared, so each vector is computed once): ``base`` on the oldest 2,700 issues,
    ``full`` on 2,970 (no labels)."""
    base = tmp / "base"
    base.mkdir()
    write_csv(all_issues.head(BASE), base / "issues.csv")
    t_base = build(base, config(NAME, "random", budget))
    full = tmp / "full"
    shutil.copytree(base, full)
    write_csv(all_issues.head(BASE + ADDED), full / "issues.csv")
    t_full = build(full, config(NAME, "random", budget))
    return base, full, {"first_build_all_stages": round(t_base, 1), "refresh_build_all_stages": round(t_full, 1)}


def share_cache(full: Path, work: Path) -> None:
    for f in (run_of(full) / "cache").glob("*.parquet"):
        shutil.copy2(f, run_of(work) / "cache" / f.name)


def one_strategy(tmp: Path, strategy: str, budget: int, all_issues: pl.DataFrame, base: Path, full: Path) -> dict:
    truth = dict(zip(record_ids(all_issues), all_issues["label"]))
    work = tmp / strategy
    shutil.copytree(base, work)
    run = run_of(work)
    t_base = build(work, config(NAME, strategy, budget))
    first = selected(run)
    label(run, first, truth)
    t_labeled = build(work, config(NAME, strategy, budget))
    v_labeled = exported(run)
    # 10% more records, all newer
    share_cache(full, work)
    write_csv(all_issues.head(BASE + ADDED), work / "issues.csv")
    t_refresh = build(work, config(NAME, strategy, budget))
    second = selected(run)
    v_refresh = exported(run)
    stats = json.loads((run / "export" / "manifest.json").read_text())["stats"]
    # the baseline: the same refresh with no expert work recorded (the selection as before)
    base_work = tmp / f"{strategy}-baseline"
    shutil.copytree(full, base_work)
    t_baseline = build(base_work, config(NAME, strategy, budget))
    baseline = selected(run_of(base_work))
    dropped = [json.loads(x) for x in (run / "export" / "dropped.jsonl").read_text().splitlines()]
    labeled_dropped: dict[str, int] = {}
    for d in dropped:
        if d["id"] in first:
            labeled_dropped[d["reason"]] = labeled_dropped.get(d["reason"], 0) + 1
    new_ids = set(record_ids(all_issues[BASE:BASE + ADDED]))
    return {
        "strategy": strategy, "budget": budget,
        "labeled": len(first),
        "labeled_exported_before_refresh": len(first & v_labeled),
        "labeled_still_selected": len(first & second),
        "labeled_exported_after_refresh": len(first & v_refresh),
        "labeled_kept_pct": round(100 * len(first & v_refresh) / len(first), 2) if first else None,
        "labeled_dropped_by_reason": labeled_dropped,
        "expert_lost": stats["expert_work"]["lost"],
        "selected_after_refresh": len(second),
        "new_tasks_to_push": len(second - first),
        "new_tasks_from_newer_records": len((second - first) & new_ids),
        "version": stats["version"]["version"], "diff": stats["version"]["changes"]["counts"],
        "removed_by_reason": stats["version"]["changes"]["removed_by_reason"],
        "baseline_earlier_picks_unselected": len(first - baseline),
        "baseline_labels_lost_pct": round(100 * len(first - baseline) / len(first), 2) if first else None,
        "seconds": {"select_and_export": round(t_base, 1), "labeled_rebuild": round(t_labeled, 1),
                    "refresh_rebuild": round(t_refresh, 1), "baseline_refresh": round(t_baseline, 1)},
    }


def recency(tmp: Path, budget: int, all_issues: pl.DataFrame, full: Path) -> dict:
    new_ids = set(record_ids(all_issues[BASE:BASE + ADDED]))
    out = {}
    for flag in (False, True):
        work = tmp / f"recency-{flag}"
        shutil.copytree(full, work)
        build(work, config(NAME, "cluster_balanced", budget, recency=flag))
        sel = selected(run_of(work))
        stats = json.loads((run_of(work) / "manifest.json").read_text())["stages"]["select"]["stats"]
        out["with_recency" if flag else "without"] = {
            "selected": len(sel), "newest_10pct_selected": len(sel & new_ids),
            "share_newest": round(len(sel & new_ids) / len(sel), 4) if sel else None,
            "candidates_share_newest": round(ADDED / (BASE + ADDED), 4),
            "recency": stats.get("recency"),
        }
    return out


def markdown(res: dict) -> str:
    m = res["machine"]
    lines = [
        "# Refresh: expert labels through a rebuild with 10% newer records",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores (shared with other engineers' jobs; load average at start "
        f"{m['load_average_at_start']}), {m['ram']}, no GPU; Python {m['python']}, torch {m['torch']}; {m['date']}.",
        "",
        "Data: GitHub issues (NLBSE'24, 3,000 real issues of five repositories, 2016-2023) in created_at order: "
        f"the oldest {BASE:,} built, labels simulated on the whole selection (budget {res['budget']}), then the next "
        f"{ADDED} issues added (10% more, all newer) and the run rebuilt. Redaction off; default embedding model; export format text (issues are documents). "
        "`benchmarks/refresh_bench.py`.",
        "",
        "| strategy | labeled | still selected | exported after refresh | kept | lost (labeled_now_*) | new tasks to push "
        "| baseline: earlier picks no longer selected (labels the old export would drop) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in res["strategies"]:
        lost = ", ".join(f"{k} {v}" for k, v in r["expert_lost"].items()) or "none"
        lines.append(f"| {r['strategy']} | {r['labeled']} | {r['labeled_still_selected']} | {r['labeled_exported_after_refresh']} "
                     f"| **{r['labeled_kept_pct']}%** | {lost} | {r['new_tasks_to_push']} "
                     f"| {r['baseline_earlier_picks_unselected']} ({r['baseline_labels_lost_pct']}%) |")
    lines += ["", "Versions: the refresh export against its parent, the export with the labels (`curate diff RUN`):", "",
              "| strategy | versions | added | removed (by reason) | changed | moved |", "|---|---|---|---|---|---|"]
    for r in res["strategies"]:
        d = r["diff"]
        rm = ", ".join(f"{k} {v}" for k, v in r["removed_by_reason"].items()) or "-"
        lines.append(f"| {r['strategy']} | v{r['version'] - 1} → v{r['version']} | {d['added']} | {d['removed']} ({rm}) "
                     f"| {d['changed']} | {d['moved']} |")
    sec = res["seconds"]
    lines += ["", f"Seconds per `curate build` (subprocess): the first build of the 2,700 issues with every stage "
              f"{sec['first_build_all_stages']} s (embedding most of it), the refresh build of 2,970 "
              f"{sec['refresh_build_all_stages']} s (270 new vectors); then per strategy, with the tables up to embed and "
              "the embedding cache shared:", "",
              "| strategy | select + export | labeled rebuild | refresh rebuild | baseline refresh |", "|---|---|---|---|---|"]
    for r in res["strategies"]:
        s = r["seconds"]
        lines.append(f"| {r['strategy']} | {s['select_and_export']} | {s['labeled_rebuild']} | {s['refresh_rebuild']} | {s['baseline_refresh']} |")
    rc = res.get("recency")
    if rc:
        a, b = rc["without"], rc["with_recency"]
        lines += ["", "Recency (`select.recency: {field: meta.created_at, half_life_days: 180}`, cluster_balanced, "
                  f"budget {res['budget']}, all {BASE + ADDED:,} issues, no labels): the newest {ADDED} issues are "
                  f"{100 * a['candidates_share_newest']:.1f}% of the candidates; they are "
                  f"{100 * a['share_newest']:.1f}% of the picks without recency and {100 * b['share_newest']:.1f}% with it.", ""]
    lines += ["", "Labels are simulated (a decisions table written as `curate label pull` writes it); the Label "
              "Studio round trip itself is tested in tests/labelstudio/test_refresh.py.", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", type=int, default=150)
    ap.add_argument("--strategies", default="cluster_balanced,k_center,stratified,random")
    ap.add_argument("--no-recency", action="store_true")
    ap.add_argument("--reuse", type=Path, default=None,
                    help="Keep the two prepared runs (first build, refresh build) in this folder and reuse them when there.")
    ap.add_argument("--fraction", type=float, default=None,
                    help="Select this share of the candidates instead of --budget (the budget grows with the data).")
    ap.add_argument("--out", default="refresh", help="Results file name (without .md / .json).")
    ap.add_argument("--markdown-only", action="store_true", help="Rewrite refresh.md from refresh.json.")
    args = ap.parse_args()
    if args.markdown_only:
        (RESULTS / f"{args.out}.md").write_text(markdown(json.loads((RESULTS / f"{args.out}.json").read_text())))
        return
    if args.fraction is not None:
        FRACTION.append(args.fraction)
    all_issues = issues()
    res = {"machine": machine(), "budget": args.budget if args.fraction is None else f"fraction {args.fraction}", "base": BASE, "added": ADDED, "strategies": []}
    with tempfile.TemporaryDirectory(prefix="curate-refresh-") as tmp_:
        tmp = Path(tmp_)
        if args.reuse and (args.reuse / "full").is_dir():  # the two prepared runs of an earlier invocation
            base, full = args.reuse / "base", args.reuse / "full"
            res["seconds"] = json.loads((args.reuse / "seconds.json").read_text())
        else:
            base, full, res["seconds"] = prepare(tmp if args.reuse is None else args.reuse, args.budget, all_issues)
            if args.reuse is not None:
                (args.reuse / "seconds.json").write_text(json.dumps(res["seconds"]))
        print(json.dumps(res["seconds"]), flush=True)
        for s in args.strategies.split(","):
            r = one_strategy(tmp, s, args.budget, all_issues, base, full)
            print(json.dumps(r), flush=True)
            res["strategies"].append(r)
        if not args.no_recency:
            res["recency"] = recency(tmp, args.budget, all_issues, full)
            print(json.dumps(res["recency"]), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(res, indent=2) + "\n")
    (RESULTS / f"{args.out}.md").write_text(markdown(res))
    print(markdown(res))


if __name__ == "__main__":
    main()
