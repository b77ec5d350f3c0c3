"""File ingestion: JSONL, CSV and Parquet with a field mapping; bad rows become rejects
with file:line and a reason, and the build goes on."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from curate.config import load_config
from curate.pipeline import build
from helpers import NO_MODELS, run_cli, write_config


def make_build(tmp_path: Path, source: dict, **extra) -> tuple[Path, dict]:
    cfg = write_config(tmp_path / "curate.yaml", {"name": "t", "sources": [source], **NO_MODELS, **extra})
    result = build(load_config(cfg), runs_dir=tmp_path / "runs")
    return result.run.root, result.run.manifest()


def rejects(run: Path) -> list[dict]:
    p = run / "rejects.jsonl"
    return [json.loads(l) for l in p.read_text().splitlines()] if p.exists() else []


def test_jsonl_malformed_line_is_rejected_with_file_and_line(tmp_path):
    lines = [
        json.dumps({"id": "a", "q": "How do I reset my password?", "a": "Use the reset link.", "cat": "account"}),
        '{"id": "b", "q": "broken',  # malformed JSON
        json.dumps({"id": "c", "q": "", "a": ""}),  # no text
        "",  # blank lines are not inputs
        json.dumps([1, 2]),  # not an object
        json.dumps({"id": "d", "q": "Where is my order?", "a": "It ships today.", "cat": "orders"}),
    ]
    (tmp_path / "t.jsonl").write_text("\n".join(lines) + "\n")
    run, m = make_build(tmp_path, {"type": "jsonl", "path": "t.jsonl",
                                   "fields": {"id": "id", "user": "q", "assistant": "a", "meta": ["cat"]}})
    e = m["stages"]["ingest"]
    assert (e["records_in"], e["records_out"], e["rejected"]) == (5, 2, 3)
    rj = {r["locator"]: r["reason"] for r in rejects(run)}
    assert rj["t.jsonl:2"].startswith("invalid JSON")
    assert rj["t.jsonl:3"] == "no text: every message is empty"
    assert rj["t.jsonl:5"] == "expected a JSON object, got list"
    df = pl.read_parquet(run / "ingest.parquet")
    assert df["id"].to_list() == ["jsonl:t:a", "jsonl:t:d"]
    row = df.row(0, named=True)
    assert row["messages"] == [{"role": "user", "content": "How do I reset my password?"},
                               {"role": "assistant", "content": "Use the reset link."}]
    assert json.loads(row["meta"]) == {"cat": "account"}
    assert row["locator"] == "t.jsonl:1"
    # the reject reasons never quote record text
    assert "broken" not in (run / "rejects.jsonl").read_text()
    # the build went on to the end
    assert (run / "export" / "train.jsonl").exists()
    assert m["stages"]["export"]["records_in"] == 2


def test_jsonl_invalid_utf8_bom_and_duplicate_ids(tmp_path):
    good = json.dumps({"id": "1", "text": "Printer offline after update"}).encode()
    dup = json.dumps({"id": "1", "text": "Another text"}).encode()
    raw = b"\xef\xbb\xbf" + good + b"\n" + b'{"id": "2", "text": "caf\xe9"}\n' + dup + b"\n"
    (tmp_path / "t.jsonl").write_bytes(raw)
    run, m = make_build(tmp_path, {"type": "jsonl", "path": "t.jsonl", "kind": "doc",
                                   "fields": {"id": "id", "text": "text"}})
    rj = rejects(run)
    assert [r["locator"] for r in rj] == ["t.jsonl:2", "t.jsonl:3"]
    assert rj[0]["reason"].startswith("invalid utf-8")
    assert rj[1]["reason"] == "duplicate id (first seen at t.jsonl:1)"
    df = pl.read_parquet(run / "ingest.parquet")
    assert df["kind"].to_list() == ["doc"] and df["text"].to_list() == ["Printer offline after update"]


def test_csv_embedded_newlines_quotes_and_bad_rows(tmp_path):
    csv_text = (
        'ticket,subject,body,reply\n'
        '1,"Login, again","Line one\nLine ""two""","Try this:\n1. clear cookies"\n'
        '2,short row\n'
        '3,Billing,"I was charged twice",Refunded\n'
    )
    (tmp_path / "t.csv").write_text(csv_text)
    run, m = make_build(tmp_path, {"type": "csv", "path": "t.csv",
                                   "fields": {"id": "ticket", "title": "subject", "user": "body", "assistant": "reply"}})
    df = pl.read_parquet(run / "ingest.parquet")
    assert df["id"].to_list() == ["csv:t:1", "csv:t:3"]
    first = df.row(0, named=True)
    assert first["title"] == "Login, again"
    assert first["messages"][0]["content"] == 'Line one\nLine "two"'
    assert first["locator"] == "t.csv:2"
    assert df.row(1, named=True)["locator"] == "t.csv:6"  # line numbers count the embedded newlines
    rj = rejects(run)
    assert rj == [{"stage": "ingest", "status": "rejected", "source": "csv:t", "locator": "t.csv:5",
                   "reason": "expected 4 fields, found 2"}]
    e = m["stages"]["ingest"]
    assert e["records_in"] == e["records_out"] + e["rejected"] == 3


