"""What every command shares: consoles, logging, opening configs and runs, reading and
writing record files for the standalone stage commands."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from rich.console import Console

from curate.config import CurateConfig, load_config
from curate.errors import CurateError, InputError
from curate.records import RECORD_SCHEMA, content_hash, flatten, meta_loads, pii_counts

#: the typed count columns of the redact stage and the key of their entries
COUNT_COLUMNS = {"pii": "entity", "pii_residual": "entity", "pii_languages": "language"}
from curate.run import RunFolder

console = Console()
err_console = Console(stderr=True)


def setup_logging(verbose: int) -> None:
    from rich.logging import RichHandler

    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, format="%(message)s", handlers=[RichHandler(console=err_console, show_path=False)], force=True
    )
    # third-party loggers that are noisy at INFO (Presidio lists every recognizer)
    for noisy in ("presidio-analyzer", "presidio-anonymizer", "sentence_transformers", "httpx", "urllib3"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def open_config(path: Path) -> CurateConfig:
    return load_config(path)


def is_config_file(path: Path) -> bool:
    return path.is_file() and path.suffix in (".yaml", ".yml")


def open_run(path: Path, runs_dir: Path | None = None, config: CurateConfig | None = None) -> RunFolder:
    """A run folder given as its path, or as the config file that builds it (``config``:
    that file, already read)."""
    p = Path(path)
    if config is not None or is_config_file(p):
        cfg = config or load_config(p)
        p = cfg.run_dir(runs_dir)
    run = RunFolder(p)
    if not run.exists():
        raise InputError(f"{path}: not a run folder (no manifest.json); run `curate build CONFIG` first")
    return run


#: the config sections whose settings decide a run's tables (ingest to select)
BUILD_SECTIONS = ("sources", "turns", "redact", "dedupe", "filter", "embed", "select")


@dataclass
class RunSettings:
    """The run a command works on and the configuration it uses: the config file it was
    given, else the configuration stored in the run's manifest at build time."""

    run: RunFolder
    config: dict[str, Any]  # as manifest.json stores it (model_dump(mode="json"))
    base_dir: Path  # relative paths in the config resolve against this folder
    #: the config file given; with ``stored``, the file the run was built from (given the
    #: run folder, the stored configuration is used and the file is only compared)
    config_file: Path | None = None
    #: section -> dotted keys whose value differs between the file and the stored config
    differences: dict[str, list[str]] = field(default_factory=dict)
    stored: bool = False

    def note(self, own: tuple[str, ...]) -> str | None:
        """One line saying how the config file differs from the run's stored one, where it
        matters: the command's ``own`` sections and the sections that built the run's
        tables (those tables stay as they are until the next build). Given the file, its
        settings are used; given the run folder, the stored ones, and the line says how to
        use the file's."""
        if self.config_file is None or not self.differences:
            return None
        name = self.config_file.name
        parts = []
        mine = [k for s in own for k in self.differences.get(s, [])]
        if mine and self.stored:
            parts.append(f"using the settings stored in the run; {name} now differs ({_keys(mine)}): "
                         f"give {self.config_file} instead of the run folder to use it")
        elif mine:
            parts.append(f"using {name}'s settings, which differ from those the run was built with ({_keys(mine)})")
        built = [s for s in BUILD_SECTIONS if s in self.differences]
        if built:
            parts.append(
                f"the run's tables were built with other {', '.join(built)} settings "
                f"({_keys([k for s in built for k in self.differences[s]])}): `curate build {self.config_file}` applies them"
            )
        return "note: " + "; ".join(parts) if parts else None


