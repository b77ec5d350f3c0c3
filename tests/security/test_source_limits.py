"""Bounded resources at ingest (issue 23, point 2): every bomb is one reject with its
locator and a reason that quotes nothing of it, and every other input of the same source
is still read. Small generated inputs; the full-size bombs and their memory are measured
by benchmarks/source_bombs.py and by test_source_memory.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_sources import (
    GOOD_PAGE,
    alias_bomb_page,
    docx_with_document_padding,
    jsonl_row,
    read_events,
    set_declared_size,
    split,
    write_csv_with_long_field,
    write_docx,
    write_jsonl_with_long_line,
)

MiB = 1024 * 1024
FIELDS = {"id": "id", "user": "q", "assistant": "a"}


def test_alias_bomb_front_matter_is_one_reject(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.md").write_text(GOOD_PAGE)
    (docs / "bomb.md").write_text(alias_bomb_page())
    assert len((docs / "bomb.md").read_bytes()) < 600
    recs, rejects, _ = split(read_events("docs", tmp_path, tmp_path, path="docs"))
    assert [(r.locator, r.reason) for r in rejects] == [
        ("bomb.md", "front matter uses a YAML alias at line 3 (aliases are refused)")
    ]
    assert [r["locator"] for r in recs] == ["good.md"]
    # an anchor alone builds nothing twice: allowed
    (docs / "bomb.md").write_text("---\ntitle: &t Anchored\n---\n\n# Anchored\n\nText.\n")
    recs, rejects, _ = split(read_events("docs", tmp_path, tmp_path, path="docs"))
    assert not rejects and len(recs) == 2


def test_front_matter_over_its_limit_and_hostile_values(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.md").write_text(GOOD_PAGE)
    (docs / "long.md").write_text("---\n" + "".join(f"k{i}: {'v' * 60}\n" for i in range(100)) + "---\n\n# Long\n\nText.\n")
    (docs / "digits.md").write_text("---\ntitle: Digits\nn: " + "7" * 5000 + "\n---\n\n# D\n\nText.\n")
    (docs / "deep.md").write_text("---\nx: " + "[" * 20000 + "]" * 20000 + "\n---\n\n# D\n\nText.\n")
    recs, rejects, _ = split(read_events("docs", tmp_path, tmp_path, path="docs"))
    assert {r.locator: r.reason for r in rejects} == {
        "digits.md": "invalid YAML front matter: a number with too many digits",
        "deep.md": "invalid YAML front matter: nested too deeply",
    }
    recs, rejects, _ = split(read_events("docs", tmp_path, tmp_path, path="docs", max_front_matter_bytes=4096))
    reasons = {r.locator: r.reason for r in rejects}
    assert reasons.keys() == {"long.md", "digits.md", "deep.md"}
    assert reasons["long.md"].startswith("front matter of more than 4,")
    assert reasons["long.md"].endswith("bytes, over the limit of 4,096 (max_front_matter_bytes)")
    assert [r["locator"] for r in recs] == ["good.md"]


def test_inflating_docx_is_refused_before_parsing(tmp_path):
    """A DOCX declaring 3 GB for document.xml, one whose member really inflates 1,000
    times, and one whose directory lies (declares less than its member inflates to): each
    is one reject; the ordinary DOCX beside them is read."""
    docs = tmp_path / "docs"
    docs.mkdir()
    good = write_docx(docs / "good.docx", ["Hold the power button for ten seconds."])
    declared = docx_with_document_padding(good, docs / "declared.docx", 1000)
    set_declared_size(declared, "word/document.xml", 3_000_000_000)
    docx_with_document_padding(good, docs / "ratio.docx", 2 * MiB)
    liar = docx_with_document_padding(good, docs / "liar.docx", 2 * MiB)
    set_declared_size(liar, "word/document.xml", 100_000)
    assert max(f.stat().st_size for f in docs.iterdir()) < 64 * 1024
    recs, rejects, _ = split(read_events("docs", tmp_path, tmp_path, path="docs"))
    reasons = {r.locator: r.reason for r in rejects}
    assert reasons.keys() == {"declared.docx", "ratio.docx", "liar.docx"}
    assert reasons["declared.docx"].startswith("DOCX members declared to inflate to at least 3,000,")
    assert reasons["declared.docx"].endswith("over the limit of 67,108,864 (max_unpacked_bytes)")
    assert reasons["ratio.docx"].startswith("DOCX member ") and "over the limit of 100 (max_inflate_ratio)" in reasons["ratio.docx"]
    assert reasons["liar.docx"].startswith("DOCX member ") and reasons["liar.docx"].endswith("inflates beyond its declared size of 100,000 bytes")
    assert [r["locator"] for r in recs] == ["good.docx#printer-setup"]
    # the limits are settings: raised, the honest 2 MiB package is read
    recs, rejects, _ = split(read_events("docs", tmp_path, tmp_path, path="docs", max_inflate_ratio=5000))
    assert {r.locator for r in rejects} == {"declared.docx", "liar.docx"}
    assert {r["locator"] for r in recs} == {"good.docx#printer-setup", "ratio.docx#printer-setup"}


def test_pdf_page_and_object_limits(tmp_path):
    import pypdf

    docs = tmp_path / "docs"
    docs.mkdir()
    w = pypdf.PdfWriter()
    for _ in range(6):
        w.add_blank_page(width=200, height=200)
    w.write(str(docs / "six.pdf"))
    (docs / "good.md").write_text(GOOD_PAGE)
    _, rejects, _ = split(read_events("docs", tmp_path, tmp_path, path="docs", max_pdf_pages=5))
    assert [(r.locator, r.reason) for r in rejects] == [("six.pdf", "PDF of 6 pages, over the limit of 5 (max_pdf_pages)")]
    _, rejects, _ = split(read_events("docs", tmp_path, tmp_path, path="docs", max_pdf_objects=3))
    assert len(rejects) == 1 and rejects[0].reason.startswith("PDF of ") and rejects[0].reason.endswith("over the limit of 3 (max_pdf_objects)")
    # within the limits, six blank pages are an empty document
    recs, rejects, skips = split(read_events("docs", tmp_path, tmp_path, path="docs"))
    assert not rejects and [s.locator for s in skips] == ["six.pdf"] and len(recs) == 1


def test_binary_and_text_documents_over_their_size_limits(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.md").write_text(GOOD_PAGE)
    (docs / "big.md").write_text("# Big\n\n" + "word " * 300_000)
    write_docx(docs / "big.docx", ["x" * 2000] * 40)
    recs, rejects, _ = split(read_events("docs", tmp_path, tmp_path, path="docs", max_record_bytes=1 * MiB,
                                         max_file_bytes=20_000))
    reasons = {r.locator: r.reason for r in rejects}
    assert reasons["big.md"] == "file of 1,500,007 bytes, over the limit of 1,048,576 (max_record_bytes)"
    assert reasons["big.docx"].startswith("DOCX file of ") and reasons["big.docx"].endswith("over the limit of 20,000 (max_file_bytes)")
    assert {r["locator"] for r in recs} == {"good.md"}


def test_a_64mb_jsonl_line_is_one_reject(tmp_path):
    write_jsonl_with_long_line(tmp_path / "t.jsonl", 64 * MiB)
    recs, rejects, _ = split(read_events("jsonl", tmp_path, tmp_path, path="t.jsonl", fields=FIELDS))
    assert [(r.locator, r.reason) for r in rejects] == [
        ("t.jsonl:2", "line of 67,108,864 bytes, over the limit of 8,388,608 (max_record_bytes)")
    ]
    assert [r["id"] for r in recs] == ["jsonl:t:t1", "jsonl:t:t2"]


def test_a_line_at_the_limit_is_read(tmp_path):
    limit = 4096
    row = json.dumps({"id": "edge", "q": "", "a": "ok"})
    row = row.replace('"q": ""', '"q": "' + "x" * (limit - len(row)) + '"')
    assert len(row) == limit
    (tmp_path / "t.jsonl").write_text(row + "\n" + row.replace("edge", "over").replace('"ok"', '"ok!"') + "\n" + row.replace("edge", "last"))
    recs, rejects, _ = split(read_events("jsonl", tmp_path, tmp_path, path="t.jsonl", fields=FIELDS, max_record_bytes=limit))
    assert [r["id"] for r in recs] == ["jsonl:t:edge", "jsonl:t:last"]
    assert [(r.locator, r.reason) for r in rejects] == [("t.jsonl:2", "line of 4,097 bytes, over the limit of 4,096 (max_record_bytes)")]


def test_a_5000_digit_integer_is_one_reject(tmp_path):
    lines = [jsonl_row(1), '{"id": "n", "q": ' + "9" * 5000 + ', "a": "x"}', jsonl_row(2),
             '{"id": "f", "q": 1' + "0" * 5000 + '.5, "a": "a float of any length is fine"}']
    (tmp_path / "t.jsonl").write_text("\n".join(lines) + "\n")
    recs, rejects, _ = split(read_events("jsonl", tmp_path, tmp_path, path="t.jsonl", fields=FIELDS))
    assert [(r.locator, r.reason) for r in rejects] == [("t.jsonl:2", "invalid JSON: a number with too many digits")]
    assert [r["id"] for r in recs] == ["jsonl:t:t1", "jsonl:t:t2", "jsonl:t:f"]
    # the same in a Zendesk export, as JSON lines
    tickets = [{"id": 1, "subject": "Login", "comments": [{"author_id": 5, "body": "I cannot log in."}], "requester_id": 5},
               {"id": 2, "subject": "Big", "comments": [], "requester_id": 5}]
    text = json.dumps(tickets[0]) + "\n" + json.dumps(tickets[1]).replace('"requester_id": 5', '"requester_id": ' + "5" * 5000) + "\n"
    (tmp_path / "z.json").write_text(text)
    recs, rejects, _ = split(read_events("zendesk", tmp_path, tmp_path, path="z.json"))
    assert [(r.locator, r.reason) for r in rejects] == [("z.json:2", "invalid JSON: a number with too many digits")]
    assert [r["id"] for r in recs] == ["zendesk:z:1"]


def test_a_csv_field_over_the_limit_is_read_past(tmp_path):
    """A quoted field of 3 MB holding line breaks, delimiters and doubled quotes: its row
    is one reject at the line it starts on; the rows after it come back exactly."""
    write_csv_with_long_field(tmp_path / "t.csv", 3 * MiB)
    recs, rejects, _ = split(read_events("csv", tmp_path, tmp_path, path="t.csv", fields=FIELDS, max_record_bytes=1 * MiB))
    assert [r.locator for r in rejects] == ["t.csv:3"] and rejects[0].reason.startswith("row of 3,145,")
    assert rejects[0].reason.endswith("bytes, over the limit of 1,048,576 (max_record_bytes)")
    lines = 3 + 3 * MiB // len(b'line, with "" quotes\n')
    assert [(r["id"], r["locator"]) for r in recs] == [("csv:t:r1", "t.csv:2"), ("csv:t:r3", f"t.csv:{lines + 1}")]
    assert recs[1]["messages"] == [{"role": "user", "content": "Where is my invoice?"},
                                   {"role": "assistant", "content": "In your account."}]


def test_jira_csv_row_over_the_limit(tmp_path):
    rows = ["Summary,Issue id,Description", "Login fails,1,I cannot log in.", 'Huge,2,"' + "x\n" * 5000 + '"', "Slow,3,It is slow."]
    (tmp_path / "jira.csv").write_text("\n".join(rows) + "\n")
    recs, rejects, _ = split(read_events("jira", tmp_path, tmp_path, path="jira.csv", max_record_bytes=4096))
    assert [(r.locator, r.reason) for r in rejects] == [("jira.csv:3", "row of 10,010 bytes, over the limit of 4,096 (max_record_bytes)")]
    assert [r["id"] for r in recs] == ["jira:jira:1", "jira:jira:3"]


def test_parquet_row_over_the_limit(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": ["a", "b", "c"], "q": ["Short question?", "y" * (2 * MiB), "Another one?"], "a": ["Yes.", "No.", "Maybe."]})
    pq.write_table(table, tmp_path / "t.parquet")
    recs, rejects, _ = split(read_events("parquet", tmp_path, tmp_path, path="t.parquet", fields=FIELDS, max_record_bytes=1 * MiB))
    assert len(rejects) == 1 and rejects[0].locator == "t.parquet#2"
    assert rejects[0].reason.startswith("row of 2,097,") and rejects[0].reason.endswith("over the limit of 1,048,576 (max_record_bytes)")
    assert [r["id"] for r in recs] == ["parquet:t:a", "parquet:t:c"]


def test_email_over_the_size_limit(tmp_path):
    msg = "From: a@example.org\nSubject: {s}\nMessage-ID: <{s}@example.org>\n\n{body}\n"
    mbox = "".join(f"From a@example.org Mon Jan  1 00:00:00 2024\n{msg.format(s=s, body=b)}\n"
                   for s, b in (("one", "Hello."), ("two", "x" * 200_000), ("three", "Bye.")))
    (tmp_path / "box.mbox").write_text(mbox)
    mail = tmp_path / "mail"
    mail.mkdir()
    (mail / "1.eml").write_text(msg.format(s="four", body="Small."))
    (mail / "2.eml").write_text(msg.format(s="five", body="y" * 200_000))
    for path, big in (("box.mbox", "box.mbox:8"), ("mail", "mail/2.eml")):
        recs, rejects, _ = split(read_events("email", tmp_path, tmp_path, path=path, max_message_bytes=100_000, thread=False))
        assert [r.locator for r in rejects] == [big]
        assert rejects[0].reason.startswith("message of 200,0") and rejects[0].reason.endswith("over the limit of 100,000 (max_message_bytes)")
        assert len(recs) == (2 if path == "box.mbox" else 1)


def test_zendesk_json_document_over_the_limit(tmp_path):
    (tmp_path / "z.json").write_text(json.dumps({"tickets": [{"id": i, "subject": "s", "description": "d" * 500} for i in range(20)]}, indent=1))
    recs, rejects, _ = split(read_events("zendesk", tmp_path, tmp_path, path="z.json", max_record_bytes=4096))
    assert len(rejects) == 1 and rejects[0].locator == "z.json:1" and rejects[0].reason.startswith("JSON document of ")
    assert not recs


@pytest.mark.parametrize("key", ["max_record_bytes", "max_file_bytes", "max_front_matter_bytes"])
def test_limits_are_validated(tmp_path, key):
    from curate.sources.base import get_source_class

    (tmp_path / "p.md").write_text(GOOD_PAGE)
    cls = get_source_class("docs")
    with pytest.raises(ValidationError, match=key):
        cls.Config.model_validate({"type": "docs", "path": "p.md", key: 0}, context={"base_dir": tmp_path})


def test_a_ticket_of_odd_shape_is_one_reject(tmp_path):
    """Shapes no Zendesk export gives (a comment that is a string, comment ids of mixed
    types) made the whole ingest fail; each is now one reject."""
    tickets = [{"id": 1, "subject": "s", "comments": ["not an object", {"body": "x"}]},
               {"id": 2, "comments": [{"id": 1, "created_at": "a", "body": "x"}, {"id": "z", "created_at": "a", "body": "y"}]},
               {"id": 3, "subject": "Login", "comments": [{"body": "I cannot log in.", "author_id": 1}], "requester_id": 1}]
    (tmp_path / "z.json").write_text("\n".join(json.dumps(t) for t in tickets) + "\n")
    recs, rejects, _ = split(read_events("zendesk", tmp_path, tmp_path, path="z.json"))
    assert [(r.locator, r.reason) for r in rejects] == [("z.json:1", "unreadable ticket: unreadable (AttributeError)"),
                                                        ("z.json:2", "unreadable ticket: unreadable (TypeError)")]
    assert [r["id"] for r in recs] == ["zendesk:z:3"]
