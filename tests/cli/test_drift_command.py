"""`curate drift` is a registered command whose help states its exit codes."""

from __future__ import annotations

from helpers import run_cli


def test_drift_is_listed_and_documents_exit_code_3():
    r = run_cli("--help")
    assert r.returncode == 0 and "drift" in r.stdout
    r = run_cli("drift", "--help")
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    assert "3: drift" in text and "--select" in text and "--json" in text


def test_drift_needs_run_and_new():
    r = run_cli("drift")
    assert r.returncode == 2 and "Traceback" not in r.stderr