def _keys(keys: list[str], limit: int = 4) -> str:
    return ", ".join(keys[:limit]) + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def differing_keys(a: Any, b: Any, prefix: str) -> list[str]:
    """Dotted paths of the values that differ between two JSON trees."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for k in sorted(set(a) | set(b), key=str):
            out += differing_keys(a.get(k), b.get(k), f"{prefix}.{k}")
        return out
    return [] if a == b else [prefix]


def run_settings(path: Path, runs_dir: Path | None = None) -> RunSettings:
    """A run given as its folder or as the config file that builds it. The rule every
    command follows: a config file given is the configuration used; the differences from
    the configuration stored at build time are listed (see :meth:`RunSettings.note`)."""
    p = Path(path)
    cfg = load_config(p) if is_config_file(p) else None
    run = open_run(p, runs_dir, cfg)
    stored = run.manifest().get("config") or {}
    if cfg is not None:
        current = cfg.model_dump(mode="json")
        return RunSettings(run, current, cfg.base_dir, p, _differences(current, stored))
    config_path = run.manifest().get("config_path")
    base = Path(config_path).resolve().parent if config_path else Path.cwd()
    settings = RunSettings(run, stored, base)
    # given the run folder, the stored configuration is used; the file it was built from
    # is compared, so that an edit there is never ignored without a word
    source = Path(config_path) if config_path else None
    if source is not None and is_config_file(source):
        try:
            edited = load_config(source).model_dump(mode="json")
        except (CurateError, OSError, ValueError):
            return settings  # the file no longer reads as a config: nothing to compare
        if edited.get("name") == stored.get("name"):
            settings.config_file, settings.stored = source, True
            settings.differences = _differences(edited, stored)
    return settings


def _differences(current: dict[str, Any], stored: dict[str, Any]) -> dict[str, list[str]]:
    diffs: dict[str, list[str]] = {}
    for section in sorted(set(current) | set(stored)):
        keys = differing_keys(current.get(section), stored.get(section), section)
        if keys:
            diffs[section] = keys
    return diffs


# -- outputs that must not destroy inputs -----------------------------------------------------


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve(strict=False) == b.resolve(strict=False)


def refuse_overwrite(inputs: list[Path | None], outputs: list[Path | None], force: bool) -> None:
    """An InputError when an output file is one of the inputs (the same path, a link to it,
    a hard link), unless ``force``: the input would be replaced by the command's result."""
    if force:
        return
    for out in outputs:
        if out is None:
            continue
        for inp in inputs:
            if inp is not None and _same_file(Path(inp), Path(out)):
                raise InputError(
                    f"{out}: is the input {inp}; writing it would replace the input. Choose another output "
                    "file, or add --force to replace the input"
                )


# -- record files (standalone stage commands) ---------------------------------------------


