"""The embedding cache of a run: ``runs/<name>/cache/embed-<model>-<input>.parquet``.

One row per distinct content hash (``content_hash``, ``embedding``). The file name holds
everything besides the text that decides a vector (model, what part of the record was
embedded, truncation), so a change of model starts a new file and never mixes vectors.
A re-run, a new budget or a new source only embeds texts whose hash is not there yet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from curate.embed.config import EmbedConfig
from curate.embed.model import model_slug
from curate.embed.vectors import to_numpy, to_series
from curate.store import write_parquet


def cache_file_name(cfg: EmbedConfig) -> str:
    parts = ["embed", model_slug(cfg.model), cfg.input]
    if cfg.max_seq_length is not None:
        parts.append(f"len{cfg.max_seq_length}")
    return "-".join(parts) + ".parquet"


class EmbeddingCache:
    """Vectors keyed by content hash, loaded whole (vectors are small beside texts)."""

    def __init__(self, path: Path | None):
        self.path = path
        self._index: dict[str, int] = {}
        self._vectors = np.zeros((0, 0), dtype=np.float32)
        self._new_keys: list[str] = []
        if path is not None and path.exists():
            df = pl.read_parquet(path, columns=["content_hash", "embedding"])
            if df.height:
                self._vectors = to_numpy(df["embedding"])
                self._index = {h: i for i, h in enumerate(df["content_hash"].to_list())}

    def __len__(self) -> int:
        return len(self._index)

    def missing(self, hashes: list[str]) -> list[str]:
        """The distinct hashes of ``hashes`` with no stored vector, in first-seen order."""
        seen: set[str] = set()
        out = []
        for h in hashes:
            if h not in self._index and h not in seen:
                seen.add(h)
                out.append(h)
        return out

    def add(self, hashes: list[str], vectors: np.ndarray) -> None:
        if len(hashes) != len(vectors):
            raise ValueError("one vector per hash")
        if not hashes:
            return
        base = len(self._index)
        if self._vectors.size == 0:
            self._vectors = np.asarray(vectors, dtype=np.float32)
        else:
            if vectors.shape[1] != self._vectors.shape[1]:
                raise ValueError(f"vector size {vectors.shape[1]} differs from the cache's {self._vectors.shape[1]}")
            self._vectors = np.concatenate([self._vectors, vectors.astype(np.float32, copy=False)])
        for i, h in enumerate(hashes):
            self._index[h] = base + i
        self._new_keys.extend(hashes)

    def get(self, hashes: list[str]) -> np.ndarray:
        """Vectors for ``hashes`` (every one must be present)."""
        rows = np.fromiter((self._index[h] for h in hashes), dtype=np.int64, count=len(hashes))
        return self._vectors[rows]

    @property
    def dirty(self) -> bool:
        return bool(self._new_keys)

    def save(self) -> None:
        """Write the cache atomically (only when something was added)."""
        if self.path is None or not self.dirty:
            return
        keys = sorted(self._index, key=self._index.__getitem__)
        df = pl.DataFrame({"content_hash": keys, "embedding": to_series("embedding", self._vectors)})
        write_parquet(self.path, df)
        self._new_keys = []
