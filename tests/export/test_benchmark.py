"""The gold evaluation benchmark: a stratified eval set holding every task type, stable
across exports as records are added, impossible splits refused in one line, a small eval
set said so, and benchmark.jsonl in the documented line format. Reasoning tasks leave out
records without reasoning."""

from __future__ import annotations

import json
import random
from collections import Counter

import polars as pl
from export_support import export, make_run, read_jsonl, select_table
from helpers import run_cli

from curate.records import DROP_COLUMN, make_record

TYPES = [f"type_{i:02d}" for i in range(15)]


def typed_table(n: int, seed: int = 1) -> pl.DataFrame:
    """``n`` single-turn tickets of 15 task types; the last three rare (2, 3 and 4 records)."""
    rng = random.Random(seed)
    kinds = ["type_12"] * 2 + ["type_13"] * 3 + ["type_14"] * 4
    kinds += [TYPES[rng.randrange(12)] for _ in range(n - len(kinds))]
    rows = []
    for i, t in enumerate(kinds):
        rec = make_record(source="jsonl:t", native_id=f"{i:05d}", kind="ticket",
                          messages=[{"role": "user", "content": f"Question {i} about {t}: what applies here?"},
                                    {"role": "assistant", "content": f"Answer {i}: the {t} rule applies."}],
                          meta={"task_type": t, "difficulty": ["easy", "medium", "hard"][i % 3]})
        rec.update(dup_group=f"g{i}", selected=True)
        rows.append(rec)
    return pl.DataFrame(rows).with_columns(pl.lit(None, dtype=pl.Utf8).alias(DROP_COLUMN))


SPLIT = {"eval": 0.1, "stratify_by": ["meta.task_type"], "min_per_stratum": 1}


def test_fifteen_task_types_in_a_benchmark_of_at_least_200_that_new_records_do_not_move(tmp_path):
    table = typed_table(2420)
    first = table.head(2200)
    run = make_run(tmp_path / "runs" / "t", first)
    r = export(run, tmp_path / "v1", split=SPLIT, tokens={"tokenizer": "estimate"}).result
    bench = read_jsonl(tmp_path / "v1" / "benchmark.jsonl")
    assert len(bench) == r.stats["splits"]["eval"]["examples"] >= 200
    assert {b["strata"]["meta.task_type"] for b in bench} == set(TYPES)  # the rare ones too
    b = bench[0]
    assert list(b) == ["id", "messages", "reference", "strata", "source_ids"]
    assert b["messages"][-1]["role"] == "user" and b["reference"].startswith("Answer ") and b["source_ids"] == [b["id"]]
    eval_v1 = {b["id"] for b in bench}
    assert (run.root / "split.json").exists()

    # version 2: 10% more records
    table.write_parquet(run.path("select.parquet"))
    r2 = export(run, tmp_path / "v2", split=SPLIT, tokens={"tokenizer": "estimate"}).result
    eval_v2 = {b["id"] for b in read_jsonl(tmp_path / "v2" / "benchmark.jsonl")}
    train_v2 = {x["id"] for x in pl.read_parquet(tmp_path / "v2" / "tokens.parquet").filter(pl.col("split") == "train").iter_rows(named=True)}
    assert eval_v1 <= eval_v2 and not eval_v1 & train_v2  # no eval example moved to train
    assert len(eval_v2) - len(eval_v1) >= 15  # the new records filled the strata
    assert r2.stats["split"]["kept_from_earlier"] == 2200
    assert "2,200 examples kept their side from earlier exports" in (tmp_path / "v2" / "README.md").read_text()


def test_impossible_split_exits_2_in_one_line(run, tmp_path):
    r = run_cli("export", str(run.root), "-o", str(tmp_path / "out"), "--eval", "48")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert lines == ["error: export.split: eval (48) + test (0) would take 48 of the 48 examples, leaving 0 to train on; "
                     "ask for at most 24 held-out examples, or add records"]
    r = run_cli("export", str(run.root), "-o", str(tmp_path / "out"), "--eval", "4", "--stratify-by", "meta.category")
    assert r.returncode == 2 and len([x for x in r.stderr.splitlines() if x.strip()]) == 1
    assert "need 1 eval example(s) each (min_per_stratum)" in r.stderr


def test_a_small_eval_set_is_said_in_the_summary_and_the_card(run, tmp_path):
    r = run_cli("export", str(run.root), "-o", str(tmp_path / "out"), "--eval", "8", "--seed", "3")
    assert r.returncode == 0, r.stderr
    assert "warning: the eval set has 8 examples, fewer than the 200 a benchmark needs" in r.stderr
    assert "benchmark: 8 eval examples (not reviewed) → benchmark.jsonl" in r.stdout
    card = (tmp_path / "out" / "README.md").read_text()
    assert "**The eval set has 8 examples, fewer than the 200" in card and "**It holds fewer than 200 examples.**" in card


