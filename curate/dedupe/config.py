"""Settings of the dedupe stage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DedupeConfig(BaseModel):
    """Exact and near-duplicate removal."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Remove exact and near duplicates.")
