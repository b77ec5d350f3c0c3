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
