"""Pull's counting rules and the decisions built from them, on tasks in Label Studio's
export format (the shape measured on a real 1.23.2 server)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from curate.agreement.rule import AgreementRule, FieldRule
from curate.errors import InputError
from curate.labelstudio.adjudicate import (
    PREFILL_KEY,
    prefill_result,
    read_adjudications,
    reviews_text,
)
from curate.labelstudio.counting import count_annotations, result_values
from curate.labelstudio.decisions import (
    agreed_fields,
    build_decisions,
    load_decisions,
    merge_values,
)
from curate.labelstudio.state import labels_dir
from curate.store import write_parquet

USERS = {1: "admin@x.org", 2: "ann@x.org", 3: "bea@x.org", 4: "cal@x.org", 5: "dan@x.org"}
LEVELS = {"verdict": "nominal", "category": "nominal", "quality": "ordinal", "corrected_response": "text", "note": "text"}
FIELDS = set(LEVELS)
_next_id = iter(range(1, 10_000))


def ann(by, verdict=None, category=None, quality=None, corrected=None, note=None, *, at, updated_by="same",
        cancelled=False, lead=12.5):
    result = []
    if verdict:
        result.append({"from_name": "verdict", "to_name": "response", "type": "choices", "value": {"choices": [verdict]}})
    if category:
        result.append({"from_name": "category", "to_name": "conversation", "type": "choices", "value": {"choices": [category]}})
    if quality is not None:
        result.append({"from_name": "quality", "to_name": "response", "type": "rating", "value": {"rating": quality}})
    if corrected:
        result.append({"from_name": "corrected_response", "to_name": "response", "type": "textarea", "value": {"text": [corrected]}})
    if note:
        result.append({"from_name": "note", "to_name": "conversation", "type": "textarea", "value": {"text": [note]}})
    return {
        "id": next(_next_id), "completed_by": by, "updated_by": by if updated_by == "same" else updated_by,
        "result": result, "was_cancelled": cancelled, "created_at": f"2026-11-23T10:{at:02d}:00.000000Z",
        "lead_time": lead,
    }


def task(tid, rid, *anns):
    return {"id": tid, "data": {"record_id": rid, "conversation": "c", "response": "r"}, "annotations": list(anns),
            "updated_at": "2026-11-23T11:00:00Z"}


def tasks_dict(*ts):
    return {str(t["id"]): t for t in ts}


def test_result_values_formats():
    r = ann(2, "accept", "billing", 4, "fixed\n", "a note", at=1)["result"]
    assert result_values(r) == {"verdict": "accept", "category": "billing", "quality": "4",
                                "corrected_response": "fixed", "note": "a note"}
    multi = [{"from_name": "label", "type": "choices", "value": {"choices": ["b", "a"]}}]
    assert result_values(multi) == {"label": "a|b"}
    assert result_values([{"from_name": "quality", "type": "rating", "value": {"rating": 4.0}}]) == {"quality": "4"}
    assert result_values([{"from_name": "note", "type": "textarea", "value": {"text": ["  "]}}]) == {}


def test_first_annotation_of_each_of_two_distinct_reviewers():
    t = task(1, "r1",
             ann(2, "accept", quality=4, at=1),
             ann(2, "reject", quality=1, at=2),   # ann again: only her first counts
             ann(3, "accept", quality=5, at=3),
             ann(4, "reject", quality=2, at=4))   # a third reviewer: not counted
    c = count_annotations(tasks_dict(t), USERS, fields=FIELDS)
    assert [a.reviewer for a in c.counted["r1"]] == ["ann@x.org", "bea@x.org"]
    assert c.counted["r1"][0].values["verdict"] == "accept"
    assert [a.reviewer for a in c.extra["r1"]] == ["cal@x.org"]
    assert c.counts["same_reviewer_again"] == 1 and c.counts["extra_reviewer"] == 1
    labels = c.labels()
    assert labels.columns == ["record_id", "task_id", "annotation_id", "reviewer", "field", "value", "seconds", "created_at"]
    assert labels.height == 4 and set(labels["reviewer"]) == {"ann@x.org", "bea@x.org"}
    assert labels["seconds"].to_list() == [12.5] * 4
    assert any("beyond the first 2 reviewers" in w for w in c.warnings)


def test_order_is_by_creation_time_not_by_list_order():
    t = task(1, "r1", ann(3, "reject", at=9), ann(2, "accept", at=1), ann(4, "accept", at=5))
    c = count_annotations(tasks_dict(t), USERS, fields=FIELDS)
    assert [a.reviewer for a in c.counted["r1"]] == ["ann@x.org", "cal@x.org"]


def test_impersonated_skipped_and_empty_are_not_counted():
    t = task(1, "r1",
             ann(3, "reject", at=1, updated_by=1),   # admin posted it in bea's name
             ann(2, "accept", at=2, cancelled=True),  # ann skipped
             ann(4, at=3),                            # empty
             ann(2, "accept", at=4),
             ann(5, "accept", at=5))
    c = count_annotations(tasks_dict(t), USERS, fields=FIELDS)
    assert [a.reviewer for a in c.counted["r1"]] == ["ann@x.org", "dan@x.org"]
    assert c.counts["impersonated"] == 1 and c.counts["skipped"] == 1 and c.counts["empty"] == 1
    imp = next(w for w in c.warnings if "attributed to" in w)
    assert "bea@x.org" in imp and "admin@x.org" in imp


def test_duplicate_tasks_and_foreign_tasks():
    ts = tasks_dict(task(1, "r1", ann(2, "accept", at=1)), task(2, "r1", ann(3, "reject", at=2)),
                    {"id": 3, "data": {"text": "imported by hand"}, "annotations": []})
    c = count_annotations(ts, USERS, fields=FIELDS)
    assert list(c.counted) == ["r1"] and c.task_of["r1"] == 1
    assert c.counts["duplicate_task"] == 1 and c.counts["task_without_record_id"] == 1


def test_unknown_users_and_fields():
    t = task(1, "r1", ann(99, "accept", at=1))
    t["annotations"][0]["result"].append({"from_name": "mood", "type": "choices", "value": {"choices": ["x"]}})
    c = count_annotations(tasks_dict(t), USERS, fields=FIELDS)
    assert c.counted["r1"][0].reviewer == "user:99"
    assert c.counted["r1"][0].values == {"verdict": "accept"}
    assert c.counts["unknown_field"] == 1


def _decide(review, adjudication=None, rule=None, levels=LEVELS):
    c = count_annotations(tasks_dict(*review), USERS, fields=FIELDS)
    adj, adj_c = read_adjudications(tasks_dict(*(adjudication or [])), USERS, c, FIELDS)
    d = build_decisions(c, levels, rule or AgreementRule(), "response_review", adj)
    return {r["record_id"]: r for r in d.iter_rows(named=True)}, c, adj_c


def test_statuses():
    review = [
        # agreed: same verdict and category, quality within the default tolerance of 1
        task(1, "agreed", ann(2, "accept", "billing", 4, at=1), ann(3, "accept", "billing", 5, at=2)),
        # agreed edit: the first reviewer's correction (texts similar enough)
        task(2, "edit", ann(2, "edit", "billing", 3, "Please reset your password now.", at=1),
             ann(3, "edit", "billing", 3, "Please reset your password now!", at=2)),
        task(3, "disagreed", ann(2, "accept", "billing", 4, at=1), ann(3, "reject", "billing", 4, at=2)),
        task(4, "pending", ann(2, "accept", "billing", 4, at=1)),
        # verdict split 1-1 between the two, a third reviewer breaks the tie
        task(5, "majority", ann(2, "accept", "billing", 4, at=1), ann(3, "reject", "billing", 4, at=2),
             ann(4, "accept", "billing", 4, at=3)),
        task(6, "adjudicated", ann(2, "accept", "billing", 4, at=1), ann(3, "edit", "shipping", 2, "Better.", at=2)),
        task(7, "self", ann(2, "accept", "billing", 4, at=1), ann(3, "reject", "billing", 4, at=2)),
        # both chose edit but nobody wrote the correction: a third person must
        task(8, "nocorr", ann(2, "edit", "billing", 3, at=1), ann(3, "edit", "billing", 3, at=2)),
    ]
    adjudication = [
        task(101, "adjudicated", ann(4, "edit", "shipping", 3, "The adjudicated reply.", at=10)),
        task(102, "self", ann(2, "accept", "billing", 4, at=10)),  # ann adjudicating her own disagreement
    ]
    d, _, adj_c = _decide(review, adjudication)
    assert {k: v["status"] for k, v in d.items()} == {
        "agreed": "agreed", "edit": "agreed", "disagreed": "disagreed", "pending": "pending",
        "majority": "majority", "adjudicated": "adjudicated", "self": "disagreed", "nocorr": "disagreed",
    }
    assert d["agreed"]["decision"] == "accept" and d["agreed"]["quality"] == 4.5 and d["agreed"]["category"] == "billing"
    assert d["agreed"]["corrected_response"] is None
    assert d["edit"]["decision"] == "edit" and d["edit"]["corrected_response"] == "Please reset your password now."
    assert d["disagreed"]["decision"] is None and d["disagreed"]["disputed"] == ["verdict"]
    assert d["pending"]["reason"] == "1 of 2 reviews"
    assert d["majority"]["decision"] == "accept"
    assert d["majority"]["reviewers"] == ["ann@x.org", "bea@x.org", "cal@x.org"]
    a = d["adjudicated"]
    assert (a["decision"], a["category"], a["quality"], a["corrected_response"], a["adjudicator"]) == (
        "edit", "shipping", 3.0, "The adjudicated reply.", "cal@x.org")
    assert sorted(a["disputed"]) == ["category", "quality", "verdict"]
    assert d["nocorr"]["reason"] == "edit_without_correction"
    assert adj_c.counts["self_adjudication"] == 1


def test_rule_from_the_config_decides_what_counts():
    review = [task(1, "q", ann(2, "accept", "billing", 3, at=1), ann(3, "accept", "billing", 5, at=2)),
              task(2, "n", ann(2, "accept", "billing", 4, note="typo in greeting", at=1),
                   ann(3, "accept", "billing", 4, note="fine", at=2))]
    d, _, _ = _decide(review)
    assert d["q"]["status"] == "disagreed" and d["q"]["disputed"] == ["quality"]   # 3 vs 5 > tolerance 1
    assert d["n"]["status"] == "agreed"  # notes never send an item to adjudication
    d, _, _ = _decide(review, rule=AgreementRule(ordinal_tolerance=2))
    assert d["q"]["status"] == "agreed" and d["q"]["quality"] == 4.0
    d, _, _ = _decide(review, rule=AgreementRule(fields={"quality": FieldRule(adjudicate=False)}))
    assert d["q"]["status"] == "agreed"


def test_reviews_text_is_anonymous():
    review = [task(6, "r", ann(2, "accept", "billing", 4, at=1), ann(3, "edit", "shipping", 2, "Better\nreply", at=2))]
    c = count_annotations(tasks_dict(*review), USERS, fields=FIELDS)
    text = reviews_text("r", c, ["verdict", "category"], None)
    assert "Reviewer A" in text and "Reviewer B" in text
    assert "ann@x.org" not in text and "bea@x.org" not in text
    assert "They disagree on: verdict, category." in text
    # a correction is shown as written, not indented: copying it copies the reviewer's text
    assert "corrected reply:\nBetter\nreply" in text and "  Better" not in text


def _adj_task(tid, rid, annotation, prefill):
    t = task(tid, rid, annotation)
    if prefill is not None:
        t["data"][PREFILL_KEY] = prefill
    return t


def test_agreed_fields_are_kept_unless_the_adjudicator_changes_them():
    """Both reviewers rated 4 and 5 (agreed within ±1) and disagree on the category: the
    adjudicator is asked for the category; the quality shown (5) stays the agreed 4.5
    unless changed; on a task made without pre-filled answers an agreed field keeps the
    reviewers' value whatever the blank form got."""
    pair = (ann(2, "accept", "billing", 4, at=1), ann(3, "accept", "shipping", 5, at=2))
    review = [task(i, rid, *pair) for i, rid in enumerate(("kept", "changed", "old", "blank"), start=1)]
    c = count_annotations(tasks_dict(*review), USERS, fields=FIELDS)
    shown = {"verdict": "accept", "quality": "5"}
    adjudication = [
        _adj_task(101, "kept", ann(4, "accept", "refunds", 5, at=10), shown),
        _adj_task(102, "changed", ann(4, "reject", "refunds", 2, at=10), shown),
        _adj_task(103, "old", ann(4, "accept", "refunds", 3, at=10), None),
        _adj_task(104, "blank", ann(4, "accept", None, 5, at=10), shown),  # the disputed field left blank
    ]
    adj, _ = read_adjudications(tasks_dict(*adjudication), USERS, c, FIELDS)
    d = {r["record_id"]: r for r in build_decisions(c, LEVELS, AgreementRule(), "response_review", adj).iter_rows(named=True)}
    assert (d["kept"]["status"], d["kept"]["decision"], d["kept"]["category"], d["kept"]["quality"]) == (
        "adjudicated", "accept", "refunds", 4.5)
    assert (d["changed"]["decision"], d["changed"]["category"], d["changed"]["quality"]) == ("reject", "refunds", 2.0)
    assert (d["old"]["decision"], d["old"]["category"], d["old"]["quality"]) == ("accept", "refunds", 4.5)
    assert d["blank"]["status"] == "disagreed" and d["blank"]["reason"] == "adjudication_left_blank:category"


