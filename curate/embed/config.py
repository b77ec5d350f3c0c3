"""Settings of the embed stage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class EmbedConfig(BaseModel):
    """Sentence embeddings of every live record."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Compute embeddings (needed by the cluster-based selection).")
