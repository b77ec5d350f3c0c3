"""The --select batch goes to a real Label Studio server with the unchanged
`curate label push`, as docs/drift.md says."""

from __future__ import annotations

from helpers import run_cli


def test_the_drift_batch_is_pushed_once(label_studio, drift_run, tmp_path):
    batch = tmp_path / "support-drift"
    r = run_cli("drift", str(drift_run["run"]), str(drift_run["topic"]), "--select", "8", "--batch", str(batch), "--no-save")
    assert r.returncode == 3, r.stderr
    # no --allow-unredacted: the batch went through the run's redaction
    out = label_studio.cli("label", "push", str(batch), cwd=tmp_path).stdout
    assert "8 selected records: 8 imported, 0 already" in " ".join(out.split()), out
    out = label_studio.cli("label", "push", str(batch), cwd=tmp_path).stdout
    assert "0 imported, 8 already" in " ".join(out.split()), out
