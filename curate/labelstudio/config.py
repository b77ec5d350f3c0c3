"""Settings of labeling in Label Studio (the ``label:`` section of curate.yaml).

Example::

    label:
      task: response_review
      categories:
        - billing
        - name: shipping
          criteria: Delivery times, tracking, lost parcels.
      agreement:
        ordinal_tolerance: 1          # quality 4 vs 5 still agree
      export_policy: adjudicated

The server's URL may be given here (``url``); its API token never is: it comes from the
environment (``CURATE_LS_TOKEN``) or from the local server started by ``curate label serve``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from curate.agreement.rule import AgreementRule

TASKS = ("response_review", "classification", "doc_qa", "reasoning_review")
Task = Literal["response_review", "classification", "doc_qa", "reasoning_review"]
Policy = Literal["agreed_only", "adjudicated", "majority"]


def _name_or_object(schema: dict) -> None:
    """In the JSON Schema, a choice may also be written as its bare name (``- billing``), as
    the config accepts it."""
    whole = dict(schema)
    schema.clear()
    schema["anyOf"] = [{"type": "string", "minLength": 1, "maxLength": 200}, whole]


class Choice(BaseModel):
    """One option reviewers can pick, with the criteria that decide when it applies."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_name_or_object)

    name: str = Field(min_length=1, max_length=200, description="The value stored in the labels (and shown to reviewers).")
    criteria: str | None = Field(
        default=None, max_length=2000,
        description="When this option applies; shown as a hint and in the reviewer guidelines.",
    )


def _choices(value: object) -> object:
    """Accept plain strings as well as {name, criteria} objects."""
    if isinstance(value, list):
        return [{"name": v} if isinstance(v, str) else v for v in value]
    return value


class AdjudicationConfig(BaseModel):
    """Where disagreements go: a separate Label Studio project, one annotation per task, for a
    third person who was not one of the task's two reviewers."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Send items the reviewers disagree on to an adjudication project.")
    on_pull: bool = Field(
        default=True,
        description="Queue new disagreements during `curate label pull` (otherwise run `curate label adjudicate`).",
    )
    project_title: str | None = Field(
        default=None, description="Title of the adjudication project (default: '<project title> — adjudication').",
    )


class Gate(BaseModel):
    """The least agreement a field must reach for its labels to be exported."""

    model_config = ConfigDict(extra="forbid")

    alpha: float | None = Field(default=None, ge=-1, le=1, description="Krippendorff's alpha at least this.")
    kappa: float | None = Field(
        default=None, ge=-1, le=1, description="Cohen's kappa (two reviewers; Fleiss' otherwise) at least this.")
    agreement: float | None = Field(
        default=None, ge=0, le=1,
        description="Share of items on which the reviewers agree under the agreement rule, at least this.")

    @model_validator(mode="after")
    def _one(self) -> Gate:
        if self.alpha is None and self.kappa is None and self.agreement is None:
            raise ValueError("a gate needs alpha, kappa or agreement")
        return self


class Gates(BaseModel):
    """Agreement gates checked by `curate export`: field -> minimum, e.g.
    ``{verdict: {alpha: 0.67}, quality: {alpha: 0.6}, on_fail: warn}``."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Gate] = Field(init=False)  # type: ignore[assignment]

    on_fail: Literal["fail", "warn"] = Field(
        default="fail",
        description="Below a gate: fail (the export stops, exit 2, naming the fields and figures) or warn (it goes "
        "on; the card shows the gate as failed).",
    )

    def fields(self) -> dict[str, Gate]:
        return dict(self.__pydantic_extra__ or {})


class LabelConfig(BaseModel):
    """Two-reviewer labeling in Label Studio, agreement and adjudication."""

    model_config = ConfigDict(extra="forbid")

    task: Task = Field(
        default="response_review",
        description=(
            "What reviewers do: response_review (judge the agent's reply: accept/edit/reject, category, "
            "quality 1-5, corrected reply), classification (pick one label), doc_qa (write a question and "
            "answer grounded in a document chunk). Picks the label config in labeling/."
        ),
    )
    project_title: str | None = Field(
        default=None, max_length=50, description="Title of the Label Studio project (default: 'curate: <run name>')."
    )
    url: str | None = Field(
        default=None,
        description="URL of an existing Label Studio server (the token comes from CURATE_LS_TOKEN). "
        "Unset: CURATE_LS_URL, else the local server of `curate label serve`.",
    )
    categories: list[Choice] = Field(
        default_factory=list,
        description="response_review: the categories reviewers choose from (empty: no category question).",
    )
    labels: list[Choice] = Field(
        default_factory=list, description="classification: the labels, each with its decision criteria."
    )
    template: str | None = Field(
        default=None,
        description="A label config (XML) of your own instead of labeling/<task>.xml; relative to the config file. "
        "It must keep the field names of the task (verdict, category, quality, ...).",
    )
    guidelines: str | None = Field(
        default=None,
        description="Reviewer guidelines (Markdown) of your own instead of labeling/<task>.md; shown as the project's instructions.",
    )
    chunk_size: int = Field(default=250, ge=1, le=10_000, description="Tasks imported per request by `curate label push`.")
    timeout: float = Field(default=30.0, gt=0, le=3600, description="Seconds to wait for an answer from Label Studio.")
    retries: int = Field(
        default=4, ge=0, le=20,
        description="Retries (with exponential backoff) on connection errors, timeouts and 5xx answers.",
    )
    agreement: AgreementRule = Field(
        default_factory=AgreementRule,
        description="When two reviewers count as agreeing on an item (tolerances, text similarity, fields that never "
        "send an item to adjudication).",
    )
    adjudication: AdjudicationConfig = Field(default_factory=AdjudicationConfig)
    export_policy: Policy = Field(
        default="adjudicated",
        description="Which reviewed records `curate export` uses: agreed_only (both reviewers agreed), adjudicated "
        "(also those a third person decided), majority (also those a majority of three or more reviewers decided).",
    )
    difficulty: bool = Field(
        default=False,
        description="Ask reviewers how hard the item is (easy / medium / hard): the `difficulty` field, for a "
        "benchmark stratified by difficulty (export.split.stratify_by).",
    )
    gates: Gates = Field(
        default_factory=Gates,
        description="The least agreement per field for the labels to be exported, checked by `curate export` "
        "(e.g. {verdict: {alpha: 0.67}}).",
    )
    cost_per_review: float = Field(
        default=1.75, ge=0,
        description="What one review of one item costs (two reviews make 3.50 per example, the middle of the "
        "2-5 per example that labeling typically costs); for the labeling cost in the dataset card.",
    )
    qa_overhead: float = Field(
        default=0.25, ge=0, le=5,
        description="Quality-assurance overhead on top of the reviews, as a share (typically 0.2-0.3).",
    )
    currency: str = Field(default="USD", description="Currency of cost_per_review.")

    _normalise_categories = field_validator("categories", "labels", mode="before")(_choices)

    @model_validator(mode="after")
    def _check(self) -> LabelConfig:
        for key in ("categories", "labels"):
            names = [c.name for c in getattr(self, key)]
            dup = sorted({n for n in names if names.count(n) > 1})
            if dup:
                raise ValueError(f"{key}: duplicate names: {', '.join(dup)}")
        if self.task == "classification" and not self.labels and self.template is None:
            raise ValueError("task classification needs `labels` (the classes reviewers choose from)")
        if self.project_title is not None and len(self.project_title.strip()) < 3:
            raise ValueError("project_title: at least 3 characters")
        return self
