"""Agreement at export time: the card's per-field table is computed from the labels as
pulled (never an older agreement.json), and `label.gates` stops the export (exit 2, one
line) or warns, as configured; the card shows the gate either way."""

from __future__ import annotations

import json

from export_support import bitext_rows, make_run, write_pulled_labels
from helpers import run_cli

IDS = [f"csv:bitext:{r['id']}" for r in bitext_rows()]


def labeled_run(tmp_path, gates: dict):
    run = make_run(tmp_path / "runs" / "tickets", config={"label": {"task": "response_review", "gates": gates}})
    write_pulled_labels(run.root, IDS, disagree_every=3)  # 16 of 48 disagree on the verdict
    # a stale report from an earlier pull: the card must not show it
    (run.root / "agreement.json").write_text(json.dumps({"fields": {"verdict": {"cohen_kappa": 0.987}}}))
    return run


def section(card: str, title: str) -> str:
    return card.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def test_card_agreement_is_a_per_field_table_from_the_pulled_labels(tmp_path):
    run = labeled_run(tmp_path, {})
    r = run_cli("export", str(run.root), "-o", str(tmp_path / "out"), "--eval", "0")
    assert r.returncode == 0, r.stderr
    review = section((tmp_path / "out" / "README.md").read_text(), "Review and agreement")
    rows = {line.split("|")[1].strip(): line for line in review.splitlines() if line.startswith("| `")}
    assert set(rows) == {"`verdict`", "`quality`"}
    # kappa and alpha with their 95% intervals, the level and n (items both reviewers rated)
    assert "| nominal | 48 |" in rows["`verdict`"] and "| ordinal | 48 |" in rows["`quality`"]
    assert rows["`verdict`"].count("(") >= 3 and "–" in rows["`verdict`"]
    assert "0.987" not in review and "manifest.json" not in review and "more figures" not in review


def test_a_gate_below_its_minimum_stops_the_export_in_one_line(tmp_path):
    run = labeled_run(tmp_path, {"verdict": {"alpha": 0.8}})
    r = run_cli("export", str(run.root), "-o", str(tmp_path / "out"))
    assert r.returncode == 2
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert "agreement below the gate (label.gates): verdict alpha" in lines[0] and "(gate 0.8)" in lines[0]
    assert not (tmp_path / "out").exists()  # stopped before anything was written


def test_a_gate_with_on_fail_warn_exports_and_the_card_shows_it(tmp_path):
    run = labeled_run(tmp_path, {"verdict": {"alpha": 0.8}, "quality": {"agreement": 0.9}, "on_fail": "warn"})
    r = run_cli("export", str(run.root), "-o", str(tmp_path / "out"), "--eval", "0")
    assert r.returncode == 0, r.stderr
    assert "warning: agreement below the gate (label.gates): verdict alpha" in r.stderr
    gates = section((tmp_path / "out" / "README.md").read_text(), "Review and agreement").split("Agreement gates", 1)[1]
    assert "| `verdict` | alpha | 0.8 |" in gates and "**failed**" in gates
    assert "| `quality` | agreement | 0.9 | 1.000 | passed |" in gates  # 4 and 5 agree within ±1


def test_a_gate_that_passes_is_said_and_shown(tmp_path):
    run = labeled_run(tmp_path, {"verdict": {"kappa": -1.0}})
    r = run_cli("export", str(run.root), "-o", str(tmp_path / "out"), "--eval", "0")
    assert r.returncode == 0, r.stderr
    assert "agreement gates passed: verdict kappa" in r.stdout
    assert "| passed |" in (tmp_path / "out" / "README.md").read_text()
