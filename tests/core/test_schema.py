"""The checked-in JSON Schema of curate.yaml matches the models."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from curate.config import config_json_schema, config_json_schema_text

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schemas" / "curate.schema.json"


def test_schema_file_is_current():
    assert SCHEMA.exists(), "run: curate schema -o schemas/curate.schema.json"
    assert SCHEMA.read_text() == config_json_schema_text(), (
        "schemas/curate.schema.json is out of date; regenerate it with `curate schema -o schemas/curate.schema.json`"
    )


def test_example_and_starter_configs_validate_against_schema():
    schema = config_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for p in (ROOT / "examples/support-tickets/curate.yaml", ROOT / "curate/templates/curate.yaml"):
        jsonschema.validate(yaml.safe_load(p.read_text()), schema)


def test_schema_rejects_unknown_source_type():
    schema = json.loads(SCHEMA.read_text())
    bad = {"name": "x", "sources": [{"type": "nope", "path": "x"}]}
    v = jsonschema.Draft202012Validator(schema)
    assert list(v.iter_errors(bad))
