"""Settings of labeling in Label Studio."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LabelConfig(BaseModel):
    """Two-reviewer labeling in Label Studio."""

    model_config = ConfigDict(extra="forbid")

    task: str = Field(default="response_review", description="Label config template in labeling/.")
