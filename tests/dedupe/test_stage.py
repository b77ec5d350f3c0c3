"""The dedupe stage inside `curate build`: versioned documentation pages as a user would
feed them (the docs source chunks them), the dedupe table, the manifest's stats, resume and
`curate inspect --dup-group`."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from helpers import FIXTURES, NO_MODELS, run_cli, write_config

from curate.dedupe.shingles import Normalization, normalize, python_shingles
from curate.records import normalize_text

RN = FIXTURES / "dedupe" / "react-native"
VERSIONS = ("version-0.77", "version-0.80", "version-0.83", "version-0.86", "next")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A build of the fixture pages: ingest (the docs source cuts them into sections) and
    dedupe, the other stages off."""
    tmp = tmp_path_factory.mktemp("dedupe-build")
    cfg = {
        "name": "rn-docs",
        "runs_dir": str(tmp / "runs"),
        "sources": [{"type": "docs", "name": "rn", "path": str(RN), "include": ["**/*.md"]}],
        **NO_MODELS,
        "dedupe": {"enabled": True, "keep": "first"},
    }
    path = write_config(tmp / "curate.yaml", cfg)
    r = run_cli("build", str(path), "--until", "dedupe")
    assert r.returncode == 0, r.stderr + r.stdout
    return path, tmp / "runs" / "rn-docs"


def _page(record_id: str) -> tuple[str, str]:
    """(version folder, page) of a docs record id."""
    parts = record_id.split("/")
    for i, p in enumerate(parts):
        p = p.split(":")[-1]
        if p in VERSIONS:
            return p, parts[i + 1].split("#")[0]
    raise AssertionError(record_id)


def _true_jaccard(a: str, b: str) -> float:
    """Jaccard of word 5-gram sets built from Python strings (no hashing involved)."""
    x, y = (set(python_shingles(t, 5)) for t in normalize(pl.Series([a, b]), Normalization(True, True)).texts())
    return len(x & y) / len(x | y) if x | y else 1.0


def test_sections_across_versions(built: tuple[Path, Path]) -> None:
    _, run = built
    table = pl.read_parquet(run / "dedupe.parquet")
    ingest = pl.read_parquet(run / "ingest.parquet")
    assert table.height == ingest.height > 40  # every record that entered, dropped or not
    assert table["id"].to_list() == ingest["id"].to_list()
    for col in ("dup_group", "dup_kind", "is_representative", "dup_of", "dup_similarity", "drop_reason"):
        assert col in table.columns
    rows = {r["id"]: r for r in table.iter_rows(named=True)}
    ids = list(rows)
    sim = {
        (a, b): _true_jaccard(rows[a]["text"], rows[b]["text"])
        for i, a in enumerate(ids)
        for b in ids[i + 1 :]
        if _page(a)[1] == _page(b)[1]
    }
    # every pair at or above the threshold is in one group (recall 1 on this small set) ...
    for (a, b), j in sim.items():
        if j >= 0.8:
            assert rows[a]["dup_group"] == rows[b]["dup_group"], (a, b, j)
    # ... no group mixes pages ...
    groups: dict[str, list[str]] = {}
    for rid, r in rows.items():
        groups.setdefault(r["dup_group"], []).append(rid)
    for members in groups.values():
        assert len({_page(m)[1] for m in members}) == 1
        assert rows[members[0]]["dup_group_size"] == len(members)
        # named after its best-ranked record: with keep: first, the first one seen
        assert rows[members[0]]["dup_group"] == members[0]
    # ... a record is dropped only as a true near duplicate of a kept record ...
    for rid, r in rows.items():
        if r["drop_reason"] is None:
            assert r["is_representative"] and r["dup_of"] is None
            continue
        kept = rows[r["dup_of"]]
        assert kept["drop_reason"] is None and kept["dup_group"] == r["dup_group"]
        key = (rid, r["dup_of"]) if (rid, r["dup_of"]) in sim else (r["dup_of"], rid)
        assert sim[key] >= 0.8
        if r["drop_reason"] == "exact_duplicate":
            assert r["dup_kind"] == "exact" and normalize_text(r["text"]) == normalize_text(kept["text"])
        else:
            assert r["dup_kind"] == "near" and r["dup_similarity"] == pytest.approx(sim[key], abs=0.15)
    # ... and two kept records of a group are never near duplicates of each other
    kept_ids = [i for i in ids if rows[i]["drop_reason"] is None]
    for i, a in enumerate(kept_ids):
        for b in kept_ids[i + 1 :]:
            if (a, b) in sim and rows[a]["dup_group"] == rows[b]["dup_group"]:
                assert sim[(a, b)] < 0.8
    assert set(table["drop_reason"].drop_nulls()) == {"exact_duplicate", "near_duplicate"}
    # the unchanged pages' sections collapse: far fewer kept than entered
    assert table["drop_reason"].null_count() < table.height / 2


