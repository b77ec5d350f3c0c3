"""Redaction of whole records: every text of a record (title, each turn, the metadata's
values and nested keys, and its id) is analysed in one batch, values found once are
looked for everywhere else in the same record, placeholders are numbered per record, and
the residual check runs over what comes out. An id that holds personal data is replaced by
a keyed hash (curate.pii.ids). Each record has a CPU-time budget (curate.pii.budget); a
record over it comes out withheld (``timed_out``), never unredacted. Used by the redact
stage, ``curate redact`` and the benchmarks."""

from __future__ import annotations

import bisect
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import regex as re

from curate.pii.budget import RecordBudgets, RedactionTimeout, record_budget
from curate.pii.code import blank, code_spans
from curate.pii.config import RedactConfig
from curate.pii.engine import PIECE_CHARS, Detection, PiiAnalyzer, resolve_overlaps
from curate.pii.frequent import frequent_terms
from curate.pii.ids import id_key, native_part, redacted_id
from curate.pii.secrets import read_key, read_salt
from curate.pii.language import UNDETERMINED, detect
from curate.pii.plausible import code_words, common_english, documented_person, made_of_code
from curate.pii.lexicon import is_given_name, is_name_word
from curate.pii.metadata import MetaField, apply, meta_fields
from curate.pii.operators import Operators
from curate.pii.recognizers.names import NOT_NAMES
from curate.pii.residual import find_residuals

log = logging.getLogger("curate.pii")

#: Found once, redacted everywhere in the record. Types whose values are short or
#: generic (dates, nationalities) are not spread.
_PROPAGATE_SKIP = frozenset({"DATE_TIME", "NRP", "US_DRIVER_LICENSE", "US_BANK_NUMBER", "UK_NHS"})
_NER_TYPES = frozenset({"PERSON", "LOCATION", "ORGANIZATION", "NRP"})
#: recognizers whose names come from the model, not from a position in the text
_MODEL_SOURCES = frozenset({"SpacyRecognizer", "TransformersRecognizer", "OrgAsPersonRecognizer", "NameListRecognizer"})
_NAME_WORD = re.compile(r"\p{Lu}[\p{L}'’\-]{2,}")  # a capitalised word of a name

#: A short one-line text (an id, a metadata value or key) is analysed together with the
#: other short texts of the batch, one per line: analysing each alone cost about 3 ms of
#: fixed overhead, as much as a third of a ticket. Longer ones are analysed on their own.
SHORT_CHARS = 512
#: An id longer than this is not analysed but replaced (no real id is this long).
ID_CHARS = 1024


@dataclass
class RecordIn:
    title: str | None
    messages: list[dict[str, str]]
    meta: dict[str, Any] = field(default_factory=dict)
    #: checked for personal data when given; ``source`` is its prefix, kept if it is replaced
    id: str | None = None
    source: str | None = None
    #: the record's kind (ticket, email, doc, chat): ``redact.model.lexicon_kinds``
    kind: str | None = None


@dataclass
class RecordOut:
    title: str | None
    messages: list[dict[str, str]]
    meta: dict[str, Any]
    pii: dict[str, int]
    residual: dict[str, int]
    #: the record's id, or its keyed hash when it holds personal data (None when none was given)
    id: str | None = None
    id_replaced: bool = False
    #: the record ran out of its time budget: every text withheld, nothing redacted
    timed_out: bool = False
    #: language of each of its texts -> values replaced in texts of that language
    languages: dict[str, int] = field(default_factory=dict)


@dataclass
class _Field:
    kind: str  # title | message | meta | id
    where: Any  # the message index, the MetaField
    text: str
    label: str = ""  # context a short text is read with ("phone" for a metadata value)
    short: bool = False
    lang: str = UNDETERMINED  # set by _detect


