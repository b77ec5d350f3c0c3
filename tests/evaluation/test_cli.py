"""`curate eval` as a user runs it: scores and reports as JSON, and every mistake one line
with exit code 2 (1 for a server that is not there), never a traceback. No Label Studio
server is needed here (tests/evaluation/test_integration.py has one)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml
from eval_data import SYSTEMS, benchmark_items, write_files
from helpers import run_cli
from rich.console import Console
from rouge_score import rouge_scorer

from curate.config import parse_config
from curate.errors import ConfigError, InputError
from curate.evaluation.ratings import read_ratings_file
from curate.evaluation.render import print_human

TICKETS = Path(__file__).resolve().parents[1] / "fixtures" / "labelstudio" / "tickets.csv"
SOURCE = {"type": "csv", "path": str(TICKETS), "fields": {"id": "id", "user": "instruction", "assistant": "response"}}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    items = benchmark_items()[::15]
    bench, preds = write_files(folder, items)
    return folder, items, bench, preds


def system_args(preds: dict[str, Path]) -> list[str]:
    return [x for s in SYSTEMS for x in ("--system", f"{s}={preds[s]}")]


def one_line_error(r, code: int, expected: str) -> None:
    assert r.returncode == code, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and expected in " ".join(r.stderr.split()), r.stderr


def test_score_json_and_per_item_rows(files, tmp_path):
    _, items, bench, preds = files
    r = run_cli("eval", "score", str(bench), *system_args(preds), "--no-embedding", "--json", "--bootstrap", "200",
                "--items", str(tmp_path / "items.jsonl"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["systems"] == list(SYSTEMS) and rep["items"] == len(items) and rep["embedding_model"] is None
    rows = [json.loads(x) for x in (tmp_path / "items.jsonl").read_text().splitlines()]
    assert len(rows) == len(items) * 3 and set(rows[0]) == {"id", "system", "exact_match", "token_f1", "rouge_l"}
    scorer = rouge_scorer.RougeScorer(["rougeL"])
    outputs = {s: {json.loads(x)["id"]: json.loads(x) for x in preds[s].read_text().splitlines()} for s in SYSTEMS}
    ft = [scorer.score(it["reference"], outputs["finetuned-v3"][it["id"]]["output"])["rougeL"].fmeasure for it in items]
    assert rep["scores"]["finetuned-v3"]["rouge_l"]["value"] == pytest.approx(np.mean(ft), abs=1e-5)
    assert set(rep["strata"]) == {"task_type", "difficulty"}
    assert sum(v["items"] for v in rep["strata"]["task_type"].values()) == len(items)
    assert not any(it["reference"][:40] in r.stdout for it in items)  # figures only, no text


def test_report_from_a_ratings_file(files, tmp_path):
    _, items, bench, _ = files
    path = tmp_path / "ratings.csv"
    rng = np.random.default_rng(0)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["item", "system", "reviewer", "dimension", "rating"])
        for it in items:
            for s, q in zip(SYSTEMS, (4, 3, 1)):
                for who in ("ann", "bea"):
                    for d in ("accuracy", "tone"):
                        w.writerow([it["id"], s, who, d, int(np.clip(q + rng.integers(-1, 2), 1, 5))])
    r = run_cli("eval", "report", "--ratings", str(path), "--benchmark", str(bench), "--json", "--bootstrap", "200",
                "--out", str(tmp_path / "rep.json"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert json.loads((tmp_path / "rep.json").read_text())["means"] == rep["means"]
    df = pl.read_csv(path)
    expected = (df.filter((pl.col("system") == "legacy-bot") & (pl.col("dimension") == "tone"))
                .group_by("item").agg(pl.col("rating").mean())["rating"].mean())
    assert rep["means"]["legacy-bot"]["tone"]["value"] == pytest.approx(expected, abs=1e-6)
    assert set(rep["strata"]) == {"task_type", "difficulty"} and rep["source"] == {"ratings": str(path)}
    console = Console(record=True, width=80)
    print_human(rep, console)
    table = console.export_text()
    assert "Mean rating per system" in table and "Agreement between raters" in table and "Per task_type" in table
    assert max(len(line) for line in table.splitlines()[1:]) <= 80  # the first line holds a path, kept whole

    bad = tmp_path / "bad.csv"
    bad.write_text("item,system,reviewer,dimension,rating\na,x,ann,tone,4\na,x,ann,tone,five\n")
    one_line_error(run_cli("eval", "report", "--ratings", str(bad), cwd=tmp_path), 2, "bad.csv:3: rating is not a number")


@pytest.mark.parametrize("name, text, message", [
    ("r.csv", "item,system,reviewer,dimension,rating\na,x,ann,tone,4\na,x,ann,tone,5\n",
     "r.csv:3: reviewer 'ann' rated item 'a', system 'x' on 'tone' again (first at"),
    ("r.csv", "item,system,rating\na,x,4\n", "no column(s) reviewer, dimension"),
    ("r.csv", "item,system,reviewer,dimension,rating\na,,ann,tone,4\n", "r.csv:2: no system"),
    ("r.jsonl", '{"item": "a", "system": "x", "reviewer": "ann", "dimension": "tone", "rating": 4}\n\n{"item": "b"\n',
     "r.jsonl:3: invalid JSON"),
    ("r.jsonl", '{"item": "a", "system": "x", "reviewer": "ann", "dimension": "tone", "rating": true}\n',
     "r.jsonl:1: rating is not a number"),
    ("r.xlsx", "", "expected a .csv, .tsv, .jsonl or .parquet ratings file"),
    ("r.csv", b"item,system,reviewer,dimension,rating\n\xff\xfe,x,ann,tone,4\n", "r.csv: not valid UTF-8"),
])
def test_bad_ratings_files(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(InputError) as exc:
        read_ratings_file(path)
    assert message in str(exc.value)


def test_push_mistakes_are_one_line(files, tmp_path):
    _, items, bench, preds = files
    stray = tmp_path / "stray.jsonl"
    stray.write_text(preds["legacy-bot"].read_text() + json.dumps({"id": "nope", "output": "x"}) + "\n")
    args = ["eval", "push", str(bench), "--system", f"a={preds['finetuned-v3']}", "--system", f"b={stray}"]
    one_line_error(run_cli(*args, "--out", str(tmp_path / "ev"), cwd=tmp_path), 2,
                   f"stray.jsonl:{len(items) + 1}: id 'nope' is not in the benchmark")
    one_line_error(run_cli(*args[:5], cwd=tmp_path), 2, "not in a run folder; give --run RUN")
    config = tmp_path / "curate.yaml"
    config.write_text(yaml.safe_dump({"name": "x", "sources": [SOURCE],
                                      "redact": {"enabled": False}}))
    one_line_error(run_cli(*args[:5], "--config", str(config), "--out", str(tmp_path / "ev"), cwd=tmp_path), 2,
                   "redact is disabled in the config")
    one_line_error(run_cli(*args[:5], "--out", str(tmp_path / "ev"), "--scale", "5,4,3", cwd=tmp_path), 2,
                   "human_eval.rating_scale: the ratings must increase")

    # no server: the sample is kept, and the next push must have the same inputs
    env = {"CURATE_LS_DATA_DIR": str(tmp_path / "no-server"), "CURATE_LS_URL": "", "CURATE_LS_TOKEN": ""}
    ok_args = ["eval", "push", str(bench), *system_args(preds), "--out", str(tmp_path / "ev2"), "--sample-size", "5"]
    one_line_error(run_cli(*ok_args, cwd=tmp_path, env=env), 1, "no Label Studio server")
    sample = json.loads((tmp_path / "ev2" / "sample.json").read_text())["items"]
    assert len(sample) == 5 and all(sorted(it["letters"].values()) == sorted(SYSTEMS) for it in sample)
    settings = json.loads((tmp_path / "ev2" / "eval.json").read_text())
    assert settings["human_eval"]["sample_size"] == 5 and [s["name"] for s in settings["systems"]] == list(SYSTEMS)
    one_line_error(run_cli(*ok_args[:-1], "6", cwd=tmp_path, env=env), 2,
                   "this eval was pushed with other inputs (the human_eval settings changed)")
    one_line_error(run_cli("eval", "report", str(tmp_path / "ev2"), cwd=tmp_path), 2, "no ratings yet")


def test_human_eval_section_in_curate_yaml(tmp_path):
    head = "name: x\nsources:\n  - " + json.dumps(SOURCE) + "\n"
    text = head + """human_eval:
  sample_size: 200
  dimensions: [accuracy, {name: empathy, criteria: Acknowledges the problem.}]
  show_gold: false
"""
    cfg = parse_config(text, tmp_path / "curate.yaml")
    assert cfg.human_eval.sample_size == 200 and cfg.human_eval.reviewers == 3 and not cfg.human_eval.show_gold
    assert [d.name for d in cfg.human_eval.dimensions] == ["accuracy", "empathy"]
    for bad, message in (
        ("  rating_scale: [1, 3, 2]\n", "curate.yaml:5: human_eval.rating_scale: the ratings must increase"),
        ("  dimensions: [tone, tone]\n", "curate.yaml:5: human_eval.dimensions: duplicate names: tone"),
        ("  dimensions: [overall]\n", "'overall' is the mean over the dimensions"),
        ("  dimensions: [Tone Of Voice]\n", "curate.yaml:5: human_eval.dimensions[0].name"),
        ("  reviewer: 3\n", "curate.yaml:5: human_eval.reviewer: unknown key (did you mean 'reviewers'?)"),
    ):
        with pytest.raises(ConfigError) as exc:
            parse_config(f"{head}human_eval:\n{bad}", tmp_path / "curate.yaml")
        assert message in str(exc.value), str(exc.value)
