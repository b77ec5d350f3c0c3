"""Planted PII must appear in no output file, log line or error message: a real
`curate build` over a small config, `curate redact` and `curate pii` in subprocesses."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import polars as pl
import pytest
from helpers import run_cli, write_config

PLANTED = {
    "person": "Henrietta Vandermolen",
    "first": "Henrietta",
    "email": "henrietta.vdm@example.org",
    "phone": "+44 20 7946 0958",
    "card": "4111 1111 1111 1111",
    "card_digits": "4111111111111111",
    "iban": "DE89 3704 0044 0532 0130 00",
    "ssn": "078-05-1120",
    "ip": "203.0.113.77",
    "aws": "AKIAIOSFODNN7EXAMPLE",
    "password": "Tr0ub4dor&3x",
    "street": "221B Baker Street",
    "agent": "Oskar Lindqvist",
}


def tickets() -> list[dict]:
    p = PLANTED
    return [
        {
            "id": "T-1", "subject": f"Refund for {p['person']}",
            "question": f"Hi,\nmy card {p['card']} was charged twice. Call me on {p['phone']} or write to {p['email']}.\n\nThanks,\n{p['person']}",
            "answer": f"Hi {p['first']},\nsorry about that. The refund goes to IBAN {p['iban']}.\n\nBest,\n{p['agent']}",
            "requester": p["email"], "priority": "high",
        },
        {
            "id": "T-2", "subject": "Login fails on version 2.4.1",
            "question": f"Error 0x80070005 from {p['ip']}. my AWS access key is {p['aws']} and password: {p['password']}",
            "answer": f"Please rotate the key. We will ship the token to {p['street']}, London NW1 6XE.",
            "requester": "ops@example.com", "priority": "low",
        },
        {
            "id": "T-3", "subject": "Tax form",
            "question": f"For the tax form, my SSN is {p['ssn']}. {p['first']} from accounting asked for it.",
            "answer": "Thanks, we updated the form.", "requester": "", "priority": "low",
        },
    ]


def planted_in(blob: str) -> list[str]:
    return [k for k, v in PLANTED.items() if v in blob]


def file_text(path: Path) -> str:
    """Everything a file holds, decoded: Parquet tables as their values, the rest as bytes."""
    if path.suffix == ".parquet":
        return pl.read_parquet(path).write_ndjson()
    return path.read_bytes().decode("utf-8", errors="replace")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps(r) for r in tickets()) + "\n")
    write_config(tmp_path / "curate.yaml", {
        "name": "leak",
        "sources": [{
            "type": "jsonl", "path": "t.jsonl",
            "fields": {"id": "id", "title": "subject", "user": "question", "assistant": "answer", "meta": ["requester", "priority"]},
        }],
        "redact": {"meta_fields": ["requester"]},
        "embed": {"enabled": False},
        "select": {"enabled": False},
        "engine": {"workers": 1},
    })
    return tmp_path


def test_build_leaves_no_planted_value_in_the_run_folder_or_logs(project, caplog):
    from curate.config import load_config
    from curate.pipeline import build

    with caplog.at_level(logging.DEBUG):
        result = build(load_config(project / "curate.yaml"), runs_dir=project / "runs")
    run = result.run.root
    files = [f for f in run.rglob("*") if f.is_file()]
    assert (run / "redact.parquet").exists() and (run / "manifest.json").exists()
    # the raw table holds them (that is its job): the check below can see them
    assert set(planted_in(file_text(run / "ingest.parquet"))) >= {"person", "email", "card", "aws"}
    for f in files:
        if f.name == "ingest.parquet":
            continue
        assert planted_in(file_text(f)) == [], f"{f.relative_to(run)} holds {planted_in(file_text(f))}"
    assert planted_in(caplog.text) == []
    red = pl.read_parquet(run / "redact.parquet")
    assert red["drop_reason"].null_count() == 3, red.select("id", "pii_residual").to_dicts()
    stats = json.loads((run / "manifest.json").read_text())["stages"]["redact"]["stats"]
    assert stats["entities"]["CREDIT_CARD"] == 1 and stats["entities"]["SECRET"] == 2 and stats["residual"]["records"] == 0
    row = red.filter(pl.col("id").str.ends_with("T-2")).row(0, named=True)
    assert "version 2.4.1" in row["title"] and "0x80070005" in row["text"]


def test_cli_redact_and_residual_failure_never_print_values(project, monkeypatch):
    out = project / "out.jsonl"
    # t.jsonl has no 'text' or 'messages': not records, a one-line error
    r = run_cli("redact", str(project / "t.jsonl"), "-o", str(out), "-q")
    assert r.returncode == 2 and "'text' or a 'messages'" in r.stderr and "Traceback" not in r.stderr
    recs = project / "recs.jsonl"
    recs.write_text("\n".join(json.dumps({
        "id": t["id"], "title": t["subject"], "meta": {"requester": t["requester"]},
        "messages": [{"role": "user", "content": t["question"]}, {"role": "assistant", "content": t["answer"]}],
    }) for t in tickets()) + "\n")
    r = run_cli("-vv", "redact", str(recs), "-o", str(out), "--meta-fields", "requester", "-q")
    assert r.returncode == 0, r.stderr
    assert planted_in(out.read_text()) == [] and planted_in(r.stdout + r.stderr) == []
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["id"] for x in rows] == ["T-1", "T-2", "T-3"] and rows[0]["pii"]["PERSON"] == 4
    assert rows[0]["messages"][1]["content"].startswith("Hi <PERSON_1>,")

    # only PERSON redacted and on_residual fail: the error names ids and types, no values
    cfg = project / "fail.yaml"
    write_config(cfg, {"name": "x", "sources": [{"type": "jsonl", "path": "t.jsonl", "fields": {"id": "id", "user": "question"}}],
                       "redact": {"entities": ["PERSON"], "on_residual": "fail"}})
    r = run_cli("-vv", "redact", str(recs), "-o", str(project / "f.jsonl"), "--config", str(cfg), "-q")
    assert r.returncode == 1
    assert "T-1" in r.stderr and "CREDIT_CARD" in r.stderr and "EMAIL_ADDRESS" in r.stderr
    assert planted_in(r.stdout + r.stderr) == [], planted_in(r.stdout + r.stderr)
    assert not (project / "f.jsonl").exists()


def test_cli_encrypt_and_reveal(project, tmp_path):
    from curate.pii.secrets import new_key

    key = new_key()
    recs = tmp_path / "r.jsonl"
    recs.write_text(json.dumps({"id": "a", "text": f"Call {PLANTED['person']} on {PLANTED['phone']}."}) + "\n")
    out = tmp_path / "enc.jsonl"
    r = run_cli("redact", str(recs), "-o", str(out), "--operator", "encrypt", "-q", env={"CURATE_PII_KEY": key})
    assert r.returncode == 0, r.stderr
    assert planted_in(out.read_text()) == [] and "<ENC:PERSON:" in out.read_text()
    r = run_cli("pii", "reveal", str(out), "--id", "a", env={"CURATE_PII_KEY": key})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["text"] == f"Call {PLANTED['person']} on {PLANTED['phone']}."
    # no key, wrong key: one line, exit 2, no value
    r = run_cli("pii", "reveal", str(out), env={"CURATE_PII_KEY": ""})
    assert r.returncode == 2 and "CURATE_PII_KEY" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("pii", "reveal", str(out), env={"CURATE_PII_KEY": new_key()})
    assert r.returncode == 2 and "does not decrypt" in r.stderr and planted_in(r.stdout + r.stderr) == []
    r = run_cli("redact", str(recs), "-o", str(out), "--operator", "encrypt", env={"CURATE_PII_KEY": ""})
    assert r.returncode == 2 and "CURATE_PII_KEY" in r.stderr


def test_cli_check_and_keygen(tmp_path):
    clean = tmp_path / "clean.jsonl"
    clean.write_text(json.dumps({"id": "a", "text": "Hi <PERSON_1>, the export works in 2.4.1."}) + "\n")
    dirty = tmp_path / "dirty.jsonl"
    dirty.write_text(json.dumps({"id": "b", "text": f"mail {PLANTED['email']}"}) + "\n")
    r = run_cli("pii", "check", str(clean))
    assert r.returncode == 0 and "no residual PII" in r.stdout
    r = run_cli("pii", "check", str(dirty))
    assert r.returncode == 1 and "b:" in r.stdout and "EMAIL_ADDRESS" in r.stdout and PLANTED["email"] not in r.stdout
    r = run_cli("pii", "keygen")
    assert r.returncode == 0 and len(r.stdout.strip()) == 43
