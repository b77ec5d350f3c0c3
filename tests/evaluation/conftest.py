"""Evaluation tests: make the shared test data (eval_data.py) and the report tests' hand-written
run folder (tests/report/report_synth.py) importable."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
