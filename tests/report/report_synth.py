"""A complete run folder written by hand in the documented shapes (docs/architecture.md):
every stage table, the manifest, rejects, export files and agreement.json. No model runs,
so panel tests are fast and exact.

The ingest table holds raw text with planted personal data (``RAW_SECRETS``); the redact
and later tables hold the same records with placeholders. A ticket carries an HTML/script
payload (``XSS``) in its title and text, in every table."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import polars as pl

from curate.agreement.compute import compute_agreement
from curate.records import RECORD_SCHEMA, content_hash, flatten
from curate.run import RunFolder
from curate.store import write_json

RAW_SECRETS = ("maria.gonzalez@example.org", "4111 1111 1111 1111", "Maria Gonzalez", "+1 415 555 0132")
XSS = '<script>console.error("xss-executed")</script><img src=x onerror="console.error(\'xss-img\')">'
CATEGORIES = ("billing", "shipping", "account", "refund")
PRIORITIES = ("low", "normal", "high")


def _records(n: int, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(raw rows, redacted rows) of the same records."""
    rng = random.Random(seed)
    raw, red = [], []
    for i in range(n):
        cat = CATEGORIES[i % len(CATEGORIES)]
        base = i if i < n - 12 else i % 6  # the last 12 repeat earlier records: duplicate groups
        question = f"Ticket {base}: I have a question about my {CATEGORIES[base % 4]} (case {base * 7})."
        raw_q = question + (f" Reach me at {RAW_SECRETS[0]} or {RAW_SECRETS[3]}, card {RAW_SECRETS[1]}. {RAW_SECRETS[2]}"
                            if i % 5 == 0 else "")
        red_q = question + (" Reach me at <EMAIL_ADDRESS_1> or <PHONE_NUMBER_1>, card <CREDIT_CARD_1>. <PERSON_1>"
                            if i % 5 == 0 else "")
        answer = f"Thanks for writing about {cat}. Here is what to do next, step {base}."
        title = f"Question {base} about {cat}"
        if i == 3:
            title, raw_q, red_q = XSS, raw_q + " " + XSS, red_q + " " + XSS
        meta = json.dumps({"category": cat, "priority": PRIORITIES[i % 3], "intent": f"intent_{i % 7}",
                           "requester": RAW_SECRETS[0] if i % 5 == 0 else "someone@example.com"}, sort_keys=True)
        red_meta = json.dumps({"category": cat, "priority": PRIORITIES[i % 3], "intent": f"intent_{i % 7}",
                               "requester": "<EMAIL_ADDRESS_1>"}, sort_keys=True)
        src = "csv:desk" if i % 3 else "jsonl:mail"
        for rows, q, m, t in ((raw, raw_q, meta, title), (red, red_q, red_meta, title)):
            msgs = [{"role": "user", "content": q}, {"role": "assistant", "content": answer}]
            text = flatten(msgs, t)
            rows.append({"id": f"{src}:{i}", "source": src, "kind": "ticket", "title": t, "messages": msgs,
                         "text": text, "meta": m, "content_hash": content_hash(text), "locator": f"tickets.csv:{i + 2}"})
        pii = {"EMAIL_ADDRESS": 2, "PHONE_NUMBER": 1, "CREDIT_CARD": 1, "PERSON": 1} if i % 5 == 0 else {}
        if i % 5 == 0 and rng.random() < 0.5:
            pii["PERSON"] = 2
        red[-1]["pii"] = json.dumps(pii, sort_keys=True)
    return raw, red


def _frame(rows: list[dict[str, Any]], extra: dict[str, pl.DataType] | None = None) -> pl.DataFrame:
    schema = {**RECORD_SCHEMA, **(extra or {})}
    return pl.DataFrame(rows, schema={k: v for k, v in schema.items() if k in rows[0]})


def _entry(table: str | None, inp: str | None, n_in: int, n_out: int, dropped: dict[str, int],
           stats: dict[str, Any], seconds: float, rejected: int = 0) -> dict[str, Any]:
    return {"status": "done", "seconds": seconds, "input": inp, "table": table, "records_in": n_in,
            "records_out": n_out, "dropped": dropped, "rejected": rejected, "outputs": [table] if table else [],
            "checksums": {}, "stats": stats}


