"""A small slice of examples/support-tickets with planted duplicates, for comparing the
engines. Built from the example's own CSV (Bitext, CDLA-Sharing-1.0; see
examples/support-tickets/data/SOURCE.md), so nothing is copied into the tests."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "support-tickets"

#: records taken from the example
TAKE = 72


def _swap_words(text: str, every: int, count: int) -> str:
    """``text`` with ``count`` words replaced, ``every`` words apart (a near duplicate)."""
    words = text.split(" ")
    for k in range(count):
        i = min(len(words) - 1, 7 + k * every)
        words[i] = f"variant{k}"
    return " ".join(words)


def write_slice(folder: Path, *, budget: int = 30) -> Path:
    """Write ``folder/data/tickets.csv`` and ``folder/curate.yaml``; return the config."""
    with open(EXAMPLE / "data" / "bitext_sample.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[:TAKE]
    fields = list(rows[0])
    extra = []
    # exact duplicates: the same exchange under another id, one with other whitespace
    for i in range(4):
        r = dict(rows[i], id=f"copy-{i}")
        if i == 0:
            r["response"] = r["response"].replace(" ", "  ", 3)
        extra.append(r)
    # near duplicates at several distances from the 0.8 threshold: a few words replaced
    for j, (every, count) in enumerate([(9, 1), (9, 2), (7, 3), (6, 4), (12, 2), (5, 5)]):
        src = rows[10 + j]
        extra.append(dict(src, id=f"near-{j}", response=_swap_words(src["response"], every, count)))
    # a chain: near-0's variant again, a little further
    extra.append(dict(rows[10], id="near-chain", response=_swap_words(_swap_words(rows[10]["response"], 9, 1), 11, 2)))
    # too short for the quality filter, and personal data for the redact stage
    extra.append(dict(rows[30], id="short", instruction="hi", response="ok"))
    extra.append(dict(rows[31], id="pii", instruction="I am Maria Gonzalez, write to maria.gonzalez@example.com or call +1 415 555 0132",
                      response=rows[31]["response"]))
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    # interleave the planted records with the originals, so duplicates cross batches
    out = []
    for k, r in enumerate(rows):
        out.append(r)
        if k % 8 == 7 and extra:
            out.append(extra.pop(0))
    out += extra
    with open(data / "tickets.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(out)
    cfg = yaml.safe_load((EXAMPLE / "curate.yaml").read_text())
    cfg["name"] = "slice"
    cfg["sources"][0]["path"] = "data/tickets.csv"
    cfg["select"]["budget"] = budget
    # small batches: many batches, blocks and tasks, so order is really put back together
    cfg["dedupe"]["batch_size"] = 24
    cfg["engine"] = {"stages": {"redact": {"batch_size": 16}, "select": {"batch_size": 32}}}
    path = folder / "curate.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path
