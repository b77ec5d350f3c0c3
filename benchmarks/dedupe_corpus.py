"""Synthetic support tickets with planted near-duplicates, for the dedupe benchmarks.

Tickets are assembled from the sentences of the Bitext customer-support corpus
(CDLA-Sharing-1.0, ``../shared/data/bitext-support``): a customer turn of one or two
request sentences and an agent turn of several response sentences. Bitext's responses are
templated, so unrelated tickets share boilerplate the way real support data does.

Planted near-duplicates copy a ticket and then edit 1-10% of its words (substitute,
delete or insert) and, sometimes, add or remove a line, as forwarded, re-opened or
macro-answered tickets differ in practice. The family of each record (the ticket it was
made from) is the ground truth; true Jaccard similarities are computed separately from
Python string shingles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from shared_data import shared_data

ROOT = Path(__file__).resolve().parent.parent
BITEXT = shared_data() / "bitext-support" / "bitext_customer_support_training.csv"

_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass
class Corpus:
    ids: list[str]
    texts: list[str]
    family: np.ndarray  # int64: index of the original ticket a record was made from
    planted: np.ndarray  # bool: the record is an edited copy

    def __len__(self) -> int:
        return len(self.texts)


def sentence_pools() -> tuple[list[str], list[str], list[str]]:
    """(request sentences, response sentences, vocabulary) from Bitext."""
    import polars as pl

    df = pl.read_csv(BITEXT, infer_schema_length=0)
    req: set[str] = set()
    resp: set[str] = set()
    for text in df["instruction"].to_list():
        for s in _SPLIT.split(text or ""):
            if len(s.split()) >= 3:
                req.add(s.strip())
    for text in df["response"].to_list():
        for s in _SPLIT.split(text or ""):
            if len(s.split()) >= 4:
                resp.add(s.strip())
    vocab = sorted({w for s in resp for w in s.split() if w.isalpha()})
    return sorted(req), sorted(resp), vocab


def make_tickets(n: int, rng: np.random.Generator, pools, target_chars: int = 650) -> list[str]:
    """``n`` distinct tickets of about ``target_chars`` characters."""
    req, resp, _ = pools
    req_a = np.array(req, dtype=object)
    resp_a = np.array(resp, dtype=object)
    mean_resp = float(np.mean([len(s) for s in resp[:2000]])) + 1
    k_resp = max(2, round((target_chars - 80) / mean_resp))
    out: list[str] = []
    n_req = rng.integers(1, 3, size=n)
    q = rng.integers(0, len(req_a), size=(n, 2))
    r = rng.integers(0, len(resp_a), size=(n, k_resp + 2))
    extra = rng.integers(-1, 3, size=n)
    for i in range(n):
        user = " ".join(req_a[q[i, : n_req[i]]])
        agent = "\n".join(resp_a[r[i, : k_resp + extra[i]]])
        out.append(f"user: {user}\n\nassistant: {agent}")
    return out


def edit(text: str, rng: np.random.Generator, vocab: list[str], resp: list[str]) -> str:
    """A near-duplicate of ``text``: 1-10% of the words substituted, deleted or inserted,
    and with some probability a line added or removed."""
    lines = text.split("\n")
    if rng.random() < 0.3 and len(lines) > 3:
        del lines[int(rng.integers(2, len(lines)))]
    if rng.random() < 0.3:
        lines.insert(int(rng.integers(2, len(lines) + 1)), resp[int(rng.integers(len(resp)))])
    words = "\n".join(lines).split(" ")
    rate = rng.uniform(0.01, 0.10)
    n_edits = max(1, round(rate * len(words)))
    for _ in range(n_edits):
        op = rng.integers(3)
        i = int(rng.integers(len(words)))
        if op == 0:
            words[i] = vocab[int(rng.integers(len(vocab)))]
        elif op == 1 and len(words) > 5:
            del words[i]
        else:
            words.insert(i, vocab[int(rng.integers(len(vocab)))])
    return " ".join(words)


def planted_corpus(
    n_base: int,
    dup_share: float = 0.3,
    max_variants: int = 3,
    seed: int = 0,
    target_chars: int = 650,
    pools=None,
) -> Corpus:
    """``n_base`` tickets; a ``dup_share`` of them get 1..``max_variants`` edited copies.
    Records are shuffled, so copies do not sit next to their original."""
    rng = np.random.default_rng(seed)
    pools = pools or sentence_pools()
    base = make_tickets(n_base, rng, pools, target_chars)
    texts = list(base)
    family = list(range(n_base))
    planted = [False] * n_base
    with_dups = np.flatnonzero(rng.random(n_base) < dup_share)
    for b in with_dups.tolist():
        for _ in range(int(rng.integers(1, max_variants + 1))):
            texts.append(edit(base[b], rng, pools[2], pools[1]))
            family.append(b)
            planted.append(True)
    order = rng.permutation(len(texts))
    return Corpus(
        ids=[f"t{i:07d}" for i in range(len(texts))],
        texts=[texts[i] for i in order],
        family=np.asarray(family, dtype=np.int64)[order],
        planted=np.asarray(planted, dtype=bool)[order],
    )
