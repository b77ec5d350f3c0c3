"""The dedupe stage's batch steps: what is computed per record, in parallel, by whichever
engine runs the stage (``ctx.ops.map_batches``).

- :class:`SignStep`: each record's exact key (xxh3-128 of its normalised text), the keep
  policy's features and, for the first record of each text in the batch, its MinHash
  signature (on a GPU with torch when the step's device is one).
- :class:`ShingleSetStep`: the distinct shingle hashes of records, for the true Jaccard of
  the pairs verified exactly.

Both are pure functions of their batch; a step object carries only settings, so it pickles
to any worker."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from curate.dedupe import minhash, policy
from curate.dedupe.config import DedupeConfig
from curate.dedupe.shingles import EXACT, EXACT_CASEFOLD, Normalization, normalize, shingle_hashes

#: prefix of the keep policy's feature columns in the step's output
FEATURE = "f_"


def texts_of(batch: pl.DataFrame) -> pl.Series:
    return batch["text"].cast(pl.Utf8).fill_null("")


def shingle_norm(cfg: DedupeConfig) -> Normalization:
    return Normalization(lowercase=cfg.lowercase, drop_punctuation=not cfg.punctuation)


def input_columns(cfg: DedupeConfig, columns: list[str]) -> list[str]:
    """The columns :class:`SignStep` reads: ``id``, ``text`` and what the keep policy uses."""
    feats = policy.feature_exprs(cfg.keep, columns, cfg.newest_field)
    used = {c for e in feats.values() for c in e.meta.root_names()}
    return ["id", "text"] + sorted(c for c in ("messages", "meta") if c in columns and c in used)


class SignStep:
    """Per record: ``id``; ``key`` (16 bytes, when ``exact``); ``f_<feature>`` for the keep
    policy; ``signed``, ``sig`` (``num_perm`` uint32) and ``empty`` (no shingle), when
    ``near``. Only the first record of each text in the batch is signed (a later copy is
    never the first record of its text in the table); the others carry ``EMPTY`` values."""

    __name__ = "dedupe signatures"

    def __init__(self, cfg: DedupeConfig, columns: list[str], device: str = "cpu"):
        self.cfg = cfg
        self.columns = list(columns)
        self.device = device

    def __call__(self, batch: pl.DataFrame) -> pl.DataFrame:
        import xxhash

        cfg = self.cfg
        n = batch.height
        out: dict[str, Any] = {"id": batch["id"].cast(pl.Utf8)}
        feats = policy.feature_exprs(cfg.keep, self.columns, cfg.newest_field)
        if feats:
            fdf = batch.select(**feats)
            for k in feats:
                col = fdf[k]
                out[FEATURE + k] = policy.times(col) if k == "time" else col.to_numpy().astype(np.int64)
        texts = texts_of(batch)
        first = np.arange(n)
        if cfg.exact:
            buf = normalize(texts, EXACT_CASEFOLD if cfg.casefold else EXACT)
            mv = memoryview(buf.data)
            off = buf.offsets.tolist()
            keys = [xxhash.xxh3_128_digest(mv[off[i] : off[i + 1]]) for i in range(n)]
            seen: dict[bytes, int] = {}
            first = np.fromiter((seen.setdefault(k, i) for i, k in enumerate(keys)), dtype=np.int64, count=n)
            out["key"] = pl.Series(keys, dtype=pl.Binary)
            del buf, mv
        if cfg.near:
            signed = first == np.arange(n)
            sign = np.flatnonzero(signed)
            sub = texts if sign.size == n else texts.gather(sign)
            sb = shingle_hashes(normalize(sub, shingle_norm(cfg)), cfg.ngram, cfg.shingle)
            sig = minhash.signatures(sb, cfg.num_perm, cfg.seed, device=self.device)
            empty = sb.counts == 0
            if sign.size < n:  # the later copies in the batch carry no signature
                sig_all = np.full((n, cfg.num_perm), minhash.EMPTY, dtype=np.uint32)
                empty_all = np.zeros(n, dtype=bool)
                sig_all[sign], empty_all[sign] = sig, empty
                sig, empty = sig_all, empty_all
            out["signed"] = signed
            out["sig"] = pl.Series("sig", sig)
            out["empty"] = empty
        return pl.DataFrame(out)


class ShingleSetStep:
    """Per record: ``shingles``, its distinct shingle hashes (sorted uint32, as bytes)."""

    __name__ = "dedupe shingle sets"

    def __init__(self, cfg: DedupeConfig):
        self.cfg = cfg

    def __call__(self, batch: pl.DataFrame) -> pl.DataFrame:
        sb = shingle_hashes(normalize(texts_of(batch), shingle_norm(self.cfg)), self.cfg.ngram, self.cfg.shingle)
        sets = [np.unique(sb.of(j)).astype(np.uint32).tobytes() for j in range(batch.height)]
        return pl.DataFrame({"shingles": pl.Series(sets, dtype=pl.Binary)})
