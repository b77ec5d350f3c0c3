"""The ingest stage: every enabled source's events become ``ingest.parquet`` (Records)
and ``rejects.jsonl`` (inputs that could not become a Record, and inputs skipped on
purpose, each with its locator and reason). Records are written in batches, so memory
stays flat however large the sources are."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from curate.records import DROP_COLUMN, RECORD_SCHEMA
from curate.run import now_iso
from curate.sources.base import Reject, Skip, Source, SourceState
from curate.stages.base import SourceStage, StageContext, StageResult
from curate.store import atomic_open, atomic_path

FLUSH_EVERY = 5000

TABLE_SCHEMA = {**RECORD_SCHEMA, DROP_COLUMN: pl.Utf8}


def _arrow_schema() -> pa.Schema:
    return pl.DataFrame(schema=TABLE_SCHEMA).to_arrow().schema


class IngestStage(SourceStage):
    name: ClassVar[str] = "ingest"
    config_key: ClassVar[str | None] = None

    def fingerprint(self) -> dict[str, Any]:
        parts = []
        for src in self.run_config.sources_objects():
            fp = src.fingerprint()
            # a live source is read again on every build (it fetches what is new)
            parts.append({"source": src.source_id, "fp": fp if fp is not None else {"live": now_iso()}})
        return {"sources": parts}

    def run(self, ctx: StageContext) -> StageResult:
        result = StageResult()
        per_source: dict[str, dict[str, int]] = {}
        seen: dict[str, str] = {}
        schema = _arrow_schema()
        out_path = ctx.path(self.output_file)
        states: list[SourceState] = []
        ctx.progress.start(self.name, None)
        with atomic_path(out_path) as tmp, atomic_open(ctx.run.rejects_path) as rej:
            writer = pq.ParquetWriter(tmp, schema, compression="zstd")
            buf: list[dict[str, Any]] = []

            def flush() -> None:
                if buf:
                    writer.write_table(pl.DataFrame(buf, schema=TABLE_SCHEMA).to_arrow().cast(schema))
                    buf.clear()

            def reject(src: Source, kind: str, locator: str, reason: str) -> None:
                row = {"stage": "ingest", "status": kind, "source": src.source_id,
                       "locator": locator, "reason": reason}
                rej.write(json.dumps(row, ensure_ascii=False) + "\n")

            try:
                for src in self.run_config.sources_objects():
                    counts = per_source.setdefault(src.source_id, {"records": 0, "rejected": 0, "skipped": 0})
                    state = SourceState(
                        ctx.path(f"state/{src.type}-{src.name}.json"),
                        previous=ctx.path(f"state/{src.type}-{src.name}.parquet"),
                    )
                    states.append(state)
                    for event in src.read(state):
                        result.records_in += 1
                        if isinstance(event, Reject):
                            counts["rejected"] += 1
                            result.rejected += 1
                            reject(src, "rejected", event.locator, event.reason)
                        elif isinstance(event, Skip):
                            counts["skipped"] += 1
                            result.dropped[event.reason] = result.dropped.get(event.reason, 0) + 1
                            reject(src, "skipped", event.locator, event.reason)
                        else:
                            rid = event["id"]
                            if rid in seen:
                                counts["rejected"] += 1
                                result.rejected += 1
                                reject(src, "rejected", event.get("locator", ""),
                                       f"duplicate id {rid!r} (first seen at {seen[rid]})")
                                continue
                            seen[rid] = event.get("locator", "")
                            counts["records"] += 1
                            result.records_out += 1
                            buf.append(event)
                            if len(buf) >= FLUSH_EVERY:
                                flush()
                        if result.records_in % 256 == 0:
                            ctx.progress.advance(256)
                flush()
            finally:
                writer.close()
        ctx.progress.advance(result.records_in % 256)
        for state in states:
            state.save()
        result.stats = {"sources": per_source}
        result.outputs = [self.output_file, ctx.run.rejects_path.name]
        return result
