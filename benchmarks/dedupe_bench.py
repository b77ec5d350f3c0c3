"""Dedupe benchmarks: speed against naive datasketch, quality on planted near-duplicates
and on versioned documentation, and memory at a million documents.

    .venv/bin/python benchmarks/dedupe_bench.py            # everything (about 15 minutes)
    .venv/bin/python benchmarks/dedupe_bench.py --only speed quality docs

Writes benchmarks/results/dedupe.md and dedupe.json. Figures are ratios against baselines
measured in the same run, on the same corpus; the machine is noted with its load.

- speed: 100k ticket-length documents. Baseline: datasketch the naive way (one
  ``MinHash`` per document, ``update()`` per shingle, default SHA-1 hash). Also
  datasketch's fastest path (``MinHash.bulk`` with a 32-bit xxhash), for context. Ours is
  the whole dedupe (exact + signatures + LSH + verification + groups), not signatures only.
- quality: planted near-duplicates (1-10% of the words edited, lines added or removed).
  The truth is every pair with true Jaccard >= 0.8 over word 5-gram *string* sets, found by
  an exact all-pairs similarity join (prefix filtering), independent of MinHash.
- docs: React Native's documentation, 11 versions of the same pages.
- scale: 1M documents of ~1 KB through the dedupe stage in a subprocess (peak RSS).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import math
import os
import platform
import re
import subprocess
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path
from statistics import median

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from dedupe_corpus import Corpus, planted_corpus, sentence_pools
from shared_data import shared_data
from typing_extensions import Self

from curate.dedupe.config import DedupeConfig
from curate.dedupe.finder import DedupeResult, find_duplicates
from curate.dedupe.shingles import python_shingles

RESULTS = HERE / "results"
RN_DOCS = shared_data() / "docs-react-native-versioned"
THRESHOLD = 0.8
_PUNCT = re.compile(r"[^\w]+")


# -- machine ---------------------------------------------------------------------------------


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem / 2**30, 1),
        "python": platform.python_version(),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def load() -> float:
    return round(os.getloadavg()[0], 2)


class Clock:
    """Wall and CPU seconds of a block (CPU time is less disturbed by other users)."""

    def __enter__(self) -> Self:
        self.w0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.w0
        self.cpu = time.process_time() - self.c0


# -- the baselines ---------------------------------------------------------------------------


def py_normalize(text: str) -> str:
    """The shingle normalisation (NFKC, lower case, punctuation as space), in Python."""
    return _PUNCT.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def naive_datasketch(texts: list[str], num_perm: int = 128):
    from datasketch import MinHash

    out = []
    for t in texts:
        m = MinHash(num_perm=num_perm)
        for sh in python_shingles(py_normalize(t), 5):
            m.update(sh.encode("utf-8"))
        out.append(m)
    return out


def bulk_datasketch(texts: list[str], num_perm: int = 128):
    import xxhash
    from datasketch import MinHash

    def h(b: bytes) -> int:
        return xxhash.xxh32_intdigest(b)

    data = ([s.encode("utf-8") for s in python_shingles(py_normalize(t), 5)] for t in texts)
    return MinHash.bulk(data, num_perm=num_perm, hashfunc=h)


def ours(texts: list[str], ids: list[str] | None = None, **cfg) -> DedupeResult:
    df = pl.DataFrame({"id": ids or [str(i) for i in range(len(texts))], "text": texts})
    conf = DedupeConfig(**cfg)
    return find_duplicates(df, conf, total=df.height)


# -- exact ground truth ----------------------------------------------------------------------


def shingle_sets(texts: list[str]) -> list[frozenset[int]]:
    vocab: dict[str, int] = {}
    out = []
    for t in texts:
        out.append(frozenset(vocab.setdefault(s, len(vocab)) for s in python_shingles(py_normalize(t), 5)))
    return out


def jaccard(a: frozenset, b: frozenset) -> float:
    if not a and not b:
        return 1.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def similarity_join(sets: list[frozenset[int]], t: float) -> dict[tuple[int, int], float]:
    """Every pair with Jaccard >= t, exactly: prefix filtering (two sets with J >= t share
    a token among the first |x| - ceil(t|x|) + 1 tokens of each, in a global order of
    increasing frequency), then each candidate checked."""
    freq = Counter(tok for s in sets for tok in s)
    index: dict[int, list[int]] = defaultdict(list)
    out: dict[tuple[int, int], float] = {}
    for i, s in enumerate(sets):
        if not s:
            continue
        toks = sorted(s, key=lambda x: (freq[x], x))
        p = len(toks) - math.ceil(t * len(toks)) + 1
        cands: set[int] = set()
        for tok in toks[:p]:
            cands.update(index[tok])
            index[tok].append(i)
        for j in cands:
            o = sets[j]
            # size filter: J >= t needs t|x| <= |y| <= |x|/t
            if not (t * len(s) <= len(o) <= len(s) / t):
                continue
            jj = jaccard(s, o)
            if jj >= t:
                out[(j, i)] = jj
    return out


# -- speed -----------------------------------------------------------------------------------


def bench_speed(n_docs: int, repeats: int) -> dict:
    pools = sentence_pools()
    n_base = int(n_docs / 1.2)
    corpus = planted_corpus(n_base, dup_share=0.1, max_variants=3, seed=1, pools=pools)
    texts, ids = corpus.texts[:n_docs], corpus.ids[:n_docs]
    chars = float(np.mean([len(t) for t in texts]))
    print(f"speed: {len(texts):,} documents, mean {chars:.0f} characters, load {load()}", flush=True)
    runs: list[dict] = []
    base: dict = {}

    def run_ours() -> None:
        gc.collect()
        with Clock() as c:
            res = ours(texts, ids)
        runs.append({"wall": c.wall, "cpu": c.cpu, "seconds": res.info["seconds"], "load": load()})
        print(f"  ours: {c.wall:.1f} s wall, {c.cpu:.1f} s CPU ({len(texts) / c.wall:,.0f} docs/s)", flush=True)

    run_ours()
    gc.collect()
    with Clock() as c:
        naive_datasketch(texts)
    base["naive"] = {"wall": c.wall, "cpu": c.cpu, "load": load()}
    print(f"  naive datasketch: {c.wall:.1f} s wall, {c.cpu:.1f} s CPU ({len(texts) / c.wall:,.0f} docs/s)", flush=True)
    run_ours()
    gc.collect()
    with Clock() as c:
        bulk_datasketch(texts)
    base["bulk"] = {"wall": c.wall, "cpu": c.cpu, "load": load()}
    print(f"  datasketch bulk + xxhash: {c.wall:.1f} s wall ({len(texts) / c.wall:,.0f} docs/s)", flush=True)
    for _ in range(max(0, repeats - 2)):
        run_ours()
    n = len(texts)
    ow = median(r["wall"] for r in runs)
    oc = median(r["cpu"] for r in runs)
    sig = median(r["seconds"]["signatures"] for r in runs)
    return {
        "documents": n,
        "mean_chars": round(chars),
        "naive_docs_per_s": round(n / base["naive"]["wall"]),
        "naive_docs_per_cpu_s": round(n / base["naive"]["cpu"]),
        "bulk_docs_per_s": round(n / base["bulk"]["wall"]),
        "ours_docs_per_s": round(n / ow),
        "ours_docs_per_cpu_s": round(n / oc),
        "ours_signature_phase_docs_per_s": round(n / sig),
        "speedup_wall": round(base["naive"]["wall"] / ow, 1),
        "speedup_cpu": round(base["naive"]["cpu"] / oc, 1),
        "speedup_vs_bulk_wall": round(base["bulk"]["wall"] / ow, 1),
        "ours_runs": runs,
        "baselines": base,
    }


# -- quality ---------------------------------------------------------------------------------


def pair_metrics(found: set[tuple[int, int]], truth: dict[tuple[int, int], float], sets, corpus: Corpus) -> dict:
    tp = len(found & truth.keys())
    strict_ok = sum(1 for p in found if p in truth or jaccard(sets[p[0]], sets[p[1]]) >= THRESHOLD)
    family_ok = sum(1 for a, b in found if corpus.family[a] == corpus.family[b])
    return {
        "found": len(found),
        "recall": round(tp / len(truth), 4) if truth else None,
        "precision": round(strict_ok / len(found), 4) if found else None,
        "precision_same_family": round(family_ok / len(found), 4) if found else None,
    }


def group_pairs(groups: list[str]) -> set[tuple[int, int]]:
    members: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        members[g].append(i)
    return {p for m in members.values() if len(m) > 1 for p in itertools.combinations(m, 2)}


def evaluate(res: DedupeResult, truth, sets, corpus: Corpus) -> dict:
    edges = {(min(a, b), max(a, b)) for a, b in res.pairs.tolist()}
    frame = res.frame
    groups = frame["dup_group"].to_list()
    index = {rid: i for i, rid in enumerate(corpus.ids)}
    dropped = [(i, index[d]) for i, d in enumerate(frame["dup_of"].to_list()) if d is not None]
    drop_ok = sum(1 for i, d in dropped if jaccard(sets[i], sets[d]) >= THRESHOLD)
    gp = group_pairs(groups)
    return {
        "pairs": pair_metrics(edges, truth, sets, corpus),
        "groups": {
            "recall": round(len(gp & truth.keys()) / len(truth), 4),
            "precision_same_family": round(
                sum(1 for a, b in gp if corpus.family[a] == corpus.family[b]) / len(gp), 4
            ) if gp else None,
            "pairs_in_groups": len(gp),
        },
        "drops": {"dropped": len(dropped), "precision": round(drop_ok / len(dropped), 4) if dropped else None},
        "seconds": res.info["seconds"],
        "bands_rows": [res.info.get("bands"), res.info.get("rows")],
    }


def datasketch_lsh(corpus: Corpus, params: tuple[int, int] | None) -> tuple[set[tuple[int, int]], float, tuple[int, int]]:
    """MinHashLSH as commonly used: bulk signatures, insert, query; every candidate is a
    duplicate (no verification)."""
    from datasketch import MinHashLSH

    with Clock() as c:
        ms = bulk_datasketch(corpus.texts)
        lsh = MinHashLSH(threshold=THRESHOLD, num_perm=128, params=params)
        for i, m in enumerate(ms):
            lsh.insert(i, m)
        found = set()
        for i, m in enumerate(ms):
            for j in lsh.query(m):
                if j != i:
                    found.add((min(i, j), max(i, j)))
    return found, c.wall, (lsh.b, lsh.r)


def bench_quality(n_base: int) -> dict:
    corpus = planted_corpus(n_base, dup_share=0.3, max_variants=3, seed=7)
    print(f"quality: {len(corpus):,} records ({int(corpus.planted.sum()):,} planted copies), load {load()}", flush=True)
    sets = shingle_sets(corpus.texts)
    with Clock() as c:
        truth = similarity_join(sets, THRESHOLD)
    fam = sum(1 for a, b in truth if corpus.family[a] == corpus.family[b])
    print(f"  ground truth: {len(truth):,} pairs with J >= {THRESHOLD} ({fam:,} within families), {c.wall:.0f} s", flush=True)
    out: dict = {
        "records": len(corpus),
        "planted_copies": int(corpus.planted.sum()),
        "true_pairs": len(truth),
        "true_pairs_within_families": fam,
        "true_pairs_by_jaccard": {
            f"{lo:.2f}-{lo + 0.05:.2f}": sum(1 for j in truth.values() if lo <= j < lo + 0.05) for lo in (0.8, 0.85, 0.9, 0.95)
        },
        "configs": {},
    }
    out["true_pairs_by_jaccard"]["1.00"] = sum(1 for j in truth.values() if j >= 1.0)
    for name, cfg in (
        ("curate (verify: exact)", {}),
        ("curate (verify: estimate)", {"verify": "estimate"}),
    ):
        with Clock() as c:
            res = ours(corpus.texts, corpus.ids, keep="first", **cfg)
        r = evaluate(res, truth, sets, corpus)
        r["wall_s"] = round(c.wall, 2)
        r["candidate_pairs"] = res.info.get("candidate_pairs")
        r["exact_checked_pairs"] = res.info.get("exact_checked_pairs")
        out["configs"][name] = r
        print(f"  {name}: {json.dumps(r['pairs'])} groups {json.dumps(r['groups'])} {c.wall:.1f} s", flush=True)
    for name, params in (("datasketch MinHashLSH (default bands, no verification)", None),
                         ("datasketch MinHashLSH (16x6 bands, no verification)", (16, 6))):
        found, wall, br = datasketch_lsh(corpus, params)
        r = {"pairs": pair_metrics(found, truth, sets, corpus), "wall_s": round(wall, 2), "bands_rows": list(br)}
        out["configs"][name] = r
        print(f"  {name} {br}: {json.dumps(r['pairs'])} {wall:.1f} s", flush=True)
    return out


# -- versioned docs --------------------------------------------------------------------------


def rn_pages() -> pl.DataFrame:
    rows = []
    for p in sorted(RN_DOCS.rglob("*.md*")):
        parts = p.relative_to(RN_DOCS).parts
        if parts[0] == "docs":
            version, page = "next", "/".join(parts[1:])
        elif parts[:2] == ("website", "versioned_docs"):
            version, page = parts[2], "/".join(parts[3:])
        else:
            continue
        rows.append({"id": "/".join(parts), "text": p.read_text(encoding="utf-8"), "page": page, "version": version})
    return pl.DataFrame(rows)


def bench_docs() -> dict:
    df = rn_pages()
    print(f"docs: {df.height:,} React Native pages, {df['page'].n_unique()} distinct, load {load()}", flush=True)
    texts = df["text"].to_list()
    with Clock() as c:
        res = ours(texts, df["id"].to_list(), keep="first")
    sets = shingle_sets(texts)
    groups = res.frame["dup_group"].to_list()
    pages = df["page"].to_list()
    by_page: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(pages):
        by_page[p].append(i)
    pos = hit = 0
    misses = []
    for p, idx in by_page.items():
        for a, b in itertools.combinations(idx, 2):
            j = jaccard(sets[a], sets[b])
            if j >= THRESHOLD:
                pos += 1
                if groups[a] == groups[b]:
                    hit += 1
                else:
                    misses.append({"page": p, "jaccard": round(j, 3)})
    gp = group_pairs(groups)
    cross = [(a, b) for a, b in gp if pages[a] != pages[b]]
    cross_j = sorted(round(jaccard(sets[a], sets[b]), 3) for a, b in cross)
    kept = res.frame["drop_reason"].null_count()
    r = {
        "pages": df.height,
        "distinct_pages": df["page"].n_unique(),
        "same_page_pairs_ge_threshold": pos,
        "grouped": hit,
        "recall": round(hit / pos, 4) if pos else None,
        "misses": misses[:10],
        "pairs_in_groups": len(gp),
        "cross_page_pairs_in_groups": len(cross),
        "cross_page_min_jaccard": cross_j[0] if cross_j else None,
        "kept": kept,
        "dropped": res.frame["drop_reason"].drop_nulls().value_counts().to_dicts(),
        "wall_s": round(c.wall, 2),
        "seconds": res.info["seconds"],
    }
    print(f"  {json.dumps({k: v for k, v in r.items() if k not in ('misses',)})}", flush=True)
    return r


# -- scale -----------------------------------------------------------------------------------


def bench_scale(n_docs: int, workdir: Path, row_group: int) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / f"scale_{n_docs}_rg{row_group}.parquet"
    if not data.exists():
        print(f"scale: generating {n_docs:,} documents of ~1 KB ...", flush=True)
        make_scale_corpus(n_docs, data, row_group)
    print(
        f"scale: the dedupe stage on {n_docs:,} documents (row groups of {row_group:,}) in a subprocess, load {load()}",
        flush=True,
    )
    out = workdir / "result.json"
    cmd = [sys.executable, str(HERE / "dedupe_scale.py"), str(data), str(workdir / "run"), str(out)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - t0
    r = json.loads(out.read_text())
    r["subprocess_wall_s"] = round(wall, 1)
    r["row_group"] = row_group
    r["load_after"] = load()
    print(f"  {json.dumps(r)}", flush=True)
    return r


def make_scale_corpus(n_docs: int, path: Path, row_group: int) -> None:
    """~1 KB tickets: 85% distinct, 10% edited copies, 5% exact copies, as a stage table
    (ingest writes row groups of 5,000 records)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from dedupe_corpus import edit, make_tickets

    pools = sentence_pools()
    rng = np.random.default_rng(3)
    writer = None
    chunk = 100_000
    made = 0
    try:
        while made < n_docs:
            n = min(chunk, n_docs - made)
            n_base = int(n * 0.85)
            texts = make_tickets(n_base, rng, pools, target_chars=1000)
            src = rng.integers(0, n_base, size=n - n_base)
            for k, s in enumerate(src.tolist()):
                texts.append(edit(texts[s], rng, pools[2], pools[1]) if k % 3 else texts[s])
            order = rng.permutation(len(texts))
            ids = [f"scale:{made + i:08d}" for i in range(len(texts))]
            table = pa.table({
                "id": ids,
                "text": [texts[i] for i in order],
                "meta": ["{}"] * len(texts),
                "drop_reason": pa.nulls(len(texts), pa.string()),
            })
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="zstd")
            writer.write_table(table, row_group_size=row_group)
            made += len(texts)
    finally:
        if writer is not None:
            writer.close()


