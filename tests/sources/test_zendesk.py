"""Zendesk: the export file and the live incremental API (against a local server that
answers with Zendesk's response shapes), merged across builds by the ingest stage."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from source_api_server import Reply, basic
from source_fakes import FakeZendesk, _comment, _ticket

from curate.config import load_config
from curate.errors import ConfigError, CurateError
from curate.pipeline import build
from curate.sources.base import Reject, Skip, SourceState, get_source_class

NO_MODELS = {"redact": {"enabled": False}, "dedupe": {"enabled": False}, "embed": {"enabled": False}, "select": {"enabled": False}}


def write_cfg(tmp: Path, source: dict, name: str = "zd") -> Path:
    cfg = {"name": name, "sources": [source], **NO_MODELS}
    p = tmp / "curate.yaml"
    p.write_text(json.dumps(cfg))
    return p


def ingest(cfg_path: Path, runs: Path) -> pl.DataFrame:
    cfg = load_config(cfg_path)
    res = build(cfg, runs_dir=runs, only=["ingest"])
    return pl.read_parquet(res.run.path("ingest.parquet"))


@pytest.fixture
def zendesk(api_server, monkeypatch):
    fake = FakeZendesk(api_server)
    fake.seed()
    api_server.expected_auth = basic("bot@acme.example/token", "s3cret-token")
    monkeypatch.setenv("ZD_TEST_TOKEN", "s3cret-token")
    return fake


def api_source(server, **extra) -> dict:
    return {"type": "zendesk", "name": "acme", "url": server.url, "email": "bot@acme.example",
            "token_env": "ZD_TEST_TOKEN", **extra}


def test_api_tickets_become_conversations_with_roles(zendesk, api_server, tmp_path):
    df = ingest(write_cfg(tmp_path, api_source(api_server)), tmp_path / "runs")
    rows = {r["id"]: r for r in df.to_dicts()}
    assert set(rows) == {"zendesk:acme:1", "zendesk:acme:2"}  # ticket 3 has only an internal note
    t1 = rows["zendesk:acme:1"]
    assert t1["title"] == "Broken mug"
    assert [(m["role"], m["content"]) for m in t1["messages"]] == [
        ("user", "My mug arrived broken."), ("assistant", "Sorry! A new mug is on its way."),
    ]
    assert "refund" not in t1["text"]  # internal note left out
    meta = json.loads(t1["meta"])
    assert meta["status"] == "solved" and meta["internal_notes"] == 1 and meta["via"] == "email"
    # five comments over three pages of the comments endpoint
    t2 = rows["zendesk:acme:2"]
    assert [m["role"] for m in t2["messages"]] == ["user", "assistant", "user", "assistant", "user"]
    assert len(api_server.requests_to("/api/v2/tickets/2/comments.json")) == 3
    # the export was paged (2 tickets per page) starting from start_time
    export = api_server.requests_to("/api/v2/incremental/tickets/cursor.json")
    assert export[0].query["start_time"] == ["0"] and "cursor" in export[1].query
    rejects = [json.loads(x) for x in (tmp_path / "runs/zd/rejects.jsonl").read_text().splitlines()]
    assert [(r["status"], r["reason"]) for r in rejects] == [("skipped", "internal_only")]


def test_internal_notes_kept_when_asked(zendesk, api_server, tmp_path):
    df = ingest(write_cfg(tmp_path, api_source(api_server, include_internal=True)), tmp_path / "runs")
    t1 = df.filter(pl.col("id") == "zendesk:acme:1").row(0, named=True)
    # the note is a second agent turn; ingest's turn normalisation merges it into the reply
    assert [m["role"] for m in t1["messages"]] == ["user", "assistant"]
    assert "refund approved" in t1["messages"][1]["content"] and "new mug" in t1["messages"][1]["content"]
    assert t1["turn_fixes"] == ["merged_turns"]
    # ticket 3 holds one internal note, an agent turn without a customer: no conversation
    assert df.height == 2
    rejects = [json.loads(x) for x in (tmp_path / "runs/zd/rejects.jsonl").read_text().splitlines()]
    assert [(r["status"], r["reason"]) for r in rejects] == [("skipped", "no_user_turn")]


def test_second_build_fetches_only_changes_and_merges(zendesk, api_server, tmp_path):
    cfg = write_cfg(tmp_path, api_source(api_server))
    runs = tmp_path / "runs"
    ingest(cfg, runs)
    state = json.loads((runs / "zd/state/zendesk-acme.json").read_text())
    assert state["cursor"]
    n_before = len(api_server.log)

    # ticket 2 gets a new answer, ticket 1 is deleted, ticket 4 is new
    comments2 = zendesk.comments[2] + [_comment(26, 200, "VAT number added.", created="2024-03-05T09:00:00Z")]
    zendesk.change(_ticket(2, "Invoice address", "solved", 5), comments2)
    zendesk.change({**_ticket(1, "Broken mug", "deleted", 6)})
    zendesk.change(_ticket(4, "Gift wrap", "new", 7), [_comment(41, 100, "Do you offer gift wrapping?")])
    df = ingest(cfg, runs)

    new_requests = api_server.log[n_before:]
    export = [r for r in new_requests if r.path.endswith("cursor.json")]
    assert export[0].query["cursor"] == [state["cursor"]]  # continued from the saved cursor
    fetched = {r.path for r in new_requests if r.path.endswith("comments.json")}
    assert fetched == {"/api/v2/tickets/2/comments.json", "/api/v2/tickets/4/comments.json"}
    rows = {r["id"]: r for r in df.to_dicts()}
    assert set(rows) == {"zendesk:acme:2", "zendesk:acme:4"}  # 1 deleted, 3 still internal only
    assert rows["zendesk:acme:2"]["messages"][-1]["content"] == "VAT number added."
    manifest = json.loads((runs / "zd/manifest.json").read_text())
    entry = manifest["stages"]["ingest"]
    assert entry["records_out"] == 2 and entry["dropped"] == {"deleted": 1}
    assert entry["stats"]["sources"]["zendesk:acme"]["carried_over"] == 0

    # a third build with nothing new carries the records over unchanged
    df3 = ingest(cfg, runs)
    assert sorted(df3["id"].to_list()) == ["zendesk:acme:2", "zendesk:acme:4"]
    entry = json.loads((runs / "zd/manifest.json").read_text())["stages"]["ingest"]
    assert entry["stats"]["sources"]["zendesk:acme"]["carried_over"] == 2


def test_changed_settings_start_afresh(zendesk, api_server, tmp_path):
    runs = tmp_path / "runs"
    ingest(write_cfg(tmp_path, api_source(api_server)), runs)
    n = len(api_server.requests_to("/api/v2/incremental/tickets/cursor.json"))
    df = ingest(write_cfg(tmp_path, api_source(api_server, include_internal=True)), runs)
    again = api_server.requests_to("/api/v2/incremental/tickets/cursor.json")[n:]
    assert again[0].query.get("start_time") == ["0"]
    assert df.height == 2  # the internal-only ticket is read now, and skipped: no customer turn


def test_rate_limit_waits_for_retry_after(zendesk, api_server, tmp_path):
    api_server.fail_next = [Reply(429, {"error": "TooManyRequests"}, {"Retry-After": "1"})]
    cls = get_source_class("zendesk")
    cfg = cls.Config.model_validate(api_source(api_server), context={"base_dir": tmp_path})
    src = cls(cfg, tmp_path)
    waits: list[float] = []
    client = src.client()
    client.sleep = waits.append
    src.client = lambda: client  # the same client, with a recorded sleep
    events = list(src.read(SourceState(tmp_path / "s.json")))
    assert waits == [1.0]
    assert sum(isinstance(e, dict) for e in events) == 2
    assert api_server.log[0].path == api_server.log[1].path  # the same request, tried again


def test_rate_limit_with_real_wait(zendesk, api_server, tmp_path):
    api_server.fail_next = [Reply(429, {"error": "TooManyRequests"}, {"Retry-After": "1"})]
    import time

    t0 = time.monotonic()
    df = ingest(write_cfg(tmp_path, api_source(api_server)), tmp_path / "runs")
    assert time.monotonic() - t0 >= 1.0
    assert df.height == 2


def test_bad_credentials_give_one_clear_error(zendesk, api_server, tmp_path, monkeypatch):
    monkeypatch.setenv("ZD_TEST_TOKEN", "wrong-token-value")
    with pytest.raises(CurateError) as err:
        ingest(write_cfg(tmp_path, api_source(api_server)), tmp_path / "runs")
    msg = str(err.value)
    assert "401" in msg and api_server.url in msg and "ZD_TEST_TOKEN" in msg
    assert "wrong-token-value" not in msg
    log = json.loads((tmp_path / "runs/zd/manifest.json").read_text())["stages"]["ingest"]
    assert log["status"] == "failed" and "wrong-token-value" not in json.dumps(log)


def test_missing_token_variable(zendesk, api_server, tmp_path, monkeypatch):
    monkeypatch.delenv("ZD_TEST_TOKEN")
    with pytest.raises(ConfigError, match="ZD_TEST_TOKEN is not set"):
        ingest(write_cfg(tmp_path, api_source(api_server)), tmp_path / "runs")


def test_token_is_never_written(zendesk, api_server, tmp_path):
    runs = tmp_path / "runs"
    ingest(write_cfg(tmp_path, api_source(api_server)), runs)
    for f in runs.rglob("*"):
        if f.is_file():
            assert b"s3cret-token" not in f.read_bytes(), f


def test_config_needs_one_mode(tmp_path):
    cfg = write_cfg(tmp_path, {"type": "zendesk", "subdomain": "acme", "path": "x.json"})
    with pytest.raises(ConfigError, match="file not found: x.json"):
        load_config(cfg)
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(ConfigError, match="not both"):
        load_config(cfg)
    cfg = write_cfg(tmp_path, {"type": "zendesk", "subdomain": "acme"})
    with pytest.raises(ConfigError, match="email"):
        load_config(cfg)


EXPORT = Path(__file__).resolve().parents[1] / "fixtures/sources/zendesk"


def test_export_file(tmp_path):
    cls = get_source_class("zendesk")
    cfg = cls.Config.model_validate({"type": "zendesk", "path": "tickets.json", "users_path": "users.json"},
                                    context={"base_dir": EXPORT})
    events = list(cls(cfg, EXPORT).read(SourceState(tmp_path / "s.json")))
    recs = [e for e in events if isinstance(e, dict)]
    rejects = [e for e in events if isinstance(e, Reject)]
    skips = [e for e in events if isinstance(e, Skip)]
    assert [r["id"] for r in recs] == ["zendesk:tickets:5001", "zendesk:tickets:5002"]
    assert [m["role"] for m in recs[0]["messages"]] == ["user", "assistant", "user"]
    assert recs[0]["title"] == "Cannot log in after password reset"
    assert [(r.locator, r.reason) for r in rejects] == [("tickets.json:4", "invalid JSON: Invalid control character at (column 40)")]
    assert [(s.locator, s.reason) for s in skips] == [("tickets.json:3", "deleted")]
    # without the users file, the requester is the user and everyone else an agent
    cfg2 = cls.Config.model_validate({"type": "zendesk", "path": "tickets.json"}, context={"base_dir": EXPORT})
    recs2 = [e for e in cls(cfg2, EXPORT).read(SourceState(tmp_path / "s.json")) if isinstance(e, dict)]
    assert [m["role"] for m in recs2[0]["messages"]] == ["user", "assistant", "user"]


def test_subject_in_user_turn_from_an_export(tmp_path):
    cls = get_source_class("zendesk")

    def first_record(**extra):
        cfg = cls.Config.model_validate({"type": "zendesk", "path": "tickets.json", "users_path": "users.json", **extra},
                                        context={"base_dir": EXPORT})
        return next(e for e in cls(cfg, EXPORT).read(SourceState(tmp_path / "s.json")) if isinstance(e, dict))

    plain, with_subject = first_record(), first_record(subject_in_user_turn=True)
    assert with_subject["messages"][0] == {
        "role": "user", "content": "Cannot log in after password reset\n\n" + plain["messages"][0]["content"]}
    assert with_subject["messages"][1:] == plain["messages"][1:]
    assert with_subject["title"] == plain["title"] == "Cannot log in after password reset"
