"""Nothing lost: on a build with drops in every stage that can drop, each stage's counts add
up (in = out + dropped + rejected), the tables and files agree with the manifest, and
every record that entered the build is either exported or dropped, with a reason, by
exactly one stage."""

from __future__ import annotations

import itertools
import json
from collections import Counter

import polars as pl

STAGES = ["ingest", "redact", "dedupe", "filter", "embed", "select", "export"]

#: the drops the project plants, per stage (embed drops nothing by design)
EXPECTED_REASONS = {
    "ingest": {"duplicate_copy"},
    "redact": {"pii_residual"},
    "dedupe": {"exact_duplicate", "near_duplicate"},
    "filter": {"too_short", "no_agent_reply"},
    "embed": set(),
    "select": {"not_selected"},
    "export": {"decontaminated"},
}


def test_every_stage_adds_up_and_drops_where_planted(drops_build):
    stages = drops_build.manifest["stages"]
    assert list(stages) == STAGES
    for name, e in stages.items():
        assert e["status"] == "done", name
        assert e["records_in"] == e["records_out"] + sum(e["dropped"].values()) + e["rejected"], name
        assert set(e["dropped"]) == EXPECTED_REASONS[name], (name, e["dropped"])
        assert all(n > 0 for n in e["dropped"].values()), name
    assert stages["ingest"]["rejected"] == 20000 + 1  # the junk lines and the malformed email
    assert all(stages[s]["rejected"] == 0 for s in STAGES[1:])
    # each stage reads what the one before it kept
    for prev, cur in itertools.pairwise(STAGES):
        assert stages[cur]["input"] == prev
        assert stages[cur]["records_in"] == stages[prev]["records_out"], cur


def test_tables_agree_with_the_manifest(drops_build):
    run, stages = drops_build.run, drops_build.manifest["stages"]
    for name in STAGES[:-1]:
        df = pl.read_parquet(run / f"{name}.parquet", columns=["id", "drop_reason"])
        e = stages[name]
        if name == "ingest":  # ingest's table holds the records; rejects and skips are in rejects.jsonl
            assert df.height == e["records_out"] and df["drop_reason"].null_count() == df.height
        else:
            assert df.height == e["records_in"], name
            assert df["drop_reason"].null_count() == e["records_out"], name
            got = Counter(r for r in df["drop_reason"].to_list() if r is not None)
            assert dict(got) == e["dropped"], name
        assert df["id"].n_unique() == df.height, name
    rejects = [json.loads(line) for line in (run / "rejects.jsonl").read_text().splitlines()]
    assert sum(r["status"] == "rejected" for r in rejects) == stages["ingest"]["rejected"]
    skipped = Counter(r["reason"] for r in rejects if r["status"] == "skipped")
    assert dict(skipped) == stages["ingest"]["dropped"]
    assert all(r["locator"] and r["reason"] and r["source"] for r in rejects)
    # export: the files hold what the manifest says went out, dropped.jsonl what it left out
    export = run / "export"
    lines = sum(len((export / f).read_text().splitlines()) for f in ("train.jsonl", "eval.jsonl"))
    assert lines == stages["export"]["records_out"]
    dropped = [json.loads(line) for line in (export / "dropped.jsonl").read_text().splitlines()]
    assert dict(Counter(d["reason"] for d in dropped)) == stages["export"]["dropped"]


def test_every_record_is_exported_or_dropped_by_exactly_one_stage(drops_build):
    run = drops_build.run
    ingested = set(pl.read_parquet(run / "ingest.parquet", columns=["id"])["id"].to_list())
    fate: dict[str, list[str]] = {rid: [] for rid in ingested}
    live = set(ingested)
    for name in STAGES[1:-1]:
        df = pl.read_parquet(run / f"{name}.parquet", columns=["id", "drop_reason"])
        # a stage sees exactly the records the one before it kept: none lost, none invented
        assert set(df["id"].to_list()) == live, name
        for rid, reason in df.iter_rows():
            if reason is not None:
                fate[rid].append(f"{name}:{reason}")
        live = set(df.filter(pl.col("drop_reason").is_null())["id"].to_list())
    export = run / "export"
    for d in (json.loads(line) for line in (export / "dropped.jsonl").read_text().splitlines()):
        assert d["id"] in live
        fate[d["id"]].append(f"export:{d['reason']}")
    manifest = json.loads((export / "manifest.json").read_text())
    assert manifest["records_in"] == len(live)
    exported = [rid for rid, f in fate.items() if not f]
    assert len(exported) == manifest["records_out"]
    assert all(len(f) <= 1 for f in fate.values()), [f for f in fate.values() if len(f) > 1]
