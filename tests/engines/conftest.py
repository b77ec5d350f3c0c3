"""A local Ray shared by the Ray engine's tests of one module (2 CPUs, as in CI)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# test modules here import ray_testdata
sys.path.insert(0, str(Path(__file__).resolve().parent))

from curate.engines.config import EngineConfig


@pytest.fixture(scope="module")
def ray_engine():
    """A started Ray engine (its own private local Ray, shut down after the module)."""
    from curate.engines.ray import RayEngine

    engine = RayEngine(EngineConfig(type="ray", workers=2))
    engine.start()
    yield engine
    engine.close()