# -- report ----------------------------------------------------------------------------------


def write_results(results: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    old = {}
    jpath = RESULTS / "dedupe.json"
    if jpath.exists():
        old = json.loads(jpath.read_text())
    merged = {**old, **results}
    jpath.write_text(json.dumps(merged, indent=2) + "\n")
    (RESULTS / "dedupe.md").write_text(render(merged))
    print(f"wrote {jpath} and {RESULTS / 'dedupe.md'}")


def render(r: dict) -> str:
    m = r.get("machine", {})
    lines = [
        "# Dedupe benchmarks",
        "",
        "`.venv/bin/python benchmarks/dedupe_bench.py` (sections: `--only speed quality docs scale`).",
        "",
        (f"Machine: {m.get('cpu')}, {m.get('cores')} cores, {m.get('ram_gib')} GiB RAM, Python {m.get('python')}, "
        f"{m.get('date')}. The machine is shared with other developers: load averages are noted, "
        "and every speed figure is a ratio against a baseline measured in the same run."),
        "",
    ]
    s = r.get("speed")
    if s:
        lines += [
            "## Speed (target: >= 20x the naive datasketch baseline)",
            "",
            f"Run {s.get('run_at')}, load average {s.get('load_at_start')} at the start.",
            "",
            (f"{s['documents']:,} ticket-length documents (mean {s['mean_chars']} characters), word 5-grams, "
            "128 permutations, threshold 0.8."),
            "",
            "| method | docs/s (wall) | docs/s (CPU time) |",
            "|---|---:|---:|",
            (f"| datasketch naive: `MinHash()` + `update()` per shingle, SHA-1 (signatures only) | "
            f"{s['naive_docs_per_s']:,} | {s['naive_docs_per_cpu_s']:,} |"),
            f"| datasketch `MinHash.bulk` + xxh32 (signatures only) | {s['bulk_docs_per_s']:,} | |",
            (f"| curate dedupe, whole stage (exact + signatures + LSH + verification + groups), median of "
            f"{len(s['ours_runs'])} | {s['ours_docs_per_s']:,} | {s['ours_docs_per_cpu_s']:,} |"),
            f"| curate, signature phase alone (normalise, shingle, hash, sign) | {s['ours_signature_phase_docs_per_s']:,} | |",
            "",
            (f"**Speed-up of the whole stage over naive signatures: {s['speedup_wall']}x wall-clock, "
            f"{s['speedup_cpu']}x CPU time** ({s['speedup_vs_bulk_wall']}x datasketch's bulk path). "
            f"Load average during the runs: {', '.join(str(x['load']) for x in s['ours_runs'])} (ours), "
            f"{s['baselines']['naive']['load']} (naive)."),
            "",
        ]
    q = r.get("quality")
    if q:
        lines += [
            "## Quality on planted near-duplicates (target: recall >= 0.95 at pair precision >= 0.99)",
            "",
            f"Run {q.get('run_at')}.",
            "",
            (f"{q['records']:,} synthetic tickets built from Bitext sentences, {q['planted_copies']:,} of them "
            "edited copies (1-10% of words substituted/deleted/inserted, lines added or removed). Truth: "
            f"all {q['true_pairs']:,} pairs with true Jaccard >= 0.8 on word 5-gram string sets, from an exact "
            f"all-pairs similarity join ({q['true_pairs_within_families']:,} of them within a planted family). "
            f"By Jaccard: {', '.join(f'{k}: {v:,}' for k, v in q['true_pairs_by_jaccard'].items())}."),
            "",
            ("*Recall*: share of the true pairs reported as duplicate pairs. *Precision*: share of reported "
            "pairs whose true Jaccard is >= 0.8 (strict); *same family*: share that are copies of one ticket."),
            "",
            "| method | bands x rows | recall | precision | precision (same family) | group recall | drops with J >= 0.8 | seconds |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        for name, c in q["configs"].items():
            p = c["pairs"]
            g = c.get("groups", {})
            d = c.get("drops", {})
            br = "x".join(str(x) for x in c.get("bands_rows", []))
            lines.append(
                f"| {name} | {br} | {p['recall']} | {p['precision']} | {p['precision_same_family']} | "
                f"{g.get('recall', '')} | {d.get('precision', '')} | {c['wall_s']} |"
            )
        lines += [
            "",
            ("*Group recall*: share of true pairs that end in the same `dup_group`. *Drops*: share of "
            "dropped records whose true Jaccard with the record they were dropped for is >= 0.8."),
            "",
        ]
    d = r.get("docs")
    if d:
        lines += [
            "## React Native documentation versions",
            "",
            f"{d['pages']:,} pages ({d['distinct_pages']} distinct paths, `docs/` and 10 `versioned_docs/` "
            f"folders), one record per page. {d['same_page_pairs_ge_threshold']:,} pairs of the same page "
            f"in two versions have true Jaccard >= 0.8: **{d['grouped']:,} grouped (recall {d['recall']})**. "
            f"Pairs of different pages in one group: {d['cross_page_pairs_in_groups']}"
            + (f" (lowest true Jaccard {d['cross_page_min_jaccard']})" if d["cross_page_pairs_in_groups"] else "")
            + f". Kept {d['kept']:,}; {d['wall_s']} s.",
            "",
        ]
    scales = r.get("scale") or []
    if scales:
        first = scales[0]
        lines += [
            "## Scale (target: 1M documents of ~1 KB, peak memory < 4 GiB)",
            "",
            (f"{first['records']:,} documents (mean {first['mean_chars']} characters; 10% edited and 5% exact "
            "copies) through the dedupe stage with the local engine (`run_stage`: annotate, streaming join, "
            "parquet out), in a subprocess; peak RSS is the subprocess's `VmHWM`."),
            "",
            "| input row groups | peak RSS | stage wall | docs/s | phases (s) | dropped | candidate / confirmed pairs | load |",
            "|---|---:|---:|---:|---|---|---|---|",
        ]
        for sc in scales:
            lines.append(
                f"| {sc['row_group']:,} records | **{sc['peak_rss_gib']} GiB** | {sc['stage_seconds']} s | "
                f"{sc['records'] / sc['stage_seconds']:,.0f} | "
                f"{', '.join(f'{k} {v}' for k, v in sc['phases'].items())} | "
                f"{', '.join(f'{k} {v:,}' for k, v in sc['dropped'].items())} | "
                f"{sc['candidate_pairs']:,} / {sc['duplicate_pairs']:,} | {sc['load_at_start']} → {sc['load_after']} |"
            )
        lines += [
            "",
            ("Stage tables written by curate have row groups of 5,000 (ingest) or 1,024 (batch stages) "
            "records. polars reads ahead by row groups, so a table written with very large row groups "
            "costs more memory while the texts stream; the second row shows how much."),
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="*", default=["speed", "quality", "docs", "scale"])
    ap.add_argument("--docs", type=int, default=100_000, help="documents for the speed benchmark")
    ap.add_argument("--repeats", type=int, default=3, help="runs of ours in the speed benchmark")
    ap.add_argument("--quality-base", type=int, default=20_000, help="original tickets in the quality corpus")
    ap.add_argument("--scale-docs", type=int, default=1_000_000)
    ap.add_argument(
        "--scale-row-groups", type=int, nargs="*", default=[5000, 100_000],
        help="row group sizes of the scale input (ingest writes 5,000)",
    )
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/curate-dedupe-bench"))
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    results: dict = {"machine": machine()}
    results["machine"]["load_at_start"] = load()
    def timed(fn, *a) -> dict:
        started, load0 = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), load()
        r = fn(*a)
        r["run_at"], r["load_at_start"] = started, load0
        return r

    if "speed" in args.only:
        results["speed"] = timed(bench_speed, args.docs, args.repeats)
    if "quality" in args.only:
        results["quality"] = timed(bench_quality, args.quality_base)
    if "docs" in args.only:
        results["docs"] = timed(bench_docs)
    if "scale" in args.only:
        results["scale"] = [timed(bench_scale, args.scale_docs, args.workdir, rg) for rg in args.scale_row_groups]
    if not args.no_write:
        write_results(results)


if __name__ == "__main__":
    main()
