"""Blind human evaluation against a real Label Studio: push (twice: nothing is imported
again), check that nothing reviewers can see names a system or holds the personal data in
an output, three reviewers rate through the API with their own tokens (taking the next task
as the labeling UI does and judging the answers by their text), pull, and report."""

from __future__ import annotations

import json

import httpx
import krippendorff
import numpy as np
import polars as pl
import pytest
from eval_data import CANNED, OPENING, PII, SYSTEMS, benchmark_items, write_files

from curate.labelstudio.client import Connection, LabelStudioClient
from curate.labelstudio.reviewers import login_token

pytestmark = pytest.mark.labelstudio

REVIEWERS = ("rater.one@curate-test.org", "rater.two@curate-test.org", "rater.three@curate-test.org")
DIMENSIONS = ("accuracy", "completeness", "tone", "compliance")
SAMPLE = 6


def judge(text: str) -> str:
    """Which kind of answer a reviewer sees, from its text alone."""
    if text.startswith(CANNED.split(".")[0]):
        return "canned"
    if text.startswith(OPENING):
        return "generic"
    return "specific"


#: what each reviewer gives each kind of answer; the second reviewer is stricter on completeness
BASE = {"specific": 5, "generic": 3, "canned": 1}


def rating(kind: str, reviewer: str, dimension: str) -> int:
    v = BASE[kind]
    if reviewer == REVIEWERS[1] and dimension == "completeness":
        v -= 1 if v > 1 else 0
    if reviewer == REVIEWERS[2] and kind == "generic" and dimension == "tone":
        v += 1
    return v


KIND_OF = {"finetuned-v3": "specific", "base-prompted": "generic", "legacy-bot": "canned"}


def next_task(client: LabelStudioClient, project_id: int) -> dict | None:
    r = httpx.get(f"{client.url}/api/projects/{project_id}/next/", timeout=30,
                  headers={"Authorization": f"Token {client.connection.token}"})
    if r.status_code == 404:
        return None
    r.raise_for_status()
    return r.json()


def answers(task: dict) -> dict[str, str]:
    return {k.removeprefix("output_"): v for k, v in task["data"].items() if k.startswith("output_")}


def annotate(client: LabelStudioClient, project_id: int, who: str) -> int:
    n = 0
    while (task := next_task(client, project_id)) is not None:
        result = []
        best = None
        for letter, text in answers(task).items():
            kind = judge(text)
            best = letter if kind == "specific" else best
            for d in DIMENSIONS:
                result.append({"from_name": f"{d}_{letter}", "to_name": f"output_{letter}", "type": "choices",
                               "value": {"choices": [str(rating(kind, who, d))]}})
        choice = "none" if (who == REVIEWERS[2] and n == 0) else best
        result.append({"from_name": "preference", "to_name": "conversation", "type": "choices", "value": {"choices": [choice]}})
        client.create_annotation(task["id"], result, lead_time=30.0)
        n += 1
        assert n <= 2 * SAMPLE, "the labeling queue does not end"
    return n


