"""Against a real Label Studio: the reasoning_review task end to end (push with the drafts
filled in, two reviewers, agreement on the verdict and on the reasoning and answer texts,
adjudication, export of chain-of-thought examples), and the rule every label command
follows: the config it is given is the one it uses, and where the run's stored config
and the file differ, one line says so (edited categories are never "up to date")."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import httpx
import polars as pl
import pytest
import yaml

from curate.labelstudio.client import Connection, LabelStudioClient
from curate.labelstudio.push import DRAFT_VERSION
from curate.labelstudio.reviewers import login_token
from curate.labelstudio.state import ProjectState
from curate.labelstudio.tasks import DRAFT_KEY

pytestmark = pytest.mark.labelstudio

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "reasoning" / "data" / "policy_questions.csv"
RIA, ROB, RAY = "ria@curate-test.org", "rob@curate-test.org", "ray@curate-test.org"
FIXED = "1. The question is about a parcel.\n2. The rule that applies was checked against the policy.\n3. So the answer holds."


def next_task(client: LabelStudioClient, project_id: int) -> dict | None:
    """The next task of the labeling stream for the client's user, as the labeling UI asks for it."""
    r = httpx.get(f"{client.url}/api/projects/{project_id}/next/", timeout=30,
                  headers={"Authorization": f"Token {client.connection.token}"})
    if r.status_code == 404:
        return None
    r.raise_for_status()
    return r.json()


def write_project(work: Path, label: dict) -> None:
    with open(EXAMPLE, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[:8]
    with open(work / "q.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    (work / "curate.yaml").write_text(yaml.safe_dump({
        "name": "cot-e2e",
        "sources": [{"type": "csv", "name": "nw", "path": "q.csv", "kind": "ticket",
                     "fields": {"id": "id", "user": "question", "assistant": "answer", "reasoning": "reasoning",
                                "meta": ["task_type", "difficulty"]}}],
        "redact": {"enabled": False}, "dedupe": {"enabled": False}, "embed": {"enabled": False},
        "select": {"enabled": True, "strategy": "random", "budget": 8},
        "export": {"format": "openai", "reasoning": "think", "split": {"eval": 0}},
        "label": label,
    }, sort_keys=False))


