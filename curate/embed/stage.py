"""The embed stage: an L2-normalised float32 vector (``embedding``) for every live record.

Vectors are cached in the run folder by model and content hash
(``runs/<name>/cache/embed-<model>-<input>.parquet``), so re-running a build, changing
the budget or adding a source embeds only the texts not seen before. Model loading and
batching live in :class:`curate.embed.model.Embedder`, which an engine may run elsewhere
(GPU actors); this stage only decides what to embed and keeps the cache."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import polars as pl

from curate.embed.cache import EmbeddingCache, cache_file_name
from curate.embed.config import EmbedConfig
from curate.embed.model import Embedder
from curate.embed.vectors import EMBEDDING_DTYPE, to_series
from curate.errors import StageError
from curate.stages.base import GlobalStage, Progress, Resources, StageContext

#: texts handed to the model per call (progress and cache granularity)
CHUNK = 4096
#: rows read from the input table at a time while looking for texts to embed
SLICE_ROWS = 50_000


def embed_input(title: str | None, messages: list[dict[str, Any]] | None, text: str | None, mode: str) -> str:
    """The part of a record that is embedded (see ``EmbedConfig.input``)."""
    if mode == "text" or not messages:
        return text or title or ""
    users = [m.get("content") or "" for m in messages if m.get("role") == "user" and m.get("content")]
    if not users:  # nothing the customer said (an agent-only note): embed what there is
        return text or title or ""
    if mode == "first_request":
        users = users[:1]
    parts = ([title.strip()] if title and title.strip() else []) + [u.strip() for u in users]
    return "\n\n".join(parts)


def embed_texts_cached(
    hashes: list[str],
    source: Callable[[set[str]], Iterable[tuple[list[str], list[str]]]],
    embedder: Embedder,
    cache: EmbeddingCache,
    progress: Progress | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Vectors for ``hashes`` (one per row), embedding only those the cache lacks.

    ``source(missing)`` yields ``(hashes, texts)`` pieces that together hold every missing
    hash (others and repeats are skipped), so a caller can stream texts from disk instead
    of holding them all."""
    progress = progress or Progress()
    missing = cache.missing(hashes)
    todo = set(missing)
    t0 = time.perf_counter()
    done = 0
    buf_h: list[str] = []
    buf_t: list[str] = []

    def flush() -> None:
        nonlocal done
        if not buf_h:
            return
        cache.add(list(buf_h), embedder.embed(list(buf_t)))
        done += len(buf_h)
        buf_h.clear()
        buf_t.clear()
        rate = done / max(time.perf_counter() - t0, 1e-9)
        progress.note(f"embedded {done:,}/{len(missing):,} ({rate:,.0f}/s)")

    if todo:
        for part_h, part_t in source(todo):
            for h, t in zip(part_h, part_t):
                if h in todo:
                    todo.discard(h)
                    buf_h.append(h)
                    buf_t.append(t)
                    if len(buf_h) >= CHUNK:
                        flush()
            if not todo:
                break
        flush()
    if todo:  # pragma: no cover - the source must cover its own table
        raise StageError(f"embed: no text found for {len(todo)} record(s)")
    seconds = time.perf_counter() - t0
    unique = len(set(hashes))
    info = {
        "distinct_texts": unique,
        "cache_hits": unique - len(missing),
        "embedded": len(missing),
        "embed_seconds": round(seconds, 3),
        "docs_per_second": round(len(missing) / seconds, 1) if missing and seconds > 0 else None,
    }
    return cache.get(hashes) if hashes else np.zeros((0, 0), dtype=np.float32), info


