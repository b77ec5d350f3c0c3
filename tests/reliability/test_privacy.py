"""Nothing leaked. PII is planted (names, emails, phones, cards, IBANs, SSNs, addresses, API
keys, an IP address) and searched for in everything a build and the commands around it
write or print: logs at debug level, manifest.json, report.html, rejects.jsonl, every
stage table but ingest.parquet (the raw table, the one place raw text may live), the
vector cache, the export files in every format, `curate inspect`, and the data of Label
Studio tasks. API tokens (Zendesk, Jira, Label Studio) come from the environment and are
never found in a log, an error message or a file."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import pytest
from reliability_data import PLANTED, RESIDUAL_IP, base_config, tickets, write_config, write_jsonl
from reliability_support import curate_env, file_text, run_curate, squeeze

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sources"))
from source_api_server import ApiServer, basic
from source_fakes import FakeJira, FakeZendesk

VALUES = {**PLANTED, "ip": RESIDUAL_IP}


def leaks(text: str) -> list[str]:
    """Planted values found in ``text``, also when a line break or padding splits them."""
    flat = squeeze(text)
    return sorted(k for k, v in VALUES.items() if v in text or squeeze(v) in flat)


def test_the_raw_table_holds_the_planted_values(drops_build):
    """The search below can see what it looks for: every value is in the raw table."""
    assert leaks(file_text(drops_build.run / "ingest.parquet")) == sorted(VALUES)


def test_no_planted_value_in_any_output_or_log(drops_build):
    run = drops_build.run
    files = [f for f in run.rglob("*") if f.is_file() and f.name != "ingest.parquet"]
    names = {f.relative_to(run).as_posix() for f in files}
    assert {"manifest.json", "report.html", "rejects.jsonl", "redact.parquet", "dedupe.parquet", "embed.parquet",
            "select.parquet", "export/train.jsonl", "export/eval.jsonl", "export/README.md"} <= names
    for f in files:
        assert leaks(file_text(f)) == [], f.relative_to(run).as_posix()
    # the build ran with -vv: debug lines were written, none with a planted value
    assert "DEBUG" in drops_build.stderr
    assert leaks(drops_build.stdout + drops_build.stderr) == []


def test_inspect_shows_redacted_text_only(drops_build):
    run = drops_build.run
    seen = []
    for args in ([], ["--stage", "redact"], ["--stage", "dedupe", "-n", "50"], ["--stage", "select", "-n", "50"],
                 ["--dropped", "pii_residual", "--stage", "redact"], ["--rejects", "-n", "50"],
                 ["--id", "jsonl:tickets:T-00001", "--stage", "redact"], ["--dup-group", "jsonl:tickets:X-00000"]):
        r = run_curate("-vv", "inspect", str(run), *args, cwd=drops_build.project)
        assert r.returncode == 0, (args, r.stderr)
        seen.append(r.stdout)
        assert leaks(r.stdout + r.stderr) == [], args
    assert any("<PERSON" in s for s in seen)  # the redacted text is what is shown
    # the raw table is not shown: the command says where it is instead
    r = run_curate("inspect", str(run), "--stage", "ingest", cwd=drops_build.project)
    assert r.returncode == 2 and "raw" in r.stderr and leaks(r.stdout + r.stderr) == []


@pytest.mark.parametrize("fmt", ["openai", "sharegpt", "alpaca", "prompt_completion", "hf"])
def test_every_export_format_holds_no_planted_value(drops_build, tmp_path, fmt):
    r = run_curate("-vv", "export", str(drops_build.run), "-o", str(tmp_path / fmt), "--format", fmt, cwd=drops_build.project)
    assert r.returncode == 0, r.stderr
    files = [f for f in (tmp_path / fmt).rglob("*") if f.is_file()]
    assert files
    for f in files:
        assert leaks(file_text(f)) == [], f.name
    assert leaks(r.stdout + r.stderr) == []


def test_label_studio_tasks_hold_no_planted_value(drops_build):
    """What `curate label push` sends: the task data built from the select table."""
    from curate.labelstudio.push import read_selected
    from curate.labelstudio.tasks import NotReviewable, task_data
    from curate.run import RunFolder

    rows = read_selected(RunFolder(drops_build.run)).to_dicts()
    assert len(rows) == drops_build.manifest["stages"]["select"]["records_out"]
    sent = []
    for task in ("response_review", "classification", "doc_qa"):
        for row in rows:
            try:
                sent.append(task_data(row, task))
            except NotReviewable:
                continue
    assert len(sent) >= 2 * len(rows)
    blob = json.dumps(sent, ensure_ascii=False)
    assert "<PERSON_1>" in blob
    assert leaks(blob) == []


# -- API tokens ---------------------------------------------------------------------------

ZD_TOKEN = "zd-tok-8f3b1c9e77d2a4f0"
JIRA_TOKEN = "jira-tok-5e6a0d1b9c3f2e84"
LS_TOKEN = "ls-tok-0c9d8e7f6a5b4c3d2e1f"
TOKENS = [ZD_TOKEN, JIRA_TOKEN, LS_TOKEN]


def _token_forms() -> list[str]:
    """A token as it may travel: as is, and inside a Basic authorization header."""
    out = list(TOKENS)
    for user, tok in (("bot@acme.example/token", ZD_TOKEN), ("bot@acme.example", JIRA_TOKEN)):
        out.append(basic(user, tok).split()[1])
        out.append(base64.b64encode(tok.encode()).decode())
    return out


def _no_token(text: str, where: str) -> None:
    flat = squeeze(text)
    for t in _token_forms():
        assert t not in text and t not in flat, f"{where} holds a token"


@pytest.fixture
def api():
    server = ApiServer().start()
    try:
        yield server
    finally:
        server.stop()


def test_api_tokens_never_reach_logs_or_files(api, tmp_path):
    zd = FakeZendesk(api)
    zd.seed()
    jira = FakeJira(api)
    jira.seed()
    write_jsonl(tmp_path / "t.jsonl", tickets(4))
    env = curate_env(ZD_TOKEN_VAR=ZD_TOKEN, JIRA_TOKEN_VAR=JIRA_TOKEN, CURATE_LS_TOKEN=LS_TOKEN,
                     CURATE_LS_URL="http://127.0.0.1:9")  # nothing listens on port 9: push fails
    cfg = base_config("tokens", [
        {"type": "zendesk", "name": "live", "url": api.url, "email": "bot@acme.example", "token_env": "ZD_TOKEN_VAR"},
        {"type": "jira", "name": "sup", "url": api.url, "jql": "project = SUP", "email": "bot@acme.example",
         "token_env": "JIRA_TOKEN_VAR"},
        {"type": "jsonl", "name": "t", "path": "t.jsonl", "fields": {"id": "id", "user": "question", "assistant": "answer"}},
    ], redact={"enabled": False}, embed={"enabled": False}, select={"enabled": True, "strategy": "random", "budget": 50},
        label={"retries": 1, "timeout": 2})
    write_config(tmp_path / "curate.yaml", cfg)
    api.expected_auth = None
    outputs = []
    r = run_curate("-vv", "build", "curate.yaml", cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    outputs.append(r.stdout + r.stderr)
    # the tokens were used: the fake servers saw them
    assert any(req.authorization == basic("bot@acme.example/token", ZD_TOKEN) for req in api.log)
    assert any(req.authorization == basic("bot@acme.example", JIRA_TOKEN) for req in api.log)
    # Label Studio down: one error naming the URL, not the token
    r = run_curate("-vv", "label", "push", "runs/tokens", "--allow-unredacted", cwd=tmp_path, env=env)
    assert r.returncode != 0 and "127.0.0.1:9" in r.stderr and "Traceback" not in r.stderr
    outputs.append(r.stdout + r.stderr)
    # a wrong token: the error names the variable, never the value
    api.expected_auth = "Basic nobody"
    r = run_curate("-vv", "build", "curate.yaml", "--force", cwd=tmp_path, env=env)
    assert r.returncode == 1 and "$ZD_TOKEN_VAR" in " ".join(r.stderr.split())
    outputs.append(r.stdout + r.stderr)
    for i, out in enumerate(outputs):
        _no_token(out, f"output {i}")
    for f in tmp_path.rglob("*"):
        if f.is_file():
            _no_token(file_text(f), str(f.relative_to(tmp_path)))
