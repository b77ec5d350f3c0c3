"""Dataset versions and `curate diff`: real builds and exports of a small run; labels as
`curate label pull` leaves them (the decisions table)."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import run_cli, write_config  # noqa: E402

from curate.labelstudio.decisions import DECISION_SCHEMA  # noqa: E402
from curate.versions.diff import diff_tables  # noqa: E402
from curate.versions.examples import EXAMPLE_SCHEMA  # noqa: E402
from curate.versions.recreate import recreate  # noqa: E402
from curate.versions.store import load_version, read_index  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "export"


def rows() -> list[dict[str, str]]:
    with (FIXTURES / "bitext_48.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_rows(path: Path, data: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(data[0]))
        w.writeheader()
        w.writerows(data)


def decide(run: Path, decisions: dict[str, tuple[str, str | None]]) -> None:
    ids = sorted(decisions)
    df = pl.DataFrame({
        "record_id": ids, "status": ["agreed"] * len(ids), "decision": [decisions[i][0] for i in ids],
        "corrected_response": [decisions[i][1] for i in ids], "category": ["ORDER"] * len(ids),
    })
    df = df.with_columns([pl.lit(None, dtype=t).alias(c) for c, t in DECISION_SCHEMA.items() if c not in df.columns])
    (run / "labels").mkdir(exist_ok=True)
    df.select(list(DECISION_SCHEMA)).cast(DECISION_SCHEMA).write_parquet(run / "labels" / "decisions.parquet")


def cli(*args: str, cwd: Path):
    r = run_cli(*args, cwd=cwd)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def test_versions_diff_and_recreate(tmp_path):
    data = rows()
    write_rows(tmp_path / "tickets.csv", data)
    write_config(tmp_path / "curate.yaml", {
        "name": "versions",
        "sources": [{"type": "csv", "name": "bitext", "path": "tickets.csv", "kind": "ticket",
                     "fields": {"id": "id", "user": "instruction", "assistant": "response", "meta": ["category"]}}],
        "redact": {"enabled": False}, "dedupe": {"enabled": False}, "embed": {"enabled": False},
        "select": {"strategy": "random", "budget": 10},
        "export": {"split": {"eval": 0.0, "test": 0.0}, "min_examples": 1, "versions": {"keep_text": True}},
    })
    cli("build", "curate.yaml", cwd=tmp_path)
    run = tmp_path / "runs" / "versions"
    v1 = load_version(run, 1)
    assert v1.examples.height == 10 and v1.entry["parent"] is None and v1.entry["out"] == "export"
    chosen = sorted(v1.examples["id"].to_list())

    # labels arrive: one rejected, one corrected, the rest accepted -> v2
    decide(run, {**{i: ("accept", None) for i in chosen[2:]}, chosen[0]: ("reject", None),
                 chosen[1]: ("edit", "A corrected reply.")})
    out = cli("export", str(run), "-o", str(tmp_path / "out2"), cwd=tmp_path).stdout
    assert "dataset version v2 (parent v1: +0 added, -1 removed (rejected_by_reviewers 1)" in " ".join(out.split())
    d = json.loads(cli("diff", str(run), "--json", cwd=tmp_path).stdout)
    assert (d["from"]["version"], d["to"]["version"]) == (1, 2)
    assert d["counts"] == {"before": 10, "after": 9, "added": 0, "removed": 1, "changed": 9, "moved": 0, "unchanged": 0}
    assert d["removed"] == [{"id": chosen[0], "reason": "rejected_by_reviewers"}]
    assert d["changed_by_kind"] == {"corrected_response": 1, "labeled": 9}
    card = (tmp_path / "out2" / "README.md").read_text()
    assert "Version **v2**" in card and "parent: v1" in card and "rejected_by_reviewers 1" in card

    # a labeled ticket vanishes from the source, new tickets arrive -> v3 (the build's export)
    gone = chosen[3]
    write_rows(tmp_path / "tickets.csv", [r for r in data if f"csv:bitext:{r['id']}" != gone])
    cli("build", "curate.yaml", cwd=tmp_path)
    text = cli("diff", str(run), "--ids", cwd=tmp_path).stdout
    assert "v2 → v3" in text and f"- {gone} (missing_from_sources)" in text
    html = (run / "report.html").read_text()  # the build's report: its panel of changes
    assert 'id="versions"' in html and "missing_from_sources" in html and "against its parent v2" in html
    d = json.loads(cli("diff", str(run), "--from", "v1", "--to", "3", "--json", cwd=tmp_path).stdout)
    assert {r["id"]: r["reason"] for r in d["removed"]} == {chosen[0]: "rejected_by_reviewers", gone: "missing_from_sources"}
    assert [e["version"] for e in read_index(run)] == [1, 2, 3]
    listing = cli("versions", str(run), cwd=tmp_path).stdout
    assert "v3" in listing and "parent v2" in listing

    # two run folders: the same versions compare equal
    import shutil

    shutil.copytree(run, tmp_path / "copy")
    d = json.loads(cli("diff", str(run), str(tmp_path / "copy"), "--json", cwd=tmp_path).stdout)
    assert d["counts"]["unchanged"] == d["counts"]["before"] == d["counts"]["after"] == 8

    # re-create v2: exactly from the kept text ...
    cli("versions", str(run), "--recreate", "v2", "-o", str(tmp_path / "again"), cwd=tmp_path)
    assert (tmp_path / "again" / "train.jsonl").read_bytes() == (tmp_path / "out2" / "train.jsonl").read_bytes()
    # ... and, without it, from the run's current tables: the vanished record cannot come back
    (run / "versions" / "v2" / "examples.jsonl.gz").unlink()
    r = recreate(run, 2, tmp_path / "rebuilt")
    assert r["exact"] is False and r["gone"] == [gone] and r["identical"] == 8 and r["changed"] == []
    lines = (tmp_path / "rebuilt" / "train.jsonl").read_text().splitlines()
    before = [x for x in (tmp_path / "out2" / "train.jsonl").read_text().splitlines()]
    assert len(lines) == 8 and set(lines) <= set(before)
    bad = run_cli("diff", str(run), "--from", "v9", cwd=tmp_path)
    assert bad.returncode == 2 and "no version v9" in bad.stderr and "Traceback" not in bad.stderr


def table(rows_: list[tuple]) -> pl.DataFrame:
    cols = list(EXAMPLE_SCHEMA)
    return pl.DataFrame([dict(zip(cols, r)) for r in rows_], schema=EXAMPLE_SCHEMA)


def test_diff_tables_kinds_moves_and_strata():
    old = table([
        ("a", "train", "s1", None, "accept", '{"category": "X"}', "h1", "r1", "e1"),
        ("b", "train", "s1", None, "accept", '{"category": "X"}', "h2", "r2", "e2"),
        ("c", "eval", "s2", None, None, None, "h3", "r3", "e3"),
        ("d", "train", "s2", None, None, None, "h4", "r4", "e4"),
        ("e", "train", "s2", None, None, None, "h5", "r5", "e5"),
    ])
    new = table([
        ("a", "train", "s1", None, "accept", '{"category": "Y"}', "h1", "r1", "e1x"),  # relabeled
        ("b", "eval", "s1", None, "edit", '{"category": "X"}', "h2", "r2x", "e2x"),  # corrected + moved
        ("c", "eval", "s2", None, None, None, "h3x", "r3x", "e3x"),  # different text (redaction)
        ("d", "train", "s2", None, None, None, "h4", "r4", "e4y"),  # rendered differently
        ("f", "train", "s1", None, None, None, "h6", "r6", "e6"),
    ])
    d = diff_tables(old, new, pl.DataFrame({"id": ["e"], "stage": ["export"], "reason": ["not_selected"], "cause": [None]}))
    assert d["counts"] == {"before": 5, "after": 5, "added": 1, "removed": 1, "changed": 4, "moved": 1, "unchanged": 0}
    assert {c["id"]: c["kinds"] for c in d["changed"]} == {
        "a": ["relabeled"], "b": ["relabeled", "corrected_response"], "c": ["different_text"], "d": ["rendered_differently"]}
    assert d["removed"] == [{"id": "e", "reason": "no_longer_selected"}]
    assert d["moved"] == [{"id": "b", "from": "train", "to": "eval"}]
    assert d["strata"] == {"s1": {"added": 1, "changed": 2, "moved": 1}, "s2": {"changed": 2, "removed": 1}}


@pytest.mark.parametrize("args", [["--from", "x1"], ["--to", "0"]])
def test_bad_version_names_are_one_line_errors(tmp_path, args):
    r = run_cli("diff", str(tmp_path), *args, cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
