"""`curate inspect --dropped REASON` and `--id` tell what became of records, whichever
stage dropped them: the filter stage, the export (dropped.jsonl), ingest's skips."""

from __future__ import annotations

import json

from helpers import NO_MODELS, run_cli, write_config


def test_dropped_and_id_follow_a_record_through_every_stage(tmp_path):
    rows = [{"id": "ok", "turns": [{"role": "user", "content": "Where is my parcel? It is late."},
                                   {"role": "assistant", "content": "It ships today."}]},
            {"id": "long", "turns": [{"role": "user", "content": "Please read my whole story. " * 60},
                                     {"role": "assistant", "content": "Thanks, noted."}]},
            {"id": "noreply", "turns": [{"role": "user", "content": "Hello? Is anybody reading this inbox?"}]},
            {"id": "agentonly", "turns": [{"role": "agent", "content": "We saw your post, please DM us."}]}]
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    write_config(tmp_path / "curate.yaml", {
        "name": "i", **NO_MODELS,
        "sources": [{"type": "jsonl", "path": "t.jsonl", "kind": "chat", "fields": {"id": "id", "messages": "turns"}}],
        "export": {"tokens": {"tokenizer": "estimate", "max_tokens": 200}, "split": {"eval": 0}},
    })
    assert run_cli("build", "curate.yaml", "-q", cwd=tmp_path).returncode == 0

    r = run_cli("inspect", "runs/i", "--dropped", "too_long", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "export: left out as 'too_long' (1 in all" in r.stdout and "jsonl:t:long" in r.stdout
    r = run_cli("inspect", "runs/i", "--dropped", "no_agent_reply", cwd=tmp_path)
    assert "filter: dropped as 'no_agent_reply' (1 in all)" in r.stdout and "jsonl:t:noreply" in r.stdout
    r = run_cli("inspect", "runs/i", "--dropped", "no_user_turn", cwd=tmp_path)
    assert "ingest: skipped 1 inputs as 'no_user_turn'" in r.stdout
    r = run_cli("inspect", "runs/i", "--dropped", "boilerplate", cwd=tmp_path)
    assert "no stage dropped a record as 'boilerplate'" in r.stdout

    fate = {rid: run_cli("inspect", "runs/i", "--id", f"jsonl:t:{rid}", cwd=tmp_path).stdout for rid in ("ok", "long", "noreply")}
    assert "fate: live after the filter stage" in fate["ok"]
    assert "fate: left out by the export: too_long" in fate["long"]
    assert "fate: dropped by the filter stage: no_agent_reply (a chat with no agent reply)" in fate["noreply"]
