"""Reading the benchmark and the predictions: every bad line is one error naming the file
and the line, and never the text of an item."""

from __future__ import annotations

import json

import pytest
from eval_data import SYSTEMS, benchmark_items, write_files

from curate.errors import InputError
from curate.evaluation.benchmark import parse_systems, read_all, read_benchmark, read_predictions

GOOD = {"id": "a", "messages": [{"role": "user", "content": "my parcel is late"}], "reference": "Sorry, here is the tracking link."}


def lines(path, *rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def test_reads_items_and_both_prediction_forms(tmp_path):
    items = benchmark_items(12)
    bench, files = write_files(tmp_path, items)
    got, preds = read_all(bench, parse_systems([f"{s}={files[s]}" for s in SYSTEMS]))
    assert [i.id for i in got] == [i["id"] for i in items]
    assert got[0].strata == items[0]["strata"] and got[0].source_ids == [items[0]["id"]]
    assert got[0].stratum("task_type") == items[0]["strata"]["task_type"] and got[0].stratum("nope") == "(none)"
    # base-prompted gives chat messages: the last assistant turn is its output
    assert preds["base-prompted"][items[3]["id"]].startswith("Thanks for your message!")
    assert set(preds["legacy-bot"]) == {i["id"] for i in items}


@pytest.mark.parametrize("row, message", [
    ("{not json", "bad.jsonl:2: invalid JSON"),
    ([1, 2], "bad.jsonl:2: expected a JSON object, got list"),
    ({**GOOD, "id": ""}, "bad.jsonl:2: 'id' must be a non-empty string"),
    ({**GOOD, "id": "a"}, "bad.jsonl:2: id 'a' appears again (first on line 1)"),
    ({"id": "b", "reference": "x"}, "bad.jsonl:2: no 'messages'"),
    ({**GOOD, "id": "b", "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "the answer"}]},
     "bad.jsonl:2: 'messages' ends with an assistant turn"),
    ({**GOOD, "id": "b", "messages": [{"role": "customer", "content": "q"}]}, "bad.jsonl:2: messages[0].role must be one of"),
    ({**GOOD, "id": "b", "reference": ""}, "bad.jsonl:2: 'reference' (the gold answer) must be a non-empty string"),
    ({**GOOD, "id": "b", "strata": {"task_type": ["a", "b"]}}, "bad.jsonl:2: strata.task_type must be a single value"),
])
def test_bad_benchmark_lines(tmp_path, row, message):
    path = lines(tmp_path / "bad.jsonl", GOOD, row)
    with pytest.raises(InputError) as exc:
        read_benchmark(path)
    assert message in str(exc.value)
    assert "parcel" not in str(exc.value) and "tracking" not in str(exc.value)  # no item text


def test_bad_prediction_lines(tmp_path):
    bench = lines(tmp_path / "bench.jsonl", GOOD, {**GOOD, "id": "b"})
    by_id = {i.id: i for i in read_benchmark(bench)}
    cases = [
        (({"id": "a", "output": "x"}, {"id": "zz", "output": "y"}), "p.jsonl:2: id 'zz' is not in the benchmark"),
        (({"id": "a", "output": "x"}, {"id": "a", "output": "y"}), "p.jsonl:2: id 'a' appears again (first on line 1)"),
        (({"id": "a", "output": 3},), "p.jsonl:1: 'output' must be a string"),
        (({"id": "a", "messages": [{"role": "user", "content": "q"}]},), "p.jsonl:1: 'messages' has no assistant turn"),
        (({"id": "a"},), "p.jsonl:1: no 'output' (text) or 'messages'"),
        (({"id": "a", "output": "x"},), "p.jsonl: no prediction for 1 of 2 benchmark item(s) (first: id 'b')"),
    ]
    for rows, message in cases:
        with pytest.raises(InputError) as exc:
            read_predictions(lines(tmp_path / "p.jsonl", *rows), by_id, bench)
        assert message in str(exc.value), (message, str(exc.value))
    # an empty output is an answer (a bad one), not an error
    got = read_predictions(lines(tmp_path / "p.jsonl", {"id": "a", "output": ""}, {"id": "b", "output": "y"}), by_id, bench)
    assert got == {"a": "", "b": "y"}


def test_system_options(tmp_path):
    with pytest.raises(InputError, match="expected NAME=PREDICTIONS.jsonl"):
        parse_systems(["just-a-file.jsonl"])
    with pytest.raises(InputError, match="is given twice"):
        parse_systems(["a=x.jsonl", "a=y.jsonl"])
    with pytest.raises(InputError, match="a name is letters"):
        parse_systems(["my system=x.jsonl"])
    with pytest.raises(InputError, match="at least one system"):
        parse_systems([])
    with pytest.raises(InputError, match="file not found"):
        read_all(lines(tmp_path / "b.jsonl", GOOD), parse_systems([f"a={tmp_path / 'missing.jsonl'}"]))
