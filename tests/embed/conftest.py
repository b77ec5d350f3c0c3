"""The real embedding model, loaded once per test session (curate.embed.model caches
loaded models per process, so every Embedder below shares it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curate.embed.model import Embedder

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "select" / "bitext_270.jsonl"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    e = Embedder(threads=1)
    e.setup()
    return e


@pytest.fixture(scope="session")
def bitext_rows() -> list[dict]:
    return [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