def test_manifest_stats(built: tuple[Path, Path]) -> None:
    _, run = built
    entry = json.loads((run / "manifest.json").read_text())["stages"]["dedupe"]
    table = pl.read_parquet(run / "dedupe.parquet")
    assert entry["status"] == "done"
    assert entry["records_in"] == table.height
    assert entry["records_out"] == table["drop_reason"].null_count()
    assert entry["dropped"] == {
        k: v for k, v in table["drop_reason"].drop_nulls().value_counts().iter_rows()
    }
    stats = entry["stats"]
    sizes = table.group_by("dup_group").len().filter(pl.col("len") > 1)["len"]
    assert stats["groups"] == sizes.len() and stats["records_in_groups"] == sizes.sum()
    assert sum(stats["group_sizes"].values()) == stats["groups"]
    assert stats["group_sizes"]["2"] == int((sizes == 2).sum())
    assert stats["dropped"] == {"exact_duplicate": 0, "near_duplicate": 0} | entry["dropped"]
    assert stats["largest_groups"][0]["size"] == sizes.max()
    p = stats["parameters"]
    assert (p["bands"], p["rows"], p["threshold"], p["num_perm"], p["keep"]) == (16, 6, 0.8, 128, "first")
    assert set(stats["seconds"]) == {"signatures", "candidates", "verify", "groups"}
    assert stats["distinct_texts"] < table.height and stats["duplicate_pairs"] > 0
    # the same figures from the table alone (a stage object that did not run annotate)
    from curate.dedupe.config import DedupeConfig
    from curate.dedupe.stage import dedupe_stats

    again = dedupe_stats(pl.scan_parquet(run / "dedupe.parquet"), DedupeConfig(keep="first"))
    assert {k: again[k] for k in ("groups", "group_sizes", "dropped", "parameters")} == {
        k: stats[k] for k in ("groups", "group_sizes", "dropped", "parameters")
    }
    assert "seconds" not in again


def test_resume_and_inspect(built: tuple[Path, Path]) -> None:
    cfg, run = built
    r = run_cli("build", str(cfg), "--until", "dedupe")
    assert r.returncode == 0 and "skipped" in r.stdout
    table = pl.read_parquet(run / "dedupe.parquet")
    group = table.filter(pl.col("dup_group_size") == 5)["dup_group"][0]
    r = run_cli("inspect", str(run), "--dup-group", group)
    assert r.returncode == 0, r.stderr
    assert f"duplicate group {group} (5 records, kept first)" in r.stdout
    assert "dup_similarity" in r.stdout
    # a member's record id finds its group too
    member = table.filter((pl.col("dup_group") == group) & pl.col("drop_reason").is_not_null())["id"][0]
    r = run_cli("inspect", str(run), "--dup-group", member)
    assert r.returncode == 0 and f"duplicate group {group} (5 records, kept first)" in r.stdout
    r = run_cli("inspect", str(run), "--dropped", "near_duplicate", "--stage", "dedupe")
    assert r.returncode == 0 and "near_duplicate" in r.stdout
