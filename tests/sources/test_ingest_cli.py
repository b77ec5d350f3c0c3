"""Every adapter through `curate ingest CONFIG -o OUT.jsonl` (the real command, in a
subprocess), and a third-party adapter found through the `curate.sources` entry point
group of a real installed distribution (a dist-info folder in a temporary site dir)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from source_fakes import FakeZendesk

FIX = Path(__file__).resolve().parents[1] / "fixtures/sources"

PLUGIN = '''
"""A third-party source adapter: numbered FAQ entries."""
from pydantic import Field
from curate.records import make_record
from curate.sources.base import Skip, Source, SourceConfig


class FaqConfig(SourceConfig):
    count: int = Field(description="How many entries to make.")


class FaqSource(Source):
    type = "faq"
    Config = FaqConfig
    default_kind = "chat"

    def read(self, state):
        for i in range(self.config.count):
            yield make_record(source=self.source_id, native_id=str(i), kind=self.kind,
                              messages=[{"role": "user", "content": f"question {i}"},
                                        {"role": "assistant", "content": f"answer {i}"}],
                              locator=f"faq#{i}")
        yield Skip("faq#draft", "draft")
'''


def make_site(tmp: Path) -> Path:
    """A site-packages folder holding the distribution 'curate-faq' 1.0 with its entry point."""
    site = tmp / "site"
    site.mkdir()
    (site / "curate_faq.py").write_text(PLUGIN)
    info = site / "curate_faq-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: curate-faq\nVersion: 1.0\nSummary: FAQ source for curate\n")
    (info / "entry_points.txt").write_text("[curate.sources]\nfaq = curate_faq:FaqSource\n")
    (info / "top_level.txt").write_text("curate_faq\n")
    (info / "RECORD").write_text("curate_faq.py,,\ncurate_faq-1.0.dist-info/METADATA,,\n")
    return site


def run_ingest(cwd: Path, config: dict, env: dict[str, str]) -> tuple[subprocess.CompletedProcess, list[dict]]:
    (cwd / "curate.yaml").write_text(json.dumps(config))
    proc = subprocess.run(
        [sys.executable, "-m", "curate", "ingest", "curate.yaml", "-o", "out.jsonl", "-q"],
        cwd=cwd, env={**os.environ, "COLUMNS": "200", **env}, capture_output=True, text=True, timeout=300,
    )
    rows = [json.loads(x) for x in (cwd / "out.jsonl").read_text().splitlines()] if (cwd / "out.jsonl").exists() else []
    return proc, rows


def test_every_adapter_and_a_plugin_through_curate_ingest(tmp_path, api_server):
    fake = FakeZendesk(api_server)
    fake.seed()
    for name in ("email", "docs", "jira", "zendesk"):
        shutil.copytree(FIX / name, tmp_path / name)
    site = make_site(tmp_path)
    config = {
        "name": "all-sources",
        "sources": [
            {"type": "email", "name": "inbox", "path": "email/support", "support_domains": ["acme.example"]},
            {"type": "docs", "name": "rn", "path": "docs/react-native"},
            {"type": "docs", "name": "pg", "path": "docs/postgresql"},
            {"type": "jira", "name": "csv", "path": "jira/issues.csv"},
            {"type": "zendesk", "name": "export", "path": "zendesk/tickets.json", "users_path": "zendesk/users.json"},
            {"type": "zendesk", "name": "live", "url": api_server.url, "email": "bot@acme.example", "token_env": "ZD_CLI_TOKEN"},
            {"type": "faq", "name": "plugin", "count": 3},
        ],
    }
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]), "ZD_CLI_TOKEN": "t0ken"}
    proc, rows = run_ingest(tmp_path, config, env)
    assert proc.returncode == 0, proc.stderr
    by_source: dict[str, int] = {}
    for r in rows:
        by_source[r["source"]] = by_source.get(r["source"], 0) + 1
    assert by_source["email:inbox"] == 2
    assert by_source["jira:csv"] == 2
    assert by_source["zendesk:export"] == 2
    assert by_source["zendesk:live"] == 2
    assert by_source["faq:plugin"] == 3
    assert by_source["docs:rn"] > 10 and by_source["docs:pg"] > 10
    faq = next(r for r in rows if r["source"] == "faq:plugin")
    assert faq["kind"] == "chat" and faq["messages"][1] == {"role": "assistant", "content": "answer 0"}
    rejects = [json.loads(x) for x in (tmp_path / "out.rejects.jsonl").read_text().splitlines()]
    reasons = {(r["source"], r["status"], r["reason"]) for r in rejects}
    assert ("faq:plugin", "skipped", "draft") in reasons
    assert ("email:inbox", "skipped", "duplicate_copy") in reasons
    assert ("docs:pg", "skipped", "empty_document") in reasons
    assert ("zendesk:live", "skipped", "internal_only") in reasons
    assert all(r["locator"] for r in rejects)
    assert "t0ken" not in proc.stdout + proc.stderr

    # without the plugin on the path the type is unknown, and the error says which types exist
    proc, _ = run_ingest(tmp_path, config, {"ZD_CLI_TOKEN": "t0ken"})
    assert proc.returncode == 2
    assert "unknown source type 'faq'" in proc.stderr and "zendesk" in proc.stderr


def test_curate_ingest_reports_bad_credentials(tmp_path, api_server):
    FakeZendesk(api_server).seed()
    api_server.expected_auth = "Basic something-else"
    config = {"name": "z", "sources": [{"type": "zendesk", "url": api_server.url, "email": "bot@acme.example", "token_env": "ZD_CLI_TOKEN"}]}
    proc, _ = run_ingest(tmp_path, config, {"ZD_CLI_TOKEN": "not-the-right-one"})
    assert proc.returncode == 1
    err = " ".join(proc.stderr.split())
    assert "HTTP 401" in err and api_server.url in err and "$ZD_CLI_TOKEN" in err
    assert "not-the-right-one" not in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr
