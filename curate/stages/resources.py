"""What one worker of a stage (or of one of its steps) needs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resources:
    """What one worker of a stage needs. Engines map these onto processes, Ray actors or
    GPUs; ``None`` lets the engine choose."""

    cpus: float = 1.0
    gpus: float = 0.0
    batch_size: int = 1024
    concurrency: int | None = None
