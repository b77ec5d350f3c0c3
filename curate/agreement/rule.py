"""When do the reviewers of an item agree? The rule that routes disagreements to
adjudication, per field.

Reviewers of an item agree on a field when *every pair* of them agrees:

- nominal: the same label;
- ordinal / interval / ratio: values at most ``tolerance`` apart (for an ordinal field of
  named labels, ``ordinal:low,medium,high``, the distance is counted in steps of the order);
- text: similarity at least ``threshold`` (``edit``: 1 - normalised edit distance;
  ``token_f1``: overlap of words).

A field with ``adjudicate: false`` is still scored but never sends an item to
adjudication (a free-text note, say).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Similarity = Literal["edit", "token_f1"]


class FieldRule(BaseModel):
    """Overrides of the agreement rule for one field (unset = the rule's default)."""

    model_config = ConfigDict(extra="forbid")

    tolerance: float | None = Field(
        default=None, ge=0,
        description="Ordinal/interval/ratio: the largest difference between two reviewers' values that still counts as agreement.",
    )
    threshold: float | None = Field(
        default=None, ge=0, le=1,
        description="Text: the smallest similarity (0-1) between two reviewers' texts that still counts as agreement.",
    )
    similarity: Similarity | None = Field(
        default=None, description="Text: how similarity is measured: 'edit' (1 - normalised edit distance) or 'token_f1' (word overlap).",
    )
    adjudicate: bool = Field(
        default=True, description="Whether a disagreement on this field sends the item to adjudication.",
    )


class ResolvedRule(BaseModel):
    """The rule for one field after defaults are applied."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tolerance: float
    threshold: float
    similarity: Similarity
    adjudicate: bool


class AgreementRule(BaseModel):
    """When the reviewers of an item count as agreeing, per field."""

    model_config = ConfigDict(extra="forbid")

    ordinal_tolerance: float = Field(
        default=1, ge=0,
        description="Default for ordinal fields: how far apart two ratings may be and still agree (1 = neighbouring levels of a 1-5 scale agree; 0 = identical only).",
    )
    numeric_tolerance: float = Field(
        default=0, ge=0, description="Default for interval and ratio fields: the largest difference that still counts as agreement.",
    )
    text_threshold: float = Field(
        default=0.8, ge=0, le=1,
        description="Default for text fields: the smallest similarity (0-1) that counts as agreement.",
    )
    text_similarity: Similarity = Field(
        default="edit", description="Default for text fields: 'edit' (1 - normalised edit distance) or 'token_f1' (word overlap F1).",
    )
    fields: dict[str, FieldRule] = Field(
        default_factory=dict, description="Per-field overrides, by field name.",
    )

    def for_field(self, name: str, kind: str) -> ResolvedRule:
        """The rule for field ``name`` of level ``kind``."""
        f = self.fields.get(name) or FieldRule()
        default_tol = self.ordinal_tolerance if kind == "ordinal" else self.numeric_tolerance
        return ResolvedRule(
            tolerance=float(f.tolerance if f.tolerance is not None else (default_tol if kind != "nominal" else 0.0)),
            threshold=float(f.threshold if f.threshold is not None else self.text_threshold),
            similarity=f.similarity or self.text_similarity,
            adjudicate=f.adjudicate,
        )
