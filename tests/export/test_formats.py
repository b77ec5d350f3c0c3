"""Each format: the rows it writes, its JSON Schema, the checked-in schema files."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from curate.export.config import FORMATS
from curate.export.formats import (
    Example,
    NotExportable,
    chat_from_turns,
    render_text,
    to_alpaca,
    to_hf,
    to_openai,
    to_prompt_completion,
    to_sharegpt,
    to_text,
)
from curate.export.schemas import format_schema, schema_path, schema_text

ROOT = Path(__file__).resolve().parents[2]

TURNS = [
    {"role": "system", "content": "Record's own system turn"},
    {"role": "user", "content": "My order has not arrived."},
    {"role": "assistant", "content": "Could you give me the order number?"},
    {"role": "user", "content": "It is 1234."},
    {"role": "assistant", "content": "Thanks, it ships today."},
    {"role": "user", "content": "Great"},  # trailing: nothing learns from it
]


def example(**kw) -> Example:
    return Example(id="r1", messages=chat_from_turns(TURNS, "Be kind.", kw.pop("last", False)), **kw)


def test_chat_puts_config_system_prompt_first_and_trims_after_last_reply():
    msgs = chat_from_turns(TURNS, "Be kind.")
    assert msgs[0] == {"role": "system", "content": "Be kind."}
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user", "assistant"]
    assert all("weight" not in m for m in msgs)
    # without a configured prompt the record's own system turn stays
    assert chat_from_turns(TURNS, None)[0]["content"] == "Record's own system turn"


def test_last_turn_only_weights_earlier_replies_zero():
    msgs = chat_from_turns(TURNS, None, last_turn_only=True)
    assert [m.get("weight") for m in msgs if m["role"] == "assistant"] == [0, 1]
    assert all("weight" not in m for m in msgs if m["role"] != "assistant")


@pytest.mark.parametrize("turns, reason", [
    ([{"role": "user", "content": "only a question"}], "no_agent_reply"),
    ([{"role": "assistant", "content": "a reply to nobody"}], "no_user_turn"),
])
def test_unexportable_records_say_why(turns, reason):
    with pytest.raises(NotExportable, match=reason):
        chat_from_turns(turns)


def test_openai_and_hf_rows():
    row = to_openai(example(last=True))
    assert row["messages"][-1] == {"role": "assistant", "content": "Thanks, it ships today.", "weight": 1}
    assert "metadata" not in row
    hf = to_hf(example(last=True, metadata={"id": "r1"}))
    assert all(set(m) == {"role", "content"} for m in hf["messages"])  # weights are OpenAI-only
    assert hf["metadata"] == {"id": "r1"}


def test_sharegpt_row():
    row = to_sharegpt(example())
    assert [t["from"] for t in row["conversations"]] == ["system", "human", "gpt", "human", "gpt"]
    assert row["conversations"][1]["value"] == "My order has not arrived."


def test_alpaca_row_keeps_earlier_turns_as_history():
    row = to_alpaca(example())
    assert row == {
        "instruction": "It is 1234.", "input": "", "output": "Thanks, it ships today.", "system": "Be kind.",
        "history": [["My order has not arrived.", "Could you give me the order number?"]],
    }


def test_alpaca_row_of_a_classification_example_separates_instruction_and_input():
    ex = Example(id="c", messages=[{"role": "user", "content": "Classify.\n\nThe ticket"},
                                   {"role": "assistant", "content": "billing"}],
                 instruction="Classify.", input="The ticket")
    assert to_alpaca(ex) == {"instruction": "Classify.", "input": "The ticket", "output": "billing",
                             "system": "", "history": []}


def test_alpaca_merges_consecutive_turns_of_one_role():
    ex = Example(id="m", messages=chat_from_turns([
        {"role": "user", "content": "Hi"}, {"role": "user", "content": "Are you there?"},
        {"role": "assistant", "content": "Yes"}]))
    assert to_alpaca(ex) == {"instruction": "Hi\n\nAre you there?", "input": "", "output": "Yes", "system": "", "history": []}


def test_prompt_completion_conversational_and_text():
    conv = to_prompt_completion(example(), "conversational")
    assert conv["completion"] == [{"role": "assistant", "content": "Thanks, it ships today."}]
    assert [m["role"] for m in conv["prompt"]] == ["system", "user", "assistant", "user"]
    text = to_prompt_completion(example(), "text")
    assert text["prompt"] == render_text(example().messages[:-1])
    assert text["prompt"].endswith("User: It is 1234.\n\nAssistant:")
    assert text["completion"] == " Thanks, it ships today."


@pytest.mark.parametrize("fmt", FORMATS)
def test_schemas_are_valid_and_checked_in_copies_are_current(fmt):
    jsonschema.Draft202012Validator.check_schema(format_schema(fmt))
    path = schema_path(ROOT / "schemas", fmt)
    assert path.read_text() == schema_text(fmt), (
        f"{path} is out of date; regenerate with `python -m curate.export.schemas schemas/`"
    )


ROWS = {
    "openai": lambda: to_openai(example(last=True, metadata={"id": "r1"})),
    "sharegpt": lambda: to_sharegpt(example()),
    "alpaca": lambda: to_alpaca(example()),
    "prompt_completion": lambda: to_prompt_completion(example(), "conversational"),
    "hf": lambda: to_hf(example()),
    "text": lambda: to_text(Example(id="d", messages=[], text="Install > Linux\n\nRun the installer.")),
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_rows_validate_against_their_schema(fmt):
    jsonschema.validate(ROWS[fmt](), format_schema(fmt))
    if fmt == "prompt_completion":
        jsonschema.validate(to_prompt_completion(example(), "text"), format_schema(fmt))


BAD = {
    "openai": [
        {"messages": [{"role": "user", "content": "hi"}]},  # no assistant turn
        {"messages": [{"role": "user", "content": "hi", "weight": 0}, {"role": "assistant", "content": "yo"}]},
        {"messages": [{"role": "robot", "content": "hi"}, {"role": "assistant", "content": "yo"}]},
        {"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "yo"}]},
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo", "weight": 2}]},
        {"conversations": []},
    ],
    "sharegpt": [
        {"conversations": [{"from": "human", "value": "hi"}, {"from": "human", "value": "again"}]},
        {"conversations": [{"from": "user", "value": "hi"}, {"from": "gpt", "value": "yo"}]},
    ],
    "alpaca": [{"instruction": "", "input": "", "output": "x", "system": "", "history": []},
               {"instruction": "q", "output": "x", "system": "", "history": []},
               {"instruction": "q", "input": "", "output": "", "system": "", "history": []},
               {"instruction": "q", "input": "", "output": "x"}],  # system and history on every line
    "prompt_completion": [{"prompt": "q", "completion": [{"role": "assistant", "content": "a"}]},
                          {"prompt": [{"role": "user", "content": "q"}],
                           "completion": [{"role": "user", "content": "a"}]}],
    "hf": [{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a", "weight": 1}]}],
    "text": [{"text": ""}, {"text": "x", "messages": []}, {}],
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_schemas_reject_broken_rows(fmt):
    v = jsonschema.Draft202012Validator(format_schema(fmt))
    for row in BAD[fmt]:
        assert list(v.iter_errors(row)), (fmt, row)
