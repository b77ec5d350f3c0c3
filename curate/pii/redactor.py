"""Redaction of whole records: every text field (title, each turn, configured metadata
fields) is analysed in one batch, values found once are looked for everywhere else in the
same record, placeholders are numbered per record, and the residual check runs over what
comes out. Used by the redact stage, ``curate redact`` and the benchmarks."""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import regex as re

from curate.pii.config import RedactConfig
from curate.pii.engine import Detection, PiiAnalyzer, resolve_overlaps
from curate.pii.operators import Operators
from curate.pii.recognizers.names import NOT_NAMES
from curate.pii.residual import find_residuals
from curate.pii.secrets import read_key, read_salt

log = logging.getLogger("curate.pii")

#: Found once, redacted everywhere in the record. Types whose values are short or
#: generic (dates, nationalities) are not spread.
_PROPAGATE_SKIP = frozenset({"DATE_TIME", "NRP", "US_DRIVER_LICENSE", "US_BANK_NUMBER", "UK_NHS"})
_NAME_WORD = re.compile(r"\p{Lu}[\p{L}'’\-]{2,}")  # a capitalised word of a name


@dataclass
class RecordIn:
    title: str | None
    messages: list[dict[str, str]]
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class RecordOut:
    title: str | None
    messages: list[dict[str, str]]
    meta: dict[str, Any]
    pii: dict[str, int]
    residual: dict[str, int]


def _meta_paths(meta: Any, fields: list[str]) -> list[tuple[tuple, str]]:
    """(path, text) of the metadata values to redact."""
    out: list[tuple[tuple, str]] = []
    if not fields or not isinstance(meta, dict):
        return out

    def walk(node: Any, path: tuple) -> None:
        if isinstance(node, str):
            out.append((path, node))
        elif isinstance(node, dict):
            for k in sorted(node):
                walk(node[k], path + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, path + (i,))

    if "*" in fields:
        walk(meta, ())
        return out
    for f in fields:
        node: Any = meta
        path: tuple = ()
        for part in f.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
                path += (part,)
            else:
                node = None
                break
        if node is not None:
            walk(node, path)
    return out


def _set_path(meta: Any, path: tuple, value: str) -> None:
    node = meta
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value


class Redactor:
    """Redacts records with one analyzer; create once per process."""

    def __init__(self, config: RedactConfig, analyzer: PiiAnalyzer | None = None):
        self.config = config
        salt = read_salt(config.salt_env) if config.needs_salt() else None
        key = read_key(config.key_env) if config.needs_key() else None
        self.operators = Operators(config, salt=salt, key=key)
        self.analyzer = analyzer or PiiAnalyzer(config)

    # -- public -----------------------------------------------------------------------
    def redact(self, records: list[RecordIn]) -> list[RecordOut]:
        texts, layout, dets = self._detect(records)
        return [self._record(rec, fields, texts, d) for rec, fields, d in zip(records, layout, dets)]

    def detect(self, records: list[RecordIn]) -> list[list[tuple[str, list[Detection]]]]:
        """What would be redacted: per record, (field text, detections) for the title,
        each message and the configured metadata values, in that order."""
        texts, layout, dets = self._detect(records)
        return [[(texts[idx], d[idx]) for _, _, idx in fields] for fields, d in zip(layout, dets)]

    def _detect(self, records: list[RecordIn]):
        texts: list[str] = []
        layout: list[list[tuple[str, Any, int]]] = []  # per record: (kind, where, text index)
        for rec in records:
            fields: list[tuple[str, Any, int]] = []
            if rec.title:
                fields.append(("title", None, len(texts)))
                texts.append(rec.title)
            for i, m in enumerate(rec.messages):
                fields.append(("message", i, len(texts)))
                texts.append(m.get("content") or "")
            for path, value in _meta_paths(rec.meta, self.config.meta_fields):
                fields.append(("meta", path, len(texts)))
                texts.append(value)
            layout.append(fields)
        found = self.analyzer.analyze_texts(texts)
        per_record = []
        for fields in layout:
            dets = {idx: list(found[idx]) for _, _, idx in fields}
            if self.config.propagate:
                self._propagate(dets, texts)
            per_record.append(dets)
        return texts, layout, per_record

    def redact_text(self, text: str) -> tuple[str, dict[str, int], dict[str, int]]:
        """One text as a one-turn record: (redacted text, counts, residual counts)."""
        out = self.redact([RecordIn(None, [{"role": "user", "content": text}])])[0]
        return out.messages[0]["content"], out.pii, out.residual

    # -- one record ---------------------------------------------------------------------
    def _record(self, rec: RecordIn, fields, texts: list[str], dets: dict[int, list[Detection]]) -> RecordOut:
        ops = self.operators.for_record()
        mentions = [(d.entity, texts[idx][d.start:d.end]) for _, _, idx in fields for d in dets[idx]]
        ops.prepare(mentions)
        counts: Counter[str] = Counter()
        residual: Counter[str] = Counter()
        new_text: dict[int, str] = {}
        for _, _, idx in fields:
            text = texts[idx]
            parts: list[str] = []
            ignore: list[tuple[int, int]] = []
            pos = 0
            out_len = 0
            for d in dets[idx]:
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
            parts.append(text[pos:])
            redacted = "".join(parts)
            if self.config.residual_checks:
                found = find_residuals(redacted, self.config.residual_checks, ignore)
                residual.update(f[0] for f in found)
                if found and self.config.on_residual == "quarantine":
                    # a quarantined record is kept for inspection, never with the value
                    redacted = _scrub(redacted, found)
            new_text[idx] = redacted
        meta = json.loads(json.dumps(rec.meta)) if rec.meta else {}
        title = rec.title
        messages = [dict(m) for m in rec.messages]
        for kind, where, idx in fields:
            if kind == "title":
                title = new_text[idx]
            elif kind == "message":
                messages[where]["content"] = new_text[idx]
            else:
                _set_path(meta, where, new_text[idx])
        return RecordOut(title, messages, meta, dict(sorted(counts.items())), dict(sorted(residual.items())))

    def _propagate(self, dets: dict[int, list[Detection]], texts: list[str]) -> None:
        """A value detected in one field of a record is redacted wherever else it occurs
        in the record (as a whole word); for names also each name word on its own."""
        terms: dict[str, tuple[str, float]] = {}
        for idx, ds in dets.items():
            text = texts[idx]
            for d in ds:
                if d.entity in _PROPAGATE_SKIP:
                    continue
                value = text[d.start:d.end].strip()
                if len(value) >= 3 and value not in terms:
                    terms[value] = (d.entity, d.score)
                if d.entity == "PERSON":
                    for tok in _NAME_WORD.findall(value):
                        if tok.lower() not in NOT_NAMES and tok not in terms and not _common_word(tok):
                            terms[tok] = ("PERSON", d.score)
        if not terms:
            return
        # plain substring search with word-boundary checks: a regex per record would be
        # compiled once per record
        for idx, ds in dets.items():
            text = texts[idx]
            added = []
            for term, (entity, score) in terms.items():
                start = text.find(term)
                while start >= 0:
                    end = start + len(term)
                    if _bounded(text, start, end) and not any(d.start < end and start < d.end for d in ds + added):
                        added.append(Detection(start, end, entity, score, "propagated"))
                    start = text.find(term, start + 1)
            if added:
                dets[idx] = resolve_overlaps(ds + added)


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
