"""Charts drawn in Python: bar charts as HTML/CSS, histograms and the scatter map as
inline SVG. No JavaScript library, nothing fetched: the page works offline and stays
small."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from curate.report.html import Html, esc, fmt_int, fmt_num, join, tag

#: Tableau 10, then six colours of matplotlib's tab10; beyond them, generated hues
PALETTE = (
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#17becf",
)
KEPT = "#4e79a7"
MUTED = "#bab0ac"
DROP_COLOURS = ("#e15759", "#f28e2b", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#76b7b2", "#59a14f")


def colour(i: int) -> str:
    """A distinct colour for category ``i`` (the palette, then golden-angle hues)."""
    if i < 0:
        return MUTED
    if i < len(PALETTE):
        return PALETTE[i]
    hue = (i * 137.508) % 360
    light = 42 + (i * 7) % 20
    return f"hsl({hue:.0f},62%,{light}%)"


# -- bars (HTML) ---------------------------------------------------------------------------


@dataclass
class Bar:
    label: str
    value: float
    note: str = ""  # shown after the value (e.g. a share)
    colour: str | None = None
    title: str | None = None  # hover text
    shown: str | None = None  # the value as written (default: the number)


def hbars(bars: Sequence[Bar], *, max_value: float | None = None, unit: str = "", label_class: str = "") -> Html:
    """Horizontal bars with their labels and values."""
    if not bars:
        return tag("p", "nothing to show", class_="muted")
    top = max_value if max_value is not None else max((b.value for b in bars), default=0) or 1
    rows = []
    for i, b in enumerate(bars):
        width = 0.0 if top <= 0 else max(0.0, min(100.0, 100.0 * b.value / top))
        fill = b.colour or colour(i)
        rows.append(
            tag(
                "div",
                tag("span", b.label, class_=f"bar-label {label_class}".strip(), title=b.title or b.label),
                tag(
                    "span",
                    tag("span", class_="bar-fill", style=f"width:{width:.2f}%;background:{fill}"),
                    class_="bar-track",
                ),
                tag("span", b.shown if b.shown is not None else fmt_num(b.value) + (f" {unit}" if unit else ""),
                    tag("small", b.note) if b.note else None, class_="bar-value"),
                class_="bar-row",
            )
        )
    return tag("div", join(rows), class_="bars")


@dataclass
class Segment:
    name: str
    value: float
    colour: str


def stacked_bar(segments: Sequence[Segment], total: float) -> Html:
    """One bar split into segments, scaled to ``total``."""
    parts = []
    for s in segments:
        if s.value <= 0 or total <= 0:
            continue
        parts.append(
            tag(
                "span",
                class_="seg",
                style=f"width:{100.0 * s.value / total:.3f}%;background:{s.colour}",
                title=f"{s.name}: {fmt_int(s.value)}",
            )
        )
    return tag("span", join(parts), class_="bar-track stacked")


def paired_bars(rows: Sequence[tuple[str, float, float | None]], names: tuple[str, str | None]) -> Html:
    """Two bars per category (e.g. before / after selection), as percentages; a single
    bar when the second name is None."""
    if not rows:
        return tag("p", "nothing to show", class_="muted")
    single = names[1] is None
    top = max(max(a, b or 0.0) for _, a, b in rows) or 1
    out = []
    for label, a, b in rows:
        cells = []
        for value, cls, name in ((a, "before", names[0]), (b, "after", names[1])):
            if value is None or (single and cls == "after"):
                continue
            cells.append(
                tag(
                    "span",
                    tag("span", class_=f"bar-fill {cls}", style=f"width:{100.0 * value / top:.2f}%"),
                    tag("span", f"{value:.1f}%", class_="pair-value"),
                    class_="bar-track pair",
                    title=f"{name}: {value:.1f}%",
                )
            )
        out.append(tag("div", tag("span", label, class_="bar-label", title=label), tag("span", join(cells), class_="pair-cells"),
                       class_="bar-row pair-row"))
    legend = [tag("span", tag("i", class_="sw before"), names[0])]
    if not single:
        legend.append(tag("span", tag("i", class_="sw after"), names[1]))
    return tag("div", tag("div", join(legend), class_="legend"), join(out), class_="bars paired")


# -- SVG -----------------------------------------------------------------------------------


def _nice_step(span: float, ticks: int = 5) -> float:
    if span <= 0:
        return 1.0
    raw = span / ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def histogram(
    bins: Sequence[tuple[str, float]],
    *,
    xlabel: str = "",
    ylabel: str = "",
    colour_: str = KEPT,
    width: int = 640,
    height: int = 220,
    aria: str = "histogram",
    log: bool = False,
) -> Html:
    """Vertical bars, one per (label, count) bin, with a y axis."""
    if not bins:
        return tag("p", "nothing to show", class_="muted")
    left, right, top, bottom = 52, 10, 10, 44
    pw, ph = width - left - right, height - top - bottom
    ymax = max(v for _, v in bins) or 1

    def scale(v: float) -> float:
        if log:
            return math.log10(1 + v) / math.log10(1 + ymax)
        return v / ymax

    step = _nice_step(ymax) if not log else None
    parts: list[str] = []
    # grid and y ticks
    if step:
        t = 0.0
        while t <= ymax + 1e-9:
            y = top + ph - scale(t) * ph
            parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
            tick = fmt_int(t) if step >= 1 else fmt_num(t)
            parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{esc(tick)}</text>')
            t += step
    else:
        for t in (0, 1, 10, 100, 1000, 10_000, 100_000, 1_000_000):
            if t > ymax:
                break
            y = top + ph - scale(t) * ph
            parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
            parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{esc(fmt_int(t))}</text>')
    n = len(bins)
    bw = pw / n
    label_every = max(1, math.ceil(n / 16))
    for i, (label, v) in enumerate(bins):
        h = scale(v) * ph
        x = left + i * bw
        parts.append(
            f'<rect x="{x + bw * 0.08:.1f}" y="{top + ph - h:.1f}" width="{bw * 0.84:.1f}" height="{h:.1f}" '
            f'fill="{colour_}"><title>{esc(label)}: {esc(fmt_int(v))}</title></rect>'
        )
        if i % label_every == 0:
            parts.append(
                f'<text x="{x + bw / 2:.1f}" y="{top + ph + 14}" class="tick" text-anchor="middle">{esc(label)}</text>'
            )
    parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" class="axis"/>')
    if xlabel:
        parts.append(f'<text x="{left + pw / 2:.1f}" y="{height - 6}" class="axis-label" text-anchor="middle">{esc(xlabel)}</text>')
    if ylabel:
        parts.append(
            f'<text transform="translate(12,{top + ph / 2:.1f}) rotate(-90)" class="axis-label" text-anchor="middle">{esc(ylabel)}</text>'
        )
    return Html(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{esc(aria)}" '
        f'preserveAspectRatio="xMidYMid meet">{"".join(parts)}</svg>'
    )


@dataclass
class Point:
    x: float
    y: float
    group: int  # written as data-c (the cluster), for the page's script
    highlight: bool
    label: str = ""
    colour: str | None = None  # default: colour(group)


def scatter(points: Sequence[Point], *, size: int = 560, aria: str = "scatter plot") -> Html:
    """The 2-D map: one dot per record, coloured by group; highlighted ones drawn larger
    with an outline and on top."""
    if not points:
        return tag("p", "nothing to show", class_="muted")
    xs = [p.x for p in points]
    ys = [p.y for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    pad = 12
    sx = (size - 2 * pad) / ((x1 - x0) or 1)
    sy = (size - 2 * pad) / ((y1 - y0) or 1)
    s = min(sx, sy)
    ox = pad + ((size - 2 * pad) - (x1 - x0) * s) / 2
    oy = pad + ((size - 2 * pad) - (y1 - y0) * s) / 2
    dots: list[str] = []
    # plain dots first, highlighted ones on top
    for p in sorted(points, key=lambda p: p.highlight):
        cx = ox + (p.x - x0) * s
        cy = size - (oy + (p.y - y0) * s)
        cls = "pt sel" if p.highlight else "pt"
        title = f"<title>{esc(p.label)}</title>" if p.label else ""
        dots.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{4.2 if p.highlight else 2.6}" fill="{p.colour or colour(p.group)}" '
            f'class="{cls}" data-c="{p.group}">{title}</circle>'
        )
    return Html(
        f'<svg class="chart map" viewBox="0 0 {size} {size}" role="img" aria-label="{esc(aria)}">'
        f'<rect x="0" y="0" width="{size}" height="{size}" class="map-bg"/>{"".join(dots)}</svg>'
    )


def heat(value: float, top: float, hue: int = 212) -> str:
    """Background of a heat-map cell (0 = white)."""
    if top <= 0 or value <= 0:
        return "background:transparent"
    a = 0.08 + 0.82 * (value / top)
    return f"background:hsla({hue},60%,45%,{a:.2f});color:{'#fff' if a > 0.5 else 'inherit'}"
