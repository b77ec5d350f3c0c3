"""Turn normalisation and the one usability rule (curate/conversations.py), and the ingest
stage applying them: fixes named per record, unusable records skipped with a reason."""

from __future__ import annotations

import json

import polars as pl
import pytest
from helpers import NO_MODELS, write_config

from curate.config import load_config
from curate.conversations import (
    TurnsConfig,
    alternation_problem,
    conversation_problem,
    normalize_turns,
    usable_turns,
)
from curate.pipeline import build


def T(*pairs: str) -> list[dict[str, str]]:
    """T("u:hi", "a:hello") -> turns."""
    role = {"u": "user", "a": "assistant", "s": "system"}
    return [{"role": role[p[0]], "content": p[2:]} for p in pairs]


def roles(turns) -> str:
    return "".join(t["role"][0] for t in turns)


DEFAULT = TurnsConfig()


def test_same_role_runs_merge():
    n = normalize_turns(T("u:a", "u:b", "a:c", "a:d", "u:e"), DEFAULT)
    assert roles(n.messages) == "uau" and n.messages[0]["content"] == "a\n\nb" and n.fixes == ["merged_turns"]
    assert n.drop is None and alternation_problem(n.messages) == (2, "ends with a user turn")


def test_leading_assistant_policies():
    turns = T("a:we saw your tweet", "u:yes it broke", "a:fixed now")
    n = normalize_turns(turns, DEFAULT)
    assert roles(n.messages) == "ua" and n.fixes == ["dropped_leading_assistant"]
    assert normalize_turns(turns, TurnsConfig(leading_assistant="drop_record")).drop == "starts_with_assistant"
    kept = normalize_turns(turns, TurnsConfig(leading_assistant="keep"))
    assert roles(kept.messages) == "aua" and kept.fixes == []
    # a leading system turn is the system prompt, not the conversation's start
    assert roles(normalize_turns(T("s:prompt", "a:hi", "u:q", "a:r"), DEFAULT).messages) == "sua"


def test_inner_system_policies():
    turns = T("u:my account", "a:let me look", "s:account pulled up", "a:found it", "u:thanks", "a:welcome")
    n = normalize_turns(turns, DEFAULT)
    assert roles(n.messages) == "uaua" and n.fixes == ["dropped_system_turn", "merged_turns"]
    assert n.messages[1]["content"] == "let me look\n\nfound it"
    assert normalize_turns(turns, TurnsConfig(inner_system="drop_record")).drop == "system_turn_inside"
    kept = normalize_turns(turns, TurnsConfig(inner_system="keep"))
    assert roles(kept.messages) == "uasaua" and alternation_problem(kept.messages) == (2, "a system turn after the conversation started")


def test_only_agent_turns_leave_nothing_to_learn_from():
    assert normalize_turns(T("a:hello", "a:anyone?"), DEFAULT).drop == "no_user_turn"
    assert usable_turns(T("a:hello"), "chat", DEFAULT)[1] == "no_user_turn"


def test_normalisation_is_idempotent_and_leaves_documents_alone():
    turns = T("s:p", "a:x", "u:a", "u:b", "s:act", "a:c", "a:d")
    once = normalize_turns(turns, DEFAULT)
    twice = normalize_turns(once.messages, DEFAULT)
    assert twice.messages == once.messages and twice.fixes == []
    doc = T("u:Chapter 1", "u:Chapter 2")
    assert normalize_turns(doc, DEFAULT, kind="doc").messages == doc
    assert usable_turns(doc, "doc", DEFAULT) == (doc, None)


@pytest.mark.parametrize("turns, problem", [
    (T("u:q"), "no_agent_reply"),
    (T("s:p", "a:r"), "no_user_turn"),
    (T("a:r", "u:q"), "no_user_turn"),  # the customer spoke only after the reply
    (T("u:q", "a:r", "u:more"), None),  # turns after the last reply are trimmed at export
])
def test_conversation_problem(turns, problem):
    assert conversation_problem(turns) == problem