def write_run(root: Path, *, n: int = 60, redact: bool = True, seed: int = 0, agreement: bool = True,
              export: bool = True) -> RunFolder:
    """Write a run folder at ``root``; ``redact=False`` writes a build without redaction
    (later tables then hold the raw text, as the pipeline would)."""
    root.mkdir(parents=True, exist_ok=True)
    raw, red = _records(n, seed)
    shown = red if redact else raw
    stages: dict[str, Any] = {}
    pl.DataFrame(raw, schema=RECORD_SCHEMA).with_columns(pl.lit(None, dtype=pl.Utf8).alias("drop_reason")) \
        .write_parquet(root / "ingest.parquet")
    (root / "rejects.jsonl").write_text(
        json.dumps({"status": "rejected", "source": "csv:desk", "locator": "tickets.csv:99", "reason": "missing id"}) + "\n"
        + json.dumps({"status": "skipped", "source": "jsonl:mail", "locator": "mail.jsonl:4", "reason": "no_text"}) + "\n"
    )
    stages["ingest"] = _entry("ingest.parquet", None, n + 2, n, {"no_text": 1}, {"sources": {"csv:desk": {"records": n}}}, 0.2, 1)
    prev = "ingest"
    if redact:
        df = pl.DataFrame(red, infer_schema_length=None)
        df = df.with_columns(pl.lit(None, dtype=pl.Utf8).alias("drop_reason"))
        df.write_parquet(root / "redact.parquet")
        stages["redact"] = _entry("redact.parquet", "ingest", n, n, {}, {"operator": "replace", "records_with_pii": n // 5}, 3.5)
        prev = "redact"
    else:
        stages["redact"] = {"status": "disabled"}

    # dedupe: the last 12 records repeat records 0..5 (groups of 3)
    base = [i if i < n - 12 else i % 6 for i in range(n)]
    rows = []
    for i, r in enumerate(shown):
        g = f"g{base[i]:04d}"
        dup = base[i] != i
        rows.append({**{k: v for k, v in r.items() if k != "pii"}, "dup_group": g,
                     "dup_kind": ("exact" if i % 2 else "near") if dup else None,
                     "is_representative": not dup,
                     "drop_reason": ("exact_duplicate" if i % 2 else "near_duplicate") if dup else None})
    ddf = pl.DataFrame(rows, infer_schema_length=None)
    ddf.write_parquet(root / "dedupe.parquet")
    dropped = ddf.filter(pl.col("drop_reason").is_not_null()).group_by("drop_reason").len()
    dd = {r: int(c) for r, c in dropped.iter_rows()}
    stages["dedupe"] = _entry("dedupe.parquet", prev, n, n - sum(dd.values()), dd,
                              {"groups": 6, "records_in_groups": 18, "group_sizes": {"2": 0, "3": 6}}, 1.1)
    live = ddf.filter(pl.col("drop_reason").is_null()).drop("drop_reason")

    # embed + select
    rng = random.Random(seed)
    m = live.height
    clusters = [i % 5 for i in range(m)]
    cx = {c: (rng.uniform(-5, 5), rng.uniform(-5, 5)) for c in range(5)}
    emb = live.with_columns(pl.Series("embedding", [[rng.random() for _ in range(8)] for _ in range(m)],
                                      dtype=pl.List(pl.Float32)), pl.lit(None, dtype=pl.Utf8).alias("drop_reason"))
    emb.write_parquet(root / "embed.parquet")
    stages["embed"] = _entry("embed.parquet", "dedupe", m, m, {}, {"model": "test", "dim": 8}, 2.0)
    budget = 15
    selected = [i < budget for i in range(m)]
    sel = emb.drop("drop_reason").with_columns(
        pl.Series("cluster", clusters, dtype=pl.Int32),
        pl.Series("selected", selected),
        pl.Series("rank", [i + 1 if i < budget else None for i in range(m)], dtype=pl.Int32),
        pl.lit("cluster_balanced").alias("strategy"),
        pl.Series("why", [f"cluster {clusters[i]} quota" if selected[i] else None for i in range(m)], dtype=pl.Utf8),
        pl.Series("proj_x", [cx[c][0] + rng.gauss(0, 0.6) for c in clusters], dtype=pl.Float32),
        pl.Series("proj_y", [cx[c][1] + rng.gauss(0, 0.6) for c in clusters], dtype=pl.Float32),
        # records 20 and 25 (cluster 0) are semantic duplicates; 25 is dropped as one
        pl.Series("semantic_group", [0 if i in (20, 25) else -1 for i in range(m)], dtype=pl.Int64),
        pl.Series("drop_reason", [None if s else "semantic_duplicate" if i == 25 else "not_selected"
                                  for i, s in enumerate(selected)], dtype=pl.Utf8),
    )
    sel.write_parquet(root / "select.parquet")
    stages["select"] = _entry("select.parquet", "embed", m, budget, {"not_selected": m - budget - 1, "semantic_duplicate": 1},
                              {"strategy": "cluster_balanced", "budget": budget, "candidates": m, "selected": budget,
                               "k": 5, "clusters_covered": 5}, 4.0)

    if export:
        ex = sel.filter(pl.col("selected"))
        (root / "export").mkdir(exist_ok=True)
        lines = {"train": [], "eval": []}
        for j, r in enumerate(ex.iter_rows(named=True)):
            split = "eval" if j % 5 == 4 else "train"
            msgs = [{"role": "system", "content": "Be kind."}] + list(r["messages"])
            lines[split].append(json.dumps({"messages": msgs}))
        for split, ls in lines.items():
            (root / "export" / f"{split}.jsonl").write_text("\n".join(ls) + "\n")
        # the export's per-example token counts (the report reads these, never the files)
        pl.DataFrame({"id": [f"x{j}" for j in range(len(lines["train"]) + len(lines["eval"]))],
                      "split": ["train"] * len(lines["train"]) + ["eval"] * len(lines["eval"]),
                      "tokens": [80 + 7 * j for j in range(len(lines["train"]) + len(lines["eval"]))],
                      "reasoning_tokens": [0] * (len(lines["train"]) + len(lines["eval"]))}
                     ).write_parquet(root / "export" / "tokens.parquet")
        stages["export"] = _entry(None, "select", budget, budget, {}, {
            "format": "openai",
            "splits": {"train": {"examples": len(lines["train"]), "tokens": 1200, "mean_tokens": 100.0, "max_tokens": 130},
                       "eval": {"examples": len(lines["eval"]), "tokens": 300, "mean_tokens": 100.0, "max_tokens": 110}},
            "tokens": {"tokenizer": "estimate: characters / 4", "method": "estimate", "exact": False},
            "cost": {"train_tokens": 1200, "epochs": 3, "trained_tokens": 3600, "price_per_million_tokens": 8.0,
                     "currency": "USD", "amount": 0.0288, "price_table": {"from": "bundled", "as_of": "2025-06-01"},
                     "providers": [{"provider": "Together AI", "model": "LoRA, up to 16B", "price_per_million_tokens": 0.48,
                                    "currency": "USD", "amount": 0.0017},
                                   {"provider": "OpenAI", "model": "gpt-4o-mini", "price_per_million_tokens": 3.0,
                                    "currency": "USD", "amount": 0.0108}]},
            "labeling_cost": {"items": 15, "reviews": 30, "cost_per_review": 1.75, "qa_overhead": 0.25, "currency": "USD",
                              "amount": 65.63, "time": {"hours_so_far": 0.5, "measured_reviews": 30,
                                                        "hours_projected": 0.5, "reviews_remaining": 0}},
            "leakage": {"held_out": len(lines["eval"]), "eval_near_train": 0},
        }, 0.4)
        stages["export"]["outputs"] = ["export/train.jsonl", "export/eval.jsonl"]

    if agreement:
        write_agreement(root, sel.filter(pl.col("selected"))["id"].to_list(), seed)

    config = {"name": "synthetic", "description": "A hand-written run for the report tests.",
              "select": {"budget": budget, "strategy": "cluster_balanced"},
              "export": {"format": "openai", "tokens": {"tokenizer": "estimate"}}}
    write_json(root / "manifest.json", {"name": "synthetic", "config": config, "engine": "local",
                                        "created_at": "2026-01-01T00:00:00+00:00", "stages": stages,
                                        "versions": {"curate": "test"}})
    return RunFolder(root)


def write_agreement(root: Path, ids: list[str], seed: int = 0) -> Path:
    """labels/labels.parquet from two reviewers and agreement.json computed from it."""
    rng = random.Random(seed)
    rows = []
    for rid in ids:
        v = rng.choice(["accept", "accept", "edit", "reject"])
        q = rng.randint(2, 5)
        c = rng.choice(CATEGORIES)
        for who in ("ana@team.example", "ben@team.example"):
            vv = v if rng.random() < 0.8 else rng.choice(["accept", "edit", "reject"])
            qq = max(1, min(5, q + rng.choice([0, 0, 0, 1, -1])))
            cc = c if rng.random() < 0.85 else rng.choice(CATEGORIES)
            for f, val in (("verdict", vv), ("quality", str(qq)), ("category", cc)):
                rows.append({"record_id": rid, "reviewer": who, "field": f, "value": val,
                             "seconds": rng.uniform(20, 120)})
    labels = pl.DataFrame(rows)
    (root / "labels").mkdir(exist_ok=True)
    labels.write_parquet(root / "labels" / "labels.parquet")
    rep = compute_agreement(labels, {"verdict": "nominal", "quality": "ordinal", "category": "nominal"},
                            bootstrap=100, seed=seed)
    write_json(root / "agreement.json", rep)
    return root / "agreement.json"
