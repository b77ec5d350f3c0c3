"""The contract of a filter check, and the registry of checks.

A check is one small class: a ``name``, the drop ``reasons`` it can give, the record
``kinds`` it applies to (None: every record) and ``check(row)``, which returns a
:class:`Verdict` (the reason and the figures behind it, never record text) or None to keep
the record. The filter stage (:mod:`curate.filter.stage`) does the rest: batching, running
the checks in order (the first that fails names the reason), skipping the rows a check does
not apply to, and counting. A check that can work on many rows at once overrides
``check_batch``; one that loads something heavy does it in ``setup()``, once per worker.

Built-in checks register with :func:`register` and are configured by the flat keys of the
``filter:`` section (:meth:`Check.builtin`). Other packages add checks through the
``curate.filters`` entry point group; the user lists them under ``filter.checks`` with
their settings, validated by the check's ``Config`` model when the config is read::

    # pyproject.toml of the other package
    [project.entry-points."curate.filters"]
    profanity = "curate_profanity:ProfanityCheck"
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

if TYPE_CHECKING:  # pragma: no cover
    from curate.conversations import TurnsConfig
    from curate.filter.config import FilterConfig

ENTRY_POINT_GROUP = "curate.filters"


@dataclass(frozen=True)
class Verdict:
    """Why a record is dropped: a short reason (counted per reason in the manifest) and an
    explanation with figures (``why``); neither may quote the record's text."""

    reason: str
    why: str


class Row:
    """One record as a check sees it. ``meta`` is parsed on first use."""

    def __init__(self, id: str, kind: str | None, title: str | None, messages: list[dict[str, Any]] | None,
                 text: str, meta: str | None):
        self.id = id
        self.kind = kind
        self.title = title
        self.messages = messages or []
        self.text = text
        self._meta = meta

    @cached_property
    def meta(self) -> dict[str, Any]:
        if not self._meta:
            return {}
        try:
            obj = json.loads(self._meta)
        except (json.JSONDecodeError, TypeError):
            return {}
        return obj if isinstance(obj, dict) else {}

    @cached_property
    def content_chars(self) -> int:
        """Characters of what was said: the turns without the role prefixes of ``text``."""
        if not self.messages:
            return len(self.text.strip())
        return sum(len((m.get("content") or "").strip()) for m in self.messages)


class CheckConfig(BaseModel):
    """Settings of a check listed under ``filter.checks`` (besides its ``name``)."""

    model_config = ConfigDict(extra="forbid")


class Check(ABC):
    """One filter check."""

    #: the registry key, and the name under ``filter.checks``
    name: ClassVar[str]
    #: every drop reason this check can give (documented, shown in the manifest)
    reasons: ClassVar[tuple[str, ...]]
    #: record kinds the check applies to; the others pass it untouched. None: every kind
    kinds: ClassVar[tuple[str, ...] | None] = None
    #: settings of a check from another package (validated when the config is read)
    Config: ClassVar[type[BaseModel]] = CheckConfig

    def __init__(self, settings: BaseModel | None = None):
        self.settings = settings

    @classmethod
    def builtin(cls, config: FilterConfig, turns: TurnsConfig) -> Check | None:
        """The check as the ``filter:`` section's own keys set it up, or None when they
        switch it off. Only built-in checks have keys of their own; a check from another
        package is configured under ``filter.checks`` and keeps this default."""
        return None

    def setup(self) -> None:
        """Load what the check needs (a model, a word list), once per worker."""

    def applies(self, row: Row) -> bool:
        return self.kinds is None or row.kind in self.kinds

    @abstractmethod
    def check(self, row: Row) -> Verdict | None:
        """The reason to drop ``row``, or None to keep it."""

    def check_batch(self, rows: Sequence[Row]) -> list[Verdict | None]:
        """:meth:`check` for every row; override to work on the batch at once."""
        return [self.check(r) for r in rows]

    def describe(self) -> dict[str, Any]:
        """For the manifest: what the check is and what it may drop."""
        return {"check": self.name, "reasons": list(self.reasons),
                "applies_to": list(self.kinds) if self.kinds is not None else "all"}


