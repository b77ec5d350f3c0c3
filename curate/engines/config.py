"""Engine settings: which engine runs the stages and with what resources."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class StageResourcesConfig(BaseModel):
    """Per-stage resources; unset values fall back to the stage's own defaults."""

    model_config = ConfigDict(extra="forbid")

    cpus: float | None = Field(default=None, gt=0, description="CPUs per worker process / Ray actor or task.")
    gpus: float | None = Field(
        default=None, ge=0,
        description=(
            "GPUs per Ray actor or task (fractions share a GPU, e.g. 0.5). Unset: a stage's GPU work (embed "
            "actors, dedupe signature tasks, select's k-means) takes one GPU per worker when the cluster has GPUs "
            "and the stage's device setting allows it; 0 keeps it on CPUs."
        ),
    )
    batch_size: int | None = Field(
        default=None, ge=1,
        description=(
            "Records per batch (embed: texts per worker call, default 4096; both engines cut the same "
            "batches, so a setting gives the same vectors on either)."
        ),
    )
    concurrency: int | None = Field(
        default=None, ge=1,
        description=(
            "Worker processes / Ray actors or tasks at once for the stage. On the local engine the steps of "
            "dedupe, embed and select run in the build's own process unless this is above 1."
        ),
    )


class EngineConfig(BaseModel):
    """How stages are executed."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["local", "ray"] = Field(
        default="local", description="local: polars + a process pool on this machine; ray: Ray Data on a cluster."
    )
    workers: int | None = Field(
        default=None, ge=1,
        description=(
            "Workers per stage: processes (local engine), actors or tasks (ray engine; also the CPUs of the "
            "local Ray it starts). Default: the CPU count (local), what the cluster's CPUs hold (ray)."
        ),
    )
    address: str | None = Field(
        default=None,
        description=(
            "Ray cluster to run on (ray engine): head:6379, auto (the cluster this machine belongs to) or "
            "ray://head:10001. Default: RAY_ADDRESS, else a private local Ray started for the build."
        ),
    )
    stages: dict[str, StageResourcesConfig] = Field(
        default_factory=dict, description="Resource overrides per stage name (redact, embed, ...)."
    )

