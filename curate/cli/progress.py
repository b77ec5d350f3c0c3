"""Rich progress bars with records/s for the stages, and the end-of-build summary."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress as RichBar,
    ProgressColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from curate.stages.base import Progress


class RateColumn(ProgressColumn):
    """records/s of the task."""

    def render(self, task) -> Text:  # type: ignore[override]
        speed = task.finished_speed or task.speed
        if not speed:
            return Text("", style="progress.data.speed")
        return Text(f"{speed:,.0f} rec/s", style="progress.data.speed")


class RichProgress(Progress):
    """One bar per stage."""

    def __init__(self, console: Console, enabled: bool = True):
        self.console = console
        self.bar = RichBar(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<8}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[note]}"),
            console=console,
            disable=not enabled,
            transient=False,
        )
        self.task = None

    def __enter__(self) -> RichProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()
        self.bar.stop()

    def start(self, stage: str, total: int | None) -> None:
        self.finish()
        self.task = self.bar.add_task(stage, total=total, note="")

    def advance(self, n: int) -> None:
        if self.task is not None and n:
            self.bar.advance(self.task, n)

    def note(self, text: str) -> None:
        if self.task is not None:
            self.bar.update(self.task, note=text)

    def finish(self) -> None:
        if self.task is not None:
            t = self.bar.tasks[-1]
            if t.total is None:
                self.bar.update(self.task, total=t.completed)
            self.bar.stop_task(self.task)
            self.task = None


def funnel_table(manifest: dict[str, Any], title: str = "Build summary") -> Table:
    """Counts per stage, drops by reason, seconds."""
    table = Table(title=title, title_justify="left")
    table.add_column("stage")
    table.add_column("status")
    table.add_column("in", justify="right")
    table.add_column("out", justify="right")
    table.add_column("dropped / rejected")
    table.add_column("seconds", justify="right")
    from curate.stages import STAGE_ORDER

    stages = manifest.get("stages", {})
    for name in STAGE_ORDER:
        e = stages.get(name)
        if not e:
            continue
        status = e.get("status", "")
        drops = ", ".join(f"{r}: {n:,}" for r, n in (e.get("dropped") or {}).items())
        if e.get("rejected"):
            drops = (drops + ", " if drops else "") + f"rejected: {e['rejected']:,}"
        style = {"done": "green", "failed": "red", "running": "yellow"}.get(status, "dim")
        units = f"{e['records_in']:,}" if "records_in" in e else ""
        files = (e.get("stats") or {}).get("files")
        if units and files is not None:
            # ingest's units are threads, rows or chunks: the files they came from differ
            units += f" ({files:,} file{'s' if files != 1 else ''})"
        table.add_row(
            name,
            f"[{style}]{status}[/]",
            units,
            f"{e['records_out']:,}" if "records_out" in e else "",
            drops or ("—" if status == "done" else e.get("error", "")),
            f"{e['seconds']:.1f}" if "seconds" in e else "",
        )
    return table


def stage_warnings(manifest: dict[str, Any]) -> list[str]:
    """The warnings stages left in their stats ('ingest: csv:tickets: 437 of 600 rows ...')."""
    from curate.stages import STAGE_ORDER

    out = []
    for name in STAGE_ORDER:
        e = manifest.get("stages", {}).get(name) or {}
        out.extend(f"{name}: {w}" for w in (e.get("stats") or {}).get("warnings") or [])
    return out
