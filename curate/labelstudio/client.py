"""curate's Label Studio client: the calls curate makes, on label-studio-sdk's
``LabelStudio`` client (extra ``curate[labelstudio]``), with curate's guarantees kept:

- retries with backoff on connection errors, timeouts, 429 and 5xx, and never a blind
  repeat of an import (``retry.RetryTransport``, under the SDK's httpx client; the SDK's
  own retries are off because they repeat POSTs after a 500);
- paging that counts what arrived rather than trusting the page size (a server may cap it);
- one clear error per failure, naming the URL and never the token, and never quoting an
  answer that may hold task data where ``quiet_body`` says so;
- a token that appears in no message, log line or repr (the SDK's logger stays silent).

The SDK is imported when a client is made, so the modules that only read a run's labels
(decisions, export) work without it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from curate.errors import MissingExtraError
from curate.labelstudio.errors import LabelStudioError, LabelStudioUnavailable
from curate.labelstudio.retry import RetryTransport, unavailable

__all__ = ["Connection", "LabelStudioClient", "LabelStudioError", "LabelStudioUnavailable", "load_sdk"]

EXTRA = "labelstudio"


@dataclass(frozen=True)
class Connection:
    """Where a Label Studio server is and how to authenticate. The token is kept out of
    ``repr`` so it cannot leak through a log line or a traceback. ``public_url`` is the
    address people open in a browser (a reverse proxy, the machine's name) when it differs
    from the one curate talks to."""

    url: str
    token: str = field(repr=False)
    source: str = "env"  # env | config | local
    public_url: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", self.url.rstrip("/"))
        if self.public_url:
            object.__setattr__(self, "public_url", self.public_url.rstrip("/"))

    @property
    def browser_url(self) -> str:
        return self.public_url or self.url


def load_sdk(what: str = "talking to Label Studio"):
    """The ``label_studio_sdk`` module, or a one-line error naming the extra to install."""
    try:
        import label_studio_sdk
    except ImportError:
        raise MissingExtraError("label-studio-sdk", EXTRA, what) from None
    return label_studio_sdk


def _plain(obj: Any) -> Any:
    """An SDK model as the JSON the server sent (field names as on the wire)."""
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(obj, list):
        return [_plain(x) for x in obj]
    return obj


class LabelStudioClient:
    """The handful of Label Studio calls curate makes, through label-studio-sdk."""

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
        sdk = load_sdk()
        from label_studio_sdk.core.api_error import ApiError

        self._api_error = ApiError
        self.connection = connection
        self.url = connection.url
        if not connection.token:
            raise LabelStudioError(f"no API token for Label Studio at {self.url}: set CURATE_LS_TOKEN")
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=connect_timeout), follow_redirects=False,
            transport=RetryTransport(self.url, transport, retries=retries, backoff=backoff, max_backoff=max_backoff),
        )
        try:
            # a personal access token (JWT) is checked here: expired, or without an expiry
            self.sdk = sdk.LabelStudio(base_url=self.url, api_key=connection.token, httpx_client=self._http,
                                       max_retries=0, headers={"User-Agent": "curate-labelstudio"})
        except ApiError as exc:
            self._http.close()
            raise LabelStudioError(
                f"Label Studio at {self.url}: the access token cannot be used "
                f"({_detail(exc.body) or 'not valid'}); create a new one under Account & Settings",
                status=exc.status_code,
            ) from None

    def __repr__(self) -> str:
        return f"LabelStudioClient(url={self.url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> LabelStudioClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- errors ----------------------------------------------------------------------------
    def _call(self, method: str, path: str, fn: Callable[..., Any], *args: Any, quiet_body: bool = False, **kw: Any) -> Any:
        """Run one SDK call; its failures become one LabelStudioError naming the URL.

        ``quiet_body``: leave the server's answer out of the message (it may quote task
        data, which can hold personal information)."""
        try:
            return fn(*args, **kw)
        except self._api_error as exc:
            raise self._error(method, path, exc.status_code, exc.body, quiet_body) from None
        except httpx.HTTPError as exc:  # a body that broke off while streaming
            raise unavailable(self.url, exc, 1, sent=method == "POST") from None

    def _error(self, method: str, path: str, code: int | None, body: Any, quiet_body: bool) -> LabelStudioError:
        if code == 401:
            return LabelStudioError(
                f"Label Studio at {self.url} rejected the API token (401); check CURATE_LS_TOKEN "
                "(a legacy token or a personal access token from Account & Settings)", status=code,
            )
        if code == 403:
            return LabelStudioError(
                f"Label Studio at {self.url}: {method} {path} is not allowed for this user (403)", status=code
            )
        if code is not None and 200 <= code < 300:
            return LabelStudioError(
                f"Label Studio at {self.url}: {method} {path} answered {code} with a body that is not JSON"
                " (is this URL a Label Studio server?)", status=code,
            )
        detail = "" if quiet_body else _detail(body)
        return LabelStudioError(
            f"Label Studio at {self.url}: {method} {path} failed with {code}" + (f": {detail}" if detail else ""),
            status=code,
        )

    # -- calls -----------------------------------------------------------------------------
    def check(self) -> dict[str, Any]:
        """Who the token belongs to; fails clearly when the server is down or the token bad."""
        return _plain(self._call("GET", "/api/current-user/whoami", self.sdk.users.whoami))

    def projects(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            try:
                pager = self._call("GET", "/api/projects/", self.sdk.projects.list, page=page, page_size=100)
            except LabelStudioError as exc:
                if exc.status == 404 and page > 1:
                    return out  # past the last page
                raise
            items = _plain(pager.items or [])
            out += items
            if not items or not getattr(pager.response, "next", None):
                return out
            page += 1

    def project(self, project_id: int) -> dict[str, Any]:
        return _plain(self._call("GET", f"/api/projects/{project_id}/", self.sdk.projects.get, project_id))

    def create_project(self, settings: dict[str, Any]) -> dict[str, Any]:
        return _plain(self._call("POST", "/api/projects/", self.sdk.projects.create, **settings))

    def update_project(self, project_id: int, settings: dict[str, Any]) -> dict[str, Any]:
        return _plain(self._call("PATCH", f"/api/projects/{project_id}/", self.sdk.projects.update, project_id, **settings))

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> dict[str, Any]:
        return _plain(self._call(
            "POST", f"/api/projects/{project_id}/import", self.sdk.projects.import_tasks, project_id,
            request=tasks, return_task_ids=True, request_options={"timeout_in_seconds": 300}, quiet_body=True,
        ))

    def tasks(self, project_id: int, fields: str = "task_only", page_size: int = 500) -> Iterator[dict[str, Any]]:
        """Every task of a project (``fields="all"`` includes annotations and predictions).

        Pages are counted against the total the server reports, not against the page size
        asked for: a server may cap it (TASK_API_PAGE_SIZE_MAX)."""
        page, seen = 1, 0
        while True:
            try:
                pager = self._call("GET", "/api/tasks/", self.sdk.tasks.list, project=project_id, fields=fields,
                                   page=page, page_size=page_size, quiet_body=True)
            except LabelStudioError as exc:
                if exc.status == 404 and page > 1:
                    return  # past the last page
                raise
            items = _plain(pager.items or [])
            yield from items
            seen += len(items)
            total = getattr(pager.response, "total", None)
            if not items or (total is not None and seen >= total):
                return
            page += 1

    def update_task(self, task_id: int, **fields: Any) -> dict[str, Any]:
        return _plain(self._call("PATCH", f"/api/tasks/{task_id}/", self.sdk.tasks.update, str(task_id), **fields,
                                 quiet_body=True))

    def export(self, project_id: int, ids: list[int] | None = None) -> list[dict[str, Any]]:
        """Tasks with their annotations and predictions, in Label Studio's JSON export
        format, as the server sent them: all of them, or those with the given ids."""
        # the server reads the ids from ``ids[]``; the SDK's ``ids`` argument sends ``ids``,
        # which it ignores (every task would come back)
        extra = {"additional_query_parameters": {"ids[]": [int(i) for i in ids]}} if ids else {}

        def fetch() -> bytes:
            return b"".join(self.sdk.projects.exports.download_sync(
                project_id, export_type="JSON", download_all_tasks=True,
                request_options={"timeout_in_seconds": 600, **extra},
            ))

        raw = self._call("GET", f"/api/projects/{project_id}/export", fetch, quiet_body=True)
        try:
            out = json.loads(raw)
        except ValueError:
            out = None
        if not isinstance(out, list):
            raise LabelStudioError(f"Label Studio at {self.url}: the export of project {project_id} is not a list")
        return out

    def create_annotation(self, task_id: int, result: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return _plain(self._call("POST", f"/api/tasks/{task_id}/annotations/", self.sdk.annotations.create,
                                 task_id, result=result, **extra, quiet_body=True))

    def create_prediction(self, task_id: int, result: list[dict[str, Any]], model_version: str) -> dict[str, Any]:
        return _plain(self._call("POST", "/api/predictions/", self.sdk.predictions.create, task=task_id,
                                 result=result, model_version=model_version, quiet_body=True))

    def users(self) -> list[dict[str, Any]]:
        return _plain(self._call("GET", "/api/users/", self.sdk.users.list))

    def invite_link(self) -> str:
        """The organization's invite path (``/user/signup/?token=...``)."""
        out = self._call("GET", "/api/invite", self.sdk.organizations.invites.get_invite_link)
        return getattr(out, "invite_url", None) or ""


def _detail(body: Any) -> str:
    """The reason in an error answer, on one line (Label Studio's ``detail`` and
    ``validation_errors``)."""
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return ""
    if not isinstance(body, dict):
        return ""
    parts = [body.get("detail") or body.get("message") or ""]
    errors = body.get("validation_errors")
    if isinstance(errors, dict):
        parts += [f"{k}: {'; '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in errors.items()]
    elif errors:
        parts.append(str(errors))
    detail = " — ".join(str(p) for p in parts if p)
    return " ".join(detail.split())[:300]
