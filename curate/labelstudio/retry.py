"""Retries for every request curate sends to Label Studio, as an httpx transport.

label-studio-sdk sends its requests through an httpx client that curate gives it; this
transport sits under that client, so the SDK's calls (and its token refresh) all get the
same rules:

- connection errors are always retried: the request never reached the server;
- timeouts, broken connections and 429/5xx answers are retried for requests that are safe
  to repeat (GET, PATCH, DELETE, the token refresh);
- a POST that may have reached the server (a timeout, a 500) is *not* repeated: an import
  repeated blindly could import twice. Only 429, 502 and 503, where the server certainly
  did not act, are retried;
- exponential backoff with jitter, honouring ``Retry-After`` up to a minute (the policy
  and its loop: :mod:`curate.retry`, on tenacity; a longer ask returns the server's answer);
- when the tries run out, one :class:`LabelStudioUnavailable` naming the URL, never the
  token (it travels in a header that no message or log line shows).

The SDK's own retries are switched off (``max_retries=0``): it repeats POSTs after a 500.
The body is read here, inside the retry loop, so a timeout while reading an answer is
retried like any other.
"""

from __future__ import annotations

import logging
import time

import httpx

from curate.labelstudio.errors import LabelStudioUnavailable
from curate.retry import RetryPolicy, Verdict, WaitTooLong

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
#: Statuses where the server certainly did not act on the request (safe to repeat a POST).
NOT_PROCESSED_STATUS = frozenset({429, 502, 503})
#: POSTs without side effects: exchanging a personal access token for an access token.
SAFE_POSTS = frozenset({"/api/token/refresh/"})

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout)
_MAYBE_SENT = (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout, httpx.RemoteProtocolError,
               httpx.ReadError, httpx.WriteError)


class RetryTransport(httpx.BaseTransport):
    def __init__(
        self, url: str, inner: httpx.BaseTransport | None = None, *, retries: int = 4,
        backoff: float = 0.5, max_backoff: float = 8.0, max_wait: float = 60.0,
    ):
        self.url = url
        self.inner = inner or httpx.HTTPTransport()
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_wait = max_wait

    def close(self) -> None:
        self.inner.close()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        method, path = request.method.upper(), request.url.path
        safe = method != "POST" or path in SAFE_POSTS
        tries = 0

        def attempt() -> Verdict:
            nonlocal tries
            tries += 1
            try:
                response = self.inner.handle_request(request)
                try:
                    response.read()
                finally:
                    response.close()
            except _NOT_SENT as exc:
                return Verdict(True, f"{type(exc).__name__} on {method} {path}", value=exc)
            except _MAYBE_SENT as exc:
                if not safe:
                    raise unavailable(self.url, exc, tries, sent=True) from None
                return Verdict(True, f"{type(exc).__name__} on {method} {path}", value=exc)
            status = response.status_code
            retryable = status in (RETRY_STATUS if safe else NOT_PROCESSED_STATUS)
            return Verdict(retryable, f"Label Studio answered {status} to {method} {path}",
                           response.headers.get("Retry-After"), response)

        policy = RetryPolicy(tries=self.retries + 1, backoff=self.backoff, max_backoff=self.max_backoff,
                             max_wait=self.max_wait, sleep=time.sleep, logger=log)
        try:
            verdict = policy.run(attempt)
        except WaitTooLong as exc:
            return exc.verdict.value  # the server's own answer: the SDK reports it
        if isinstance(verdict.value, Exception):
            raise unavailable(self.url, verdict.value, tries) from None
        return verdict.value


def unavailable(url: str, exc: Exception, tries: int, sent: bool = False) -> LabelStudioUnavailable:
    """One line saying why ``url`` could not be reached."""
    if isinstance(exc, _NOT_SENT):
        why = "connection refused or host unreachable" if isinstance(exc, httpx.ConnectError) else "connection timed out"
        hint = "; is the server running? (`curate label serve` starts a local one)"
    elif isinstance(exc, httpx.TimeoutException):
        why, hint = "no answer within the timeout", ""
    else:
        why, hint = f"connection broken ({type(exc).__name__})", ""
    tried = f" after {tries} tries" if tries > 1 else ""
    note = " (the request may have been applied; running the command again is safe)" if sent else ""
    return LabelStudioUnavailable(f"Label Studio at {url} is unavailable: {why}{tried}{hint}{note}")
