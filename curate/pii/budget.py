"""The per-record time budget of redaction: a safety net under the recognizers, Presidio's
own included. A record whose analysis runs out of CPU time is given up (the redact stage
drops it as ``redaction_timeout`` and keeps none of its text), never passed on unredacted.

The budget counts the CPU time of this process (so a busy machine does not make a record
time out) spent on the record's pattern recognizers, context scoring, clean-up and
replacement; spaCy's NER, which runs batched over many records and in time linear in the
text, is not counted. In the main thread of a process (the local engine's workers, the
command line) an interval timer (``ITIMER_PROF``) interrupts a record at once, inside a
regular expression too: the ``regex`` module checks for signals while it matches. In any
other thread no timer can interrupt; there the record is given up as soon as the call that
overran returns."""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

#: the text length one budget covers; a longer record gets one budget per started unit
BUDGET_CHARS = 100_000


class RedactionTimeout(Exception):
    """A record ran out of its time budget."""


class _Expired(BaseException):
    # a BaseException, like KeyboardInterrupt: code under the timer that catches
    # ``Exception`` (Presidio logs and skips a failing recognizer) cannot swallow it
    pass


def record_budget(seconds: float, chars: int) -> float:
    """The budget of a record of ``chars`` characters: ``seconds`` per started
    :data:`BUDGET_CHARS` characters (a long record needs proportionally longer)."""
    return seconds * max(1, math.ceil(chars / BUDGET_CHARS))


class RecordBudgets:
    """CPU-time budgets of the records of one batch, keyed by record index."""

    def __init__(self, budgets: dict[int, float]):
        self.left = dict(budgets)
        self.expired: set[int] = set()
        self._fired = False
        self._armed = False

    def run(self, key: int, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` charged to record ``key``; raises :class:`RedactionTimeout` when
        the record's budget is (or already was) spent."""
        if key in self.expired:
            raise RedactionTimeout()
        left = self.left.get(key, math.inf)
        if left <= 0:
            self.expired.add(key)
            raise RedactionTimeout()
        timed = math.isfinite(left) and threading.current_thread() is threading.main_thread()
        start = time.process_time()
        old = None
        self._fired = False
        try:
            try:
                if timed:
                    old = signal.signal(signal.SIGPROF, self._on_timer)
                    self._armed = True
                    signal.setitimer(signal.ITIMER_PROF, max(left, 1e-3))
                result = fn(*args)
            finally:
                # disarmed first: a signal arriving from here on only sets _fired
                self._armed = False
                if timed:
                    signal.setitimer(signal.ITIMER_PROF, 0)
        except _Expired:
            self._fired = True
        finally:
            if timed:
                signal.signal(signal.SIGPROF, old if old is not None else signal.SIG_DFL)
            self.left[key] = left - (time.process_time() - start)
        if self._fired or self.left[key] <= 0:
            # the timer went off (inside the call, or in code that swallowed it), or no
            # timer could run and the call overran
            self.expired.add(key)
            raise RedactionTimeout()
        return result

    def _on_timer(self, signum, frame) -> None:
        self._fired = True
        if self._armed:
            raise _Expired()
