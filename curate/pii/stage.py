"""The redact stage: every text of every record (title, turns, metadata values and keys,
and the id) through Presidio and curate's recognizers, replaced by the configured
operators, then checked again by an independent residual pass. Adds ``pii`` (entity type
-> count, ``PII_DTYPE``: a list of {entity, count}) and ``pii_residual`` (the same for what
the residual check found), replaces
an ``id`` that holds personal data by its keyed hash, and sets ``drop_reason`` to
``pii_residual`` on quarantined records and to ``redaction_timeout`` on records that ran
out of their time budget (their texts withheld)."""

from __future__ import annotations

import importlib.util
import json
import logging
import re
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from curate.errors import StageError
from curate.pii.config import RedactConfig
from curate.records import (
    DROP_COLUMN,
    MESSAGE_DTYPE,
    content_hash,
    flatten,
    meta_dumps,
    meta_loads,
    pii_column,
    pii_counts,
)
from curate.stages.base import BatchStage, Resources

log = logging.getLogger("curate.pii")

RESIDUAL_REASON = "pii_residual"
TIMEOUT_REASON = "redaction_timeout"


def model_version(config: RedactConfig) -> str:
    """Name and version of the configured model, for the fingerprint (no model loaded)."""
    name = config.model.name
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


class RedactStage(BatchStage):
    name: ClassVar[str] = "redact"
    config_key: ClassVar[str | None] = "redact"
    config: RedactConfig

    def __init__(self, config):
        super().__init__(config)
        self._redactor = None

    def meta_keep(self) -> list[str]:
        """The metadata fields left as they are: the config's, and the date dedupe keeps
        the newest copy by (redacting it, with DATE_TIME on, would break that choice)."""
        keep = list(self.config.meta_keep)
        dedupe = getattr(self.run_config, "dedupe", None)
        if dedupe is not None and getattr(dedupe, "enabled", False) and getattr(dedupe, "keep", None) == "newest":
            field = getattr(dedupe, "newest_field", None)
            if field and field not in keep:
                keep.append(field)
        return keep

    def __getstate__(self) -> dict[str, Any]:
        # sent to worker processes before setup(): never the loaded engine
        state = dict(self.__dict__)
        state["_redactor"] = None
        return state

    def resources(self) -> Resources:
        return Resources(cpus=1.0, batch_size=256)

    def worker_unneeded_modules(self) -> tuple[str, ...]:
        # a CNN spaCy pipeline runs on numpy: without this, each worker imports PyTorch
        # (through thinc) and transformers (through Presidio's spaCy factory), about 2.5 s
        # of its 4 s start on a 2-core machine
        m = self.config.model
        if m.engine == "spacy" and not spacy_pipeline_needs_torch(m.name):
            return ("torch", "transformers")
        return ()

    def fingerprint(self) -> dict[str, Any]:
        from curate.pii.secrets import key_id, read_key, read_salt

        from curate.pii.ids import id_key

        fp = super().fingerprint()
        fp["model"] = model_version(self.config)
        fp["meta_keep"] = self.meta_keep()
        # a new salt or key changes the output: only their public ids enter the fingerprint
        if self.config.needs_salt():
            fp["salt_id"] = key_id(read_salt(self.config.salt_env))
        # ids holding personal data are hashed with the salt when it is set
        key, keyed = id_key(self.config.salt_env)
        fp["id_key"] = key_id(key) if keyed else "unkeyed"
        if self.config.needs_key():
            fp["key_id"] = key_id(read_key(self.config.key_env))
        return fp

    def setup(self) -> None:
        if self._redactor is None:
            from curate.pii.redactor import Redactor

            self._redactor = Redactor(self.config, meta_keep=self.meta_keep())

    def process(self, batch: pl.DataFrame) -> pl.DataFrame:
        from curate.pii.redactor import RecordIn

        self.setup()
        assert self._redactor is not None
        has_reasoning = "reasoning" in batch.columns
        cols = ["id", "title", "messages", "text", "meta"] + (["source"] if "source" in batch.columns else [])
        rows = batch.select(*cols, *(["reasoning"] if has_reasoning else [])).to_dicts()
        ins = []
        for r in rows:
            msgs = [dict(m) for m in (r["messages"] or [])]
            # a record with text but no turns is redacted as its text, which is kept as such
            r["text_only"] = not any(m.get("content") for m in msgs) and bool(r["text"])
            if r["text_only"]:
                msgs = [{"role": "user", "content": r["text"]}]
            if r.get("reasoning"):
                # redacted as one more turn of the record, so a name found in the
                # conversation is replaced in the reasoning too (and the other way round)
                msgs.append({"role": "assistant", "content": r["reasoning"]})
            ins.append(RecordIn(r["title"], msgs, meta_loads(r["meta"]) if r["meta"] else {},
                                id=r["id"], source=r.get("source")))
        outs = self._redactor.redact(ins)
        ids, titles, messages, texts, metas, hashes, pii, residual, drops = [], [], [], [], [], [], [], [], []
        reasonings: list[str | None] = []
        flagged: list[tuple[str, dict[str, int]]] = []
        timed_out: list[str] = []
        for r, o in zip(rows, outs):
            ids.append(o.id)
            if o.timed_out:
                # nothing of it is known to be free of personal data: no text is kept
                titles.append(None)
                messages.append([])
                texts.append("")
                metas.append("{}" if r["meta"] is not None else None)
                hashes.append(content_hash(""))
                pii.append({})
                residual.append({})
                drops.append(TIMEOUT_REASON)
                reasonings.append(None)
                timed_out.append(o.id)
                continue
            reasonings.append(o.messages.pop()["content"] if r.get("reasoning") else None)
            if r["text_only"]:
                text = o.messages[0]["content"]
                o.messages = []
            else:
                text = flatten(o.messages, o.title)
            titles.append(o.title)
            messages.append(o.messages)
            texts.append(text)
            metas.append(meta_dumps(o.meta) if r["meta"] is not None else None)
            hashes.append(content_hash(text))
            pii.append(o.pii)
            residual.append(o.residual)
            if o.residual:
                flagged.append((r["id"], o.residual))
            drops.append(RESIDUAL_REASON if o.residual and self.config.on_residual == "quarantine" else None)
        if flagged:
            self._on_residual(flagged)
        if timed_out:
            log.warning(
                "redact: %d record(s) ran out of their time budget (redact.time_budget_s = %s s per 100,000 "
                "characters) and were dropped as %s, their text withheld: %s%s",
                len(timed_out), self.config.time_budget_s, TIMEOUT_REASON, "; ".join(timed_out[:10]),
                f" and {len(timed_out) - 10} more" if len(timed_out) > 10 else "",
            )
        out = batch.with_columns(
            pl.Series("id", ids, dtype=pl.Utf8),
            pl.Series("title", titles, dtype=pl.Utf8),
            pl.Series("messages", messages, dtype=pl.List(MESSAGE_DTYPE)),
            pl.Series("text", texts, dtype=pl.Utf8),
            pl.Series("meta", metas, dtype=pl.Utf8),
            pl.Series("content_hash", hashes, dtype=pl.Utf8),
            pii_column("pii", pii),
            pii_column("pii_residual", residual),
            pl.Series(DROP_COLUMN, drops, dtype=pl.Utf8),
        )
        if has_reasoning:
            out = out.with_columns(pl.Series("reasoning", reasonings, dtype=pl.Utf8))
        return out

    def _on_residual(self, flagged: list[tuple[str, dict[str, int]]]) -> None:
        shown = "; ".join(f"{rid} ({', '.join(sorted(t))})" for rid, t in flagged[:10])
        more = f" and {len(flagged) - 10} more" if len(flagged) > 10 else ""
        if self.config.on_residual == "fail":
            raise StageError(
                f"redact: the residual check still finds PII in {len(flagged)} record(s) after redaction: "
                f"{shown}{more}. Add a pattern or deny-list entry, or set redact.on_residual to quarantine or warn"
            )
        if self.config.on_residual == "warn":
            log.warning("redact: residual PII kept (on_residual: warn) in %d record(s): %s%s", len(flagged), shown, more)
        else:
            log.info("redact: %d record(s) quarantined for residual PII: %s%s", len(flagged), shown, more)

    def stats(self, output: pl.LazyFrame) -> dict[str, Any]:
        from curate.pii.ids import id_key, is_redacted

        names = output.collect_schema().names()
        df = output.select("pii", "pii_residual", DROP_COLUMN, "id", *(["source"] if "source" in names else [])).collect()
        totals: dict[str, int] = {}
        residual: dict[str, int] = {}
        with_pii = with_residual = 0
        for p, r in zip(df["pii"].to_list(), df["pii_residual"].to_list()):
            counts = pii_counts(p)
            if counts:
                with_pii += 1
                for k, v in counts.items():
                    totals[k] = totals.get(k, 0) + int(v)
            res = pii_counts(r)
            if res:
                with_residual += 1
                for k, v in res.items():
                    residual[k] = residual.get(k, 0) + int(v)
        quarantined = int((df[DROP_COLUMN] == RESIDUAL_REASON).sum())
        sources = df["source"].to_list() if "source" in df.columns else [None] * df.height
        ids_replaced = sum(1 for i, src in zip(df["id"].to_list(), sources) if i is not None and is_redacted(i, src))
        ops = {e: self.config.operator_for(e).type for e in self.config.all_entities()}
        return {
            "records": df.height,
            "records_with_pii": with_pii,
            "entities": dict(sorted(totals.items())),
            "total": sum(totals.values()),
            "residual": {
                "action": self.config.on_residual,
                "records": with_residual,
                "quarantined": quarantined,
                "by_type": dict(sorted(residual.items())),
            },
            "ids_replaced": ids_replaced,
            "id_hash": "keyed" if id_key(self.config.salt_env)[1] else "unkeyed",
            "timed_out": int((df[DROP_COLUMN] == TIMEOUT_REASON).sum()),
            "time_budget_s": self.config.time_budget_s,
            "model": model_version(self.config),
            "operators": ops,
        }
