"""The transformers NER path, with a real (tiny, locally built) BERT token-classification
model whose classifier is fixed to say B-PER for every token: every word must come out as
PERSON through Presidio's transformers engine, curate's label mapping and the redactor."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    import torch
    from transformers import BertConfig, BertForTokenClassification, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-ner")
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "maria", "lopez", "the", "export", "is", "empty", ",", "."]
    (folder / "vocab.txt").write_text("\n".join(words) + "\n")
    tok = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=True)
    cfg = BertConfig(
        vocab_size=len(words), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
        max_position_embeddings=64, num_labels=3, id2label={0: "O", 1: "B-PER", 2: "I-PER"}, label2id={"O": 0, "B-PER": 1, "I-PER": 2},
    )
    model = BertForTokenClassification(cfg)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([0.0, 10.0, 0.0]))
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def test_transformers_model_folder(tiny_model, default_analyzer):
    from curate.pii.config import RedactConfig
    from curate.pii.engine import PiiAnalyzer
    from curate.pii.redactor import Redactor

    cfg = RedactConfig(model={"engine": "transformers", "name": str(tiny_model)}, entities=["PERSON"], residual_checks=[])
    analyzer = PiiAnalyzer(cfg)
    assert [n for n in analyzer.nlp.pipe_names] == ["presidio_hf_token_pipe"]
    text, counts, _ = Redactor(cfg, analyzer=analyzer).redact_text("hello maria lopez")
    assert "maria" not in text and "lopez" not in text and counts["PERSON"] >= 1


def test_transformers_model_must_exist():
    from curate.errors import ConfigError
    from curate.pii.config import RedactConfig
    from curate.pii.engine import build_nlp_engine

    with pytest.raises(ConfigError, match="neither a folder nor in the local Hugging Face cache"):
        build_nlp_engine(RedactConfig(model={"engine": "transformers", "name": "nobody/no-such-ner-model"}))
