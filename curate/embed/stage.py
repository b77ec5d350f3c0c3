"""The embed stage: an L2-normalised float32 vector (``embedding``) for every live record.

Vectors are cached in the run folder by model and content hash
(``runs/<name>/cache/embed-<model>-<input>.parquet``), so re-running a build, changing
the budget or adding a source embeds only the texts not seen before. The stage decides
what to embed and keeps the cache; the texts the cache lacks are embedded by a batch step
(:class:`curate.embed.step.EmbedStep`) that the engine runs through ``ctx.ops``, in
chunks of 4,096 texts in first-seen order whichever engine runs it (a model batch's
padding moves vectors in their last bits, so the chunks are what makes vectors equal)."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import polars as pl

from curate.embed.cache import EmbeddingCache, cache_file_name
from curate.embed.config import EmbedConfig
from curate.embed.model import Embedder
from curate.embed.step import INPUT_COLUMNS, EmbedStep
from curate.embed.vectors import EMBEDDING_DTYPE, to_series
from curate.records import live
from curate.stages.base import Columns, GlobalStage, Progress, Resources, StageContext
from curate.stages.ops import InProcessOps, Ops, gpus_for

__all__ = ["CHUNK", "EmbedStage", "embed_frame", "embed_hashes"]

#: texts per call of the embedding step (progress and cache granularity); both engines
#: cut the same chunks, so vectors do not depend on the engine
CHUNK = 4096


def embed_hashes(
    ops: Ops, hashes: list[str], cache: EmbeddingCache, cfg: EmbedConfig, *, embedder: Embedder | None = None,
    progress: Progress | None = None, batch_size: int = CHUNK,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Vectors for ``hashes`` (the content hash of each live record of the table ``ops``
    reads, in order), embedding only those the cache lacks: the first record of each
    missing hash, in first-seen order. Adds the new vectors to ``cache``."""
    progress = progress or Progress()
    missing = cache.missing(hashes)
    unique = len(set(hashes))
    t0 = time.perf_counter()
    device = None
    tokens = padded = 0
    if missing:
        # the first record of each missing hash (ascending, as ``missing`` is in first-seen order)
        todo = set(missing)
        first: list[int] = []
        for i, h in enumerate(hashes):
            if h in todo:
                todo.discard(h)
                first.append(i)
        rows = np.asarray(first, dtype=np.int64)
        device = ops.device(cfg.device, setting="embed.device", mps=True)
        embedder = dataclasses.replace(embedder or Embedder.from_config(cfg), device=device)
        parts: list[np.ndarray] = []
        done = 0
        step = EmbedStep(embedder, cfg.input)
        for out in ops.map_batches(step, columns=INPUT_COLUMNS, rows=rows, batch_size=batch_size,
                                   resources=Resources(cpus=1.0, gpus=gpus_for(device), batch_size=batch_size)):
            parts.append(out["vector"].to_numpy())
            tokens += int(out["tokens"].sum())
            padded += int(out["padded"].sum())
            done += out.height
            rate = done / max(time.perf_counter() - t0, 1e-9)
            progress.note(f"embedded {done:,}/{len(missing):,} ({rate:,.0f}/s)")
        cache.add(missing, np.concatenate(parts))
    seconds = time.perf_counter() - t0
    info: dict[str, Any] = {
        "distinct_texts": unique,
        "cache_hits": unique - len(missing),
        "embedded": len(missing),
        "embed_seconds": round(seconds, 3),
        "docs_per_second": round(len(missing) / seconds, 1) if missing and seconds > 0 else None,
        "device": device,
    }
    if padded:
        info["padding_share"] = round(1 - tokens / padded, 3)
    return (cache.get(hashes) if hashes else np.zeros((0, 0), dtype=np.float32)), info


def embed_frame(
    df: pl.DataFrame,
    cfg: EmbedConfig,
    cache_path: Path | None = None,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """``df`` (records) with an ``embedding`` column added, embedded in this process; used
    by standalone commands."""
    cache = EmbeddingCache(cache_path if cfg.cache else None)
    vecs, info = embed_hashes(InProcessOps.over(df), df["content_hash"].to_list(), cache, cfg, embedder=embedder,
                              progress=progress)
    cache.save()
    if not df.height:
        return df.with_columns(pl.Series("embedding", [], dtype=EMBEDDING_DTYPE)), info
    return df.with_columns(to_series("embedding", vecs)), info


class EmbedStage(GlobalStage):
    """Adds ``embedding`` (list[f32], unit length) to every live record."""

    name: ClassVar[str] = "embed"
    config_key: ClassVar[str | None] = "embed"
    columns: ClassVar[Columns] = Columns(
        reads=("id", "content_hash"),
        reads_optional=tuple(INPUT_COLUMNS),  # the embedded text (embed.input)
        writes={"embedding": EMBEDDING_DTYPE},
    )
    config: EmbedConfig

    def __init__(self, config):
        super().__init__(config)
        self._info: dict[str, Any] = {}

    def fingerprint(self) -> dict[str, Any]:
        # threads and the cache switch change how fast vectors come, not what they are
        return {"config": self.config.model_dump(mode="json", exclude={"threads", "cache"})}

    def resources(self) -> Resources:
        return Resources(cpus=1.0, batch_size=CHUNK)

    def annotate(self, ctx: StageContext, table: pl.LazyFrame) -> pl.DataFrame:
        cfg = self.config
        keys = table.select("id", "content_hash").collect()
        cache_path = ctx.path("cache") / cache_file_name(cfg) if cfg.cache else None
        cache = EmbeddingCache(cache_path)
        vecs, info = embed_hashes(ctx.ops_for(table), keys["content_hash"].to_list(), cache, cfg, progress=ctx.progress)
        cache.save()
        info.update(model=cfg.model, input=cfg.input, cache_file=f"cache/{cache_path.name}" if cache_path else None)
        self._info = info
        if not keys.height:
            return keys.select("id").with_columns(pl.Series("embedding", [], dtype=EMBEDDING_DTYPE))
        return keys.select("id").with_columns(to_series("embedding", vecs))

    def stats(self, output: pl.LazyFrame) -> dict[str, Any]:
        row = live(output).select(pl.len().alias("n"), pl.col("embedding").list.len().max().alias("dim")).collect().row(0, named=True)
        return {"records": int(row["n"]), "dim": int(row["dim"] or 0), **self._info}
