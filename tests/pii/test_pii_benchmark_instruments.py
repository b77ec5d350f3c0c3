"""The PII measuring instruments (benchmarks/pii_precision_audit.py and the independent recall
set): judgments are reused only for the same record, field, type and an overlapping span of
an unchanged text; sampling is deterministic; the committed judgments hold no text; every
gold span of the recall set is where its record says it is."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import pii_precision_audit as audit

RECALL_SET = ROOT / "benchmarks" / "data" / "pii_recall" / "messages.jsonl"


def _judgment(**kw) -> dict:
    base = {"corpus": "c", "record": "r1", "field": "m0", "start": 10, "end": 15, "entity": "PERSON",
            "verdict": "fp", "reason": "common_word", "text_sha": "abc"}
    return {**base, **kw}


def test_a_detection_reuses_the_judgment_it_overlaps_on_the_same_text():
    j = _judgment()
    m = audit.Matcher([j])
    same = audit.Det("c", "r1", "m0", 12, 20, "PERSON", "x")
    assert m.match(same, "abc") == (j, False)
    # another type, another field, another record, no overlap: not judged
    for d in (audit.Det("c", "r1", "m0", 12, 20, "LOCATION", "x"), audit.Det("c", "r1", "m1", 12, 20, "PERSON", "x"),
              audit.Det("c", "r2", "m0", 12, 20, "PERSON", "x"), audit.Det("c", "r1", "m0", 15, 20, "PERSON", "x")):
        assert m.match(d, "abc") == (None, False)
    # the field's text changed since: the judgment is stale, not reused
    assert m.match(same, "other") == (None, True)


def test_the_largest_overlap_wins():
    a, b = _judgment(start=0, end=6), _judgment(start=8, end=20, verdict="tp", reason="person_full_name")
    d = audit.Det("c", "r1", "m0", 5, 18, "PERSON", "x")
    assert audit.Matcher([a, b]).match(d, "abc")[0] is b


def test_wilson_interval():
    lo, hi = audit.wilson(0, 40)
    assert lo == 0 and hi == pytest.approx(0.0876, abs=1e-3)
    lo, hi = audit.wilson(36, 40)
    assert lo == pytest.approx(0.769, abs=1e-3) and hi == pytest.approx(0.960, abs=1e-3)
    assert audit.wilson(0, 0) is None


def test_sampling_order_is_stable_and_uniform_range():
    d = audit.Det("tickets", "csv:tickets:41617", "m0", 3, 9, "PERSON", "x")
    u = audit.det_u(d)
    assert u == audit.det_u(audit.Det("tickets", "csv:tickets:41617", "m0", 3, 12, "PERSON", "other source"))
    assert 0 <= u < 1
    assert audit.order_key("bitext", "csv:bitext:1") == audit.order_key("bitext", "csv:bitext:1")


def test_committed_judgments_hold_keys_and_verdicts_only():
    rows = [json.loads(line) for line in audit.JUDGMENTS.read_text().splitlines() if line.strip()]
    assert len(rows) >= 300
    for r in rows:
        assert set(r) == {"corpus", "record", "field", "start", "end", "entity", "verdict", "reason", "text_sha"}
        assert r["reason"] in audit.REASONS[r["verdict"]]
        assert r["entity"] in audit.TYPES and r["corpus"] in audit.CORPORA
    plan = json.loads(audit.PLAN.read_text())
    assert set(plan["scan"]) == set(audit.CORPORA)


def test_recall_set_gold_spans_match_their_text():
    rows = [json.loads(line) for line in RECALL_SET.read_text().splitlines() if line.strip()]
    assert len(rows) >= 1000
    locales = set()
    for r in rows:
        texts = {"title": r["title"], **{f"m{i}": m["content"] for i, m in enumerate(r["messages"])}}
        for s in r["spans"] + r["keep"]:
            assert texts[s["field"]][s["start"]:s["end"]] == s["value"], (r["id"], s)
        locales.update(s["locale"] for s in r["spans"] if s["type"] == "PERSON")
    assert len(locales) >= 10