def test_prefill_holds_the_agreed_fields_only():
    review = [task(1, "r", ann(2, "edit", "billing", 4, "Fixed reply.", note="n1", at=1),
                   ann(3, "edit", "shipping", 5, "Fixed reply!", note="n2", at=2))]
    c = count_annotations(tasks_dict(*review), USERS, fields=FIELDS)
    anns = c.counted["r"]
    agreed = agreed_fields(anns, LEVELS, ["category"], None, "response_review")
    assert agreed == ["verdict", "quality", "corrected_response"]  # never the disputed field or a note
    merged = merge_values(anns, LEVELS)
    controls = {"verdict": ("Choices", "response"), "quality": ("Rating", "response"),
                "corrected_response": ("TextArea", "response")}
    result = prefill_result({f: merged[f] for f in agreed}, controls)
    assert result_values(result) == {"verdict": "edit", "quality": "5", "corrected_response": "Fixed reply."}
    assert all(r["to_name"] == "response" for r in result)


def test_load_decisions_policies(tmp_path: Path):
    assert load_decisions(tmp_path, "adjudicated") is None
    review = [
        task(1, "agreed", ann(2, "accept", "billing", 4, at=1), ann(3, "accept", "billing", 4, at=2)),
        task(3, "disagreed", ann(2, "accept", "billing", 4, at=1), ann(3, "reject", "billing", 4, at=2)),
        task(5, "majority", ann(2, "accept", "billing", 4, at=1), ann(3, "reject", "billing", 4, at=2),
             ann(4, "accept", "billing", 4, at=3)),
        task(6, "adjudicated", ann(2, "accept", "billing", 4, at=1), ann(3, "reject", "billing", 4, at=2)),
        task(7, "pending", ann(2, "accept", "billing", 4, at=1)),
    ]
    adjudication = [task(101, "adjudicated", ann(4, "reject", "billing", 1, at=10))]
    c = count_annotations(tasks_dict(*review), USERS, fields=FIELDS)
    adj, _ = read_adjudications(tasks_dict(*adjudication), USERS, c, FIELDS)
    write_parquet(labels_dir(tmp_path) / "decisions.parquet",
                  build_decisions(c, LEVELS, AgreementRule(), "response_review", adj))
    got = {p: sorted(load_decisions(tmp_path, p)["record_id"]) for p in ("agreed_only", "adjudicated", "majority")}
    assert got == {
        "agreed_only": ["agreed"],
        "adjudicated": ["adjudicated", "agreed"],
        "majority": ["adjudicated", "agreed", "majority"],
    }
    df = load_decisions(tmp_path, "majority")
    assert df["decision"].null_count() == 0
    assert df.schema["reviewers"] == pl.List(pl.Utf8)
    with pytest.raises(InputError, match="unknown label policy"):
        load_decisions(tmp_path, "everything")


