"""The largest new topics among the novel records: k-means over their vectors, each
cluster named by its distinctive words the way the select stage names its clusters
(``curate.select.labels.cluster_terms``, from the redacted requests)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from curate.select.cluster import kmeans
from curate.select.labels import cluster_terms
from curate.threads import one_thread

#: a topic needs this many novel records (a single odd record is not a topic)
MIN_TOPIC = 3


def new_topics(x: np.ndarray, texts: list[str], ids: list[str], *, topics: int, terms: int, seed: int = 0,
               backend: str = "sklearn") -> list[dict[str, Any]]:
    """Up to ``topics`` clusters of the novel records (rows of ``x``), largest first:
    size, share of the novel records, naming words, and the ids of the three records
    nearest the topic's centre."""
    n = x.shape[0]
    if topics <= 0 or n < MIN_TOPIC:
        return []
    k = max(1, min(topics, math.ceil(math.sqrt(n)), n // MIN_TOPIC))
    with one_thread():
        res = kmeans(x, k, seed=seed, backend=backend, device="cpu")
    words = cluster_terms(texts, res.labels, res.k, terms)
    out = []
    for c in range(res.k):
        members = np.flatnonzero(res.labels == c)
        if members.size < MIN_TOPIC:
            continue
        with one_thread():
            sims = x[members] @ res.centroids[c]
        central = members[np.lexsort((members, -sims))[:3]]
        out.append({"topic": len(out), "size": int(members.size), "share_of_novel": round(members.size / n, 4),
                    "terms": words[c], "examples": [ids[i] for i in central]})
    return out
