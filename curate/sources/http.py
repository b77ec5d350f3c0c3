"""The HTTP client of the API sources (Zendesk, Jira): credentials from environment
variables only, ``429`` answered by waiting ``Retry-After`` and trying again, ``5xx`` and
network errors retried with backoff, ``401``/``403`` turned into one clear error that names
the URL and the environment variable (never the secret)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from curate import __version__
from curate.errors import ConfigError, CurateError

log = logging.getLogger("curate.sources.http")


class ApiError(CurateError):
    """An API answered in a way the build cannot go on from."""


def env_secret(var: str, what: str) -> str:
    """The value of environment variable ``var``; a ConfigError naming it when unset."""
    value = os.environ.get(var)
    if not value:
        raise ConfigError(f"{what}: environment variable {var} is not set (it holds the credential; curate never reads secrets from the config file)")
    return value


def _retry_after(value: str | None, default: float) -> float:
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError):
        return default


class ApiClient:
    """A small synchronous JSON client with the retry rules above."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
        headers: dict[str, str] | None = None,
        credential_hint: str,
        timeout: float = 60.0,
        max_retries: int = 5,
        max_wait: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        self.credential_hint = credential_hint
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.sleep = sleep
        self.requests = 0
        self.waited = 0.0
        self.client = httpx.Client(
            auth=auth,
            headers={"Accept": "application/json", "User-Agent": f"curate/{__version__}", **(headers or {})},
            timeout=timeout,
            follow_redirects=True,
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    def get_json(self, path_or_url: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path_or_url, params=params)

    def request(self, method: str, path_or_url: str, params: dict[str, Any] | None = None, json: Any = None) -> Any:
        url = self.url(path_or_url)
        shown = url.split("?", 1)[0]
        attempt = 0
        while True:
            attempt += 1
            try:
                self.requests += 1
                resp = self.client.request(method, url, params=params, json=json)
            except httpx.TransportError as exc:
                if attempt > self.max_retries:
                    raise ApiError(f"{shown}: no answer after {attempt} tries ({type(exc).__name__})") from None
                self._wait(min(2.0 ** attempt, 60.0), f"{type(exc).__name__}")
                continue
            status = resp.status_code
            if status in (401, 403):
                what = "rejected the credentials" if status == 401 else "refused access (the account lacks permission)"
                raise ApiError(f"{shown}: HTTP {status}: the server {what}; check {self.credential_hint}")
            if status == 429 or status == 503 and "retry-after" in resp.headers:
                if attempt > self.max_retries:
                    raise ApiError(f"{shown}: still rate limited (HTTP {status}) after {attempt} tries")
                wait = _retry_after(resp.headers.get("retry-after"), 60.0)
                if wait > self.max_wait:
                    raise ApiError(f"{shown}: rate limited; the server asks to wait {wait:.0f} s, more than the {self.max_wait:.0f} s allowed")
                self._wait(wait, f"HTTP {status}, Retry-After")
                continue
            if status >= 500:
                if attempt > self.max_retries:
                    raise ApiError(f"{shown}: HTTP {status} after {attempt} tries")
                self._wait(min(2.0 ** attempt, 60.0), f"HTTP {status}")
                continue
            if status >= 400:
                raise ApiError(f"{shown}: HTTP {status}{_error_summary(resp)}")
            try:
                return resp.json()
            except ValueError:
                raise ApiError(f"{shown}: the answer is not JSON (HTTP {status}, {resp.headers.get('content-type', 'no content type')})") from None

    def _wait(self, seconds: float, why: str) -> None:
        log.info("waiting %.1f s before retrying (%s)", seconds, why)
        self.waited += seconds
        self.sleep(seconds)


def _error_summary(resp: httpx.Response) -> str:
    """A short, text-free summary of an API error body (its error code names, no values)."""
    try:
        body = resp.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        for key in ("error", "errorMessages", "title"):
            val = body.get(key)
            if isinstance(val, str) and len(val) < 80:
                return f" ({val})"
            if isinstance(val, list) and val and isinstance(val[0], str) and len(val[0]) < 120:
                return f" ({val[0]})"
    return ""
