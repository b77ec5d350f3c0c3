"""Settings of the select stage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SelectConfig(BaseModel):
    """Choosing the records worth a reviewer's time."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Select a diverse subset to a budget.")
    budget: int | None = Field(default=None, ge=1, description="How many records to select. Default: all.")
