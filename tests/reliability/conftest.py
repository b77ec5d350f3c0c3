"""Shared fixtures of the reliability tests: one real `curate -vv build` of the "drops"
project (drops in every stage, planted PII, logs captured at debug level), reused by the
accounting, privacy and fault tests."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# reliability_data.py and reliability_support.py beside this file
sys.path.insert(0, str(Path(__file__).resolve().parent))

from reliability_data import drops_project
from reliability_support import curate_env, run_curate


@dataclass
class Build:
    """A finished build: its project, run folder, manifest and what it printed."""

    project: Path
    config: Path
    runs: Path
    name: str
    stdout: str
    stderr: str
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def run(self) -> Path:
        return self.runs / self.name


@pytest.fixture(scope="session")
def drops_build(tmp_path_factory) -> Build:
    """The drops project built once, uninterrupted, with ``-vv`` (debug logs)."""
    project = tmp_path_factory.mktemp("drops")
    config = drops_project(project, n=120, junk_lines=20000)
    runs = project / "runs-reference"
    r = run_curate("-vv", "build", "curate.yaml", "--runs-dir", str(runs), cwd=project, env=curate_env())
    assert r.returncode == 0, r.stdout + r.stderr
    manifest = json.loads((runs / "drops" / "manifest.json").read_text())
    return Build(project, config, runs, "drops", r.stdout, r.stderr, manifest)


@pytest.fixture(scope="session")
def clean_env() -> dict[str, str]:
    return curate_env()