def embed_frame(
    df: pl.DataFrame,
    cfg: EmbedConfig,
    cache_path: Path | None = None,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """``df`` (records) with an ``embedding`` column added; used by standalone commands."""
    embedder = embedder or Embedder.from_config(cfg)
    cache = EmbeddingCache(cache_path if cfg.cache else None)
    inputs = _inputs_by_hash(df, cfg.input)
    vecs, info = embed_texts_cached(
        df["content_hash"].to_list(), lambda _todo: [(list(inputs), list(inputs.values()))], embedder, cache, progress
    )
    cache.save()
    if not df.height:
        return df.with_columns(pl.Series("embedding", [], dtype=EMBEDDING_DTYPE)), info
    return df.with_columns(to_series("embedding", vecs)), info


def _inputs_by_hash(df: pl.DataFrame, mode: str) -> dict[str, str]:
    cols = [c for c in ("content_hash", "title", "messages", "text") if c in df.columns]
    out: dict[str, str] = {}
    for row in df.select(cols).iter_rows(named=True):
        h = row["content_hash"]
        if h not in out:
            out[h] = embed_input(row.get("title"), row.get("messages"), row.get("text"), mode)
    return out


#: embeds the texts a cache lacks elsewhere (see EmbedStage.annotate)
EmbedMissing = Callable[[list[str], EmbeddingCache, Embedder, Progress], tuple[np.ndarray, dict[str, Any]]]


class EmbedStage(GlobalStage):
    """Adds ``embedding`` (list[f32], unit length) to every live record."""

    name: ClassVar[str] = "embed"
    config_key: ClassVar[str | None] = "embed"
    config: EmbedConfig

    def __init__(self, config):
        super().__init__(config)
        self._info: dict[str, Any] = {}

    def fingerprint(self) -> dict[str, Any]:
        # threads and the cache switch change how fast vectors come, not what they are
        return {"config": self.config.model_dump(mode="json", exclude={"threads", "cache"})}

    def resources(self) -> Resources:
        gpus = 0.0
        if self.config.device == "cuda":
            gpus = 1.0
        elif self.config.device == "auto":
            from curate.select.cluster import cuda_available

            gpus = 1.0 if cuda_available() else 0.0
        return Resources(cpus=1.0, gpus=gpus, batch_size=self.config.batch_size, concurrency=1)

    def embedder(self) -> Embedder:
        return Embedder.from_config(self.config)

    def annotate(self, ctx: StageContext, table: pl.LazyFrame, *, embed_missing: EmbedMissing | None = None) -> pl.DataFrame:
        """``embed_missing``: how an engine embeds the texts the cache lacks elsewhere (the
        Ray engine's actors); called as ``embed_missing(hashes, cache, embedder, progress)``
        and returns what :func:`embed_texts_cached` does, plus the ``device`` it ran on."""
        cfg = self.config
        keys = table.select("id", "content_hash").collect()
        cache_path = ctx.path("cache") / cache_file_name(cfg) if cfg.cache else None
        cache = EmbeddingCache(cache_path)
        embedder = self.embedder()
        hashes = keys["content_hash"].to_list()

        cols = [c for c in ("content_hash", "title", "messages", "text") if c in table.collect_schema().names()]

        def source(todo: set[str]) -> Iterator[tuple[list[str], list[str]]]:
            # stream the table in slices (Parquet row groups), never all texts at once
            for offset in range(0, keys.height, SLICE_ROWS):
                part = table.slice(offset, SLICE_ROWS).select(cols).collect()
                part = part.filter(pl.col("content_hash").is_in(pl.Series(list(todo)).implode()))
                if part.height:
                    by_hash = _inputs_by_hash(part, cfg.input)
                    yield list(by_hash), list(by_hash.values())

        if embed_missing is not None:
            vecs, info = embed_missing(hashes, cache, embedder, ctx.progress)
        else:
            vecs, info = embed_texts_cached(hashes, source, embedder, cache, ctx.progress)
        cache.save()
        device = info.pop("device", None) or (embedder.resolved_device if info["embedded"] else None)
        info.update(
            model=cfg.model, input=cfg.input, device=device,
            cache_file=f"cache/{cache_path.name}" if cache_path else None,
        )
        if embedder.timing.padded_tokens:
            info["padding_share"] = round(1 - embedder.timing.real_tokens / embedder.timing.padded_tokens, 3)
        self._info = info
        if not keys.height:
            return keys.select("id").with_columns(pl.Series("embedding", [], dtype=EMBEDDING_DTYPE))
        return keys.select("id").with_columns(to_series("embedding", vecs))

    def stats(self, output: pl.LazyFrame) -> dict[str, Any]:
        live = output.filter(pl.col("drop_reason").is_null())
        row = live.select(pl.len().alias("n"), pl.col("embedding").list.len().max().alias("dim")).collect().row(0, named=True)
        return {"records": int(row["n"]), "dim": int(row["dim"] or 0), **self._info}
