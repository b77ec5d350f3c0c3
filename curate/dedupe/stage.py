"""The dedupe stage: exact and MinHash near-duplicates, as a global stage.

Its steps (:mod:`curate.dedupe.finder`) run through the engine's ``ctx.ops``: signatures
in batches over the texts, near duplicates from the signatures alone, then groups. It
returns per record ``dup_group`` (named after the group's best-ranked record; a record
without duplicates is its own group), ``dup_kind``, ``is_representative``, ``dup_of`` and
``dup_similarity`` (whom a dropped record duplicates and how closely), ``dup_group_size``
and ``drop_reason`` (``exact_duplicate`` / ``near_duplicate``). The engine joins them onto
the table.
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl

from curate.dedupe.config import DedupeConfig
from curate.dedupe.finder import EXACT_REASON, NEAR_REASON, find_duplicates
from curate.labelstudio.expert import expert_fingerprint, expert_records
from curate.records import DROP_COLUMN
from curate.stages.base import Columns, GlobalStage, Resources, StageContext

# group sizes reported in the stats, as histogram bins (upper bounds included)
SIZE_BINS = ((2, 2), (3, 3), (4, 5), (6, 10), (11, 100), (101, 1000), (1001, None))


class DedupeStage(GlobalStage):
    """Exact and near-duplicate removal (MinHash LSH) with inspectable groups."""

    name: ClassVar[str] = "dedupe"
    config_key: ClassVar[str | None] = "dedupe"
    columns: ClassVar[Columns] = Columns(
        reads=("id", "text"),
        reads_optional=("messages", "meta"),  # for the keep policy
        writes={
            "dup_group": pl.Utf8,
            "dup_kind": pl.Utf8,
            "is_representative": pl.Boolean,
            "dup_of": pl.Utf8,
            "dup_similarity": pl.Float32,
            "dup_group_size": pl.Int32,
        },
    )

    def __init__(self, config: Any):
        super().__init__(config)
        self._info: dict[str, Any] | None = None

    @property
    def cfg(self) -> DedupeConfig:
        assert isinstance(self.config, DedupeConfig)
        return self.config

    def fingerprint(self) -> dict[str, Any]:
        # where signatures are computed does not change them, nor does the batch size
        return {"config": self.cfg.model_dump(mode="json", exclude={"device", "batch_size", "semantic"}),
                # records with expert work are kept first in their groups: a push or a first
                # label can change which copy a group keeps
                "expert_work": expert_fingerprint(self.run_root)}

    def resources(self) -> Resources:
        return Resources(cpus=1.0, gpus=0.0, batch_size=self.cfg.batch_size)

    def annotate(self, ctx: StageContext, table: pl.LazyFrame) -> pl.DataFrame:
        cfg = self.cfg
        columns = table.collect_schema().names()
        total = int(table.select(pl.len()).collect().item())
        expert = expert_records(ctx.run.root if ctx.run is not None else self.run_root)
        result = find_duplicates(ctx.ops_for(table), cfg, columns=columns, total=total, note=ctx.progress.note,
                                 prefer=frozenset(expert))
        self._info = result.info
        s = result.info.get("seconds", {})
        ctx.log.info(
            "dedupe: %d records, %d distinct texts, %s candidate pairs, %s duplicate pairs (%s)",
            result.info["records"],
            result.info["distinct_texts"],
            result.info.get("candidate_pairs", "-"),
            result.info.get("duplicate_pairs", "-"),
            ", ".join(f"{k} {v:.1f}s" for k, v in s.items()),
        )
        return result.frame

    def stats(self, output: pl.LazyFrame) -> dict[str, Any]:
        return dedupe_stats(output, self.cfg, self._info)


def parameters(cfg: DedupeConfig) -> dict[str, Any]:
    out: dict[str, Any] = {
        "exact": cfg.exact,
        "casefold": cfg.casefold,
        "near": cfg.near,
        "keep": cfg.keep,
    }
    if cfg.keep == "newest":
        out["newest_field"] = cfg.newest_field
    if cfg.near:
        bands, rows = cfg.lsh_params()
        out.update(
            {
                "threshold": cfg.threshold,
                "num_perm": cfg.num_perm,
                "shingle": cfg.shingle,
                "ngram": cfg.ngram,
                "lowercase": cfg.lowercase,
                "punctuation": cfg.punctuation,
                "bands": bands,
                "rows": rows,
                "verify": cfg.verify,
                "seed": cfg.seed,
            }
        )
    return out


def dedupe_stats(output: pl.LazyFrame, cfg: DedupeConfig, info: dict[str, Any] | None = None) -> dict[str, Any]:
    """Figures for the manifest, report and dataset card, from the dedupe table."""
    groups = (
        output.group_by("dup_group")
        .agg(
            pl.len().alias("size"),
            pl.col("is_representative").sum().alias("kept"),
            (pl.col(DROP_COLUMN) == EXACT_REASON).sum().alias("exact"),
            (pl.col(DROP_COLUMN) == NEAR_REASON).sum().alias("near"),
        )
        .filter(pl.col("size") > 1)
        .collect()
    )
    hist: dict[str, int] = {}
    sizes = groups["size"]
    for lo, hi in SIZE_BINS:
        label = str(lo) if lo == hi else (f"{lo}-{hi}" if hi is not None else f">{lo - 1}")
        m = (sizes >= lo) & (sizes <= hi) if hi is not None else sizes >= lo
        hist[label] = int(m.sum())
    records = int(output.select(pl.len()).collect().item())
    top = groups.sort(["size", "dup_group"], descending=[True, False]).head(5)
    out: dict[str, Any] = {
        "records": records,
        "groups": groups.height,
        "records_in_groups": int(sizes.sum()) if groups.height else 0,
        "group_sizes": hist,
        "largest_groups": [
            {"dup_group": r["dup_group"], "size": int(r["size"]), "kept": int(r["kept"])} for r in top.iter_rows(named=True)
        ],
        "groups_keeping_several": int((groups["kept"] > 1).sum()) if groups.height else 0,
        "dropped": {
            EXACT_REASON: int(groups["exact"].sum()) if groups.height else 0,
            NEAR_REASON: int(groups["near"].sum()) if groups.height else 0,
        },
        "parameters": parameters(cfg),
    }
    if info:
        for k in (
            "distinct_texts", "empty_texts", "recall_at_threshold", "buckets", "largest_bucket",
            "candidate_pairs", "band_pairs", "band_pairs_pruned", "exact_checked_pairs", "duplicate_pairs", "device",
        ):
            if k in info:
                out[k] = info[k]
        out["seconds"] = info.get("seconds", {})
    return out
