"""Cluster names: distinctive words per cluster, bounded samples."""

from __future__ import annotations

import numpy as np

from curate.select.labels import cluster_terms, sample_per_cluster


def test_terms_set_clusters_apart():
    texts = [
        "I want a refund for my order, refund the money please",
        "refund still missing, where is my money",
        "reset my password, the password link expired",
        "cannot log in, password reset email never came",
        "Hello {{Customer Name}}, the <PERSON> placeholder must not become a term",
    ]
    labels = np.array([0, 0, 1, 1, 1])
    terms = cluster_terms(texts, labels, 2, top=3)
    assert terms[0][0] == "refund" and "money" in terms[0]
    assert terms[1][0] == "password"
    assert not {"customer", "person", "name"} & set(terms[1])
    assert cluster_terms([], np.array([]), 3) == [[], [], []]
    assert cluster_terms(["the and of", "to be"], np.array([0, 1]), 2) == [[], []]


def test_sample_per_cluster_is_bounded_and_seeded():
    labels = np.array([0] * 50 + [1] * 3 + [-1] * 10)
    rows = sample_per_cluster(labels, 10, seed=1)
    assert (labels[rows] == 0).sum() == 10 and (labels[rows] == 1).sum() == 3 and (labels[rows] >= 0).all()
    assert (rows == sample_per_cluster(labels, 10, seed=1)).all()
