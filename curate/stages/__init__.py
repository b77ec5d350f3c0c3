"""The stages of a build, in order, and where each lives (``curate build --until`` /
``--from`` take these names). Each stage's module is imported only when the stage is
needed, so a command that runs one stage does not pay for the others' imports."""

from __future__ import annotations

import importlib

from curate.stages.base import BatchStage, GlobalStage, SinkStage, SourceStage, Stage

STAGE_ORDER: list[str] = ["ingest", "redact", "dedupe", "filter", "embed", "select", "export"]

STAGE_CLASSES: dict[str, str] = {
    "ingest": "curate.stages.ingest:IngestStage",
    "redact": "curate.pii.stage:RedactStage",
    "dedupe": "curate.dedupe.stage:DedupeStage",
    "filter": "curate.filter.stage:FilterStage",
    "embed": "curate.embed.stage:EmbedStage",
    "select": "curate.select.stage:SelectStage",
    "export": "curate.export.stage:ExportStage",
}


def stage_class(name: str) -> type[Stage]:
    """The class of a stage."""
    mod_name, _, cls_name = STAGE_CLASSES[name].partition(":")
    return getattr(importlib.import_module(mod_name), cls_name)


__all__ = [
    "STAGE_ORDER", "STAGE_CLASSES", "stage_class",
    "Stage", "BatchStage", "GlobalStage", "SourceStage", "SinkStage",
]
