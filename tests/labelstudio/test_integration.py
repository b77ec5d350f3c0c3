"""End to end against a real Label Studio: build a run, create reviewer accounts, push, two
reviewers annotate through the API with their own tokens (as the labeling UI does: take
the next task, submit an annotation), pull, agreement, adjudication by a third person,
pull again, export."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import httpx
import polars as pl
import pytest
import yaml
from helpers import run_cli
from labelstudio_server import PAGE_SIZE_MAX

from curate.labelstudio.adjudicate import PREFILL_KEY, PREFILL_VERSION
from curate.labelstudio.client import (
    Connection,
    LabelStudioClient,
    LabelStudioError,
    LabelStudioUnavailable,
)
from curate.labelstudio.config import LabelConfig
from curate.labelstudio.counting import result_values
from curate.labelstudio.push import existing_record_ids, push
from curate.labelstudio.reviewers import login_token
from curate.labelstudio.state import ProjectState
from curate.run import RunFolder

pytestmark = pytest.mark.labelstudio

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "labelstudio"
ANN, BEA, CAL = "ann@curate-test.org", "bea@curate-test.org", "cal@curate-test.org"
CATEGORIES = ["ORDER", "INVOICE", "ACCOUNT", "OTHER"]
#: a correction with an indented line of its own: the adjudicator must see it as written
FIX = "Line one of the fix.\n  Indented as the reviewer wrote it."


def build_run(work: Path, ls) -> Path:
    shutil.copy(FIXTURES / "tickets.csv", work / "tickets.csv")
    (work / "curate.yaml").write_text(yaml.safe_dump({
        "name": "ls-e2e",
        "sources": [{"type": "csv", "name": "bitext", "path": "tickets.csv", "kind": "ticket",
                     "fields": {"id": "id", "user": "instruction", "assistant": "response",
                                "meta": ["intent", "category"]}}],
        "redact": {"enabled": False}, "dedupe": {"enabled": False}, "embed": {"enabled": False},
        "select": {"enabled": True, "strategy": "random", "budget": 12},
        "label": {"task": "response_review", "categories": CATEGORIES, "chunk_size": 5},
    }, sort_keys=False))
    ls.cli("build", "curate.yaml", cwd=work)
    return work / "runs" / "ls-e2e"


def result(verdict, category, quality, corrected=None):
    r = [
        {"from_name": "verdict", "to_name": "response", "type": "choices", "value": {"choices": [verdict]}},
        {"from_name": "category", "to_name": "conversation", "type": "choices", "value": {"choices": [category]}},
        {"from_name": "quality", "to_name": "response", "type": "rating", "value": {"rating": quality}},
    ]
    if corrected:
        r.append({"from_name": "corrected_response", "to_name": "response", "type": "textarea",
                  "value": {"text": [corrected]}})
    return r


def plan(rid: str, order: list[str], who: str):
    """What each reviewer answers: mostly the same, with deliberate disagreements."""
    i = order.index(rid)
    if i % 4 == 1:  # both edit, with near-identical corrections: agreed
        fix = f"Thanks for reaching out about {rid}. Here is what to do next"
        return result("edit", "ORDER", 3, fix + ("." if who == ANN else "!"))
    if i == 2 and who == BEA:                    # verdict, category and quality disagree
        return result("edit", "OTHER", 1, FIX)
    if i == 6 and who == BEA:
        return result("accept", "INVOICE", 5)    # category disagrees; quality 4 and 5 agree (±1)
    if i == 8 and who == BEA:
        return result("reject", "OTHER", 1)      # disagreement that a third vote settles
    return result("accept", "ORDER", 4 if who == ANN else 5)


def next_task(client: LabelStudioClient, project_id: int) -> dict | None:
    """The next task of the labeling stream for the client's user, as the labeling UI asks
    for it (label-studio-sdk has no call for it)."""
    r = httpx.get(f"{client.url}/api/projects/{project_id}/next/", timeout=30,
                  headers={"Authorization": f"Token {client.connection.token}"})
    if r.status_code == 404:
        return None
    r.raise_for_status()
    return r.json()


def annotate_all(client: LabelStudioClient, project_id: int, who: str, order: list[str]) -> int:
    """Take the next task and submit, until the queue is empty (as the labeling UI does)."""
    n = 0
    while (task := next_task(client, project_id)) is not None:
        rid = task["data"]["record_id"]
        client.create_annotation(task["id"], plan(rid, order, who), lead_time=20.0 + n)
        n += 1
        assert n <= 50, "the labeling queue does not end"
    return n


def test_two_reviewers_agreement_adjudication_export(label_studio, tmp_path):
    ls = label_studio
    run = build_run(tmp_path, ls)

    # -- reviewer accounts ------------------------------------------------------------
    creds_file = tmp_path / "reviewers.json"
    out = ls.cli("label", "reviewers", "add", ANN, BEA, CAL, "--credentials", str(creds_file), cwd=tmp_path).stdout
    assert out.count("created") == 3
    assert stat.S_IMODE(creds_file.stat().st_mode) == 0o600
    first = {r["email"]: r["password"] for r in json.loads(creds_file.read_text())["reviewers"]}
    again = ls.cli("label", "reviewers", "add", ANN, "--credentials", str(creds_file), cwd=tmp_path).stdout
    assert "exists already" in again
    # bea forgot her password: a new one, merged into the same file (the others' are kept)
    out = ls.cli("label", "reviewers", "reset", BEA, "--credentials", str(creds_file), cwd=tmp_path).stdout
    assert f"new password for {BEA} in {creds_file}" in " ".join(out.split())
    logins = {r["email"]: r["password"] for r in json.loads(creds_file.read_text())["reviewers"]}
    assert sorted(logins) == sorted([ANN, BEA, CAL]) and logins[BEA] != first[BEA]
    assert {k: v for k, v in logins.items() if k != BEA} == {k: v for k, v in first.items() if k != BEA}
    assert stat.S_IMODE(creds_file.stat().st_mode) == 0o600
    with pytest.raises(LabelStudioError, match="login as bea"):
        login_token(ls.url, BEA, first[BEA])
    r = run_cli("label", "reviewers", "reset", "nobody@curate-test.org", cwd=tmp_path, env=ls.env)
    assert r.returncode == 2 and "no account nobody@curate-test.org" in r.stderr and "Traceback" not in r.stderr

    # -- push, twice: the second adds nothing -------------------------------------------
    out = ls.cli("label", "push", str(run), "--allow-unredacted", cwd=tmp_path).stdout
    assert "12 imported, 0 already" in out, out
    out = ls.cli("label", "push", "curate.yaml", "--allow-unredacted", cwd=tmp_path).stdout
    assert "0 imported, 12 already" in out and "up to date" in out, out
    state = ProjectState.load(run)
    admin = LabelStudioClient(Connection(ls.url, ls.admin_token))
    project = admin.project(state.project_id)
    assert project["maximum_annotations"] == 2 and project["overlap_cohort_percentage"] == 100
    assert "HyperText" not in project["label_config"]
    tasks = list(admin.tasks(state.project_id))
    assert len(tasks) == 12 and len({t["id"] for t in tasks}) == 12
    # ... although the server caps a page (tests/labelstudio_server.py) below what curate asks
    page = httpx.get(f"{ls.url}/api/tasks/", params={"project": state.project_id, "page_size": 500},
                     headers={"Authorization": f"Token {ls.admin_token}"}, timeout=30).json()
    assert len(page["tasks"]) == PAGE_SIZE_MAX < page["total"] == 12
    # the ticket holding markup reaches Label Studio as the same characters, for <Text>
    script = next(t for t in tasks if t["data"]["record_id"].endswith("crafted-script"))
    assert "<script>alert('x')</script>" in script["data"]["conversation"]

    # -- two reviewers annotate with their own tokens ------------------------------------
    order = sorted(t["data"]["record_id"] for t in tasks)
    tokens = {who: login_token(ls.url, who, logins[who]) for who in (ANN, BEA, CAL)}
    assert len(set(tokens.values())) == 3
    reviewer = {who: LabelStudioClient(Connection(ls.url, tok)) for who, tok in tokens.items()}
    assert annotate_all(reviewer[ANN], state.project_id, ANN, order) == 12
    assert annotate_all(reviewer[BEA], state.project_id, BEA, order) == 12
    assert next_task(reviewer[CAL], state.project_id) is None  # two annotations per task: done

    by_rid = {t["data"]["record_id"]: t["id"] for t in tasks}
    users = {u["email"]: u["id"] for u in admin.users()}
    # a third opinion, posted directly: not counted for agreement, a vote for `majority`
    reviewer[CAL].create_annotation(by_rid[order[8]], result("accept", "ORDER", 4))
    # an admin posting in a reviewer's name: not counted at all
    admin.create_annotation(by_rid[order[0]], result("reject", "OTHER", 1), completed_by=users[CAL])

    # -- pull ------------------------------------------------------------------------------
    out = ls.cli("label", "pull", str(run), cwd=tmp_path).stdout
    labels_dir = run / "labels"
    raws = sorted((labels_dir / "raw").glob("*.json"))
    assert len(raws) == 1
    labels = pl.read_parquet(labels_dir / "labels.parquet")
    assert labels.columns == ["record_id", "task_id", "annotation_id", "reviewer", "field", "value", "seconds", "created_at"]
    per_record = labels.group_by("record_id").agg(pl.col("reviewer").n_unique().alias("n"), pl.col("reviewer").unique())
    assert per_record.height == 12 and per_record["n"].to_list() == [2] * 12
    assert set(labels["reviewer"]) == {ANN, BEA}
    assert labels["seconds"].min() >= 20.0
    assert json.loads((labels_dir / "fields.json").read_text()) == {
        "verdict": "nominal", "category": "nominal", "quality": "ordinal", "corrected_response": "text", "note": "text",
    }
    pulled = json.loads((labels_dir / "pull.json").read_text())
    assert pulled["counts"]["impersonated"] == 1 and pulled["counts"]["extra_reviewer"] == 1
    assert "impersonated 1" in out and "extra reviewer 1" in out
    dec = pl.read_parquet(labels_dir / "decisions.parquet")
    status = dict(dec.group_by("status").len().iter_rows())
    assert status == {"agreed": 9, "disagreed": 2, "majority": 1}, status
    assert dec.filter(pl.col("record_id") == order[8])["decision"].item() == "accept"
    assert pulled["adjudication_queued"] == 3 and state.adjudication_project_id is None

    # -- agreement ---------------------------------------------------------------------------
    report = json.loads(ls.cli("agreement", str(run), "--json", "--bootstrap", "0", cwd=tmp_path).stdout)
    verdict = report["fields"]["verdict"]
    assert verdict["items_compared"] == 12
    assert verdict["percent_agreement"]["value"] == pytest.approx(10 / 12, abs=1e-6)
    assert report["fields"]["category"]["percent_agreement"]["value"] == pytest.approx(9 / 12, abs=1e-6)
    assert (run / "agreement.json").exists()

    # -- adjudication ------------------------------------------------------------------------
    out = ls.cli("label", "adjudicate", str(run), cwd=tmp_path).stdout
    assert "0 queued, 3 already there" in out, out
    state = ProjectState.load(run)
    adj_tasks = {t["data"]["record_id"]: t for t in admin.tasks(state.adjudication_project_id)}
    assert sorted(adj_tasks) == sorted([order[2], order[6], order[8]])
    reviews = adj_tasks[order[2]]["data"]["reviews"]
    assert "Reviewer A" in reviews and ANN not in reviews and BEA not in reviews
    assert f"corrected reply:\n{FIX}" in reviews  # as written: copying it brings no indentation of ours
    project = admin.project(state.adjudication_project_id)
    assert project["maximum_annotations"] == 1
    assert project["show_collab_predictions"] is True and project["model_version"] == PREFILL_VERSION
    # the agreed fields start filled in (a prediction); only the category is asked for
    six = next(t for t in admin.tasks(state.adjudication_project_id, fields="all") if t["data"]["record_id"] == order[6])
    assert [p["model_version"] for p in six["predictions"]] == [PREFILL_VERSION]
    assert result_values(six["predictions"][0]["result"]) == six["data"][PREFILL_KEY] == {"verdict": "accept", "quality": "5"}
    assert "They disagree on: category." in six["data"]["reviews"]
    assert "Already filled in, as both reviewers answered (change only if you disagree): verdict, quality (1-5)." in six["data"]["reviews"]

    # ann reviewed every record: her adjudication does not count, and the next pull re-opens
    # the task Label Studio now counts as done
    reviewer[ANN].create_annotation(adj_tasks[order[2]]["id"], result("accept", "ORDER", 4))
    out = " ".join(ls.cli("label", "pull", str(run), cwd=tmp_path).stdout.split())
    assert "re-opened 1 task(s)" in out and f"task {adj_tasks[order[2]]['id']} (record {order[2]}), answered by {ANN}" in out, out
    pulled = json.loads((labels_dir / "pull.json").read_text())
    assert [r["record_id"] for r in pulled["adjudication_reopened"]] == [order[2]]
    out = " ".join(ls.cli("label", "status", str(run), cwd=tmp_path).stdout.split())
    assert "one of the record's two reviewers; it does not count" in out  # the last pull's warnings
    # cal takes the adjudication queue as a person would, the re-opened task included;
    # leaves the majority one to the vote
    seen = []
    while (t := next_task(reviewer[CAL], state.adjudication_project_id)) is not None:
        seen.append(t["data"]["record_id"])
        assert len(seen) <= 5
        if seen[-1] == order[6]:  # the category; the verdict changed too; the quality left as shown
            reviewer[CAL].create_annotation(t["id"], result("reject", "ACCOUNT", 5))
        elif seen[-1] == order[2]:
            reviewer[CAL].create_annotation(t["id"], result("edit", "INVOICE", 2, "The adjudicated, corrected reply."))
        else:  # skip, as the Skip button does
            reviewer[CAL].create_annotation(t["id"], [], was_cancelled=True)
    assert sorted(seen) == sorted([order[2], order[6], order[8]])

    out = ls.cli("label", "pull", str(run), cwd=tmp_path).stdout
    assert len(list((labels_dir / "raw").glob("*.json"))) == 3
    dec = pl.read_parquet(labels_dir / "decisions.parquet")
    status = dict(dec.group_by("status").len().iter_rows())
    assert status == {"agreed": 9, "adjudicated": 2, "majority": 1}, status
    adjudicated = {r["record_id"]: r for r in dec.filter(pl.col("status") == "adjudicated").iter_rows(named=True)}
    assert adjudicated[order[2]]["decision"] == "edit"
    assert adjudicated[order[2]]["corrected_response"] == "The adjudicated, corrected reply."
    assert adjudicated[order[2]]["adjudicator"] == CAL
    six = adjudicated[order[6]]
    assert (six["category"], six["decision"], six["quality"]) == ("ACCOUNT", "reject", 4.5)  # 4.5: the reviewers' 4 and 5
    pulled = json.loads((labels_dir / "pull.json").read_text())
    assert pulled["counts"]["adjudication_self_adjudication"] == 1
    assert pulled["adjudication_reopened"] == []
    out3 = ls.cli("label", "pull", str(run), cwd=tmp_path).stdout
    assert "no changes since the last pull" in out3

    # -- export: what the policy accepts, corrections in place -------------------------------
    ls.cli("export", str(run), "-o", str(tmp_path / "out"), "--metadata", "id", cwd=tmp_path)
    examples = {}
    for name in ("train.jsonl", "eval.jsonl"):
        p = tmp_path / "out" / name
        if p.exists():
            for line in p.read_text().splitlines():
                ex = json.loads(line)
                examples[ex["metadata"]["id"]] = ex
    expected = dec.filter(pl.col("status").is_in(["agreed", "adjudicated"]) & (pl.col("decision") != "reject"))
    assert sorted(examples) == sorted(expected["record_id"].to_list())
    assert order[8] not in examples  # majority: not under the default policy (adjudicated)
    for r in expected.filter(pl.col("decision") == "edit").iter_rows(named=True):
        assert examples[r["record_id"]]["messages"][-1]["content"] == r["corrected_response"]
    ls.cli("export", str(run), "-o", str(tmp_path / "out-majority"), "--policy", "majority", "--metadata", "id", cwd=tmp_path)
    ids = [json.loads(x)["metadata"]["id"] for n in ("train.jsonl", "eval.jsonl")
           for x in ((tmp_path / "out-majority" / n).read_text().splitlines() if (tmp_path / "out-majority" / n).exists() else [])]
    assert order[8] in ids and len(ids) == len(examples) + 1

    # -- no token anywhere a user sees it ----------------------------------------------------
    secrets = [ls.admin_token, *tokens.values()]
    for text in ls.outputs:
        assert not any(s in text for s in secrets)
    for folder in (run, tmp_path / "out", tmp_path / "out-majority"):
        for f in folder.rglob("*"):
            if f.is_file():
                data = f.read_bytes()
                assert not any(s.encode() in data for s in secrets), f


class DropAfter(httpx.BaseTransport):
    """A transport that lets ``ok`` import requests through, then fails the next one:
    ``mode="refuse"`` before sending it, ``mode="lose_answer"`` after the server took it."""

    def __init__(self, ok: int, mode: str):
        self.inner = httpx.HTTPTransport()
        self.ok, self.mode, self.imports = ok, mode, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/import"):
            self.imports += 1
            if self.imports == self.ok + 1:
                if self.mode == "refuse":
                    raise httpx.ConnectError("connection refused", request=request)
                response = self.inner.handle_request(request)
                response.read()
                raise httpx.ReadTimeout("the answer was lost", request=request)
        return self.inner.handle_request(request)


@pytest.mark.parametrize("mode", ["refuse", "lose_answer"])
def test_interrupted_push_never_imports_twice(label_studio, tmp_path, mode):
    ls = label_studio
    work = tmp_path / "w"
    work.mkdir()
    src = build_run(work, ls)
    run = RunFolder(src)
    cfg = LabelConfig(categories=CATEGORIES, chunk_size=4, project_title=f"interrupted push {mode}")
    flaky = LabelStudioClient(Connection(ls.url, ls.admin_token), retries=0, transport=DropAfter(1, mode))
    if mode == "refuse":
        with pytest.raises(LabelStudioUnavailable, match=ls.url):
            push(run, "ls-e2e", cfg, flaky, allow_unredacted=True)
        state = ProjectState.load(run.root)
        with LabelStudioClient(Connection(ls.url, ls.admin_token)) as admin:
            assert sum(existing_record_ids(admin, state.project_id).values()) == 4
            res = push(run, "ls-e2e", cfg, admin, allow_unredacted=True)
        assert (res.already, res.imported, res.created) == (4, 8, False)
    else:
        # the server imported the chunk but the answer never came: push looks, sees it, goes on
        res = push(run, "ls-e2e", cfg, flaky, allow_unredacted=True)
        assert res.imported == 12
        state = ProjectState.load(run.root)
    with LabelStudioClient(Connection(ls.url, ls.admin_token)) as admin:
        have = existing_record_ids(admin, state.project_id)
        res = push(run, "ls-e2e", cfg, admin, allow_unredacted=True)
    assert len(have) == 12 and set(have.values()) == {1}
    assert res.imported == 0 and res.already == 12
