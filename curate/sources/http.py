"""The HTTP client of the API sources (Zendesk, Jira): credentials from environment
variables only, ``429`` answered by waiting ``Retry-After`` and trying again, ``5xx`` and
network errors retried with backoff (the policy of :mod:`curate.retry`), ``401``/``403`` turned into one clear error that names
the URL and the environment variable (never the secret)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

import httpx

from curate import __version__
from curate.errors import ConfigError, CurateError
from curate.retry import RetryPolicy, Verdict, WaitTooLong

log = logging.getLogger("curate.sources.http")


class ApiError(CurateError):
    """An API answered in a way the build cannot go on from."""


def env_secret(var: str, what: str) -> str:
    """The value of environment variable ``var``; a ConfigError naming it when unset."""
    value = os.environ.get(var)
    if not value:
        raise ConfigError(f"{what}: environment variable {var} is not set (it holds the credential; curate never reads secrets from the config file)")
    return value


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

        def attempt() -> Verdict:
            try:
                self.requests += 1
                resp = self.client.request(method, url, params=params, json=json)
            except httpx.TransportError as exc:
                return Verdict(True, type(exc).__name__, value=exc)
            status = resp.status_code
            if status in (401, 403):
                what = "rejected the credentials" if status == 401 else "refused access (the account lacks permission)"
                raise ApiError(f"{shown}: HTTP {status}: the server {what}; check {self.credential_hint}")
            if status == 429 or status == 503 and "retry-after" in resp.headers:
                return Verdict(True, f"HTTP {status}, Retry-After", resp.headers.get("retry-after"), resp)
            if status >= 500:
                return Verdict(True, f"HTTP {status}", value=resp)
            return Verdict(False, value=resp)

        policy = RetryPolicy(tries=self.max_retries + 1, backoff=2.0, max_backoff=60.0, max_wait=self.max_wait,
                             sleep=self._wait, logger=log)
        try:
            verdict = policy.run(attempt)
        except WaitTooLong as exc:
            raise ApiError(f"{shown}: rate limited; the server asks to wait {exc.seconds:.0f} s, more than the "
                           f"{self.max_wait:.0f} s allowed") from None
        tries = self.max_retries + 1
        if isinstance(verdict.value, httpx.TransportError):
            raise ApiError(f"{shown}: no answer after {tries} tries ({type(verdict.value).__name__})")
        resp = verdict.value
        status = resp.status_code
        if verdict.retry:  # the tries ran out
            if verdict.retry_after is not None or status == 429:
                raise ApiError(f"{shown}: still rate limited (HTTP {status}) after {tries} tries")
            raise ApiError(f"{shown}: HTTP {status} after {tries} tries")
        if status >= 400:
            raise ApiError(f"{shown}: HTTP {status}{_error_summary(resp)}")
        try:
            return resp.json()
        except ValueError:
            raise ApiError(f"{shown}: the answer is not JSON (HTTP {status}, {resp.headers.get('content-type', 'no content type')})") from None

    def _wait(self, seconds: float) -> None:
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
