"""Levels of measurement of a labeled field and how its string values become codes.

A field's level says which differences between two labels count as disagreement:

- ``nominal``: categories without order (verdict, category); any two different labels
  disagree equally.
- ``ordinal``: ordered categories (quality 1-5). Numbers are ordered numerically; labels
  that are not numbers need their order spelled out: ``ordinal:low,medium,high``.
- ``interval``: numbers whose differences mean something (a score); disagreement grows
  with the squared difference.
- ``ratio``: numbers with a true zero (a count, a duration); differences are relative.
- ``text``: free text (a corrected response, a note); compared by similarity.
"""

from __future__ import annotations

from dataclasses import dataclass

from curate.errors import InputError

KINDS = ("nominal", "ordinal", "interval", "ratio", "text")
NUMERIC = ("interval", "ratio")


@dataclass(frozen=True)
class Level:
    """A parsed level: its kind and, for an ordinal field of named labels, their order."""

    kind: str
    order: tuple[str, ...] | None = None

    @property
    def categorical(self) -> bool:
        """Labels are categories (kappa, per-label agreement and confusion make sense)."""
        return self.kind in ("nominal", "ordinal")

    @property
    def numeric(self) -> bool:
        """Values are placed on a number line (ordinal by rank or number, interval, ratio)."""
        return self.kind in ("ordinal", "interval", "ratio")

    def __str__(self) -> str:
        return self.kind if self.order is None else f"ordinal:{','.join(self.order)}"


def parse_level(spec: str, field: str = "") -> Level:
    """``nominal`` | ``ordinal`` | ``ordinal:a,b,c`` | ``interval`` | ``ratio`` | ``text``."""
    where = f"field '{field}': " if field else ""
    if not isinstance(spec, str):
        raise InputError(f"{where}level must be a string, one of {', '.join(KINDS)}")
    s = spec.strip()
    kind, _, rest = s.partition(":")
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise InputError(f"{where}unknown level '{spec}'; expected one of {', '.join(KINDS)} (or ordinal:a,b,c)")
    if rest:
        if kind != "ordinal":
            raise InputError(f"{where}only an ordinal level takes an order (ordinal:low,medium,high)")
        order = tuple(x.strip() for x in rest.split(","))
        if any(not x for x in order) or len(set(order)) != len(order):
            raise InputError(f"{where}the order '{rest}' must list distinct, non-empty labels")
        return Level("ordinal", order)
    return Level(kind)


def parse_levels(levels: dict[str, str]) -> dict[str, Level]:
    return {str(f): (v if isinstance(v, Level) else parse_level(v, str(f))) for f, v in levels.items()}


def format_number(x: float) -> str:
    """A numeric category as people write it: 3 rather than 3.0."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))
