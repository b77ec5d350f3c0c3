"""A local HTTP server for the API source tests: it answers on 127.0.0.1 with the response
shapes of the Zendesk and Jira REST APIs (as their documentation gives them), keeps a log
of the requests, and can be told to answer 429 (with Retry-After) or 401 first."""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    authorization: str | None
    match: tuple[str, ...] = ()


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[[Request], Reply]


class ApiServer:
    """Routes are ``(method, path regex) -> handler`` (groups in ``request.match``); ``fail_next`` queues replies sent before
    the real one (to simulate rate limits and expired credentials)."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route] = {}
        self.log: list[Request] = []
        self.fail_next: list[Reply] = []
        self.expected_auth: str | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _handle(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                req = Request(method, parts.path, parse_qs(parts.query), body, self.headers.get("Authorization"))
                server.log.append(req)
                if server.fail_next:
                    reply = server.fail_next.pop(0)
                elif server.expected_auth is not None and req.authorization != server.expected_auth:
                    reply = Reply(401, {"error": "Couldn't authenticate you"})
                else:
                    reply = Reply(404, {"error": "RecordNotFound"})
                    for (m, pattern), route in server.routes.items():
                        found = re.fullmatch(pattern, parts.path)
                        if m == method and found:
                            req.match = found.groups()
                            reply = route(req)
                            break
                data = json.dumps(reply.body).encode() if reply.body is not None else b""
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, method: str, path: str) -> Callable[[Route], Route]:
        def deco(fn: Route) -> Route:
            self.routes[(method, path)] = fn
            return fn

        return deco

    def start(self) -> ApiServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.log if r.path == path]


def basic(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()
