"""Small helpers shared by tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

#: samples copied into the repo (tests never read ../shared)
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run the real `curate` command in a subprocess (exit codes and stderr as a user sees them)."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "curate", *args],
        cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout,
    )


def write_config(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


#: stages after ingest switched off, for tests of the foundation that need no models
NO_MODELS = {
    "redact": {"enabled": False},
    "dedupe": {"enabled": False},
    "embed": {"enabled": False},
    "select": {"enabled": False},
}
