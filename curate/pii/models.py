"""What a configured spaCy pipeline is, found without loading it: its name and version for
the stage's fingerprint, its ``config.cfg``, and whether running it needs PyTorch (a
worker that needs no PyTorch starts without importing it)."""

from __future__ import annotations

import importlib.util
import json
import re
from importlib import metadata
from pathlib import Path

from curate.pii.config import RedactConfig


def model_version(config: RedactConfig) -> str:
    """Name and version of the configured model (and of each language's pipeline, when
    ``model.languages`` names any), for the fingerprint (no model loaded)."""
    main = pipeline_version(config.model.name)
    if not config.model.languages:
        return main
    return ";".join([main] + [f"{lang}={pipeline_version(n)}" for lang, n in sorted(config.model.languages.items())])


def pipeline_version(name: str) -> str:
    """Name and version of an installed spaCy pipeline package or pipeline folder."""
    p = Path(name)
    if p.exists():
        meta = p / "meta.json"
        if meta.exists():
            try:
                m = json.loads(meta.read_text())
                return f"{m.get('lang')}_{m.get('name')}-{m.get('version')}"
            except (OSError, ValueError):
                pass
        return str(p.resolve())
    try:
        return f"{name}-{metadata.version(name)}"
    except metadata.PackageNotFoundError:
        try:
            return f"{name}-{metadata.version(name.replace('_', '-'))}"
        except metadata.PackageNotFoundError:
            return name


#: spaCy's own component factories that run on numpy alone (the CNN pipelines)
_NUMPY_FACTORIES = frozenset({
    "tok2vec", "ner", "tagger", "morphologizer", "parser", "senter", "sentencizer", "attribute_ruler",
    "lemmatizer", "entity_ruler", "span_ruler", "entity_linker", "textcat", "textcat_multilabel", "spancat",
    "trainable_lemmatizer", "merge_entities", "merge_noun_chunks", "merge_subtokens",
})
_FACTORY = re.compile(r'^factory\s*=\s*"([^"]+)"', re.M)
_MODEL_REF = re.compile(r'^@(?:architectures|layers)\s*=\s*"([^"]+)"', re.M)


def spacy_pipeline_config(name: str) -> Path | None:
    """The ``config.cfg`` of an installed spaCy pipeline package or pipeline folder, found
    without importing spaCy or the package; None when there is none."""
    p = Path(name)
    if not p.exists():
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            return None
        locations = list(spec.submodule_search_locations or []) if spec else []
        if not locations:
            return None
        p = Path(locations[0])
    if (p / "config.cfg").is_file():
        return p / "config.cfg"
    found = sorted(p.glob("*/config.cfg"))
    return found[0] if found else None


def spacy_pipeline_needs_torch(name: str) -> bool:
    """Whether a spaCy pipeline may need PyTorch: True unless its config shows only spaCy's
    numpy components and architectures (a transformer pipeline such as en_core_web_trf, or
    one that cannot be read, counts as needing it)."""
    cfg = spacy_pipeline_config(name)
    if cfg is None:
        return True
    try:
        text = cfg.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return True
    # the [training] and [initialize] sections describe training, not the loaded pipeline
    text = re.split(r"^\[(?:training|initialize|corpora|pretraining)\b", text, maxsplit=1, flags=re.M)[0]
    factories = set(_FACTORY.findall(text))
    refs = _MODEL_REF.findall(text)
    return not factories or not factories <= _NUMPY_FACTORIES or any(not r.startswith("spacy.") for r in refs)
