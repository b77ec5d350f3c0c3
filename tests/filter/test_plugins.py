"""The filter's configuration: checks from another package found through the
`curate.filters` entry point group of a real installed distribution (a dist-info folder
in a temporary site dir) and run in a build; `select.quality`, the old place of the
filter settings, still read; config mistakes as one-line errors."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from curate.config import parse_config
from curate.errors import ConfigError

PLUGIN = '''
"""A third-party filter check: drop records that shout."""
from pydantic import Field
from curate.filter.base import Check, CheckConfig, Verdict


class ShoutConfig(CheckConfig):
    max_share: float = Field(default=0.5, description="Largest share of upper-case letters.")


class ShoutCheck(Check):
    name = "shouting"
    reasons = ("shouting",)
    kinds = ("ticket", "chat")
    Config = ShoutConfig

    def check(self, row):
        said = " ".join(m["content"] for m in row.messages if m["role"] == "user")
        letters = [c for c in said if c.isalpha()]
        share = sum(c.isupper() for c in letters) / max(1, len(letters))
        if share > self.settings.max_share:
            return Verdict("shouting", f"{share:.0%} upper case (maximum {self.settings.max_share:.0%})")
        return None
'''


def make_site(tmp: Path) -> Path:
    site = tmp / "site"
    site.mkdir()
    (site / "curate_shout.py").write_text(PLUGIN)
    info = site / "curate_shout-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: curate-shout\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[curate.filters]\nshouting = curate_shout:ShoutCheck\n")
    (info / "RECORD").write_text("curate_shout.py,,\n")
    return site


def build(cwd: Path, config: dict, env: dict) -> subprocess.CompletedProcess:
    (cwd / "curate.yaml").write_text(json.dumps(config))
    return subprocess.run([sys.executable, "-m", "curate", "build", "curate.yaml", "-q"], cwd=cwd,
                          env={**os.environ, "COLUMNS": "200", **env}, capture_output=True, text=True, timeout=300)


def test_a_check_from_another_package_runs_in_a_build(tmp_path):
    rows = [{"id": "calm", "q": "My parcel is late, could you check it?", "a": "It ships today."},
            {"id": "loud", "q": "WHERE IS MY PARCEL, I WANT IT NOW!!!", "a": "It ships today."},
            {"id": "doc", "q": "THE README TITLE IN CAPITALS FOR A DOCUMENT", "a": ""}]
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    site = make_site(tmp_path)
    config = {"name": "p", "sources": [{"type": "jsonl", "path": "t.jsonl", "kind": "ticket",
                                        "fields": {"id": "id", "user": "q", "assistant": "a"}}],
              "redact": {"enabled": False}, "dedupe": {"enabled": False}, "embed": {"enabled": False},
              "select": {"enabled": False},
              "filter": {"require_agent_reply": False, "checks": [{"name": "shouting", "max_share": 0.6}]}}
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    r = build(tmp_path, config, env)
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "runs/p/manifest.json").read_text())["stages"]["filter"]
    assert m["dropped"] == {"shouting": 2}
    assert [c["check"] for c in m["stats"]["checks"]][-1] == "shouting"

    config["filter"]["checks"] = [{"name": "shouting", "max_shares": 1}]
    r = build(tmp_path, config, env)
    assert r.returncode == 2 and "filter.checks: checks[0].max_shares: unknown key" in r.stderr
    # without the package on the path the check is unknown
    config["filter"]["checks"] = [{"name": "shouting"}]
    r = build(tmp_path, config, {})
    assert r.returncode == 2 and "unknown check 'shouting'" in r.stderr and "curate.filters" in r.stderr


def cfg(text: str, tmp_path: Path):
    return parse_config(text, tmp_path / "curate.yaml")


BASE = "name: t\nsources:\n  - type: jsonl\n    path: t.jsonl\n    fields: {user: q}\n"


def test_select_quality_is_read_as_filter_with_a_note(tmp_path, caplog):
    (tmp_path / "t.jsonl").write_text("{}\n")
    with caplog.at_level(logging.WARNING, logger="curate"):
        c = cfg(BASE + "select:\n  budget: 5\n  quality:\n    min_chars: 50\n    languages: [en]\n", tmp_path)
    assert c.filter.min_chars == 50 and c.filter.languages == ["en"] and c.select.quality is None
    assert "select.quality is now the filter: section" in caplog.text
    with pytest.raises(ConfigError, match="select.quality and filter are both given"):
        cfg(BASE + "filter:\n  min_chars: 5\nselect:\n  quality:\n    min_chars: 50\n", tmp_path)
    with pytest.raises(ConfigError, match=r"curate.yaml:8: select.quality.min_chars: "):
        cfg(BASE + "select:\n  quality:\n    min_chars: -1\n", tmp_path)
    with pytest.raises(ConfigError, match="'min_length' is built in"):
        cfg(BASE + "filter:\n  checks: [{name: min_length}]\n", tmp_path)
    assert yaml.safe_load(BASE)["name"] == "t"
