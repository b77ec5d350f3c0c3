"""The ingest stage: every enabled source's events become ``ingest.parquet`` (Records)
and ``rejects.jsonl`` (inputs that could not become a Record, and inputs skipped on
purpose, each with its locator and reason). Records are written in batches, so memory
stays flat however large the sources are.

An incremental source (a live API: Zendesk, Jira) yields only what changed since the last
build. Its full set of records is kept in ``state/<type>-<name>.parquet``: the new
records replace their earlier versions by id, a ``Skip`` with a ``record_id`` (a deleted
ticket) removes one, and the rest are carried over into this build's table (counted in and
out, ``carried_over`` in the stats). The source's cursor (``state/<type>-<name>.json``) and
that table are saved only after ``ingest.parquet`` is complete, so a failed build fetches
the same changes again. When the source's settings change, its state starts afresh."""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any, ClassVar

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from curate.conversations import FIXES_COLUMN, normalize_record
from curate.records import DROP_COLUMN, RECORD_SCHEMA, printable
from curate.run import now_iso
from curate.sources.base import Reject, Skip, Source, SourceState
from curate.stages.base import SourceStage, StageContext, StageResult
from curate.store import atomic_open, atomic_path, sha256_json, write_failure

FLUSH_EVERY = 5000

TABLE_SCHEMA = {**RECORD_SCHEMA, FIXES_COLUMN: pl.List(pl.Utf8), DROP_COLUMN: pl.Utf8}


def _arrow_schema() -> pa.Schema:
    return pl.DataFrame(schema=TABLE_SCHEMA).to_arrow().schema


class _Writer:
    """A Parquet writer whose failures (a full disk) name its own file: it writes while
    rejects.jsonl is open beside it, whose atomic write would otherwise take the blame."""

    def __init__(self, tmp, dest, schema: pa.Schema):
        self.dest = dest
        try:
            self._w = pq.ParquetWriter(tmp, schema, compression="zstd")
        except OSError as exc:
            raise write_failure(dest, exc) from None

    def write_table(self, table: pa.Table) -> None:
        try:
            self._w.write_table(table)
        except OSError as exc:
            raise write_failure(self.dest, exc) from None

    def close(self) -> None:
        try:
            self._w.close()
        except OSError as exc:
            raise write_failure(self.dest, exc) from None


