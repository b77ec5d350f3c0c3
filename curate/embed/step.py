"""The embed stage's batch step: a model embeds a batch of records, wherever the engine
runs it (in the build's process, a worker process, a Ray actor on a GPU)."""

from __future__ import annotations

import polars as pl

from curate.embed.inputs import embed_inputs
from curate.embed.model import Embedder

#: the columns the step reads
INPUT_COLUMNS = ["title", "messages", "text"]


class EmbedStep:
    """Per record: ``vector`` (unit float32), ``tokens`` (its tokens) and ``padded`` (the
    tokens the model ran for it: its model batch's padded length). The model loads once
    per worker (``setup``); the step pickles without it."""

    __name__ = "embed"

    def __init__(self, embedder: Embedder, mode: str):
        self.embedder = embedder
        self.mode = mode

    def setup(self) -> None:
        self.embedder.setup()

    def __call__(self, batch: pl.DataFrame) -> pl.DataFrame:
        vectors = self.embedder.embed(embed_inputs(batch, self.mode))
        return pl.DataFrame({
            "vector": pl.Series("vector", vectors),
            "tokens": self.embedder.last_tokens,
            "padded": self.embedder.last_padded,
        })
