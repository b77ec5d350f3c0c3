"""Continuous curation against a real Label Studio: build, push, two reviewers label
everything through the API, pull; then 10% more records arrive and the run is rebuilt.
Every earlier task keeps its record selected, the next push creates tasks only for the
newly selected records (the earlier tasks and their annotations untouched), and the
export after the next pull holds every earlier accepted label."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import pytest
import yaml

from curate.labelstudio.client import Connection, LabelStudioClient
from curate.labelstudio.reviewers import login_token
from curate.labelstudio.state import ProjectState

pytestmark = pytest.mark.labelstudio

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "labelstudio"
DIA, EVE = "dia@curate-test.org", "eve@curate-test.org"
CATEGORIES = ["ORDER", "INVOICE", "ACCOUNT", "OTHER"]


def accept(category: str = "ORDER", quality: int = 4):
    return [
        {"from_name": "verdict", "to_name": "response", "type": "choices", "value": {"choices": ["accept"]}},
        {"from_name": "category", "to_name": "conversation", "type": "choices", "value": {"choices": [category]}},
        {"from_name": "quality", "to_name": "response", "type": "rating", "value": {"rating": quality}},
    ]


def exported_ids(folder: Path) -> set[str]:
    out = set()
    for name in ("train.jsonl", "eval.jsonl", "test.jsonl"):
        p = folder / name
        if p.exists():
            out |= {json.loads(line)["metadata"]["id"] for line in p.read_text().splitlines()}
    return out


def make_tickets(path: Path, n: int) -> None:
    """``n`` tickets made from the fixture's twelve (each with its own id and wording)."""
    with (FIXTURES / "tickets.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows({**rows[i % len(rows)], "id": f"t-{i}", "instruction": f"{rows[i % len(rows)]['instruction']} (ticket {i})"}
                    for i in range(n))


def add_rows(path: Path, share: float) -> int:
    """Append ``share`` more rows, new tickets made from existing ones (new ids, new wording)."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    extra = max(1, round(share * len(rows)))
    new = [{**r, "id": f"new-{i}", "instruction": f"follow-up {i}: {r['instruction']} (asked again later)"}
           for i, r in enumerate(rows[:extra])]
    with path.open("a", newline="", encoding="utf-8") as fh:
        csv.DictWriter(fh, fieldnames=list(rows[0])).writerows(new)
    return extra


def test_refresh_keeps_every_label_and_pushes_only_new_tasks(label_studio, tmp_path):
    ls = label_studio
    make_tickets(tmp_path / "tickets.csv", 80)
    (tmp_path / "curate.yaml").write_text(yaml.safe_dump({
        "name": "ls-refresh",
        "sources": [{"type": "csv", "name": "bitext", "path": "tickets.csv", "kind": "ticket",
                     "fields": {"id": "id", "user": "instruction", "assistant": "response",
                                "meta": ["intent", "category"]}}],
        "redact": {"enabled": False}, "dedupe": {"enabled": False}, "embed": {"enabled": False},
        "select": {"enabled": True, "strategy": "random", "fraction": 0.15},
        "label": {"task": "response_review", "categories": CATEGORIES},
        "export": {"split": {"eval": 0.2, "test": 0.0}},
    }, sort_keys=False))
    ls.cli("build", "curate.yaml", cwd=tmp_path)
    run = tmp_path / "runs" / "ls-refresh"
    first = set(pl.read_parquet(run / "select.parquet").filter(pl.col("selected"))["id"].to_list())
    assert 8 <= len(first) <= 14

    # -- push, two reviewers label every task, pull, export --------------------------------
    ls.cli("label", "push", str(run), "--allow-unredacted", cwd=tmp_path)
    creds = tmp_path / "reviewers.json"
    ls.cli("label", "reviewers", "add", DIA, EVE, "--credentials", str(creds), cwd=tmp_path)
    logins = {r["email"]: r["password"] for r in json.loads(creds.read_text())["reviewers"]}
    state = ProjectState.load(run)
    admin = LabelStudioClient(Connection(ls.url, ls.admin_token))
    tasks = list(admin.tasks(state.project_id))
    assert {t["data"]["record_id"] for t in tasks} == first
    for who in (DIA, EVE):
        reviewer = LabelStudioClient(Connection(ls.url, login_token(ls.url, who, logins[who])))
        for t in tasks:
            reviewer.create_annotation(t["id"], accept(), lead_time=30.0)
    ls.cli("label", "pull", str(run), cwd=tmp_path)
    dec = pl.read_parquet(run / "labels" / "decisions.parquet")
    assert dict(dec.group_by("status").len().iter_rows()) == {"agreed": len(first)}
    ls.cli("export", str(run), "-o", str(tmp_path / "v1"), "--metadata", "id", cwd=tmp_path)
    assert exported_ids(tmp_path / "v1") == first

    # -- 10% more records, rebuild ----------------------------------------------------------
    added = add_rows(tmp_path / "tickets.csv", 0.10)
    ls.cli("build", "curate.yaml", cwd=tmp_path)
    sel = pl.read_parquet(run / "select.parquet")
    second = set(sel.filter(pl.col("selected").fill_null(False))["id"].to_list())
    assert first <= second, f"labeled records no longer selected: {sorted(first - second)}"
    newly = second - first
    assert newly, "the larger budget (a fraction of more records) selects some new records"
    kept_why = sel.filter(pl.col("id").is_in(list(first)))["why"].to_list()
    assert all(w.startswith("kept: expert work") for w in kept_why)
    stats = json.loads((run / "manifest.json").read_text())["stages"]["select"]["stats"]
    assert stats["expert_work"]["kept"] == len(first) and stats["expert_work"]["labeled"] == len(first)
    assert added >= 5

    # -- push: only the new records; the earlier tasks and annotations untouched ------------
    out = ls.cli("label", "push", str(run), "--allow-unredacted", cwd=tmp_path).stdout
    assert f"{len(newly)} imported, {len(first)} already" in " ".join(out.split()), out
    after = list(admin.tasks(state.project_id))
    assert len(after) == len(first) + len(newly)
    assert {t["data"]["record_id"] for t in after} == second
    before_ids = {t["id"]: t["data"]["record_id"] for t in tasks}
    for t in after:
        if t["id"] in before_ids:
            assert t["total_annotations"] == 2 and t["data"]["record_id"] == before_ids[t["id"]]
    pushed = json.loads((run / "labels" / "pushed.json").read_text())["record_ids"]
    assert set(pushed) == second

    # -- pull and export: every earlier label is exported ----------------------------------
    ls.cli("label", "pull", str(run), cwd=tmp_path)
    ls.cli("export", str(run), "-o", str(tmp_path / "v2"), "--metadata", "id", cwd=tmp_path)
    assert exported_ids(tmp_path / "v2") >= first
    dropped = [json.loads(x) for x in (tmp_path / "v2" / "dropped.jsonl").read_text().splitlines()]
    assert not [d for d in dropped if d["reason"].startswith(("labeled_", "pushed_"))]
    assert {d["id"] for d in dropped if d["reason"] == "no_accepted_label"} == newly
