"""Shared fixtures. Tests never read ../shared: samples live in tests/fixtures."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# offline, always
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
# test modules import shared helpers as `from helpers import ...` (tests/helpers.py);
# importlib mode lets test files in different folders share a basename
sys.path.insert(0, str(Path(__file__).resolve().parent))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def root() -> Path:
    return ROOT


# one real Label Studio server per test session, for every folder that needs it
from labelstudio_server import label_studio  # noqa: F401