def test_changed_split_settings_draw_anew_and_say_so(run, tmp_path):
    export(run, tmp_path / "a", split={"eval": 0.25, "seed": 1})
    r = export(run, tmp_path / "b", split={"eval": 0.25, "seed": 2}).result
    assert r.stats["split"]["drawn_anew"] and r.stats["split"]["kept_from_earlier"] == 0
    assert r.stats["split"]["moved_since_earlier"] > 0
    again = export(run, tmp_path / "c", split={"eval": 0.25, "seed": 2}).result
    assert again.stats["split"]["kept_from_earlier"] == 48 and not again.stats["split"]["drawn_anew"]


def test_difficulty_from_the_records_or_the_reviewers_as_a_stratum(tmp_path):
    run = make_run(tmp_path / "runs" / "t", typed_table(300))
    r = export(run, tmp_path / "out", split={"eval": 30, "stratify_by": ["meta.task_type", "difficulty"],
                                              "min_per_stratum": 0}, metadata=["difficulty"]).result
    bench = read_jsonl(tmp_path / "out" / "benchmark.jsonl")
    assert {b["strata"]["difficulty"] for b in bench} == {"easy", "medium", "hard"}
    assert r.stats["split"]["stratify_by"] == ["meta.task_type", "difficulty"]
    # reviewers' difficulty wins over the record's
    ids = typed_table(300)["id"].to_list()
    dec = tmp_path / "d.jsonl"
    dec.write_text("".join(json.dumps({"record_id": i, "decision": "accept", "difficulty": "hard"}) + "\n" for i in ids))
    export(run, tmp_path / "rev", decisions_file=dec, split={"eval": 0}, metadata=["difficulty"])
    assert {x["metadata"]["difficulty"] for x in read_jsonl(tmp_path / "rev" / "train.jsonl")} == {"hard"}


def with_reasoning(n_without: int) -> pl.DataFrame:
    df = select_table(extra_turns=False)
    return df.with_columns(pl.Series("reasoning", [None if i < n_without else f"1. Step for {i}.\n2. So: answer."
                                                   for i in range(df.height)], dtype=pl.Utf8))


def test_a_reasoning_task_leaves_out_records_without_reasoning(tmp_path):
    run = make_run(tmp_path / "runs" / "t", with_reasoning(5), config={"label": {"task": "reasoning_review"}})
    r = export(run, tmp_path / "out", split={"eval": 0}).result
    assert r.dropped == {"no_reasoning": 5} and r.records_out == 43
    dropped = read_jsonl(tmp_path / "out" / "dropped.jsonl")
    assert Counter(d["reason"] for d in dropped) == {"no_reasoning": 5}
    # with labels, only the reviewers' reasoning counts: a decision without it is left out
    ids = select_table()["id"].to_list()
    dec = tmp_path / "d.jsonl"
    dec.write_text("".join(json.dumps({"record_id": i, "decision": "edit" if k else "accept", "answer": "Reviewed answer.",
                                       "reasoning": "1. Reviewed step." if k % 2 else None}) + "\n"
                           for k, i in enumerate(ids[5:15])))
    r = export(run, tmp_path / "lab", decisions_file=dec, split={"eval": 0}, reasoning="field").result
    assert r.dropped["no_reasoning"] == 5 and r.records_out == 5
    msgs = read_jsonl(tmp_path / "lab" / "train.jsonl")[0]["messages"]
    assert msgs[-1] == {"role": "assistant", "content": "Reviewed answer.", "reasoning_content": "1. Reviewed step."}


def test_an_edited_reply_does_not_keep_the_sources_reasoning(tmp_path):
    run = make_run(tmp_path / "runs" / "t", with_reasoning(0))
    ids = select_table()["id"].to_list()
    dec = tmp_path / "d.jsonl"
    dec.write_text(json.dumps({"record_id": ids[0], "decision": "edit", "corrected_response": "New reply."}) + "\n"
                   + json.dumps({"record_id": ids[1], "decision": "accept"}) + "\n")
    export(run, tmp_path / "out", decisions_file=dec, split={"eval": 0}, reasoning="inline",
           reasoning_template="Reasoning: {reasoning}\nAnswer: {answer}", metadata=["id"])
    rows = {x["metadata"]["id"]: x["messages"][-1]["content"] for x in read_jsonl(tmp_path / "out" / "train.jsonl")}
    assert rows[ids[0]] == "New reply."
    assert rows[ids[1]].startswith("Reasoning: 1. Step for 1.\n2. So: answer.\nAnswer: ")
