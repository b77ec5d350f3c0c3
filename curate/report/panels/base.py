"""What every panel shares: the :class:`Panel` it returns and small building blocks
(figures, tables, notes)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from curate.report.html import Html, esc, fmt_num, is_number, join, tag


@dataclass
class Panel:
    """One section of the report."""

    id: str
    title: str
    body: Html
    #: ok: drawn from the run's data; not_run: its stage has not run (a short note);
    #: error: drawing it failed (the report still comes out)
    state: str = "ok"
    lead: str = ""  # one sentence under the title: what the panel shows


def not_run(pid: str, title: str, message: str, hint: str = "") -> Panel:
    body = tag("p", message, class_="muted")
    if hint:
        body = Html(body + tag("p", Html(hint), class_="hint"))
    return Panel(pid, title, body, state="not_run")


def kpis(items: Iterable[tuple[str, Any, str]]) -> Html:
    """A row of figures: (label, value, small note)."""
    cells = []
    for label, value, note in items:
        shown = fmt_num(value) if is_number(value) or isinstance(value, bool) else ("—" if value is None else str(value))
        cells.append(
            tag("div", tag("div", shown, class_="kpi-value"), tag("div", label, class_="kpi-label"),
                tag("div", note, class_="kpi-note") if note else None, class_="kpi")
        )
    return tag("div", join(cells), class_="kpis")


def table(
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    num: Iterable[int] = (),
    class_: str = "",
    caption: str | None = None,
) -> Html:
    """A table; cells are escaped unless they are :class:`Html`; ``num`` are the indexes
    of right-aligned columns."""
    numeric = set(num)
    head = tag("tr", join(tag("th", h, class_="num" if i in numeric else None) for i, h in enumerate(header)))
    body = []
    for r in rows:
        body.append(tag("tr", join(tag("td", c, class_="num" if i in numeric else None) for i, c in enumerate(r))))
    return tag(
        "div",
        tag("table", tag("caption", caption) if caption else None, tag("thead", head), tag("tbody", join(body)),
            class_=f"tbl {class_}".strip()),
        class_="tbl-wrap",
    )


def note(text: Any, cls: str = "muted") -> Html:
    return tag("p", text, class_=cls)


def code(text: str) -> Html:
    return tag("code", text)


def flatten_stats(stats: Any, prefix: str = "", out: list[tuple[str, str]] | None = None, limit: int = 80) -> list[tuple[str, str]]:
    """Scalars of a nested stats dict as (dotted key, shown value), in order."""
    out = [] if out is None else out
    if not isinstance(stats, dict):
        return out
    for k, v in stats.items():
        if len(out) >= limit:
            break
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            if v and set(v) <= {"value", "ci"}:
                out.append((key, estimate_text(v)))
            else:
                flatten_stats(v, key + ".", out, limit)
        elif isinstance(v, list):
            if all(not isinstance(x, (dict, list)) for x in v) and len(v) <= 12:
                out.append((key, ", ".join(fmt_num(x) if is_number(x) else str(x) for x in v) or "—"))
            else:
                out.append((key, f"[{len(v):,} entries]"))
        else:
            out.append((key, fmt_num(v) if is_number(v) or isinstance(v, bool) else ("—" if v is None else str(v))))
    return out


def stats_table(stats: Any, caption: str | None = None) -> Html:
    rows = flatten_stats(stats)
    if not rows:
        return Html("")
    return table(["figure", "value"], rows, class_="kv", caption=caption)


def estimate_value(v: Any) -> float | None:
    """The number of an estimate: a bare number or ``{"value": x, "ci": [lo, hi]}``."""
    if is_number(v):
        return float(v)
    if isinstance(v, dict) and is_number(v.get("value")):
        return float(v["value"])
    return None


def estimate_text(v: Any, digits: int = 2) -> Html:
    """``0.81 [0.64, 0.96]`` for an estimate with its interval."""
    x = estimate_value(v)
    if x is None:
        return Html("—")
    main = f"{x:.{digits}f}"
    ci = v.get("ci") if isinstance(v, dict) else None
    if isinstance(ci, (list, tuple)) and len(ci) == 2 and all(is_number(c) for c in ci):
        return Html(esc(main) + tag("small", f" [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]", class_="ci"))
    return esc(main)


def details(summary: str, body: Html, open_: bool = False) -> Html:
    return tag("details", tag("summary", summary), body, open=open_)
