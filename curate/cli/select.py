"""`curate select IN -o OUT --budget N`: a diverse subset of a records file, outside a build."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import typer
from pydantic import ValidationError

from curate.cli.common import console, err_console, write_records
from curate.errors import InputError


def register(app: typer.Typer) -> None:
    app.command("select")(select_cmd)


def select_cmd(
    in_path: Path = typer.Argument(
        ..., metavar="IN",
        help="Records (.jsonl or .parquet) with 'id' and 'text' and/or 'messages'; an 'embedding' column is used when present.",
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the selection (.jsonl or .parquet)."),
    budget: int = typer.Option(None, "--budget", "-n", min=1, help="How many records to select."),
    fraction: float = typer.Option(None, "--fraction", help="Budget as a share of the candidates, e.g. 0.02."),
    strategy: str = typer.Option(
        "cluster_balanced", "--strategy", "-s",
        help="cluster_balanced (default), k_center, stratified (with --stratify-by) or random.",
    ),
    stratify_by: str = typer.Option(None, "--stratify-by", help="Metadata field for --strategy stratified (e.g. category)."),
    k: int = typer.Option(None, "--k", min=1, help="Number of clusters (default: derived from the data and the budget)."),
    alpha: float = typer.Option(0.5, "--alpha", help="Quota per cluster grows as size^alpha (1 proportional, 0 equal)."),
    spread: str = typer.Option("coverage", "--spread", help="Inside a cluster after the central record: coverage or farthest."),
    seed: int = typer.Option(0, "--seed", help="Same seed, same selection."),
    no_quality: bool = typer.Option(False, "--no-quality", "--no-filter", help="Skip the filter stage (too short, too long, no agent reply, boilerplate)."),
    model: str = typer.Option(None, "--model", help="Embedding model when IN has no embeddings (default: all-MiniLM-L6-v2)."),
    device: str = typer.Option("auto", "--device", help="Embedding device: auto, cpu, cuda or mps."),
    embed_input: str = typer.Option("request", "--embed-input", help="What to embed: request, first_request or text."),
    cache: Path = typer.Option(None, "--cache", help="Folder for an embedding cache reused across calls."),
    all_rows: bool = typer.Option(False, "--all", help="Write every record with its cluster, rank and drop_reason, not only the selected ones."),
    keep_embeddings: bool = typer.Option(False, "--keep-embeddings", help="Keep the 'embedding' column in OUT."),
    force: bool = typer.Option(False, "--force", help="Write OUT even when it is IN (replacing the input)."),
) -> None:
    """Pick the records that cover the data best, to a budget.

    The filter stage runs first, as in a build (too short, too long, conversations with
    no agent reply; text-only records are documents and skip the conversation checks).
    Records without embeddings are then embedded (offline model by default). Every
    record gets a cluster and a reason (`why`); the selected ones a `rank` (review in
    that order). By default OUT holds only the selected records, best first; `--all`
    writes everything, with `drop_reason` (not_selected, too_short, ...) for the rest.
    Selecting nothing is an error (exit 1) that says what the filter dropped.

    Example: `curate select tickets.jsonl -o review.jsonl --budget 2000`
    """
    from curate.cli.common import refuse_overwrite
    from curate.cli.standalone import standalone_stages
    from curate.embed.config import EmbedConfig
    from curate.embed.stage import embed_frame
    from curate.filter.config import FilterConfig
    from curate.records import DROP_COLUMN
    from curate.select.config import VECTOR_STRATEGIES, SelectConfig

    raw = {
        "budget": budget, "fraction": fraction, "strategy": strategy, "stratify_by": stratify_by,
        "alpha": alpha, "spread": spread, "seed": seed, "clusters": {"k": k},
    }
    section = _validated(SelectConfig, raw, "select")
    embed_raw = {"device": device, "input": embed_input, "cache": cache is not None}
    if model:
        embed_raw["model"] = model
    embed_cfg = _validated(EmbedConfig, embed_raw, "embed")
    if out.suffix not in (".jsonl", ".ndjson", ".json", ".parquet"):
        raise InputError(f"{out}: expected a .jsonl or .parquet output file")
    refuse_overwrite([in_path], [out], force)

    def prepare(df: pl.DataFrame) -> pl.DataFrame:
        if DROP_COLUMN in df.columns:  # a stage table: only its live records are candidates
            df = df.filter(pl.col(DROP_COLUMN).is_null()).drop(DROP_COLUMN)
        if "embedding" in df.columns or section.strategy not in VECTOR_STRATEGIES:
            return df
        if not df.height:  # nothing left to embed: an empty vector column, no model loaded
            return df.with_columns(pl.lit(None, dtype=pl.List(pl.Float32)).alias("embedding"))
        cache_path = None
        if cache is not None:
            from curate.embed.cache import cache_file_name

            cache_path = cache / cache_file_name(embed_cfg)
        with err_console.status(f"embedding {df.height:,} records ({embed_cfg.model})"):
            df, info = embed_frame(df, embed_cfg, cache_path)
        if info["embedded"]:
            err_console.print(
                f"embedded {info['embedded']:,} texts in {info['embed_seconds']:.1f} s"
                + (f" ({info['cache_hits']:,} from the cache)" if info["cache_hits"] else "")
            )
        return df

    # the filter stage first, as in a build: records it drops are not embedded
    chain = ([] if no_quality else [("filter", FilterConfig())]) + [("select", section)]
    with standalone_stages(chain, in_path, prepare={"select": prepare}) as (tables, entries):
        table = tables["select"]
        entry = entries["select"]
        stats = entry.get("stats") or {}
        result = table
        if not all_rows:
            result = table.filter(pl.col("selected")).sort("rank")
        elif "filter" in tables:  # every input record, those the filter dropped first
            result = pl.concat([tables["filter"].filter(pl.col(DROP_COLUMN).is_not_null()), table], how="diagonal_relaxed")
        if not keep_embeddings and "embedding" in result.columns:
            result = result.drop("embedding")
        write_records(result, out)
    dropped = {r: n for e in entries.values() for r, n in (e.get("dropped") or {}).items() if r != "not_selected"}
    drops = ", ".join(f"{r}: {n:,}" for r, n in sorted(dropped.items(), key=lambda kv: -kv[1]))
    line = f"selected {stats.get('selected', 0):,} of {stats.get('candidates', 0):,} candidates ({section.strategy}"
    if stats.get("k"):
        line += f", {stats['k']} clusters, {stats.get('clusters_covered', 0)} covered"
    line += ")"
    console.print(line + (f"; filtered out: {drops}" if drops else ""))
    if not stats.get("selected"):
        from curate.export.outcome import EmptyResult

        n_in = (entries.get("filter") or entry).get("records_in", 0)
        why = f"the filter dropped every one ({drops})" if drops else "there were none"
        raise EmptyResult(f"selected nothing: {n_in:,} records in, and {why}; wrote {result.height:,} records → {out}")
    cov = stats.get("coverage")
    if cov:
        console.print(
            f"mean cosine distance to the nearest selected record: {cov['mean_distance']:.3f} "
            f"(a random sample of the same size: {cov['random_mean_distance']:.3f})"
        )
    clusters = stats.get("clusters") or []
    if clusters:
        from rich.table import Table

        table = Table(title=f"largest clusters (of {len(clusters)})", title_justify="left")
        for col, just in (("cluster", "right"), ("records", "right"), ("selected", "right"), ("distinctive words", "left")):
            table.add_column(col, justify=just)
        for c in sorted(clusters, key=lambda c: (-c["size"], c["cluster"]))[:10]:
            table.add_row(str(c["cluster"]), f"{c['size']:,}", f"{c['selected']:,}", ", ".join(c.get("terms") or []))
        console.print(table)
    console.print(f"wrote {result.height:,} records → {out}")


def _validated(model, raw: dict, section: str):
    from curate.errors import ConfigError

    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or section
        msg = err.get("msg", "invalid value").removeprefix("Value error, ")
        raise ConfigError(f"{section}.{loc}: {msg}" if loc != section else f"{section}: {msg}") from None