class Redactor:
    """Redacts records with one analyzer; create once per process."""

    def __init__(self, config: RedactConfig, analyzer: PiiAnalyzer | None = None, meta_keep: list[str] | None = None):
        """``meta_keep``: the metadata fields left as they are (default: the config's)."""
        self.config = config
        salt = read_salt(config.salt_env) if config.needs_salt() else None
        key = read_key(config.key_env) if config.needs_key() else None
        self.operators = Operators(config, salt=salt, key=key)
        self.analyzer = analyzer or PiiAnalyzer(config)
        self.meta_keep = list(config.meta_keep if meta_keep is None else meta_keep)
        self.id_key, self.id_keyed = id_key(config.salt_env)

    # -- public -----------------------------------------------------------------------
    def redact(self, records: list[RecordIn]) -> list[RecordOut]:
        layout = [self._fields(rec) for rec in records]
        budgets = self._budgets(layout)
        dets = self._detect(layout, budgets, [rec.kind for rec in records])
        out = []
        for i, (rec, fields, d) in enumerate(zip(records, layout, dets)):
            try:
                if i in budgets.expired:
                    raise RedactionTimeout()
                out.append(budgets.run(i, self._record, rec, fields, d))
            except RedactionTimeout:
                out.append(self._withheld(rec))
        return out

    def detect(self, records: list[RecordIn]) -> list[list[tuple[str, list[Detection]]]]:
        """What would be redacted: per record, (field text, detections) for the title,
        each message, the metadata's texts and the id, in that order (a record over its
        time budget: no detections)."""
        layout = [self._fields(rec) for rec in records]
        dets = self._detect(layout, self._budgets(layout), [rec.kind for rec in records])
        return [[(f.text, d[j]) for j, f in enumerate(fields)] for fields, d in zip(layout, dets)]

    def redact_text(self, text: str) -> tuple[str, dict[str, int], dict[str, int]]:
        """One text as a one-turn record: (redacted text, counts, residual counts)."""
        out = self.redact([RecordIn(None, [{"role": "user", "content": text}])])[0]
        if out.timed_out:
            raise RedactionTimeout()
        return out.messages[0]["content"], out.pii, out.residual

    # -- what is analysed -----------------------------------------------------------------
    def _fields(self, rec: RecordIn) -> list[_Field]:
        fields: list[_Field] = []
        if rec.title:
            fields.append(_Field("title", None, rec.title))
        for i, m in enumerate(rec.messages):
            fields.append(_Field("message", i, m.get("content") or ""))
        for mf in meta_fields(rec.meta, self.config.meta_fields, self.meta_keep):
            short = len(mf.text) <= SHORT_CHARS and "\n" not in mf.text
            fields.append(_Field("meta", mf, mf.text, mf.label, short=short))
        if rec.id is not None and len(rec.id) <= ID_CHARS:
            native = native_part(rec.id, rec.source)
            fields.append(_Field("id", None, native, short=len(native) <= SHORT_CHARS and "\n" not in native))
        return fields

    def _budgets(self, layout: list[list[_Field]]) -> RecordBudgets:
        return RecordBudgets({
            i: record_budget(self.config.time_budget_s, sum(len(f.text) for f in fields))
            for i, fields in enumerate(layout)
        })

    def _detect(self, layout: list[list[_Field]], budgets: RecordBudgets,
                kinds: list[str | None] | None = None) -> list[list[list[Detection]]]:
        """Detections per record and field (the field's own offsets). The fields'
        own texts and the joined short texts go through spaCy in one stream."""
        dets: list[list[list[Detection]]] = [[[] for _ in fields] for fields in layout]
        own = [(i, j) for i, fields in enumerate(layout) for j, f in enumerate(fields) if not f.short and f.text]
        if self.config.detect_language:
            for i, j in own:
                f = layout[i][j]
                f.lang = detect(blank(f.text, code_spans(f.text)) if self.config.code_aware else f.text)
            _record_language(layout)
        ft = self.config.frequent_terms
        self.analyzer.frequent = (
            frequent_terms([[f.text for f in fields if f.kind in ("title", "message")] for fields in layout],
                           ft.min_records, ft.min_share, ft.min_count)
            if ft.enabled else frozenset()
        )
        joined = self._join_short(layout, budgets)
        try:
            found = self.analyzer.analyze_texts(
                [layout[i][j].text for i, j in own] + [text for _, text, _ in joined],
                budget=budgets, owners=[i for i, _ in own] + [key for key, _, _ in joined],
                languages=[layout[i][j].lang for i, j in own] + [UNDETERMINED] * len(joined),
            )
        finally:
            frequent, self.analyzer.frequent = self.analyzer.frequent, frozenset()
        for (i, j), d in zip(own, found):
            dets[i][j] = d
        self._cut_short(layout, dets, budgets, joined, found[len(own):])
        if self.config.code_aware and self.config.word_evidence:
            words = [_record_code_words(fields) for fields in layout]
            shared = _batch_code_words(words)
            for i, fields in enumerate(layout):
                _drop_code_words(fields, dets[i], words[i] | shared)
        lexicon_kinds = set(self.config.model.lexicon_kinds)
        for i, kind in enumerate(kinds or []):
            if kind in lexicon_kinds:
                _drop_unknown_names(layout[i], dets[i])
        for i, fields in enumerate(layout):
            if self.config.propagate and i not in budgets.expired:
                try:
                    budgets.run(i, self._propagate, dets[i], [f.text for f in fields], frequent)
                except RedactionTimeout:
                    pass
        return dets

    def _join_short(self, layout: list[list[_Field]], budgets: RecordBudgets):
        """The short texts of the batch, one per line ("phone: 415 555 0132"), records
        apart by a blank line, in texts of at most PIECE_CHARS characters, each with a
        budget of its own (negative keys): [(key, text, [(record, block, [(field, start,
        end)])])]."""
        blocks: list[tuple[int, str, list[tuple[int, int, int]]]] = []
        for i, fields in enumerate(layout):
            lines, spans, pos = [], [], 0
            for j, f in enumerate(fields):
                if not f.short or not f.text.strip():
                    continue
                head = f"{f.label}: " if f.label else ""
                spans.append((j, pos + len(head), pos + len(head) + len(f.text)))
                lines.append(head + f.text)
                pos += len(head) + len(f.text) + 1
            if lines:
                blocks.append((i, "\n".join(lines), spans))
        groups: list[list[tuple[int, str, list[tuple[int, int, int]]]]] = []
        size = 0
        for b in blocks:
            if not groups or size + len(b[1]) + 2 > PIECE_CHARS:
                groups.append([])
                size = 0
            groups[-1].append(b)
            size += len(b[1]) + 2
        out = []
        for n, group in enumerate(groups):
            text = "\n\n".join(b[1] for b in group)
            budgets.left[-1 - n] = record_budget(self.config.time_budget_s, len(text))
            out.append((-1 - n, text, group))
        return out

    def _cut_short(self, layout, dets, budgets: RecordBudgets, joined, found) -> None:
        """Detections of the joined texts cut to each line's value. A joined text over
        its budget is analysed again record by record, each charged to its own record."""
        for (key, _, group), text_dets in zip(joined, found):
            if key in budgets.expired:
                # one record's text held them all up: each record alone, on its own budget
                alone = self.analyzer.analyze_texts([b[1] for b in group], budget=budgets, owners=[b[0] for b in group])
                for b, d in zip(group, alone):
                    if b[0] not in budgets.expired:
                        self._cut(dets[b[0]], layout[b[0]], d, b[2], 0)
                continue
            off = 0
            for b in group:
                self._cut(dets[b[0]], layout[b[0]], text_dets, b[2], off)
                off += len(b[1]) + 2

    @staticmethod
    def _cut(record_dets, fields: list[_Field], found: list[Detection], spans, off: int) -> None:
        """The detections of a joined text that fall in each field's line, in the field's
        own offsets (a detection over two lines is cut at the line ends)."""
        starts = [d.start for d in found]
        for j, a, b in spans:
            a, b = a + off, b + off
            k = max(0, bisect.bisect_left(starts, a) - 1)
            out = []
            text = fields[j].text
            while k < len(found) and found[k].start < b:
                d = found[k]
                k += 1
                s, e = max(d.start, a) - a, min(d.end, b) - a
                while s < e and text[s].isspace():
                    s += 1
                while e > s and text[e - 1].isspace():
                    e -= 1
                if s < e:
                    out.append(Detection(s, e, d.entity, d.score, d.source))
            record_dets[j] = out

    # -- one record ---------------------------------------------------------------------
    def _record(self, rec: RecordIn, fields: list[_Field], dets: list[list[Detection]]) -> RecordOut:
        ops = self.operators.for_record()
        # the id is replaced whole, by its hash: its values take no placeholder number
        mentions = [(d.entity, f.text[d.start:d.end]) for f, ds in zip(fields, dets) if f.kind != "id" for d in ds]
        ops.prepare(mentions)
        counts: Counter[str] = Counter()
        by_lang: Counter[str] = Counter({f.lang: 0 for f in fields if f.kind in ("title", "message") and f.text})
        residual: Counter[str] = Counter()
        new_text: list[str] = []
        id_found = False
        for f, ds in zip(fields, dets):
            text = f.text
            if f.kind == "id":
                id_found = bool(ds) or bool(
                    self.config.residual_checks and find_residuals(text, self.config.residual_checks)
                )
                new_text.append(text)
                continue
            parts: list[str] = []
            ignore: list[tuple[int, int]] = []
            pos = 0
            out_len = 0
            for d in ds:
                value = text[d.start:d.end]
                repl, _changed = ops.apply(d.entity, value)
                chunk = text[pos:d.start]
                parts.append(chunk)
                out_len += len(chunk)
                parts.append(repl)
                ignore.append((out_len, out_len + len(repl)))
                out_len += len(repl)
                pos = d.end
                counts[d.entity] += 1
                by_lang[f.lang] += 1
            parts.append(text[pos:])
            redacted = "".join(parts)
            if self.config.residual_checks:
                found = find_residuals(redacted, self.config.residual_checks, ignore)
                residual.update(f[0] for f in found)
                if found and self.config.on_residual == "quarantine":
                    # a quarantined record is kept for inspection, never with the value
                    redacted = _scrub(redacted, found)
            new_text.append(redacted)
        title = rec.title
        messages = [dict(m) for m in rec.messages]
        meta_texts: list[tuple[MetaField, str]] = []
        for f, t in zip(fields, new_text):
            if f.kind == "title":
                title = t
            elif f.kind == "message":
                messages[f.where]["content"] = t
            elif f.kind == "meta":
                meta_texts.append((f.where, t))
        meta = apply(rec.meta, meta_texts) if rec.meta else {}
        rid = rec.id
        if rid is not None and (id_found or len(rid) > ID_CHARS):
            rid = redacted_id(rid, rec.source, self.id_key)
        return RecordOut(
            title, messages, meta, dict(sorted(counts.items())), dict(sorted(residual.items())),
            id=rid, id_replaced=rid != rec.id, languages=dict(sorted(by_lang.items())),
        )

    def _withheld(self, rec: RecordIn) -> RecordOut:
        """A record over its time budget: nothing of it is known to be free of personal
        data, so no text of it is kept and its id is replaced."""
        rid = redacted_id(rec.id, rec.source, self.id_key) if rec.id is not None else None
        return RecordOut(None, [], {}, {}, {}, id=rid, id_replaced=rid is not None, timed_out=True)

    def _propagate(self, dets: list[list[Detection]], texts: list[str], frequent: frozenset[str] = frozenset()) -> None:
        """A value detected in one field of a record is redacted wherever else it occurs
        in the record (as a whole word); for names also each name word on its own, unless
        it is a term frequent in the batch. Names are not spread into code."""
        terms: dict[str, tuple[str, float]] = {}
        for text, ds in zip(texts, dets):
            for d in ds:
                if d.entity in _PROPAGATE_SKIP:
                    continue
                value = text[d.start:d.end].strip()
                if len(value) >= 3 and value not in terms:
                    terms[value] = (d.entity, d.score)
                if d.entity == "PERSON":
                    # a word of a name the model found spreads alone only when it is a
                    # name of the lexicons ("Maria" of "Maria Lopez", not "String" of
                    # "String Types"); a word of a name a context rule found always does
                    by_model = d.source in _MODEL_SOURCES
                    words = _NAME_WORD.findall(value)
                    # ... and so does the surname of a full name opening with a lexicon
                    # given name ("Borkowski" of "Maciej Borkowski"), if no English word
                    surname = (
                        words[-1] if len(words) >= 2 and is_given_name(words[0]) and not common_english(words[-1]) else None
                    )
                    for tok in words:
                        if by_model and not is_name_word(tok) and tok != surname:
                            continue
                        if tok.lower() not in NOT_NAMES and tok not in terms and not _common_word(tok) and tok not in frequent:
                            terms[tok] = ("PERSON", d.score)
        if not terms:
            return
        # plain substring search with word-boundary checks: a regex per record would be
        # compiled once per record
        for j, (text, ds) in enumerate(zip(texts, dets)):
            added = []
            # the field's detections are sorted and disjoint, and so stay the added ones:
            # an overlap test is a bisection, not a pass over every detection
            taken = [(d.start, d.end) for d in ds]
            code: list[tuple[int, int]] | None = None
            for term, (entity, score) in terms.items():
                start = text.find(term)
                while start >= 0:
                    end = start + len(term)
                    if _bounded(text, start, end) and entity in _NER_TYPES and self.config.code_aware:
                        if code is None:
                            code = code_spans(text)
                        k = bisect.bisect_left(code, (end,))
                        if k and code[k - 1][1] > start:
                            start = text.find(term, start + 1)
                            continue  # a name is not looked for in code
                    if _bounded(text, start, end):
                        i = bisect.bisect_left(taken, (end,))
                        if not (i and taken[i - 1][1] > start):
                            added.append(Detection(start, end, entity, score, "propagated"))
                            taken.insert(i, (start, end))
                    start = text.find(term, start + 1)
            if added:
                dets[j] = resolve_overlaps(ds + added)


