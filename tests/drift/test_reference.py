"""What the new records are compared with, read from a real run's select table."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from curate.drift.reference import load_reference
from curate.errors import InputError
from curate.run import RunFolder


def test_the_training_set_is_the_exported_train_side(drift_run):
    ref = load_reference(RunFolder(drift_run["run"]))
    assert ref.training_from == "export" and len(ref.ids) == 150
    assert 0 < ref.training.sum() < 40  # the selection of 40, less the eval side
    assert np.allclose(np.linalg.norm(ref.vectors, axis=1), 1, atol=1e-4)
    assert set(ref.cluster_terms) == set(np.unique(ref.clusters).tolist())


def test_without_an_export_the_selection_is_the_training_set(drift_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(drift_run["run"], copy)
    (copy / "split.json").unlink()
    ref = load_reference(RunFolder(copy))
    assert ref.training_from == "selection" and ref.training.sum() == 40


def test_a_run_without_a_select_table_is_one_error(tmp_path):
    (tmp_path / "manifest.json").write_text('{"stages": {}}')
    with pytest.raises(InputError, match="no select table"):
        load_reference(RunFolder(tmp_path))
