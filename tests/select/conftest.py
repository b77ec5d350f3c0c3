"""Shared inputs: blob data for the algorithms, the real model's vectors of the Bitext
fixture (270 records, 27 intents) for the strategies and the stage."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

# select_testdata.py (blob generator) beside this file
sys.path.insert(0, str(Path(__file__).resolve().parent))
from select_testdata import FIXTURE


@pytest.fixture(scope="session")
def bitext_rows() -> list[dict]:
    return [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="session")
def bitext_vectors(bitext_rows) -> tuple[np.ndarray, np.ndarray]:
    """(vectors of the customer requests, intent per row) with the real model."""
    from curate.embed.model import Embedder

    x = Embedder(threads=1).embed([r["messages"][0]["content"] for r in bitext_rows])
    return x, np.array([r["meta"]["intent"] for r in bitext_rows])
