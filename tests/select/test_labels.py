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
    assert terms[0] == ["refund", "money"]  # only words shared by two or more records
    assert terms[1][0] == "password" and "reset" in terms[1]
    assert not {"customer", "person", "name"} & set(terms[1])
    assert cluster_terms([], np.array([]), 3) == [[], [], []]
    assert cluster_terms(["the and of", "to be"], np.array([0, 1]), 2) == [[], []]


def test_a_word_from_a_single_record_never_names_a_cluster():
    texts = [f"please cancel my order, this is Zebulon Quixote ticket {i}" if i == 0 else "please cancel my order"
             for i in range(12)]
    terms = cluster_terms(texts, np.zeros(12, int), 1, top=10)
    assert "cancel" in terms[0] and not {"zebulon", "quixote", "ticket"} & set(terms[0])


def test_sample_per_cluster_is_bounded_and_seeded():
    labels = np.array([0] * 50 + [1] * 3 + [-1] * 10)
    rows = sample_per_cluster(labels, 10, seed=1)
    assert (labels[rows] == 0).sum() == 10 and (labels[rows] == 1).sum() == 3 and (labels[rows] >= 0).all()
    assert (rows == sample_per_cluster(labels, 10, seed=1)).all()
