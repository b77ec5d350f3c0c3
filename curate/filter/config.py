"""Settings of the filter stage (the ``filter:`` section of curate.yaml)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class FilterConfig(BaseModel):
    """Drop records unfit for review or training, each with its reason. The built-in checks
    are set by the keys below; checks from other packages are listed under ``checks``."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Drop records unfit for review before embedding and selecting.")
    min_chars: int = Field(default=20, ge=0, description="Drop records whose turns hold fewer characters (reason too_short).")
    max_chars: int | None = Field(
        default=20_000, ge=1, description="Drop records whose turns hold more characters (reason too_long); null = no limit."
    )
    languages: list[str] | None = Field(
        default=None,
        description=(
            "Keep only these languages (ISO 639-1 codes, e.g. [en, de]); others drop as wrong_language. "
            "Uses meta.language when present, else detects it (py3langid). null = keep all."
        ),
    )
    max_boilerplate: float | None = Field(
        default=0.6, ge=0, le=1,
        description=(
            "Drop records whose text is more than this share boilerplate (quoted replies, signatures, "
            "disclaimers, auto-replies, unsubscribe footers): reason boilerplate. null = off."
        ),
    )
    require_agent_reply: bool = Field(
        default=True,
        description=(
            "Drop conversations (ticket, email, chat) without an assistant turn: reason no_agent_reply. "
            "Documentation chunks are exempt. A conversation whose agent reply has no customer turn before it "
            "is always dropped (no_user_turn): no training example can be made of it."
        ),
    )
    checks: list[dict[str, Any]] = Field(
        default_factory=list,
        description=(
            "Checks from other packages (entry point group curate.filters), run after the built-in ones in "
            "this order: each entry names the check (`name: ...`) and gives its settings."
        ),
    )

    @field_validator("checks")
    @classmethod
    def _known_checks(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        from curate.filter.base import plugin_check

        return [plugin_check(spec, i).spec() for i, spec in enumerate(value)]
