"""`curate validate FILE --format X`: the first bad lines with their numbers, exit codes,
no record text in the output."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from helpers import run_cli

from curate.export.validate import validate_file

GOOD = {"messages": [{"role": "user", "content": "Where is my parcel, Jane Doe here?"},
                     {"role": "assistant", "content": "It ships today."}]}


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_valid_file_exits_zero(tmp_path):
    f = write_lines(tmp_path / "ok.jsonl", [json.dumps(GOOD)] * 3)
    r = run_cli("validate", str(f), "--format", "openai")
    assert r.returncode == 0, r.stderr
    assert "3 valid openai examples" in r.stdout


def test_bad_lines_are_reported_by_number_without_their_text(tmp_path):
    lines = [
        json.dumps(GOOD),
        json.dumps({"messages": [{"role": "user", "content": "Jane Doe asks again"}]}),  # 2: no reply
        '{"messages": [',  # 3: broken JSON
        "",  # 4: blank
        json.dumps({"messages": [{"role": "customer", "content": "Jane Doe"}, {"role": "assistant", "content": "ok"}]}),
        json.dumps({"text": "Jane Doe"}),  # 6: wrong shape
        json.dumps(GOOD),
    ]
    f = write_lines(tmp_path / "bad.jsonl", lines)
    r = run_cli("validate", str(f), "--format", "openai")
    assert r.returncode == 1
    out = r.stdout + r.stderr
    assert f"{f}:2: messages: needs at least 2 items" in out
    assert f"{f}:3: invalid JSON" in out
    assert f"{f}:4: empty line" in out
    assert f"{f}:5: messages[0].role: must be one of system, user, assistant" in out
    assert f"{f}:6: (the line): missing 'messages'" in out
    assert ":1:" not in out and ":7:" not in out
    assert "5 of 7 lines are not valid openai examples" in out
    assert "Jane" not in out  # the content is never quoted


def test_max_errors_and_format_guess(tmp_path):
    bad = json.dumps({"conversations": [{"from": "human", "value": "hi"}]})
    f = write_lines(tmp_path / "sg.jsonl", [bad] * 30)
    r = run_cli("validate", str(f), "--max-errors", "2")  # format guessed from the first line
    assert r.returncode == 1
    assert r.stdout.count(str(f) + ":") == 2
    assert "30 of 30 lines are not valid sharegpt examples (28 more not listed)" in r.stderr
    report = validate_file(f, None)
    assert report.format == "sharegpt" and report.invalid == 30


def test_weight_on_a_user_turn_and_alpaca_and_prompt_completion(tmp_path):
    f = write_lines(tmp_path / "w.jsonl", [json.dumps({"messages": [
        {"role": "user", "content": "q", "weight": 1}, {"role": "assistant", "content": "a"}]})])
    rep = validate_file(f, "openai")
    assert rep.problems[0].message == "messages[0]: weight is only allowed on assistant turns"
    f = write_lines(tmp_path / "a.jsonl", [json.dumps({"instruction": "q", "input": "", "output": "", "system": "", "history": []})])
    assert validate_file(f, "alpaca").problems[0].message == "output: must not be empty"
    f = write_lines(tmp_path / "p.jsonl", [json.dumps({"prompt": [{"role": "user", "content": "q"}],
                                                        "completion": [{"role": "user", "content": "a"}]})])
    assert validate_file(f, "prompt_completion").problems[0].message == "completion[0].role: must be 'assistant'"


def test_parquet_for_the_hf_format_and_usage_errors(tmp_path):
    p = tmp_path / "train.parquet"
    pl.DataFrame([GOOD, {"messages": [{"role": "user", "content": "only"}]}]).write_parquet(p)
    rep = validate_file(p, None)
    assert rep.format == "hf" and rep.rows == 2 and [x.line for x in rep.problems] == [2]
    r = run_cli("validate", str(tmp_path / "missing.jsonl"), "--format", "openai")
    assert r.returncode == 2 and "file not found" in r.stderr
    r = run_cli("validate", str(p), "--format", "nope")
    assert r.returncode == 2 and "unknown format 'nope'" in r.stderr
    empty = write_lines(tmp_path / "empty.jsonl", [])
    empty.write_text("")
    r = run_cli("validate", str(empty), "--format", "openai")
    assert r.returncode == 1 and "no examples" in r.stderr


def test_strict_checks_that_turns_alternate(tmp_path):
    rows = [
        {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]},
        {"messages": [{"role": "user", "content": "q"}, {"role": "user", "content": "q2"}, {"role": "assistant", "content": "a"}]},
        {"messages": [{"role": "assistant", "content": "hi"}, {"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]},
        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}, {"role": "system", "content": "act"},
                      {"role": "assistant", "content": "b"}]},
    ]
    f = write_lines(tmp_path / "c.jsonl", [json.dumps(r) for r in rows])
    assert validate_file(f, "openai").ok  # valid for OpenAI, which takes any order
    rep = validate_file(f, "openai", strict=True)
    assert [(p.line, p.message) for p in rep.problems] == [
        (2, "messages[1]: two user turns in a row (strict alternation)"),
        (3, "messages[0]: starts with an assistant turn (strict alternation)"),
        (4, "messages[2]: a system turn after the conversation started (strict alternation)"),
    ]
    share = write_lines(tmp_path / "s.jsonl", [json.dumps({"conversations": [
        {"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}, {"from": "gpt", "value": "b"}]})])
    assert validate_file(share, "sharegpt", strict=True).problems[0].message == (
        "conversations[2]: two assistant turns in a row (strict alternation)")
    r = run_cli("validate", str(f), "--strict")
    assert r.returncode == 1 and "3 of 4 lines are not valid openai examples" in r.stderr
    assert "two user turns in a row" in r.stdout
    ok = write_lines(tmp_path / "ok.jsonl", [json.dumps(rows[0])])
    r = run_cli("validate", str(ok), "--strict")
    assert r.returncode == 0 and "turns strictly alternating" in r.stdout