def test_classification_and_doc_qa_decisions():
    c = count_annotations(tasks_dict(
        {"id": 1, "data": {"record_id": "a"}, "annotations": [
            {"id": 1, "completed_by": 2, "updated_by": 2, "created_at": "1", "result": [
                {"from_name": "label", "type": "choices", "value": {"choices": ["refund"]}}]},
            {"id": 2, "completed_by": 3, "updated_by": 3, "created_at": "2", "result": [
                {"from_name": "label", "type": "choices", "value": {"choices": ["refund"]}}]}]}),
        USERS, fields={"label", "note"})
    d = build_decisions(c, {"label": "nominal", "note": "text"}, AgreementRule(), "classification")
    assert d.row(0, named=True)["decision"] == "accept" and d.row(0, named=True)["label"] == "refund"

    qa = lambda by, at, v, q=None, a=None: {  # noqa: E731
        "id": at, "completed_by": by, "updated_by": by, "created_at": str(at),
        "result": [{"from_name": "verdict", "type": "choices", "value": {"choices": [v]}}]
        + ([{"from_name": "question", "type": "textarea", "value": {"text": [q]}}] if q else [])
        + ([{"from_name": "answer", "type": "textarea", "value": {"text": [a]}}] if a else []),
    }
    c = count_annotations(tasks_dict(
        {"id": 1, "data": {"record_id": "d"}, "annotations": [
            qa(2, 1, "accept", "How do I install it?", "Run pip install x."),
            qa(3, 2, "accept", "Which command installs the package?", "pip install x")]}),
        USERS, fields={"verdict", "question", "answer", "note"})
    d = build_decisions(c, {"verdict": "nominal", "question": "text", "answer": "text", "note": "text"},
                        AgreementRule(), "doc_qa").row(0, named=True)
    # different questions are fine: only the verdict must agree for doc_qa
    assert (d["status"], d["decision"], d["question"], d["answer"]) == (
        "agreed", "accept", "How do I install it?", "Run pip install x.")


