"""`curate agreement RUN` and `curate agreement --labels FILE`: how far reviewers agree."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from curate.errors import InputError

HELP = """How far reviewers agree, per field, label and reviewer, with 95% intervals.

**A run:** `curate agreement runs/NAME` reads the labels pulled from Label Studio
(`labels/labels.parquet`, levels in `labels/fields.json`), writes `runs/NAME/agreement.json`
and prints a table.

**Any labels:** `curate agreement --labels FILE --level quality=ordinal --level category=nominal`
scores a CSV, JSONL or Parquet file with one row per item, rater, field and value (column
names set by `--item-col`, `--rater-col`, `--field-col`, `--value-col`; `--wide` for one
column per field).

Levels: nominal (categories), ordinal (ordered: numbers, or `ordinal:low,medium,high`),
interval, ratio, text (free text: similarity). See docs/agreement.md for how to read it.
"""


def register(app: typer.Typer) -> None:
    app.command("agreement", help=HELP)(agreement_cmd)


def agreement_cmd(
    run_path: Path = typer.Argument(None, metavar="RUN", help="A run folder (runs/NAME) or its curate.yaml, after `curate label pull`."),
    labels: Path = typer.Option(None, "--labels", help="Score a labels file instead of a run: .csv, .tsv, .jsonl or .parquet."),
    level: list[str] = typer.Option([], "--level", help="FIELD=LEVEL, once per field (nominal, ordinal, ordinal:a,b,c, interval, ratio, text)."),
    default_level: str = typer.Option(None, "--default-level", help="Level of every field without its own --level."),
    item_col: str = typer.Option("record_id", "--item-col", help="Column naming the item rated."),
    rater_col: str = typer.Option("reviewer", "--rater-col", help="Column naming the rater."),
    field_col: str = typer.Option("field", "--field-col", help="Column naming the field (absent: the file holds one field)."),
    value_col: str = typer.Option("value", "--value-col", help="Column holding the label."),
    seconds_col: str = typer.Option(None, "--seconds-col", help="Column with the seconds a rater spent on the item (for median time)."),
    wide: bool = typer.Option(False, "--wide", help="One row per item and rater, one column per field."),
    out: Path = typer.Option(None, "--out", "-o", help="Also write the report (JSON) here."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON instead of tables."),
    bootstrap: int = typer.Option(1000, "--bootstrap", min=0, help="Bootstrap samples for the 95% intervals (0: none)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap (same seed, same intervals)."),
    verdict_field: str = typer.Option("verdict", "--verdict-field", help="Field whose accept rate is reported per reviewer."),
    accept_value: str = typer.Option("accept", "--accept-value", help="The verdict that counts as accepting."),
    rule_file: Path = typer.Option(None, "--rule", help="YAML/JSON file with the agreement rule (tolerances, text threshold)."),
) -> None:
    from curate.agreement.compute import compute_agreement
    from curate.agreement.io import REPORT, parse_level_options, read_label_file, read_run_labels
    from curate.agreement.levels import parse_level
    from curate.agreement.render import print_report
    from curate.cli.common import console, open_run
    from curate.store import write_json

    if (run_path is None) == (labels is None):
        raise InputError("give either a run folder (curate agreement RUN) or a labels file (--labels FILE)")
    rule = _load_rule(rule_file) if rule_file else None
    dest: Path | None = None
    if run_path is not None:
        if level or default_level or wide:
            raise InputError("--level, --default-level and --wide apply to --labels; a run's levels are in labels/fields.json")
        run = open_run(run_path)
        df, levels = read_run_labels(run.root)
        if rule is None:
            rule = _rule_from_run(run.manifest())
        dest = run.root / REPORT
    else:
        df = read_label_file(labels, item=item_col, rater=rater_col, field=field_col, value=value_col,
                             seconds=seconds_col, wide=wide)
        levels = parse_level_options(level)
        present = df.get_column("field").unique().sort().to_list()
        missing = [f for f in present if f not in levels]
        if missing:
            if default_level is None:
                raise InputError(f"no --level for field(s) {', '.join(missing)}; add --level FIELD=LEVEL or --default-level")
            parse_level(default_level)
            levels.update({f: default_level for f in missing})
        unused = [f for f in levels if f not in present]
        if unused:
            raise InputError(f"--level names field(s) not in {labels}: {', '.join(unused)} (fields: {', '.join(present)})")
    report = compute_agreement(df, levels, bootstrap=bootstrap, seed=seed,
                               verdict_field=verdict_field or None, accept_value=accept_value, rule=rule)
    for path in (dest, out):
        if path is not None:
            write_json(path, report)
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print_report(report, console)
        written = " and ".join(str(p) for p in (dest, out) if p is not None)
        if written:
            console.print(f"report → {written}", highlight=False)


def _load_rule(path: Path):
    import yaml
    from pydantic import ValidationError

    from curate.agreement.rule import AgreementRule

    if not path.exists():
        raise InputError(f"{path}: file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: invalid YAML/JSON ({str(exc).splitlines()[0]})") from None
    try:
        return AgreementRule.model_validate(data)
    except ValidationError as exc:
        e = exc.errors()[0]
        loc = ".".join(str(x) for x in e["loc"])
        raise InputError(f"{path}: {loc}: {e['msg']}") from None


def _rule_from_run(manifest: dict):
    """The run's rule when its config has one (``label.agreement``); else the defaults."""
    from curate.agreement.rule import AgreementRule

    label = ((manifest.get("config") or {}).get("label") or {})
    data = label.get("agreement") if isinstance(label, dict) else None
    return AgreementRule.model_validate(data) if isinstance(data, dict) else None
