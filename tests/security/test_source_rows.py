"""The JSON array splitter and the thread mapping take time in proportion to their input,
whatever it holds (runs of brackets, backslashes, quotes, commas, digits, white space), and
a JSON array element of 64 MB is read past without being held, like a JSONL line."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from curate.sources.jsonarray import array_elements
from curate.sources.rowthreads import normalise_id, order_key

N = 100_000
MiB = 1024 * 1024

ARRAYS = {
    "brackets": b"[" * N,
    "braces": b"[" + b"{" * N,
    "closers": b"[" + b"]" * N,
    "backslashes": b'["' + b"\\" * N + b'"]',
    "quotes": b"[" + b'"' * N + b"]",
    "commas": b"[" + b"," * N + b"]",
    "spaces": b"[" + b" " * N + b"1]",
    "tabs": b"[" + b"\t" * N + b"1]",
    "digits": b"[" + b"1" * N + b"]",
    "dash-runs": b'[{"a": "' + b"a-" * (N // 2) + b'"}]',
    "nested": b"[" + b'{"a":[' * (N // 6) + b"1" + b"]}" * (N // 6) + b"]",
}


@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_hostile_json_arrays_split_in_linear_time(name):
    t0 = time.perf_counter()
    items = list(array_elements(io.BytesIO(ARRAYS[name]), 8 * MiB))
    assert time.perf_counter() - t0 < 2, name
    assert len(items) <= N  # each item is an element or one reason, never more than the input holds


def test_hostile_ids_and_times_in_linear_time():
    values = ["1" * N, "1" * N + ".0", "-" * N, "a-" * (N // 2), "\t" * N, " " * N, ".0" * (N // 2),
              "1." + "0" * N, "1e" + "9" * N, "Tue Oct 31 " + " " * N + "2017"]
    t0 = time.perf_counter()
    for v in values:
        normalise_id(v)
        assert order_key(v) is None  # longer than any time or number
    assert time.perf_counter() - t0 < 2
    assert normalise_id(" 19137.0 ") == "19137" and normalise_id("19137.5") == "19137.5"
    assert order_key("2017-10-29 06:16:40") == order_key("Sun Oct 29 06:16:40 +0000 2017") == 1509257800.0
    assert order_key("Sun, 29 Oct 2017 07:16:40 +0100") == 1509257800.0
    assert order_key("12") == 12.0 and order_key(True) is None


def test_a_64mb_json_array_element_adds_no_memory(tmp_path):
    def peak(folder: Path, elements: list[bytes]) -> tuple[int, float, int, list[dict]]:
        # written piece by piece: a 64 MB join here would stay in this process's memory,
        # which the child's peak RSS counts until it execs
        with open(folder / "t.json", "wb") as fh:
            fh.write(b"[")
            fh.writelines((b",\n" if i else b"") + e for i, e in enumerate(elements))
            fh.write(b"]")
        cfg = {"name": "m", "sources": [{"type": "jsonl", "path": "t.json", "fields": {"user": "q", "assistant": "a"}}]}
        (folder / "curate.yaml").write_text(yaml.safe_dump(cfg))
        p = subprocess.Popen([sys.executable, "-m", "curate", "ingest", "curate.yaml", "-o", "out.jsonl", "-q"],
                             cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        out = folder / "out.jsonl"
        rej = folder / "out.rejects.jsonl"
        return (os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024,
                len(out.read_text().splitlines()) if out.exists() else 0,
                [json.loads(x) for x in rej.read_text().splitlines()] if rej.exists() else [])

    rows = [json.dumps({"q": f"question {i}", "a": f"answer {i}"}).encode() for i in range(2000)]
    bomb = b'{"q": "' + b"x" * (64 * MiB) + b'", "a": "y"}'
    (tmp_path / "plain").mkdir()
    (tmp_path / "bombed").mkdir()
    rc0, peak0, n0, rej0 = peak(tmp_path / "plain", rows)
    rc1, peak1, n1, rej1 = peak(tmp_path / "bombed", rows[:1] + [bomb] + rows[1:])
    assert (rc0, n0, rej0) == (0, 2000, [])
    assert (rc1, n1) == (0, 2000)
    assert [(r["locator"], r["reason"]) for r in rej1] == [
        ("t.json#2", f"element of {len(bomb) + 1:,} bytes, over the limit of 8,388,608 (max_record_bytes)")]
    assert peak1 - peak0 < 32, (peak0, peak1)


def test_include_and_exclude_patterns_in_linear_time_on_long_paths():
    from curate.sources.docs.config import DocsSourceConfig
    from curate.sources.roots import path_pattern

    defaults = DocsSourceConfig(type="docs", path="x")
    patterns = [path_pattern(p) for p in defaults.include + defaults.exclude + ["version-*/**/*.{md,mdx}"]]
    names = ["-" * 250, "a-" * 125, "\t" * 250, " " * 250, "1" * 250, "_" + "a" * 249]
    paths = ["/".join([n] * 16) + "/x.md" for n in names]  # about 4,000 characters, as deep as PATH_MAX allows
    t0 = time.perf_counter()
    for p in patterns:
        for path in paths:
            p.match(path)
    assert time.perf_counter() - t0 < 2


def test_globs_with_several_double_stars_in_linear_time_on_deep_paths():
    """Matched name by name, three ``**`` cost names x components steps: as one regular
    expression they took 7 s on a 1,000-folder path and grew with its cube."""
    from curate.sources.roots import glob_regex, path_pattern

    globs = [glob_regex("**/a/**/b/**/*.md".split("/")), path_pattern("**/a/**/b/**/*.md"),
             path_pattern("docs/**/x/**/y/**/z/**")]
    deep = "a/" * 2000 + "q"
    t0 = time.perf_counter()
    for g in globs:
        assert not g.match(deep)
    assert glob_regex("**/a/**/b/**/*.md".split("/")).match("x/a/y/b/z/q.md")
    assert time.perf_counter() - t0 < 1


def test_threads_of_shuffled_rows_in_near_linear_time(tmp_path):
    """24,000 tweets of 12,000 shuffled reply threads group in seconds: a join that made the
    grouping take rows x threads steps took 111 s for 30,000 rows of 28,000 threads."""
    import csv
    import random

    from curate.sources.base import SourceState, get_source_class

    rows, tid = [], 0
    for t in range(12000):
        for k in range(2):
            tid += 1
            rows.append([str(tid), "True" if k % 2 == 0 else "False", f"2017-11-01 10:00:{k:02d}",
                         f"message {k} of thread {t}", f"{tid - 1}.0" if k else ""])
    random.Random(7).shuffle(rows)
    with open(tmp_path / "t.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["tweet_id", "inbound", "created_at", "text", "in_response_to_tweet_id"])
        w.writerows(rows)
    cls = get_source_class("csv")
    conf = cls.Config.model_validate(
        {"type": "csv", "path": "t.csv", "fields": {"id": "tweet_id", "text": "text", "in_reply_to": "in_response_to_tweet_id",
                                                     "inbound": "inbound", "order_by": "created_at"}},
        context={"base_dir": tmp_path})
    t0 = time.perf_counter()
    events = list(cls(conf, tmp_path).read(SourceState(tmp_path / "s.json")))
    elapsed = time.perf_counter() - t0
    assert len(events) == 12000 and all(len(e["messages"]) == 2 for e in events)
    assert elapsed < 15, f"{elapsed:.1f} s"
