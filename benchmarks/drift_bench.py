"""Drift detection on real data: false alarms on new samples of the training
distribution, detection of an injected new topic.

Bitext (4,514 customer requests, 27 intents; intents are the strata). Per seed:

- 3 intents are held out (they never reach the run); the run's population is 1,500
  records of the other 24, its training set the select stage's default strategy
  (k-means with k derived as in a build, cluster_balanced) at a budget of 300;
- (a) no drift: 300 new records of the same 24 intents, none of them in the run;
- (b) new topic, held-out intents: 300 new records of which 10% / 20% / 30% come from
  the 3 held-out intents, the rest as in (a);
- (c) new topic, another corpus: the same with GitHub issues (NLBSE'24: title + body);
- (d) a surge, nothing new: 300 new records of the run's intents in which 3 of them
  (about 12% of the run's records) make up 30% / 50%;
- (a) again with 100 and 1,000 new records (the noise of the figures grows as the
  sample shrinks), and against training sets of 100 and 750 (how closely the selection
  covers its candidates moves the share of novel records when nothing changed).

Every case goes through ``curate.drift.compare.measure``, the code ``curate drift`` runs,
with the run's clusters and centroids as the command computes them. Vectors: the default
embed input (the customer's request) and model, embedded once. Redaction is left out
(Bitext holds placeholders, not personal data; the command's redaction is tested in
tests/drift). The false-alarm rate is the share of seeds whose case (a) is flagged; the
detection rate the share whose case (b), (c) or (d) is.

The thresholds are chosen on seeds 0..S-1 (the grid) and the rates at the defaults are
measured on seeds S..2S-1, which played no part in the choice.

    .venv/bin/python benchmarks/drift_bench.py [--seeds 20] [--vectors /tmp/drift-vectors.npz]

Writes benchmarks/results/drift.md and drift.json."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import polars as pl
from shared_data import shared_data

from curate.drift.compare import measure
from curate.drift.config import DriftConfig
from curate.embed.inputs import embed_input
from curate.embed.model import Embedder
from curate.select.cluster import derive_k, kmeans
from curate.select.strategies import cluster_balanced

ROOT = Path(__file__).resolve().parent.parent
DATA = shared_data()
BITEXT = DATA / "bitext-support" / "bitext_customer_support_training.csv"
ISSUES = DATA / "github-issues-nlbse24" / "issues_test.csv"
RESULTS = ROOT / "benchmarks" / "results"

POPULATION, BUDGET, NEW, HELD_OUT = 1500, 300, 300, 3
RATES = (0.1, 0.2, 0.3)
SURGES = (0.3, 0.5)
SIZES = (100, 1000)
OTHER_BUDGETS = (100, 750)
NOVELTY_GRID = (0.07, 0.08, 0.09, 0.10, 0.12, 0.15)
JSD_GRID = (0.03, 0.04, 0.05, 0.075, 0.10)


def machine() -> dict:
    from embed_bench import machine as m  # same folder

    return m()


def vectors(cache: Path | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Bitext vectors, their intents, GitHub-issue vectors), embedded once (kept in
    ``cache`` when given, so that a rerun skips the model)."""
    b = pl.read_csv(BITEXT, infer_schema=False)
    if cache is not None and cache.exists():
        z = np.load(cache)
        return z["xb"], np.asarray(b["intent"].to_list(), dtype=object), z["xg"]
    g = pl.read_csv(ISSUES, infer_schema=False).sample(600, seed=0)
    bt = [embed_input(None, [{"role": "user", "content": u}], None, "request") for u in b["instruction"]]
    gt = [embed_input(t, [{"role": "user", "content": (body or "")[:2000]}], None, "request")
          for t, body in zip(g["title"], g["body"])]
    emb = Embedder()
    t0 = time.perf_counter()
    xb = emb.embed(bt)
    xg = emb.embed(gt)
    print(f"embedded {len(bt) + len(gt):,} texts in {time.perf_counter() - t0:.1f} s", flush=True)
    if cache is not None:
        np.savez(cache, xb=xb, xg=xg)
    return xb, np.asarray(b["intent"].to_list(), dtype=object), xg


