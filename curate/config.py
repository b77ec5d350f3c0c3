"""The ``curate.yaml`` configuration: pydantic models, validated once at the door.

Each stage owns its section's model in its own package (``curate/pii/config.py`` ...);
this module composes them. A bad file raises :class:`~curate.errors.ConfigError` with one
message naming the file, the line and the key path, e.g.::

    curate.yaml:7: sources[1].path: file not found: data/missing.csv

``schemas/curate.schema.json`` is generated from these models (``curate schema``); a test
fails when the checked-in copy drifts.
"""

from __future__ import annotations

import difflib
import json
import logging
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SerializeAsAny, ValidationError, field_validator, model_validator

from curate.conversations import TurnsConfig
from curate.dedupe.config import DedupeConfig
from curate.drift.config import DriftConfig
from curate.embed.config import EmbedConfig
from curate.engines.config import EngineConfig
from curate.errors import ConfigError
from curate.evaluation.config import HumanEvalConfig
from curate.export.config import ExportConfig
from curate.filter.config import FilterConfig
from curate.labelstudio.config import LabelConfig
from curate.pii.config import RedactConfig
from curate.select.config import SelectConfig
from curate.sources.base import SourceConfig, get_source_class, source_types
from curate.store import sha256_json


class CurateConfig(BaseModel):
    """A curate build: where the data comes from and what each stage does with it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        description="Run name: outputs go to <runs_dir>/<name>/.", pattern=r"^[A-Za-z0-9_.\-]+$"
    )
    description: str | None = Field(default=None, description="Free text, shown in the dataset card.")
    license: str | None = Field(default=None, description="License of the resulting dataset (dataset card).")
    runs_dir: str = Field(
        default="runs", description="Folder holding run folders, relative to the working directory."
    )
    sources: list[SerializeAsAny[SourceConfig]] = Field(
        min_length=1, description="Where records come from; each entry's `type` picks an adapter."
    )
    turns: TurnsConfig = Field(default_factory=TurnsConfig)
    redact: RedactConfig = Field(default_factory=RedactConfig)
    dedupe: DedupeConfig = Field(default_factory=DedupeConfig)
    filter: FilterConfig = Field(default_factory=FilterConfig)
    embed: EmbedConfig = Field(default_factory=EmbedConfig)
    select: SelectConfig = Field(default_factory=SelectConfig)
    label: LabelConfig = Field(default_factory=LabelConfig)
    export: ExportConfig = Field(default_factory=ExportConfig)
    human_eval: HumanEvalConfig = Field(default_factory=HumanEvalConfig)
    drift: DriftConfig = Field(default_factory=DriftConfig)
    engine: EngineConfig = Field(default_factory=EngineConfig)

    _path: Path | None = PrivateAttr(default=None)

    @field_validator("name")
    @classmethod
    def _name_stays_inside(cls, value: str) -> str:
        # "." or ".." would make the run folder runs_dir itself or its parent
        if value.strip(".") == "":
            raise ValueError(f"run name {value!r} is only dots; a run folder needs a name of its own")
        return value

    @model_validator(mode="after")
    def _quality_moved(self) -> CurateConfig:
        """``select.quality`` is where the ``filter:`` settings lived before the filter became
        a stage of its own: still read, with a note, unless both are given."""
        old = self.select.quality
        if old is None:
            return self
        if "filter" in self.model_fields_set:
            raise ValueError(
                "select.quality and filter are both given; select.quality is the old place of the filter "
                "settings: move its keys into filter and remove it"
            )
        logging.getLogger("curate").warning(
            "select.quality is now the filter: section (same keys); read as filter: for this build"
        )
        self.filter = old
        self.select = self.select.model_copy(update={"quality": None})
        return self

    @property
    def path(self) -> Path | None:
        """The file this config was read from."""
        return self._path

    @property
    def base_dir(self) -> Path:
        """Folder that relative paths in the config are resolved against."""
        return self._path.parent if self._path else Path.cwd()

    def run_dir(self, runs_dir: str | Path | None = None) -> Path:
        """``<runs_dir>/<name>``; a ConfigError when it would resolve outside runs_dir (a
        symlinked run folder pointing elsewhere)."""
        base = Path(runs_dir or self.runs_dir)
        path = base / self.name
        inside = path.resolve(strict=False)
        if inside.parent != base.resolve(strict=False):
            where = f"{self._path}: " if self._path else ""
            raise ConfigError(f"{where}name: the run folder {path} resolves to {inside}, outside {base}")
        return path

    def config_hash(self) -> str:
        return sha256_json(self.model_dump(mode="json"))

    def sources_objects(self):
        """The adapter objects for the enabled sources."""
        out = []
        for sc in self.sources:
            if sc.enabled:
                out.append(get_source_class(sc.type)(sc, self.base_dir))
        return out


# -- loading -------------------------------------------------------------------------


def load_config(path: str | Path) -> CurateConfig:
    """Read and validate a config file; raise ConfigError with file, line and key path."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: config file not found")
    if path.is_dir():
        cand = path / "curate.yaml"
        if not cand.exists():
            raise ConfigError(f"{path}: is a folder without a curate.yaml")
        path = cand
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file") from None
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> CurateConfig:
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: invalid YAML: {problem}") from None
    if data is None:
        raise ConfigError(f"{path}: the file is empty")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    context = {"base_dir": path.parent.resolve()}

    errors: list[tuple[tuple[Any, ...], str]] = []
    raw_sources = data.get("sources")
    sources: list[SourceConfig] = []
    if isinstance(raw_sources, list):
        for i, raw in enumerate(raw_sources):
            loc = ("sources", i)
            if not isinstance(raw, dict):
                errors.append((loc, "expected a mapping with a 'type'"))
                continue
            type_ = raw.get("type")
            if not type_:
                errors.append((loc + ("type",), "missing: every source needs a type"))
                continue
            types = source_types()
            if type_ not in types:
                hint = _did_you_mean(str(type_), types)
                errors.append(
                    (loc + ("type",), f"unknown source type {type_!r}{hint}; known: {', '.join(sorted(types))}")
                )
                continue
            model = get_source_class(type_).Config
            try:
                sources.append(model.model_validate(raw, context=context))
            except ValidationError as exc:
                errors.extend((loc + tuple(e["loc"]), _message(e, model, tuple(e["loc"]))) for e in exc.errors())
        data = {**data, "sources": sources if not errors else []}

    try:
        cfg = CurateConfig.model_validate(data, context=context)
    except ValidationError as exc:
        for e in exc.errors():
            loc = tuple(e["loc"])
            if loc and loc[0] == "sources" and errors:
                continue  # already reported per source
            errors.append((loc, _message(e, CurateConfig, loc)))
    if errors:
        loc, msg = errors[0]
        line = _line_of(node, loc)
        where = f"{path}:{line}" if line else str(path)
        more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
        raise ConfigError(f"{where}: {format_loc(loc)}: {msg}{more}")
    cfg._path = path
    for i, sc in enumerate(cfg.sources):
        sc._where = partial(_where, path, node, i)
    _check_source_names(cfg)
    return cfg


