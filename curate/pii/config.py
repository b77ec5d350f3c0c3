"""Settings of the redact stage (PII)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RedactConfig(BaseModel):
    """PII detection and redaction with Presidio."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Redact PII before anything leaves the run.")
