"""The stages of a build, in order, and where each lives.

A stage whose module is not present is simply not part of the build ("runs the stages
that exist"); ``curate build --until`` / ``--from`` take these names."""

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


def stage_class(name: str) -> type[Stage] | None:
    """The class of a stage, or None when its module does not exist (yet)."""
    mod_name, _, cls_name = STAGE_CLASSES[name].partition(":")
    try:
        mod = importlib.import_module(mod_name)
    except ModuleNotFoundError as exc:
        if exc.name == mod_name:
            return None
        raise
    return getattr(mod, cls_name)


def available_stages() -> list[str]:
    return [s for s in STAGE_ORDER if stage_class(s) is not None]


__all__ = [
    "STAGE_ORDER", "STAGE_CLASSES", "stage_class", "available_stages",
    "Stage", "BatchStage", "GlobalStage", "SourceStage", "SinkStage",
]
