"""Agreement on real multi-annotator data with real missing ratings: the LeWiDi sets
(HS-Brexit, ConvAbuse, Paraphrase), checked against the `krippendorff` package.

    .venv/bin/python benchmarks/agreement_lewidi.py [--data DIR] [--bootstrap 1000]

Reads ../shared/data/lewidi-multiannotator (no license in the source repository: the data
stays there, only figures are written). Writes its section of benchmarks/results/agreement.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import krippendorff
import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agreement_common import machine, write_section

from curate.agreement import compute_agreement

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "lewidi-multiannotator"


def _split_rows(path: Path, split: str):
    return json.loads(path.read_text(encoding="utf-8")), split


def load_2023(data: Path, name: str, extra_key: str | None) -> pl.DataFrame:
    """HS-Brexit / ConvAbuse: comma-separated annotations aligned with the annotators."""
    rows = []
    for split in ("train", "dev", "test"):
        d = json.loads((data / f"LeWiDi_2-2023_{name}_dataset_{name}_{split}.json").read_text(encoding="utf-8"))
        for item_id, item in d.items():
            annotators = item["annotators"].split(",")
            fields = {"label": item["annotations"]}
            extra = (item.get("other_info") or {}).get(extra_key) if extra_key else None
            for key, values in (extra or {}).items():
                fields[key] = values
            for field, values in fields.items():
                for ann, v in zip(annotators, values.split(",")):
                    rows.append((f"{split}:{item_id}", ann.strip(), field, v.strip()))
    return pl.DataFrame(rows, schema=["record_id", "reviewer", "field", "value"], orient="row")


def load_paraphrase(data: Path) -> pl.DataFrame:
    rows = []
    for split in ("train", "dev", "test"):
        d = json.loads((data / f"LeWiDi_3-2025_Paraphrase_Paraphrase_{split}.json").read_text(encoding="utf-8"))
        for item_id, item in d.items():
            anns = item.get("annotations") or {}
            expl = (item.get("other_info") or {}).get("explanations") or []
            for i, (ann, v) in enumerate(anns.items()):
                rows.append((f"{split}:{item_id}", ann, "paraphrase", str(v).strip()))
                if i < len(expl) and isinstance(expl[i], str):
                    rows.append((f"{split}:{item_id}", ann, "explanation", expl[i]))
    return pl.DataFrame(rows, schema=["record_id", "reviewer", "field", "value"], orient="row")


def reliability_matrix(df: pl.DataFrame, field: str, level: str) -> np.ndarray:
    """raters x items with NaN for missing; nominal labels coded by their sorted strings
    (the data has a stray "No" among 0/1 labels: it stays a label of its own, as in curate)."""
    part = df.filter(pl.col("field") == field)
    if level == "nominal":
        cats = sorted(part.get_column("value").unique().to_list())
        value = pl.col("value").replace_strict(cats, list(range(len(cats))), return_dtype=pl.Float64)
    else:
        value = pl.col("value").cast(pl.Float64)
    wide = part.with_columns(value).pivot(
        on="reviewer", index="record_id", values="value", aggregate_function="first"
    ).sort("record_id")
    return wide.drop("record_id").to_numpy().T.astype(float)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--bootstrap", type=int, default=1000)
    args = ap.parse_args()
    if not args.data.exists():
        sys.exit(f"{args.data}: not found (the LeWiDi sets live in ../shared/data)")

    sets = [
        ("HS-Brexit", load_2023(args.data, "HS-Brexit", "other annotations"),
         {"label": "nominal", "aggressive language detection": "nominal", "offensive language detection": "nominal"}),
        ("ConvAbuse", load_2023(args.data, "ConvAbuse", "other_annotations"), None),
        ("Paraphrase", load_paraphrase(args.data), {"paraphrase": "interval", "explanation": "text"}),
    ]
    lines = [
        "## LeWiDi multi-annotator sets vs the krippendorff package",
        "",
        f"Machine: {machine()}.",
        f"Data: LeWiDi 2023 (HS-Brexit, ConvAbuse) and 2025 (Paraphrase), all splits; {args.bootstrap} bootstrap samples, seed 0. "
        "The data stays in ../shared (no license in its repository); only these figures are kept.",
        "",
        "| set | field | level | items compared | raters (per item) | ratings | % agree | Fleiss κ | mean pairwise κ | alpha (curate) [95% CI] | alpha (krippendorff 0.9) | abs. diff |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    timing = []
    worst = 0.0
    for name, df, levels in sets:
        if levels is None:  # ConvAbuse: severity as interval, ordinal and nominal; the binary tags nominal
            tags = [f for f in df.get_column("field").unique().sort().to_list() if f != "label"]
            runs = [({"label": lvl} | {t: "nominal" for t in tags}, lvl) for lvl in ("interval", "ordinal", "nominal")]
        else:
            runs = [(levels, None)]
        for lv, tag in runs:
            t0 = time.perf_counter()
            rep = compute_agreement(df.filter(pl.col("field").is_in(list(lv))), lv, bootstrap=args.bootstrap, seed=0)
            ours_s = time.perf_counter() - t0
            oracle_s = 0.0
            for field, level in lv.items():
                if tag is not None and field != "label" and tag != "interval":
                    continue  # the binary tags once is enough
                f = rep["fields"][field]
                if level == "text":
                    lines.append(
                        f"| {name} | {field} | text | {f['items_compared']:,} | {f['reviewers']} ({f['ratings_per_item']['min']}–{f['ratings_per_item']['max']}) "
                        f"| {f['ratings']:,} | exact {f['exact_match']['value']:.3f} | — | — | edit sim. {f['edit_similarity']['value']:.3f}, token F1 {f['token_f1']['value']:.3f} | — | — |"
                    )
                    continue
                t1 = time.perf_counter()
                theirs = float(krippendorff.alpha(reliability_data=reliability_matrix(df, field, level), level_of_measurement=level))
                oracle_s += time.perf_counter() - t1
                ours = f["krippendorff_alpha"]["value"]
                diff = abs(ours - theirs)
                worst = max(worst, diff)
                ci = f["krippendorff_alpha"]["ci"]
                fleiss = (f.get("fleiss_kappa") or {}).get("value")
                light = (f.get("mean_pairwise_kappa") or {}).get("value")
                lines.append(
                    f"| {name} | {field} | {level} | {f['items_compared']:,} | {f['reviewers']} ({f['ratings_per_item']['min']}–{f['ratings_per_item']['max']}) "
                    f"| {f['ratings']:,} | {f['percent_agreement']['value']:.3f} | {'—' if fleiss is None else f'{fleiss:.3f}'} "
                    f"| {'—' if light is None else f'{light:.3f}'} | {ours:.4f} [{ci[0]:.3f}, {ci[1]:.3f}] | {theirs:.4f} | {diff:.1e} |"
                )
            n_labels = rep["summary"]["labels"]
            timing.append((name + (f" ({tag})" if tag else ""), n_labels, len(lv), ours_s, oracle_s))
    lines += [
        "",
        f"Largest difference from the krippendorff package: {worst:.1e} (the report rounds to 6 decimals).",
        "",
        "| run | labels | fields | curate: full report with bootstrap (s) | krippendorff: alpha point estimates only (s) |",
        "|---|---|---|---|---|",
    ]
    for name, n, nf, ours_s, oracle_s in timing:
        lines.append(f"| {name} | {n:,} | {nf} | {ours_s:.2f} | {oracle_s:.2f} |")
    lines += [
        "",
        "The full report holds every statistic of every field (percent agreement, Fleiss, pairwise and "
        "per-reviewer kappa, alpha, per-label agreement) each with a bootstrap interval; the krippendorff "
        "column is one point estimate per field without intervals, so it is a correctness oracle here, not a "
        "speed baseline (see the speed section).",
    ]
    body = "\n".join(lines)
    path = write_section("lewidi", body)
    print(body)
    print(f"\n→ {path}")
    if worst > 1e-5:
        sys.exit(f"alpha differs from the krippendorff package by {worst:.2e}")


if __name__ == "__main__":
    main()