_PROSE_FOUND = frozenset({"PERSON", "LOCATION"})


#: a word of the code of at least this many records of a batch is an identifier of the
#: data ("codegen", "xcode" across a documentation set), not a name, wherever it is written
MIN_CODE_RECORDS = 3


def _record_code_words(fields: list[_Field]) -> set[str]:
    """The words of the code of a record's long texts (curate.pii.plausible.code_words)."""
    words: set[str] = set()
    for f in fields:
        if f.text and not f.short:
            words |= code_words(f.text, code_spans(f.text))
    return words


def _batch_code_words(words: list[set[str]]) -> set[str]:
    """The code words of at least MIN_CODE_RECORDS records of the batch."""
    counts: Counter[str] = Counter()
    for w in words:
        counts.update(w)
    return {w for w, c in counts.items() if c >= MIN_CODE_RECORDS}


def _drop_code_words(fields: list[_Field], dets: list[list[Detection]], words: set[str]) -> None:
    """A person or place NER or a position rule found that is made of code words (the
    record's own, or those of several records of the batch) is an identifier written in
    prose: "Codegen" in a title above `codegenConfig`, "Touchable" next to
    `<TouchableOpacity>`, "Xcode" where other pages write `xcode`. Lexicon names are never
    code words (curate.pii.plausible.made_of_code)."""
    if not words:
        return
    for j, ds in enumerate(dets):
        for d in list(ds):
            if d.entity in _PROSE_FOUND and _questioned(d) and made_of_code(fields[j].text[d.start:d.end], words):
                ds.remove(d)


