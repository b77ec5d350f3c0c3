"""What the dataset costs: training on managed fine-tuning services, and the reviews.

Training: tokens x epochs x price per million tokens, on the user's price
(``export.cost.price_per_million_tokens``) and on every row of the price table (the
bundled, dated ``prices.yaml`` or ``export.cost.prices``). Validation (eval) tokens are
added where the provider is known to bill them.

Labeling: items reviewed x reviewers x ``label.cost_per_review``, plus the adjudications
(one more review each), plus ``label.qa_overhead``. Reviewers' measured time comes from
Label Studio's lead time per annotation (``labels/labels.parquet``, ``seconds``): the
hours spent so far, and projected for the reviews still to do at the median time per
review.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from curate.export.config import CostConfig, ProviderPrice

PRICES_FILE = Path(__file__).with_name("prices.yaml")
REVIEWERS_PER_ITEM = 2


@lru_cache(maxsize=1)
def bundled_prices() -> tuple[str, tuple[ProviderPrice, ...]]:
    """(as-of date, rows) of the bundled price table."""
    data = yaml.safe_load(PRICES_FILE.read_text(encoding="utf-8"))
    as_of = str(data["as_of"])
    currency = str(data.get("currency") or "USD")
    rows = tuple(ProviderPrice.model_validate({"currency": currency, "as_of": as_of, **row}) for row in data["prices"])
    return as_of, rows


def _amount(tokens: int, epochs: int, price: float) -> float:
    return round(tokens * epochs * price / 1e6, 4)


def training_costs(train_tokens: int, eval_tokens: int, cfg: CostConfig) -> dict[str, Any]:
    """The training cost on the user's price and on each provider of the table."""
    out: dict[str, Any] = {
        "train_tokens": train_tokens, "eval_tokens": eval_tokens, "epochs": cfg.epochs,
        "trained_tokens": train_tokens * cfg.epochs,
        "price_per_million_tokens": cfg.price_per_million_tokens, "currency": cfg.currency,
        "validation_billed": cfg.validation_billed, "amount": None,
    }
    if cfg.price_per_million_tokens is not None:
        billed = train_tokens + (eval_tokens if cfg.validation_billed else 0)
        out["amount"] = _amount(billed, cfg.epochs, cfg.price_per_million_tokens)
    if not cfg.providers:
        out["providers"] = []
        return out
    if cfg.prices is not None:
        table, rows = "export.cost.prices", list(cfg.prices)
        as_of = None
    else:
        as_of, bundled = bundled_prices()
        table, rows = "bundled", list(bundled)
    out["price_table"] = {"from": table, "as_of": as_of}
    providers = []
    for p in rows:
        with_validation = bool(p.bills_validation)
        billed = train_tokens + (eval_tokens if with_validation else 0)
        providers.append({
            "provider": p.provider, "model": p.model, "price_per_million_tokens": p.price_per_million_tokens,
            "currency": p.currency, "validation_billed": p.bills_validation,
            "amount": _amount(billed, cfg.epochs, p.price_per_million_tokens),
            "source": p.source, "as_of": p.as_of, "confidence": p.confidence,
        })
    out["providers"] = providers
    return out


def labeling_costs(run_root: Path | None, label: dict[str, Any], selected: int) -> dict[str, Any]:
    """What the reviews cost and take: by the configured price per review, and the
    reviewers' measured time. ``selected``: the records selected for review (used when
    nothing was pushed yet)."""
    import polars as pl

    per_review = float(label.get("cost_per_review", 1.75) if label.get("cost_per_review") is not None else 1.75)
    qa = float(label.get("qa_overhead", 0.25) if label.get("qa_overhead") is not None else 0.25)
    currency = str(label.get("currency") or "USD")
    items = selected
    pushed = None
    annotations = 0
    seconds: list[float] = []
    adjudications = 0
    if run_root is not None:
        from curate.labelstudio.state import ProjectState, labels_dir

        state = ProjectState.load(Path(run_root))
        if state is not None and state.pushed:
            pushed = int(state.pushed)
            items = pushed
        lab = labels_dir(Path(run_root))
        if (lab / "labels.parquet").exists():
            df = pl.read_parquet(lab / "labels.parquet", columns=["annotation_id", "seconds"])
            per = df.unique("annotation_id")
            annotations = per.height
            seconds = [float(s) for s in per["seconds"].to_list() if s is not None and s >= 0]
        if (lab / "decisions.parquet").exists():
            dec = pl.read_parquet(lab / "decisions.parquet", columns=["status"])
            adjudications = dec.filter(pl.col("status").is_in(["adjudicated", "disagreed", "majority"])).height
    reviews = items * REVIEWERS_PER_ITEM + adjudications
    base = reviews * per_review
    out: dict[str, Any] = {
        "items": items, "pushed": pushed, "reviewers_per_item": REVIEWERS_PER_ITEM,
        "adjudications": adjudications, "reviews": reviews, "cost_per_review": per_review,
        "qa_overhead": qa, "currency": currency,
        "reviews_cost": round(base, 2), "qa_cost": round(base * qa, 2), "amount": round(base * (1 + qa), 2),
        "reviews_done": annotations,
    }
    if seconds:
        median = sorted(seconds)[len(seconds) // 2] if len(seconds) % 2 else sum(sorted(seconds)[len(seconds) // 2 - 1:len(seconds) // 2 + 1]) / 2
        remaining = max(items * REVIEWERS_PER_ITEM - annotations, 0)
        spent = sum(seconds) / 3600
        out["time"] = {
            "measured_reviews": len(seconds), "hours_so_far": round(spent, 2),
            "median_seconds_per_review": round(median, 1), "reviews_remaining": remaining,
            "hours_remaining": round(remaining * median / 3600, 2),
            "hours_projected": round(spent + remaining * median / 3600, 2),
        }
    return out
