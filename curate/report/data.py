"""What the report reads from a run folder, and the privacy rule in one place.

Only tables made from the redact stage's output may show record text: a stage table's
lineage is followed through the manifest (each entry names its input stage), and the
text columns of a table whose lineage does not pass through a completed redact stage are
never read. ``ingest.parquet`` is therefore never read for text, and a build with
redaction switched off shows counts only."""

from __future__ import annotations

import json
import logging
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl

from curate.run import RunFolder
from curate.stages import STAGE_ORDER

log = logging.getLogger("curate")

#: columns that hold (possibly) raw record content
TEXT_COLUMNS = frozenset({"title", "text", "messages", "meta"})


class PrivacyError(RuntimeError):
    """A panel asked for text columns of a table that is not redacted (a bug)."""


class RunData:
    """Read-only view of a run folder for the report."""

    def __init__(self, run: RunFolder):
        self.run = run
        self.root = run.root
        self.manifest: dict[str, Any] = run.manifest()
        stages = self.manifest.get("stages")
        self.stages: dict[str, dict[str, Any]] = {
            k: v for k, v in (stages.items() if isinstance(stages, dict) else []) if isinstance(v, dict)
        }
        #: figures one panel computes and another shows (the overview)
        self.facts: dict[str, Any] = {}
        self._schemas: dict[str, list[str]] = {}
        self._json: dict[tuple[str, ...], tuple[Path, Any] | None] = {}

    # -- manifest ------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return str(self.manifest.get("name") or self.root.name)

    def status(self, stage: str) -> str | None:
        e = self.stages.get(stage)
        return str(e.get("status")) if e and e.get("status") else None

    def entry(self, stage: str) -> dict[str, Any] | None:
        """The manifest entry of a stage that completed, else None."""
        e = self.stages.get(stage)
        return e if e and e.get("status") == "done" else None

    def stats(self, stage: str) -> dict[str, Any]:
        e = self.entry(stage) or {}
        s = e.get("stats")
        return s if isinstance(s, dict) else {}

    def config(self, section: str) -> dict[str, Any]:
        cfg = self.manifest.get("config")
        sec = cfg.get(section) if isinstance(cfg, dict) else None
        return sec if isinstance(sec, dict) else {}

    def ordered_stages(self) -> list[str]:
        """Stages in the manifest, pipeline order first, then any others."""
        known = [s for s in STAGE_ORDER if s in self.stages]
        return known + [s for s in self.stages if s not in STAGE_ORDER]

    # -- tables --------------------------------------------------------------------------
    def table(self, stage: str) -> Path | None:
        """The table a completed stage wrote, when it is still there."""
        e = self.entry(stage)
        if not e or not e.get("table"):
            return None
        p = self.root / str(e["table"])
        return p if p.is_file() else None

    def redacted(self, stage: str) -> bool:
        """True when ``stage``'s table descends from a completed redact stage."""
        if self.entry("redact") is None:
            return False
        seen: set[str] = set()
        s: str | None = stage
        while s and s not in seen:
            if s == "redact":
                return True
            seen.add(s)
            e = self.entry(s)
            if e is None:
                return False
            nxt = e.get("input")
            s = str(nxt) if nxt else None
        return False

    def columns(self, stage: str) -> list[str]:
        p = self.table(stage)
        if p is None:
            return []
        if stage not in self._schemas:  # a damaged table raises: its panels become a note
            self._schemas[stage] = pl.scan_parquet(p).collect_schema().names()
        return self._schemas[stage]

    def scan(self, stage: str, columns: list[str] | tuple[str, ...]) -> pl.LazyFrame | None:
        """The named columns (those present) of a stage's table; None when there is no
        table. Text columns only from redacted tables."""
        p = self.table(stage)
        if p is None:
            return None
        wanted = list(dict.fromkeys(columns))
        if TEXT_COLUMNS.intersection(wanted) and not self.redacted(stage):
            raise PrivacyError(f"the {stage} table is not redacted; its text columns are not for display")
        present = set(self.columns(stage))
        cols = [c for c in wanted if c in present]
        if not cols:
            return None
        return pl.scan_parquet(p).select(cols)

    def last_table_stage(self, *, redacted: bool = False) -> str | None:
        """The newest completed stage with a table (optionally: a redacted one)."""
        for s in reversed(self.ordered_stages()):
            if self.table(s) is not None and (not redacted or self.redacted(s)):
                return s
        return None

    # -- other files ---------------------------------------------------------------------
    def read_json(self, *names: str) -> tuple[Path, Any] | None:
        """The first of ``names`` (relative to the run) that holds valid JSON."""
        if names not in self._json:
            self._json[names] = self._read_json(names)
        return self._json[names]

    def _read_json(self, names: tuple[str, ...]) -> tuple[Path, Any] | None:
        for n in names:
            p = self.root / n
            if not p.is_file():
                continue
            try:
                return p, json.loads(p.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                log.warning("report: %s is not valid JSON; left out", p)
        return None

    @cached_property
    def rejects(self) -> pl.DataFrame | None:
        """Counts of rejected and skipped inputs by status, source and reason."""
        p = self.run.rejects_path
        if not p.is_file() or p.stat().st_size == 0:
            return None
        try:
            lf = pl.scan_ndjson(p, infer_schema_length=1000)
            names = lf.collect_schema().names()
            keys = [c for c in ("status", "source", "reason") if c in names]
            if "reason" not in keys:
                return None
            return lf.group_by(keys).agg(pl.len().alias("n")).sort("n", descending=True).collect()
        except Exception:
            log.debug("report: cannot read %s", p, exc_info=True)
            return None


def display_title(row: dict[str, Any], n: int = 90) -> str:
    """A short label for a record: its title, else its first user turn, else its text."""
    from curate.report.html import shorten

    title = row.get("title")
    if title and str(title).strip():
        return shorten(title, n)
    for m in row.get("messages") or []:
        if isinstance(m, dict) and m.get("role") == "user" and m.get("content"):
            return shorten(m["content"], n)
    return shorten(row.get("text") or "", n)
