"""Local server settings and failure behaviour that need no running Label Studio."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from curate.errors import CurateError
from curate.labelstudio import server as srv
from curate.labelstudio.connection import resolve_connection
from curate.labelstudio.server import LocalServer, port_is_free
from tests.helpers import run_cli, write_config

SECRET = "feedfacefeedfacefeedfacefeedfacefeedface"


def test_child_env_is_offline_and_ignores_stray_names(tmp_path, monkeypatch):
    for name in ("PORT", "HOST", "USERNAME", "PASSWORD"):
        monkeypatch.setenv(name, "stray")
    s = LocalServer(tmp_path / "ls")
    creds = s.credentials(create=True)
    env = s.child_env(creds)
    for name in ("PORT", "HOST", "USERNAME", "PASSWORD"):
        assert name not in env
    assert env["LATEST_VERSION_CHECK"] == "false" and env["COLLECT_ANALYTICS"] == "false"
    assert env["SENTRY_DSN"] == "" and env["FRONTEND_SENTRY_DSN"] == ""
    assert env["LABEL_STUDIO_BASE_DATA_DIR"] == str((tmp_path / "ls" / "data").resolve())
    assert env["LABEL_STUDIO_USER_TOKEN"] == creds.token and len(creds.token) == 40
    assert env["LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN"] == "true"
    assert env["LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK"] == "true"


def test_child_env_is_an_allow_list_without_curate_secrets_or_tokens(tmp_path, monkeypatch):
    planted = {"CURATE_PII_SALT": "s" * 20, "CURATE_PII_KEY": "k" * 44, "ZENDESK_TOKEN": "z" * 30,
               "JIRA_TOKEN": "j" * 30, "AWS_SECRET_ACCESS_KEY": "a" * 40, "PYTHONPATH": "/elsewhere"}
    for name, value in planted.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LABEL_STUDIO_TASK_API_PAGE_SIZE_MAX", "7")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    s = LocalServer(tmp_path / "ls")
    env = s.child_env(s.credentials(create=True))
    assert not set(planted) & set(env)
    assert not any(v in env.values() for v in planted.values())
    # Label Studio's own settings and the locale pass through
    assert env["LABEL_STUDIO_TASK_API_PAGE_SIZE_MAX"] == "7" and env["LC_ALL"] == "C.UTF-8"
    assert env["PATH"] == os.environ["PATH"]


def test_running_server_has_no_curate_secret_in_its_environment(label_studio):
    """The session server was started with a pii salt and a source token planted in curate's
    environment (tests/labelstudio_server.py): its process never received them."""
    from curate.labelstudio.server import LocalServer

    pid = LocalServer(label_studio.data_dir).state().pid
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    names = {e.split(b"=", 1)[0].decode() for e in environ if e}
    assert "LABEL_STUDIO_USER_TOKEN" in names  # it is the server's environment
    assert not names & {"CURATE_PII_SALT", "ZENDESK_TOKEN"}, names


def test_admin_from_environment_and_credentials_private(tmp_path, monkeypatch):
    monkeypatch.setenv("CURATE_LS_ADMIN_EMAIL", "lead@example.org")
    monkeypatch.setenv("CURATE_LS_ADMIN_PASSWORD", "a-long-password-1")
    s = LocalServer(tmp_path / "ls")
    creds = s.credentials(create=True)
    assert (creds.email, creds.password) == ("lead@example.org", "a-long-password-1")
    mode = stat.S_IMODE(s.credentials_path.stat().st_mode)
    assert mode & 0o077 == 0, oct(mode)
    assert stat.S_IMODE(s.data_dir.stat().st_mode) & 0o077 == 0
    assert "a-long-password-1" not in repr(creds) and creds.token not in repr(creds)
    # kept: a later change of the environment does not silently change the account
    monkeypatch.setenv("CURATE_LS_ADMIN_PASSWORD", "other")
    assert LocalServer(tmp_path / "ls").credentials().password == "a-long-password-1"


def test_missing_install_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CURATE_LS_VENV", str(tmp_path / "nowhere"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(srv, "__file__", str(tmp_path / "a" / "b" / "server.py"))
    with pytest.raises(srv.LabelStudioNotInstalled, match="scripts/install-labelstudio.sh"):
        srv.find_executable()


def test_port_checks():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        assert not port_is_free(busy)
    free = srv.free_port()
    assert port_is_free(free)


def test_busy_port_is_refused_before_starting(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(CurateError, match="in use"):
            LocalServer(tmp_path / "ls").start(port=s.getsockname()[1], executable=Path(sys.executable))


def test_no_server_configured(tmp_path, monkeypatch):
    monkeypatch.delenv("CURATE_LS_URL", raising=False)
    with pytest.raises(CurateError, match="curate label serve"):
        resolve_connection(None, tmp_path / "none")


def test_local_server_not_running(tmp_path, monkeypatch):
    monkeypatch.delenv("CURATE_LS_URL", raising=False)
    s = LocalServer(tmp_path / "ls")
    s.credentials(create=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    s.state_path.write_text(json.dumps({"pid": dead.pid, "port": 8123, "url": "http://127.0.0.1:8123", "started_at": 0}))
    with pytest.raises(CurateError, match=r"at http://127.0.0.1:8123 is not running"):
        resolve_connection(None, s.data_dir)


def test_url_without_token(monkeypatch):
    monkeypatch.setenv("CURATE_LS_URL", "http://ls.example:8080/")
    monkeypatch.delenv("CURATE_LS_TOKEN", raising=False)
    with pytest.raises(CurateError, match="CURATE_LS_TOKEN"):
        resolve_connection()


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    """A run folder with a select table, built by the real `curate build` (no models)."""
    tmp_path = tmp_path_factory.mktemp("tiny")
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "labelstudio"
    (tmp_path / "tickets.csv").write_bytes((fixtures / "tickets.csv").read_bytes())
    write_config(tmp_path / "curate.yaml", {
        "name": "tiny",
        "sources": [{"type": "csv", "name": "bitext", "path": "tickets.csv", "kind": "ticket",
                     "fields": {"id": "id", "user": "instruction", "assistant": "response", "meta": ["intent", "category"]}}],
        "redact": {"enabled": False}, "dedupe": {"enabled": False}, "embed": {"enabled": False},
        "select": {"enabled": True, "strategy": "random", "budget": 12},
        "label": {"retries": 1},
    })
    r = run_cli("build", "curate.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    return tmp_path / "runs" / "tiny"


def test_cli_server_down_is_one_line_without_the_token(tiny_run, tmp_path):
    run = tiny_run
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    env = {"CURATE_LS_URL": url, "CURATE_LS_TOKEN": SECRET}
    for cmd in (["label", "push", str(run), "--allow-unredacted"], ["label", "pull", str(run)], ["label", "reviewers", "add", "a@b.org"]):
        r = run_cli(*cmd, cwd=tmp_path, env=env)
        assert r.returncode == 1, (cmd, r.stdout, r.stderr)
        err = r.stderr.strip()
        assert err.startswith(f"error: Label Studio at {url} is unavailable"), err
        assert "Traceback" not in err and len(err.splitlines()) <= 3  # one message (wrapped by the terminal width)
        assert SECRET not in r.stdout + r.stderr
    assert not (run / "labels" / "labels.parquet").exists()


def test_cli_pull_before_push(tiny_run, tmp_path):
    run = tiny_run
    env = {"CURATE_LS_URL": "http://127.0.0.1:9", "CURATE_LS_TOKEN": SECRET}
    r = run_cli("label", "status", str(run), cwd=tmp_path, env=env)
    assert r.returncode == 2 and "nothing pushed" in r.stderr


def test_install_script_is_idempotent_when_present(root):
    venv = root / ".venv-labelstudio"
    if not (venv / "bin" / "label-studio").exists():
        pytest.fail(f"{venv} is missing: run scripts/install-labelstudio.sh")
    r = subprocess.run(["bash", str(root / "scripts" / "install-labelstudio.sh")], capture_output=True, text=True,
                       timeout=120, check=False, env={**os.environ, "CURATE_LS_VENV": str(venv)})
    assert r.returncode == 0, r.stderr
    assert "already installed" in r.stdout


def test_push_refuses_a_run_built_without_redaction(tiny_run, tmp_path):
    # the refusal comes before any connection: no server is needed to learn it
    env = {"CURATE_LS_URL": "http://127.0.0.1:9", "CURATE_LS_TOKEN": SECRET}
    r = run_cli("label", "push", str(tiny_run), cwd=tmp_path, env=env)
    assert r.returncode == 2, r.stderr
    err = r.stderr.strip()
    assert "redact stage is disabled" in err and "--allow-unredacted" in err, err
    assert "Traceback" not in err and "unavailable" not in err


def test_stop_keeps_the_port_for_the_next_start(tmp_path):
    s = LocalServer(tmp_path / "ls")
    s.credentials(create=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    s.state_path.write_text(json.dumps({"pid": dead.pid, "port": 8123, "url": "http://127.0.0.1:8123", "started_at": 0}))
    assert s.stop() is False  # nothing ran any more
    assert s.state() is None and s.recorded_port() == 8123


def test_host_must_be_an_address_of_this_machine(tmp_path):
    with pytest.raises(CurateError, match="not an address of this machine"):
        LocalServer(tmp_path / "ls").start(host="203.0.113.9", executable=Path(sys.executable))
    r = run_cli("label", "serve", "--host", "labels.example", "--data-dir", str(tmp_path / "ls"), cwd=tmp_path)
    assert r.returncode == 2 and "IPv4 address" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("label", "serve", "--public-url", "labels.example", "--data-dir", str(tmp_path / "ls"), cwd=tmp_path)
    assert r.returncode == 2 and "https://" in r.stderr


def test_public_url_is_a_trusted_origin(tmp_path):
    s = LocalServer(tmp_path / "ls")
    creds = s.credentials(create=True)
    assert "LABEL_STUDIO_CSRF_TRUSTED_ORIGINS" not in s.child_env(creds)
    env = s.child_env(creds, "https://labels.acme.example/")
    assert env["LABEL_STUDIO_CSRF_TRUSTED_ORIGINS"] == "https://labels.acme.example"
    assert env["LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK"] == "true"
    assert srv.origin("http://10.0.0.5:8080/x") == "http://10.0.0.5:8080"


def test_credentials_file_is_private_and_merged(tmp_path):
    from curate.labelstudio.reviewers import save_logins

    path = tmp_path / "logins.json"
    path.write_text("")  # created by the user beforehand, world-readable
    path.chmod(0o644)
    with pytest.raises(CurateError, match="not a reviewer credentials file"):
        save_logins(path, "http://ls", [("a@x.org", "pw-a")])
    path.unlink()
    assert save_logins(path, "http://ls", [("a@x.org", "pw-a"), ("b@x.org", "pw-b")]) == 2
    assert save_logins(path, "http://ls", []) == 2  # a run that created nobody keeps what is there
    assert save_logins(path, "http://ls", [("B@x.org", "pw-b2"), ("c@x.org", "pw-c")]) == 3
    saved = json.loads(path.read_text())
    assert {r["email"]: r["password"] for r in saved["reviewers"]} == {"a@x.org": "pw-a", "b@x.org": "pw-b2", "c@x.org": "pw-c"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_reset_is_refused_for_a_server_given_by_url(tmp_path):
    r = run_cli("label", "reviewers", "reset", "ann@x.org", cwd=tmp_path,
                env={"CURATE_LS_URL": "http://ls.example:8080", "CURATE_LS_TOKEN": SECRET})
    assert r.returncode == 2 and "an admin resets it" in r.stderr and SECRET not in r.stderr
