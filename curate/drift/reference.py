"""What new records are compared with: the run's training set (the exported training
examples, else the selected records), the candidates it was drawn from (every record the
select stage kept as a candidate: the population the run saw) and the select stage's
clusters, with their names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from curate.embed.vectors import to_numpy
from curate.errors import InputError
from curate.export.splitstore import read_split
from curate.records import DROP_COLUMN
from curate.run import RunFolder
from curate.select.stage import NOT_SELECTED

_COLUMNS = ("id", "embedding", "cluster", "selected", "meta", "source", "kind", "content_hash", DROP_COLUMN)


@dataclass
class Reference:
    ids: list[str]  # candidates, in select-table order
    vectors: np.ndarray  # (n, d) unit rows
    clusters: np.ndarray  # (n,) int64, -1 none
    training: np.ndarray  # (n,) bool: in the training set
    training_from: str  # "export" | "selection"
    frame: pl.DataFrame  # candidates without vectors (meta, source, kind) for strata
    cluster_terms: dict[int, list[str]]
    hashes: set[str]

    @property
    def train_vectors(self) -> np.ndarray:
        return self.vectors[self.training]

    @property
    def held_out_vectors(self) -> np.ndarray:
        return self.vectors[~self.training]


def load_reference(run: RunFolder) -> Reference:
    """The run's candidates, training set and clusters, from its select table."""
    path = run.table("select")
    entry = run.stage_entry("select") or {}
    if not path.exists() or entry.get("status") != "done":
        raise InputError(f"{run.root}: no select table ({path.name}); `curate build` the run with embed and select first")
    lf = pl.scan_parquet(path)
    names = lf.collect_schema().names()
    if "embedding" not in names or "cluster" not in names:
        raise InputError(f"{path}: no embeddings or clusters; drift needs the embed stage and a vector select strategy")
    lf = lf.filter(pl.col(DROP_COLUMN).is_null() | (pl.col(DROP_COLUMN) == NOT_SELECTED))
    df = lf.select([c for c in _COLUMNS if c in names]).filter(pl.col("embedding").is_not_null()).collect()
    if df.height == 0:
        raise InputError(f"{path}: no candidate records with embeddings")
    vectors = to_numpy(df["embedding"])
    selected = df["selected"].fill_null(False).to_numpy().astype(bool)
    split = read_split(run.root)
    export_done = (run.stage_entry("export") or {}).get("status") == "done"
    training_from = "selection"
    training = selected
    if export_done and split.assignment:
        train_ids = {i for i, side in split.assignment.items() if side == "train"}
        mask = np.fromiter((i in train_ids for i in df["id"].to_list()), dtype=bool, count=df.height) & selected
        if mask.any():
            training, training_from = mask, "export"
    terms: dict[int, list[str]] = {}
    for c in (entry.get("stats") or {}).get("clusters") or []:
        terms[int(c["cluster"])] = list(c.get("terms") or [])
    return Reference(
        ids=df["id"].to_list(), vectors=vectors, clusters=df["cluster"].fill_null(-1).to_numpy().astype(np.int64),
        training=training, training_from=training_from, frame=df.drop("embedding"), cluster_terms=terms,
        hashes=set(df["content_hash"].to_list()) if "content_hash" in df.columns else set(),
    )


def describe(ref: Reference) -> dict[str, Any]:
    return {"candidates": len(ref.ids), "training": int(ref.training.sum()), "training_from": ref.training_from,
            "clusters": int(np.unique(ref.clusters[ref.clusters >= 0]).size)}
