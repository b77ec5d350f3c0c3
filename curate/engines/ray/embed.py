"""Embeddings on Ray: the cache stays on the driver, the model runs in actors.

The driver looks the live records' content hashes up in the run's cache
(``runs/<name>/cache/``); only the texts it lacks are embedded. The workers read those
records (the first record of each missing hash, as the local engine takes) in chunks of
the local engine's size and order (4,096 texts by default), one block per chunk, and a
pool of actors, each holding one :class:`~curate.embed.model.Embedder`, builds the texts
and embeds a chunk per call: on a GPU each when the cluster has GPUs, else on CPUs. No
other work asks for CPUs meanwhile, so actors may take every CPU. Vectors come back to the driver, which adds them to the
cache in the local engine's order and writes it. With the default chunk the vectors
equal the local engine's bit for bit (the model's batches hold the same texts)."""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from curate.embed.cache import EmbeddingCache
from curate.embed.config import EmbedConfig
from curate.embed.model import Embedder, EmbedTiming
from curate.embed.stage import CHUNK, embed_input
from curate.engines.ray.errors import error_batch
from curate.engines.ray.io import ROW, read_concurrency, read_rows
from curate.engines.ray.session import worker_environment
from curate.errors import ConfigError, StageError
from curate.stages.base import Progress, Resources

log = logging.getLogger("curate.embed")


def embed_placement(device: str, cluster_gpus: float, gpus: float | None) -> tuple[float, str]:
    """GPUs per embedding actor and the device it runs the model on.

    ``gpus``: ``engine.stages.embed.gpus`` when configured. Otherwise an actor asks for one
    GPU when the cluster has GPUs and ``embed.device`` is auto or cuda. An actor without a
    GPU runs on the CPU (``mps`` is kept for a cluster of Macs)."""
    if device == "cpu":
        want = 0.0 if gpus is None else gpus
        if want > 0:
            raise ConfigError("engine.stages.embed.gpus: embed.device is cpu; set it to auto or cuda to use GPUs")
        return 0.0, "cpu"
    want = gpus if gpus is not None else (1.0 if cluster_gpus > 0 and device in ("auto", "cuda") else 0.0)
    if want > 0 and cluster_gpus < want:
        raise ConfigError(f"engine.stages.embed.gpus: an actor asks for {want:g} GPU(s) but the Ray cluster has {cluster_gpus:g}")
    if device == "cuda" and want <= 0:
        raise ConfigError("embed.device: cuda was asked for, but the Ray cluster has no GPU (use auto or cpu)")
    if want > 0:
        return want, "cuda"
    return 0.0, "mps" if device == "mps" else "cpu"


class EmbedActor:
    """Holds one model; embeds one chunk of missing texts per call (a chunk is one block:
    the records of ``order[i * chunk:(i + 1) * chunk]``), in the chunk's order."""

    def __init__(self, embedder: Embedder, threads: int, mode: str, order: Any, chunk: int):
        import ray

        worker_environment(threads)
        self.embedder = embedder
        self.mode = mode
        self.order = ray.get(order) if isinstance(order, ray.ObjectRef) else order
        self.chunk = chunk
        embedder.setup()

    def __call__(self, block: pa.Table) -> pa.Table:
        df = pl.from_arrow(block)
        assert isinstance(df, pl.DataFrame)
        i = np.searchsorted(self.order, df[ROW].to_numpy())
        first = int(i[0]) if i.size else 0
        want = min(self.chunk, self.order.size - first)
        if first % self.chunk or i.size != want or not np.array_equal(i, np.arange(first, first + want)):
            return error_batch(StageError(
                "embed: the Ray engine received a chunk of texts split in parts; lower engine.stages.embed.batch_size"
            ))
        texts = [embed_input(r.get("title"), r.get("messages"), r.get("text"), self.mode) for r in df.iter_rows(named=True)]
        before = dataclasses.replace(self.embedder.timing)
        vecs = self.embedder.embed(texts)
        t = self.embedder.timing
        n = len(texts)
        padded = np.zeros(n, np.int64)
        real = np.zeros(n, np.int64)
        if n:
            padded[0] = t.padded_tokens - before.padded_tokens
            real[0] = t.real_tokens - before.real_tokens
        dim = vecs.shape[1] if vecs.ndim == 2 else 0
        flat = pa.array(np.ascontiguousarray(vecs, dtype=np.float32).ravel(), type=pa.float32())
        return pa.table({
            "i": i.astype(np.int64),
            "vector": pa.FixedSizeListArray.from_arrays(flat, dim),
            "padded": padded,
            "real": real,
        })


