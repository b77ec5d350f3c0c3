"""Settings of the export stage (the ``export:`` section of curate.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

FORMATS = ("openai", "sharegpt", "alpaca", "prompt_completion", "hf", "text")
Format = Literal["openai", "sharegpt", "alpaca", "prompt_completion", "hf", "text"]

DEFAULT_CLASSIFICATION_PROMPT = (
    "Classify the following {kind} into exactly one of these labels.\n\n"
    "{labels}\n\n"
    "Answer with the label only."
)
DEFAULT_DOC_QA_PROMPT = "Answer the question using the documentation.\n\n{context}\n\nQuestion: {question}"


def _size(v: float | int, key: str) -> float | int:
    if isinstance(v, bool):
        raise ValueError(f"{key}: expected a ratio (0 <= x < 1) or a count (an integer >= 0)")
    if isinstance(v, float) and not (0.0 <= v < 1.0):
        if v.is_integer() and v >= 1:
            return int(v)
        raise ValueError(f"{key}: a ratio must be at least 0 and below 1, got {v}")
    if isinstance(v, int) and v < 0:
        raise ValueError(f"{key}: a count must be 0 or more, got {v}")
    return v


class SplitConfig(BaseModel):
    """How examples are divided into train / eval (/ test) without leaking between them."""

    model_config = ConfigDict(extra="forbid")

    eval: float | int = Field(
        default=0.1,
        description="Size of the eval split: a ratio (0 <= x < 1, e.g. 0.1) or a number of examples "
        "(an integer, e.g. 200). 0: no eval split.",
    )
    test: float | int = Field(
        default=0, description="Size of the test split, as a ratio or a number of examples. 0: no test split."
    )
    seed: int = Field(default=13, description="Random seed: the same seed and data give the same split.")
    clusters_together: bool = Field(
        default=False,
        description="Keep every select cluster on one side too (stricter than duplicate groups: the eval "
        "set then measures generalisation to unseen topics).",
    )
    stratify_by: str | list[str] | None = Field(
        default=None,
        description="Keep the share of each value of this field (or combination of these fields) equal across "
        "splits: a record column (kind, source, cluster), a label field (label, category, decision), "
        "`difficulty` or `meta.<key>`; e.g. [meta.task_type, difficulty].",
    )
    min_per_stratum: int = Field(
        default=1, ge=0,
        description="Every stratum with at least 2 records gets at least this many eval examples (the rest is "
        "proportional); a split that cannot give it stops with an error.",
    )
    stable: bool = Field(
        default=True,
        description="Keep each record on the side it was on in the run's earlier exports with the same split "
        "settings (runs/<name>/split.json): records added later fill the strata, no eval example moves to "
        "train. False: draw the split anew each time.",
    )

    @field_validator("eval", "test")
    @classmethod
    def _check_size(cls, v: float | int, info: ValidationInfo) -> float | int:
        return _size(v, info.field_name or "size")

    @field_validator("stratify_by")
    @classmethod
    def _one_or_more(cls, v: str | list[str] | None) -> str | list[str] | None:
        if isinstance(v, list):
            if not v:
                return None
            if len(set(v)) != len(v):
                raise ValueError("stratify_by: a field is named twice")
        return v

    def strata_fields(self) -> list[str]:
        """The fields of ``stratify_by`` as a list (empty: not stratified)."""
        if self.stratify_by is None:
            return []
        return [self.stratify_by] if isinstance(self.stratify_by, str) else list(self.stratify_by)


class DecontaminateConfig(BaseModel):
    """Leave out examples that overlap an evaluation or benchmark set."""

    model_config = ConfigDict(extra="forbid")

    files: list[str] = Field(
        default_factory=list,
        description="Benchmark or eval files (JSONL, JSON, CSV, Parquet or plain text), relative to "
        "curate.yaml. Every example sharing n-grams with them is left out and listed in dropped.jsonl.",
    )
    fields: list[str] | None = Field(
        default=None,
        description="Fields of the benchmark rows that hold text (default: every string value, nested ones too).",
    )
    n: int = Field(default=8, ge=1, le=64, description="n-gram length in words (8-13 is usual; shorter is stricter).")
    min_shared: int = Field(
        default=1, ge=1, description="An example is contaminated when it shares at least this many n-grams..."
    )
    min_fraction: float = Field(
        default=0.0, ge=0.0, le=1.0, description="...and at least this fraction of its own n-grams (0: any share)."
    )

    @field_validator("files")
    @classmethod
    def _exist(cls, v: list[str], info: ValidationInfo) -> list[str]:
        base = (info.context or {}).get("base_dir")
        if base is not None:
            for f in v:
                if not (Path(base) / f).expanduser().is_file():
                    raise ValueError(f"file not found: {f}")
        return v


class TokensConfig(BaseModel):
    """Token counting."""

    model_config = ConfigDict(extra="forbid")

    tokenizer: str = Field(
        default="auto",
        description="`auto` (tiktoken's cl100k_base when installed offline, else an estimate), `estimate` "
        "(characters / 4), `tiktoken:<encoding>`, or the path of a local Hugging Face tokenizer folder "
        "(with tokenizer.json; its chat template is used when it has one).",
    )
    max_tokens: int | None = Field(
        default=None, ge=1, description="Leave out examples longer than this (reason too_long). Default: keep all."
    )


class ProviderPrice(BaseModel):
    """One managed fine-tuning offer: its price per million training tokens."""

    model_config = ConfigDict(extra="forbid")

    provider: str = Field(min_length=1, description="Who sells the training (e.g. OpenAI).")
    model: str = Field(min_length=1, description="The model (or model size class) trained.")
    price_per_million_tokens: float = Field(ge=0, description="Price of one million training tokens.")
    currency: str = Field(default="USD", description="Currency of the price.")
    bills_validation: bool | None = Field(
        default=None, description="Whether validation tokens are billed too (None: not known).")
    source: str | None = Field(default=None, description="Where the price was read (URL).")
    as_of: str | None = Field(default=None, description="When it was read (YYYY-MM-DD).")
    confidence: Literal["low"] | None = Field(
        default=None, description="`low`: the figure is uncertain; check it at the source first.")


class CostConfig(BaseModel):
    """Training cost estimate: tokens x epochs x price per million tokens, on your price and
    on the bundled table of managed fine-tuning prices (curate/export/prices.yaml)."""

    model_config = ConfigDict(extra="forbid")

    epochs: int = Field(default=3, ge=1, description="Training epochs.")
    price_per_million_tokens: float | None = Field(
        default=None, ge=0, description="Your price of one million training tokens (shown first). Unset: only the "
        "providers' prices.",
    )
    currency: str = Field(default="USD", description="Currency of the price.")
    validation_billed: bool = Field(
        default=False,
        description="With your price: the eval split's tokens are billed too (once per epoch), as some providers "
        "do for a validation file.",
    )
    providers: bool = Field(
        default=True, description="Show the cost on the bundled table of managed fine-tuning prices.")
    prices: list[ProviderPrice] | None = Field(
        default=None,
        description="Your own table of provider prices, replacing the bundled one (check the bundled one's date: "
        "prices change).",
    )


class VolumeConfig(BaseModel):
    """How many training examples a fine-tuning task needs: a warning below, a note above."""

    model_config = ConfigDict(extra="forbid")

    min_train: int = Field(
        default=500, ge=0,
        description="Fewer training examples than this (per task) is a warning: they rarely produce a meaningful "
        "improvement.",
    )
    max_train: int = Field(
        default=5000, ge=0,
        description="More than this (per task) gets a note: returns diminish; spend effort on quality and coverage.",
    )
    per: str | None = Field(
        default=None,
        description="A field naming the task of each example (e.g. meta.task_type): the guidance is then given per "
        "value. Unset: the export is one task.",
    )


class PromptsConfig(BaseModel):
    """Prompts for labeled tasks whose answer is not a conversation's reply."""

    model_config = ConfigDict(extra="forbid")

    classification: str = Field(
        default=DEFAULT_CLASSIFICATION_PROMPT,
        description="Instruction of classification examples; {labels} becomes the labels with their "
        "decision criteria, {kind} the record kind. The record's text follows it.",
    )
    labels: dict[str, str] | None = Field(
        default=None,
        description="Label -> decision criteria for classification examples. Default: the labels of the "
        "`label:` section.",
    )
    doc_qa: str = Field(
        default=DEFAULT_DOC_QA_PROMPT,
        description="User turn of document question/answer examples; {question} and {context} (the "
        "document chunk) are filled in.",
    )
    doc_qa_context: bool = Field(
        default=False,
        description="Put the document chunk in the prompt (retrieval-style). False: the question alone.",
    )


