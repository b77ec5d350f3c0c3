"""`curate pii ...`: tools around redaction. `reveal` decrypts values written by the
encrypt operator (for an authorized person holding the key), `keygen` makes such a key,
`check` runs the residual check over a records file or a run's tables, `entities` lists
what can be redacted."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import polars as pl
import typer

from curate.cli.common import console, err_console
from curate.errors import InputError

log = logging.getLogger("curate.pii")

pii_app = typer.Typer(
    name="pii",
    help="PII tools: reveal encrypted values, make an encryption key, check files for residual PII, list entity types.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


def register(app: typer.Typer) -> None:
    app.add_typer(pii_app, name="pii")


TEXT_COLUMNS = ("title", "text", "reasoning")


@pii_app.command("reveal")
def reveal_cmd(
    in_path: Path = typer.Argument(
        None, metavar="[IN]", help="Records (.jsonl or .parquet) written with the encrypt operator (e.g. a run's redact.parquet)."
    ),
    out: Path = typer.Option(None, "--out", "-o", help="Where to write the revealed records (.jsonl or .parquet); default: print JSONL."),
    ids: list[str] = typer.Option(None, "--id", help="Reveal only this record (repeatable)."),
    entities: str = typer.Option(None, "--entities", help="Comma-separated entity types to reveal (default: all)."),
    text: str = typer.Option(None, "--text", help="Reveal the tokens in this text instead of a file."),
    key_env: str = typer.Option("CURATE_PII_KEY", "--key-env", help="Environment variable holding the key."),
) -> None:
    """Decrypt `<ENC:TYPE:...>` tokens back to the original values.

    For an authorized person only: the output holds real PII. The key is read from the
    environment (CURATE_PII_KEY unless --key-env says otherwise), never from a file or
    an option. A wrong key fails with an error instead of printing garbage.

    Example: `CURATE_PII_KEY=... curate pii reveal runs/tickets/redact.parquet --id zendesk:acme:123`
    """
    from curate.cli.common import read_records, record_to_json
    from curate.pii.crypto import Encryptor
    from curate.pii.secrets import read_key

    enc = Encryptor(read_key(key_env))
    wanted = {e.strip().upper() for e in entities.split(",") if e.strip()} if entities else None
    if text is not None:
        revealed, _ = enc.reveal(text, wanted)
        typer.echo(revealed)
        return
    if in_path is None:
        raise InputError("give a records file (IN) or --text")
    df = read_records(in_path) if in_path.suffix != ".parquet" else pl.read_parquet(in_path)
    if ids:
        from curate.pii.ids import lookup

        # an id that held personal data was replaced by its keyed hash: found by either
        sources = df["source"].unique().to_list() if "source" in df.columns else []
        wanted_ids = {i: set(lookup(i, sources, "CURATE_PII_SALT")) for i in ids}
        df = df.filter(pl.col("id").is_in(sorted(set().union(*wanted_ids.values()))))
        have = set(df["id"].to_list())
        missing = [i for i, cands in wanted_ids.items() if not cands & have]
        if missing:
            raise InputError(f"{in_path}: no record with id {', '.join(sorted(missing))}")
    total = 0

    def rev(value):
        nonlocal total
        if isinstance(value, str):
            out_text, n = enc.reveal(value, wanted)
            total += n
            return out_text
        return value

    rows = []
    for r in df.iter_rows(named=True):
        for col in TEXT_COLUMNS + ("meta",):
            if col in r:
                r[col] = rev(r[col])
        if r.get("messages"):
            r["messages"] = [{**m, "content": rev(m.get("content"))} for m in r["messages"]]
        rows.append(r)
    log.warning("pii reveal: %d value(s) decrypted from %s", total, in_path)
    if out is None:
        for r in rows:
            sys.stdout.write(json.dumps(record_to_json(r), ensure_ascii=False, default=str) + "\n")
    else:
        from curate.cli.common import write_records

        write_records(pl.DataFrame(rows, schema=df.schema), out)
        console.print(f"{len(rows):,} records, {total:,} values revealed → {out}")
    err_console.print("[yellow]the output holds real personal data: handle it accordingly[/]")


@pii_app.command("keygen")
def keygen_cmd() -> None:
    """Print a new 256-bit key for the encrypt operator.

    Store it in a secret manager and export it as CURATE_PII_KEY when building or
    revealing; never put it in curate.yaml or the run folder. Whoever has it can read
    every encrypted value.
    """
    from curate.pii.secrets import new_key

    typer.echo(new_key())


@pii_app.command("check")
def check_cmd(
    paths: list[Path] = typer.Argument(..., metavar="PATH...", help="Records files (.jsonl/.parquet) or run folders."),
    checks: str = typer.Option(None, "--checks", help="Comma-separated checks (default: all of EMAIL_ADDRESS, CREDIT_CARD, ...)."),
) -> None:
    """Run the residual check (emails, cards with Luhn, IBANs with checksum, SSNs, phones,
    IPs, secrets) over redacted files and list the records where something is found,
    by id and type (never the value). Exits 1 when anything is found.

    A run folder is checked table by table, except ingest.parquet (the raw input).
    """
    from curate.cli.common import read_records
    from curate.pii.config import RESIDUAL_CHECKS
    from curate.pii.residual import count_types, find_residuals

    kinds = [c.strip().upper() for c in checks.split(",")] if checks else list(RESIDUAL_CHECKS)
    bad = [c for c in kinds if c not in RESIDUAL_CHECKS]
    if bad:
        raise InputError(f"--checks: unknown {', '.join(bad)}; known: {', '.join(RESIDUAL_CHECKS)}")
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(f for f in p.glob("*.parquet") if f.name != "ingest.parquet")
        else:
            files.append(p)
    found_any = 0
    for f in files:
        df = pl.read_parquet(f) if f.suffix == ".parquet" else read_records(f)
        cols = [c for c in ("title", "text", "meta") if c in df.columns]
        for r in df.select("id", *cols).iter_rows(named=True):
            hits = []
            for c in cols:
                if isinstance(r[c], str):
                    hits += find_residuals(r[c], kinds)
            if hits:
                found_any += 1
                console.print(f"{f}: {r['id']}: {json.dumps(count_types(hits))}", highlight=False)
    if found_any:
        console.print(f"[red]{found_any} record(s) with residual PII[/]")
        raise typer.Exit(1)
    console.print(f"no residual PII in {len(files)} file(s)")


@pii_app.command("entities")
def entities_cmd() -> None:
    """List the entity types curate can redact and which are on by default."""
    from curate.pii.config import DEFAULT_ENTITIES, RedactConfig
    from curate.pii.engine import PiiAnalyzer

    analyzer = PiiAnalyzer(RedactConfig())
    supported = sorted(analyzer.analyzer.get_supported_entities(analyzer.language))
    for e in supported:
        console.print(f"{e:<22} {'default' if e in DEFAULT_ENTITIES else ''}", highlight=False)
