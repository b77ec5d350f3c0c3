"""`curate dedupe IN -o OUT` as a user runs it: through typer's CliRunner and as a real
subprocess (exit codes, one-line errors)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from helpers import FIXTURES, run_cli
from typer.testing import CliRunner

from curate.cli.main import app
from curate.errors import CurateError, InputError

RN = FIXTURES / "dedupe" / "react-native"


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture pages as a records file: one record per page and version."""
    path = tmp_path_factory.mktemp("pages") / "pages.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(
            json.dumps({"id": f"{p.parent.name}/{p.name}", "text": p.read_text(encoding="utf-8")}) + "\n"
            for p in sorted(RN.glob("*/*.md"))
        )
    return path


def test_pages_grouped_by_version(pages: Path, tmp_path: Path) -> None:
    out, groups = tmp_path / "kept.jsonl", tmp_path / "groups.csv"
    r = CliRunner().invoke(app, ["dedupe", str(pages), "-o", str(out), "--groups", str(groups), "--keep", "first"])
    assert r.exit_code == 0, r.output
    kept = [json.loads(line) for line in out.read_text().splitlines()]
    g = pl.read_csv(groups)
    assert g.height == 20 and set(g.columns) >= {"id", "dup_group", "kept", "is_representative", "drop_reason", "dup_of"}
    members: dict[str, set[str]] = {}
    for row in g.iter_rows(named=True):
        members.setdefault(row["dup_group"], set()).add(row["id"])
    by_page = sorted(sorted(m) for m in members.values())
    v = ["next", "version-0.77", "version-0.80", "version-0.83", "version-0.86"]
    expected = sorted(
        [
            sorted(f"{x}/appearance.md" for x in ("next", "version-0.86")),
            sorted(f"{x}/appearance.md" for x in ("version-0.77", "version-0.80", "version-0.83")),
            sorted(f"{x}/debugging.md" for x in ("next", "version-0.83", "version-0.86")),
            sorted(f"{x}/debugging.md" for x in ("version-0.77", "version-0.80")),
            sorted(f"{x}/share.md" for x in v),
            sorted(f"{x}/vibration.md" for x in v),
        ]
    )
    assert by_page == expected
    # one kept record per group, the first seen; OUT holds exactly the kept records
    assert sorted(r["id"] for r in kept) == sorted(min(m) for m in members.values())
    assert set(g.filter(pl.col("kept"))["id"]) == {r["id"] for r in kept}
    assert all("dup_group" not in r and "drop_reason" not in r for r in kept)
    assert "20 records → 6 kept" in r.output and "16 bands x 6 rows" in r.output


def test_options_and_formats(pages: Path, tmp_path: Path) -> None:
    out, groups = tmp_path / "kept.parquet", tmp_path / "groups.jsonl"
    r = CliRunner().invoke(
        app,
        ["dedupe", str(pages), "-o", str(out), "--groups", str(groups), "--threshold", "0.3",
         "--num-perm", "64", "--ngram", "3", "--shingle", "word", "--keep", "longest"],
    )
    assert r.exit_code == 0, r.output
    kept = pl.read_parquet(out)
    rows = [json.loads(line) for line in groups.read_text().splitlines()]
    assert len(rows) == 20 and kept.height == sum(r["kept"] for r in rows)
    # at 0.3 the rewritten versions of a page merge too: one group per page
    assert len({r["dup_group"] for r in rows}) == 4
    lengths = {r["id"]: len(r["text"]) for r in pl.read_ndjson(pages).iter_rows(named=True)}
    for row in rows:
        if not row["kept"]:
            assert lengths[row["dup_of"]] >= lengths[row["id"]]  # kept ones were visited first
    r = CliRunner().invoke(app, ["dedupe", str(pages), "-o", str(tmp_path / "x.jsonl"), "--exact-only"])
    assert r.exit_code == 0 and "near duplicates" in r.output
    assert "MinHash" not in r.output


def test_user_errors_exit_2_in_one_line(pages: Path, tmp_path: Path) -> None:
    r = run_cli("dedupe", str(pages), "-o", str(tmp_path / "o.jsonl"), "--threshold", "1.5")
    assert r.returncode == 2 and "--threshold" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    runner = CliRunner()
    for args, words in (
        (["--keep", "oldest"], "--keep"),
        (["--num-perm", "4"], "--num-perm"),
        (["-o", str(tmp_path / "o.txt")], ".jsonl or .parquet"),
        (["--groups", str(tmp_path / "g.xlsx")], ".csv"),
    ):
        res = runner.invoke(app, ["dedupe", str(pages), "-o", str(tmp_path / "o.jsonl"), *args])
        assert isinstance(res.exception, CurateError) and res.exception.exit_code == 2, args
        assert words in res.exception.message
    res = runner.invoke(app, ["dedupe", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "o.jsonl")])
    assert isinstance(res.exception, InputError) and "file not found" in res.exception.message
    res = runner.invoke(app, ["dedupe", "--help"])
    assert res.exit_code == 0 and "--groups" in res.output and "--threshold" in res.output
