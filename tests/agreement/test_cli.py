"""`curate agreement` as a user runs it (a real subprocess)."""

from __future__ import annotations

import json

import polars as pl
import pytest
from helpers import run_cli

ROWS = [
    # item, reviewer, verdict, quality, fix, seconds
    ("t1", "ana", "accept", "5", "", 31.0), ("t1", "ben", "accept", "4", "", 40.0),
    ("t2", "ana", "edit", "3", "Ask for the order number first.", 65.0),
    ("t2", "ben", "edit", "3", "Ask for the order number.", 80.0),
    ("t3", "ana", "reject", "1", "", 20.0), ("t3", "ben", "edit", "2", "Apologise, then refund.", 95.0),
    ("t4", "ana", "accept", "4", "", 25.0), ("t4", "ben", "accept", "4", "", 30.0),
    ("t5", "ana", "reject", "2", "", 22.0), ("t5", "ben", "reject", "1", "", 28.0),
    ("t6", "ana", "accept", "5", "", 18.0), ("t6", "ben", "edit", "3", "Link the reset page.", 70.0),
]
LEVELS = {"verdict": "nominal", "quality": "ordinal", "fix": "text"}


def _long() -> pl.DataFrame:
    rows = []
    for item, rev, verdict, quality, fix, secs in ROWS:
        for field, value in (("verdict", verdict), ("quality", quality), ("fix", fix)):
            if field == "fix" and not value:
                continue  # the corrected response is only filled in for an edit
            rows.append({"record_id": item, "reviewer": rev, "field": field, "value": value, "seconds": secs})
    return pl.DataFrame(rows)


@pytest.fixture
def run_dir(tmp_path):
    run = tmp_path / "runs" / "demo"
    (run / "labels").mkdir(parents=True)
    (run / "manifest.json").write_text(json.dumps({"stages": {}}))
    _long().write_parquet(run / "labels" / "labels.parquet")
    (run / "labels" / "fields.json").write_text(json.dumps(LEVELS))
    return run


def test_run_writes_agreement_json_and_prints_table(run_dir):
    res = run_cli("agreement", str(run_dir), "--bootstrap", "200")
    assert res.returncode == 0, res.stderr
    report = json.loads((run_dir / "agreement.json").read_text())
    assert set(report["fields"]) == {"verdict", "quality", "fix"}
    assert report["fields"]["verdict"]["percent_agreement"]["value"] == pytest.approx(4 / 6)
    assert report["fields"]["fix"]["items_compared"] == 1
    assert report["reviewers"]["ana"]["accept_rate"]["value"] == pytest.approx(3 / 6)
    assert report["reviewers"]["ben"]["median_seconds"] == pytest.approx(55.0)
    for word in ("verdict", "quality", "fix", "alpha", "kappa", "Reviewers", "ana", "ben", "agreement.json"):
        assert word in res.stdout
    assert not list(run_dir.glob(".agreement.json.*"))  # no temporary file left behind


def test_run_json_output_is_the_written_report(run_dir):
    res = run_cli("agreement", str(run_dir), "--json", "--bootstrap", "50", "--seed", "3")
    assert res.returncode == 0, res.stderr
    printed = json.loads(res.stdout)
    assert printed == json.loads((run_dir / "agreement.json").read_text())
    assert printed["bootstrap"] == {"samples": 50, "seed": 3, "unit": "item", "confidence": 0.95, "method": "percentile"}


def test_run_reads_rule_file(run_dir, tmp_path):
    rule = tmp_path / "rule.yaml"
    rule.write_text("ordinal_tolerance: 0\nfields:\n  fix: {threshold: 0.5}\n")
    res = run_cli("agreement", str(run_dir), "--json", "--bootstrap", "0", "--rule", str(rule))
    assert res.returncode == 0, res.stderr
    f = json.loads(res.stdout)["fields"]
    assert f["quality"]["within_tolerance"]["value"] == pytest.approx(f["quality"]["percent_agreement"]["value"])
    assert f["fix"]["rule"]["threshold"] == 0.5
    rule.write_text("ordinal_tolerance: -1\n")
    bad = run_cli("agreement", str(run_dir), "--rule", str(rule))
    assert bad.returncode == 2 and "ordinal_tolerance" in bad.stderr and "Traceback" not in bad.stderr


def test_run_without_labels_is_a_clear_error(tmp_path):
    run = tmp_path / "r"
    run.mkdir()
    (run / "manifest.json").write_text("{}")
    res = run_cli("agreement", str(run))
    assert res.returncode == 2
    assert "curate label pull" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize("suffix", ["csv", "jsonl", "parquet"])