def test_blind_evaluation_with_three_reviewers(label_studio, tmp_path):
    ls = label_studio
    items = benchmark_items()[::22]  # items of several task types and difficulties
    bench, files = write_files(tmp_path / "in", items)
    evdir = tmp_path / "eval"
    push = ("eval", "push", str(bench), *[x for s in SYSTEMS for x in ("--system", f"{s}={files[s]}")],
            "--out", str(evdir), "--sample-size", str(SAMPLE), "--reviewers", "3")
    out = " ".join(ls.cli(*push, cwd=tmp_path).stdout.split())
    assert f"{SAMPLE} items sampled of {len(items)}: {SAMPLE} imported, 0 already" in out, out
    assert "PERSON" in out and "EMAIL_ADDRESS" in out  # the legacy system's personal data was replaced
    out = " ".join(ls.cli(*push, cwd=tmp_path).stdout.split())
    assert "0 imported, 6 already" in out and "up to date" in out, out

    # -- blinding: nothing reviewers can see names a system or holds an output's PII -----------
    pid = json.loads((evdir / "project.json").read_text())["project_id"]
    admin = LabelStudioClient(Connection(ls.url, ls.admin_token))
    project = admin.project(pid)
    assert project["maximum_annotations"] == 3 and project["overlap_cohort_percentage"] == 100
    tasks = admin.export(pid)
    assert len(tasks) == SAMPLE
    visible = json.dumps([project, tasks, list(admin.tasks(pid, fields="all"))]).casefold()
    for name in (*SYSTEMS, "finetuned", "prompted", "legacy"):  # not even part of a name
        assert name.casefold() not in visible, name
    for value in PII:
        assert value.casefold() not in visible, value
    for t in tasks:
        assert set(t["data"]) == {"record_id", "eval_id", "conversation", "reference", "output_A", "output_B", "output_C"}
        assert not t.get("file_upload")
        kinds = sorted(judge(v) for v in answers(t).values())
        assert kinds == ["canned", "generic", "specific"]
        canned = next(v for v in answers(t).values() if judge(v) == "canned")
        assert "<PERSON_" in canned and "<EMAIL_ADDRESS_" in canned and "<PHONE_NUMBER_" in canned
    positions = {next(k for k, v in answers(t).items() if judge(v) == "specific") for t in tasks}
    assert len(positions) > 1  # the order differs between items
    sample = json.loads((evdir / "sample.json").read_text())["items"]
    assert {it["id"] for it in sample} == {t["data"]["record_id"] for t in tasks}

    # an eval folder made afresh under the same name has new letters: it gets a project of its own
    again = [*push[:-6], "--out", str(tmp_path / "again" / "eval"), *push[-4:]]
    out = " ".join(ls.cli(*again, cwd=tmp_path).stdout.split())
    assert "(created)" in out and f"project {pid} " not in out and f"{SAMPLE} imported, 0 already" in out, out

    # -- three reviewers, each with their own account and token --------------------------------
    creds = tmp_path / "raters.json"
    ls.cli("label", "reviewers", "add", *REVIEWERS, "--credentials", str(creds), cwd=tmp_path)
    logins = {r["email"]: r["password"] for r in json.loads(creds.read_text())["reviewers"]}
    tokens = {who: login_token(ls.url, who, logins[who]) for who in REVIEWERS}
    clients = {who: LabelStudioClient(Connection(ls.url, tok)) for who, tok in tokens.items()}
    for who in REVIEWERS:
        assert annotate(clients[who], pid, who) == SAMPLE
    assert next_task(clients[REVIEWERS[0]], pid) is None

    # -- pull: letters back to systems ------------------------------------------------------------
    out = " ".join(ls.cli("eval", "pull", str(evdir), cwd=tmp_path).stdout.split())
    assert f"{SAMPLE} items: {SAMPLE} rated by all reviewers" in out, out
    ratings = pl.read_parquet(evdir / "ratings.parquet")
    assert ratings.height == SAMPLE * 3 * len(SYSTEMS) * len(DIMENSIONS)
    for r in ratings.iter_rows(named=True):
        assert r["rating"] == rating(KIND_OF[r["system"]], r["reviewer"], r["dimension"]), r
    assert ratings["seconds"].min() == 30.0
    prefs = pl.read_parquet(evdir / "preferences.parquet")
    assert prefs.height == SAMPLE * 3
    assert prefs["choice"].to_list().count("finetuned-v3") == SAMPLE * 3 - 1 and prefs["choice"].null_count() == 1

    # -- report -----------------------------------------------------------------------------------
    rep = json.loads(ls.cli("eval", "report", str(evdir), "--json", "--bootstrap", "200", cwd=tmp_path).stdout)
    assert rep["items"] == SAMPLE and rep["reviewers"] == 3 and rep["systems"] == list(SYSTEMS)
    overall = {s: rep["means"][s]["overall"]["value"] for s in SYSTEMS}
    assert overall["finetuned-v3"] > overall["base-prompted"] > overall["legacy-bot"]
    assert rep["means"]["legacy-bot"]["accuracy"] == {"value": 1.0, "ci": [1.0, 1.0], "items": SAMPLE}
    pair = next(r for r in rep["pairwise"] if (r["a"], r["b"], r["dimension"]) == ("finetuned-v3", "legacy-bot", "overall"))
    assert (pair["wins"], pair["ties"], pair["losses"]) == (SAMPLE, 0, 0)
    assert pair["sign_test_p"] == pytest.approx(2 / 2**SAMPLE)
    units = sorted({(r["item"], r["system"]) for r in ratings.iter_rows(named=True)})
    matrix = np.full((3, len(units)), np.nan)
    for r in ratings.filter(pl.col("dimension") == "completeness").iter_rows(named=True):
        matrix[REVIEWERS.index(r["reviewer"]), units.index((r["item"], r["system"]))] = r["rating"]
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="ordinal")
    assert rep["agreement"]["completeness"]["alpha"]["value"] == pytest.approx(expected, abs=1e-5)
    assert sum(v["items"] for v in rep["strata"]["task_type"].values()) == SAMPLE
    assert rep["preference"]["systems"]["finetuned-v3"]["count"] == SAMPLE * 3 - 1
    table = ls.cli("eval", "report", str(evdir), cwd=tmp_path).stdout
    assert "finetuned-v3 vs legacy-bot" in table and "Agreement between raters" in table

    # -- nothing leaked: no token anywhere a user sees it, no output's PII in the eval folder ------
    secrets = [ls.admin_token, *tokens.values()]
    for text in ls.outputs:
        assert not any(s in text for s in secrets)
    for f in evdir.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert not any(s.encode() in data for s in secrets), f
            assert not any(v.encode() in data for v in PII), f
