"""A real Label Studio server for the tests that need one (tests/labelstudio,
tests/reliability): started once per test session from ``.venv-labelstudio`` by ``curate
label serve`` (on a free loopback port, in a temporary data folder, offline) and stopped at
the end. tests/conftest.py makes the ``label_studio`` fixture visible to every folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv-labelstudio"
PAGE_SIZE_MAX = 5


def curate(*args: str, cwd: Path, env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
    """The real `curate` command; fails the test with its output when it fails."""
    r = subprocess.run([sys.executable, "-m", "curate", *args], cwd=cwd, env=env, capture_output=True,
                       text=True, timeout=timeout, check=False)
    assert r.returncode == 0, f"curate {' '.join(args)} exited {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    return r


@dataclass
class LabelStudio:
    url: str
    data_dir: Path
    admin_email: str
    admin_token: str = field(repr=False)
    env: dict[str, str] = field(repr=False)
    outputs: list[str] = field(default_factory=list, repr=False)

    def cli(self, *args: str, cwd: Path) -> subprocess.CompletedProcess:
        r = curate(*args, cwd=cwd, env=self.env)
        self.outputs += [r.stdout, r.stderr]
        return r


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory) -> LabelStudio:
    if not (VENV / "bin" / "label-studio").exists():
        pytest.fail(
            f"Label Studio is not installed in {VENV}: run scripts/install-labelstudio.sh "
            "(the labelstudio tests need a real server)",
            pytrace=False,
        )
    from curate.labelstudio.server import free_port

    data_dir = tmp_path_factory.mktemp("labelstudio") / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CURATE_LS_")}
    env.update({
        "CURATE_LS_DATA_DIR": str(data_dir),
        "CURATE_LS_VENV": str(VENV),
        "CURATE_LS_ADMIN_EMAIL": "lead@curate-test.org",
        "COLUMNS": "200",
        "HF_HUB_OFFLINE": "1",
        # the server hands out at most 5 tasks per page whatever is asked for: every task
        # list in these tests (push's idempotency check, pull's change detection) must page
        "LABEL_STUDIO_TASK_API_PAGE_SIZE_MAX": str(PAGE_SIZE_MAX),
        # secrets a build may have in its environment; the server must never inherit them
        # (tests/labelstudio/test_server.py reads the server's environment)
        "CURATE_PII_SALT": "salt-of-the-labelstudio-session-tests",
        "ZENDESK_TOKEN": "zendesk-token-of-the-labelstudio-session-tests",
    })
    port = free_port()
    cwd = data_dir.parent
    r = curate("label", "serve", "--port", str(port), cwd=cwd, env=env, timeout=300)
    creds = json.loads((data_dir / "credentials.json").read_text())
    ls = LabelStudio(url=f"http://127.0.0.1:{port}", data_dir=data_dir, admin_email=creds["email"],
                     admin_token=creds["token"], env=env, outputs=[r.stdout, r.stderr])
    assert ls.url in r.stdout and "lead@curate-test.org" in r.stdout
    # a first start sets up the database for half a minute: it says so while it waits
    assert "s: setting up the database (first start)" in r.stdout, r.stdout
    from curate.labelstudio.server import LocalServer, _pid_alive

    pid = LocalServer(data_dir).state().pid
    try:
        yield ls
    finally:
        r = subprocess.run([sys.executable, "-m", "curate", "label", "serve", "--stop"], cwd=cwd, env=env,
                           capture_output=True, text=True, timeout=60, check=False)
    assert "Label Studio stopped" in r.stdout, r.stdout + r.stderr
    kept = json.loads((data_dir / "server.json").read_text())
    assert kept["pid"] is None and kept["port"] == port  # the next start takes the same port
    assert not _pid_alive(pid), f"Label Studio (pid {pid}) still runs after --stop"
