"""Names for clusters: the words that set a cluster apart (class-based TF-IDF), so the
report can say "cluster 3: refund, money, charged" instead of "cluster 3".

Terms come from the texts the select stage sees (redacted, when redaction ran). Each
cluster contributes at most ``per_cluster`` texts, so the cost is bounded by k, not n."""

from __future__ import annotations

import re

import numpy as np

#: a term must occur in this many records of its cluster (and this share of them): a word
#: from a single ticket (a name the redaction missed, an order number) never names a cluster
MIN_DOCS = 2
MIN_DOC_SHARE = 0.1

_PLACEHOLDER = re.compile(r"\{\{[^}]*\}\}|<[A-Z_]+>|\[[A-Z_]+\]")


def sample_per_cluster(labels: np.ndarray, per_cluster: int, seed: int = 0) -> np.ndarray:
    """Row indices: up to ``per_cluster`` rows of every cluster (seeded), sorted."""
    rng = np.random.default_rng(seed)
    out = []
    for c in np.unique(labels[labels >= 0]):
        members = np.flatnonzero(labels == c)
        if members.size > per_cluster:
            members = rng.choice(members, per_cluster, replace=False)
        out.append(members)
    return np.sort(np.concatenate(out)) if out else np.zeros(0, np.int64)


def cluster_terms(texts: list[str], labels: np.ndarray, k: int, top: int = 5) -> list[list[str]]:
    """The ``top`` most distinctive words of each cluster 0..k-1 (c-TF-IDF: a word's
    frequency in the cluster, weighted by how rare it is across clusters), among the
    words shared by several of the cluster's records."""
    from sklearn.feature_extraction.text import CountVectorizer

    labels = np.asarray(labels)
    if not texts or k == 0:
        return [[] for _ in range(k)]
    cleaned = [_PLACEHOLDER.sub(" ", t or "") for t in texts]
    vec = CountVectorizer(stop_words="english", token_pattern=r"(?u)\b[^\W\d_]{3,}\b", lowercase=True, max_features=50_000)
    try:
        counts = vec.fit_transform(cleaned)
    except ValueError:  # nothing but stop words
        return [[] for _ in range(k)]
    vocab = np.asarray(vec.get_feature_names_out())
    per = np.zeros((k, counts.shape[1]), dtype=np.float64)
    shared = np.zeros((k, counts.shape[1]), dtype=bool)
    for c in range(k):
        rows = np.flatnonzero(labels == c)
        if rows.size:
            per[c] = np.asarray(counts[rows].sum(0)).ravel()
            docs = np.asarray((counts[rows] > 0).sum(0)).ravel()
            shared[c] = docs >= max(MIN_DOCS, int(np.ceil(MIN_DOC_SHARE * rows.size)))
    words_per_class = per.sum(1).mean()
    freq = per.sum(0)
    idf = np.log1p(words_per_class / np.maximum(freq, 1))
    tf = per / np.maximum(per.sum(1, keepdims=True), 1)
    score = np.where(shared, tf * idf, 0.0)
    out = []
    for c in range(k):
        best = np.lexsort((vocab, -score[c]))[:top]
        out.append([str(vocab[i]) for i in best if score[c, i] > 0])
    return out