# -- registry ---------------------------------------------------------------------------

_REGISTRY: dict[str, type[Check]] = {}
#: the built-in checks, cheapest first: the first that fails names the reason
BUILTIN_CHECKS = (
    "curate.filter.length:MinLength",
    "curate.filter.length:MaxLength",
    "curate.filter.conversation:ConversationCheck",
    "curate.filter.boilerplate:BoilerplateCheck",
    "curate.filter.language:LanguageCheck",
)
_loaded = False


def register(cls: type[Check]) -> type[Check]:
    """Class decorator registering a check under its ``name``."""
    _REGISTRY[cls.name] = cls
    return cls


def _builtin_classes() -> list[type[Check]]:
    import importlib

    out = []
    for spec in BUILTIN_CHECKS:
        mod, _, name = spec.partition(":")
        out.append(getattr(importlib.import_module(mod), name))
    return out


def check_types() -> dict[str, type[Check]]:
    """Every registered check (built-in and from the ``curate.filters`` entry points)."""
    global _loaded
    if not _loaded:
        _builtin_classes()
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name not in _REGISTRY:
                cls = ep.load()
                if not (isinstance(cls, type) and issubclass(cls, Check)):
                    raise TypeError(f"entry point {ep.name} = {ep.value} ({ENTRY_POINT_GROUP}) is not a curate filter Check")
                _REGISTRY[ep.name] = cls
        _loaded = True
    return dict(_REGISTRY)


def builtin_names() -> list[str]:
    return [c.name for c in _builtin_classes()]


@dataclass
class PluginCheck:
    """A validated ``filter.checks`` entry."""

    cls: type[Check]
    settings: BaseModel

    def spec(self) -> dict[str, Any]:
        return {"name": self.cls.name, **self.settings.model_dump(mode="json")}

    def make(self) -> Check:
        return self.cls(self.settings)


def plugin_check(spec: Mapping[str, Any], index: int) -> PluginCheck:
    """Validate one ``filter.checks`` entry; ValueError (a config error) when it names no
    installed check or its settings do not fit the check's ``Config``."""
    where = f"checks[{index}]"
    if not isinstance(spec, Mapping) or not isinstance(spec.get("name"), str):
        raise ValueError(f"{where}: expected a mapping with the check's `name` and its settings")
    name = spec["name"]
    types = check_types()
    builtin = builtin_names()
    if name in builtin:
        raise ValueError(f"{where}: {name!r} is built in; it is set by the filter section's own keys")
    if name not in types:
        others = sorted(n for n in types if n not in builtin)
        known = f"installed: {', '.join(others)}" if others else "no check from another package is installed"
        raise ValueError(f"{where}: unknown check {name!r} ({known}; packages add checks through the {ENTRY_POINT_GROUP} entry points)")
    cls = types[name]
    try:
        settings = cls.Config.model_validate({k: v for k, v in spec.items() if k != "name"})
    except ValidationError as exc:
        e = exc.errors()[0]
        loc = ".".join(str(p) for p in e["loc"])
        msg = "unknown key" if e.get("type") == "extra_forbidden" else e.get("msg", "invalid value").removeprefix("Value error, ")
        raise ValueError(f"{where}{'.' + loc if loc else ''}: {msg}") from None
    return PluginCheck(cls, settings)


def active_checks(config: FilterConfig, turns: TurnsConfig) -> list[Check]:
    """The checks a filter stage runs, in order: the built-in ones its keys switch on,
    then those listed under ``checks``."""
    checks = [c for c in (cls.builtin(config, turns) for cls in _builtin_classes()) if c is not None]
    checks += [plugin_check(spec, i).make() for i, spec in enumerate(config.checks)]
    return checks