def one_seed(seed: int, xb: np.ndarray, intents: np.ndarray, xg: np.ndarray, cfg: DriftConfig) -> dict:
    rng = np.random.default_rng(seed)
    names = np.unique(intents)
    held = set(rng.choice(names, HELD_OUT, replace=False).tolist())
    held_mask = np.fromiter((i in held for i in intents), dtype=bool, count=intents.size)
    pool = rng.permutation(np.flatnonzero(~held_mask))
    outside = rng.permutation(np.flatnonzero(held_mask))
    pop, fresh = pool[:POPULATION], pool[POPULATION:]
    # the run: clusters and a training set as the select stage makes them by default
    x = xb[pop]
    km = kmeans(x, derive_k(POPULATION, BUDGET), seed=0, backend="sklearn", device="cpu")
    sel = cluster_balanced(x, km.labels, km.centroids, BUDGET, seed=0)
    train = np.zeros(POPULATION, bool)
    train[sel.order] = True
    labels = km.labels.astype(np.int64)

    def case(new: np.ndarray, new_intents: np.ndarray, train: np.ndarray = train, labels: np.ndarray = labels) -> dict:
        m = measure(x[train], x[~train], labels, new, cfg, ref_strata=intents[pop], new_strata=new_intents, ref_vectors=x)
        return {"novel_share": round(m.novelty.share, 4), "jsd": round(m.shift.jsd, 4), "p": round(m.shift.p_value, 4),
                "null_p99": round(m.shift.null_p99, 4), "calibration": m.novelty.calibration}

    out = {"seed": seed, "held_out": sorted(held)}
    same = fresh[:NEW]
    out["same"] = case(xb[same], intents[same])
    for size in SIZES:
        other = rng.permutation(fresh)[:size]
        out[f"same_n{size}"] = case(xb[other], intents[other])
    for budget in OTHER_BUDGETS:
        km_b = kmeans(x, derive_k(POPULATION, budget), seed=0, backend="sklearn", device="cpu")
        sel_b = cluster_balanced(x, km_b.labels, km_b.centroids, budget, seed=0)
        train_b = np.zeros(POPULATION, bool)
        train_b[sel_b.order] = True
        out[f"same_budget{budget}"] = case(xb[same], intents[same], train_b, km_b.labels.astype(np.int64))
    rest = fresh[NEW:]
    seen = np.unique(intents[pop])
    surging = set(rng.choice(seen, 3, replace=False).tolist())
    in_surge = np.fromiter((i in surging for i in intents[rest]), dtype=bool, count=rest.size)
    for share in SURGES:
        k = int(round(share * NEW))
        idx = np.concatenate([rest[in_surge][:k], rest[~in_surge][: NEW - k]])
        out[f"surge_{share}"] = case(xb[idx], intents[idx])
    for rate in RATES:
        k = int(round(rate * NEW))
        base = rest[: NEW - k]
        idx = outside[:k]
        out[f"intents_{rate}"] = case(np.concatenate([xb[base], xb[idx]]), np.concatenate([intents[base], intents[idx]]))
        g = rng.choice(xg.shape[0], k, replace=False)
        out[f"issues_{rate}"] = case(np.concatenate([xb[base], xg[g]]),
                                     np.concatenate([intents[base], np.array(["(github issue)"] * k, dtype=object)]))
    return out


