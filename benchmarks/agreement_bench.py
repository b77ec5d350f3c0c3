"""Speed of the agreement report on 100k labels, against the obvious way of getting a
bootstrap interval (recompute alpha with the `krippendorff` package on every resample).

    .venv/bin/python benchmarks/agreement_bench.py [--items 14000] [--bootstrap 1000]

Generated labels shaped like a two-reviewer review: each item is rated by 2 of 4 reviewers
on a verdict (3 labels), a category (8), a quality score (1-5), a corrected response (text,
for edits) and a note (text, sometimes). Writes its section of benchmarks/results/agreement.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import krippendorff
import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agreement_common import machine, write_section

from curate.agreement import compute_agreement, item_agreement

LEVELS = {"verdict": "nominal", "category": "nominal", "quality": "ordinal", "corrected": "text", "note": "text"}
WORDS = (
    "please restart the router then check the cable and update the firmware before you call "
    "support again we refund the order within five days once the parcel is back"
).split()


def generate(n_items: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    reviewers = np.array(["ana", "ben", "chen", "dara"])
    pick = np.argsort(rng.random((n_items, 4)), axis=1)[:, :2]
    item = np.repeat(np.arange(n_items), 2)
    rev = reviewers[pick.ravel()]
    n = len(item)

    def noisy(truth, k, p):
        own = rng.integers(0, k, size=n)
        return np.where(rng.random(n) < p, truth[item], own)

    verdict = noisy(rng.choice(3, size=n_items, p=[0.6, 0.3, 0.1]), 3, 0.8)
    category = noisy(rng.integers(0, 8, size=n_items), 8, 0.75)
    q_true = rng.integers(1, 6, size=n_items)
    quality = np.clip(q_true[item] + rng.choice([-1, 0, 0, 0, 1], size=n), 1, 5)
    base = [" ".join(rng.choice(WORDS, size=rng.integers(8, 30))) for _ in range(n_items)]

    def edit(t: str) -> str:
        w = t.split()
        if rng.random() < 0.5 and len(w) > 3:
            w[rng.integers(0, len(w))] = str(rng.choice(WORDS))
        return " ".join(w)

    corrected = [edit(base[i]) for i in item]
    secs = rng.gamma(2.0, 30.0, size=n)
    frames = [
        pl.DataFrame({"record_id": [f"t{i:06d}" for i in item], "reviewer": rev, "field": f, "value": v.astype(str) if isinstance(v, np.ndarray) else v, "seconds": secs})
        for f, v in (("verdict", np.array(["accept", "edit", "reject"])[verdict]), ("category", np.char.add("c", category.astype(str))),
                     ("quality", quality), ("corrected", corrected))
    ]
    df = pl.concat(frames)
    keep_corr = pl.col("field") != "corrected"
    edits = frames[0].filter(pl.col("value") == "edit").select("record_id", "reviewer")
    corr = df.filter(~keep_corr).join(edits, on=["record_id", "reviewer"])
    note_rows = frames[0].sample(fraction=0.3, seed=seed).with_columns(pl.lit("note").alias("field"), pl.lit("checked with the customer").alias("value"))
    return pl.concat([df.filter(keep_corr), corr, note_rows]).sample(fraction=1.0, shuffle=True, seed=seed)


def naive_alpha_bootstrap(df: pl.DataFrame, field: str, level: str, samples: int, seed: int = 0) -> tuple[float, float, float]:
    """The obvious way: a raters x items matrix, then krippendorff.alpha on each resample."""
    wide = (df.filter(pl.col("field") == field).with_columns(pl.col("value").cast(pl.Float64))
            .pivot(on="reviewer", index="record_id", values="value", aggregate_function="first").sort("record_id"))
    data = wide.drop("record_id").to_numpy().T
    rng = np.random.default_rng(seed)
    point = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    reps = [krippendorff.alpha(reliability_data=data[:, rng.integers(0, data.shape[1], data.shape[1])], level_of_measurement=level)
            for _ in range(samples)]
    lo, hi = np.quantile(reps, [0.025, 0.975])
    return point, lo, hi


REPEATS = 3


CPU: dict[str, float] = {}


def timed(fn, *a, **k):
    """Result and the median wall time of REPEATS calls (the machine is shared); the median
    CPU time of the process is kept in CPU[fn name] (steadier when other jobs compete)."""
    times, cpu = [], []
    for _ in range(REPEATS):
        t, c = time.perf_counter(), time.process_time()
        out = fn(*a, **k)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    CPU["last"] = float(np.median(cpu))
    return out, float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=14_000, help="items (14,000 give about 100k labels)")
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--baseline-samples", type=int, default=200, help="resamples for the krippendorff baseline")
    args = ap.parse_args()

    df = generate(args.items)
    n = df.height
    lines = ["## Speed on 100k labels", "", (f"Machine: {machine()}. Times: median of {REPEATS} runs; CPU s is the process's CPU time "
              "(BLAS may use both cores), steadier than wall time while other jobs share the machine."), "",
             f"Generated labels: {n:,} rows, {args.items:,} items, 4 reviewers (2 per item), fields {', '.join(f'{k} ({v})' for k, v in LEVELS.items())}.", ""]

    # baseline and ours on the same statistic: alpha of the quality field with an interval
    (b_point, b_lo, b_hi), base_s = timed(naive_alpha_bootstrap, df, "quality", "ordinal", args.baseline_samples)
    base_cpu = CPU["last"]
    one = df.filter(pl.col("field") == "quality")
    rep_one, one_s = timed(compute_agreement, one, {"quality": "ordinal"}, bootstrap=args.baseline_samples)
    one_cpu = CPU["last"]
    a = rep_one["fields"]["quality"]["krippendorff_alpha"]
    lines += [
        f"**Same statistic, same number of resamples ({args.baseline_samples})** (alpha of `quality`, ordinal, with a 95% interval):",
        "",
        "| method | wall s | CPU s | alpha [95% CI] | ratio (wall / CPU) |",
        "|---|---|---|---|---|",
        f"| krippendorff package on each resample (baseline) | {base_s:.2f} | {base_cpu:.2f} | {b_point:.4f} [{b_lo:.3f}, {b_hi:.3f}] | 1.0 / 1.0 |",
        (f"| curate `compute_agreement` (one field: also percent, Fleiss, pairs, per label, per reviewer) "
         f"| {one_s:.2f} | {one_cpu:.2f} | {a['value']:.4f} [{a['ci'][0]:.3f}, {a['ci'][1]:.3f}] "
         f"| {base_s / one_s:.1f}x / {base_cpu / one_cpu:.1f}x faster |"),
        "",
        "(The intervals differ only by the random draws: the baseline draws its own resamples.)",
        "",
    ]

    full, full_s = timed(compute_agreement, df, LEVELS, bootstrap=args.bootstrap)
    full_cpu = CPU["last"]
    _, nob_s = timed(compute_agreement, df, LEVELS, bootstrap=0)
    nob_cpu = CPU["last"]
    items, items_s = timed(item_agreement, df, LEVELS)
    items_cpu = CPU["last"]
    lines += [
        f"**Whole report, all {len(LEVELS)} fields** ({n:,} labels):",
        "",
        "| call | wall s | CPU s |",
        "|---|---|---|",
        f"| `compute_agreement`, {args.bootstrap} bootstrap samples | {full_s:.2f} | {full_cpu:.2f} |",
        f"| `compute_agreement`, no intervals | {nob_s:.2f} | {nob_cpu:.2f} |",
        f"| `item_agreement` (adjudication routing) | {items_s:.2f} | {items_cpu:.2f} |",
        "",
        f"Projected baseline for the same {args.bootstrap} samples on this one field: "
        f"{base_s * args.bootstrap / args.baseline_samples:.1f} s (linear in samples); the whole report with "
        f"{args.bootstrap} samples for all fields took {full_s:.1f} s.",
        "",
        "Scaling (whole report, same generator):",
        "",
        "| labels | items | with bootstrap: wall s / CPU s | without: wall s / CPU s |",
        "|---|---|---|---|",
    ]
    for k in (args.items // 4, args.items // 2, args.items, args.items * 2):
        d = generate(k, seed=1)
        _, s_b = timed(compute_agreement, d, LEVELS, bootstrap=args.bootstrap)
        c_b = CPU["last"]
        _, s_0 = timed(compute_agreement, d, LEVELS, bootstrap=0)
        c_0 = CPU["last"]
        lines.append(f"| {d.height:,} | {k:,} | {s_b:.2f} / {c_b:.2f} | {s_0:.2f} / {c_0:.2f} |")
    f = full["fields"]
    lines += ["", "Figures of the generated data (sanity): " + ", ".join(
        f"{name} alpha {f[name]['krippendorff_alpha']['value']:.3f}" for name in ("verdict", "category", "quality")
    ) + f", corrected edit similarity {f['corrected']['edit_similarity']['value']:.3f}; {items.height:,} item-field rows."]
    body = "\n".join(lines)
    path = write_section("speed", body)
    print(body)
    print(f"\n→ {path}")


if __name__ == "__main__":
    main()
