"""`curate select IN -o OUT` as a user runs it (a real subprocess)."""

from __future__ import annotations

import json

import polars as pl
from helpers import run_cli
from select_testdata import FIXTURE

from curate.embed.vectors import to_series


def test_select_embeds_and_writes_the_ranked_selection(tmp_path):
    out = tmp_path / "review.jsonl"
    r = run_cli("select", str(FIXTURE), "-o", str(out), "--budget", "27", "--seed", "1")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["rank"] for row in rows] == list(range(1, 28))
    assert all(row["selected"] and row["why"] and "embedding" not in row for row in rows)
    assert isinstance(rows[0]["meta"], dict) and rows[0]["meta"]["intent"]
    assert "selected 27 of 270 candidates (cluster_balanced" in r.stdout
    assert "a random sample of the same size" in r.stdout


def test_all_rows_with_precomputed_embeddings(tmp_path, bitext_vectors):
    x, _ = bitext_vectors
    rows = pl.read_ndjson(FIXTURE, infer_schema_length=None).with_columns(
        pl.col("meta").map_elements(lambda m: json.dumps(m), return_dtype=pl.Utf8)
    )
    inp = tmp_path / "in.parquet"
    rows.with_columns(to_series("embedding", x)).write_parquet(inp)
    out = tmp_path / "all.parquet"
    r = run_cli("select", str(inp), "-o", str(out), "-n", "10", "-s", "k_center", "--all", "--keep-embeddings")
    assert r.returncode == 0, r.stderr
    assert "embedded" not in r.stderr  # vectors came with the input
    df = pl.read_parquet(out)
    assert df.height == 270 and df["selected"].sum() == 10 and "embedding" in df.columns
    assert set(df["drop_reason"].drop_nulls()) == {"not_selected"}


def test_user_errors_are_one_line_with_exit_code_2(tmp_path):
    r = run_cli("select", str(FIXTURE), "-o", str(tmp_path / "o.jsonl"), "--strategy", "stratified")
    assert r.returncode == 2 and "stratify_by" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("select", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "o.jsonl"))
    assert r.returncode == 2 and "file not found" in r.stderr
    r = run_cli("select", str(FIXTURE), "-o", str(tmp_path / "o.jsonl"), "--strategy", "best")
    assert r.returncode == 2 and "strategy" in r.stderr


def test_text_only_records_are_documents_the_conversation_check_skips(tmp_path):
    """`curate select issues.jsonl -o out.jsonl --budget 60` on records with only id and
    text: documents, not unanswered conversations."""
    inp = tmp_path / "issues.jsonl"
    inp.write_text("".join(json.dumps({"id": f"i{i}", "text": f"Crash {i} when opening settings on version 2.{i}"}) + "\n"
                           for i in range(80)) + json.dumps({"id": "tiny", "text": "+1"}) + "\n")
    out = tmp_path / "out.jsonl"
    r = run_cli("select", str(inp), "-o", str(out), "--budget", "60", "--strategy", "random", "--all")
    assert r.returncode == 0, r.stderr
    assert "selected 60 of 80 candidates (random); filtered out: too_short: 1" in r.stdout
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 81 and {row["kind"] for row in rows} == {"doc"}
    assert [row["drop_reason"] for row in rows if row["id"] == "tiny"] == ["too_short"]


def test_selecting_nothing_is_an_error_that_says_why(tmp_path):
    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps({"id": str(i), "messages": [{"role": "user", "content": f"My parcel {i} is late, help?"}]}) + "\n"
                           for i in range(4)))
    r = run_cli("select", str(inp), "-o", str(tmp_path / "o.jsonl"), "--budget", "3", "--strategy", "random")
    assert r.returncode == 1
    assert "error: selected nothing: 4 records in, and the filter dropped every one (no_agent_reply: 4)" in r.stderr
