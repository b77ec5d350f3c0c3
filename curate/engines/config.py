"""Engine settings: which engine runs the stages and with what resources."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # pragma: no cover
    from curate.stages.base import Resources, Stage


class StageResourcesConfig(BaseModel):
    """Per-stage resources; unset values fall back to the stage's own defaults."""

    model_config = ConfigDict(extra="forbid")

    cpus: float | None = Field(default=None, gt=0, description="CPUs per worker process / Ray actor or task.")
    gpus: float | None = Field(
        default=None, ge=0,
        description=(
            "GPUs per Ray actor or task (fractions share a GPU, e.g. 0.5). Unset: embed actors, dedupe "
            "signature tasks and select's k-means take one GPU each when the cluster has GPUs; 0 keeps them on CPUs."
        ),
    )
    batch_size: int | None = Field(
        default=None, ge=1,
        description=(
            "Records per batch (embed on Ray: texts per actor call, default 4096 as the local engine, which "
            "gives the local engine's vectors bit for bit)."
        ),
    )
    concurrency: int | None = Field(
        default=None, ge=1, description="Worker processes / Ray actors or tasks at once for the stage."
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


def stage_resources(stage: Stage, config: EngineConfig) -> Resources:
    """The stage's own resources with ``engine.stages.<name>`` applied over them."""
    from curate.stages.base import Resources

    base = stage.resources()
    over = config.stages.get(stage.name)
    if over is None:
        return base
    return Resources(
        cpus=over.cpus or base.cpus,
        gpus=over.gpus if over.gpus is not None else base.gpus,
        batch_size=over.batch_size or base.batch_size,
        concurrency=over.concurrency or base.concurrency,
    )
