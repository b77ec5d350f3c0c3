"""`curate drift RUN NEW` as a user runs it (a real subprocess, the real models)."""

from __future__ import annotations

import json

import polars as pl
from helpers import run_cli

from curate.labelstudio.push import check_redacted, read_selected
from curate.run import RunFolder

EMAIL = "maria.lopez@example.com"
PHONE = "+44 20 7946 0958"


def test_same_distribution_exits_0_with_figures(drift_run):
    r = run_cli("drift", str(drift_run["run"]), str(drift_run["same"]), "--json", "--no-save")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["drift"] is False and out["records"] == 120 and out["read_as"] == "the run's source mapping"
    assert out["reference"]["training_from"] == "export" and out["reference"]["candidates"] == 150
    assert out["novelty"]["share"] <= out["novelty"]["threshold"]
    assert out["strata"]["field"] == "category" and out["strata"]["values"]


def test_new_topic_exits_3_names_the_topic_and_is_repeatable(drift_run):
    args = ("drift", str(drift_run["run"]), str(drift_run["topic"]), "--json", "--no-save")
    r = run_cli(*args)
    assert r.returncode == 3, r.stderr
    out = json.loads(r.stdout)
    assert out["drift"] and out["read_as"] == "records file"
    assert out["novelty"]["share"] > 0.3
    words = {w for t in out["topics"] for w in t["terms"]}
    assert words & {"database", "replication", "table", "server", "backup", "vacuum"}, out["topics"]
    assert "DATABASE" in out["strata"]["unseen"]
    again = run_cli(*args)
    assert again.returncode == 3, again.stderr
    second = json.loads(again.stdout)
    # the second time every vector comes from the run's cache, and the numbers are the same
    assert second.pop("embedded") == 0 and second.pop("cache_hits") == out.pop("embedded") == 120
    out.pop("cache_hits")
    assert second == out


def test_thresholds_from_the_command_line(drift_run):
    r = run_cli("drift", str(drift_run["run"]), str(drift_run["topic"]), "--novelty-threshold", "1",
                "--jsd-threshold", "1", "--no-save")
    assert r.returncode == 0, r.stderr
    assert "no drift" in r.stdout and "new topics among the novel records" in r.stdout
    r = run_cli("drift", str(drift_run["run"]), str(drift_run["topic"]), "--quantile", "2")
    assert r.returncode == 2 and "drift.quantile" in r.stderr and "Traceback" not in r.stderr


def test_no_raw_personal_data_in_outputs_and_the_report_panel(drift_run, tmp_path):
    new = tmp_path / "pii.jsonl"
    rows = [{"id": f"p{i}", "text": f"Hi, I am Maria Lopez, write to {EMAIL} or call {PHONE} about my refund {i}"}
            for i in range(5)]
    new.write_text("".join(json.dumps(r) + "\n" for r in rows))
    r = run_cli("drift", str(drift_run["run"]), str(new), "--json", "--topics", "1")
    assert r.returncode in (0, 3), r.stderr
    saved = (drift_run["run"] / "drift.json").read_text()
    for text in (r.stdout, r.stderr, saved):
        assert EMAIL not in text and "7946" not in text and "Lopez" not in text
    assert json.loads(r.stdout)["decided"] is False  # 5 records: figures, no decision
    rep = run_cli("report", str(drift_run["run"]))
    assert rep.returncode == 0, rep.stderr
    html = (drift_run["run"] / "report.html").read_text()
    assert 'id="drift"' in html and EMAIL not in html


def test_select_writes_a_batch_label_push_reads(drift_run, tmp_path):
    batch = tmp_path / "drift-batch"
    r = run_cli("drift", str(drift_run["run"]), str(drift_run["topic"]), "--select", "12", "--batch", str(batch), "--no-save")
    assert r.returncode == 3, r.stderr
    assert f"curate label push {batch}" in r.stdout.replace("\n", "")
    folder = RunFolder(batch)
    check_redacted(folder)  # the run redacts, so the batch counts as redacted
    sel = read_selected(folder)
    assert sel.height == 12 and sel["rank"].to_list() == list(range(1, 13))
    assert sum(i.startswith("db-") or "id-" in i for i in sel["id"].to_list()) >= 6  # the novel ones first
    assert folder.manifest()["config"]["name"] == "drift-batch"
    assert pl.read_ndjson(batch / "batch.jsonl").height == 12
    # a folder that is no earlier batch is refused
    other = tmp_path / "busy"
    other.mkdir()
    (other / "x.txt").write_text("mine")
    r = run_cli("drift", str(drift_run["run"]), str(drift_run["topic"]), "--select", "3", "--batch", str(other), "--no-save")
    assert r.returncode == 2 and "busy" in r.stderr and (other / "x.txt").read_text() == "mine"


def test_bad_input_is_one_line_naming_the_file(drift_run, tmp_path):
    run = str(drift_run["run"])
    r = run_cli("drift", run, str(tmp_path / "missing.jsonl"))
    assert r.returncode == 2 and "missing.jsonl: file not found" in r.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "text": "fine"}\n{"id": "2", "text": \n')
    r = run_cli("drift", run, str(bad))
    assert r.returncode == 2 and "bad.jsonl:2: invalid JSON" in r.stderr and "Traceback" not in r.stderr
    odd = tmp_path / "notes.txt"
    odd.write_text("hello")
    r = run_cli("drift", run, str(odd))
    assert r.returncode == 2 and "notes.txt" in r.stderr
    r = run_cli("drift", str(tmp_path), str(drift_run["same"]))
    assert r.returncode == 2 and "not a run folder" in r.stderr
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text('{"question": "where is my parcel"}\n')
    r = run_cli("drift", run, str(wrong))
    assert r.returncode == 2 and "wrong.jsonl" in r.stderr and "record format" in r.stderr


def test_a_config_file_as_new_reads_its_sources(drift_run, tmp_path):
    cfg = tmp_path / "new.yaml"
    cfg.write_text(
        "name: weekly\nsources:\n  - type: csv\n    name: bitext\n    path: " + str(drift_run["same"]) +
        "\n    fields: {id: id, user: instruction, assistant: response, meta: [intent, category]}\n"
    )
    r = run_cli("drift", str(drift_run["run"]), str(cfg), "--json", "--no-save", "--stratify-by", "intent")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["read_as"] == "config sources" and out["records"] == 120 and out["strata"]["field"] == "intent"


def test_an_empty_file_is_refused(drift_run, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    r = run_cli("drift", str(drift_run["run"]), str(empty))
    assert r.returncode == 2 and "empty.jsonl: is empty" in r.stderr


def test_a_build_running_in_the_run_folder_stops_drift_with_one_line(drift_run):
    with RunFolder(drift_run["run"]).build_lock():
        r = run_cli("drift", str(drift_run["run"]), str(drift_run["same"]), "--no-save")
    assert r.returncode == 1 and "another curate build is running" in r.stderr and "Traceback" not in r.stderr
