"""Settings of the dedupe stage (exact and MinHash near-duplicates) and of semantic
dedupe (run by the select stage once embeddings and clusters exist)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

KeepPolicy = Literal["complete", "longest", "newest", "first"]


class SemanticDedupeConfig(BaseModel):
    """Semantic duplicates: records of the same embedding cluster whose vectors are
    nearly parallel. Reported separately from MinHash groups (``semantic_group``)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(
        default=False,
        description=(
            "Also drop semantic duplicates: records of the same cluster whose embeddings have a "
            "cosine similarity at or above `threshold` (dropped as `semantic_duplicate` by the "
            "select stage)."
        ),
    )
    threshold: float = Field(
        default=0.95,
        ge=-1.0,
        le=1.0,
        description=(
            "Cosine similarity at or above which two records of a cluster are duplicates. "
            "0.95 catches rephrasings of the same request; lower values merge merely related texts."
        ),
    )


class DedupeConfig(BaseModel):
    """Exact and near-duplicate removal."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Remove exact and near duplicates.")
    exact: bool = Field(
        default=True,
        description=(
            "Drop exact duplicates: records whose text is the same after Unicode NFKC and "
            "whitespace normalisation."
        ),
    )
    casefold: bool = Field(
        default=False, description="Exact duplicates: ignore upper/lower case when comparing texts."
    )
    near: bool = Field(
        default=True,
        description="Drop near duplicates: records whose shingle sets have an (estimated) Jaccard similarity at or above `threshold` (MinHash LSH).",
    )
    threshold: float = Field(
        default=0.8,
        gt=0.0,
        le=1.0,
        description="Jaccard similarity of shingle sets at or above which two records are near duplicates.",
    )
    num_perm: int = Field(
        default=128,
        ge=8,
        le=1024,
        description="MinHash permutations per signature: more is more precise and slower (the estimate's standard error is about sqrt(J(1-J)/num_perm)).",
    )
    shingle: Literal["word", "char"] = Field(
        default="word", description="Shingles are word n-grams (`word`) or character n-grams (`char`)."
    )
    ngram: int = Field(default=5, ge=1, le=64, description="Shingle length in words or characters.")
    lowercase: bool = Field(default=True, description="Near duplicates: compare texts case-insensitively.")
    punctuation: bool = Field(
        default=False,
        description="Near duplicates: let punctuation count (by default it is treated as a space).",
    )
    recall: float = Field(
        default=0.99,
        gt=0.0,
        lt=1.0,
        description=(
            "Target probability that a pair at exactly `threshold` becomes a candidate; picks the "
            "LSH bands and rows when `bands`/`rows` are not given. Candidates are verified, so a "
            "high recall costs time, not precision."
        ),
    )
    bands: int | None = Field(
        default=None, ge=1, description="LSH bands (with `rows`); default: chosen from `threshold` and `recall`."
    )
    rows: int | None = Field(
        default=None, ge=1, description="Signature values per LSH band (with `bands`); default: chosen."
    )
    verify: Literal["exact", "estimate"] = Field(
        default="exact",
        description=(
            "How candidate pairs are confirmed. `estimate`: by the share of equal MinHash values. "
            "`exact`: the same, but pairs whose estimate lies within 4 standard errors of "
            "`threshold` are decided on the true Jaccard of their shingle sets (a second pass reads "
            "only those records' texts): fewer misses and false merges near the threshold."
        ),
    )
    keep: KeepPolicy = Field(
        default="complete",
        description=(
            "Which record of a group is kept. `complete`: the most complete conversation (has an "
            "assistant reply, then most turns, then longest); `longest`: the longest text; "
            "`newest`: the latest `newest_field` in the record's meta; `first`: first seen. Ties "
            "go to the record seen first."
        ),
    )
    newest_field: str = Field(
        default="created_at",
        min_length=1,
        description="Meta field holding a record's date or time (ISO 8601 or Unix seconds) for `keep: newest`.",
    )
    seed: int = Field(default=1, ge=0, description="Seed of the MinHash permutations (datasketch's default is 1).")
    batch_size: int = Field(
        default=8192,
        ge=1,
        description="Texts read and hashed per batch: memory holds one batch of texts plus the signatures.",
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto",
        description="Where signatures are computed: `cuda` (torch on the GPU), `cpu` (numpy), or `auto` (the GPU when present). Both give identical signatures.",
    )
    semantic: SemanticDedupeConfig = Field(
        default_factory=SemanticDedupeConfig,
        description="Semantic duplicates within embedding clusters (applied by the select stage).",
    )

    @model_validator(mode="after")
    def _bands_rows(self) -> DedupeConfig:
        if (self.bands is None) != (self.rows is None):
            raise ValueError("give both `bands` and `rows`, or neither")
        if self.bands is not None and self.rows is not None and self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands x rows = {self.bands * self.rows} exceeds num_perm = {self.num_perm}")
        return self

    def lsh_params(self) -> tuple[int, int]:
        """(bands, rows) for LSH: as configured, else chosen for `recall` at `threshold`."""
        if self.bands is not None and self.rows is not None:
            return self.bands, self.rows
        from curate.dedupe.lsh import choose_bands

        return choose_bands(self.threshold, self.num_perm, self.recall)
