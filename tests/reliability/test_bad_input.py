"""Bad input never crashes a build: empty and binary files, invalid UTF-8, BOMs, mixed
encodings, lone surrogates, deeply nested JSON, CSV with embedded newlines and quotes,
HTML with scripts, malformed email, PDFs that fail to parse and a 10 MB record each give
records or rejects with reasons, and the run finishes. Every input is accounted for, and
no reject reason quotes the text of the input."""

from __future__ import annotations

import json

import polars as pl
from bad_inputs import (
    SCRIPT_CODE,
    SECRET_IN_BROKEN,
    STYLE_CODE,
    bad_input_project,
    big_record_project,
)
from reliability_support import file_text, run_curate, squeeze

STAGES = ["ingest", "redact", "dedupe", "filter", "embed", "select", "export"]


def test_bad_inputs_give_rejects_with_reasons_and_a_finished_run(tmp_path):
    _, expected = bad_input_project(tmp_path)
    r = run_curate("-vv", "build", "curate.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "Traceback" not in r.stdout + r.stderr
    run = tmp_path / "runs" / "bad"
    m = json.loads((run / "manifest.json").read_text())
    for name, e in m["stages"].items():
        if e["status"] != "disabled":
            assert e["status"] == "done", name
            assert e["records_in"] == e["records_out"] + sum(e["dropped"].values()) + e["rejected"], name

    rejects = {r["locator"]: r for r in map(json.loads, (run / "rejects.jsonl").read_text().splitlines())}
    records = pl.read_parquet(run / "ingest.parquet")
    locators = records["locator"].to_list()
    for locator, (kind, what) in expected.items():
        made = sum(1 for loc in locators if loc == locator or loc.startswith(locator + "#"))
        if kind == "record":
            assert locator not in rejects, (locator, rejects.get(locator))
            assert made == what if what is not None else made >= 1, (locator, made)
        elif kind == "any":  # a record or a reject with a reason, never both, never neither
            assert (made >= 1) != (locator in rejects), locator
            if locator in rejects:
                assert rejects[locator]["reason"], locator
        else:
            assert made == 0, locator
            rej = rejects.get(locator)
            assert rej is not None, f"{locator}: expected {kind} ({what}), got nothing"
            assert rej["status"] == kind and rej["reason"].lower().startswith(what.lower()), (locator, rej)
    # every input yields exactly one event; nothing is left over unexplained
    ingest = m["stages"]["ingest"]
    assert ingest["records_in"] == records.height + len(rejects)
    assert set(rejects) <= set(expected), set(rejects) - set(expected)

    # markup is read as text: script and style code is not in any record
    texts = records.select("title", "text", "meta").write_ndjson()
    assert SCRIPT_CODE not in texts and STYLE_CODE not in texts
    html = records.filter(pl.col("locator").str.starts_with("script.html"))["text"].to_list()
    assert any("Hold the reset button" in t for t in html)
    # the CSV fields that hold newlines and quotes arrive whole
    quoted = records.filter(pl.col("locator") == "csv/quotes.csv:2").row(0, named=True)
    assert quoted["messages"][0]["content"] == 'Line one\nLine "two", with a comma'
    assert quoted["messages"][1]["content"] == 'Reply, quoted "here"\nand a second line'
    # a reject reason or a log line never quotes the input
    for f in (run / "rejects.jsonl", run / "manifest.json", run / "report.html"):
        assert SECRET_IN_BROKEN not in file_text(f), f.name
    assert SECRET_IN_BROKEN not in squeeze(r.stdout + r.stderr)


def test_a_1mb_record_is_redacted_or_dropped_with_a_reason(tmp_path):
    """A pasted log of 1 MB goes through the whole build. Redaction must either redact it
    or drop it with a reason: the build may not fail, and the planted address may not
    survive in the redacted table."""
    email = "lars.oberheim@example.org"
    big_record_project(tmp_path, email)
    r = run_curate("build", "curate.yaml", "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    run = tmp_path / "runs" / "big"
    red = pl.read_parquet(run / "redact.parquet")
    assert red.height == 3
    big = red.filter(pl.col("id") == "jsonl:t:big").row(0, named=True)
    assert big["drop_reason"] is not None or len(big["text"]) > 1_000_000
    assert email not in big["text"] and email not in (big["title"] or "")
    m = json.loads((run / "manifest.json").read_text())
    assert all(m["stages"][s]["status"] in ("done", "disabled") for s in STAGES)
