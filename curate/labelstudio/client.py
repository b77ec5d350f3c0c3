"""A small Label Studio REST client over httpx: timeouts, retries with backoff, one clear
error per failure, and a token that never appears in a message, a log line or a repr.

Only the endpoints curate needs are wrapped. Label Studio's own SDK is not used: it pins
old versions of common packages and weighs ~500 MB.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from curate.errors import CurateError

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
#: Statuses where the server certainly did not act on the request (safe to repeat a POST).
NOT_PROCESSED_STATUS = frozenset({429, 502, 503})


class LabelStudioError(CurateError):
    """Label Studio refused a request or could not be reached."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class LabelStudioUnavailable(LabelStudioError):
    """The server could not be reached (down, refusing, timing out)."""


@dataclass(frozen=True)
class Connection:
    """Where a Label Studio server is and how to authenticate. The token is kept out of
    ``repr`` so it cannot leak through a log line or a traceback."""

    url: str
    token: str = field(repr=False)
    source: str = "env"  # env | config | local

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", self.url.rstrip("/"))


def _is_jwt(token: str) -> bool:
    parts = token.split(".")
    return len(parts) == 3 and all(parts) and token.startswith("ey")


class LabelStudioClient:
    """``request()`` plus the handful of calls curate makes.

    Retries: connection errors, timeouts and 5xx/429 answers are retried with exponential
    backoff and jitter (``retries`` times). A POST is repeated only when the server cannot
    have acted on it (no connection, 429/502/503), so an import is never doubled by a retry.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        timeout: float = 30.0,
        connect_timeout: float = 5.0,
        retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        transport: httpx.BaseTransport | None = None,
    ):
        self.connection = connection
        self.url = connection.url
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._timeout = httpx.Timeout(timeout, connect=connect_timeout)
        self._access: str | None = None
        self._http = httpx.Client(
            base_url=self.url, timeout=self._timeout, transport=transport, follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": "curate-labelstudio"},
        )

    def __repr__(self) -> str:
        return f"LabelStudioClient(url={self.url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> LabelStudioClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- auth --------------------------------------------------------------------------
    def _auth_header(self, refresh: bool = False) -> dict[str, str]:
        token = self.connection.token
        if not token:
            raise LabelStudioError(f"no API token for Label Studio at {self.url}: set CURATE_LS_TOKEN")
        if not _is_jwt(token):
            return {"Authorization": f"Token {token}"}
        # a personal access token is a JWT refresh token: trade it for an access token
        if self._access is None or refresh:
            r = self._send("POST", "/api/token/refresh/", json={"refresh": token}, headers={}, retry_post=True)
            if r.status_code != 200:
                raise LabelStudioError(
                    f"Label Studio at {self.url} rejected the access token ({r.status_code}); "
                    "create a new one under Account & Settings", status=r.status_code,
                )
            self._access = r.json().get("access")
        return {"Authorization": f"Bearer {self._access}"}

    # -- transport ---------------------------------------------------------------------
    def _sleep(self, attempt: int, retry_after: str | None = None) -> None:
        delay = min(self.max_backoff, self.backoff * (2 ** attempt))
        if retry_after:
            try:
                delay = min(self.max_backoff, max(delay, float(retry_after)))
            except ValueError:
                pass
        time.sleep(delay * (0.75 + random.random() / 2))

    def _send(
        self, method: str, path: str, *, headers: dict[str, str], retry_post: bool = False,
        timeout: float | None = None, **kwargs: Any,
    ) -> httpx.Response:
        safe = method.upper() != "POST" or retry_post
        last_exc: Exception | None = None
        for attempt in range(self.retries + 1):
            try:
                r = self._http.request(
                    method, path, headers=headers,
                    timeout=httpx.Timeout(timeout, connect=self._timeout.connect) if timeout else self._timeout,
                    **kwargs,
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                last_exc = exc  # never reached the server: always safe to repeat
            except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout, httpx.RemoteProtocolError,
                    httpx.ReadError, httpx.WriteError) as exc:
                last_exc = exc
                if not safe:
                    raise self._unavailable(method, path, exc, attempt + 1, sent=True) from None
            else:
                retryable = r.status_code in (RETRY_STATUS if safe else NOT_PROCESSED_STATUS)
                if not retryable or attempt == self.retries:
                    return r
                log.info("Label Studio answered %s to %s %s; retrying", r.status_code, method, path)
                self._sleep(attempt, r.headers.get("Retry-After"))
                continue
            if attempt < self.retries:
                log.info("Label Studio at %s: %s on %s %s; retrying", self.url, type(last_exc).__name__, method, path)
                self._sleep(attempt)
        assert last_exc is not None
        raise self._unavailable(method, path, last_exc, self.retries + 1)

    def _unavailable(self, method: str, path: str, exc: Exception, tries: int, sent: bool = False) -> LabelStudioUnavailable:
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
            why = "connection refused or host unreachable" if isinstance(exc, httpx.ConnectError) else "connection timed out"
            hint = "; is the server running? (`curate label serve` starts a local one)"
        elif isinstance(exc, httpx.TimeoutException):
            why, hint = "no answer within the timeout", ""
        else:
            why, hint = f"connection broken ({type(exc).__name__})", ""
        tried = f" after {tries} tries" if tries > 1 else ""
        note = " (the request may have been applied; running the command again is safe)" if sent else ""
        return LabelStudioUnavailable(f"Label Studio at {self.url} is unavailable: {why}{tried}{hint}{note}")

    def request(
        self, method: str, path: str, *, json: Any = None, params: Any = None,
        data: dict[str, Any] | None = None, ok: tuple[int, ...] = (200, 201, 204), retry_post: bool = False,
        timeout: float | None = None, quiet_body: bool = False,
    ) -> Any:
        """Send a request and return the decoded JSON (None for an empty body).

        ``quiet_body``: leave the server's answer out of error messages (it may quote task
        data, which can hold personal information)."""
        headers = self._auth_header()
        kwargs: dict[str, Any] = {"params": params}
        if json is not None:
            kwargs["json"] = json
        if data is not None:
            kwargs["data"] = data
        r = self._send(method, path, headers=headers, retry_post=retry_post, timeout=timeout, **kwargs)
        if r.status_code == 401 and _is_jwt(self.connection.token):
            headers = self._auth_header(refresh=True)
            r = self._send(method, path, headers=headers, retry_post=retry_post, timeout=timeout, **kwargs)
        if r.status_code not in ok:
            raise self._error(method, path, r, quiet_body)
        if not r.content:
            return None
        try:
            return r.json()
        except ValueError:
            raise LabelStudioError(
                f"Label Studio at {self.url}: {method} {path} answered {r.status_code} with a body that is not JSON"
                " (is this URL a Label Studio server?)", status=r.status_code,
            ) from None

    def _error(self, method: str, path: str, r: httpx.Response, quiet_body: bool) -> LabelStudioError:
        code = r.status_code
        if code == 401:
            return LabelStudioError(
                f"Label Studio at {self.url} rejected the API token (401); check CURATE_LS_TOKEN "
                "(a legacy token or a personal access token from Account & Settings)", status=code,
            )
        if code == 403:
            return LabelStudioError(
                f"Label Studio at {self.url}: {method} {path} is not allowed for this user (403)", status=code
            )
        detail = ""
        if not quiet_body:
            try:
                body = r.json()
                parts = [body.get("detail") or body.get("message") or ""]
                errors = body.get("validation_errors")
                if isinstance(errors, dict):
                    parts += [f"{k}: {'; '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in errors.items()]
                elif errors:
                    parts.append(str(errors))
                detail = " — ".join(str(p) for p in parts if p)
            except (ValueError, AttributeError):
                detail = ""
            detail = " ".join(detail.split())[:300]
        return LabelStudioError(
            f"Label Studio at {self.url}: {method} {path} failed with {code}" + (f": {detail}" if detail else ""),
            status=code,
        )

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.request("POST", path, json=json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.request("PATCH", path, json=json, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw)

    # -- endpoints ---------------------------------------------------------------------
    def check(self) -> dict[str, Any]:
        """Who the token belongs to; fails clearly when the server is down or the token bad."""
        return self.get("/api/current-user/whoami")

    def version(self) -> str | None:
        try:
            return (self.get("/api/version") or {}).get("release")
        except LabelStudioError:
            return None

    def projects(self) -> list[dict[str, Any]]:
        return list(self._pages("/api/projects/", {}))

    def project(self, project_id: int) -> dict[str, Any]:
        return self.get(f"/api/projects/{project_id}/")

    def create_project(self, settings: dict[str, Any]) -> dict[str, Any]:
        return self.post("/api/projects/", json=settings)

    def update_project(self, project_id: int, settings: dict[str, Any]) -> dict[str, Any]:
        return self.patch(f"/api/projects/{project_id}/", json=settings)

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> dict[str, Any]:
        return self.post(
            f"/api/projects/{project_id}/import", json=tasks, params={"return_task_ids": "true"},
            timeout=300.0, quiet_body=True,
        )

    def tasks(self, project_id: int, fields: str = "task_only", page_size: int = 500) -> Iterator[dict[str, Any]]:
        """Every task of a project (``fields="all"`` includes annotations)."""
        yield from self._pages("/api/tasks/", {"project": project_id, "fields": fields}, page_size, key="tasks")

    def export(self, project_id: int, ids: list[int] | None = None) -> list[dict[str, Any]]:
        """Tasks with their annotations, in Label Studio's JSON export format: all of them,
        or those with the given ids."""
        params: list[tuple[str, Any]] = [("exportType", "JSON"), ("download_all_tasks", "true")]
        params += [("ids[]", int(i)) for i in ids or []]
        out = self.get(f"/api/projects/{project_id}/export", params=params, timeout=600.0, quiet_body=True)
        if not isinstance(out, list):
            raise LabelStudioError(f"Label Studio at {self.url}: the export of project {project_id} is not a list")
        return out

    def next_task(self, project_id: int) -> dict[str, Any] | None:
        """The next task for the token's user, as the labeling stream hands it out."""
        try:
            return self.get(f"/api/projects/{project_id}/next/")
        except LabelStudioError as exc:
            if exc.status == 404:
                return None
            raise

    def create_annotation(self, task_id: int, result: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return self.post(f"/api/tasks/{task_id}/annotations/", json={"result": result, **extra}, quiet_body=True)

    def users(self) -> list[dict[str, Any]]:
        return list(self._pages("/api/users/", {}))

    def invite_link(self) -> str:
        """The organization's invite path (``/user/signup/?token=...``)."""
        out = self.get("/api/invite") or {}
        return out.get("invite_url") or ""

    def _pages(self, path: str, params: dict[str, Any], page_size: int = 100, key: str | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list. Counts what arrived rather than trusting the
        page size: a server may cap it (TASK_API_PAGE_SIZE_MAX)."""
        page, seen = 1, 0
        while True:
            try:
                body = self.get(path, params={**params, "page": page, "page_size": page_size})
            except LabelStudioError as exc:
                if exc.status == 404 and page > 1:
                    return  # past the last page
                raise
            if isinstance(body, list):
                yield from body
                return
            items = (body.get(key) if key else body.get("results")) or []
            yield from items
            seen += len(items)
            total = body.get("total") if key == "tasks" else body.get("count")
            if not items or (total is not None and seen >= total) or (key != "tasks" and not body.get("next")):
                return
            page += 1
