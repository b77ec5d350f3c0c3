"""The new records, as the run would have seen them: read by the same sources (or as a
records file), redacted with the run's ``redact:`` settings and embedded with its model,
through the run's embedding cache. Nothing here keeps or shows raw text: the records
leave this module redacted (when the run redacts), and the temporary ingest folder, the
only place that held the raw text, is removed."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from curate.cli.common import complete_records, read_records
from curate.embed.cache import cache_file_name
from curate.embed.config import EmbedConfig
from curate.embed.stage import embed_frame
from curate.errors import CurateError, InputError
from curate.records import live
from curate.run import RunFolder

RECORD_SUFFIXES = (".jsonl", ".json", ".ndjson", ".parquet", ".csv")
CONFIG_SUFFIXES = (".yaml", ".yml")
#: a file's suffix → the source type that reads it
SOURCE_OF = {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".csv": "csv"}


def _columns(path: Path) -> list[str]:
    """The columns (keys) of a records file, from its schema, header or first object."""
    try:
        if path.suffix == ".parquet":
            return list(pl.read_parquet_schema(path))
        if path.suffix == ".csv":
            return pl.read_csv(path, n_rows=0, infer_schema=False).columns
        with open(path, "rb") as fh:
            head = fh.read(1 << 20)
        text = head.decode("utf-8-sig", errors="replace").lstrip()
        if text.startswith("["):
            return []  # a JSON array: only a source reads it
        line = text.split("\n", 1)[0]
        obj = json.loads(line)
        return list(obj) if isinstance(obj, dict) else []
    except (OSError, ValueError, pl.exceptions.PolarsError) as exc:
        raise InputError(f"{path}: cannot be read as {path.suffix[1:]} ({type(exc).__name__})") from None


def is_record_file(path: Path) -> bool:
    cols = set(_columns(path))
    return "id" in cols and bool(cols & {"text", "messages"})


def _read_csv_records(path: Path) -> pl.DataFrame:
    try:
        df = pl.read_csv(path, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(f"{path}: cannot be read as CSV ({type(exc).__name__})") from None
    if "meta" not in df.columns:
        extra = [c for c in df.columns if c not in ("id", "text", "title", "source", "kind")]
        if extra:  # the other columns become metadata (strata such as category, intent)
            df = df.with_columns(pl.struct(extra).map_elements(
                lambda r: json.dumps(r, sort_keys=True, ensure_ascii=False), return_dtype=pl.Utf8).alias("meta")).drop(extra)
    return complete_records(df, str(path))


def _source_entries(new: Path, run_config: dict[str, Any]) -> list[dict[str, Any]]:
    """The source entries that read ``new``: a config file's own sources, or the run's
    first source of the file's type pointed at it."""
    if new.suffix in CONFIG_SUFFIXES:
        from curate.config import load_config

        cfg = load_config(new)
        out = []
        for sc in cfg.sources:
            d = sc.model_dump(mode="json")
            if d.get("path"):
                d["path"] = str((cfg.base_dir / d["path"]).resolve())
            out.append(d)
        return out
    want = SOURCE_OF[new.suffix]
    for sc in run_config.get("sources") or []:
        if sc.get("type") == want and sc.get("enabled", True):
            d = dict(sc)
            d["path"] = str(new.resolve())
            return [d]
    raise InputError(
        f"{new}: not in curate's record format (an 'id' and a 'text' or 'messages' column) and the run has no "
        f"{want} source whose field mapping could read it; give a records file or a config file with sources"
    )


def _ingest_and_redact(entries: list[dict[str, Any]], run_config: dict[str, Any], base_dir: Path) -> pl.DataFrame:
    """Run the ingest and redact stages of a configuration made of the run's settings and
    ``entries`` as its sources, in a temporary run folder; the live redacted records."""
    from curate.config import parse_config
    from curate.pipeline import build
    from curate.stages.base import Progress

    data = {k: v for k, v in run_config.items() if k not in ("engine",)}
    data["name"] = "drift-new"
    data["sources"] = entries
    with tempfile.TemporaryDirectory(prefix="curate-drift-") as tmp:
        data["runs_dir"] = tmp
        cfg = parse_config(yaml.safe_dump(data, sort_keys=False), base_dir / ".curate-drift.yaml")
        result = build(cfg, runs_dir=Path(tmp), only=["ingest", "redact"], progress=Progress(), report=False)
        run = result.run
        last = run.last_table(["ingest", "redact"])
        if last is None:
            raise CurateError("drift: reading the new records wrote no table")
        stage, path = last
        df = live(pl.read_parquet(path))
        if cfg.redact.enabled and stage != "redact":
            raise CurateError("drift: the new records were not redacted")
        return df


def _redact_records(df: pl.DataFrame, run_config: dict[str, Any]) -> pl.DataFrame:
    from curate.cli.standalone import standalone_stage
    from curate.pii.config import RedactConfig

    redact = RedactConfig.model_validate(run_config.get("redact") or {})
    if not redact.enabled:
        return df
    from curate.store import write_parquet

    with tempfile.TemporaryDirectory(prefix="curate-drift-") as tmp:
        src = Path(tmp) / "new.parquet"
        write_parquet(src, df)
        with standalone_stage("redact", redact, src) as (table, _entry):
            return live(table)


def read_new(new: Path, run_config: dict[str, Any], base_dir: Path) -> tuple[pl.DataFrame, str]:
    """The new records, read and redacted as the run's were; (records, how they were read)."""
    new = Path(new)
    if not new.exists():
        raise InputError(f"{new}: file not found")
    if new.is_dir() or new.suffix not in RECORD_SUFFIXES + CONFIG_SUFFIXES:
        raise InputError(f"{new}: expected a records file (.jsonl, .csv, .parquet) or a config file (.yaml)")
    if new.stat().st_size == 0:
        raise InputError(f"{new}: is empty; no records to compare")
    if new.suffix in RECORD_SUFFIXES and is_record_file(new):
        df = _read_csv_records(new) if new.suffix == ".csv" else read_records(new)
        return _redact_records(df, run_config), "records file"
    how = "config sources" if new.suffix in CONFIG_SUFFIXES else "the run's source mapping"
    return _ingest_and_redact(_source_entries(new, run_config), run_config, base_dir), how


def embed_new(df: pl.DataFrame, run: RunFolder, run_config: dict[str, Any]) -> tuple[pl.DataFrame, dict[str, Any]]:
    """``df`` with the run's embeddings (its model, input and cache)."""
    cfg = EmbedConfig.model_validate(run_config.get("embed") or {})
    if not cfg.enabled:
        raise InputError(f"{run.root}: the run was built without the embed stage; drift compares embeddings")
    cache_path = run.path("cache") / cache_file_name(cfg) if cfg.cache else None
    if cache_path is not None:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
    return embed_frame(df, cfg, cache_path)
