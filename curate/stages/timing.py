"""Seconds per phase of a stage's work, for its stats (``seconds`` in the manifest)."""

from __future__ import annotations

import time


class Phases:
    """``lap(phase)`` adds the time since the previous lap (or since the start) to
    ``phase``; ``seconds`` holds the sums, rounded to milliseconds."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] = round(self.seconds.get(phase, 0.0) + now - self._t, 3)
        self._t = now