def test_labels_file_long(tmp_path, suffix):
    df = _long().rename({"record_id": "item", "reviewer": "annotator", "value": "label"}).drop("seconds")
    path = tmp_path / f"labels.{suffix}"
    {"csv": df.write_csv, "jsonl": df.write_ndjson, "parquet": df.write_parquet}[suffix](path)
    out = tmp_path / "out" / "agreement.json"
    res = run_cli("agreement", "--labels", str(path), "--item-col", "item", "--rater-col", "annotator",
                  "--value-col", "label", "--level", "verdict=nominal", "--level", "quality=ordinal",
                  "--level", "fix=text", "--out", str(out), "--bootstrap", "100")
    assert res.returncode == 0, res.stderr
    report = json.loads(out.read_text())
    assert report["fields"]["quality"]["weighted_kappa"]["quadratic"]["value"] is not None
    assert "quality" in res.stdout


def test_labels_file_wide_with_default_level(tmp_path):
    rows = [{"item": i, "rater": r, "quality": q, "secs": s} for i, r, _, q, _, s in ROWS]
    path = tmp_path / "wide.csv"
    pl.DataFrame(rows).write_csv(path)
    res = run_cli("agreement", "--labels", str(path), "--wide", "--item-col", "item", "--rater-col", "rater",
                  "--seconds-col", "secs", "--default-level", "ordinal", "--json", "--bootstrap", "0")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert list(report["fields"]) == ["quality"]
    assert report["reviewers"]["ana"]["median_seconds"] == pytest.approx(23.5)


def _in_process(*args: str):
    """The command in this process (fast): (exit code, stdout, error message)."""
    from typer.testing import CliRunner

    from curate.cli.main import app
    from curate.errors import CurateError

    res = CliRunner().invoke(app, list(args))
    if isinstance(res.exception, CurateError):
        return res.exception.exit_code, res.output, res.exception.message
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, res.output, ""


def test_labels_file_errors(tmp_path):
    path = tmp_path / "l.csv"
    pl.DataFrame({"record_id": ["a", "a"], "reviewer": ["x", "y"], "field": ["q", "q"], "value": ["1", "2"]}).write_csv(path)
    # as a user sees it: one line, exit code 2, no traceback
    no_level = run_cli("agreement", "--labels", str(path))
    assert no_level.returncode == 2 and "--level" in no_level.stderr and "Traceback" not in no_level.stderr
    code, _, msg = _in_process("agreement", "--labels", str(path), "--level", "q=ordinal", "--level", "z=nominal")
    assert code == 2 and "z" in msg
    code, _, msg = _in_process("agreement", "--labels", str(path), "--level", "q")
    assert code == 2 and "FIELD=LEVEL" in msg
    code, _, msg = _in_process("agreement", "--labels", str(path), "--rater-col", "annotator", "--level", "q=ordinal")
    assert code == 2 and "annotator" in msg
    code, _, msg = _in_process("agreement", str(tmp_path), "--labels", str(path))
    assert code == 2 and "either" in msg
    code, _, msg = _in_process("agreement", "--labels", str(tmp_path / "nope.csv"), "--level", "q=ordinal")
    assert code == 2 and "not found" in msg
    # wide: every column besides item and rater is a field, here "field" and "value"
    code, _, msg = _in_process("agreement", "--labels", str(path), "--level", "q=ordinal", "--wide")
    assert code == 2 and "no --level for field(s) field, value" in msg
    code, out, _ = _in_process("agreement", "--labels", str(path), "--wide", "--default-level", "nominal", "--json", "--bootstrap", "0")
    assert code == 0 and set(json.loads(out)["fields"]) == {"field", "value"}


def test_help_explains_the_command():
    res = run_cli("agreement", "--help")
    assert res.returncode == 0
    for word in ("--labels", "--level", "ordinal:low,medium,high", "agreement.json"):
        assert word in res.stdout


def test_run_uses_the_rule_of_its_config(run_dir):
    (run_dir / "manifest.json").write_text(json.dumps({"stages": {}, "config": {"label": {"agreement": {"ordinal_tolerance": 0}}}}))
    res = run_cli("agreement", str(run_dir), "--json", "--bootstrap", "0")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["rule"]["ordinal_tolerance"] == 0
    q = report["fields"]["quality"]
    assert q["within_tolerance"]["value"] == q["percent_agreement"]["value"] == pytest.approx(2 / 6)


def test_table_fits_80_columns_with_the_rule_and_the_labels(run_dir):
    """Nothing cut at 80 columns; ordinal fields show agreement within the ±1 rule that
    sends items to adjudication (and exact agreement below it); a per-label breakdown."""
    res = run_cli("agreement", str(run_dir), "--bootstrap", "100", env={"COLUMNS": "80"})
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in res.stdout
    quality = next(i for i, line in enumerate(lines) if line.startswith("│ quality"))
    assert "±1" in lines[quality] and "83%" in lines[quality]  # 5 of 6 items within one step
    assert "exact 33%" in lines[quality + 2]                    # 2 of 6 identical
    assert "Per label" in res.stdout
    labels = res.stdout[res.stdout.index("Per label"):]
    for label in ("accept", "edit", "reject"):
        assert f"│ {label}" in labels
