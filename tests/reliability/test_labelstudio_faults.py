"""Label Studio stopped in the middle of a push, then a re-push: no task is imported twice.

tests/labelstudio covers an interrupted push whose connection is cut by a transport in
the client; here the processes really die, against the real server of the test session:
- the Label Studio server is killed (SIGKILL to its process group, as a crash or an OOM
  kill would) while `curate label push` imports chunk by chunk; the push stops with one
  error naming the URL; the server is started again on the same port and data folder and
  the re-push imports exactly the missing records;
- the `curate label push` process itself is killed with SIGKILL in the middle; the
  re-push finishes the import, again without a duplicate.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from curate.labelstudio.client import Connection, LabelStudioClient
from curate.labelstudio.push import existing_record_ids
from curate.labelstudio.server import LocalServer, _pid_alive
from curate.labelstudio.state import ProjectState

pytestmark = pytest.mark.labelstudio

#: 270 Bitext records (CDLA-Sharing-1.0, see its SOURCE.md), shared with the select tests
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "select" / "bitext_270.jsonl"
BUDGET = 40


def build_run(work: Path, ls, title: str) -> Path:
    shutil.copy(FIXTURE, work / "tickets.jsonl")
    (work / "curate.yaml").write_text(yaml.safe_dump({
        "name": "ls-faults",
        "sources": [{"type": "jsonl", "name": "bitext", "path": "tickets.jsonl", "kind": "ticket",
                     "fields": {"id": "id", "messages": "messages"}}],
        "redact": {"enabled": False}, "dedupe": {"enabled": False}, "embed": {"enabled": False},
        "select": {"enabled": True, "strategy": "random", "budget": BUDGET, "quality": {"enabled": False}},
        # one task per request: many requests, so the push is caught in the middle
        "label": {"task": "response_review", "categories": ["ORDER", "OTHER"], "chunk_size": 1,
                  "project_title": title, "retries": 2, "timeout": 10},
    }, sort_keys=False))
    r = subprocess.run([sys.executable, "-m", "curate", "build", "curate.yaml", "-q"], cwd=work, env=ls.env,
                       capture_output=True, text=True, timeout=600, check=False)
    assert r.returncode == 0, r.stderr
    return work / "runs" / "ls-faults"


def start_push(work: Path, ls) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "curate", "label", "push", "runs/ls-faults", "--allow-unredacted"], cwd=work, env=ls.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_tasks(ls, run: Path, at_least: int, push: subprocess.Popen, timeout: float = 300) -> int:
    """Poll the server until the run's project holds ``at_least`` tasks."""
    deadline = time.monotonic() + timeout
    with LabelStudioClient(Connection(ls.url, ls.admin_token)) as admin:
        while time.monotonic() < deadline:
            state = ProjectState.load(run)
            if state is not None and state.project_id is not None:
                n = sum(existing_record_ids(admin, state.project_id).values())
                if n >= at_least:
                    return n
            assert push.poll() is None, f"the push ended before it was interrupted: {push.communicate()}"
            time.sleep(0.05)
    raise AssertionError("the push never got going")


def tasks_per_record(ls, run: Path) -> dict[str, int]:
    state = ProjectState.load(run)
    with LabelStudioClient(Connection(ls.url, ls.admin_token)) as admin:
        return dict(existing_record_ids(admin, state.project_id))


def test_server_killed_during_a_push_then_repush_has_no_duplicates(label_studio, tmp_path):
    ls = label_studio
    run = build_run(tmp_path, ls, "killed server")
    server = LocalServer(ls.data_dir)
    port = int(ls.url.rsplit(":", 1)[1])
    push = start_push(tmp_path, ls)
    try:
        wait_for_tasks(ls, run, at_least=5, push=push)
        pid = server.state().pid
        os.killpg(pid, signal.SIGKILL)  # the server dies with the requests it was serving
        out, err = push.communicate(timeout=300)
    finally:
        if push.poll() is None:
            push.kill()
        # whatever happened: the session's server runs again, on the same port and data
        if server.state() is None:
            r = subprocess.run([sys.executable, "-m", "curate", "label", "serve", "--port", str(port)],
                               cwd=ls.data_dir.parent, env=ls.env, capture_output=True, text=True, timeout=300, check=False)
            assert r.returncode == 0, r.stdout + r.stderr
    assert not _pid_alive(pid)
    assert push.returncode not in (0, None)
    msg = " ".join(err.split())
    assert ls.url in msg and "Traceback" not in err, err
    assert ls.admin_token not in out + err
    before = tasks_per_record(ls, run)
    assert 5 <= sum(before.values()) < BUDGET and set(before.values()) == {1}

    r = subprocess.run([sys.executable, "-m", "curate", "label", "push", "runs/ls-faults", "--allow-unredacted"], cwd=tmp_path, env=ls.env,
                       capture_output=True, text=True, timeout=600, check=False)
    assert r.returncode == 0, r.stderr
    assert f"{BUDGET - len(before)} imported, {len(before)} already" in r.stdout, r.stdout
    after = tasks_per_record(ls, run)
    assert len(after) == BUDGET and set(after.values()) == {1}


def test_push_killed_in_the_middle_then_repush_has_no_duplicates(label_studio, tmp_path):
    ls = label_studio
    run = build_run(tmp_path, ls, "killed push")
    push = start_push(tmp_path, ls)
    try:
        wait_for_tasks(ls, run, at_least=5, push=push)
        push.send_signal(signal.SIGKILL)
        push.wait(timeout=60)
    finally:
        if push.poll() is None:
            push.kill()
    before = tasks_per_record(ls, run)
    assert 5 <= len(before) < BUDGET and set(before.values()) == {1}
    for _ in range(2):  # the re-push completes; one more finds nothing to do
        r = subprocess.run([sys.executable, "-m", "curate", "label", "push", "runs/ls-faults", "--allow-unredacted"], cwd=tmp_path,
                           env=ls.env, capture_output=True, text=True, timeout=600, check=False)
        assert r.returncode == 0, r.stderr
    assert f"0 imported, {BUDGET} already" in r.stdout, r.stdout
    after = tasks_per_record(ls, run)
    assert len(after) == BUDGET and set(after.values()) == {1}