class VersionsConfig(BaseModel):
    """Every export of a run is a dataset version (runs/<name>/versions/)."""

    model_config = ConfigDict(extra="forbid")

    keep_text: bool = Field(
        default=False,
        description=(
            "Also keep each version's examples as written (gzipped JSONL), so `curate versions RUN --recreate N` "
            "gives back the exact files. Off: a version keeps its manifest and its example ids with their split, "
            "label state and content hashes, and is re-created from the run's current tables (see docs/export.md)."
        ),
    )


class ExportConfig(BaseModel):
    """Training files for any trainer, split without leakage, with a dataset card."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Write the training files at the end of a build.")
    format: Format = Field(
        default="openai",
        description="openai (chat `messages`), sharegpt (`conversations` from/value), alpaca "
        "(instruction/input/output), prompt_completion (as TRL reads it), hf (Parquet files in a "
        "Hugging Face datasets layout) or text (`text`: documents and conversation transcripts, for "
        "continued pre-training; the only format in which documentation chunks need no reviewers' questions).",
    )
    system_prompt: str | None = Field(
        default=None, description="System message put first in every chat example (optional)."
    )
    last_turn_only: bool = Field(
        default=False,
        description="Train on the final assistant reply only: in the openai format earlier assistant "
        "turns get `weight: 0` (the prompt_completion and alpaca formats always do this).",
    )
    prompt_style: Literal["conversational", "text"] = Field(
        default="conversational",
        description="prompt_completion format: lists of messages (conversational, chat template "
        "applied by the trainer) or plain text.",
    )
    reasoning: Literal["inline", "think", "field", "omit"] = Field(
        default="inline",
        description="Where a record's reasoning (chain of thought) goes in the final assistant turn: inline (through "
        "`reasoning_template`), think (`<think>` block, as open reasoning models' chat templates write it), field "
        "(its own key of the assistant message, `reasoning_field`) or omit.",
    )
    reasoning_template: str = Field(
        default="{reasoning}\n\n{answer}",
        description="inline: the final assistant content, with {reasoning} and {answer} filled in.",
    )
    reasoning_field: str = Field(
        default="reasoning_content", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="field: the key of the assistant message (alpaca: of the row) that holds the reasoning.",
    )
    difficulty_field: str | None = Field(
        default="meta.difficulty",
        description="Where `difficulty` (a stratum, a metadata field) comes from when reviewers did not give one: "
        "a field such as meta.difficulty.",
    )
    metadata: list[str] = Field(
        default_factory=list,
        description="Fields passed through into each example's `metadata`: id, source, kind, title, "
        "locator, cluster, dup_group, meta.<key>, and with labels decision, category, quality, label, status.",
    )
    labels: Literal["auto", "require", "ignore"] = Field(
        default="auto",
        description="Reviewed labels: auto (use them when the run has any), require (fail without), ignore.",
    )
    min_examples: int = Field(
        default=1, ge=0,
        description="Fewer examples than this is an error (exit 1) that names the main reasons records were "
        "left out; 0 = never.",
    )
    split: SplitConfig = Field(default_factory=SplitConfig)
    decontaminate: DecontaminateConfig = Field(default_factory=DecontaminateConfig)
    tokens: TokensConfig = Field(default_factory=TokensConfig)
    cost: CostConfig = Field(default_factory=CostConfig)
    volume: VolumeConfig = Field(default_factory=VolumeConfig)
    prompts: PromptsConfig = Field(default_factory=PromptsConfig)
    versions: VersionsConfig = Field(default_factory=VersionsConfig)

    @model_validator(mode="after")
    def _fields_known(self) -> ExportConfig:
        from curate.export.fields import check_field_name

        for f in self.metadata:
            check_field_name(f, "metadata")
        for f in self.split.strata_fields():
            check_field_name(f, "split.stratify_by")
        if self.volume.per:
            check_field_name(self.volume.per, "volume.per")
        if self.difficulty_field and self.difficulty_field != "difficulty":
            check_field_name(self.difficulty_field, "difficulty_field")
        if self.reasoning == "inline":
            for p in ("{reasoning}", "{answer}"):
                if p not in self.reasoning_template:
                    raise ValueError(f"reasoning_template: needs {p} (the template is {self.reasoning_template!r})")
        if self.reasoning == "field" and (self.format == "text" or (
                self.format == "prompt_completion" and self.prompt_style == "text")):
            raise ValueError(
                "reasoning: field puts the reasoning in a key of the assistant message, which the "
                f"{'text format' if self.format == 'text' else 'text prompt style'} does not have; use inline, think or omit"
            )
        return self
