"""Decontamination against a user's benchmark file, with planted overlaps."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import polars as pl
import pytest
from export_support import export, make_run, read_jsonl

from curate.errors import InputError
from curate.export.decontaminate import NgramIndex, build_index, words
from curate.records import DROP_COLUMN, make_record

VOCAB = [f"w{i}" for i in range(5000)]


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(VOCAB) for _ in range(n))


@pytest.fixture
def planted(tmp_path: Path):
    """60 records of random words (no accidental overlap) and a benchmark file with overlaps
    planted from five of them, in different disguises, among unrelated rows."""
    rng = random.Random(42)
    recs = []
    for i in range(60):
        q, a = sentence(rng, 25), sentence(rng, 40)
        r = make_record(source="t:s", native_id=f"{i:02d}", kind="ticket",
                        messages=[{"role": "user", "content": q}, {"role": "assistant", "content": a}])
        r["dup_group"] = r["id"]
        recs.append(r)
    df = pl.DataFrame(recs).with_columns(pl.lit(None, dtype=pl.Utf8).alias(DROP_COLUMN))
    turns = {r["id"]: [m["content"] for m in r["messages"]] for r in recs}
    a = lambda i: turns[f"t:s:{i:02d}"][1].split()  # noqa: E731
    q = lambda i: turns[f"t:s:{i:02d}"][0].split()  # noqa: E731
    bench = [{"question": sentence(rng, 20), "answer": sentence(rng, 10)} for _ in range(30)]
    bench[3] = {"question": " ".join(q(7)), "answer": "x"}  # a whole question, verbatim
    bench[9] = {"question": "Intro words here. " + " ".join(a(21)[5:15]).upper() + "!!", "answer": "y"}  # 10 words, shouted
    bench[14] = {"question": "z", "answer": {"nested": ["see: " + ", ".join(a(33)[0:9])]}}  # 9 words, punctuated, nested
    bench[20] = {"question": "prefix " + " ".join(q(45)[2:8]) + " suffix", "answer": "q"}  # only 6 words
    bench[25] = {"question": " ".join(a(50)[0:4]), "answer": "r"}  # 4 words
    bench_path = tmp_path / "bench.jsonl"
    bench_path.write_text("".join(json.dumps(b) + "\n" for b in bench))
    run = make_run(tmp_path / "runs" / "r", df, {"export": {}})
    return run, bench_path, tmp_path


def dropped(out: Path, reason: str = "decontaminated") -> dict[str, dict]:
    return {d["id"]: d for d in read_jsonl(out / "dropped.jsonl") if d["reason"] == reason}


def test_planted_overlaps_are_left_out_and_listed(planted):
    run, bench, tmp = planted
    out = tmp / "out8"
    outcome = export(run, out, decontaminate={"files": [str(bench)], "n": 8}, split={"eval": 0})
    got = dropped(out)
    assert set(got) == {"t:s:07", "t:s:21", "t:s:33"}
    assert got["t:s:07"]["benchmark"] == "bench.jsonl:4"
    assert got["t:s:21"]["benchmark"] == "bench.jsonl:10" and got["t:s:21"]["shared_ngrams"] == 3
    assert got["t:s:33"]["shared_ngrams"] == 2
    assert outcome.result.dropped == {"decontaminated": 3}
    assert outcome.result.records_out == 57
    kept = {json.loads(line)["messages"][0]["content"] for line in (out / "train.jsonl").read_text().splitlines()}
    assert len(kept) == 57
    # the list names ids and where the overlap is, never text
    text = (out / "dropped.jsonl").read_text()
    assert all(set(d) <= {"id", "stage", "reason", "benchmark", "shared_ngrams", "fraction"} for d in read_jsonl(out / "dropped.jsonl"))
    assert re.search(r"\bw\d+\b", text) is None
    card = (out / "README.md").read_text()
    assert "Left out: **3** examples" in card and "bench.jsonl" in card


def test_shorter_n_catches_shorter_overlaps(planted):
    run, bench, tmp = planted
    out = tmp / "out5"
    export(run, out, decontaminate={"files": [str(bench)], "n": 5}, split={"eval": 0})
    assert set(dropped(out)) == {"t:s:07", "t:s:21", "t:s:33", "t:s:45"}
    out = tmp / "out3"
    export(run, out, decontaminate={"files": [str(bench)], "n": 3}, split={"eval": 0})
    assert set(dropped(out)) == {"t:s:07", "t:s:21", "t:s:33", "t:s:45", "t:s:50"}


def test_thresholds_and_fields(planted):
    run, bench, tmp = planted
    out = tmp / "thr"
    # 3 shared 8-grams needed: the verbatim question (18) and the 10-word overlap (3), not the 9-word one (2)
    export(run, out, decontaminate={"files": [str(bench)], "n": 8, "min_shared": 3}, split={"eval": 0})
    assert set(dropped(out)) == {"t:s:07", "t:s:21"}
    out = tmp / "frac"
    # the verbatim question is 18 of the record's 51 8-grams; the other overlaps are 3 and 2 of 51
    export(run, out, decontaminate={"files": [str(bench)], "n": 8, "min_fraction": 0.2}, split={"eval": 0})
    assert set(dropped(out)) == {"t:s:07"}
    out = tmp / "fields"
    export(run, out, decontaminate={"files": [str(bench)], "n": 8, "fields": ["answer"]}, split={"eval": 0})
    assert set(dropped(out)) == {"t:s:33"}


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".txt", ".json"])
def test_benchmark_file_types(tmp_path, suffix):
    text = "the quick brown fox jumps over the lazy dog again and again"
    rows = [{"q": "unrelated words only here", "a": text}]
    p = tmp_path / f"b{suffix}"
    if suffix == ".csv":
        pl.DataFrame(rows).write_csv(p)
    elif suffix == ".parquet":
        pl.DataFrame(rows).write_parquet(p)
    elif suffix == ".txt":
        p.write_text("unrelated words only here\n" + text + "\n")
    else:
        p.write_text(json.dumps(rows))
    index = build_index([p], 8)
    m = index.match(["As I said: The QUICK brown fox, jumps over the lazy dog again!"])
    assert m is not None and m.shared == 3 and m.where.startswith(p.name)
    assert index.match(["nothing like it at all in this sentence here"]) is None


def test_words_normalise_case_width_and_punctuation():
    assert words("Ｈｅｌｌｏ, WORLD! it's") == ["hello", "world", "it", "s"]
    idx = NgramIndex(3)
    idx.add("short one", "b:1")  # under 4 words: never compared whole
    assert idx.match(["short one"]) is None


def test_missing_or_broken_benchmark_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        build_index([tmp_path / "nope.jsonl"], 8)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"q": "fine"}\n{oops\n')
    with pytest.raises(InputError, match=r"bad.jsonl:2: invalid JSON"):
        build_index([bad], 8)