@pytest.mark.parametrize("turns, where", [
    (T("u:q", "a:r"), None),
    (T("s:p", "u:q", "a:r", "u:q", "a:r"), None),
    (T("a:r"), (0, "starts with an assistant turn")),
    (T("u:q", "u:q", "a:r"), (1, "two user turns in a row")),
    (T("s:p", "s:p", "u:q", "a:r"), (1, "two system turns in a row")),
    (T("u:q", "a:r", "a:r"), (2, "two assistant turns in a row")),
    (T("s:p"), (1, "no user or assistant turn")),
])
def test_alternation_problem(turns, where):
    assert alternation_problem(turns) == where


def test_ingest_normalises_and_names_fixes_and_skips(tmp_path):
    rows = [
        {"id": "ok", "turns": [{"role": "user", "content": "Where is my parcel?"}, {"role": "assistant", "content": "On its way."}]},
        {"id": "runs", "turns": [{"role": "user", "content": "Hello"}, {"role": "user", "content": "my parcel is late"},
                                 {"role": "assistant", "content": "Sorry, checking."}]},
        {"id": "lead", "turns": [{"role": "agent", "content": "We saw your tweet."}, {"role": "customer", "content": "It is broken"},
                                 {"role": "agent", "content": "A fix is out."}]},
        {"id": "action", "turns": [{"role": "customer", "content": "Refund please"}, {"role": "agent", "content": "Checking"},
                                   {"role": "action", "content": "Refund issued"}, {"role": "agent", "content": "Done"}]},
        {"id": "agentonly", "turns": [{"role": "agent", "content": "Anyone there?"}]},
    ]
    (tmp_path / "c.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    cfg = write_config(tmp_path / "curate.yaml", {
        "name": "t", **NO_MODELS,
        "sources": [{"type": "jsonl", "path": "c.jsonl", "kind": "chat", "roles": {"action": "system"},
                     "fields": {"id": "id", "messages": "turns"}}],
        "filter": {"min_chars": 0},
    })
    run = build(load_config(cfg), runs_dir=tmp_path / "runs").run
    m = run.manifest()["stages"]
    df = pl.read_parquet(run.path("ingest.parquet"))
    fixes = dict(zip([i.split(":")[-1] for i in df["id"]], df["turn_fixes"].to_list()))
    assert fixes == {"ok": None, "runs": ["merged_turns"], "lead": ["dropped_leading_assistant"],
                     "action": ["dropped_system_turn", "merged_turns"]}
    action = df.filter(pl.col("id").str.ends_with("action")).row(0, named=True)
    assert [t["role"] for t in action["messages"]] == ["user", "assistant"]
    assert action["text"] == "user: Refund please\n\nassistant: Checking\n\nDone"
    assert m["ingest"]["dropped"] == {"no_user_turn": 1}
    assert m["ingest"]["stats"]["turn_fixes"] == {"dropped_leading_assistant": 1, "dropped_system_turn": 1, "merged_turns": 2}
    skipped = [json.loads(x) for x in run.rejects_path.read_text().splitlines()]
    assert [(r["status"], r["reason"]) for r in skipped] == [("skipped", "no_user_turn")]
    # every exported example alternates strictly
    for line in run.path("export/train.jsonl").read_text().splitlines():
        assert alternation_problem(json.loads(line)["messages"]) is None
    assert m["export"]["records_out"] == 4

    # the policy is a config setting: a stricter one leaves records out, with reasons
    write_config(tmp_path / "curate.yaml", {**json.loads(json.dumps(load_config(cfg).model_dump(mode="json"))),
                                            "turns": {"leading_assistant": "drop_record", "inner_system": "drop_record"}})
    m = build(load_config(cfg), runs_dir=tmp_path / "runs").run.manifest()["stages"]
    assert m["ingest"]["dropped"] == {"starts_with_assistant": 2, "system_turn_inside": 1}