def edit_label(work: Path, **changes) -> None:
    data = yaml.safe_load((work / "curate.yaml").read_text())
    data["label"].update(changes)
    (work / "curate.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


def annotate(client: LabelStudioClient, project_id: int, plan) -> int:
    n = 0
    while (task := next_task(client, project_id)) is not None:
        drafts = task["data"].get(DRAFT_KEY) or {}
        verdict, reasoning, answer = plan(task["data"]["record_id"], drafts)
        result = [{"from_name": "verdict", "to_name": "draft_answer", "type": "choices", "value": {"choices": [verdict]}},
                  {"from_name": "difficulty", "to_name": "conversation", "type": "choices", "value": {"choices": ["medium"]}}]
        # the boxes as the reviewer submits them: the drafts they started from, or corrected
        for name, to, text in (("reasoning", "draft_reasoning", reasoning), ("answer", "draft_answer", answer)):
            if text:
                result.append({"from_name": name, "to_name": to, "type": "textarea", "value": {"text": [text]}})
        client.create_annotation(task["id"], result, lead_time=30.0 + n)
        n += 1
        assert n <= 20
    return n


def test_reasoning_review_and_the_config_each_command_is_given(label_studio, tmp_path):
    ls = label_studio
    work = tmp_path
    write_project(work, {"task": "response_review", "categories": ["parcels", "billing"], "chunk_size": 4})
    ls.cli("build", "curate.yaml", cwd=work)
    run = work / "runs" / "cot-e2e"

    # -- one rule for every label command: the config given is the one used -------------------
    out = ls.cli("label", "push", str(run), "--allow-unredacted", cwd=work)
    assert "8 imported" in out.stdout and "note" not in out.stderr
    edit_label(work, categories=["parcels", "billing", "returns"])
    # the run folder: its stored categories, and one line saying the file differs
    out = ls.cli("label", "push", str(run), "--allow-unredacted", cwd=work)
    assert "up to date" in out.stdout
    note = [line for line in out.stderr.splitlines() if line.startswith("note:")]
    assert len(note) == 1 and "using the settings stored in the run; curate.yaml now differs (label.categories)" in note[0]
    # the file: its categories reach the project, which is not "up to date"
    out = ls.cli("label", "push", "curate.yaml", "--allow-unredacted", cwd=work)
    assert "updated: label_config" in out.stdout and "up to date" not in out.stdout
    assert "using curate.yaml's settings, which differ from those the run was built with (label.categories)" in out.stderr
    admin = LabelStudioClient(Connection(ls.url, ls.admin_token))
    state = ProjectState.load(run)
    assert 'value="returns"' in admin.project(state.project_id)["label_config"]
    edit_label(work, export_policy="agreed_only")
    out = ls.cli("label", "status", "curate.yaml", cwd=work)
    assert "export policy: agreed_only" in out.stdout and "label.export_policy" in out.stderr
    out = ls.cli("label", "status", str(run), cwd=work)
    assert "export policy: adjudicated" in out.stdout and "now differs (label.categories, label.export_policy)" in out.stderr

    # -- the reasoning task: a new project of its own ------------------------------------------
    write_project(work, {"task": "reasoning_review", "difficulty": True, "project_title": "cot review",
                         "gates": {"verdict": {"agreement": 0.5}}})
    shutil.rmtree(run / "labels")
    ls.cli("build", "curate.yaml", cwd=work)
    out = ls.cli("label", "push", "curate.yaml", "--allow-unredacted", cwd=work).stdout
    assert "8 imported" in out
    state = ProjectState.load(run)
    project = admin.project(state.project_id)
    assert project["show_collab_predictions"] is True and project["model_version"] == DRAFT_VERSION
    assert 'name="reasoning"' in project["label_config"] and 'name="difficulty"' in project["label_config"]
    tasks = list(admin.tasks(state.project_id, fields="all"))
    # the boxes start from the source's reasoning and answer
    first = tasks[0]
    assert [p["model_version"] for p in first["predictions"]] == [DRAFT_VERSION]
    texts = {r["from_name"]: r["value"]["text"][0] for r in first["predictions"][0]["result"]}
    assert texts == first["data"][DRAFT_KEY] and texts["reasoning"].startswith("1. ")

    creds = work / "logins.json"
    ls.cli("label", "reviewers", "add", RIA, ROB, RAY, "--credentials", str(creds), cwd=work)
    logins = {r["email"]: r["password"] for r in json.loads(creds.read_text())["reviewers"]}
    who = {e: LabelStudioClient(Connection(ls.url, login_token(ls.url, e, logins[e]))) for e in (RIA, ROB, RAY)}
    order = sorted(t["data"]["record_id"] for t in tasks)

    def ria(rid, drafts):  # keeps every draft, rejects one item
        return ("reject", None, None) if rid == order[7] else ("accept", drafts["reasoning"], drafts["answer"])

    def rob(rid, drafts):
        if rid == order[0]:  # corrects the reasoning: a different text, a different verdict
            return "edit", FIXED, drafts["answer"]
        if rid == order[1]:  # leaves the boxes as the drafts filled them (nothing written back)
            return "accept", None, None
        return ("reject", None, None) if rid == order[7] else ("accept", drafts["reasoning"], drafts["answer"])

    assert annotate(who[RIA], state.project_id, ria) == 8
    assert annotate(who[ROB], state.project_id, rob) == 8
    out = ls.cli("label", "pull", "curate.yaml", cwd=work).stdout
    dec = {r["record_id"]: r for r in pl.read_parquet(run / "labels" / "decisions.parquet").iter_rows(named=True)}
    assert dec[order[0]]["status"] == "disagreed" and set(dec[order[0]]["disputed"]) == {"verdict", "reasoning"}
    drafts = {t["data"]["record_id"]: t["data"][DRAFT_KEY] for t in tasks}
    # rob left the boxes as they were filled: the drafts count as his texts
    assert dec[order[1]]["status"] == "agreed" and dec[order[1]]["reasoning"] == drafts[order[1]]["reasoning"]
    assert dec[order[2]]["difficulty"] == "medium" and dec[order[7]]["decision"] == "reject"
    assert "1 new disagreement(s) queued" in out

    # the adjudicator sides with the corrected reasoning
    state = ProjectState.load(run)  # the pull made the adjudication project
    adj = next_task(who[RAY], state.adjudication_project_id)
    assert adj["data"]["record_id"] == order[0] and "They disagree on: reasoning, verdict." in adj["data"]["reviews"]
    who[RAY].create_annotation(adj["id"], [
        {"from_name": "verdict", "to_name": "draft_answer", "type": "choices", "value": {"choices": ["edit"]}},
        {"from_name": "reasoning", "to_name": "draft_reasoning", "type": "textarea", "value": {"text": [FIXED]}}])
    ls.cli("label", "pull", "curate.yaml", cwd=work)
    row = pl.read_parquet(run / "labels" / "decisions.parquet").filter(pl.col("record_id") == order[0]).row(0, named=True)
    assert (row["status"], row["decision"], row["reasoning"]) == ("adjudicated", "edit", FIXED)
    assert row["answer"]  # the answer box was left as the draft: the draft counts

    # -- export: the reviewed reasoning in <think>, agreement per field, the gate -------------
    r = ls.cli("export", "curate.yaml", "-o", str(work / "out"), "--metadata", "id", cwd=work)
    assert "7 examples" in r.stdout and "rejected_by_reviewers 1" in r.stdout
    assert "agreement gates passed: verdict agreement" in r.stdout
    rows = {json.loads(x)["metadata"]["id"]: json.loads(x) for x in (work / "out" / "train.jsonl").read_text().splitlines()}
    assert rows[order[0]]["messages"][-1]["content"].startswith(f"<think>\n{FIXED}\n</think>\n\n")
    card = (work / "out" / "README.md").read_text()
    review = card.split("## Review and agreement", 1)[1].split("\n## ", 1)[0]
    assert "| `reasoning` | text |" in review and "similarity" in review and "| `verdict` | nominal | 8 |" in review
    assert "Reviewers' measured time" in card and "16 reviews so far" in card
