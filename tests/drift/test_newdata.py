"""Reading NEW: records files in curate's format (JSONL, CSV, Parquet), files read through
the run's source mapping, and the errors. Redaction off here (no model); the redacting
path runs in test_cli.py."""

from __future__ import annotations

import json

import polars as pl
import pytest

from curate.drift.newdata import read_new
from curate.errors import InputError

NO_REDACT = {"redact": {"enabled": False}}


def test_a_csv_in_record_format_keeps_its_other_columns_as_metadata(tmp_path):
    p = tmp_path / "new.csv"
    pl.DataFrame({"id": ["a", "b"], "text": ["refund please", "where is my parcel"], "category": ["REFUND", "DELIVERY"]}).write_csv(p)
    df, how = read_new(p, NO_REDACT, tmp_path)
    assert how == "records file" and df.height == 2
    assert [json.loads(m)["category"] for m in df["meta"]] == ["REFUND", "DELIVERY"]


def test_parquet_and_jsonl_records(tmp_path):
    rows = [{"id": "1", "messages": [{"role": "user", "content": "my card was charged twice"},
                                     {"role": "assistant", "content": "Sorry, let me check."}]}]
    j = tmp_path / "n.jsonl"
    j.write_text(json.dumps(rows[0]) + "\n")
    df, _ = read_new(j, NO_REDACT, tmp_path)
    assert "my card was charged twice" in df["text"][0]
    pq = tmp_path / "n.parquet"
    df.write_parquet(pq)
    again, how = read_new(pq, NO_REDACT, tmp_path)
    assert how == "records file" and again["id"].to_list() == ["1"]


def test_a_file_of_the_runs_own_shape_is_read_through_its_source_mapping(tmp_path):
    p = tmp_path / "week.csv"
    pl.DataFrame({"ticket": ["t1", "t2"], "question": ["cancel my order", "change my address"],
                  "answer": ["Done.", "Updated."], "intent": ["cancel_order", "change_address"]}).write_csv(p)
    run_config = {**NO_REDACT, "name": "x", "sources": [
        {"type": "csv", "name": "desk", "path": "old.csv",
         "fields": {"id": "ticket", "user": "question", "assistant": "answer", "meta": ["intent"]}}]}
    df, how = read_new(p, run_config, tmp_path)
    assert how == "the run's source mapping" and df.height == 2
    assert df["id"].to_list() == ["csv:desk:t1", "csv:desk:t2"]
    assert json.loads(df["meta"][0])["intent"] == "cancel_order"
    assert df["messages"][0][1]["content"] == "Done."


def test_a_file_no_source_of_the_run_reads_is_one_error(tmp_path):
    p = tmp_path / "week.csv"
    pl.DataFrame({"question": ["cancel my order"]}).write_csv(p)
    with pytest.raises(InputError, match=r"week\.csv: not in curate's record format .* no csv source"):
        read_new(p, {**NO_REDACT, "sources": [{"type": "jsonl", "path": "x.jsonl"}]}, tmp_path)
    bad = tmp_path / "broken.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(InputError, match="broken.parquet: cannot be read"):
        read_new(bad, NO_REDACT, tmp_path)
