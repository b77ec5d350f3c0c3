"""The redact stage: every text of every record (title, turns, metadata values and keys,
and the id) through Presidio and curate's recognizers, replaced by the configured
operators, then checked again by an independent residual pass. Adds ``pii`` (entity type
-> count, ``PII_DTYPE``: a list of {entity, count}) and ``pii_residual`` (the same for what
the residual check found), replaces
an ``id`` that holds personal data by its keyed hash, and sets ``drop_reason`` to
``pii_residual`` on quarantined records and to ``redaction_timeout`` on records that ran
out of their time budget (their texts withheld)."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import polars as pl

from curate.errors import StageError
from curate.pii.config import RedactConfig
from curate.pii.models import model_version, spacy_pipeline_needs_torch
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


def _version(package: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "missing"


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
        names = [m.name, *m.languages.values()]
        if m.engine == "spacy" and not any(spacy_pipeline_needs_torch(n) for n in names):
            return ("torch", "transformers")
        return ()

    def fingerprint(self) -> dict[str, Any]:
        from curate.pii.ids import id_key
        from curate.pii.secrets import key_id, read_key, read_salt

        fp = super().fingerprint()
        fp["model"] = model_version(self.config)
        # the name lexicons come from Faker's lists and the languages from py3langid's
        # model: a new version of either may change what is found
        fp["lexicons"] = _version("faker")
        fp["language_id"] = _version("py3langid")
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
        cols = ["id", "title", "messages", "text", "meta"] + [c for c in ("source", "kind") if c in batch.columns]
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
                                id=r["id"], source=r.get("source"), kind=r.get("kind")))
        outs = self._redactor.redact(ins)
        ids, titles, messages, texts, metas, hashes, pii, residual, drops = [], [], [], [], [], [], [], [], []
        langs: list[dict[str, int]] = []
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
                langs.append({})
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
            langs.append(o.languages)
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
            pii_column("pii_languages", langs, key="language"),
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
        df = output.select(
            "pii", "pii_residual", DROP_COLUMN, "id", *(["source"] if "source" in names else []),
            *(["pii_languages"] if "pii_languages" in names else []),
        ).collect()
        by_lang: dict[str, dict[str, int]] = {}
        for v in (df["pii_languages"].to_list() if "pii_languages" in df.columns else []):
            for lang, n in pii_counts(v, key="language").items():
                entry = by_lang.setdefault(lang, {"records": 0, "detections": 0})
                entry["records"] += 1
                entry["detections"] += int(n)
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
            # records with a text in each language (py3langid; und: too short to tell) and
            # the values replaced in texts of that language
            "languages": dict(sorted(by_lang.items())),
            "time_budget_s": self.config.time_budget_s,
            "model": model_version(self.config),
            "operators": ops,
        }