def flagged(c: dict, nov: float, jsd: float) -> bool:
    return c["novel_share"] > nov or (c["jsd"] > jsd and c["p"] < 0.01)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--vectors", type=Path, default=None, help="Keep the vectors here between runs (.npz).")
    args = ap.parse_args()
    cfg = DriftConfig()
    xb, intents, xg = vectors(args.vectors)
    t0 = time.perf_counter()
    runs = [one_seed(s, xb, intents, xg, cfg) for s in range(args.seeds)]  # to choose thresholds
    check = [one_seed(s, xb, intents, xg, cfg) for s in range(args.seeds, 2 * args.seeds)]  # to report
    seconds = time.perf_counter() - t0
    cases = (["same"] + [f"same_n{n}" for n in SIZES] + [f"same_budget{b}" for b in OTHER_BUDGETS] + [f"{kind}_{r}" for kind in ("intents", "issues") for r in RATES]
             + [f"surge_{s}" for s in SURGES])
    summary = {}
    for c in cases:
        vals = [r[c] for r in check]
        summary[c] = {
            "novel_share_mean": round(float(np.mean([v["novel_share"] for v in vals])), 4),
            "novel_share_max": round(float(np.max([v["novel_share"] for v in vals])), 4),
            "novel_share_min": round(float(np.min([v["novel_share"] for v in vals])), 4),
            "jsd_mean": round(float(np.mean([v["jsd"] for v in vals])), 4),
            "jsd_max": round(float(np.max([v["jsd"] for v in vals])), 4),
            "jsd_min": round(float(np.min([v["jsd"] for v in vals])), 4),
            "flagged_at_defaults": sum(flagged(v, cfg.novelty_threshold, cfg.jsd_threshold) for v in vals) / len(vals),
        }
    grid = []
    for nov in NOVELTY_GRID:
        for jsd in JSD_GRID:
            row = {"novelty_threshold": nov, "jsd_threshold": jsd}
            for c in cases:
                row[c] = sum(flagged(r[c], nov, jsd) for r in runs) / len(runs)
            grid.append(row)
    result = {"machine": machine(), "seeds": args.seeds, "population": POPULATION, "budget": BUDGET, "new": NEW,
              "held_out_intents": HELD_OUT, "defaults": cfg.model_dump(mode="json"), "seconds_all_seeds": round(seconds, 1),
              "summary": summary, "grid": grid, "choice_seeds": runs, "check_seeds": check}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "drift.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "drift.md").write_text(render(result))
    print(render(result))


def render(r: dict) -> str:
    m = r["machine"]
    d = r["defaults"]
    lines = [
        "# Drift detection (curate drift)", "",
        f"Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, no GPU; {r['seeds']} seeds to choose the "
        f"thresholds (the grid below), {r['seeds']} other seeds to measure the rates at the defaults (the first table); "
        f"{r['seconds_all_seeds']} s for all seeds after embedding.", "",
        f"Bitext, 27 intents: per seed {r['held_out_intents']} intents held out, a run of {r['population']:,} records of the "
        f"others with a training set of {r['budget']} (k-means + cluster_balanced, as a build selects), then {r['new']} new "
        "records: (a) the same intents, none in the run (`same`; `same_n100`, `same_n1000`: 100 and 1,000 new records; `same_budget100`, "
        "`same_budget750`: training sets of 100 and 750); "
        "(b) 10/20/30% from the held-out intents; (c) 10/20/30% GitHub issues; (d) 3 of the run's intents surging to "
        "30%/50% of the new records (about 12% in the run). Produced by `benchmarks/drift_bench.py`.", "",
        f"Defaults: novel beyond the {d['quantile']} quantile (calibration {d['calibrate']}), drift when the novel share > "
        f"{d['novelty_threshold']} or the cluster-share JSD > {d['jsd_threshold']} with p < 0.01.", "",
        f"Rates at the defaults, on the {r['seeds']} check seeds (`same*`: the false-alarm rate; the rest: the detection rate):", "",
        "| case | novel share mean (min-max) | JSD mean (min-max) | flagged at the defaults |",
        "|---|---|---|---|",
    ]
    for c, s in r["summary"].items():
        lines.append(f"| {c} | {s['novel_share_mean']:.3f} ({s['novel_share_min']:.3f}-{s['novel_share_max']:.3f}) | "
                     f"{s['jsd_mean']:.3f} ({s['jsd_min']:.3f}-{s['jsd_max']:.3f}) | {s['flagged_at_defaults']:.0%} |")
    cases = list(r["summary"])
    lines += ["", f"Share of the {r['seeds']} choice seeds flagged for other thresholds (`same*`: the false-alarm rate):", "",
              "| novelty | JSD | " + " | ".join(cases) + " |", "|---|---|" + "---|" * len(cases)]
    for g in r["grid"]:
        lines.append(f"| {g['novelty_threshold']} | {g['jsd_threshold']} | " + " | ".join(f"{g[c]:.0%}" for c in cases) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
