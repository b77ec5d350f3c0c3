"""The per-record time budget (redact.time_budget_s): a record whose analysis runs out of
CPU time is dropped as ``redaction_timeout`` with every text withheld and its id
replaced, never passed on unredacted; the other records of its batch are redacted as
usual, and the stage's accounting adds up. The slow record here meets a pattern of the
config's own (`redact.patterns`), written the way the EU street pattern was before it was
made linear: quadratic in a run of "a-a-a-…", about a minute on this record. The budget is a
safety net for any such pattern, Presidio's included, not only curate's."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import polars as pl
import pytest

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

from helpers import run_cli, write_config

#: quadratic in a run of "a-": every character starts a try that reads the rest of the run
SLOW_PATTERN = {
    "entity": "STREET_NAME",
    "regex": r"(?<![\w])[A-Za-z\-]*(?i:strasse|gasse|weg|allee|platz|ring|damm|ufer|gata|katu|straat|plein)[ \t]*\d+",
}
HOSTILE = "a-" * 25_000 + " strasse 5. Maria Lopez, maria.lopez@example.org"
ORDINARY = "Hi, I am Jo Kim (jo.kim@example.com) and the export fails since version 2.4.1."


@pytest.fixture(scope="module")
def nlp_engine():
    from curate.pii.config import RedactConfig
    from curate.pii.engine import build_nlp_engine

    return build_nlp_engine(RedactConfig())


def redactor(nlp_engine, **settings):
    from curate.pii.config import RedactConfig
    from curate.pii.engine import PiiAnalyzer
    from curate.pii.redactor import Redactor

    cfg = RedactConfig(patterns=[SLOW_PATTERN], **settings)
    return Redactor(cfg, analyzer=PiiAnalyzer(cfg, nlp_engine=nlp_engine))


def records():
    from curate.pii.redactor import RecordIn

    return [
        RecordIn("Export", [{"role": "user", "content": ORDINARY}], {"requester": "Jo Kim"}, id="jsonl:t:1", source="jsonl:t"),
        RecordIn("Help", [{"role": "user", "content": HOSTILE}], {"requester": "Maria Lopez"},
                 id="jsonl:t:maria.lopez@example.org", source="jsonl:t"),
        RecordIn(None, [{"role": "user", "content": ORDINARY}], id="jsonl:t:3", source="jsonl:t"),
    ]


def test_a_record_over_its_budget_is_withheld_and_the_rest_redacted(nlp_engine):
    red = redactor(nlp_engine, time_budget_s=1.0)
    t0 = time.process_time()
    outs = red.redact(records())
    # interrupted inside the pattern: about the budget, not the pattern's minute
    assert time.process_time() - t0 < 15
    ok1, slow, ok3 = outs
    assert slow.timed_out and not ok1.timed_out and not ok3.timed_out
    assert slow.title is None and slow.messages == [] and slow.meta == {} and slow.pii == {}
    assert slow.id.startswith("jsonl:t:id-") and "maria" not in slow.id
    for o in (ok1, ok3):
        assert "jo.kim@example.com" not in json.dumps(o.messages) and "<EMAIL_ADDRESS_1>" in o.messages[0]["content"]
        assert o.id in ("jsonl:t:1", "jsonl:t:3")
    assert ok1.meta == {"requester": "<PERSON_1>"}


def test_without_a_timer_the_record_is_given_up_when_the_call_returns(nlp_engine):
    """Outside a process's main thread (a thread pool, some actor runtimes) no timer can
    interrupt a pattern: the record is given up as soon as the call that overran
    returns, still never passed on."""
    from curate.pii.redactor import RecordIn

    red = redactor(nlp_engine, time_budget_s=0.2)
    recs = [RecordIn(None, [{"role": "user", "content": "a-" * 3_000 + " strasse 5"}]), records()[0]]
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("out", red.redact(recs)))
    worker.start()
    worker.join(120)
    slow, ok = result["out"]
    assert slow.timed_out and slow.messages == []
    assert not ok.timed_out and "<EMAIL_ADDRESS_1>" in ok.messages[0]["content"]


def test_ordinary_records_are_far_inside_the_default_budget(nlp_engine):
    """The default budget is no limit for ordinary text: a 50 kB ticket thread (the
    ordinary sentences of this file repeated) spends a small part of it."""
    from curate.pii.config import DEFAULT_TIME_BUDGET_S
    from curate.pii.redactor import RecordIn

    red = redactor(nlp_engine)
    text = "\n\n".join(f"Hi Sam,\n{ORDINARY}\nCall me on +44 20 7946 0958.\n\nThanks,\nJo Kim" for _ in range(350))
    assert 45_000 < len(text) <= 50_000
    rec = [RecordIn(None, [{"role": "user", "content": text}])]
    layout = [red._fields(r) for r in rec]
    budgets = red._budgets(layout)
    assert budgets.left[0] == DEFAULT_TIME_BUDGET_S
    red._detect(layout, budgets)
    spent = DEFAULT_TIME_BUDGET_S - budgets.left[0]
    # half the length a budget covers, a tenth of the budget: a fifth for 100,000 characters
    assert 0 < spent < DEFAULT_TIME_BUDGET_S / 10, spent


def test_curate_redact_quarantines_the_slow_record_and_accounts_for_every_one(tmp_path):
    rows = [
        {"id": "jsonl:t:1", "source": "jsonl:t", "text": ORDINARY, "meta": {"requester": "Jo Kim"}},
        {"id": "jsonl:t:maria.lopez@example.org", "source": "jsonl:t", "text": HOSTILE, "meta": {"requester": "Maria Lopez"}},
        {"id": "jsonl:t:3", "source": "jsonl:t", "text": ORDINARY},
    ]
    recs = tmp_path / "records.jsonl"
    recs.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cfg = write_config(tmp_path / "curate.yaml", {
        "name": "t",
        "sources": [{"type": "jsonl", "path": "records.jsonl", "fields": {"id": "id", "text": "text"}}],
        "redact": {"patterns": [SLOW_PATTERN], "time_budget_s": 1.0},
    })
    out = tmp_path / "clean.jsonl"
    r = run_cli("redact", str(recs), "-o", str(out), "--config", str(cfg), "--workers", "1", "-q", cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "1 quarantined" in r.stdout and "over the time budget" in r.stdout
    kept = [json.loads(line) for line in out.read_text().splitlines()]
    held = [json.loads(line) for line in (tmp_path / "clean.quarantined.jsonl").read_text().splitlines()]
    assert len(kept) + len(held) == len(rows)
    assert [h["drop_reason"] for h in held] == ["redaction_timeout"]
    assert held[0]["text"] == "" and held[0]["messages"] == [] and held[0]["id"].startswith("jsonl:t:id-")
    both = out.read_text() + (tmp_path / "clean.quarantined.jsonl").read_text() + r.stdout + r.stderr
    for raw in ("a-a-a-a-", "maria.lopez@example.org", "Maria Lopez", "jo.kim@example.com", "Jo Kim"):
        assert raw not in both, raw


def test_the_budget_is_a_config_key_with_a_positive_default():
    from curate.pii.config import RedactConfig

    assert RedactConfig().time_budget_s > 0
    with pytest.raises(ValueError):
        RedactConfig(time_budget_s=0)
    schema = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "curate.schema.json").read_text())
    assert "time_budget_s" in json.dumps(schema)


def test_a_timed_out_record_is_a_drop_with_a_reason_in_the_stage(nlp_engine):
    """In the stage: the record stays in redact.parquet (quarantined, inspectable by its
    reason), its columns hold nothing of its text, and the counts add up."""
    from curate.config import CurateConfig
    from curate.pii.config import RedactConfig
    from curate.pii.stage import TIMEOUT_REASON, RedactStage
    from curate.records import make_record, records_frame

    settings = {"patterns": [SLOW_PATTERN], "time_budget_s": 1.0}
    cfg = CurateConfig.model_construct(name="t", sources=[], redact=RedactConfig(**settings))
    stage = RedactStage(cfg)
    stage._redactor = redactor(nlp_engine, time_budget_s=1.0)
    batch = records_frame([
        make_record(source="jsonl:t", native_id="1", kind="ticket", messages=[{"role": "user", "content": ORDINARY}]),
        make_record(source="jsonl:t", native_id="maria.lopez@example.org", kind="ticket", title="Maria Lopez",
                    messages=[{"role": "user", "content": HOSTILE}], meta={"requester": "Maria Lopez"}),
    ])
    out = stage.process(batch)
    assert out.height == batch.height
    assert out["drop_reason"].to_list() == [None, TIMEOUT_REASON]
    row = out.row(1, named=True)
    assert row["text"] == "" and row["messages"] == [] and row["title"] is None and row["meta"] == "{}"
    assert "maria" not in pl.DataFrame(out).write_ndjson().lower()
    stats = stage.stats(out.lazy())
    assert stats["timed_out"] == 1 and stats["ids_replaced"] == 1
    live = out.filter(pl.col("drop_reason").is_null()).height
    dropped = out.filter(pl.col("drop_reason").is_not_null()).height
    assert live + dropped == batch.height == 2
