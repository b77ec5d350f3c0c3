"""Engine settings: which engine runs the stages and with what resources."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class StageResourcesConfig(BaseModel):
    """Per-stage resources; unset values fall back to the stage's own defaults."""

    model_config = ConfigDict(extra="forbid")

    cpus: float | None = Field(default=None, gt=0, description="CPUs per worker / actor.")
    gpus: float | None = Field(default=None, ge=0, description="GPUs per worker / actor (Ray).")
    batch_size: int | None = Field(default=None, ge=1, description="Records per batch.")
    concurrency: int | None = Field(default=None, ge=1, description="Workers / actors for the stage.")


class EngineConfig(BaseModel):
    """How stages are executed."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["local", "ray"] = Field(
        default="local", description="local: polars + a process pool on this machine; ray: Ray Data on a cluster."
    )
    workers: int | None = Field(
        default=None, ge=1, description="Worker processes for batch stages (local engine). Default: CPU count."
    )
    address: str | None = Field(default=None, description="Ray cluster address (ray engine), e.g. ray://head:10001 or auto.")
    stages: dict[str, StageResourcesConfig] = Field(
        default_factory=dict, description="Resource overrides per stage name (redact, embed, ...)."
    )
