"""The shared retry policy (curate/retry.py, on tenacity): how long it waits, when it gives
up, and that a server's Retry-After is honoured or refused as too long."""

from __future__ import annotations

import logging

import pytest

from curate.retry import RetryPolicy, Verdict, WaitTooLong, retry_after_seconds


def outcomes(*verdicts: Verdict):
    it = iter(verdicts)
    calls = []

    def attempt() -> Verdict:
        calls.append(1)
        return next(it)

    return attempt, calls


def test_backoff_grows_is_capped_and_jittered():
    waits: list[float] = []
    policy = RetryPolicy(tries=6, backoff=1.0, max_backoff=4.0, sleep=waits.append)
    attempt, calls = outcomes(*[Verdict(True, "HTTP 502")] * 5, Verdict(False, value="ok"))
    assert policy.run(attempt).value == "ok"
    assert len(calls) == 6 and len(waits) == 5
    for w, base in zip(waits, [1, 2, 4, 4, 4]):
        assert 0.75 * base <= w <= 1.25 * base


def test_gives_up_after_the_tries_and_hands_back_the_last_outcome():
    waits: list[float] = []
    policy = RetryPolicy(tries=3, sleep=waits.append)
    attempt, calls = outcomes(Verdict(True, "a", value=1), Verdict(True, "b", value=2), Verdict(True, "c", value=3))
    last = policy.run(attempt)
    assert last.retry and last.value == 3 and len(calls) == 3 and len(waits) == 2


def test_retry_after_is_honoured_exactly_and_a_long_one_refused(caplog):
    waits: list[float] = []
    policy = RetryPolicy(tries=3, max_wait=10, sleep=waits.append, logger=logging.getLogger("t.retry"))
    attempt, _ = outcomes(Verdict(True, "HTTP 429, Retry-After", "2"), Verdict(False, value="ok"))
    with caplog.at_level(logging.INFO, logger="t.retry"):
        assert policy.run(attempt).value == "ok"
    assert waits == [2.0]
    assert "waiting 2.0 s before retrying (HTTP 429, Retry-After)" in caplog.text
    attempt, calls = outcomes(Verdict(True, "HTTP 429", "600", value="answer"))
    with pytest.raises(WaitTooLong) as exc:
        policy.run(attempt)
    assert exc.value.seconds == 600 and exc.value.verdict.value == "answer" and len(calls) == 1


def test_exceptions_of_the_attempt_are_not_retried():
    policy = RetryPolicy(tries=5, sleep=lambda s: None)
    calls = []

    def attempt() -> Verdict:
        calls.append(1)
        raise PermissionError("HTTP 401")

    with pytest.raises(PermissionError):
        policy.run(attempt)
    assert calls == [1]


def test_retry_after_header_forms():
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: now