def _where(path: Path, node: Any, index: int, keys: tuple[Any, ...]) -> str:
    """'curate.yaml:12: sources[1].fields.user': an entry's setting, for errors found later."""
    loc = ("sources", index, *keys)
    line = _line_of(node, loc)
    return f"{path}:{line}: {format_loc(loc)}" if line else f"{path}: {format_loc(loc)}"


def _check_source_names(cfg: CurateConfig) -> None:
    """Two enabled sources of one type with one name would give their records the same
    ids (``csv:tickets:1`` twice), and the second one's rows would all be rejected as
    duplicates: the config is refused instead. Names left to default (the file's stem)
    collide when two files share a stem; the message says what to write."""
    seen: dict[str, int] = {}
    for i, sc in enumerate(cfg.sources):
        if not sc.enabled:
            continue
        src = get_source_class(sc.type)(sc, cfg.base_dir)
        key = src.source_id
        if key not in seen:
            seen[key] = i
            continue
        first = seen[key]
        how = "named" if sc.name else "named after their files"
        raise ConfigError(
            f"{sc.where('name')}: sources[{first}] and sources[{i}] are both {sc.type} sources {how} "
            f"{src.name!r}, so their record ids would collide; give each a distinct `name:`"
        )


def format_loc(loc: tuple[Any, ...]) -> str:
    """('sources', 1, 'path') -> 'sources[1].path'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _message(err: dict[str, Any], model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        known = _fields_at(model, loc[:-1])
        hint = _did_you_mean(str(loc[-1]), known) if known else ""
        return f"unknown key{hint}"
    if kind == "missing":
        return "missing: this setting is required"
    msg = err.get("msg", "invalid value")
    # pydantic prefixes custom messages with "Value error, "
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    return msg


def _did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model found at ``loc`` (best effort, for suggestions)."""
    cur: Any = model
    for part in loc:
        if isinstance(part, int) or cur is None:
            continue
        if not (isinstance(cur, type) and issubclass(cur, BaseModel)) or part not in cur.model_fields:
            return []
        ann = cur.model_fields[part].annotation
        cur = _model_in(ann)
    if isinstance(cur, type) and issubclass(cur, BaseModel):
        return list(cur.model_fields)
    return []


def _model_in(ann: Any) -> Any:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in getattr(ann, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _line_of(node: Any, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the YAML node at ``loc`` (or of its closest existing parent)."""
    if node is None:
        return None
    best = node.start_mark.line + 1
    cur = node
    for part in loc:
        nxt = None
        if isinstance(cur, yaml.MappingNode) and isinstance(part, str):
            for k, v in cur.value:
                if getattr(k, "value", None) == part:
                    nxt = v
                    best = k.start_mark.line + 1
                    break
        elif isinstance(cur, yaml.SequenceNode) and isinstance(part, int) and part < len(cur.value):
            nxt = cur.value[part]
            best = nxt.start_mark.line + 1
        if nxt is None:
            break
        cur = nxt
    return best


# -- JSON Schema -------------------------------------------------------------------------


def config_json_schema() -> dict[str, Any]:
    """JSON Schema of curate.yaml, with one branch per built-in source type."""
    schema = CurateConfig.model_json_schema()
    defs = schema.setdefault("$defs", {})
    branches = []
    for type_, cls in sorted(source_types().items()):
        if not cls.__module__.startswith("curate."):
            continue  # third-party adapters document themselves
        sub = cls.Config.model_json_schema(ref_template="#/$defs/{model}")
        for k, v in sub.pop("$defs", {}).items():
            defs.setdefault(k, v)
        sub["properties"]["type"] = {"const": type_, "description": sub["properties"]["type"].get("description", "")}
        sub["title"] = f"source: {type_}"
        branches.append(sub)
    schema["properties"]["sources"]["items"] = {"oneOf": branches}
    defs.pop("SourceConfig", None)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://github.com/curate-data/curate/schemas/curate.schema.json"
    return schema


def config_json_schema_text() -> str:
    return json.dumps(config_json_schema(), indent=2, sort_keys=True) + "\n"
