"""Fixtures of the source adapter tests: a local HTTP server on 127.0.0.1 (started and
stopped by the tests) and helpers to build configs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from source_api_server import ApiServer


@pytest.fixture
def api_server():
    server = ApiServer().start()
    try:
        yield server
    finally:
        server.stop()
