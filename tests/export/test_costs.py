"""The economics in the card and the export summary: training cost on the bundled, dated
price table (at least three providers), a price table of the user's own, validation
tokens where billed, and the labeling cost with the reviewers' measured time."""

from __future__ import annotations

import re

import yaml
from export_support import bitext_rows, export, make_run, write_pulled_labels
from helpers import run_cli

from curate.export.config import CostConfig
from curate.export.costs import PRICES_FILE, bundled_prices, labeling_costs, training_costs
from curate.labelstudio.state import ProjectState

IDS = [f"csv:bitext:{r['id']}" for r in bitext_rows()]


def test_the_bundled_table_is_dated_and_sourced():
    text = PRICES_FILE.read_text()
    assert "CHECK THESE BEFORE RELYING ON THEM" in text
    as_of, rows = bundled_prices()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of)
    assert len({r.provider for r in rows}) >= 3
    assert all(r.source and r.source.startswith("https://") and r.price_per_million_tokens > 0 for r in rows)


def test_training_cost_per_provider_with_epochs_and_validation():
    own = [{"provider": "A", "model": "m", "price_per_million_tokens": 10.0, "bills_validation": True},
           {"provider": "B", "model": "m", "price_per_million_tokens": 10.0, "bills_validation": False}]
    c = training_costs(200_000, 50_000, CostConfig(epochs=2, prices=own, price_per_million_tokens=1.0))
    assert c["amount"] == 0.4 and c["price_table"]["from"] == "export.cost.prices"
    assert [p["amount"] for p in c["providers"]] == [5.0, 4.0]  # (200k + 50k) x 2 x 10 / 1M; 200k x 2 x 10 / 1M
    assert training_costs(1, 1, CostConfig(providers=False))["providers"] == []


def test_card_and_summary_show_three_providers_and_the_labeling_cost(tmp_path):
    run = make_run(tmp_path / "runs" / "tickets", config={"label": {"cost_per_review": 2.0, "qa_overhead": 0.3}})
    write_pulled_labels(run.root, IDS)
    ProjectState(url="http://127.0.0.1:1", task="response_review", project_id=1, pushed=60).save(run.root)
    r = run_cli("export", str(run.root), "-o", str(tmp_path / "out"), "--eval", "0")
    assert r.returncode == 0, r.stderr
    assert re.search(r"training \(3 epochs\) on managed services, prices as of \d{4}-\d{2}-\d{2}: .*Together AI", r.stdout)
    assert "labeling: 120 reviews × 2.00 USD + 30% QA ≈ 312.00 USD" in r.stdout
    card = (tmp_path / "out" / "README.md").read_text()
    tokens = card.split("## Token counts and training cost", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in tokens.splitlines() if line.startswith("| ") and " USD |" in line]
    assert len({line.split("|")[1] for line in rows}) >= 3  # providers
    labeling = card.split("## Labeling cost", 1)[1].split("\n## ", 1)[0]
    assert "60 records pushed for review × 2 reviewers = 120 reviews × 2.00 USD = 240.00 USD" in labeling
    assert "**312.00 USD**" in labeling
    # measured time: 48 reviews of 30 s and 48 of 40 s so far; 24 to go at the median, 35 s
    assert "0.93 hours for 96 reviews so far" in labeling and "24 reviews to go, about 0.23 more hours" in labeling


def test_labeling_cost_before_anything_is_pushed(tmp_path):
    lc = labeling_costs(tmp_path, {}, 100)
    assert (lc["items"], lc["reviews"], lc["amount"]) == (100, 200, 437.5) and "time" not in lc


def test_own_price_table_in_the_config(tmp_path):
    run = make_run(tmp_path / "runs" / "tickets")
    table = [{"provider": "Acme Tune", "model": "small", "price_per_million_tokens": 4.0, "as_of": "2026-01-01",
              "source": "https://acme.example/pricing"}]
    r = export(run, tmp_path / "out", split={"eval": 0}, cost={"prices": table}).result
    assert [p["provider"] for p in r.stats["cost"]["providers"]] == ["Acme Tune"]
    card = (tmp_path / "out" / "README.md").read_text()
    tokens = card.split("## Token counts and training cost", 1)[1].split("\n## ", 1)[0]
    assert "Acme Tune" in tokens and "Together AI" not in tokens and "your `export.cost.prices`" in tokens
    assert yaml.safe_load(card.split("---")[1])["pretty_name"] == "tickets"


def test_new_card_sections_escape_what_they_interpolate(tmp_path):
    """Provider names, strata values and gate fields reach the card as text, never markup."""
    df = make_run(tmp_path / "x").path("select.parquet")
    import polars as pl

    table = pl.read_parquet(df).with_columns(
        pl.col("meta").str.replace('"category": "', '"category": "<img src=x onerror=alert(1)>'))
    run = make_run(tmp_path / "runs" / "t", table,
                   config={"label": {"gates": {"<b>verdict</b>": {"alpha": 0.5}, "on_fail": "warn"}}})
    prices = [{"provider": "<script>alert(1)</script>", "model": "m|x", "price_per_million_tokens": 1.0}]
    export(run, tmp_path / "out", split={"eval": 0.25, "stratify_by": "meta.category", "min_per_stratum": 0},
           cost={"prices": prices})
    card = (tmp_path / "out" / "README.md").read_text()
    assert "<script>" not in card and "<img" not in card and "<b>" not in card
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in card and "m\\|x" in card and "&lt;img src=x" in card
