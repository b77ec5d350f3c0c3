"""Jira: search by JQL against a local server with Jira Cloud's response shapes
(nextPageToken paging, comments beyond the first page, ADF), incremental builds, and the
CSV export."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from source_api_server import Reply, basic
from source_fakes import FakeJira, jira_comment, jira_issue

from curate.config import load_config
from curate.errors import CurateError
from curate.pipeline import build
from curate.sources.base import Reject, SourceState, get_source_class
from curate.sources.jira import adf_to_text

NO_MODELS = {"redact": {"enabled": False}, "dedupe": {"enabled": False}, "embed": {"enabled": False}, "select": {"enabled": False}}
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures/sources/jira"


def ingest(tmp: Path, source: dict) -> pl.DataFrame:
    p = tmp / "curate.yaml"
    p.write_text(json.dumps({"name": "jr", "sources": [source], **NO_MODELS}))
    res = build(load_config(p), runs_dir=tmp / "runs", only=["ingest"])
    return pl.read_parquet(res.run.path("ingest.parquet"))


@pytest.fixture
def jira(api_server, monkeypatch):
    fake = FakeJira(api_server)
    fake.seed()
    api_server.expected_auth = basic("bot@acme.example", "jira-secret")
    monkeypatch.setenv("JIRA_TEST_TOKEN", "jira-secret")
    return fake


def source(server, **extra) -> dict:
    return {"type": "jira", "name": "sup", "url": server.url, "jql": "project = SUP",
            "email": "bot@acme.example", "token_env": "JIRA_TEST_TOKEN", **extra}


def test_issues_with_all_comments_and_roles(jira, api_server, tmp_path):
    df = ingest(tmp_path, source(api_server))
    rows = {r["id"]: r for r in df.to_dicts()}
    assert set(rows) == {"jira:sup:10001", "jira:sup:10002", "jira:sup:10003"}
    one = rows["jira:sup:10001"]
    assert one["title"] == "Crash in settings"
    assert one["locator"] == f"{api_server.url}/browse/SUP-1"
    roles = [m["role"] for m in one["messages"]]
    assert roles == ["user", "assistant", "user"]  # description, agent, reporter; internal comment left out
    desc = one["messages"][0]["content"]
    assert "- Android 14\n- version 2.3.1" in desc and "```text\njava.lang.NullPointerException\n```" in desc
    assert "@Customer One" in one["messages"][1]["content"]
    assert "null locale" not in one["text"]
    meta = json.loads(one["meta"])
    assert meta["key"] == "SUP-1" and meta["status"] == "Done" and meta["labels"] == ["android"]
    assert meta["internal_comments"] == 1 and meta["attachments"] == 2  # an attached file, inline media in the description
    # the search returned 2 of 3 comments: the rest came from the comment endpoint
    assert len(api_server.requests_to("/rest/api/3/issue/10001/comment")) == 1
    searches = api_server.requests_to("/rest/api/3/search/jql")
    assert len(searches) == 2 and searches[1].body["nextPageToken"] == "2"
    assert searches[0].body["jql"] == "(project = SUP) ORDER BY updated ASC"
    # an issue with a description only
    assert [m["role"] for m in rows["jira:sup:10003"]["messages"]] == ["user"]


def test_incremental_jql_and_merge(jira, api_server, tmp_path):
    ingest(tmp_path, source(api_server))
    state = json.loads((tmp_path / "runs/jr/state/jira-sup.json").read_text())
    assert state["cursor"] == "2024-03-04T10:00:00.000+0000"
    n = len(api_server.log)
    c = [jira_comment("c9", "agent-8", "Try clearing cookies."), jira_comment("c10", "cust-1", "That fixed it.")]
    jira.add(jira_issue("10002", "SUP-2", "Login loop", "2024-03-10T10:00:00.000+0000", c), c)
    df = ingest(tmp_path, source(api_server))
    search = next(r for r in api_server.log[n:] if r.path.endswith("search/jql"))
    assert 'updated >= "2024/03/03 10:00"' in search.body["jql"]  # the cursor less a day
    rows = {r["id"]: r for r in df.to_dicts()}
    assert len(rows) == 3
    assert rows["jira:sup:10002"]["messages"][-1]["content"].startswith("That fixed it.")
    assert json.loads((tmp_path / "runs/jr/state/jira-sup.json").read_text())["cursor"] == "2024-03-10T10:00:00.000+0000"


def test_forbidden_names_url_and_variable(jira, api_server, tmp_path):
    api_server.fail_next = [Reply(403, {"errorMessages": ["You do not have permission"]})]
    with pytest.raises(CurateError) as err:
        ingest(tmp_path, source(api_server))
    msg = str(err.value)
    assert "HTTP 403" in msg and "/rest/api/3/search/jql" in msg and "$JIRA_TEST_TOKEN" in msg
    assert "jira-secret" not in msg


def test_429_then_success(jira, api_server, tmp_path):
    api_server.fail_next = [Reply(429, None, {"Retry-After": "0"}), Reply(429, None, {"Retry-After": "0"})]
    df = ingest(tmp_path, source(api_server))
    assert df.height == 3
    assert len(api_server.requests_to("/rest/api/3/search/jql")) == 4


def test_adf_to_text_nodes():
    doc = {"type": "doc", "content": [
        {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Steps"}]},
        {"type": "orderedList", "content": [
            {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Open app"}]}]},
            {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Tap "}, {"type": "emoji", "attrs": {"shortName": ":gear:", "text": "⚙️"}}]}]}]},
        {"type": "table", "content": [{"type": "tableRow", "content": [
            {"type": "tableHeader", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "OS"}]}]},
            {"type": "tableCell", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "iOS 17"}]}]}]}]},
        {"type": "blockquote", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "quoted"}]}]},
        {"type": "paragraph", "content": [{"type": "inlineCard", "attrs": {"url": "https://example.org/x"}}]},
    ]}
    assert adf_to_text(doc) == "## Steps\n\n1. Open app\n2. Tap ⚙️\n\nOS | iOS 17\n\n> quoted\n\nhttps://example.org/x"


def test_csv_export(tmp_path):
    cls = get_source_class("jira")
    cfg = cls.Config.model_validate({"type": "jira", "path": "issues.csv"}, context={"base_dir": FIXTURES})
    events = list(cls(cfg, FIXTURES).read(SourceState(tmp_path / "s.json")))
    recs = [e for e in events if isinstance(e, dict)]
    rejects = [e for e in events if isinstance(e, Reject)]
    assert [r["id"] for r in recs] == ["jira:issues:20001", "jira:issues:20002"]
    first = recs[0]
    assert first["title"] == "Password reset mail never arrives"
    assert [(m["role"], m["content"]) for m in first["messages"]] == [
        ("user", "I asked for a password reset three times; no mail arrived.\nChecked the spam folder too."),
        ("assistant", "Our mail provider had an outage; please try again now."),
        ("user", "It arrived this time, thanks!"),
    ]
    meta = json.loads(first["meta"])
    assert meta["labels"] == ["email", "login"] and meta["key"] == "HELP-1" and meta["attachments"] == 1
    assert recs[1]["messages"][1]["content"] == "Yes; it is on the roadmap for Q3."  # ';' inside a comment
    assert [(r.locator, r.reason) for r in rejects] == [
        ("issues.csv:5", "no text: every message is empty"),
        ("issues.csv:6", "expected 19 fields, found 2"),
    ]


def test_csv_export_with_the_summary_in_the_user_turn(tmp_path):
    cls = get_source_class("jira")
    cfg = cls.Config.model_validate({"type": "jira", "path": "issues.csv", "subject_in_user_turn": True},
                                    context={"base_dir": FIXTURES})
    recs = [e for e in cls(cfg, FIXTURES).read(SourceState(tmp_path / "s.json")) if isinstance(e, dict)]
    assert recs[0]["messages"][0]["content"] == (
        "Password reset mail never arrives\n\nI asked for a password reset three times; no mail arrived.\n"
        "Checked the spam folder too.")
    assert recs[0]["messages"][1]["role"] == "assistant"
