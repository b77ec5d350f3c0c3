"""The automatic metrics against their reference packages: ROUGE-1 (token F1) and ROUGE-L
against rouge-score with its own tokenizer, the embedding similarity against
sentence-transformers used directly."""

from __future__ import annotations

import numpy as np
import pytest
from eval_data import SYSTEMS, answer, benchmark_items
from rouge_score import rouge_scorer

from curate.embed.model import Embedder, resolve_model
from curate.evaluation.benchmark import Item
from curate.evaluation.metrics import Tokenizer, text_scores
from curate.evaluation.report import score_report


def pairs():
    items = benchmark_items(30)
    return [(answer(s, it), it["reference"]) for it in items for s in SYSTEMS]


def test_rouge_and_token_f1_equal_rouge_score_on_ascii_text():
    outs, refs = zip(*pairs())
    got = text_scores(list(outs), list(refs))
    reference = rouge_scorer.RougeScorer(["rouge1", "rougeL"], use_stemmer=False)
    for k, (o, r) in enumerate(zip(outs, refs)):
        s = reference.score(r, o)
        assert got["rouge_l"][k] == pytest.approx(s["rougeL"].fmeasure, abs=1e-12)
        assert got["token_f1"][k] == pytest.approx(s["rouge1"].fmeasure, abs=1e-12)
    assert got["rouge_l"].min() < 0.2 and got["rouge_l"].max() > 0.7  # the systems differ


def test_token_f1_and_exact_match_by_hand():
    got = text_scores(["The cat sat on the mat.", "Reset your password!", "reset   YOUR password"],
                      ["the cat is on the mat", "Reset your password.", "Reset your password."])
    # 5 shared tokens (the x2, cat, on, mat) of 6 each: F1 = 5/6
    assert got["token_f1"][0] == pytest.approx(5 / 6)
    assert list(got["exact_match"]) == [0.0, 1.0, 1.0]  # case, punctuation and spacing aside


def test_other_scripts_are_scored_where_the_default_tokenizer_sees_nothing():
    out, ref = "Ihre Rückerstattung über 20 € ist unterwegs", "Ihre Rückerstattung ist unterwegs"
    assert Tokenizer().tokenize(out) == ["ihre", "rückerstattung", "über", "20", "ist", "unterwegs"]
    assert text_scores([out], [ref])["token_f1"][0] == pytest.approx(2 * 4 / (6 + 4))
    ja = text_scores(["返金は処理済みです"], ["返金は処理されました"])
    assert 0 < ja["rouge_l"][0] < 1
    assert rouge_scorer.RougeScorer(["rougeL"]).score("返金は処理されました", "返金は処理済みです")["rougeL"].fmeasure == 0.0


def test_embedding_similarity_equals_sentence_transformers():
    from sentence_transformers import SentenceTransformer

    items = benchmark_items(6)
    bench = [Item(i["id"], i["messages"], i["reference"], i["strata"]) for i in items]
    preds = {s: {i["id"]: answer(s, i) for i in items} for s in SYSTEMS}
    embedder = Embedder(device="cpu")
    rep, rows = score_report(bench, preds, embedder=embedder, model_name="all-MiniLM-L6-v2",
                             strata_fields=["task_type"], samples=200, seed=0)
    st = SentenceTransformer(resolve_model("all-MiniLM-L6-v2"), device="cpu")
    refs = st.encode([i["reference"] for i in items], normalize_embeddings=True)
    for s in SYSTEMS:
        outs = st.encode([preds[s][i["id"]] for i in items], normalize_embeddings=True)
        expected = (outs * refs).sum(axis=1)
        got = [r["embedding_similarity"] for r in rows if r["system"] == s]
        assert got == pytest.approx(list(expected), abs=1e-4)
        assert rep["scores"][s]["embedding_similarity"]["value"] == pytest.approx(float(np.mean(expected)), abs=1e-4)
    assert rep["scores"]["finetuned-v3"]["embedding_similarity"]["value"] > rep["scores"]["legacy-bot"]["embedding_similarity"]["value"]
    assert rep["metrics"] == ["exact_match", "token_f1", "rouge_l", "embedding_similarity"]
    assert sum(v["items"] for v in rep["strata"]["task_type"].values()) == 6
