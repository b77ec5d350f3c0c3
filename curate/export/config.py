"""Settings of the export stage."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ExportConfig(BaseModel):
    """Training files for any trainer."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Write the training files at the end of a build.")
    format: Literal["openai"] = Field(default="openai", description="Output format.")
    system_prompt: str | None = Field(
        default=None, description="System message put first in every chat example (optional)."
    )
