"""Settings of the select stage."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from curate.filter.config import FilterConfig

STRATEGIES = ("cluster_balanced", "k_center", "stratified", "random")
#: strategies that need the embed stage's vectors
VECTOR_STRATEGIES = ("cluster_balanced", "k_center")


class ClusterConfig(BaseModel):
    """k-means over the embeddings (cluster ids are kept for every record and the report)."""

    model_config = ConfigDict(extra="forbid")

    k: int | None = Field(
        default=None, ge=1,
        description="Number of clusters. Default: derived from the data and the budget (min(budget, sqrt(n)), at least 2, at most 5,000).",
    )
    backend: Literal["auto", "torch", "faiss", "sklearn"] = Field(
        default="auto",
        description="k-means implementation: auto = torch on a CUDA GPU, else faiss.",
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="Device of the torch backend (auto: cuda when present)."
    )
    iterations: int = Field(default=25, ge=1, le=1000, description="Lloyd iterations.")
    terms: int = Field(
        default=5, ge=0, le=50,
        description="Name each cluster by this many distinctive words of its requests (for the report); 0 = off.",
    )


class RecencyConfig(BaseModel):
    """Weigh recent records more in selection (e.g. to sample recent production queries)."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(
        min_length=1,
        description=(
            "Where a record's date or time is: `meta.<key>` (or a bare metadata key); ISO 8601 text or Unix "
            "seconds. Records without a readable value weigh as the oldest dated record."
        ),
    )
    half_life_days: float = Field(
        gt=0, description="A record this many days older than the newest candidate weighs half as much.",
    )


class SelectConfig(BaseModel):
    """Choosing the records worth a reviewer's time."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Select a diverse subset to a budget.")
    budget: int | None = Field(default=None, ge=1, description="How many records to select. Default: all.")
    fraction: float | None = Field(
        default=None, gt=0, le=1,
        description="Budget as a share of the candidates (e.g. 0.02); used when budget is not set.",
    )
    strategy: Literal["cluster_balanced", "k_center", "stratified", "random"] = Field(
        default="cluster_balanced",
        description=(
            "cluster_balanced: a quota per k-means cluster (size^alpha), nearest-to-centroid first, then "
            "spread within the cluster; k_center: greedy farthest-point coverage of the whole set; "
            "stratified: a quota per value of a metadata field (stratify_by); random: a seeded random sample "
            "(the baseline)."
        ),
    )
    alpha: float = Field(
        default=0.5, ge=0, le=1,
        description="Quota per cluster or stratum grows as size^alpha: 1 = proportional, 0 = equal, 0.5 = between.",
    )
    spread: Literal["coverage", "farthest"] = Field(
        default="coverage",
        description=(
            "How picks spread inside a cluster or stratum after the most central record: coverage = the record "
            "that most reduces the distance of the others to their nearest pick (representative and diverse); "
            "farthest = the record farthest from the earlier picks (reaches outliers)."
        ),
    )
    stratify_by: str | None = Field(
        default=None,
        description="Metadata field for the stratified strategy (e.g. category, priority), or 'source' / 'kind'.",
    )
    recency: RecencyConfig | None = Field(
        default=None,
        description=(
            "Weigh recent records more: every strategy uses the weights (random draws by them; cluster_balanced "
            "and stratified weigh quotas and spread; k_center scales distances). See docs/selection.md."
        ),
    )
    seed: int = Field(default=0, description="Seed of k-means and of random choices; same seed, same selection.")
    clusters: ClusterConfig = Field(default_factory=ClusterConfig)
    quality: FilterConfig | None = Field(
        default=None,
        description="Deprecated: the filter settings moved to the top-level `filter:` section (same keys); still read from here.",
    )

    @model_validator(mode="after")
    def _check(self) -> SelectConfig:
        if self.strategy == "stratified" and not self.stratify_by:
            raise ValueError("strategy stratified needs stratify_by (a metadata field, e.g. category)")
        return self
