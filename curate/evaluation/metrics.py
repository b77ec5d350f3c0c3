"""Automatic metrics of outputs against the gold answers (``curate eval score``).

Per item and system:

- ``exact_match``: 1 when output and reference have the same tokens in the same order
  (case, punctuation and spacing aside), else 0;
- ``token_f1``: the F1 of the tokens the two share (as bags of tokens): ROUGE-1's F-measure;
- ``rouge_l``: ROUGE-L's F-measure (longest common subsequence of tokens);
- ``embedding_similarity``: the cosine similarity of the two texts' sentence embeddings,
  with the run's embedding model (curate's :class:`~curate.embed.model.Embedder`).

ROUGE comes from Google's ``rouge-score`` package (extra ``curate[eval]``). Its own
tokenizer keeps ASCII letters and digits only, which would score a German, French or
Japanese answer as empty; curate hands it a tokenizer that keeps letters and digits of
every script (NFKC, case-folded; each CJK ideograph or kana a token of its own). On plain
ASCII text both tokenizers give the same tokens, so the scores equal the package's own.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import numpy as np
import regex

from curate.errors import require

METRICS = ("exact_match", "token_f1", "rouge_l", "embedding_similarity")
EXTRA = "eval"

_TOKEN = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]|[\p{L}\p{M}\p{N}]+")


class Tokenizer:
    """Words of every script, lower-cased, for rouge-score (its ``tokenize`` interface)."""

    def tokenize(self, text: str) -> list[str]:
        return _TOKEN.findall(unicodedata.normalize("NFKC", text or "").casefold())


def text_scores(outputs: list[str], references: list[str]) -> dict[str, np.ndarray]:
    """exact_match, token_f1 and rouge_l of each output against its reference."""
    rouge_score = require("rouge_score.rouge_scorer", EXTRA, "curate eval score (ROUGE)")
    tok = Tokenizer()
    scorer = rouge_score.RougeScorer(["rouge1", "rougeL"], tokenizer=tok)
    em, f1, rl = [], [], []
    for out, ref in zip(outputs, references):
        s = scorer.score(ref, out)  # (target, prediction)
        em.append(1.0 if tok.tokenize(out) == tok.tokenize(ref) else 0.0)
        f1.append(s["rouge1"].fmeasure)
        rl.append(s["rougeL"].fmeasure)
    return {"exact_match": np.array(em), "token_f1": np.array(f1), "rouge_l": np.array(rl)}


def embedding_similarity(embedder: Any, outputs: list[str], reference_vectors: np.ndarray) -> np.ndarray:
    """Cosine similarity of each output's embedding with its reference's (unit vectors)."""
    vecs = embedder.embed(outputs)
    return np.clip((vecs * reference_vectors).sum(axis=1), -1.0, 1.0).astype(np.float64)
