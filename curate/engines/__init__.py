"""Engines run stages: ``local`` (this machine) and ``ray`` (a Ray cluster). No stage
knows which engine runs it."""

from __future__ import annotations

from curate.engines.config import EngineConfig
from curate.errors import MissingExtraError


def get_engine(config: EngineConfig):
    """The engine named in the config."""
    if config.type == "ray":
        try:
            import ray  # noqa: F401
        except ImportError:
            raise MissingExtraError("ray", "ray", "The ray engine") from None
        from curate.engines.ray import RayEngine

        return RayEngine(config)
    from curate.engines.local import LocalEngine

    return LocalEngine(config)
