"""The one retry policy of curate's HTTP clients, on tenacity.

Both clients that talk to servers curate does not run (the API sources in
:mod:`curate.sources.http`, Label Studio in :mod:`curate.labelstudio.retry`) decide
*whether* an outcome may be tried again by their own rules (which statuses, whether a POST
may have reached the server); *how* they wait and when they give up is this module's:

- exponential backoff from ``backoff`` seconds, capped at ``max_backoff``, with jitter
  (0.75x to 1.25x) so that many clients do not retry in step;
- a server's ``Retry-After`` (seconds or an HTTP date) is honoured as it is, up to
  ``max_wait``; a server asking for more than ``max_wait`` is an error the caller words
  (:class:`WaitTooLong`);
- at most ``tries`` tries in all;
- each wait is logged (what was retried and why, never a URL's query or a credential).

tenacity does the loop (``Retrying``: stop, wait and retry strategies, an injectable
``sleep`` that the tests record); curate keeps only the classification of an outcome.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import tenacity

T = TypeVar("T")

__all__ = ["RetryPolicy", "Verdict", "WaitTooLong", "retry_after_seconds"]


def retry_after_seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header as seconds from now: a number or an HTTP date; None when
    absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


class WaitTooLong(Exception):
    """The server asks to wait longer than the policy allows."""

    def __init__(self, seconds: float, verdict: Verdict):
        super().__init__(f"asked to wait {seconds:.0f} s")
        self.seconds = seconds
        self.verdict = verdict


@dataclass
class Verdict:
    """What the caller's classifier says of one try.

    ``retry``: try again (within the policy); ``why``: the log line's reason;
    ``retry_after``: the server's ``Retry-After`` header, if any; ``value``: what the try
    returned (handed back when no retry is left or wanted)."""

    retry: bool
    why: str = ""
    retry_after: str | None = None
    value: Any = None


@dataclass
class RetryPolicy:
    tries: int = 5
    backoff: float = 0.5
    max_backoff: float = 8.0
    #: the longest ``Retry-After`` honoured; longer raises :class:`WaitTooLong`
    max_wait: float = 300.0
    sleep: Callable[[float], None] = time.sleep
    logger: logging.Logger | None = None

    def backoff_for(self, attempt: int, retry_after: str | None = None) -> float:
        """The wait after try number ``attempt`` (1-based)."""
        asked = retry_after_seconds(retry_after)
        if asked is not None:
            return asked  # the server said how long; no more, no less
        delay = min(self.max_backoff, self.backoff * (2 ** (attempt - 1)))
        return delay * (0.75 + random.random() / 2)

    def run(self, attempt: Callable[[], Verdict]) -> Verdict:
        """Call ``attempt`` until its verdict says not to retry or the tries run out; the
        last verdict is returned (its ``retry`` true when the tries ran out). Exceptions
        ``attempt`` raises propagate at once: the classifier turns retryable ones into
        verdicts."""
        log = self.logger or logging.getLogger("curate.retry")

        def wait(state: tenacity.RetryCallState) -> float:
            verdict: Verdict = state.outcome.result()  # type: ignore[union-attr]
            delay = self.backoff_for(state.attempt_number, verdict.retry_after)
            asked = retry_after_seconds(verdict.retry_after)
            if asked is not None and asked > self.max_wait:
                raise WaitTooLong(asked, verdict)
            return delay

        def before_sleep(state: tenacity.RetryCallState) -> None:
            verdict: Verdict = state.outcome.result()  # type: ignore[union-attr]
            seconds = state.next_action.sleep if state.next_action else 0.0  # type: ignore[union-attr]
            log.info("waiting %.1f s before retrying (%s)", seconds, verdict.why)

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(max(1, self.tries)),
            wait=wait,
            retry=tenacity.retry_if_result(lambda v: v.retry),
            before_sleep=before_sleep,
            sleep=self.sleep,
            retry_error_callback=lambda state: state.outcome.result(),  # type: ignore[union-attr]
            reraise=True,
        )
        return retrying(attempt)