class RayEmbedMissing:
    """``EmbedStage.annotate``'s ``embed_missing`` on Ray (see the module doc)."""

    def __init__(self, engine: Any, cfg: EmbedConfig, input_path: Path | str, live_pos: np.ndarray, res: Resources):
        self.engine = engine
        self.cfg = cfg
        self.input_path = input_path
        self.live_pos = live_pos
        self.res = res

    def chunk_size(self) -> int:
        """Texts per actor call: ``engine.stages.embed.batch_size`` when configured, else the
        local engine's chunk (which gives the local engine's vectors exactly)."""
        over = self.engine.override("embed")
        return int(over.batch_size) if over is not None and over.batch_size else CHUNK

    def __call__(
        self, hashes: list[str], cache: EmbeddingCache, embedder: Embedder, progress: Progress
    ) -> tuple[np.ndarray, dict[str, Any]]:
        from ray.data import ActorPoolStrategy

        missing = cache.missing(hashes)
        unique = len(set(hashes))
        t0 = time.perf_counter()
        device = None
        if missing:
            over = self.engine.override("embed")
            gpus, device = embed_placement(
                self.cfg.device, self.engine.cluster().get("GPU", 0.0), over.gpus if over is not None else None
            )
            cpus = self.res.cpus
            self.engine.check_fits("embed", cpus, gpus)
            vectors = self._embed(missing, hashes, embedder, gpus, device, cpus, progress, ActorPoolStrategy)
            cache.add(missing, vectors)
        seconds = time.perf_counter() - t0
        info = {
            "distinct_texts": unique,
            "cache_hits": unique - len(missing),
            "embedded": len(missing),
            "embed_seconds": round(seconds, 3),
            "docs_per_second": round(len(missing) / seconds, 1) if missing and seconds > 0 else None,
            "device": device,
        }
        return (cache.get(hashes) if hashes else np.zeros((0, 0), dtype=np.float32)), info

    def _embed(
        self, missing: list[str], hashes: list[str], embedder: Embedder, gpus: float, device: str, cpus: float,
        progress: Progress, pool: Any,
    ) -> np.ndarray:
        import ray

        # the first live record of each missing hash: the text the local engine embeds
        todo = set(missing)
        first: dict[str, int] = {}
        for i, h in enumerate(hashes):
            if h in todo and h not in first:
                first[h] = i
        pos = np.fromiter((first[h] for h in missing), dtype=np.int64, count=len(missing))
        phys = self.live_pos[pos]  # increasing: ``missing`` is in first-seen order
        chunk = self.chunk_size()
        chunks = -(-len(missing) // chunk)
        actors = self.engine.workers("embed", self.res, chunks,
                                     default=int(self.engine.cluster().get("GPU", 0.0) // gpus) if gpus > 0 else None)
        threads = embedder.threads or max(1, int(cpus))
        worker = dataclasses.replace(embedder, device=device, threads=threads, timing=EmbedTiming())
        log.info("embed: %d text(s) in %d chunk(s) on %d actor(s) (%s)", len(missing), chunks, actors, device)
        progress.note(f"embedding {len(missing):,} texts on {actors} Ray actor(s) ({device})")
        # one read task and one block per chunk: the chunks are the local engine's, so are the vectors
        texts = read_rows(self.input_path, ["title", "messages", "text"], rows=phys, chunks=phys[::chunk],
                          concurrency=read_concurrency(actors))
        embedded = texts.map_batches(
            EmbedActor,
            fn_constructor_args=(worker, threads, self.cfg.input, ray.put(phys), chunk),
            batch_size=None,
            batch_format="pyarrow",
            compute=pool(size=actors),
            num_cpus=cpus,
            **({"num_gpus": gpus} if gpus > 0 else {}),
        )
        out: np.ndarray | None = None
        done = 0
        t0 = time.perf_counter()
        for tbl in self.engine.stream("embed", embedded, in_order=False):
            if tbl.num_rows == 0:
                continue
            vec = tbl.column("vector").combine_chunks()
            dim = vec.type.list_size
            if out is None:
                out = np.empty((len(missing), dim), dtype=np.float32)
            out[tbl.column("i").to_numpy()] = vec.flatten().to_numpy().reshape(-1, dim)
            embedder.timing.padded_tokens += int(tbl.column("padded").to_numpy().sum())
            embedder.timing.real_tokens += int(tbl.column("real").to_numpy().sum())
            done += tbl.num_rows
            rate = done / max(time.perf_counter() - t0, 1e-9)
            progress.note(f"embedded {done:,}/{len(missing):,} ({rate:,.0f}/s)")
        if out is None or done != len(missing):
            raise AssertionError(f"embed: {done} vectors came back from Ray for {len(missing)} texts")
        embedder.timing.texts += done
        return out
