"""One small real run for the drift tests: 150 Bitext requests from the example's sample
(in the repo), built with redaction, embeddings and a selection of 40; and the new
records the tests compare with it."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from helpers import run_cli, write_config

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "support-tickets" / "data" / "bitext_sample.csv"
RUN_ROWS = 150

#: requests on a topic the Bitext sample never touches (a self-hosted database product)
NEW_TOPIC = [
    "postgres replication lag keeps growing on the standby after the upgrade",
    "the database cluster failover did not promote the replica, what now",
    "vacuum is stuck on a large table and disk usage keeps climbing",
    "how do I tune shared_buffers and work_mem for a 64 GB server",
    "our nightly pg_dump backup fails with an out of memory error",
    "query planner picks a sequential scan instead of the index on the big table",
    "WAL files are filling the disk on the primary database server",
    "logical replication slot is inactive and the database will not drop it",
    "connection pool exhausted, too many clients already on the database",
    "autovacuum workers never finish on the partitioned tables",
    "replica crashed with a checksum failure in a data page",
    "how to restore a point in time backup of the database cluster",
    "index bloat after bulk deletes, should I reindex concurrently",
    "deadlock detected between two transactions updating the same rows",
    "the database upgrade with pg_upgrade fails on a missing extension",
    "slow query log shows joins on unindexed foreign keys",
    "streaming replication broke after changing the server certificate",
    "temp files grow huge during a sort in an analytics query",
    "database server restarts itself when memory runs low",
    "how to partition a table of events by month without downtime",
]


def _sample() -> pl.DataFrame:
    return pl.read_csv(SAMPLE, infer_schema=False)


@pytest.fixture(scope="session")
def drift_run(tmp_path_factory) -> dict:
    """The run folder, its config, and new-record files: the same distribution (rows of
    the sample the run never read), a new topic, one with personal data."""
    base = tmp_path_factory.mktemp("drift")
    df = _sample().sample(fraction=1.0, shuffle=True, seed=7)  # the file is ordered by intent
    df.head(RUN_ROWS).write_csv(base / "tickets.csv")
    cfg = write_config(base / "curate.yaml", {
        "name": "drift-test",
        "runs_dir": str(base / "runs"),
        "sources": [{"type": "csv", "name": "bitext", "path": "tickets.csv",
                     "fields": {"id": "id", "user": "instruction", "assistant": "response", "meta": ["intent", "category"]}}],
        "redact": {"enabled": True},
        "dedupe": {"enabled": True},
        "select": {"budget": 40},
        "export": {"format": "openai"},
    })
    r = run_cli("build", str(cfg), "-q")
    assert r.returncode == 0, r.stderr
    # the same distribution: rows the run never read, as the run's csv source reads them
    same = base / "same.csv"
    df.slice(RUN_ROWS, 120).write_csv(same)
    # a new topic: 60 requests about a database product among 60 ordinary ones (records format)
    rows = [{"id": f"db-{i}", "messages": [{"role": "user", "content": t + (" please help" if i >= 20 else "")
                                            + (" asap" if i >= 40 else "")},
                                           {"role": "assistant", "content": "Let me look into it."}],
             "meta": {"category": "DATABASE", "intent": "db_help"}}
            for i, t in enumerate(NEW_TOPIC * 3)]
    for row in df.slice(RUN_ROWS + 120, 60).iter_rows(named=True):
        rows.append({"id": row["id"], "messages": [{"role": "user", "content": row["instruction"]},
                                                   {"role": "assistant", "content": row["response"]}],
                     "meta": {"category": row["category"], "intent": row["intent"]}})
    topic = base / "topic.jsonl"
    topic.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return {"base": base, "config": cfg, "run": base / "runs" / "drift-test", "same": same, "topic": topic}