def read_records(path: Path) -> pl.DataFrame:
    """Read records from JSONL or Parquet. ``id`` and ``text`` and/or ``messages`` are
    required; the other Record columns are filled in when absent."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.suffix == ".parquet":
        df = pl.read_parquet(path)
    elif path.suffix in (".jsonl", ".json", ".ndjson"):
        rows = []
        with open(path, "rb") as fh:
            for n, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                try:
                    row = json.loads(raw.decode("utf-8-sig" if n == 1 else "utf-8"))
                except UnicodeDecodeError:
                    raise InputError(f"{path}:{n}: not valid UTF-8") from None
                except json.JSONDecodeError as exc:
                    raise InputError(f"{path}:{n}: invalid JSON: {exc.msg} (column {exc.colno})") from None
                if not isinstance(row, dict):
                    raise InputError(f"{path}:{n}: expected a JSON object")
                if "meta" in row and not isinstance(row["meta"], str):
                    row["meta"] = json.dumps(row["meta"], sort_keys=True, ensure_ascii=False)
                for col, key in COUNT_COLUMNS.items():
                    if col in row:  # written as objects (record_to_json): back to the typed list
                        row[col] = [{key: k, "count": v} for k, v in sorted(pii_counts(row[col], key).items())]
                rows.append(row)
        df = pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame(schema={"id": pl.Utf8})
        df = df.with_columns(pl.col(c).cast(pl.List(pl.Struct({k: pl.Utf8, "count": pl.Int32})))
                             for c, k in COUNT_COLUMNS.items() if c in df.columns)
    else:
        raise InputError(f"{path}: expected a .jsonl or .parquet file")
    return complete_records(df, str(path))


def complete_records(df: pl.DataFrame, where: str) -> pl.DataFrame:
    cols = set(df.columns)
    if "id" not in cols:
        raise InputError(f"{where}: records need an 'id' column")
    if "text" not in cols and "messages" not in cols:
        raise InputError(f"{where}: records need a 'text' or a 'messages' column")
    if df["id"].n_unique() != df.height:
        raise InputError(f"{where}: ids are not unique")
    df = df.with_columns(pl.col("id").cast(pl.Utf8))
    if "messages" not in cols:
        df = df.with_columns(pl.lit(None, dtype=RECORD_SCHEMA["messages"]).alias("messages"))
    df = df.with_columns(pl.col("messages").is_not_null().alias("_turns_given"))
    if "text" in cols and df["messages"].null_count():
        # rows that give only text become one user turn, row by row
        turn = pl.col("text").map_elements(
            lambda t: [{"role": "user", "content": t}], return_dtype=RECORD_SCHEMA["messages"]
        )
        df = df.with_columns(
            pl.when(pl.col("messages").is_null() & pl.col("text").is_not_null()).then(turn)
            .otherwise(pl.col("messages")).alias("messages")
        )
    if "text" not in cols:
        df = df.with_columns(pl.lit(None, dtype=pl.Utf8).alias("text"))
    if df["text"].null_count():
        # rows that give only turns get their text from the turns, row by row
        flat = pl.struct("messages", *([pl.col("title")] if "title" in cols else [])).map_elements(
            lambda r: flatten(r["messages"] or [], r.get("title")), return_dtype=pl.Utf8
        )
        df = df.with_columns(pl.when(pl.col("text").is_null()).then(flat).otherwise(pl.col("text")).alias("text"))
    # a row that gave only text is a document; one that gave turns, a conversation
    kind = pl.when(pl.col("_turns_given")).then(pl.lit("ticket")).otherwise(pl.lit("doc"))
    defaults = {
        "source": pl.lit("file"), "kind": kind, "title": pl.lit(None, dtype=pl.Utf8),
        "meta": pl.lit("{}"), "locator": pl.lit(where), "reasoning": pl.lit(None, dtype=pl.Utf8),
        "content_hash": pl.col("text").map_elements(content_hash, return_dtype=pl.Utf8),
    }
    df = df.with_columns([expr.alias(name) for name, expr in defaults.items() if name not in cols]).drop("_turns_given")
    return df.with_columns([pl.col(c).cast(t) for c, t in RECORD_SCHEMA.items()])


def record_to_json(row: dict[str, Any]) -> dict[str, Any]:
    """A table row as a JSON line: ``meta`` as an object, ``pii`` and ``pii_residual`` as
    objects (entity type -> count)."""
    out = dict(row)
    if isinstance(out.get("meta"), str):
        out["meta"] = meta_loads(out["meta"])
    for col, key in COUNT_COLUMNS.items():
        if out.get(col) is not None:
            out[col] = pii_counts(out[col], key)
    return out


def write_records(df: pl.DataFrame, path: Path) -> None:
    """Write records as JSONL (meta as an object) or Parquet, atomically."""
    from curate.store import write_jsonl, write_parquet

    path = Path(path)
    if path.suffix == ".parquet":
        write_parquet(path, df)
    elif path.suffix in (".jsonl", ".ndjson", ".json"):
        write_jsonl(path, (record_to_json(r) for r in df.iter_rows(named=True)))
    else:
        raise InputError(f"{path}: expected a .jsonl or .parquet output file")


def fail(message: str, code: int = 2) -> None:
    raise CurateError(message) if code == 1 else InputError(message)
