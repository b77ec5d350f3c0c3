"""Source adapters: how raw data becomes Records.

An adapter is a class with a ``type`` (the ``type:`` of a ``sources:`` entry), a pydantic
``Config`` model, and ``read()``, a generator of three kinds of event:

- a Record (a dict built with :func:`curate.records.make_record`);
- :class:`Reject` -- an input that could not become a Record, with its locator
  (``file:line``, ticket id, message file) and a reason. Never record text: it may hold PII;
- :class:`Skip` -- an input deliberately left out (a duplicate copy of an email, an empty
  document), with its reason.

Every input unit yields exactly one event (a document yields one Record per chunk), so the
ingest stage can check: inputs = records + skipped + rejected.

Built-in adapters register with :func:`register_source`; third-party packages add theirs
through the ``curate.sources`` entry point group (``name = "package.module:Class"``).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo

from curate.errors import ConfigError
from curate.store import write_json


@dataclass(frozen=True)
class Reject:
    """An input that could not become a Record."""

    locator: str
    reason: str


@dataclass(frozen=True)
class Skip:
    """An input left out on purpose. ``reason`` is a short category (it is counted per
    reason in the manifest, e.g. ``duplicate_copy``); the locator says which input.

    ``record_id`` names the Record this input removes from an incremental source's earlier
    output (a ticket deleted since the last build); ``None`` for everything else."""

    locator: str
    reason: str
    record_id: str | None = None


Event = dict[str, Any] | Reject | Skip


class SourceConfig(BaseModel):
    """Settings every source shares."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="Adapter name: jsonl, csv, parquet, zendesk, jira, email, docs, ...")
    name: str | None = Field(
        default=None,
        description="Instance name; the Record's source is '<type>:<name>'. Defaults to the file stem or the type.",
        pattern=r"^[A-Za-z0-9_.\-]+$",
    )
    kind: Literal["ticket", "email", "doc", "chat"] | None = Field(
        default=None, description="Record kind; each adapter has a sensible default."
    )
    enabled: bool = Field(default=True, description="Set false to leave this source out of the build.")

    #: where this entry stands in the config file: ``keys -> "curate.yaml:12: sources[1].fields.user"``,
    #: set by the config loader; errors found while reading the data name it
    _where: Any = PrivateAttr(default=None)

    def where(self, *keys: str | int) -> str:
        """'curate.yaml:12: sources[1].fields.user' for an error about this entry's setting."""
        if self._where is not None:
            return self._where(keys)
        return ".".join(str(k) for k in keys) or "source"


def check_path(value: str, info: ValidationInfo, *, kind: str = "file") -> str:
    """Field validator body for a path in a source config: relative to the config file's
    folder (the validation context's ``base_dir``); fails with "file not found: ..."."""
    base = (info.context or {}).get("base_dir")
    if base is None:
        return value
    p = Path(value).expanduser()
    p = p if p.is_absolute() else Path(base) / p
    if kind == "dir" and not p.is_dir():
        raise ValueError(f"folder not found: {value}" if not p.exists() else f"not a folder: {value}")
    if not p.exists():
        raise ValueError(f"file not found: {value}")
    return value


class SourceState:
    """Per-source state kept in the run folder (``state/<source>.json``), e.g. the cursor of
    an incremental API export, and the previous output of this source for merging."""

    def __init__(self, path: Path, previous: Path | None = None):
        self.path = path
        self.previous = previous if previous is not None and previous.exists() else None
        self.data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        self._dirty = False

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.data[key] = value
        self._dirty = True

    def save(self) -> None:
        """Called by the ingest stage only after the source's records are safely written."""
        if self._dirty:
            write_json(self.path, self.data)
            self._dirty = False


class Source(ABC):
    """Base class of source adapters."""

    type: ClassVar[str]
    Config: ClassVar[type[SourceConfig]] = SourceConfig
    default_kind: ClassVar[str] = "ticket"
    #: True for a live source that fetches only what changed since the last build: the
    #: ingest stage merges its records with that source's previous ones (by record id)
    incremental: ClassVar[bool] = False

    def __init__(self, config: SourceConfig, base_dir: Path):
        self.config = config
        self.base_dir = base_dir
        #: what the last read() went through besides its events: ``files`` opened, and the
        #: adapter's raw units (``rows``, ``messages``), for the ingest stats; an adapter
        #: whose units are not files (a thread of messages, a chunk of a page) counts them
        self.counts: dict[str, int] = {}
        #: lines for the user about the last read() (an encoding that looks wrong), with
        #: counts, never quoting the input
        self.warnings: list[str] = []

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    @property
    def name(self) -> str:
        return self.config.name or self.default_name()

    def default_name(self) -> str:
        path = getattr(self.config, "path", None)
        if path:
            stem = Path(str(path)).name
            for suffix in (".jsonl", ".json", ".csv", ".parquet", ".mbox", ".gz"):
                stem = stem.removesuffix(suffix)
            return "".join(c if c.isalnum() or c in "_.-" else "_" for c in stem) or self.type
        return self.type

    @property
    def source_id(self) -> str:
        """The Record's ``source`` column: ``<type>:<name>``."""
        return f"{self.type}:{self.name}"

    @property
    def kind(self) -> str:
        return self.config.kind or self.default_kind

    def resolve(self, path: str | Path) -> Path:
        """Paths in a config are relative to the config file's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    def fingerprint(self) -> dict[str, Any] | None:
        """What decides whether a stored ingest is still valid (files' sizes and times, the
        config). ``None`` means "always read again" (a live API)."""
        return None

    @abstractmethod
    def read(self, state: SourceState) -> Iterator[Event]:
        """Yield one event per input unit."""


# -- registry ---------------------------------------------------------------------------

_REGISTRY: dict[str, type[Source]] = {}
_BUILTIN_MODULES = (
    "curate.sources.files",
    "curate.sources.zendesk",
    "curate.sources.jira",
    "curate.sources.email",
    "curate.sources.docs",
)
_loaded = False


def register_source(cls: type[Source]) -> type[Source]:
    """Class decorator registering an adapter under its ``type``."""
    _REGISTRY[cls.type] = cls
    return cls


def _load_builtins() -> None:
    global _loaded
    if _loaded:
        return
    import importlib

    for mod in _BUILTIN_MODULES:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:  # a missing dependency inside an existing adapter
                raise
    for ep in entry_points(group="curate.sources"):
        if ep.name not in _REGISTRY:
            cls = ep.load()
            _REGISTRY[ep.name] = cls
    _loaded = True


def source_types() -> dict[str, type[Source]]:
    """Every registered adapter type (built-in and from entry points)."""
    _load_builtins()
    return dict(_REGISTRY)


def get_source_class(type_: str) -> type[Source]:
    types = source_types()
    if type_ not in types:
        raise ConfigError(f"unknown source type {type_!r}; known: {', '.join(sorted(types))}")
    return types[type_]
