"""The run report: one self-contained ``report.html`` that shows what a build did.

Panels, each drawn from what is on disk in the run folder and present when its stage
has run: overview, funnel (counts per stage, drops by reason), PII by entity type,
duplicate groups, the cluster map, distributions before and after selection, reviewer
agreement, the export (tokens, cost) and, when the run has one, the blind human
evaluation.

``curate build`` writes it at the end of every build; ``curate report RUN`` writes it on
demand. A panel that cannot be drawn (a damaged or unexpected table) is replaced by a
note and the report is still written: a report never fails a build.

Privacy: record text is read only from tables made from the redact stage's output (see
:mod:`curate.report.data`), and every string is escaped."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from curate.report.data import RunData
from curate.report.html import tag
from curate.report.panels.base import Panel
from curate.run import RunFolder, now_iso
from curate.store import write_text

log = logging.getLogger("curate")

REPORT_FILE = "report.html"
#: set to 1 to let a panel's error propagate (tests, debugging)
STRICT_ENV = "CURATE_REPORT_STRICT"


def _panels() -> list[tuple[str, str, Callable[[RunData], Panel | None]]]:
    from curate.report.panels import (
        agreement,
        clusters,
        dedupe,
        distributions,
        drift,
        export,
        funnel,
        human_eval,
        overview,
        pii,
        versions,
    )

    # order on the page; overview is built last (it shows figures other panels compute)
    return [
        ("overview", "Overview", overview.build),
        ("funnel", "Funnel", funnel.build),
        ("pii", "PII", pii.build),
        ("duplicates", "Duplicates", dedupe.build),
        ("clusters", "Clusters", clusters.build),
        ("distributions", "Distributions", distributions.build),
        ("agreement", "Agreement", agreement.build),
        ("export", "Export", export.build),
        ("human_eval", "Human evaluation", human_eval.build),
        ("drift", "Drift", drift.build),  # curate drift: drift.json
        ("versions", "Changes since the last version", versions.build),
    ]


#: the panels every report has
PANEL_IDS = ("overview", "funnel", "pii", "duplicates", "clusters", "distributions", "agreement", "export")
#: panels that appear only when the run has what they show (their builder returns None otherwise)
OPTIONAL_PANEL_IDS = ("human_eval", "drift", "versions")


def build_panels(run: RunFolder, *, strict: bool | None = None) -> list[Panel]:
    """Every panel of the report, in page order."""
    strict = os.environ.get(STRICT_ENV, "") not in ("", "0") if strict is None else strict
    data = RunData(run)
    specs = _panels()
    built: dict[str, Panel | None] = {}
    for pid, title, fn in specs[1:] + specs[:1]:
        t0 = time.perf_counter()
        try:
            built[pid] = fn(data)
        except Exception as exc:
            if strict:
                raise
            # the type only: a message could quote a value from a table
            log.warning("report: the %s panel could not be drawn (%s); rerun with -vv for details", pid, type(exc).__name__)
            log.debug("report: %s panel failed", pid, exc_info=True)
            built[pid] = Panel(pid, title, tag("p", f"This panel could not be drawn ({type(exc).__name__}). "
                                                    "The rest of the report is complete; `curate report RUN -vv` "
                                                    "shows the details.", class_="muted"), state="error")
        log.debug("report: %s panel in %.2f s", pid, time.perf_counter() - t0)
    return [p for pid, _, _ in specs if (p := built[pid]) is not None]


def render_report(run: RunFolder, *, strict: bool | None = None, panels: list[Panel] | None = None) -> str:
    """The report of ``run`` as one HTML page."""
    from curate.report.page import render_page

    panels = build_panels(run, strict=strict) if panels is None else panels
    m = run.manifest()
    name = str(m.get("name") or run.root.name)
    return render_page(name, f"run folder {run.root}", panels, now_iso())


@dataclass
class Report:
    """A written report: where, its panels, its size and how long it took."""

    path: Path
    panels: list[Panel]
    bytes: int
    seconds: float


def generate(run: RunFolder, out: Path | None = None, *, strict: bool | None = None) -> Report:
    """Write the report of ``run`` to ``out`` (default: ``<run>/report.html``), atomically."""
    out = Path(out) if out is not None else run.root / REPORT_FILE
    t0 = time.perf_counter()
    panels = build_panels(run, strict=strict)
    html = render_report(run, panels=panels)
    write_text(out, html)
    seconds = time.perf_counter() - t0
    size = len(html.encode("utf-8"))
    log.info("report: %s (%.1f s, %s KB)", out, seconds, size // 1024)
    return Report(out, panels, size, seconds)


def write_report(run: RunFolder, out: Path | None = None, *, strict: bool | None = None) -> Path:
    """Write the report of ``run`` (default: ``<run>/report.html``); returns its path.

    Called at the end of every ``curate build``: a panel that cannot be drawn becomes a
    note in the page instead of an error."""
    return generate(run, out, strict=strict).path


__all__ = ["OPTIONAL_PANEL_IDS", "PANEL_IDS", "REPORT_FILE", "Report", "build_panels", "generate", "render_report", "write_report"]
