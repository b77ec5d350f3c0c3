"""No personal data past redaction: e-mail addresses and phone numbers planted in the
metadata (values, list items, keys of nested objects) and in the ids of a JSONL and a CSV
source appear in no file of the run folder but ``ingest.parquet`` (Parquet decoded),
in no export, in no Label Studio task, in no reject and in nothing `curate inspect`
prints, while `curate inspect --id` still finds a record by the id its source gave it.
The texts themselves hold none of the planted values: what is found can only have come
from the metadata or the ids."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import polars as pl
import pytest

from helpers import run_cli, write_config

PLANTED = {
    "id_email": "jane.doe@example.com",
    "id_phone": "+44 20 7946 0321",
    "meta_email": "maria.lopez@example.org",
    "meta_phone": "(415) 555-0132",
    "tag_email": "ops.escalations@example.net",
    "key_email": "dev.voter@example.co.uk",
    "csv_email": "sam.patel@example.com",
    "csv_phone": "+49 30 901820",
}
SALT = "security-test-salt-0123456789"

TEXTS = [
    ("Export fails", "The CSV export has been empty since the 2.4 update.", "Please clear the cache and export again."),
    ("Login loop", "After the password reset the login page reloads forever.", "We fixed the session cookie; please retry."),
    ("Refund", "I returned the lamp two weeks ago and have no refund yet.", "The refund was approved today."),
    ("Invoice", "The March invoice shows the wrong VAT rate.", "We reissued the invoice with the right rate."),
]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def found_in(text: str) -> list[str]:
    flat = squeeze(text)
    return sorted(k for k, v in PLANTED.items() if v in text or squeeze(v) in flat)


def file_text(path: Path) -> str:
    if path.suffix == ".parquet":
        return pl.read_parquet(path).write_ndjson()
    return path.read_bytes().decode("utf-8", errors="replace")


def make_project(folder: Path) -> Path:
    p = PLANTED
    rows = []
    for i in range(24):
        title, question, answer = TEXTS[i % len(TEXTS)]
        rid = f"T-{i:03d}"
        if i % 6 == 1:
            rid = f"{p['id_email']}-{i}"
        elif i % 6 == 4:
            rid = f"{p['id_phone']} #{i}"
        rows.append({
            "id": rid,
            "subject": title,
            "question": f"{question} (ticket {i})",
            "answer": answer,
            "category": ["billing", "account", "bug"][i % 3],
            "priority": "high" if i % 2 else "low",
            "requester": f"Maria Lopez <{p['meta_email']}>" if i % 3 == 0 else "Jo Kim",
            "phone": p["meta_phone"] if i % 4 == 0 else None,
            "owner": p["tag_email"] if i % 5 == 0 else "tier1",
            "tags": ["vip", p["tag_email"]] if i % 2 == 0 else ["standard"],
            "votes": {p["key_email"]: 2, "team": 1} if i % 7 == 0 else {},
            "created_at": f"2024-03-{1 + i % 28:02d}T10:00:00Z",
        })
    # an exact duplicate (dedupe's duplicate panel lists its ids) and a duplicate id
    # (ingest rejects it, naming where the first one was, never the id)
    rows.append({**rows[1], "id": f"{p['id_email']}-dup"})
    rows.append({**rows[7], "question": "Another text entirely."})
    with open(folder / "tickets.jsonl", "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    with open(folder / "calls.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["caller", "question", "answer", "email", "callback"])
        for i in range(8):
            title, question, answer = TEXTS[i % len(TEXTS)]
            caller = f"{p['csv_email']}/{i}" if i % 2 else f"C{i}"
            w.writerow([caller, f"{question} (call {i})", answer, p["csv_email"], p["csv_phone"]])
    meta = ["category", "priority", "requester", "phone", "owner", "tags", "votes", "created_at"]
    return write_config(folder / "curate.yaml", {
        "name": "planted",
        "sources": [
            {"type": "jsonl", "name": "tickets", "path": "tickets.jsonl",
             "fields": {"id": "id", "title": "subject", "user": "question", "assistant": "answer", "meta": meta}},
            {"type": "csv", "name": "calls", "path": "calls.csv",
             "fields": {"id": "caller", "user": "question", "assistant": "answer", "meta": ["email", "callback"]}},
        ],
        "dedupe": {"enabled": True, "keep": "newest"},
        "embed": {"enabled": False},
        "select": {"enabled": True, "strategy": "stratified", "stratify_by": "owner", "budget": 20,
                   "quality": {"min_chars": 10}},
        "export": {"format": "openai", "metadata": ["id", "meta.requester", "meta.owner", "meta.tags", "locator"],
                   "split": {"eval": 0.25}},
    })


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    project = tmp_path_factory.mktemp("planted")
    make_project(project)
    runs = project / "runs"
    env = {"CURATE_PII_SALT": SALT, "COLUMNS": "10000", "NO_COLOR": "1"}
    r = run_cli("-vv", "build", "curate.yaml", "--runs-dir", str(runs), cwd=project, env=env, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    return project, runs / "planted", r, env


def test_the_raw_table_holds_every_planted_value(build):
    _, run, _, _ = build
    assert found_in(file_text(run / "ingest.parquet")) == sorted(PLANTED)


def test_no_planted_value_in_any_other_file_of_the_run_or_the_log(build):
    _, run, r, _ = build
    files = sorted(f for f in run.rglob("*") if f.is_file() and f.name != "ingest.parquet")
    names = {f.relative_to(run).as_posix() for f in files}
    assert {"manifest.json", "report.html", "rejects.jsonl", "redact.parquet", "dedupe.parquet", "select.parquet",
            "export/train.jsonl", "export/eval.jsonl"} <= names, names
    leaks = {f.relative_to(run).as_posix(): found_in(file_text(f)) for f in files}
    assert {k: v for k, v in leaks.items() if v} == {}
    assert found_in(r.stdout + r.stderr) == []
    assert "DEBUG" in r.stderr  # -vv: the debug log was searched too


def test_the_ids_and_metadata_went_through_redaction(build):
    _, run, _, _ = build
    df = pl.read_parquet(run / "redact.parquet")
    ids = df["id"].to_list()
    replaced = [i for i in ids if ":id-" in i]
    # every id that held an e-mail address or a phone number, and only those
    assert len(replaced) == 4 + 1 + 4 + 4, ids
    assert "jsonl:tickets:T-000" in ids and "csv:calls:C0" in ids
    metas = [json.loads(m) for m in df["meta"].to_list()]
    first = metas[0]
    # numbered like the text: the same value is the same placeholder in the whole record
    assert first["owner"] == "<EMAIL_ADDRESS_1>" and first["tags"] == ["vip", "<EMAIL_ADDRESS_1>"]
    assert first["requester"] == "<PERSON_1> <<EMAIL_ADDRESS_2>>" and first["phone"] == "<PHONE_NUMBER_1>"
    assert list(first["votes"]) == ["<EMAIL_ADDRESS_3>", "team"]
    assert len(set(replaced)) == len(replaced)  # no two ids share a hash
    # left as they are: the fields known to hold nothing personal
    assert first["priority"] == "low" and first["created_at"] == "2024-03-01T10:00:00Z"
    assert first["category"] == "billing"
    manifest = json.loads((run / "manifest.json").read_text())
    stats = manifest["stages"]["redact"]["stats"]
    assert stats["ids_replaced"] == len(replaced) and stats["id_hash"] == "keyed"


def test_rejects_name_the_place_not_the_id(build):
    _, run, _, _ = build
    rejects = [json.loads(line) for line in (run / "rejects.jsonl").read_text().splitlines()]
    dup = [r for r in rejects if r["reason"].startswith("duplicate id")]
    assert dup == [{"stage": "ingest", "status": "rejected", "source": "jsonl:tickets", "locator": "tickets.jsonl:26",
                    "reason": "duplicate id (first seen at tickets.jsonl:8)"}]


def test_label_studio_tasks_hold_redacted_values_only(build):
    from curate.labelstudio.push import read_selected
    from curate.labelstudio.tasks import NotReviewable, task_data
    from curate.run import RunFolder

    _, run, _, _ = build
    rows = read_selected(RunFolder(run)).to_dicts()
    assert rows
    tasks = []
    for row in rows:
        for kind in ("response_review", "classification"):
            try:
                tasks.append(task_data(row, kind))
            except (NotReviewable, ValueError):
                pass
    blob = json.dumps(tasks)
    assert tasks and ":id-" in blob
    assert found_in(blob) == []


def test_inspect_finds_a_record_by_its_original_id_and_shows_only_redacted_values(build):
    project, run, _, env = build
    original = f"jsonl:tickets:{PLANTED['id_email']}-1"
    r = run_cli("inspect", str(run), "--id", original, "--stage", "redact", cwd=project, env=env)
    assert r.returncode == 0, r.stderr
    assert "jsonl:tickets:id-" in r.stdout and "Login loop" in r.stdout
    assert found_in(r.stdout + r.stderr) == []
    # without the salt the hash differs: the record is not found, and the message does
    # not repeat the id
    r = run_cli("inspect", str(run), "--id", original, "--stage", "redact", cwd=project,
                env={**env, "CURATE_PII_SALT": ""})
    assert r.returncode != 0 and "no record with that id" in r.stderr and found_in(r.stderr) == []
    for args in ([], ["--stage", "dedupe", "-n", "40"], ["--stage", "select", "-n", "40"], ["--rejects", "-n", "40"]):
        r = run_cli("inspect", str(run), *args, cwd=project, env=env)
        assert r.returncode == 0, (args, r.stderr)
        assert found_in(r.stdout + r.stderr) == [], args
