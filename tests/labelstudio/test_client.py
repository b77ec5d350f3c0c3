"""The Label Studio client (label-studio-sdk underneath) against a tiny local server that
fails on purpose: retries with backoff on 5xx, 429, timeouts and connection errors, no
blind retry of a POST, one clear error naming the URL, paging that survives a capped page
size, and a token that never shows up in a message or a log line."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from curate.labelstudio.client import (
    Connection,
    LabelStudioClient,
    LabelStudioError,
    LabelStudioUnavailable,
)

TOKEN = "0123456789abcdef0123456789abcdef01234567"


class Script:
    """What the server answers: a list of (status, body, delay) consumed per request."""

    def __init__(self):
        self.answers: list[tuple[int, object, float]] = []
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.default = (200, {"ok": True}, 0.0)


@pytest.fixture
def server():
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            script.requests.append((self.command, self.path, dict(self.headers)))
            status, body, delay = script.answers.pop(0) if script.answers else script.default
            if delay:
                time.sleep(delay)
            data = json.dumps(body).encode() if body is not None else b""
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if status == 503:
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_POST = do_PATCH = do_DELETE = _answer

        def log_message(self, *args):  # keep test output quiet
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    script.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield script
    httpd.shutdown()
    httpd.server_close()


def client_for(url: str, **kw) -> LabelStudioClient:
    kw.setdefault("backoff", 0.01)
    return LabelStudioClient(Connection(url, TOKEN), **kw)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_get_retries_5xx_and_429_then_succeeds(server):
    server.answers = [(503, {"detail": "busy"}, 0), (429, None, 0), (502, None, 0), (500, {"detail": "oops"}, 0),
                      (200, {"id": 1, "email": "lead@example.org"}, 0)]
    with client_for(server.url, retries=4) as c:
        assert c.check()["email"] == "lead@example.org"
    assert len(server.requests) == 5
    # legacy token in the Authorization header, never in the URL
    _, path, headers = server.requests[0]
    assert headers["Authorization"] == f"Token {TOKEN}"
    assert TOKEN not in path


def test_gives_up_after_retries_with_the_status(server):
    server.default = (500, {"detail": "internal"}, 0)
    with client_for(server.url, retries=2) as c, pytest.raises(LabelStudioError) as err:
        c.project(1)
    assert len(server.requests) == 3
    assert err.value.status == 500
    assert server.url in str(err.value) and "500" in str(err.value)


def test_post_is_not_repeated_after_a_500(server):
    """A 500 may mean the import happened: repeating it could import twice."""
    server.answers = [(500, {"detail": "boom"}, 0)]
    with client_for(server.url, retries=4) as c, pytest.raises(LabelStudioError):
        c.import_tasks(1, [{"data": {"record_id": "a"}}])
    assert len(server.requests) == 1  # label-studio-sdk alone would have sent it three times


def test_post_is_repeated_after_503(server):
    """503 means the server did not take the request: safe to send again."""
    server.answers = [(503, None, 0), (201, {"task_count": 1}, 0)]
    with client_for(server.url) as c:
        assert c.import_tasks(1, [])["task_count"] == 1
    assert [r[0] for r in server.requests] == ["POST", "POST"]


def test_server_down_is_one_clear_error_naming_the_url():
    url = f"http://127.0.0.1:{closed_port()}"
    started = time.monotonic()
    with client_for(url, retries=3, backoff=0.05) as c, pytest.raises(LabelStudioUnavailable) as err:
        c.check()
    msg = str(err.value)
    assert msg.startswith(f"Label Studio at {url} is unavailable")
    assert "after 4 tries" in msg and "curate label serve" in msg
    assert "\n" not in msg and TOKEN not in msg
    # exponential backoff: 0.05 + 0.1 + 0.2 (±25% jitter) between the four tries
    assert time.monotonic() - started >= 0.75 * 0.35


def test_timeout_is_an_error_naming_the_url(server):
    server.default = (200, {"ok": True}, 1.5)
    with client_for(server.url, timeout=0.3, retries=1) as c, pytest.raises(LabelStudioUnavailable) as err:
        c.project(1)
    assert "no answer within the timeout" in str(err.value)
    assert server.url in str(err.value)
    assert len(server.requests) == 2  # a GET is retried once


def test_post_timeout_is_not_retried_and_says_it_may_have_happened(server):
    server.default = (201, {}, 1.0)
    with client_for(server.url, timeout=0.2, retries=3) as c, pytest.raises(LabelStudioUnavailable) as err:
        c.create_annotation(1, [])
    time.sleep(1.0)  # let the handler finish
    assert len(server.requests) == 1
    assert "may have been applied" in str(err.value)


def test_401_names_the_token_variable_not_the_token(server):
    server.default = (401, {"detail": "Invalid token."}, 0)
    with client_for(server.url) as c, pytest.raises(LabelStudioError) as err:
        c.check()
    assert "CURATE_LS_TOKEN" in str(err.value)
    assert TOKEN not in str(err.value)
    assert len(server.requests) == 1  # not retried


def test_validation_errors_are_shown_but_quiet_bodies_are_not(server):
    server.answers = [
        (400, {"detail": "Validation error", "validation_errors": {"title": ["Ensure this field has at least 3 characters."]}}, 0),
        (400, {"detail": "task data: Jane Doe, 4111 1111 1111 1111"}, 0),
    ]
    with client_for(server.url) as c:
        with pytest.raises(LabelStudioError) as err:
            c.create_project({"title": "x"})
        assert "title: Ensure this field has at least 3 characters." in str(err.value)
        with pytest.raises(LabelStudioError) as err:
            c.import_tasks(1, [{"data": {"record_id": "r"}}])
        assert "Jane Doe" not in str(err.value) and "400" in str(err.value)


def test_token_never_logged_or_in_repr(server, caplog):
    server.answers = [(503, None, 0), (200, {"id": 1}, 0)]
    caplog.set_level(logging.DEBUG)
    with client_for(server.url) as c:
        c.check()
        assert TOKEN not in repr(c) and TOKEN not in repr(c.connection)
    assert caplog.records, "expected the retry to be logged"
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


def _jwt(kind: str, seconds: int = 3600) -> str:
    return jwt.encode({"token_type": kind, "exp": int(time.time()) + seconds}, "a key of the test, not of any server: 32 bytes or more", algorithm="HS256")


def test_personal_access_token_is_exchanged_for_a_bearer_token(server, caplog):
    pat, access = _jwt("refresh"), _jwt("access")
    server.answers = [(503, None, 0), (200, {"access": access}, 0), (200, {"id": 1}, 0)]
    caplog.set_level(logging.DEBUG)
    with LabelStudioClient(Connection(server.url, pat), backoff=0.01) as c:
        c.check()
    (m1, p1, _), (m2, p2, _), (_, p3, h3) = server.requests
    assert (m1, p1) == (m2, p2) == ("POST", "/api/token/refresh/")  # the exchange is retried too
    assert p3 == "/api/current-user/whoami" and h3["Authorization"] == f"Bearer {access}"
    assert all(pat not in r.getMessage() and access not in r.getMessage() for r in caplog.records)


def test_expired_personal_access_token_is_one_clear_error(server):
    with pytest.raises(LabelStudioError) as err:
        LabelStudioClient(Connection(server.url, _jwt("refresh", seconds=-60)))
    assert "Account & Settings" in str(err.value) and "expired" in str(err.value)
    assert not server.requests


def test_paging_follows_next(server):
    server.answers = [
        (200, {"count": 3, "next": "x", "results": [{"id": 1, "title": "a"}, {"id": 2, "title": "b"}]}, 0),
        (200, {"count": 3, "next": None, "results": [{"id": 3, "title": "c"}]}, 0),
    ]
    with client_for(server.url) as c:
        assert [p["id"] for p in c.projects()] == [1, 2, 3]


def test_tasks_paging_stops_at_total(server):
    server.answers = [
        (200, {"total": 3, "tasks": [{"id": 1}, {"id": 2}]}, 0),
        (200, {"total": 3, "tasks": [{"id": 3}]}, 0),
    ]
    with client_for(server.url) as c:
        assert [t["id"] for t in c.tasks(5, page_size=2)] == [1, 2, 3]
    assert len(server.requests) == 2


def test_tasks_paging_when_the_server_caps_the_page_size(server):
    server.answers = [
        (200, {"total": 5, "tasks": [{"id": 1}, {"id": 2}]}, 0),
        (200, {"total": 5, "tasks": [{"id": 3}, {"id": 4}]}, 0),
        (200, {"total": 5, "tasks": [{"id": 5}]}, 0),
    ]
    with client_for(server.url) as c:
        assert [t["id"] for t in c.tasks(5, page_size=500)] == [1, 2, 3, 4, 5]
    assert [parse_qs(urlsplit(r[1]).query)["page"] for r in server.requests] == [["1"], ["2"], ["3"]]


def test_export_of_some_tasks_names_them_as_the_server_reads_them(server):
    server.answers = [(200, [{"id": 7}, {"id": 9}], 0)]
    with client_for(server.url) as c:
        assert [t["id"] for t in c.export(3, ids=[7, 9])] == [7, 9]
    query = parse_qs(urlsplit(server.requests[0][1]).query)
    assert query["ids[]"] == ["7", "9"] and "ids" not in query


def test_without_the_sdk_the_cli_names_the_extra(tmp_path):
    """label-studio-sdk is the extra curate[labelstudio]: without it, one line saying so."""
    code = ("import sys; sys.modules['label_studio_sdk'] = None; "
            "sys.argv = ['curate', 'label', 'reviewers', 'list']; from curate.cli.main import main; main()")
    env = {**os.environ, "CURATE_LS_URL": "http://127.0.0.1:9", "CURATE_LS_TOKEN": TOKEN}
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=120, check=False)
    assert r.returncode == 2, r.stderr
    assert "pip install 'curate[labelstudio]'" in r.stderr and "Traceback" not in r.stderr