def _rr(by, at, verdict, reasoning=None, answer=None, difficulty=None):
    result = [{"from_name": "verdict", "type": "choices", "value": {"choices": [verdict]}}]
    for name, v in (("reasoning", reasoning), ("answer", answer)):
        if v:
            result.append({"from_name": name, "type": "textarea", "value": {"text": [v]}})
    if difficulty:
        result.append({"from_name": "difficulty", "type": "choices", "value": {"choices": [difficulty]}})
    return {"id": at, "completed_by": by, "updated_by": by, "created_at": str(at), "result": result, "lead_time": 40}


def test_reasoning_review_decisions_compare_the_texts_and_keep_the_drafts():
    """Reviewers leave the reasoning and answer boxes as the draft filled them, or correct
    them: the texts are compared like a corrected reply (similar enough: agreed), an empty
    box keeps its draft, and a kept item without reasoning needs a third person."""
    from curate.labelstudio.tasks import DRAFT_KEY
    from curate.labelstudio.templates import FIELD_LEVELS

    draft = {"reasoning": "1. The limit is 30 kg.\n2. 40 kg is over it.", "answer": "No, 40 kg is over the limit."}
    fixed = "1. The limit is 30 kg per parcel.\n2. 40 kg is over it, so it needs a freight booking."

    def t(tid, rid, *anns, drafts=True):
        return {"id": tid, "data": {"record_id": rid, **({DRAFT_KEY: draft} if drafts else {})}, "annotations": list(anns)}

    c = count_annotations(tasks_dict(
        t(1, "same", _rr(2, 1, "accept", draft["reasoning"], draft["answer"], "easy"), _rr(3, 2, "accept", difficulty="medium")),
        t(2, "fixed", _rr(2, 3, "edit", fixed, draft["answer"]), _rr(3, 4, "edit", fixed + " ", draft["answer"])),
        t(3, "apart", _rr(2, 5, "edit", fixed, draft["answer"]), _rr(3, 6, "accept", draft["reasoning"], draft["answer"])),
        t(4, "nodraft", _rr(2, 7, "accept"), _rr(3, 8, "accept"), drafts=False),
    ), USERS, fields=set(FIELD_LEVELS["reasoning_review"]))
    levels = dict(FIELD_LEVELS["reasoning_review"])
    d = {r["record_id"]: r for r in build_decisions(c, levels, AgreementRule(), "reasoning_review").iter_rows(named=True)}
    # one reviewer left the boxes empty: the drafts count for them (same texts, agreed);
    # easy vs medium is informational, never a reason to adjudicate
    assert (d["same"]["status"], d["same"]["reasoning"], d["same"]["answer"]) == ("agreed", draft["reasoning"], draft["answer"])
    assert d["same"]["difficulty"] == "easy"
    assert (d["fixed"]["status"], d["fixed"]["decision"], d["fixed"]["reasoning"]) == ("agreed", "edit", fixed)
    assert d["apart"]["status"] == "disagreed" and "verdict" in d["apart"]["disputed"]
    assert d["nodraft"]["status"] == "disagreed" and d["nodraft"]["reason"] == "without_reasoning_or_answer"
