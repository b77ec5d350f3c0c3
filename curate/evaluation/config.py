"""Settings of the blind human evaluation (the ``human_eval:`` section of curate.yaml).

Example::

    human_eval:
      sample_size: 100
      reviewers: 3
      blind: true
      rating_scale: [1, 2, 3, 4, 5]
      dimensions:
        - accuracy
        - name: tone
          criteria: Polite, calm, on-brand; no blame on the customer.
      show_gold: true

Every key can be overridden on the command line of ``curate eval push``.
"""

from __future__ import annotations

import re
from itertools import pairwise

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: A dimension's name becomes part of a Label Studio field name (``accuracy_A``).
_NAME = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
#: At most this many systems side by side: letters A..L, and a task reviewers can still read.
MAX_SYSTEMS = 12


def _name_or_object(schema: dict) -> None:
    """In the JSON Schema a dimension may also be written as its bare name."""
    whole = dict(schema)
    schema.clear()
    schema["anyOf"] = [{"type": "string", "pattern": _NAME.pattern, "maxLength": 40}, whole]


class Dimension(BaseModel):
    """One quality reviewers rate every output on, with what it means."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_name_or_object)

    name: str = Field(
        max_length=40, pattern=_NAME.pattern,
        description="Lower-case identifier (letters, digits, single underscores), e.g. accuracy.",
    )
    criteria: str | None = Field(
        default=None, max_length=2000,
        description="What reviewers judge on this dimension; shown in the form and in the reviewer guide.",
    )


DEFAULT_DIMENSIONS: list[Dimension] = [
    Dimension(name="accuracy", criteria="The facts, steps and numbers are correct for this customer's question."),
    Dimension(name="completeness", criteria="Everything the customer asked is answered; nothing needed is missing."),
    Dimension(name="tone", criteria="Polite, clear and calm, in the company's voice; no blame, no filler."),
    Dimension(name="compliance", criteria="Follows policy: promises only what the company offers, asks for no "
                                          "data it should not, and gives no unsafe advice."),
]


def _dimensions(value: object) -> object:
    if isinstance(value, list):
        return [{"name": v} if isinstance(v, str) else v for v in value]
    return value


class HumanEvalConfig(BaseModel):
    """Blind human evaluation of model outputs against the gold benchmark (curate eval)."""

    model_config = ConfigDict(extra="forbid")

    sample_size: int = Field(
        default=100, ge=1, le=100_000,
        description="Benchmark items to rate, sampled stratified like the benchmark (all of them when it has fewer).",
    )
    reviewers: int = Field(default=3, ge=1, le=20, description="Independent ratings per item (distinct reviewers).")
    blind: bool = Field(
        default=True,
        description="Show outputs as A, B, C... in a random order per item; the mapping stays in the eval folder. "
        "false: outputs in the given order under the systems' names.",
    )
    rating_scale: list[int] = Field(
        default_factory=lambda: [1, 2, 3, 4, 5], min_length=2, max_length=11,
        description="The ratings reviewers choose from, lowest (worst) first.",
    )
    dimensions: list[Dimension] = Field(
        default_factory=lambda: [d.model_copy() for d in DEFAULT_DIMENSIONS], min_length=1, max_length=10,
        description="What each output is rated on; a bare name or {name, criteria}.",
    )
    show_gold: bool = Field(
        default=True,
        description="Show the gold answer beside the outputs (false: reviewers judge without it, so they do not "
        "reward outputs that merely resemble it).",
    )
    preference: bool = Field(
        default=True,
        description="Ask an optional overall preference: which output is best, or none.",
    )
    stratify_by: list[str] | None = Field(
        default=None,
        description="Strata fields of the benchmark the sample keeps in proportion (default: every field in the "
        "items' `strata`).",
    )
    seed: int = Field(default=0, ge=0, description="Seed of the sample and of the order of the outputs per item.")
    project_title: str | None = Field(
        default=None, min_length=3, max_length=50,
        description="Title of the Label Studio project (default: 'curate eval: <eval name>'). Never name the systems.",
    )

    _normalise_dimensions = field_validator("dimensions", mode="before")(_dimensions)

    @field_validator("rating_scale")
    @classmethod
    def _increasing(cls, scale: list[int]) -> list[int]:
        if any(b <= a for a, b in pairwise(scale)):
            raise ValueError("the ratings must increase (lowest first), e.g. [1, 2, 3, 4, 5]")
        return scale

    @field_validator("dimensions")
    @classmethod
    def _distinct(cls, dims: list[Dimension]) -> list[Dimension]:
        names = [d.name for d in dims]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"duplicate names: {', '.join(dup)}")
        for reserved, what in (("preference", "the overall preference question"), ("overall", "the mean over the dimensions")):
            if reserved in names:
                raise ValueError(f"'{reserved}' is {what} in the report; name the dimension otherwise")
        return dims
