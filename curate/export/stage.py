"""The export stage: the live records of the last table become training files under
``runs/<name>/export/``. ``curate export RUN -o DIR`` runs the same code on a finished
run."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import polars as pl

from curate.export.config import ExportConfig
from curate.export.openai import NotExportable, to_openai
from curate.stages.base import SinkStage, StageContext, StageResult
from curate.store import write_jsonl


def export_records(records: pl.LazyFrame, config: ExportConfig, out_dir: Path) -> StageResult:
    """Write ``out_dir/train.jsonl``; every record is written or dropped with a reason."""
    result = StageResult()
    df = records.select("id", "messages").collect()
    result.records_in = df.height

    def examples():
        for _rid, messages in df.iter_rows():
            try:
                ex = to_openai(messages, config.system_prompt)
            except NotExportable as exc:
                result.dropped[str(exc)] = result.dropped.get(str(exc), 0) + 1
                continue
            result.records_out += 1
            yield ex

    write_jsonl(out_dir / "train.jsonl", examples())
    return result


class ExportStage(SinkStage):
    name: ClassVar[str] = "export"
    config_key: ClassVar[str | None] = "export"
    config: ExportConfig

    def run(self, ctx: StageContext, table: pl.LazyFrame) -> StageResult:
        result = export_records(table, self.config, ctx.path("export"))
        result.outputs = ["export/train.jsonl"]
        return result
