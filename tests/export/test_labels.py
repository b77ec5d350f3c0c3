"""Reviewed labels at export: the policy's records only, rejects left out, corrections
replacing the reply, classification and doc QA examples."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from export_support import bitext_rows, export, make_run, read_jsonl, select_table
from helpers import run_cli

from curate.errors import InputError
from curate.export.labels import label_settings, load_run_decisions, read_decisions_file

IDS = [f"csv:bitext:{r['id']}" for r in bitext_rows()]


def write_decisions(path: Path, rows: list[dict]) -> Path:
    """A decisions table in the documented shape (as curate.labelstudio.decisions returns it)."""
    full = [{"record_id": None, "status": "agreed", "decision": None, "corrected_response": None, "category": None,
             "quality": None, "label": None, "question": None, "answer": None, "reviewers": ["ana@x", "bo@x"], **r}
            for r in rows]
    pl.DataFrame(full, schema_overrides={"quality": pl.Float64}).write_parquet(path)
    return path


def all_rows(out: Path) -> list[dict]:
    rows = []
    for s in ("train", "eval", "test"):
        if (out / f"{s}.jsonl").exists():
            rows += read_jsonl(out / f"{s}.jsonl")
    return rows


def by_id(out: Path) -> dict[str, dict]:
    return {r["metadata"]["id"]: r for r in all_rows(out)}


def test_response_review_decisions(run, tmp_path):
    dec = write_decisions(tmp_path / "decisions.parquet", [
        {"record_id": IDS[2], "decision": "accept", "category": "orders", "quality": 5.0},
        {"record_id": IDS[3], "decision": "edit", "corrected_response": "A better, shorter reply.", "quality": 3.0},
        {"record_id": IDS[4], "decision": "reject", "quality": 1.0},
        {"record_id": IDS[5], "decision": "edit", "corrected_response": "  "},
        {"record_id": IDS[6], "decision": "accept", "status": "adjudicated"},
        # a multi-turn record (every 6th has two exchanges): the last reply is replaced
        {"record_id": IDS[12], "decision": "edit", "corrected_response": "Confirmation sent, check your inbox."},
    ])
    out = tmp_path / "out"
    r = export(run, out, decisions_file=dec, metadata=["id", "decision", "category", "quality", "status"],
               split={"eval": 0}).result
    assert r.dropped == {"edit_without_correction": 1, "no_accepted_label": 42, "rejected_by_reviewers": 1}
    assert r.records_out == 4
    rows = by_id(out)
    assert set(rows) == {IDS[2], IDS[3], IDS[6], IDS[12]}
    original = {r["id"]: r for r in select_table().iter_rows(named=True)}
    assert rows[IDS[2]]["messages"][-1]["content"] == original[IDS[2]]["messages"][-1]["content"]
    assert rows[IDS[3]]["messages"][-1] == {"role": "assistant", "content": "A better, shorter reply."}
    assert rows[IDS[3]]["messages"][-2] == original[IDS[3]]["messages"][0]
    multi = rows[IDS[12]]["messages"]
    assert [m["role"] for m in multi] == ["user", "assistant", "user", "assistant"]
    assert multi[1] == original[IDS[12]]["messages"][1] and multi[-1]["content"] == "Confirmation sent, check your inbox."
    assert rows[IDS[2]]["metadata"] == {"id": IDS[2], "decision": "accept", "category": "orders", "quality": 5.0,
                                        "status": "agreed"}
    dropped = {d["id"]: d["reason"] for d in read_jsonl(out / "dropped.jsonl")}
    assert dropped[IDS[4]] == "rejected_by_reviewers" and dropped[IDS[0]] == "no_accepted_label"
    card = (out / "README.md").read_text()
    assert "Reviewed labels from the file `decisions.parquet`" in card and "policy `adjudicated`" in card
    assert "| edit | 2 |" in card and "| accept | 2 |" in card


def test_classification_puts_criteria_in_the_prompt_and_the_label_as_answer(tmp_path):
    label_cfg = {"task": "classification", "export_policy": "agreed_only", "labels": [
        {"name": "order", "criteria": "Placing, changing or cancelling an order."},
        {"name": "refund", "criteria": "Money back for a purchase."}, "other"]}
    run = make_run(tmp_path / "runs" / "c", select_table(), {"label": label_cfg})
    dec = write_decisions(tmp_path / "d.jsonl.parquet", [
        {"record_id": IDS[0], "decision": "accept", "label": "order"},
        {"record_id": IDS[1], "decision": "accept", "label": "refund"},
        {"record_id": IDS[7], "decision": "accept", "label": "nonsense"},  # not a configured label
        {"record_id": IDS[8], "decision": "accept"},  # no label
    ])
    out = tmp_path / "cls"
    r = export(run, out, decisions_file=dec, metadata=["id", "label"], split={"eval": 0}, system_prompt="Sort tickets.").result
    assert r.dropped["label_not_in_config"] == 1 and r.dropped["no_label"] == 1
    rows = by_id(out)
    ex = rows[IDS[0]]["messages"]
    assert ex[0] == {"role": "system", "content": "Sort tickets."}
    assert "- order: Placing, changing or cancelling an order." in ex[1]["content"]
    assert "- refund: Money back for a purchase." in ex[1]["content"] and "- other" in ex[1]["content"]
    assert "Answer with the label only." in ex[1]["content"]
    assert select_table().filter(pl.col("id") == IDS[0])["messages"][0][0]["content"] in ex[1]["content"]
    assert ex[2] == {"role": "assistant", "content": "order"}
    assert rows[IDS[1]]["messages"][-1]["content"] == "refund"
    # alpaca keeps the instruction and the ticket apart
    export(run, tmp_path / "cls_alpaca", decisions_file=dec, format="alpaca", split={"eval": 0})
    a = read_jsonl(tmp_path / "cls_alpaca" / "train.jsonl")[0]
    assert a["instruction"].startswith("Classify the following ticket") and a["input"] and a["output"] in ("order", "refund")
    assert "Customer:" not in a["instruction"]


def test_doc_qa_uses_question_and_answer(tmp_path):
    run = make_run(tmp_path / "runs" / "d", select_table(), {"label": {"task": "doc_qa"}})
    dec = write_decisions(tmp_path / "qa.parquet", [
        {"record_id": IDS[0], "decision": "accept", "question": "How do I cancel an order?", "answer": "From Order Details."},
        {"record_id": IDS[1], "decision": "accept", "question": "Where?"},  # no answer
    ])
    r = export(run, tmp_path / "qa", decisions_file=dec, split={"eval": 0}, metadata=["id"]).result
    assert r.dropped["no_question_answer"] == 1
    msgs = by_id(tmp_path / "qa")[IDS[0]]["messages"]
    assert msgs == [{"role": "user", "content": "How do I cancel an order?"},
                    {"role": "assistant", "content": "From Order Details."}]
    export(run, tmp_path / "qa_ctx", decisions_file=dec, split={"eval": 0}, metadata=["id"],
           prompts={"doc_qa_context": True})
    user = by_id(tmp_path / "qa_ctx")[IDS[0]]["messages"][0]["content"]
    assert user.startswith("Answer the question using the documentation.") and user.endswith("Question: How do I cancel an order?")


def test_cli_export_with_a_decisions_file_and_policy(run, tmp_path):
    dec = tmp_path / "decisions.jsonl"
    dec.write_text("".join(json.dumps(r) + "\n" for r in [
        {"record_id": IDS[0], "decision": "ACCEPT", "status": "majority", "reviewers": ["a", "b", "c"]},
        {"record_id": IDS[1], "decision": "reject"},
    ]))
    r = run_cli("export", str(run.root), "-o", str(tmp_path / "o"), "--decisions", str(dec), "--policy", "majority", "--eval", "0")
    assert r.returncode == 0, r.stderr
    assert "1 examples" in r.stdout and "rejected_by_reviewers 1" in r.stdout
    card = (tmp_path / "o" / "README.md").read_text()
    assert "policy `majority`" in card
    # --ignore-labels exports the selection as it is
    r = run_cli("export", str(run.root), "-o", str(tmp_path / "all"), "--decisions", str(dec), "--ignore-labels")
    assert r.returncode == 0, r.stderr
    assert len(all_rows(tmp_path / "all")) == 48


def test_bad_decisions_are_clear_errors(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text(json.dumps({"record_id": "x", "decision": "maybe"}) + "\n")
    with pytest.raises(InputError, match="decision must be one of accept, edit, reject"):
        read_decisions_file(p)
    p.write_text(json.dumps({"id": "x"}) + "\n")
    with pytest.raises(InputError, match="need the columns record_id and decision"):
        read_decisions_file(p)
    p.write_text("".join(json.dumps({"record_id": "x", "decision": "accept"}) + "\n" for _ in range(2)))
    with pytest.raises(InputError, match="more than one decision"):
        read_decisions_file(p)


def test_without_labels_the_selection_is_exported_as_it_is(run, tmp_path):
    assert load_run_decisions(run.root, "adjudicated") is None
    r = export(run, tmp_path / "plain", split={"eval": 0}).result
    assert r.records_out == 48 and r.dropped == {}
    assert "Not reviewed" in (tmp_path / "plain" / "README.md").read_text()
    with pytest.raises(InputError, match="has no labels"):
        export(run, tmp_path / "req", labels="require")


def test_label_settings_read_any_shape_of_the_label_section():
    assert label_settings({}) == ("response_review", "adjudicated", {})
    task, policy, crit = label_settings({"label": {"task": "classification", "export_policy": "majority",
                                                   "labels": {"a": "when A", "b": {"description": "when B"}}}})
    assert (task, policy, crit) == ("classification", "majority", {"a": "when A", "b": "when B"})
    _, _, crit = label_settings({"label": {"labels": [{"name": "x", "criteria": None}, "y"]}})
    assert crit == {"x": "", "y": ""}


def test_labels_pulled_into_the_run_are_used_with_the_policy(run, tmp_path):
    """The run's labels/decisions.parquet, as `curate label pull` leaves it: every
    status, the policy picks which count."""
    rows = [
        {"record_id": IDS[0], "task_id": 1, "status": "agreed", "decision": "accept"},
        {"record_id": IDS[1], "task_id": 2, "status": "adjudicated", "decision": "edit", "corrected_response": "Adjudicated reply."},
        {"record_id": IDS[2], "task_id": 3, "status": "majority", "decision": "accept"},
        {"record_id": IDS[3], "task_id": 4, "status": "disagreed", "decision": None},
        {"record_id": IDS[4], "task_id": 5, "status": "pending", "decision": None},
        {"record_id": IDS[5], "task_id": 6, "status": "agreed", "decision": "reject"},
    ]
    schema = {"record_id": pl.Utf8, "task_id": pl.Int64, "status": pl.Utf8, "decision": pl.Utf8,
              "corrected_response": pl.Utf8, "category": pl.Utf8, "quality": pl.Float64, "label": pl.Utf8,
              "question": pl.Utf8, "answer": pl.Utf8, "reviewers": pl.List(pl.Utf8), "adjudicator": pl.Utf8,
              "disputed": pl.List(pl.Utf8), "reason": pl.Utf8}
    full = [{**{k: None for k in schema}, "reviewers": ["ana@x", "bo@x"], **r} for r in rows]
    (run.root / "labels").mkdir()
    pl.DataFrame(full, schema=schema).write_parquet(run.root / "labels" / "decisions.parquet")
    counts = {}
    for policy in ("agreed_only", "adjudicated", "majority"):
        r = export(run, tmp_path / policy, policy=policy, split={"eval": 0}, metadata=["id", "status", "reviewers"]).result
        counts[policy] = r.records_out
        assert r.dropped["rejected_by_reviewers"] == 1
    assert counts == {"agreed_only": 1, "adjudicated": 2, "majority": 3}
    rows_out = by_id(tmp_path / "adjudicated")
    assert rows_out[IDS[1]]["messages"][-1]["content"] == "Adjudicated reply."
    assert rows_out[IDS[0]]["metadata"] == {"id": IDS[0], "status": "agreed", "reviewers": "ana@x, bo@x"}
    assert "the run's Label Studio project" in (tmp_path / "adjudicated" / "README.md").read_text()