def _drop_unknown_names(fields: list[_Field], dets: list[list[Detection]]) -> None:
    """A person NER or a position rule found that is no name by its words
    (curate.pii.plausible.documented_person: "a tool called Codegen"), in a record of a kind
    where NER calls products and headings people (``redact.model.lexicon_kinds``)."""
    for f, ds in zip(fields, dets):
        for d in list(ds):
            if d.entity == "PERSON" and _questioned(d) and not documented_person(f.text[d.start:d.end]):
                ds.remove(d)


def _questioned(d: Detection) -> bool:
    """NER's and the position rules' findings may be dropped by their words; the lexicon
    rules, your deny list and your patterns never are."""
    return d.source != "LexiconNameRecognizer" and not d.source.startswith(("DenyList_", "pattern_"))


def _record_language(layout: list[list[_Field]]) -> None:
    """A text too short to tell (a title, a one-line reply) is read in the language of the
    record's other texts, the one with the most letters: a Spanish ticket's title is not
    English because it is short."""
    for fields in layout:
        letters: dict[str, int] = {}
        for f in fields:
            if not f.short and f.text and f.lang != UNDETERMINED:
                letters[f.lang] = letters.get(f.lang, 0) + len(f.text)
        if not letters:
            continue
        lang = max(letters, key=lambda k: (letters[k], k))
        for f in fields:
            if not f.short and f.text and f.lang == UNDETERMINED:
                f.lang = lang


def _scrub(text: str, found: list[tuple[str, int, int]]) -> str:
    """Overwrite residual findings with <TYPE_RESIDUAL>."""
    out, pos = [], 0
    for entity, s, e in sorted(found, key=lambda f: (f[1], -f[2])):
        if s < pos:
            continue
        out.append(text[pos:s])
        out.append(f"<{entity}_RESIDUAL>")
        pos = e
    out.append(text[pos:])
    return "".join(out)


def _bounded(text: str, start: int, end: int) -> bool:
    """``text[start:end]`` stands as a whole word (not inside a word, email or version)."""
    before = text[start - 1] if start else " "
    if before.isalnum() or before in "_@.-":
        return False
    if end < len(text):
        after = text[end]
        if after.isalnum() or after in "_@":
            return False
        if after in ".-" and end + 1 < len(text) and text[end + 1].isalnum():
            return False
    return True


_COMMON: frozenset[str] | None = None


def _common_word(token: str) -> bool:
    """English stop words ("Will", "May" at a sentence start) are not spread as names."""
    global _COMMON
    if _COMMON is None:
        from spacy.lang.en.stop_words import STOP_WORDS

        _COMMON = frozenset(STOP_WORDS)
    return token.lower() in _COMMON
