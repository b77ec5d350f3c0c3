"""JSON Schema (draft 2020-12) of one row of each export format.

The checked-in copies in ``schemas/export-<format>.schema.json`` are generated from here
(``python -m curate.export.schemas schemas/``); a test fails when they drift. An export
writes the schema it used next to the data (``schema.json``) and ``curate validate``
checks any file against it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from curate.export.config import FORMATS

_ID = "https://github.com/curate-data/curate/schemas/export-{fmt}.schema.json"

_METADATA = {
    "type": "object",
    "description": "Record fields passed through on request (`export.metadata`); not part of the training text.",
}

_TEXT = {"type": "string", "minLength": 1}


#: the key that holds an assistant turn's reasoning with ``export.reasoning: field``
DEFAULT_REASONING_FIELD = "reasoning_content"


def _reasoning(key: str) -> dict[str, Any]:
    return {key: {"type": ["string", "null"],
                  "description": "The reasoning behind this assistant turn (export.reasoning: field); null when none."}}


def _chat_message(weight: bool, reasoning_field: str = DEFAULT_REASONING_FIELD) -> dict[str, Any]:
    props: dict[str, Any] = {
        "role": {"enum": ["system", "user", "assistant"]},
        "content": {"type": "string", "minLength": 1},
        **_reasoning(reasoning_field),
    }
    msg: dict[str, Any] = {
        "type": "object",
        "required": ["role", "content"],
        "properties": props,
        "additionalProperties": False,
    }
    only_assistant = [reasoning_field]
    if weight:
        props["weight"] = {
            "enum": [0, 1],
            "description": "0: the trainer does not learn from this assistant turn (assistant turns only).",
        }
        only_assistant.insert(0, "weight")
    msg["if"] = {"properties": {"role": {"const": "assistant"}}}
    msg["else"] = {"not": {"anyOf": [{"required": [k]} for k in only_assistant]}}
    return msg


def _conversation(weight: bool, reasoning_field: str = DEFAULT_REASONING_FIELD) -> dict[str, Any]:
    return {
        "type": "array",
        "minItems": 2,
        "items": _chat_message(weight, reasoning_field),
        "contains": {"type": "object", "properties": {"role": {"const": "assistant"}}, "required": ["role"]},
        "description": "The turns in order; at least one assistant turn.",
    }


def _row(fmt: str, title: str, description: str, properties: dict[str, Any], required: list[str], **extra: Any) -> dict[str, Any]:
    props = {**properties, "metadata": _METADATA}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": _ID.format(fmt=fmt),
        "title": title,
        "description": description,
        "type": "object",
        "required": required,
        "properties": props,
        "additionalProperties": False,
        **extra,
    }


def format_schema(fmt: str, reasoning_field: str = DEFAULT_REASONING_FIELD) -> dict[str, Any]:
    """The JSON Schema of one row (one JSONL line) of ``fmt``; ``reasoning_field`` is the
    optional key of assistant messages (alpaca: of the row) that holds the reasoning."""
    key = reasoning_field
    if fmt == "openai":
        return _row(
            fmt, "curate export: OpenAI chat",
            "One training example per line, as the OpenAI fine-tuning API and TRL's SFTTrainer read it.",
            {"messages": _conversation(weight=True, reasoning_field=key)}, ["messages"],
        )
    if fmt == "hf":
        return _row(
            fmt, "curate export: Hugging Face datasets (messages)",
            "One row of the Parquet files under data/: the conversational `messages` column.",
            {"messages": _conversation(weight=False, reasoning_field=key)}, ["messages"],
        )
    if fmt == "sharegpt":
        turn = {
            "type": "object",
            "required": ["from", "value"],
            "properties": {"from": {"enum": ["system", "human", "gpt"]}, "value": _TEXT, **_reasoning(key)},
            "additionalProperties": False,
            "if": {"properties": {"from": {"const": "gpt"}}},
            "else": {"not": {"required": [key]}},
        }
        return _row(
            fmt, "curate export: ShareGPT",
            "One conversation per line: `from` is system, human or gpt.",
            {"conversations": {
                "type": "array", "minItems": 2, "items": turn,
                "contains": {"type": "object", "properties": {"from": {"const": "gpt"}}, "required": ["from"]},
            }},
            ["conversations"],
        )
    if fmt == "alpaca":
        return _row(
            fmt, "curate export: Alpaca",
            "instruction / input / output, the system prompt and the earlier [user, assistant] turns (history); "
            "system and history are on every line, empty when there are none.",
            {
                "instruction": {"type": "string"},
                "input": {"type": "string"},
                "output": _TEXT,
                "system": {"type": "string"},
                "history": {
                    "type": "array",
                    "items": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "string"}],
                              "minItems": 2, "maxItems": 2},
                },
                **_reasoning(key),
            },
            ["instruction", "input", "output", "system", "history"],
            anyOf=[
                {"properties": {"instruction": {"minLength": 1}}},
                {"properties": {"input": {"minLength": 1}}},
            ],
        )
    if fmt == "prompt_completion":
        prompt_msgs = {
            "type": "array", "minItems": 1, "items": _chat_message(weight=False, reasoning_field=key),
        }
        completion_msgs = {
            "type": "array", "minItems": 1,
            "items": {**_chat_message(weight=False, reasoning_field=key), "properties": {
                "role": {"const": "assistant"}, "content": {"type": "string", "minLength": 1}, **_reasoning(key)}},
        }
        return _row(
            fmt, "curate export: prompt/completion (TRL)",
            "TRL's prompt-completion type: conversational (lists of messages) or text (strings).",
            {"prompt": {}, "completion": {}},
            ["prompt", "completion"],
            oneOf=[
                {"title": "text", "properties": {"prompt": _TEXT, "completion": _TEXT}},
                {"title": "conversational", "properties": {"prompt": prompt_msgs, "completion": completion_msgs}},
            ],
        )
    if fmt == "text":
        return _row(
            fmt, "curate export: plain text",
            "One text per line, for continued pre-training: a document chunk under its heading path, or a "
            "conversation as a transcript (Customer: / Agent: turns).",
            {"text": _TEXT}, ["text"],
        )
    raise ValueError(f"unknown format {fmt!r}")


def schema_text(fmt: str, reasoning_field: str = DEFAULT_REASONING_FIELD) -> str:
    return json.dumps(format_schema(fmt, reasoning_field), indent=2, sort_keys=True) + "\n"


def schema_path(root: Path, fmt: str) -> Path:
    return root / f"export-{fmt}.schema.json"


def write_schemas(folder: Path) -> list[Path]:
    from curate.store import write_text

    out = []
    for fmt in FORMATS:
        p = schema_path(folder, fmt)
        write_text(p, schema_text(fmt))
        out.append(p)
    return out


if __name__ == "__main__":  # python -m curate.export.schemas schemas/
    for p in write_schemas(Path(sys.argv[1] if len(sys.argv) > 1 else "schemas")):
        print(p)
