"""``curate drift --select N``: the next labeling batch, the N new records that are most
novel yet diverse. Greedy k-center over the training set and the new records, with the
training set counted as already covered: each pick is the new record farthest from the
training set and from every earlier pick, so the first picks are the most novel and no
two picks repeat one another.

``curate label push`` reads a run's select table, so the batch is written as a small run
folder of its own (``select.parquet`` with ``selected`` and ``rank``, a manifest with the
run's settings under the batch's name, so that it gets a review project of its own), plus
``batch.jsonl`` with the same records for other tools."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from curate.cli.common import write_records
from curate.drift.measure import nearest
from curate.drift.reference import Reference
from curate.embed.vectors import to_numpy
from curate.errors import InputError
from curate.records import DROP_COLUMN
from curate.run import RunFolder, now_iso
from curate.select.kcenter import k_center_greedy
from curate.threads import one_thread

STRATEGY = "drift_k_center"


def pick_batch(train: np.ndarray, new: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(indices into ``new`` in pick order, each pick's distance to the training set and
    the earlier picks when it was picked).

    The same farthest-point traversal as the select stage's k-center
    (``curate.select.kcenter``, ties to the lowest index), started from every new
    record's distance to its nearest training example: one pass over the training set
    instead of one per training example."""
    new = np.ascontiguousarray(new, dtype=np.float32)
    if n <= 0 or new.shape[0] == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    if train.shape[0] == 0:
        with one_thread():
            picks, gaps, _ = k_center_greedy(new, min(n, new.shape[0]))
        return picks, gaps
    mind = nearest(new, np.ascontiguousarray(train, dtype=np.float32))[1].astype(np.float32)
    picks: list[int] = []
    gaps: list[float] = []
    with one_thread():
        for _ in range(min(n, new.shape[0])):
            p = int(np.argmax(mind))
            picks.append(p)
            gaps.append(float(mind[p]))
            np.minimum(mind, 1.0 - new @ new[p], out=mind)
            mind[p] = -np.inf
    return np.array(picks, dtype=np.int64), np.array(gaps, dtype=np.float32)


def check_batch_folder(out_dir: Path, run: RunFolder) -> None:
    """Refuse a batch folder that is the run or holds anything but an earlier batch
    (checked before any work, so a mistake costs nothing)."""
    out_dir = Path(out_dir)
    if out_dir.resolve() == run.root.resolve():
        raise InputError(f"{out_dir}: is the run folder; give the batch a folder of its own")
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: is a file; give the batch a folder")
    if out_dir.exists() and any(out_dir.iterdir()) and RunFolder(out_dir).manifest().get("drift") is None:
        raise InputError(f"{out_dir}: holds files but no earlier drift batch; choose an empty or new folder")


def write_batch(out_dir: Path, run: RunFolder, run_config: dict[str, Any], ref: Reference, new: pl.DataFrame,
                clusters: np.ndarray, distances: np.ndarray, threshold: float, n: int) -> pl.DataFrame:
    """Write the batch folder; returns the batch (the picked records, best first). An
    earlier batch there is replaced (its files are rewritten)."""
    out_dir = Path(out_dir)
    check_batch_folder(out_dir, run)
    folder = RunFolder(out_dir)
    x = to_numpy(new["embedding"])
    order, gaps = pick_batch(ref.train_vectors, x, n)
    picked = new[order.tolist()]
    why = [
        f"drift batch: cosine distance {float(distances[i]):.3f} to the nearest training example "
        f"(novel beyond {threshold:.3f}); {float(g):.3f} from the training set and earlier picks when picked"
        for i, g in zip(order, gaps)
    ]
    picked = picked.with_columns(
        pl.Series("cluster", clusters[order].astype(np.int32), dtype=pl.Int32),
        pl.Series("selected", [True] * len(order), dtype=pl.Boolean),
        pl.Series("rank", np.arange(1, len(order) + 1, dtype=np.int32), dtype=pl.Int32),
        pl.Series("strategy", [STRATEGY] * len(order), dtype=pl.Utf8),
        pl.Series("why", why, dtype=pl.Utf8),
        pl.Series("drift_distance", distances[order].astype(np.float32), dtype=pl.Float32),
        pl.lit(None, dtype=pl.Utf8).alias(DROP_COLUMN),
    )
    folder.root.mkdir(parents=True, exist_ok=True)
    from curate.store import write_parquet

    write_parquet(folder.path("select.parquet"), picked)
    write_records(picked.drop("embedding"), folder.path("batch.jsonl"))
    manifest = run.manifest()
    name = out_dir.name
    config = dict(run_config)
    config["name"] = name
    redact_status = (manifest.get("stages", {}).get("redact") or {}).get("status", "disabled")
    folder.write_manifest({
        "name": name,
        "created_at": now_iso(),
        "config": config,
        "config_path": manifest.get("config_path"),
        "drift": {"run": str(run.root), "records": len(order), "strategy": STRATEGY},
        "stages": {
            # the new records went through the run's redact settings (or none, as the run)
            "redact": {"status": redact_status, "note": "the run's redact settings, applied by curate drift"},
            "select": {"status": "done", "table": "select.parquet", "records_out": len(order),
                       "stats": {"strategy": STRATEGY, "selected": len(order)}},
        },
    })
    return picked
