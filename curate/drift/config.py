"""Settings of ``curate drift`` (the ``drift:`` section of curate.yaml)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: defaults chosen from benchmarks/results/drift.md (see docs/drift.md, "How the defaults were chosen")
DEFAULT_NOVELTY_THRESHOLD = 0.10
DEFAULT_JSD_THRESHOLD = 0.04


class DriftConfig(BaseModel):
    """Comparing new records with the run's training set (``curate drift RUN NEW``)."""

    model_config = ConfigDict(extra="forbid")

    quantile: float = Field(
        default=0.95, gt=0.5, lt=1.0,
        description=(
            "A new record is novel when it is farther (cosine distance) from every training example than this "
            "quantile of the reference nearest-neighbour distances (see calibrate)."
        ),
    )
    calibrate: Literal["candidates", "training"] = Field(
        default="candidates",
        description=(
            "Where the reference distances come from: candidates = every record the run's selection chose from, "
            "measured to its nearest training example other than itself (the population the training set came "
            "from, so about 1 - quantile of new records are novel when nothing changed); training = the training "
            "examples' distances to each other only."
        ),
    )
    novelty_threshold: float = Field(
        default=DEFAULT_NOVELTY_THRESHOLD, gt=0, le=1,
        description="Drift when more than this share of the new records is novel.",
    )
    jsd_threshold: float = Field(
        default=DEFAULT_JSD_THRESHOLD, gt=0, le=1,
        description=(
            "Drift when the Jensen-Shannon divergence (base 2, 0..1) between the cluster shares of the run's "
            "candidates and of the new records exceeds this and the sampling null (p < 0.01)."
        ),
    )
    stratify_by: str | None = Field(
        default=None,
        description=(
            "Metadata field (or source / kind) whose values are strata, compared one by one. Default: "
            "select.stratify_by, else the first of category, intent that the records have."
        ),
    )
    min_stratum: int = Field(default=20, ge=1, description="Strata with fewer new records are listed but not scored.")
    min_records: int = Field(
        default=30, ge=1, description="Fewer new records than this: figures are shown, but no drift is decided (exit 0, a warning)."
    )
    topics: int = Field(default=5, ge=0, le=100, description="How many new topics to find among the novel records (0 = none).")
    terms: int = Field(default=5, ge=1, le=50, description="Words naming each new topic.")
    seed: int = Field(default=0, description="Seed of the topic k-means and the sampling null; same inputs, same numbers.")
