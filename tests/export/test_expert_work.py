"""Expert work through rebuilds, without a Label Studio server: a run's labels (its
decisions table, as a pull leaves it) keep their records selected, and a labeled record
that leaves the run is reported with its own reason in dropped.jsonl, the export's stats,
the summary and the card, never silently."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
from helpers import run_cli, write_config

from curate.labelstudio.decisions import DECISION_SCHEMA

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "export"


def rows() -> list[dict[str, str]]:
    with (FIXTURES / "bitext_48.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_rows(path: Path, data: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(data[0]))
        w.writeheader()
        w.writerows(data)


def label(run: Path, ids: list[str]) -> None:
    """Decisions as `curate label pull` writes them: two reviewers agreed to accept."""
    df = pl.DataFrame({
        "record_id": ids, "task_id": list(range(1, len(ids) + 1)), "status": ["agreed"] * len(ids),
        "decision": ["accept"] * len(ids), "reviewers": [["a@x.org", "b@x.org"]] * len(ids),
    }).with_columns([pl.lit(None, dtype=t).alias(c) for c, t in DECISION_SCHEMA.items()
                     if c not in ("record_id", "task_id", "status", "decision", "reviewers")])
    (run / "labels").mkdir(exist_ok=True)
    df.select(list(DECISION_SCHEMA)).cast(DECISION_SCHEMA).write_parquet(run / "labels" / "decisions.parquet")


def build(tmp_path: Path) -> None:
    r = run_cli("build", "curate.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr


def test_labeled_records_kept_and_the_lost_ones_named(tmp_path):
    data = rows()
    write_rows(tmp_path / "tickets.csv", data)
    write_config(tmp_path / "curate.yaml", {
        "name": "refresh",
        "sources": [{"type": "csv", "name": "bitext", "path": "tickets.csv", "kind": "ticket",
                     "fields": {"id": "id", "user": "instruction", "assistant": "response", "meta": ["category"]}}],
        "redact": {"enabled": False}, "embed": {"enabled": False},
        "select": {"strategy": "stratified", "stratify_by": "category", "budget": 10},
        "export": {"labels": "auto", "split": {"eval": 0.0, "test": 0.0}, "metadata": ["id"], "min_examples": 1},
    })
    build(tmp_path)
    run = tmp_path / "runs" / "refresh"
    chosen = pl.read_parquet(run / "select.parquet").filter(pl.col("selected"))["id"].sort().to_list()
    assert len(chosen) == 10
    label(run, chosen)

    # the sources change: one labeled ticket is gone, one is cut to a few characters, two
    # labeled tickets now say the same (one of them must go), and a new copy of another
    # labeled ticket arrives ahead of it (the copy goes: reviewed records keep their place)
    native = {f"csv:bitext:{r['id']}": r for r in data}
    gone, short = native[chosen[0]], native[chosen[2]]
    same_a, same_b, copied = native[chosen[1]], native[chosen[3]], native[chosen[4]]
    twin = {**copied, "id": "twin-of-labeled"}
    changed = [twin]
    for r in data:
        if r is gone:
            continue
        if r is short:
            r = {**r, "instruction": "hi", "response": "ok"}
        if r is same_b:
            r = {**r, "instruction": same_a["instruction"], "response": same_a["response"]}
        changed.append(r)
    changed += [{**r, "id": f"new-{i}", "instruction": f"new ticket {i}: {r['instruction']} please"}
                for i, r in enumerate(data[10:15])]
    write_rows(tmp_path / "tickets.csv", changed)
    build(tmp_path)
    order = [f"csv:bitext:{r['id']}" for r in changed]
    first, second = sorted([chosen[1], chosen[3]], key=order.index)  # the first seen stays

    sel = pl.read_parquet(run / "select.parquet")
    selected = set(sel.filter(pl.col("selected").fill_null(False))["id"].to_list())
    still = (set(chosen[1:]) - {chosen[2], second})
    assert still <= selected and "csv:bitext:twin-of-labeled" not in selected  # the labeled records still in the run stay selected
    assert len(selected) == 10  # they count against the budget

    export = run / "export"
    exported = set()
    for name in ("train.jsonl",):
        exported |= {json.loads(x)["metadata"]["id"] for x in (export / name).read_text().splitlines()}
    assert exported == still  # labels in use: exactly the accepted, still-live records
    dedupe = pl.read_parquet(run / "dedupe.parquet").filter(pl.col("id") == "csv:bitext:twin-of-labeled")
    assert dedupe["drop_reason"].to_list() == ["exact_duplicate"] and dedupe["dup_of"].to_list() == [chosen[4]]
    dropped = [json.loads(x) for x in (export / "dropped.jsonl").read_text().splitlines()]
    lost = {d["id"]: (d["reason"], d["stage"], d["cause"]) for d in dropped if d["reason"].startswith("labeled_")}
    assert lost == {
        chosen[0]: ("labeled_now_missing", "sources", None),
        second: ("labeled_now_duplicate", "dedupe", "exact_duplicate"),
        chosen[2]: ("labeled_now_filtered", "filter", "too_short"),
    }
    stats = json.loads((export / "manifest.json").read_text())["stats"]["expert_work"]
    assert stats["lost"] == {"labeled_now_duplicate": 1, "labeled_now_filtered": 1, "labeled_now_missing": 1}
    assert stats["exported"] == len(still)
    card = (export / "README.md").read_text()
    assert "`labeled_now_duplicate` | 1" in card and "`labeled_now_missing` | 1" in card
    # the summary a user sees on `curate export` names them too
    r = run_cli("export", str(run), "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "labeled_now_missing 1" in " ".join((r.stdout + r.stderr).split())