def test_parquet_messages_column_and_role_mapping(tmp_path):
    pl.DataFrame({
        "conv": ["c1", "c2", "c3"],
        "turns": [
            [{"from": "human", "value": "My app crashes on start"}, {"from": "gpt", "value": "Which version?"},
             {"from": "human", "value": "2.3.1"}, {"from": "gpt", "value": "Update to 2.3.2, it fixes that crash."}],
            [{"from": "customer", "value": "Hi"}, {"from": "tier2", "value": "Hello"}],
            [{"from": "human", "value": "Only a question"}],
        ],
    }).write_parquet(tmp_path / "c.parquet")
    run, m = make_build(tmp_path, {"type": "parquet", "path": "c.parquet", "kind": "chat",
                                   "fields": {"id": "conv", "messages": "turns"}})
    df = pl.read_parquet(run / "ingest.parquet")
    assert df["id"].to_list() == ["parquet:c:c1", "parquet:c:c3"]
    assert [t["role"] for t in df.row(0, named=True)["messages"]] == ["user", "assistant", "user", "assistant"]
    assert rejects(run)[0]["reason"] == "turn 1: unknown role 'tier2' (map it under `roles:`)"
    # the role can be mapped in the config
    run, m = make_build(tmp_path, {"type": "parquet", "path": "c.parquet", "kind": "chat",
                                   "roles": {"tier2": "assistant"},
                                   "fields": {"id": "conv", "messages": "turns"}}, filter={"min_chars": 0})
    assert m["stages"]["ingest"]["records_out"] == 3
    # a record without an assistant turn is dropped with a reason (by the filter stage,
    # by the rule the export applies too), not lost
    assert m["stages"]["filter"]["dropped"] == {"no_agent_reply": 1}
    assert m["stages"]["export"]["dropped"] == {}


def test_folder_of_files_gets_file_prefixed_ids(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    (d / "a.jsonl").write_text(json.dumps({"t": "first doc"}) + "\n")
    (d / "b.jsonl").write_text(json.dumps({"t": "second doc"}) + "\n")
    run, m = make_build(tmp_path, {"type": "jsonl", "name": "docs", "path": "data", "fields": {"text": "t"}})
    df = pl.read_parquet(run / "ingest.parquet")
    assert df["id"].to_list() == ["jsonl:docs:data/a.jsonl:1", "jsonl:docs:data/b.jsonl:1"]


def test_ingest_command_writes_records_and_rejects(tmp_path):
    (tmp_path / "t.jsonl").write_text(json.dumps({"q": "hi there", "a": "hello"}) + "\n{bad\n")
    write_config(tmp_path / "curate.yaml", {"name": "t", "sources": [
        {"type": "jsonl", "path": "t.jsonl", "fields": {"user": "q", "assistant": "a"}}]})
    r = run_cli("ingest", "curate.yaml", "-o", "out.jsonl", "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(l) for l in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(rows) == 1 and rows[0]["id"] == "jsonl:t:1" and rows[0]["meta"] == {}
    rj = [json.loads(l) for l in (tmp_path / "out.rejects.jsonl").read_text().splitlines()]
    assert rj[0]["locator"] == "t.jsonl:2"
    assert not (tmp_path / "runs").exists()  # ingest alone leaves no run folder


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02\xff\xfe binary"])
def test_empty_and_binary_files_finish(tmp_path, content):
    (tmp_path / "t.jsonl").write_bytes(content)
    run, m = make_build(tmp_path, {"type": "jsonl", "path": "t.jsonl", "fields": {"text": "t"}})
    e = m["stages"]["ingest"]
    assert e["records_out"] == 0
    assert e["records_in"] == e["rejected"]
    assert m["stages"]["export"]["status"] == "done"


def test_reasoning_column_maps_to_the_record(tmp_path):
    """`fields: {reasoning: COLUMN}` puts a row's chain of thought on its Record, apart
    from the turns (text and hash are the conversation's); an empty cell is no reasoning."""
    rows = [
        {"id": "a", "q": "Is a 40 kg parcel allowed?", "a": "No: the limit is 30 kg.", "why": "1. Limit: 30 kg.\n2. 40 > 30."},
        {"id": "b", "q": "Can I pay by card?", "a": "Yes.", "why": "  "},
    ]
    (tmp_path / "t.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    run, _ = make_build(tmp_path, {"type": "jsonl", "path": "t.jsonl",
                                   "fields": {"id": "id", "user": "q", "assistant": "a", "reasoning": "why", "meta": "*"}})
    df = pl.read_parquet(run / "ingest.parquet").sort("id")
    assert df["reasoning"].to_list() == ["1. Limit: 30 kg.\n2. 40 > 30.", None]
    assert "30 kg" in df["text"][0] and "40 > 30" not in df["text"][0]
    assert json.loads(df["meta"][0]) == {}  # the mapped column is not metadata too