class IngestStage(SourceStage):
    name: ClassVar[str] = "ingest"
    config_key: ClassVar[str | None] = None

    def fingerprint(self) -> dict[str, Any]:
        parts = []
        for src in self.run_config.sources_objects():
            fp = src.fingerprint()
            # a live source is read again on every build (it fetches what is new); a
            # timestamp alone would repeat for two builds within the same second
            live = {"live": now_iso(), "nonce": uuid.uuid4().hex}
            parts.append({"source": src.source_id, "fp": fp if fp is not None else live})
        return {"sources": parts, "turns": self.run_config.turns.model_dump(mode="json")}

    def run(self, ctx: StageContext) -> StageResult:
        result = StageResult()
        per_source: dict[str, dict[str, Any]] = {}
        warnings: list[str] = []
        seen: dict[str, str] = {}
        schema = _arrow_schema()
        out_path = ctx.path(self.output_file)
        states: list[SourceState] = []
        fixed: dict[str, int] = {}  # records whose turns the turns: policy changed, by fix
        ctx.progress.start(self.name, None)
        # ``kept`` is entered first so that it closes last: an incremental source's record
        # set is put in place only after ingest.parquet and rejects.jsonl are complete
        with contextlib.ExitStack() as kept, contextlib.ExitStack() as stack:
            tmp = stack.enter_context(atomic_path(out_path))
            rej = stack.enter_context(atomic_open(ctx.run.rejects_path))
            writer = _Writer(tmp, out_path, schema)
            stack.callback(writer.close)
            buf: list[dict[str, Any]] = []

            def flush() -> None:
                if buf:
                    writer.write_table(pl.DataFrame(buf, schema=TABLE_SCHEMA).to_arrow().cast(schema))
                    buf.clear()

            def reject(src: Source, kind: str, locator: str, reason: str) -> None:
                row = {"stage": "ingest", "status": kind, "source": src.source_id,
                       "locator": printable(locator), "reason": printable(reason)}
                rej.write(json.dumps(row, ensure_ascii=False) + "\n")

            for src in self.run_config.sources_objects():
                counts = per_source.setdefault(src.source_id, {"records": 0, "rejected": 0, "skipped": 0})
                stem = f"state/{src.type}-{src.name}"
                state = SourceState(ctx.path(f"{stem}.json"), previous=ctx.path(f"{stem}.parquet"))
                states.append(state)
                incremental = bool(getattr(src, "incremental", False))
                keep: _KeptRecords | None = None
                if incremental:
                    settings = sha256_json(src.config.model_dump(mode="json"))
                    if state.get("settings") != settings:
                        # new settings: the earlier records and the cursor no longer apply
                        state.data = {}
                        state.previous = None
                        state.set("settings", settings)
                    keep = kept.enter_context(_KeptRecords(ctx.path(f"{stem}.parquet"), schema))
                fresh: set[str] = set()
                removed: set[str] = set()
                for event in src.read(state):
                    result.records_in += 1
                    if isinstance(event, dict):  # turns normalised by the turns: policy
                        event, unusable = normalize_record(event, self.run_config.turns)
                        if unusable is not None:
                            event = Skip(event.get("locator", ""), unusable)
                        else:
                            for fix in event[FIXES_COLUMN] or ():
                                fixed[fix] = fixed.get(fix, 0) + 1
                    if isinstance(event, Reject):
                        counts["rejected"] += 1
                        result.rejected += 1
                        reject(src, "rejected", event.locator, event.reason)
                    elif isinstance(event, Skip):
                        counts["skipped"] += 1
                        result.dropped[event.reason] = result.dropped.get(event.reason, 0) + 1
                        reject(src, "skipped", event.locator, event.reason)
                        if event.record_id is not None:
                            removed.add(event.record_id)
                    else:
                        rid = event["id"]
                        if rid in seen:
                            counts["rejected"] += 1
                            result.rejected += 1
                            # the id itself is not quoted: it may hold personal data
                            reject(src, "rejected", event.get("locator", ""),
                                   f"duplicate id (first seen at {seen[rid]})")
                            continue
                        seen[rid] = event.get("locator", "")
                        counts["records"] += 1
                        result.records_out += 1
                        buf.append(event)
                        if keep is not None:
                            fresh.add(rid)
                            keep.add(event)
                        if len(buf) >= FLUSH_EVERY:
                            flush()
                    if result.records_in % 256 == 0:
                        ctx.progress.advance(256)
                # what the source went through besides its events (files read, rows,
                # messages): "in" counts units (threads, chunks), not files
                for key, n in src.counts.items():
                    counts[key] = counts.get(key, 0) + n
                if src.warnings:
                    counts["warnings"] = list(src.warnings)
                    warnings.extend(f"{src.source_id}: {w}" for w in src.warnings)
                if keep is not None:
                    flush()
                    carried = 0
                    if state.previous is not None:
                        for batch in _previous_batches(state.previous, fresh | removed | set(seen)):
                            writer.write_table(batch.cast(schema))
                            keep.write(batch)
                            for rid, loc in zip(batch.column("id").to_pylist(), batch.column("locator").to_pylist()):
                                seen[rid] = loc or ""
                            carried += batch.num_rows
                    result.records_in += carried
                    result.records_out += carried
                    counts["records"] += carried
                    counts["carried_over"] = carried
                    counts["removed"] = len(removed)
            flush()
        ctx.progress.advance(result.records_in % 256)
        for state in states:
            state.save()
        result.stats = {"sources": per_source, "turn_fixes": dict(sorted(fixed.items()))}
        files = [c["files"] for c in per_source.values() if "files" in c]
        if files:
            result.stats["files"] = sum(files)
        if warnings:
            result.stats["warnings"] = warnings
        result.outputs = [self.output_file, ctx.run.rejects_path.name]
        return result


class _KeptRecords:
    """The full record set of an incremental source, written beside its state and put in
    place (atomically) only when the whole ingest succeeded."""

    def __init__(self, path, schema: pa.Schema):
        self.path = path
        self.schema = schema
        self._ctx = atomic_path(path)
        self.buf: list[dict[str, Any]] = []

    def __enter__(self) -> _KeptRecords:
        self.tmp = self._ctx.__enter__()
        self.writer = _Writer(self.tmp, self.path, self.schema)
        return self

    def add(self, row: dict[str, Any]) -> None:
        self.buf.append(row)
        if len(self.buf) >= FLUSH_EVERY:
            self._flush()

    def write(self, table: pa.Table) -> None:
        self._flush()
        self.writer.write_table(table.cast(self.schema))

    def _flush(self) -> None:
        if self.buf:
            self.writer.write_table(pl.DataFrame(self.buf, schema=TABLE_SCHEMA).to_arrow().cast(self.schema))
            self.buf.clear()

    def __exit__(self, *exc: object) -> Any:
        try:
            if exc[0] is None:
                self._flush()
        finally:
            self.writer.close()
        return self._ctx.__exit__(*exc)


def _previous_batches(path, drop: set[str]):
    """The earlier records of an incremental source, less those replaced or removed."""
    pf = pq.ParquetFile(path)
    for rb in pf.iter_batches(batch_size=FLUSH_EVERY):
        table = pa.Table.from_batches([rb])
        ids = table.column("id").to_pylist()
        mask = pa.array([i not in drop for i in ids])
        kept = table.filter(mask)
        if FIXES_COLUMN not in kept.column_names:  # kept by a build before turns were normalised
            kept = kept.append_column(FIXES_COLUMN, pa.nulls(kept.num_rows, pa.list_(pa.string())))
        if "reasoning" not in kept.column_names:  # kept by a build before records carried reasoning
            kept = kept.append_column("reasoning", pa.nulls(kept.num_rows, pa.string()))
        if DROP_COLUMN in kept.column_names:
            kept = kept.drop_columns([DROP_COLUMN])
        kept = kept.append_column(DROP_COLUMN, pa.nulls(kept.num_rows, pa.string()))
        if kept.num_rows:
            yield kept.select(_arrow_schema().names)
