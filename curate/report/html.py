"""Safe HTML building: every value is escaped unless it is already :class:`Html`.

Record text is untrusted (a ticket may contain ``<script>``), so the report never puts a
string into the page without going through :func:`esc` (or :func:`tag`, which calls it)."""

from __future__ import annotations

import html as _html
import math
from collections.abc import Iterable
from typing import Any


class Html(str):
    """A string of markup that is safe to insert as is."""

    __slots__ = ()

    def __add__(self, other: object) -> Html:  # keep the type when joining pieces
        return Html(str.__add__(self, esc(other)))


def esc(value: Any) -> Html:
    """Escape a value for use as element text or a quoted attribute value."""
    if isinstance(value, Html):
        return value
    if value is None:
        return Html("")
    return Html(_html.escape(str(value), quote=True))


def join(parts: Iterable[Any], sep: str = "") -> Html:
    return Html(sep.join(esc(p) for p in parts))


_VOID = {"br", "hr", "img", "meta", "input", "link", "col", "wbr"}


def _attr_name(name: str) -> str:
    name = name.rstrip("_")  # class_ -> class
    return name.replace("_", "-")


def attrs(**kw: Any) -> Html:
    out = []
    for k, v in kw.items():
        if v is None or v is False:
            continue
        name = _attr_name(k)
        if v is True:
            out.append(f" {name}")
        else:
            out.append(f' {name}="{esc(v)}"')
    return Html("".join(out))


def tag(name: str, *children: Any, **kw: Any) -> Html:
    """``tag("td", "x", class_="num")`` -> ``<td class="num">x</td>``."""
    opening = f"<{name}{attrs(**kw)}>"
    if name in _VOID:
        return Html(opening)
    return Html(opening + join(c for c in children if c is not None) + f"</{name}>")


# -- numbers ------------------------------------------------------------------------------


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and not (isinstance(v, float) and math.isnan(v))


def fmt_int(n: Any) -> str:
    if not is_number(n):
        return "—"
    return f"{round(n):,}"


def fmt_num(v: Any, digits: int = 3) -> str:
    """A number in a readable form: integers with separators, floats to ``digits``
    significant decimals."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if not is_number(v):
        return "—" if v is None else str(v)
    if isinstance(v, int) or float(v).is_integer() and abs(v) >= 1000:
        return f"{int(v):,}"
    a = abs(v)
    if a >= 100:
        return f"{v:,.1f}"
    if a >= 1:
        return f"{v:.{max(digits - 1, 0)}f}".rstrip("0").rstrip(".") if digits > 1 else f"{v:.0f}"
    return f"{v:.{digits}f}"


def fmt_pct(part: Any, whole: Any, digits: int = 1) -> str:
    if not is_number(part) or not is_number(whole) or not whole:
        return "—"
    return f"{100.0 * part / whole:.{digits}f}%"


def fmt_seconds(s: Any) -> str:
    if not is_number(s):
        return "—"
    if s < 1:
        return f"{s * 1000:.0f} ms"
    if s < 120:
        return f"{s:.1f} s"
    m, sec = divmod(round(s), 60)
    if m < 60:
        return f"{m} min {sec:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"


def plural(n: Any, one: str, many: str | None = None) -> str:
    """``3 groups``, ``1 group``."""
    word = one if n == 1 else (many or one + "s")
    return f"{fmt_int(n)} {word}"


def shorten(text: Any, n: int) -> str:
    """One line, at most ``n`` characters."""
    if text is None:
        return ""
    s = " ".join(str(text).split())
    return s if len(s) <= n else s[: max(n - 1, 1)].rstrip() + "…"


def clip(text: Any, n: int) -> str:
    """Keep line breaks, at most ``n`` characters."""
    if text is None:
        return ""
    s = str(text).replace("\r\n", "\n").strip()
    return s if len(s) <= n else s[: max(n - 1, 1)].rstrip() + "…"
