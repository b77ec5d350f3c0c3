"""The select stage in a build: columns, drops with reasons, ranks, stats, determinism,
strategies without vectors, semantic dedupe."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from helpers import write_config

from curate.config import load_config
from curate.errors import CurateError
from curate.pipeline import build


def project(root: Path, rows: list[dict], select: dict, embed: bool = True, dedupe: dict | None = None) -> Path:
    flat = [
        {"id": r["id"], "q": r["messages"][0]["content"], "a": r["messages"][1]["content"], **r["meta"]}
        for r in rows
    ]
    # two records a reviewer should never see: no agent reply, and too short
    flat.append({"id": "noreply", "q": "My parcel has not arrived yet, what should I do?", "a": "", "intent": "x", "category": "x"})
    flat.append({"id": "short", "q": "hi", "a": "hello", "intent": "y", "category": "y"})
    (root / "t.jsonl").write_text("\n".join(json.dumps(r) for r in flat) + "\n")
    write_config(root / "curate.yaml", {
        "name": "s",
        "sources": [{"type": "jsonl", "path": "t.jsonl", "kind": "ticket",
                     "fields": {"id": "id", "user": "q", "assistant": "a", "meta": ["intent", "category"]}}],
        "redact": {"enabled": False},
        "dedupe": dedupe or {"enabled": False},
        "embed": {"enabled": embed},
        "select": select,
        "export": {"system_prompt": "Be kind."},
    })
    return root


def run(root: Path, **kw):
    return build(load_config(root / "curate.yaml"), runs_dir=root / "runs", until="select", **kw)


@pytest.fixture(scope="module")
def balanced(tmp_path_factory, bitext_rows, bitext_vectors):
    root = project(tmp_path_factory.mktemp("sel"), bitext_rows, {"budget": 27, "seed": 3})
    res = run(root)
    return root, res, pl.read_parquet(res.run.path("select.parquet"))


def test_columns_and_accounting(balanced):
    _, res, df = balanced
    assert df.height == 270  # the filter stage dropped two before they were embedded
    for col, dtype in {"cluster": pl.Int32, "selected": pl.Boolean, "rank": pl.Int32, "strategy": pl.Utf8,
                       "why": pl.Utf8, "proj_x": pl.Float32, "proj_y": pl.Float32}.items():
        assert df.schema[col] == dtype, col
    entry = res.run.manifest()["stages"]["select"]
    assert entry["records_out"] == 27
    assert entry["dropped"] == {"not_selected": 243}
    sel = df.filter(pl.col("selected")).sort("rank")
    assert sel["rank"].to_list() == list(range(1, 28)) and sel["drop_reason"].null_count() == 27
    assert df.filter(~pl.col("selected"))["rank"].null_count() == 243
    assert df["why"].null_count() == 0 and df["proj_x"].null_count() == 0 and df["cluster"].null_count() == 0
    filtered = pl.read_parquet(res.run.path("filter.parquet"))
    assert res.run.manifest()["stages"]["filter"]["dropped"] == {"no_agent_reply": 1, "too_short": 1}
    assert filtered.filter(pl.col("id").str.ends_with("noreply"))["filter_why"].item() == "a ticket with no agent reply"
    assert res.run.manifest()["stages"]["embed"]["records_in"] == 270
    assert set(df["strategy"]) == {"cluster_balanced"}


def test_stats_for_the_report(balanced):
    _, res, _ = balanced
    stats = res.run.manifest()["stages"]["select"]["stats"]
    assert stats["strategy"] == "cluster_balanced" and stats["budget"] == 27 and stats["selected"] == 27
    assert stats["candidates"] == 270 and stats["k"] == 17  # min(budget, ceil(sqrt(270)))
    assert sum(c["size"] for c in stats["clusters"]) == 270
    assert sum(c["selected"] for c in stats["clusters"]) == 27
    assert stats["clusters_covered"] == 17 and stats["cluster_coverage"] == 1.0
    assert all(len(c["terms"]) == 5 for c in stats["clusters"]), "every cluster is named"
    cov = stats["coverage"]
    assert cov["mean_distance"] < 0.9 * cov["random_mean_distance"]
    assert stats["kmeans_backend"] in ("faiss", "sklearn", "torch:cuda")


def test_the_selection_covers_the_intents(balanced):
    _, _, df = balanced
    intents = {json.loads(m)["intent"] for m in df.filter(pl.col("selected"))["meta"]}
    assert len(intents) >= 20  # of 27; a random sample of 27 covers 17.2 on average


def test_same_seed_same_selection_other_seed_other(balanced):
    root, _, df = balanced
    again = pl.read_parquet(run(root, force=True).run.path("select.parquet"))
    assert again.select("id", "cluster", "rank", "why").equals(df.select("id", "cluster", "rank", "why"))
    # a new budget re-runs select only (embeddings come from the skipped embed stage)
    cfg = load_config(root / "curate.yaml")
    cfg.select = cfg.select.model_copy(update={"budget": 10})
    res = build(cfg, runs_dir=root / "runs", until="select")
    status = {o.name: o.status for o in res.outcomes}
    assert status["embed"] == "skipped" and status["select"] == "done"
    small = pl.read_parquet(res.run.path("select.parquet"))
    assert small["selected"].sum() == 10


@pytest.mark.parametrize("select", [
    {"budget": 30, "strategy": "random", "seed": 1},
    {"budget": 22, "strategy": "stratified", "stratify_by": "category", "alpha": 1.0},
])
def test_strategies_without_embeddings(tmp_path, bitext_rows, select):
    root = project(tmp_path, bitext_rows[:120], select, embed=False)
    res = run(root)
    df = pl.read_parquet(res.run.path("select.parquet"))
    assert "embedding" not in df.columns and df["selected"].sum() == select["budget"]
    assert df["cluster"].null_count() == df.height and df["proj_x"].null_count() == df.height
    stats = res.run.manifest()["stages"]["select"]["stats"]
    if select["strategy"] == "stratified":
        assert stats["strata_covered"] == stats["strata"] == len({r["meta"]["category"] for r in bitext_rows[:120]})


def test_strategy_needing_vectors_without_embed_stage_is_a_clear_error(tmp_path, bitext_rows):
    root = project(tmp_path, bitext_rows[:20], {"budget": 5, "strategy": "k_center"}, embed=False)
    with pytest.raises(CurateError, match="k_center needs embeddings.*enable the embed stage"):
        run(root)


def test_k_center_in_a_build(tmp_path, bitext_rows):
    root = project(tmp_path, bitext_rows[:90], {"budget": 9, "strategy": "k_center"})
    df = pl.read_parquet(run(root).run.path("select.parquet"))
    first = df.filter(pl.col("rank") == 1)["why"].item()
    assert df["selected"].sum() == 9 and "first pick" in first


def test_semantic_dedupe_inside_select(tmp_path, bitext_rows):
    rows = bitext_rows[:60]
    # a rephrasing that differs only in case and punctuation: the same request
    twin = json.loads(json.dumps(rows[0]))
    twin["id"] = "twin"
    twin["messages"][0]["content"] = rows[0]["messages"][0]["content"].upper() + "!!"
    root = project(tmp_path, rows + [twin], {"budget": 10},
                   dedupe={"enabled": False, "semantic": {"enabled": True, "threshold": 0.95}})
    res = run(root)
    df = pl.read_parquet(res.run.path("select.parquet"))
    dups = df.filter(pl.col("drop_reason") == "semantic_duplicate")
    assert dups.height >= 1 and any(i.endswith(("twin", rows[0]["id"])) for i in dups["id"])
    group = dups["semantic_group"][0]
    members = df.filter(pl.col("semantic_group") == group)
    assert members.height >= 2 and members["drop_reason"].null_count() + (members["drop_reason"] == "not_selected").sum() >= 1
    assert res.run.manifest()["stages"]["select"]["dropped"]["semantic_duplicate"] == dups.height
    assert df["selected"].sum() == 10


def test_filtered_records_are_not_selected_without_vectors(tmp_path, bitext_rows):
    """The filter stage runs whatever the select strategy needs: a random selection on a
    table without embeddings never sees the records it dropped."""
    root = project(tmp_path, bitext_rows[:40], {"budget": 5, "strategy": "random"}, embed=False)
    res = run(root)
    df = pl.read_parquet(res.run.path("select.parquet"))
    assert not any(i.endswith(("noreply", "short")) for i in df["id"])
    assert df["selected"].sum() == 5 and df.height == 40
    assert res.run.manifest()["stages"]["filter"]["dropped"] == {"no_agent_reply": 1, "too_short": 1}
