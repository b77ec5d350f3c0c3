"""No silent empty outcomes: documentation without reviewers' questions, exports far below
the budget, builds of nothing. Each says why in one line; below export.min_examples it is
an error (exit 1). The text format writes documents as they are."""

from __future__ import annotations

import json

import polars as pl
import pytest
from export_support import export, make_run, read_jsonl, select_table
from helpers import NO_MODELS, run_cli, write_config

from curate.export.outcome import EmptyResult, check_export, drop_summary
from curate.records import DROP_COLUMN, make_record

PAGES = [
    ("FlatList > Props > data", "An array (or array-like list) of items to render."),
    ("FlatList > Props > renderItem", "Takes an item from data and renders it into the list."),
    ("Installation > Linux", "Run the installer, then restart the service so that it picks up the new version."),
]


def doc_table() -> pl.DataFrame:
    rows = []
    for i, (title, body) in enumerate(PAGES):
        rec = make_record(source="docs:rn", native_id=f"page{i}.md", kind="doc", title=title,
                          messages=[{"role": "user", "content": body}], locator=f"page{i}.md#x")
        rows.append({**rec, "selected": True, "rank": i + 1, "dup_group": f"g{i}", "cluster": 0})
    return pl.DataFrame(rows).with_columns(pl.col("cluster").cast(pl.Int32), pl.lit(None, dtype=pl.Utf8).alias(DROP_COLUMN))


def test_docs_need_questions_in_chat_formats_and_go_as_text(tmp_path):
    run = make_run(tmp_path / "runs" / "docs", doc_table(), {"select": {"budget": 3}})
    r = export(run, tmp_path / "chat", split={"eval": 0}).result
    assert r.records_out == 0 and r.dropped == {"doc_needs_qa": 3}
    with pytest.raises(EmptyResult) as err:
        check_export(run.manifest()["stages"], r.records_out, r.dropped, 1, 3)
    line = str(err.value)
    assert "\n" not in line and "0 examples exported" in line and "doc_needs_qa 3 (export)" in line
    assert "label.task: doc_qa" in line and "export.format: text" in line

    r = export(run, tmp_path / "text", format="text", split={"eval": 0}, metadata=["id"]).result
    assert r.records_out == 3 and r.dropped == {}
    rows = {row["metadata"]["id"]: row["text"] for row in read_jsonl(tmp_path / "text" / "train.jsonl")}
    assert rows["docs:rn:page2.md"] == "Installation > Linux\n\nRun the installer, then restart the service so that it picks up the new version."
    assert r.stats["splits"]["train"]["tokens"] > 0 and r.stats["splits"]["train"]["assistant_tokens"] == 0


def test_cli_export_of_docs_fails_in_one_line_and_text_format_works(tmp_path):
    run = make_run(tmp_path / "runs" / "docs", doc_table())
    r = run_cli("export", str(run.root), "-o", str(tmp_path / "out"))
    assert r.returncode == 1, r.stderr
    errors = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("error: 0 examples exported") and "doc_needs_qa 3" in errors[0]
    assert (tmp_path / "out" / "dropped.jsonl").exists()  # the files say the same
    r = run_cli("export", str(run.root), "-o", str(tmp_path / "out"), "--format", "text")
    assert r.returncode == 0, r.stderr
    assert sum(len(read_jsonl(f)) for f in (tmp_path / "out").glob("*.jsonl") if f.name != "dropped.jsonl") == 3
    r = run_cli("export", str(run.root), "-o", str(tmp_path / "none"), "--min-examples", "0")
    assert r.returncode == 0, r.stderr


def test_far_below_the_budget_is_a_warning_with_reasons(tmp_path):
    df = select_table()
    df = df.with_columns(pl.when(pl.int_range(pl.len()) < 30).then(pl.lit([{"role": "user", "content": "Only a question here"}]))
                         .otherwise(pl.col("messages")).alias("messages"))
    run = make_run(tmp_path / "runs" / "t", df, {"select": {"budget": 48}})
    r = run_cli("export", str(run.root), "-o", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert "warning: 18 examples exported, far below the selection budget of 48; left out: no_agent_reply 30 (export)" in r.stderr
    with pytest.raises(EmptyResult, match="fewer than export.min_examples"):
        check_export(run.manifest()["stages"], 18, {"no_agent_reply": 30}, 20, 48)
    assert check_export(run.manifest()["stages"], 40, {}, 1, 48) is None


def test_drop_summary_orders_by_count_and_lists_the_budget_last():
    stages = {
        "ingest": {"status": "done", "records_out": 10, "dropped": {"no_user_turn": 2}, "rejected": 1},
        "filter": {"status": "done", "dropped": {"too_short": 5}},
        "select": {"status": "done", "dropped": {"not_selected": 900}},
    }
    text, hint = drop_summary(stages, {"too_long": 1})
    assert text == "too_short 5 (filter), no_user_turn 2 (ingest), rejected 1 (ingest), too_long 1 (export) and 1 more reason"
    assert "customer turn" in hint
    assert drop_summary({"ingest": {"status": "done", "records_out": 0}})[0] == "nothing: the sources gave no records"


def test_a_build_of_documents_alone_exits_1_and_says_why(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text(
        "# Guide\n\n## Install\n\nRun the installer and restart the service afterwards, twice if needed.\n\n"
        "## Upgrade\n\nStop the service, replace the binary and start the service again with the new flags.\n")
    write_config(tmp_path / "curate.yaml", {"name": "d", "sources": [{"type": "docs", "path": "docs", "min_chars": 10}],
                                            **NO_MODELS})
    r = run_cli("build", "curate.yaml", "-q", cwd=tmp_path)
    assert r.returncode == 1
    assert "error: 0 examples exported, fewer than export.min_examples (1); left out: doc_needs_qa 2 (export)" in r.stderr
    assert "Build summary" in r.stdout  # the funnel is shown first
    # as text for continued pre-training the same build succeeds
    data = json.loads(json.dumps(__import__("yaml").safe_load((tmp_path / "curate.yaml").read_text())))
    data["export"] = {"format": "text"}
    write_config(tmp_path / "curate.yaml", data)
    r = run_cli("build", "curate.yaml", "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
