"""Export tests import their shared inputs from export_support.py (this folder)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from export_support import make_run  # noqa: E402

from curate.run import RunFolder  # noqa: E402


@pytest.fixture
def run(tmp_path: Path) -> RunFolder:
    return make_run(tmp_path / "runs" / "tickets")
